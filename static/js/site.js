// Small enhancements only: every page works without this file.
(function () {
  "use strict";
  // A second click on a submit button while the first request is on its way would post twice.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.method.toLowerCase() !== "post") return;
    window.setTimeout(function () {
      form.querySelectorAll("button").forEach(function (button) { button.disabled = true; });
    }, 0);
  });
  // Coming back with the browser's Back button must not leave the buttons disabled.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form button[disabled]").forEach(function (button) { button.disabled = false; });
  });
  // A save button that says what it will do: "Save draft" while Draft is chosen.
  document.querySelectorAll("button[data-label-draft]").forEach(function (button) {
    var select = button.form && button.form.querySelector('select[name="state"]');
    if (!select) return;
    select.addEventListener("change", function () {
      button.textContent = button.getAttribute(select.value === "draft" ? "data-label-draft" : "data-label-published");
    });
  });
  // A file over the size limit is refused before it is sent (the server refuses it too, beside
  // the field): nobody waits for megabytes to upload only to hear they were too many.
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    input.addEventListener("change", function () {
      var max = Number(input.getAttribute("data-max-bytes"));
      var file = input.files && input.files[0];
      input.setCustomValidity(file && file.size > max
        ? "The image is too large (at most " + Math.floor(max / 1024).toLocaleString("en") + " KB)." : "");
      input.reportValidity();
    });
  });
  // The phone header: "Menu" opens and closes the navigation (CSS folds it on narrow screens only).
  var toggle = document.querySelector(".menu-toggle");
  var menu = document.getElementById("site-menu");
  if (toggle && menu) {
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      menu.classList.toggle("open", open);
      if (open) {
        var first = menu.querySelector("a, button, input");
        if (first) first.focus();
      }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.classList.contains("open")) {
        toggle.setAttribute("aria-expanded", "false");
        menu.classList.remove("open");
        toggle.focus();
      }
    });
  }
  // Tables on a phone become one card per row (static/css/site.css); each cell is labelled with its
  // column's heading so the card still says what each value is.
  function labelCells(table, heads) {
    table.querySelectorAll("tbody tr").forEach(function (row) {
      Array.prototype.forEach.call(row.children, function (cell, i) {
        if (heads[i] && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", heads[i]);
      });
    });
  }
  function labelTables() {
    document.querySelectorAll("main table").forEach(function (table) {
      var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
        return th.textContent.trim();
      });
      if (heads.length) labelCells(table, heads);
    });
  }
  labelTables();
  // Rows and tables that arrive live (the review queue) are labelled too.
  var main = document.querySelector("main");
  if (main && window.MutationObserver) {
    new MutationObserver(labelTables).observe(main, { childList: true, subtree: true });
  }
  // Code blocks that scroll sideways are reachable with the keyboard (Tab, then arrow keys).
  document.querySelectorAll(".body pre, .body table").forEach(function (block) {
    if (!block.hasAttribute("tabindex")) block.setAttribute("tabindex", "0");
  });
  // Times: "3 hours ago" on the page, the exact time in the reader's own time zone on hover (and
  // for screen readers through the title); relative ones stay current while the page is open.
  var RELATIVE = /(ago|just now)$/;
  var exact = window.Intl && Intl.DateTimeFormat
    ? new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "short" }) : null;
  function ago(seconds) {
    var units = [["year", 31536000], ["month", 2592000], ["day", 86400], ["hour", 3600], ["minute", 60]];
    for (var i = 0; i < units.length; i++) {
      var n = Math.floor(seconds / units[i][1]);
      if (n >= 1) return n + " " + units[i][0] + (n > 1 ? "s" : "") + " ago";
    }
    return "just now";
  }
  function refreshTimes() {
    document.querySelectorAll("time[datetime]").forEach(function (el) {
      var when = Date.parse(el.getAttribute("datetime"));
      if (isNaN(when)) return;
      if (exact && !el.hasAttribute("data-exact")) {
        el.setAttribute("data-exact", "");
        el.title = exact.format(new Date(when));
      }
      if (RELATIVE.test(el.textContent.trim())) el.textContent = ago(Math.max(0, (Date.now() - when) / 1000));
    });
  }
  refreshTimes();
  window.setInterval(refreshTimes, 60000);
  // Invitation links: select the whole link on focus so it is easy to copy.
  document.querySelectorAll("input.copy-link").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });
  // Copy buttons (type="button", hidden until this script shows them): copy the named field.
  document.querySelectorAll("button.copy-button[data-copy]").forEach(function (button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    if (!input) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function () { button.textContent = "Copied"; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
      } else {
        input.select();
        if (document.execCommand("copy")) done();
      }
    });
  });
})();
