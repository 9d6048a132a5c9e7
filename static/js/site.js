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
