// While someone types a question title, list what has been asked before (the ask form works
// without this file). The title input names the endpoint in data-similar-url and the list's
// element in data-similar-list.
(function () {
  "use strict";
  var input = document.querySelector("input[data-similar-url]");
  if (!input || !window.fetch) return;
  var box = document.getElementById(input.getAttribute("data-similar-list") || "");
  if (!box) return;
  var endpoint = input.getAttribute("data-similar-url");
  var DELAY_MS = 300;
  var MIN_CHARS = 4;
  var timer = null;
  var pending = null;
  var shown = null;

  function hide() {
    box.hidden = true;
    box.textContent = "";
  }

  function badge(text, className) {
    var span = document.createElement("span");
    span.className = className;
    span.textContent = text;
    return span;
  }

  function render(items) {
    box.textContent = "";
    if (!items.length) {
      box.hidden = true;
      return;
    }
    var heading = document.createElement("h2");
    heading.textContent = "Already asked? These look similar:";
    var list = document.createElement("ul");
    items.forEach(function (item) {
      var li = document.createElement("li");
      if (item.type === "article") li.appendChild(badge("Article", "badge kind-article"));
      else if (item.solved) li.appendChild(badge("Solved", "badge solved"));
      if (li.firstChild) li.appendChild(document.createTextNode(" "));
      var link = document.createElement("a");
      link.href = item.url;
      link.textContent = item.title; // plain text from the API: never parsed as HTML
      link.target = "_blank"; // keep the question being written
      link.rel = "noopener";
      li.appendChild(link);
      list.appendChild(li);
    });
    box.appendChild(heading);
    box.appendChild(list);
    box.hidden = false;
  }

  function lookUp() {
    var title = input.value.trim();
    if (title === shown) return;
    if (pending) pending.abort();
    if (title.replace(/\s+/g, "").length < MIN_CHARS) {
      shown = title;
      hide();
      return;
    }
    pending = window.AbortController ? new AbortController() : null;
    fetch(endpoint + "?title=" + encodeURIComponent(title), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      signal: pending ? pending.signal : undefined,
    })
      .then(function (response) {
        if (!response.ok) throw new Error("similar questions: " + response.status);
        return response.json();
      })
      .then(function (data) {
        shown = title;
        render(data.items || []);
      })
      .catch(function (error) {
        if (error.name !== "AbortError") hide();
      });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(lookUp, DELAY_MS);
  });
  if (input.value.trim()) lookUp(); // the form came back with errors: show the list again
})();
