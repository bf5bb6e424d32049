// The entry's photo field (a select2 autocomplete) shows each choice's thumbnail beside the
// public line, so an editor recognises a photo by sight. Its results come from the body
// editor's image lookup, which has the thumbnails. Without JavaScript the field is a plain
// select of public lines. Built with DOM methods: captions stay text.
"use strict";
function showThumbnails(attempt) {
    const $ = window.django && window.django.jQuery;
    const body = document.querySelector("textarea[data-image-choices-url]");
    if (!$ || !body || !document.getElementById("id_image")) return;
    const select = $("#id_image");
    const widget = select.data("select2");
    if (!widget) {
        // Django's autocomplete.js builds the widget when the page is ready; wait for it.
        if (attempt < 200) setTimeout(() => showThumbnails(attempt + 1), 25);
        return;
    }
    const options = widget.options.options;
    function choice(item) {
        if (!item.src) return item.text;
        const row = document.createElement("span");
        row.className = "photo-choice";
        const img = document.createElement("img");
        img.src = item.src;
        img.alt = "";
        img.width = Math.round(item.width / 2);
        img.height = Math.round(item.height / 2);
        img.className = "admin-thumbnail";
        const text = document.createElement("span");
        text.textContent = item.text;
        row.append(img, text);
        return $(row);
    }
    select.select2("destroy");
    // select2 reads data-ajax--url over any option given: the attribute is what to change.
    select.attr("data-ajax--url", body.dataset.imageChoicesUrl);
    for (const key of Object.keys(select.data())) {
        if (key.startsWith("ajax")) select.removeData(key);
    }
    select.select2({ ...options, ajax: { ...options.ajax, url: body.dataset.imageChoicesUrl }, templateResult: choice });
}
document.addEventListener("DOMContentLoaded", () => showThumbnails(0));
