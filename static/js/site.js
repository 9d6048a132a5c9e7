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
  // Invitation links: select the whole link on focus so it is easy to copy.
  document.querySelectorAll("input.copy-link").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });
})();
