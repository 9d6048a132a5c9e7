// Images in the editor: paste one, drop one on the text box, or choose one with the toolbar's image
// button. Each is sent to POST /images (checked, cleaned and stored by the server) and its Markdown
// goes where the caret was, with a placeholder while it uploads. Without this file a post can
// still show an image from an https:// address written in Markdown.
(function () {
  "use strict";
  var editor = window.CommunityEditor;
  if (!editor || !window.fetch || !window.FormData) return;
  var TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"];
  var uploads = 0;
  var pending = 0; // uploads on their way: the form waits for them

  function status(area, text) {
    var box = area.form && area.form.querySelector(".editor-upload-status");
    if (box) box.textContent = text;
  }

  function send(area, file) {
    if (TYPES.indexOf(file.type) < 0) {
      status(area, "Only PNG, JPEG, GIF or WebP images can be added.");
      return;
    }
    var marker = "![Uploading " + (file.name || "image") + " #" + ++uploads + "…]()";
    var inserted = (area.selectionStart > 0 ? "\n" : "") + marker + "\n";
    editor.insertAtCursor(area, inserted);
    // A refused image leaves the text as it was: the placeholder goes with the lines it brought.
    var removePlaceholder = function () {
      var whole = area.value.indexOf(inserted);
      if (whole >= 0) {
        editor.replaceRange(area, whole, whole + inserted.length, "", 0, 0);
        return;
      }
      var at = area.value.indexOf(marker);
      if (at >= 0) editor.replaceRange(area, at, at + marker.length, "", 0, 0);
    };
    status(area, "Uploading " + (file.name || "the image") + "…");
    pending += 1;
    var finished = false;
    var done = function () {
      if (!finished) pending -= 1;
      finished = true;
    };
    var data = new FormData();
    data.append("image", file, file.name || "image.png");
    fetch("/images", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": editor.csrfToken(area.form), Accept: "application/json" },
      body: data,
    })
      .then(function (response) {
        return response.json().then(
          function (body) { return { ok: response.ok, status: response.status, body: body }; },
          function () { return { ok: false, status: response.status, body: null }; }
        );
      })
      .then(function (result) {
        done();
        if (!result.ok) {
          removePlaceholder();
          var reason = (result.body && result.body.error && (result.body.error.fields || {}).image) ||
            (result.status === 413
              ? (result.body && result.body.error && result.body.error.message) || "The image is too large."
              : "The image could not be added (" + result.status + ").");
          status(area, reason);
          return;
        }
        var at = area.value.indexOf(marker);
        if (at >= 0) {
          var caret = area.selectionStart;
          editor.replaceRange(area, at, at + marker.length, result.body.markdown, 0, 0);
          var moved = caret > at ? caret + result.body.markdown.length - marker.length : caret;
          area.setSelectionRange(moved, moved);
        } else {
          editor.insertAtCursor(area, result.body.markdown);
        }
        status(area, "Image added. Describe it in the brackets for people who cannot see it.");
      })
      .catch(function () {
        done();
        removePlaceholder();
        status(area, "The image could not be added: the connection failed.");
      });
  }

  function images(list) {
    return Array.prototype.filter.call(list || [], function (file) { return /^image\//.test(file.type); });
  }

  editor.editors.forEach(function (ed) {
    var area = ed.area;
    var box = document.createElement("p");
    box.className = "editor-upload-status help";
    box.setAttribute("role", "status");
    ed.field.appendChild(box);

    var picker = document.createElement("input");
    picker.type = "file";
    picker.accept = TYPES.join(",");
    picker.hidden = true;
    picker.tabIndex = -1;
    picker.setAttribute("aria-hidden", "true");
    picker.className = "editor-file";
    // No name: the file travels by fetch, never with the form itself.
    ed.field.appendChild(picker);
    picker.addEventListener("change", function () {
      images(picker.files).forEach(function (file) { send(area, file); });
      picker.value = "";
      area.focus();
    });
    editor.addTool(ed, "Image", "Image", function () { picker.click(); });

    // Sending the form now would post the "Uploading…" placeholder: wait. A capturing listener,
    // stopped here, so the draft is not marked as sent and the buttons stay usable.
    if (area.form) {
      area.form.addEventListener("submit", function (event) {
        if (pending <= 0) return;
        event.preventDefault();
        event.stopImmediatePropagation();
        status(area, "Please wait: an image is still uploading. Send the form once it is added.");
      }, true);
    }
    area.addEventListener("paste", function (event) {
      var files = images(event.clipboardData && event.clipboardData.files);
      if (!files.length) return;
      event.preventDefault();
      files.forEach(function (file) { send(area, file); });
    });
    area.addEventListener("dragover", function (event) {
      if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") >= 0) {
        event.preventDefault();
        area.classList.add("drop-target");
      }
    });
    area.addEventListener("dragleave", function () { area.classList.remove("drop-target"); });
    area.addEventListener("drop", function (event) {
      area.classList.remove("drop-target");
      var files = images(event.dataTransfer && event.dataTransfer.files);
      if (!files.length) return;
      event.preventDefault();
      area.focus();
      files.forEach(function (file) { send(area, file); });
    });
  });
})();
