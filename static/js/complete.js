// Completion while typing: @mentions in the editor's text (people the server says may be offered:
// GET /api/v1/people/suggestions) and tags in a tags field (GET /api/v1/tags/suggestions).
// A listbox under the field; Up and Down move through it, Enter or Tab choose, Escape closes.
// The field keeps the focus and names the active option (aria-activedescendant), as a screen
// reader expects of an autocomplete text box. Without this file people type the handle in full.
(function () {
  "use strict";
  if (!window.fetch) return;
  var DELAY_MS = 150;
  var MENTION = /(^|[^\w.@])@([\w.-]{0,39})$/;
  var TAG = /(^|,)\s*([a-z0-9+#.-]*)$/i;
  var counter = 0;

  // Where the caret is inside a text box, from a hidden copy of it with the same text and style
  // (the usual way: a textarea does not tell). Relative to the box's own top left corner.
  var MIRRORED = ["boxSizing", "width", "borderTopWidth", "borderRightWidth", "borderBottomWidth",
    "borderLeftWidth", "paddingTop", "paddingRight", "paddingBottom", "paddingLeft", "fontStyle",
    "fontVariant", "fontWeight", "fontStretch", "fontSize", "lineHeight", "fontFamily", "textAlign",
    "textTransform", "textIndent", "letterSpacing", "wordSpacing", "tabSize"];
  function caretIn(area) {
    var style = window.getComputedStyle(area);
    var copy = document.createElement("div");
    MIRRORED.forEach(function (name) { copy.style[name] = style[name]; });
    copy.style.position = "absolute";
    copy.style.visibility = "hidden";
    copy.style.top = "0";
    copy.style.left = "-9999px";
    copy.style.whiteSpace = "pre-wrap";
    copy.style.overflowWrap = "break-word";
    copy.textContent = area.value.slice(0, area.selectionEnd);
    var mark = document.createElement("span");
    mark.textContent = "\u200b";
    copy.appendChild(mark);
    document.body.appendChild(copy);
    var at = { top: mark.offsetTop - area.scrollTop, left: mark.offsetLeft, height: mark.offsetHeight };
    document.body.removeChild(copy);
    return at;
  }

  function setup(field, kind) {
    var id = "complete-" + ++counter;
    var list = document.createElement("ul");
    list.id = id;
    list.className = "complete-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", kind === "people" ? "People to mention" : "Suggestions");
    list.hidden = true;
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    var holder = field.closest(".field") || field.parentNode;
    holder.classList.add("completes");
    field.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", status);
    field.setAttribute("aria-autocomplete", "list");
    field.setAttribute("aria-controls", id);

    var items = [];
    var active = -1;
    var timer = null;
    var pending = null;
    var asked = null;

    function close() {
      list.hidden = true;
      list.textContent = "";
      items = [];
      active = -1;
      field.removeAttribute("aria-activedescendant");
    }

    function mark(index) {
      active = index;
      Array.prototype.forEach.call(list.children, function (li, i) {
        li.setAttribute("aria-selected", String(i === index));
      });
      if (index >= 0) {
        field.setAttribute("aria-activedescendant", list.children[index].id);
        list.children[index].scrollIntoView({ block: "nearest" });
      } else {
        field.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      var item = items[index];
      var range = current();
      if (!item || !range) return;
      var text = kind === "people" ? "@" + item.handle + " " : item.name + ", ";
      var editor = window.CommunityEditor;
      if (editor && field.tagName === "TEXTAREA") {
        editor.replaceRange(field, range[0], range[1], text, text.length, text.length);
      } else {
        field.setRangeText(text, range[0], range[1], "end");
        field.dispatchEvent(new Event("input", { bubbles: true }));
      }
      close();
      asked = null;
      field.focus();
    }

    function render(found) {
      list.textContent = "";
      items = found;
      if (!found.length) {
        close();
        status.textContent = "";
        return;
      }
      found.forEach(function (item, i) {
        var li = document.createElement("li");
        li.id = id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        if (kind === "people") {
          var name = document.createElement("span");
          name.className = "complete-name";
          name.textContent = item.display_name;
          var handle = document.createElement("span");
          handle.className = "complete-meta";
          handle.textContent = " @" + item.handle + (item.role !== "partner" ? " · " + item.role : "");
          li.appendChild(name);
          li.appendChild(handle);
        } else {
          li.textContent = item.name;
          var count = document.createElement("span");
          count.className = "complete-meta";
          count.textContent = " × " + item.threads;
          li.appendChild(count);
        }
        // mousedown, not click: the field must not lose the focus (and its caret) first.
        li.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(i);
        });
        list.appendChild(li);
      });
      list.hidden = false;
      if (field.tagName === "TEXTAREA") {
        // Just under the line being typed, not at the top of the field over its label.
        var caret = caretIn(field);
        var line = Math.min(Math.max(caret.top + caret.height, caret.height), field.clientHeight);
        list.classList.add("at-caret");
        var box = field.getBoundingClientRect();
        var within = (list.offsetParent || document.body).getBoundingClientRect();
        var left = box.left - within.left;
        var widest = left + box.width - list.offsetWidth;
        list.style.top = box.top - within.top + field.clientTop + line + 2 + "px";
        list.style.left = Math.max(left, Math.min(left + caret.left, widest)) + "px";
      }
      mark(0);
      status.textContent = found.length + (found.length === 1 ? " suggestion" : " suggestions") +
        ": up and down arrows to choose, Enter to insert.";
    }

    // What the choice would replace, from the text as it is now: [start, end, typed], or null.
    function current() {
      var before = field.value.slice(0, field.selectionStart);
      var match = (kind === "people" ? MENTION : TAG).exec(before);
      if (!match || (kind === "tags" && !match[2])) return null;
      var typed = match[2];
      var end = field.selectionStart;
      if (kind === "tags") {
        // The whole tag under the caret (up to the next comma).
        var rest = field.value.slice(end);
        var comma = rest.indexOf(",");
        end += comma < 0 ? rest.length : comma;
      }
      return [field.selectionStart - typed.length - (kind === "people" ? 1 : 0), end, typed];
    }

    function lookUp() {
      var now = current();
      if (!now) {
        close();
        asked = null;
        return;
      }
      var typed = now[2];
      var url = kind === "people" ? "/api/v1/people/suggestions?q=" : "/api/v1/tags/suggestions?q=";
      url += encodeURIComponent(typed);
      var thread = field.getAttribute("data-thread");
      if (kind === "people" && thread) url += "&thread=" + encodeURIComponent(thread);
      if (url === asked) return;
      asked = url;
      if (pending) pending.abort();
      pending = window.AbortController ? new AbortController() : null;
      fetch(url, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        signal: pending ? pending.signal : undefined,
      })
        .then(function (response) {
          if (!response.ok) throw new Error("suggestions: " + response.status);
          return response.json();
        })
        .then(function (data) {
          var now = current();
          // Only for what is typed now (a later lookup follows any change).
          if (document.activeElement === field && now && now[2] === typed) render(data.items || []);
        })
        .catch(function (error) {
          if (error.name !== "AbortError") close();
        });
    }

    field.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(lookUp, DELAY_MS);
    });
    field.addEventListener("keydown", function (event) {
      if (list.hidden || !items.length) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        var step = event.key === "ArrowDown" ? 1 : -1;
        mark((active + step + items.length) % items.length);
      } else if ((event.key === "Enter" || event.key === "Tab") && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        close();
      }
    });
    field.addEventListener("blur", function () {
      window.setTimeout(close, 100);
    });
  }

  document.querySelectorAll("textarea[data-editor]").forEach(function (area) { setup(area, "people"); });
  document.querySelectorAll('input[data-suggest="tags"]').forEach(function (input) {
    input.setAttribute("autocomplete", "off");
    setup(input, "tags");
  });
})();
