// The dashboard's small script: the "New unit" dialog (no page reload) and the session page's
// live attendance list. Everything works without it, only less smoothly.
(function () {
  "use strict";

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // "New unit": open the dialog instead of following the link to /unit/create/.
  document.querySelectorAll("[data-open-dialog]").forEach(function (opener) {
    var dialog = document.getElementById(opener.getAttribute("data-open-dialog"));
    if (!dialog || typeof dialog.showModal !== "function") return;
    opener.addEventListener("click", function (event) {
      event.preventDefault();
      dialog.showModal();
      var first = dialog.querySelector("input:not([type=hidden])");
      if (first) first.focus();
    });
    dialog.querySelectorAll("[data-close-dialog]").forEach(function (button) {
      button.addEventListener("click", function () { dialog.close(); opener.focus(); });
    });
  });

  function showFieldErrors(form, errors) {
    var firstInvalid = null;
    form.querySelectorAll("[name]").forEach(function (input) {
      var error = document.getElementById("unit-" + input.name + "-error");
      if (!error) return;
      var messages = errors[input.name];
      if (messages && messages.length) {
        error.textContent = messages.join(" ");
        error.hidden = false;
        input.setAttribute("aria-invalid", "true");
        if (!firstInvalid) firstInvalid = input;
      } else {
        error.textContent = "";
        error.hidden = true;
        input.removeAttribute("aria-invalid");
      }
    });
    if (firstInvalid) firstInvalid.focus();
  }

  var unitForm = document.getElementById("new-unit-form");
  if (unitForm) {
    unitForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var general = document.getElementById("new-unit-error");
      general.hidden = true;
      var body = new URLSearchParams(new FormData(unitForm));
      fetch(unitForm.getAttribute("data-ajax"), {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken(unitForm), "X-Requested-With": "XMLHttpRequest", "Accept": "application/json" },
        body: body,
        credentials: "same-origin"
      }).then(function (response) {
        return response.json().then(function (data) { return { status: response.status, data: data }; });
      }).then(function (result) {
        if (result.status === 201 && result.data.success) {
          addUnit(result.data.unit);
          unitForm.reset();
          showFieldErrors(unitForm, {});
          unitForm.closest("dialog").close();
        } else if (result.data.errors) {
          showFieldErrors(unitForm, result.data.errors);
        } else {
          general.textContent = "Your session has expired. Reload the page and log in again.";
          general.hidden = false;
        }
      }).catch(function () {
        general.textContent = "The server could not be reached. Check your connection and try again.";
        general.hidden = false;
      });
    });
  }

  function addUnit(unit) {
    var list = document.getElementById("unit-list");
    var item = document.createElement("li");
    var link = document.createElement("a");
    link.href = "/unit/" + encodeURIComponent(unit.code) + "/";
    link.textContent = unit.code;
    var name = document.createElement("span");
    name.textContent = " " + unit.name;
    item.appendChild(link);
    item.appendChild(name);
    list.appendChild(item);
    document.getElementById("units-empty").hidden = true;
    var total = document.getElementById("total-units");
    if (total) total.textContent = String(list.children.length);
    var flash = document.createElement("div");
    flash.className = "flash flash-success";
    flash.setAttribute("role", "status");
    flash.textContent = "Unit " + unit.code + " created.";
    var main = document.getElementById("main");
    main.insertBefore(flash, main.firstChild);
  }

  // Session page: refresh the list every few seconds, without reloading. The server renders
  // the rows (the same template as the page); they are swapped in only when they changed and
  // the lecturer is not in the middle of a correction.
  var live = document.querySelector("[data-poll]");
  if (live) {
    var url = live.getAttribute("data-poll");
    var rows = document.getElementById("live-rows");
    var status = document.getElementById("session-status");
    var last = live.getAttribute("data-rows-digest");
    var refresh = function () {
      if (document.hidden) return;
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) return;
          if (status) status.textContent = data.availability;
          if (data.rows_digest === last) return;
          var busy = rows.contains(document.activeElement) || rows.querySelector("details[open]");
          if (busy) return;
          last = data.rows_digest;
          rows.innerHTML = data.rows_html;
        })
        .catch(function () { /* offline for a moment: try again next tick */ });
    };
    setInterval(refresh, 3000);
  }
})();

// Projector mode: swap in the new QR code when its window changes, and keep the count live.
(function () {
  "use strict";
  var screen = document.querySelector("[data-present]");
  if (!screen) return;
  var url = screen.getAttribute("data-present");
  var current = screen.getAttribute("data-window");
  var box = document.getElementById("present-qr");
  var count = document.getElementById("present-count");
  var tick = function () {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        count.textContent = String(data.count);
        if (String(data.window) !== current) {
          var svg = new DOMParser().parseFromString(data.svg, "image/svg+xml").documentElement;
          box.replaceChildren(document.importNode(svg, true));
          current = String(data.window);
          screen.setAttribute("data-window", current);
        }
      })
      .catch(function () { /* the next tick tries again */ });
  };
  setInterval(tick, 2000);
})();
