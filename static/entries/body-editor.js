// The entry body's editor: django-prose-editor's ProseMirror/Tiptap toolkit, imported by its
// static path (no import map, which would be an inline script the CSP refuses) and started
// with Tiptap's CSS injection off (a <style> element the CSP refuses too; the rules live in
// body-editor.css). Everything shown is built with DOM methods: no HTML strings, no styles.
import {
  Blockquote,
  Bold,
  BulletList,
  Document,
  Dropcursor,
  Editor,
  Gapcursor,
  HardBreak,
  Heading,
  History,
  HorizontalRule,
  Italic,
  Link,
  ListItem,
  Mark,
  Menu,
  Node,
  OrderedList,
  Paragraph,
  Table,
  TableCell,
  TableHeader,
  TableRow,
  Text,
} from "../django_prose_editor/editor.js";

const WORDS_PER_MINUTE = 200; // entries.richtext.WORDS_PER_MINUTE

function element(tag, properties = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, properties);
  node.append(...children);
  return node;
}

async function getJSON(url) {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

// A modal dialog with a search box and a list of choices (native <dialog>: focus is kept
// inside, Escape closes it).
function chooser({ title, label, search, render, onChoose, extra }) {
  const input = element("input", { type: "search", className: "vTextField" });
  const inputId = `body-editor-search-${Math.random().toString(36).slice(2)}`;
  input.id = inputId;
  const list = element("ul", { className: "body-editor-choices" });
  const status = element("p", { className: "body-editor-status" });
  status.setAttribute("aria-live", "polite");
  const close = element("button", { type: "button", className: "button", textContent: "Cancel" });
  const dialog = element(
    "dialog",
    { className: "body-editor-dialog" },
    element("h2", { textContent: title }),
    element("label", { htmlFor: inputId, textContent: label }),
    input,
    status,
    list,
    element("p", { className: "body-editor-dialog-actions" }, ...(extra ? [extra] : []), close),
  );
  dialog.setAttribute("aria-label", title);
  let counter = 0;
  async function refresh() {
    const mine = ++counter;
    let results = [];
    try {
      results = (await getJSON(search(input.value))).results;
    } catch (error) {
      status.textContent = "The list could not be loaded.";
      return;
    }
    if (mine !== counter) return;
    list.replaceChildren(
      ...results.map((result) => {
        const button = element("button", { type: "button", className: "body-editor-choice" }, ...render(result));
        button.addEventListener("click", () => {
          dialog.close();
          onChoose(result);
        });
        return element("li", {}, button);
      }),
    );
    status.textContent = results.length ? `${results.length} found.` : "Nothing found.";
  }
  let timer;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 200);
  });
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  input.focus();
  refresh();
  return dialog;
}

// Pasted HTML (word processors, web pages) is tidied before ProseMirror reads it: styles that
// mean bold or italic become <strong>/<em>, then every style and class goes. Parsing a style
// attribute, even in a DOMParser document, is refused and reported under the CSP, so style
// attributes are renamed (and <style> blocks dropped) in the text before it is parsed. The
// editor's schema keeps only what it knows; the server's allowlist cleans again.
function tidyPastedHTML(html) {
  const renamed = html
    .replace(/<style[\s\S]*?<\/style\s*>/gi, "")
    .replace(/(<[a-zA-Z][^>]*?\s)style(\s*=)/g, "$1data-paste-style$2");
  const doc = new DOMParser().parseFromString(renamed, "text/html");
  for (const node of doc.querySelectorAll("style, meta, link, script, title")) node.remove();
  for (const node of doc.querySelectorAll("[data-paste-style]")) {
    const style = node.getAttribute("data-paste-style").toLowerCase();
    const bold = /font-weight\s*:\s*(bold|[6-9]00)/.test(style);
    const italic = /font-style\s*:\s*italic/.test(style);
    const notBold = /font-weight\s*:\s*(normal|[1-4]00)/.test(style);
    if (notBold && node.localName === "b") {
      node.replaceWith(...node.childNodes); // Google Docs wraps a whole paste in <b style=normal>
      continue;
    }
    node.removeAttribute("data-paste-style");
    for (const [wanted, tag] of [[bold, "strong"], [italic, "em"]]) {
      if (wanted) {
        const wrapper = doc.createElement(tag);
        wrapper.append(...node.childNodes);
        node.append(wrapper);
      }
    }
  }
  for (const node of doc.querySelectorAll("[class], [id], [lang]")) {
    node.removeAttribute("class");
    node.removeAttribute("id");
    node.removeAttribute("lang");
  }
  return doc.body.innerHTML;
}

