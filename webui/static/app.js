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
  // -- the newsletter selection ---------------------------------------------------------------
  // The server keeps it in a cookie and the forms work without this script; here, each tick is
  // saved at once (so that a click on a facet or a page number loses nothing) and the counter,
  // boxes and buttons follow the cookie when "back" shows a page from the cache.

  function cookieIds() {
    var match = document.cookie.match(/(?:^|;\s*)kb_selection=([^;]*)/);
    if (!match) return [];
    return match[1].replace(/"/g, "").split(".").filter(function (id) { return /^[0-9a-f]{8,64}$/.test(id); });
  }

  function render(ids) {
    Array.prototype.forEach.call(document.querySelectorAll("[data-sel-count]"), function (counter) {
      var n = counter.querySelector(".n");
      if (n && n.textContent === String(ids.length)) return;  // unchanged: nothing to announce
      var plural = ids.length > 1 ? "s" : "";
      var number = document.createElement("span");
      number.className = "n";
      number.textContent = String(ids.length);
      var words = document.createElement("span");
      words.className = "visually-hidden";
      words.textContent = " document" + plural + " sélectionné" + plural;
      counter.replaceChildren(number, words);
    });
    Array.prototype.forEach.call(document.querySelectorAll(".select-form input[type=checkbox][name=sel]"), function (box) {
      box.checked = ids.indexOf(box.value) !== -1;
    });
    Array.prototype.forEach.call(document.querySelectorAll("form[data-sel-toggle]"), function (form) {
      var id = form.getAttribute("data-sel-toggle");
      var field = form.querySelector("input[name=ajouter], input[name=retirer]");
      var button = form.querySelector("button");
      var selected = ids.indexOf(id) !== -1;
      if (field) field.name = selected ? "retirer" : "ajouter";
      if (button) button.textContent = selected ? "Retirer de la sélection" : "Ajouter à la sélection";
    });
  }

  // Sends one change; on any failure, the form is submitted the ordinary way, and the page
  // that comes back says what went wrong (a full selection, for instance).
  function send(data, fallbackForm) {
    // The form's own action: the server's address for a change, under any prefix.
    return fetch(fallbackForm.action, {
      method: "POST", body: data, credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    }).then(function (answer) {
      render(answer.ids);
    }).catch(function () {
      fallbackForm.submit();
    });
  }

  // Changes go one after the other: each answer sets the whole cookie from the one its request
  // carried, so two in flight at once could lose a tick. A form leaving the page waits for them.
  var queue = Promise.resolve();
  var pending = 0;
  function enqueue(data, form) {
    pending += 1;
    queue = queue.then(function () { return send(data, form); }).then(function () { pending -= 1; });
  }

  Array.prototype.forEach.call(document.querySelectorAll(".select-form"), function (form) {
    form.addEventListener("change", function (event) {
      var box = event.target;
      if (!box || box.name !== "sel" || box.type !== "checkbox") return;
      var data = new FormData();
      data.append(box.checked ? "ajouter" : "retirer", box.value);
      enqueue(data, form);
    });
    form.addEventListener("submit", function (event) {
      if (pending === 0) return;
      event.preventDefault();
      var submitter = event.submitter;
      queue.then(function () { form.requestSubmit(submitter); });
    });
  });

  Array.prototype.forEach.call(document.querySelectorAll("form[data-sel-toggle]"), function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      enqueue(new FormData(form), form);
    });
  });

  // Saving buttons and their hint only matter without this script.
  Array.prototype.forEach.call(document.querySelectorAll(".js-hide"), function (element) {
    element.hidden = true;
  });

  window.addEventListener("pageshow", function () { render(cookieIds()); });
})();
