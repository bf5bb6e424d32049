// The entry form's photo preview follows the photo field: choosing or uploading another image
// shows its thumbnail and the line readers will see. Without JavaScript the preview shows the
// saved photo. Built with DOM methods only: the caption is text, never HTML.
"use strict";
(function () {
    function render(box, card) {
        box.replaceChildren();
        if (!card) {
            box.textContent = box.dataset.empty;
            return;
        }
        const figure = document.createElement("figure");
        figure.className = "admin-image-preview";
        const img = document.createElement("img");
        img.src = card.src;
        img.alt = "";
        img.width = card.width;
        img.height = card.height;
        img.className = "admin-thumbnail";
        const caption = document.createElement("figcaption");
        caption.textContent = card.line;
        figure.append(img, caption);
        box.append(figure);
    }

    function update(select, box) {
        const pk = select.value;
        if (!pk) {
            render(box, null);
            return;
        }
        fetch(box.dataset.cardUrl.replace("/0/card/", `/${encodeURIComponent(pk)}/card/`), {
            credentials: "same-origin",
            headers: {Accept: "application/json"},
        })
            .then((response) => (response.ok ? response.json() : null))
            .then((card) => {
                if (select.value === pk) {
                    render(box, card);
                }
            });
    }

    function start() {
        const select = document.getElementById("id_image");
        const box = document.getElementById("image-preview");
        if (!select || !box) {
            return;
        }
        const onChange = () => update(select, box);
        // A form shown again after an error may hold another photo than the saved one.
        if (select.value !== (box.dataset.shown || "")) {
            onChange();
        }
        // select2 and the "add another" popup announce changes through jQuery events.
        if (window.django && window.django.jQuery) {
            window.django.jQuery(select).on("change", onChange);
        } else {
            select.addEventListener("change", onChange);
        }
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", start);
    } else {
        start();
    }
})();
