// The entry form keeps what is being written: leaving the page with unsaved changes asks
// first, and the body (with headline and summary) is kept in this browser until it is saved,
// so a reload, a crash or a lost session (the save lands on the login page) loses nothing.
// Loaded on every entry admin page: the page after a successful save clears the draft.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
    const PREFIX = "newsroom:entry-draft:";
    const SUBMITTED = "newsroom:entry-draft-submitted";
    const FIELDS = ["headline", "summary", "body"];

    function saved() {
        // The page Django shows after a save: a success message, and no form with errors.
        return document.querySelector(".messagelist .success, .messagelist .info") &&
            !document.querySelector(".errornote");
    }

    const submitted = sessionStorage.getItem(SUBMITTED);
    if (submitted) {
        sessionStorage.removeItem(SUBMITTED);
        if (saved()) localStorage.removeItem(submitted);
    }

    const form = document.getElementById("entry_form");
    if (!form || !form.elements.body) return;
    const key = PREFIX + window.location.pathname;
    const initial = {};
    for (const name of FIELDS) initial[name] = form.elements[name] ? form.elements[name].value : "";
    let dirty = false;
    let leaving = false;

    function current() {
        const values = {};
        for (const name of FIELDS) values[name] = form.elements[name] ? form.elements[name].value : "";
        return values;
    }

    function keep() {
        const values = current();
        dirty = FIELDS.some((name) => values[name] !== initial[name]);
        if (dirty) {
            localStorage.setItem(key, JSON.stringify({ saved: new Date().toISOString(), values }));
        }
    }

    form.addEventListener("input", keep);
    form.addEventListener("change", keep);
    form.addEventListener("submit", () => {
        leaving = true;
        sessionStorage.setItem(SUBMITTED, key);
    });
    window.addEventListener("beforeunload", (event) => {
        if (dirty && !leaving) {
            event.preventDefault();
            event.returnValue = "";
        }
    });

    // A draft left from before: offer it back (never applied without asking).
    let draft = null;
    try {
        draft = JSON.parse(localStorage.getItem(key) || "null");
    } catch (error) {
        draft = null;
    }
    if (!draft || !draft.values) return;
    if (FIELDS.every((name) => (draft.values[name] || "") === initial[name])) {
        localStorage.removeItem(key);
        return;
    }
    const box = document.createElement("p");
    box.className = "body-editor-draft";
    box.setAttribute("role", "status");
    const when = new Date(draft.saved);
    box.textContent = `This browser kept unsaved text from ${when.toLocaleString()}. `;
    const restore = document.createElement("button");
    restore.type = "button";
    restore.className = "button";
    restore.textContent = "Restore it";
    const discard = document.createElement("button");
    discard.type = "button";
    discard.className = "button";
    discard.textContent = "Discard it";
    box.append(restore, discard);
    form.prepend(box);

    function apply() {
        for (const name of ["headline", "summary"]) {
            if (form.elements[name] && draft.values[name] !== undefined) form.elements[name].value = draft.values[name];
        }
        const body = form.elements.body;
        body.value = draft.values.body || "";
        if (body.bodyEditor) body.bodyEditor.commands.setContent(body.value, { emitUpdate: true });
        keep();
        box.remove();
    }
    restore.addEventListener("click", apply);
    discard.addEventListener("click", () => {
        localStorage.removeItem(key);
        box.remove();
    });
});