function thumbnail(result) {
  const img = element("img", { src: result.src, alt: "", className: "admin-thumbnail" });
  if (result.width) {
    img.width = result.width;
    img.height = result.height;
  }
  return img;
}

function setup(textarea) {
  const urls = textarea.dataset;
  const cardUrl = (id) => urls.imageCardUrl.replace(/0\/card\/$/, `${id}/card/`);

  // An inline photo: `<figure data-image="<id>"></figure>` in the stored HTML; the public page
  // fills in the renditions and the public line. Here: its thumbnail and that line.
  const InlinePhoto = Node.create({
    name: "inlinePhoto",
    group: "block",
    atom: true,
    draggable: true,
    selectable: true,
    addAttributes() {
      return {
        image: {
          default: null,
          parseHTML: (el) => el.getAttribute("data-image"),
          renderHTML: (attributes) => ({ "data-image": attributes.image }),
        },
      };
    },
    parseHTML() {
      return [{ tag: "figure[data-image]" }];
    },
    renderHTML({ HTMLAttributes }) {
      return ["figure", HTMLAttributes];
    },
    addNodeView() {
      return ({ node }) => {
        const caption = element("figcaption", { textContent: `Photo ${node.attrs.image}` });
        const dom = element("figure", { className: "body-editor-photo" }, caption);
        dom.dataset.image = node.attrs.image;
        getJSON(cardUrl(node.attrs.image))
          .then((card) => {
            const img = element("img", { src: card.src, alt: "", className: "admin-thumbnail" });
            if (card.width) {
              img.width = card.width;
              img.height = card.height;
            }
            dom.prepend(img);
            caption.textContent = card.line;
          })
          .catch(() => {
            caption.textContent = `Photo ${node.attrs.image} (not found: it will not be shown)`;
          });
        return { dom };
      };
    },
    addMenuItems({ menu, buttons }) {
      menu.defineItem({
        name: "inlinePhoto",
        groups: "nodes",
        button: buttons.material("add_photo_alternate", "Insert a photo"),
        command: (editor) => choosePhoto(editor),
      });
    },
  });

  // The attribution line of a quotation: `<cite>`.
  const Cite = Mark.create({
    name: "cite",
    parseHTML: () => [{ tag: "cite" }],
    renderHTML: () => ["cite", 0],
    addMenuItems({ menu, buttons }) {
      menu.defineItem({
        name: "cite",
        groups: "marks",
        button: buttons.material("record_voice_over", "Attribution (who is quoted)"),
        command: (editor) => editor.chain().focus().toggleMark("cite").run(),
        active: (editor) => editor.isActive("cite"),
      });
    },
  });

  const EntryLink = Node.create({
    name: "entryLinkMenu",
    addMenuItems({ menu, buttons }) {
      menu.defineItem({
        name: "entryLink",
        groups: "link",
        button: buttons.material("article", "Link to another entry"),
        command: (editor) => chooseEntry(editor),
      });
    },
  });

  function insertPhoto(editor, id) {
    editor.chain().focus().insertContent({ type: "inlinePhoto", attrs: { image: String(id) } }).run();
  }

  function choosePhoto(editor) {
    const upload = element("button", { type: "button", className: "button", textContent: "Upload a new photo" });
    let dialog;
    upload.addEventListener("click", () => {
      dialog.close();
      uploadPhoto(editor);
    });
    dialog = chooser({
      title: "Insert a photo",
      label: "Find a photo by file name or caption",
      search: (q) => `${urls.imageChoicesUrl}?q=${encodeURIComponent(q)}`,
      render: (result) => [thumbnail(result), element("span", { textContent: result.text })],
      onChoose: (result) => insertPhoto(editor, result.id),
      extra: upload,
    });
  }

  // The image form in a popup, as the photo field's "+" opens it; Django's popup response
  // calls dismissAddRelatedObjectPopup(), which adds the new image to this hidden <select>.
  const uploads = element("select", { id: "body_photo_upload", hidden: true });
  uploads.setAttribute("aria-hidden", "true");
  textarea.form.append(uploads);
  let uploadingInto = null;
  const onUploaded = () => {
    const id = uploads.value;
    if (id && uploadingInto) insertPhoto(uploadingInto, id);
  };
  // Django's popup code triggers the change through jQuery, which native listeners miss.
  if (window.django && window.django.jQuery) window.django.jQuery(uploads).on("change", onUploaded);
  else uploads.addEventListener("change", onUploaded);

  function uploadPhoto(editor) {
    uploadingInto = editor;
    const url = `${urls.imageAddUrl}?_to_field=id&_popup=1`;
    const popup = window.open(url, "body_photo_upload__1", "height=600,width=900,resizable=yes,scrollbars=yes");
    if (popup) popup.focus();
  }

  function chooseEntry(editor) {
    chooser({
      title: "Link to another entry",
      label: "Find an entry by headline",
      search: (q) => `${urls.entrySearchUrl}?q=${encodeURIComponent(q)}`,
      render: (result) => [
        element("span", { textContent: result.text }),
        element("small", { textContent: ` ${result.date} · ${result.state}` }),
      ],
      onChoose: (result) => {
        const chain = editor.chain().focus();
        if (editor.state.selection.empty) {
          chain
            .insertContent({ type: "text", text: result.text, marks: [{ type: "link", attrs: { href: result.href } }] })
            .run();
        } else {
          chain.extendMarkRange("link").setLink({ href: result.href }).run();
        }
      },
    });
  }

  const label = document.querySelector(`label[for="${textarea.id}"]`);
  if (label && !label.id) label.id = `${textarea.id}_label`;
  const count = element("p", { className: "body-editor-count help" });
  count.setAttribute("aria-live", "polite");

  const wrapper = element("div", { className: "prose-editor" });
  textarea.before(wrapper);
  wrapper.append(textarea);

  const editor = new Editor({
    element: wrapper,
    injectCSS: false,
    content: textarea.value,
    editorProps: {
      transformPastedHTML: tidyPastedHTML,
      attributes: {
        role: "textbox",
        "aria-multiline": "true",
        ...(label ? { "aria-labelledby": label.id } : { "aria-label": "Body" }),
      },
    },
    extensions: [
      Document,
      Paragraph,
      Text,
      HardBreak,
      Dropcursor,
      Gapcursor,
      History,
      Menu,
      Heading.configure({ levels: [2, 3] }),
      Bold,
      Italic,
      Link.configure({
        openOnClick: false,
        protocols: ["mailto"],
        HTMLAttributes: { target: null, rel: null, class: null },
      }),
      BulletList,
      OrderedList,
      ListItem,
      Blockquote,
      Cite,
      HorizontalRule,
      Table,
      TableRow,
      TableHeader,
      TableCell,
      InlinePhoto,
      EntryLink,
    ],
    onUpdate({ editor }) {
      const html = editor.getHTML();
      textarea.value = /^<(\w+)(\s[^>]*)?><\/\1>$/i.test(html) ? "" : html;
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
      showCount();
    },
  });
  wrapper.after(count);

  function showCount() {
    const words = editor.getText().split(/\s+/).filter(Boolean).length;
    const minutes = Math.max(1, Math.ceil(words / WORDS_PER_MINUTE));
    count.textContent = `${words} ${words === 1 ? "word" : "words"} · ${minutes} min read`;
  }
  showCount();
  textarea.bodyEditor = editor;
  textarea.dispatchEvent(new CustomEvent("body-editor:ready", { bubbles: true, detail: { editor } }));
}

for (const textarea of document.querySelectorAll("textarea[data-body-editor]")) {
  setup(textarea);
}
