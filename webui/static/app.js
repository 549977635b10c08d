// Comfort only: every feature of the site works without this file.
(function () {
  "use strict";

  // "/" focuses the search field (unless the user is already typing somewhere).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    var tag = target && target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable)) return;
    var field = document.querySelector("input[data-shortcut='/']");
    if (field) {
      event.preventDefault();
      field.focus();
      field.select();
    }
  });

  function announce(button, text) {
    var original = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", original);
    button.textContent = text;
    window.setTimeout(function () { button.textContent = original; }, 2000);
  }

  function copy(text, button) {
    function done() { announce(button, "Copié !"); }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallback(text); done(); });
    } else {
      fallback(text);
      done();
    }
  }

  function fallback(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } catch (e) { /* nothing more we can do */ }
    document.body.removeChild(area);
  }

  // Copy buttons are hidden in the HTML and only shown when they can work.
  var buttons = document.querySelectorAll("button[data-copy], button[data-copy-target]");
  Array.prototype.forEach.call(buttons, function (button) {
    button.hidden = false;
    button.setAttribute("aria-live", "polite");
    button.addEventListener("click", function () {
      var text = button.getAttribute("data-copy");
      if (text === null) {
        var source = document.getElementById(button.getAttribute("data-copy-target"));
        text = source ? ("value" in source ? source.value : source.textContent) : "";
      }
      copy(text.trim(), button);
    });
  });

  // Selecting the whole export with one click on the textarea.
  Array.prototype.forEach.call(document.querySelectorAll("textarea[readonly]"), function (area) {
    area.addEventListener("focus", function () { area.select(); });
  });
})();
