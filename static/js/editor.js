// The Markdown editor: a formatting toolbar with keyboard shortcuts, a live preview rendered by the
// server (POST /preview: the same renderer and sanitiser as a saved post) and drafts kept in this
// browser until the form is sent. It enhances <textarea data-editor data-draft="key">; without
// this file the forms work as they are. complete.js (@mentions, tags) and upload.js (images) use
// window.CommunityEditor.
(function () {
  "use strict";
  var DRAFT_PREFIX = "community-draft:";
  var SENT_KEY = "community-draft-sent";
  var DRAFT_DAYS = 30;
  var PREVIEW_DELAY_MS = 500;
  var SAVE_DELAY_MS = 300;
  var MAC = /Mac|iPhone|iPad/.test(navigator.platform || "");
  var MOD = MAC ? "⌘" : "Ctrl+";

  // --- editing the text (kept in the browser's undo history where it allows) -------------------
  function replaceRange(area, start, end, text, selectFrom, selectTo) {
    area.focus();
    area.setSelectionRange(start, end);
    var done = false;
    try {
      done = document.execCommand("insertText", false, text);
    } catch (e) {
      done = false;
    }
    if (!done || area.value.slice(start, start + text.length) !== text) {
      area.setRangeText(text, start, end, "end");
      area.dispatchEvent(new Event("input", { bubbles: true }));
    }
    area.setSelectionRange(start + selectFrom, start + selectTo);
  }

  function insertAtCursor(area, text) {
    var start = area.selectionStart;
    replaceRange(area, start, area.selectionEnd, text, text.length, text.length);
  }

  function wrap(area, before, after, placeholder) {
    var start = area.selectionStart;
    var end = area.selectionEnd;
    var chosen = area.value.slice(start, end) || placeholder;
    replaceRange(area, start, end, before + chosen + after, before.length, before.length + chosen.length);
  }

  function prefixLines(area, prefix, numbered) {
    var value = area.value;
    var start = value.lastIndexOf("\n", area.selectionStart - 1) + 1;
    var end = area.selectionEnd;
    if (end > start && value[end - 1] === "\n") end -= 1;
    var lineEnd = value.indexOf("\n", end);
    if (lineEnd < 0) lineEnd = value.length;
    var out = value.slice(start, lineEnd).split("\n").map(function (line, i) {
      return (numbered ? i + 1 + ". " : prefix) + line;
    }).join("\n");
    // A selection stays selected (another button applies to the same lines); a caret goes to the end.
    var had = area.selectionEnd > area.selectionStart;
    replaceRange(area, start, lineEnd, out, had ? 0 : out.length, out.length);
  }

  function code(area) {
    var chosen = area.value.slice(area.selectionStart, area.selectionEnd);
    if (chosen.indexOf("\n") >= 0) wrap(area, "```\n", "\n```", "");
    else wrap(area, "`", "`", "code");
  }

  function link(area) {
    var start = area.selectionStart;
    var chosen = area.value.slice(start, area.selectionEnd);
    if (/^https?:\/\/\S+$/.test(chosen)) {
      replaceRange(area, start, area.selectionEnd, "[link text](" + chosen + ")", 1, 10);
    } else {
      var text = chosen || "link text";
      var out = "[" + text + "](https://)";
      // The address is what is left to type: select its placeholder.
      replaceRange(area, start, area.selectionEnd, out, text.length + 3, out.length - 1);
    }
  }

  var ACTIONS = [
    { name: "Bold", key: "b", glyph: "B", cls: "bold", run: function (a) { wrap(a, "**", "**", "bold text"); } },
    { name: "Italic", key: "i", glyph: "I", cls: "italic", run: function (a) { wrap(a, "_", "_", "italic text"); } },
    { name: "Link", key: "k", glyph: "Link", run: link },
    { name: "Code", key: "e", glyph: "</>", run: code },
    { name: "Bulleted list", key: "u", shift: true, glyph: "• List", run: function (a) { prefixLines(a, "- "); } },
    { name: "Numbered list", key: "o", shift: true, glyph: "1. List", run: function (a) { prefixLines(a, "", true); } },
    { name: "Quote", key: "q", shift: true, glyph: "“ ”", run: function (a) { prefixLines(a, "> "); } },
  ];

  function shortcutText(action) {
    return MOD + (action.shift ? "Shift+" : "") + action.key.toUpperCase();
  }

  // --- the toolbar: one tab stop, arrow keys between its buttons (the ARIA toolbar pattern) ------
  function makeButton(label, glyph, title, shortcut) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "tool";
    button.title = title;
    if (shortcut) button.setAttribute("aria-keyshortcuts", shortcut);
    // The name is the words (hidden from sight), the glyph is what sighted people see: no
    // aria-label, whose words would differ from the visible text (axe: label-content-name-mismatch).
    var span = document.createElement("span");
    span.setAttribute("aria-hidden", "true");
    span.textContent = glyph;
    var name = document.createElement("span");
    name.className = "visually-hidden";
    name.textContent = label;
    button.appendChild(span);
    button.appendChild(name);
    return button;
  }

  function makeToolbar(area) {
    var bar = document.createElement("div");
    bar.className = "editor-toolbar";
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", "Formatting");
    bar.setAttribute("aria-controls", area.id);
    ACTIONS.forEach(function (action) {
      var keys = (MAC ? "Meta+" : "Control+") + (action.shift ? "Shift+" : "") + action.key.toUpperCase();
      var button = makeButton(action.name, action.glyph, action.name + " (" + shortcutText(action) + ")", keys);
      if (action.cls) button.classList.add(action.cls);
      button.addEventListener("click", function () { action.run(area); });
      bar.appendChild(button);
    });
    bar.addEventListener("keydown", function (event) {
      var buttons = Array.prototype.filter.call(bar.querySelectorAll("button"), function (b) { return !b.hidden; });
      var at = buttons.indexOf(document.activeElement);
      if (at < 0) return;
      var next = null;
      if (event.key === "ArrowRight") next = (at + 1) % buttons.length;
      else if (event.key === "ArrowLeft") next = (at - 1 + buttons.length) % buttons.length;
      else if (event.key === "Home") next = 0;
      else if (event.key === "End") next = buttons.length - 1;
      if (next === null) return;
      event.preventDefault();
      focusTool(bar, buttons[next]);
    });
    return bar;
  }

  function focusTool(bar, button) {
    bar.querySelectorAll("button").forEach(function (b) { b.tabIndex = b === button ? 0 : -1; });
    button.focus();
  }

  function addTool(editor, label, glyph, onClick) {
    var button = makeButton(label, glyph, label, "");
    button.tabIndex = -1;
    button.addEventListener("click", onClick);
    editor.toolbar.insertBefore(button, editor.previewToggle);
    return button;
  }

  function shortcuts(area) {
    area.addEventListener("keydown", function (event) {
      if (!(MAC ? event.metaKey : event.ctrlKey) || event.altKey) return;
      var key = event.key.toLowerCase();
      for (var i = 0; i < ACTIONS.length; i++) {
        if (ACTIONS[i].key === key && !!ACTIONS[i].shift === event.shiftKey) {
          event.preventDefault();
          ACTIONS[i].run(area);
          return;
        }
      }
    });
  }

  // --- the live preview ------------------------------------------------------------------------
  function csrfToken(form) {
    var field = form && form.querySelector('input[name="csrf_token"]');
    return field ? field.value : "";
  }

  function setupPreview(editor) {
    var area = editor.area;
    var panel = document.createElement("section");
    panel.className = "editor-preview";
    panel.id = area.id + "-preview";
    panel.setAttribute("aria-label", "Live preview");
    var heading = document.createElement("p");
    heading.className = "editor-preview-heading";
    heading.textContent = "Preview";
    var status = document.createElement("p");
    status.className = "editor-preview-status help";
    status.setAttribute("role", "status");
    var body = document.createElement("div");
    body.className = "body";
    panel.appendChild(heading);
    panel.appendChild(status);
    panel.appendChild(body);
    editor.field.appendChild(panel);

    var toggle = makeButton("Live preview", "Preview", "Show the preview while you write", "");
    toggle.classList.add("preview-toggle");
    toggle.tabIndex = -1;
    toggle.setAttribute("aria-controls", panel.id);
    editor.toolbar.appendChild(toggle);
    editor.previewToggle = toggle;

    var timer = null;
    var pending = null;
    var shown = null;
    // Where the text goes, so the server can say who mentioned could not see it there.
    var form = area.form;
    var categoryField = form && form.querySelector('select[name="category"]');
    var privateField = form && form.querySelector('input[name="private"]');
    function where() {
      var thread = area.getAttribute("data-thread");
      if (thread) return { thread: thread };
      var place = {};
      if (categoryField && categoryField.value) place.category = categoryField.value;
      if (privateField && privateField.checked) place.private = "1";
      return place;
    }
    function names(list) {
      return list.length < 2 ? list.join("") : list.slice(0, -1).join(", ") + " and " + list[list.length - 1];
    }
    function render() {
      var text = area.value;
      var place = where();
      var key = text + "\u0000" + JSON.stringify(place);
      if (key === shown) return;
      if (pending) pending.abort();
      if (!text.trim()) {
        shown = key;
        body.textContent = "";
        status.textContent = "Nothing to preview yet.";
        return;
      }
      pending = window.AbortController ? new AbortController() : null;
      var data = new URLSearchParams();
      data.set("body", text);
      Object.keys(place).forEach(function (name) { data.set(name, place[name]); });
      fetch("/preview", {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": csrfToken(area.form), Accept: "application/json" },
        body: data,
        signal: pending ? pending.signal : undefined,
      })
        .then(function (response) {
          if (response.status === 429) throw new Error("Preview paused: too many in a short time.");
          if (response.status === 422) throw new Error("The text is too long to preview.");
          if (!response.ok) throw new Error("Preview unavailable (" + response.status + ").");
          return response.json();
        })
        .then(function (result) {
          shown = key;
          // Rendered and sanitised by the server exactly as a saved post is.
          body.innerHTML = result.html;
          var unseen = result.unseen || [];
          status.textContent = unseen.length
            ? names(unseen) + " cannot see " +
              (place.thread ? "this thread" : "this question") + ", so the mention will not reach them."
            : "";
          panel.setAttribute("data-rendered", String(Date.now()));
        })
        .catch(function (error) {
          if (error.name !== "AbortError") status.textContent = error.message;
        });
    }
    function schedule() {
      if (panel.hidden) return;
      window.clearTimeout(timer);
      timer = window.setTimeout(render, PREVIEW_DELAY_MS);
    }
    function show(on) {
      panel.hidden = !on;
      toggle.setAttribute("aria-pressed", String(on));
      if (on) render();
    }
    toggle.addEventListener("click", function () { show(panel.hidden); });
    area.addEventListener("input", schedule);
    [categoryField, privateField].forEach(function (field) {
      if (field) field.addEventListener("change", schedule);
    });
    editor.refreshPreview = schedule;
    // On a wide screen the preview is on from the start; on a phone it waits to be asked for.
    show(!!(window.matchMedia && window.matchMedia("(min-width: 48rem)").matches));
  }

  // --- drafts: kept in this browser per person and form, dropped once the form is sent ----------
  function storage() {
    try {
      return window.localStorage;
    } catch (e) {
      return null;
    }
  }

  function draftFields(form) {
    return Array.prototype.filter.call(form.querySelectorAll("textarea[name], input[name]"), function (el) {
      return el.tagName === "TEXTAREA" || el.type === "text";
    });
  }

  function setupDraft(editor) {
    var store = storage();
    var form = editor.area.form;
    var key = editor.area.getAttribute("data-draft");
    if (!store || !form || !key) return;
    key = DRAFT_PREFIX + key;
    var fields = draftFields(form);
    var session = window.sessionStorage;
    var saved = null;
    try {
      saved = JSON.parse(store.getItem(key) || "null");
    } catch (e) {
      saved = null;
    }
    if (saved && saved.t < Date.now() - DRAFT_DAYS * 86400000) {
      store.removeItem(key);
      saved = null;
    }
    var notice = document.createElement("p");
    notice.className = "editor-draft help";
    notice.setAttribute("role", "status");
    editor.field.insertBefore(notice, editor.toolbar);

    function values() {
      var out = {};
      fields.forEach(function (el) { out[el.name] = el.value; });
      return out;
    }
    function restore() {
      fields.forEach(function (el) {
        if (Object.prototype.hasOwnProperty.call(saved.v, el.name)) el.value = saved.v[el.name];
      });
      editor.area.dispatchEvent(new Event("input", { bubbles: true }));
    }
    function discardButton() {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "link";
      button.textContent = "Discard draft";
      button.addEventListener("click", function () {
        store.removeItem(key);
        fields.forEach(function (el) { el.value = el.defaultValue; });
        editor.area.dispatchEvent(new Event("input", { bubbles: true }));
        store.removeItem(key);
        notice.textContent = "Draft discarded.";
        editor.area.focus();
      });
      return button;
    }
    if (saved && saved.v) {
      var current = values();
      var differs = Object.keys(saved.v).some(function (name) {
        return current[name] !== undefined && current[name] !== saved.v[name];
      });
      var empty = fields.every(function (el) { return !el.value.trim(); });
      if (differs && empty) {
        restore();
        notice.textContent = "Your draft is back. ";
        notice.appendChild(discardButton());
      } else if (differs) {
        // The page already holds text (an edit form): offer the draft, do not overwrite.
        notice.textContent = "You have an unsaved draft of this text. ";
        var use = document.createElement("button");
        use.type = "button";
        use.className = "link";
        use.textContent = "Restore it";
        use.addEventListener("click", function () {
          restore();
          notice.textContent = "Draft restored. ";
          notice.appendChild(discardButton());
        });
        notice.appendChild(use);
        notice.appendChild(document.createTextNode(" · "));
        notice.appendChild(discardButton());
      }
    }
    var timer = null;
    function save() {
      var now = values();
      var initial = fields.every(function (el) { return el.value === el.defaultValue; });
      try {
        if (initial) store.removeItem(key);
        else store.setItem(key, JSON.stringify({ v: now, t: Date.now() }));
      } catch (e) {
        /* storage full or refused: the form still works */
      }
    }
    form.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(save, SAVE_DELAY_MS);
    });
    form.addEventListener("submit", function () {
      window.clearTimeout(timer);
      save();
      if (session) session.setItem(SENT_KEY, key);
    });
  }

  // A form was sent from the last page: its draft goes, unless the answer is that form again with
  // what to correct, or an error page (nothing was saved: a 429, a 403, a server error).
  function forgetSentDraft() {
    var store = storage();
    var session = window.sessionStorage;
    var key = session && session.getItem(SENT_KEY);
    if (!store || !key) return;
    session.removeItem(SENT_KEY);
    var again = document.querySelector('textarea[data-draft="' + key.slice(DRAFT_PREFIX.length) + '"]');
    var failed = document.querySelector(".error-page") || (again && document.querySelector(".error-summary"));
    if (!failed) store.removeItem(key);
  }

  // --- putting it together ---------------------------------------------------------------------
  var editors = [];

  function enhance(area) {
    var field = area.closest(".field") || area.parentNode;
    var editor = { area: area, field: field, toolbar: makeToolbar(area) };
    field.insertBefore(editor.toolbar, area);
    shortcuts(area);
    setupPreview(editor);
    setupDraft(editor);
    var first = editor.toolbar.querySelector("button");
    editor.toolbar.querySelectorAll("button").forEach(function (b) { b.tabIndex = b === first ? 0 : -1; });
    editors.push(editor);
    return editor;
  }

  window.CommunityEditor = {
    editors: editors,
    insertAtCursor: insertAtCursor,
    replaceRange: replaceRange,
    addTool: addTool,
    csrfToken: csrfToken,
  };
  try {
    forgetSentDraft();
  } catch (e) {
    /* storage refused: nothing to forget */
  }
  document.querySelectorAll("textarea[data-editor]").forEach(enhance);
})();
