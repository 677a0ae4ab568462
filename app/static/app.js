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

})();

// The live feed of a session, shared by the session page and the projector: Server-Sent
// Events (the browser reconnects by itself and resumes after the last event it saw), or, where
// they are missing, a poll every few seconds for the changes since a cursor. Neither re-reads
// the list: the server's one Firestore listener per session pushes what changed.
function liveFeed(events, changes, handlers, state) {
  "use strict";
  var show = function (text, live) {
    if (!state) return;
    state.textContent = text;
    state.className = "live-state " + (live ? "live-on" : "live-off");
  };
  var dispatch = function (kind, data) { if (handlers[kind]) handlers[kind](data); };
  if (window.EventSource) {
    var source = new EventSource(events);
    ["snapshot", "mark", "session", "status"].forEach(function (kind) {
      source.addEventListener(kind, function (message) {
        var data = JSON.parse(message.data);
        if (kind === "snapshot" || kind === "status") show(data.live ? "Live" : "Reconnecting…", data.live);
        dispatch(kind, data);
      });
    });
    source.addEventListener("open", function () { show("Live", true); });
    source.addEventListener("error", function () { show("Reconnecting…", false); });
    return;
  }
  var cursor = "";
  var poll = function () {
    fetch(changes + (cursor === "" ? "" : "?since=" + cursor), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { show("Reconnecting…", false); return; }
        show("Live (checked every few seconds)", true);
        data.events.forEach(function (event) { dispatch(event.kind, event.data); });
        cursor = String(data.next);
      })
      .catch(function () { show("Reconnecting…", false); });
  };
  poll();
  setInterval(poll, 3000);
}

// Session page: the list follows the feed in place, without a reload.
(function () {
  "use strict";
  var live = document.querySelector("#attendance[data-events]");
  if (!live) return;
  var rows = document.getElementById("live-rows");
  var badge = document.getElementById("session-status");
  var fragment = function (html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  };
  var session = function (data) {
    if (!data || !badge) return;
    badge.textContent = data.availability;
    badge.className = "badge badge-" + data.state;
  };
  liveFeed(live.getAttribute("data-events"), live.getAttribute("data-changes"), {
    snapshot: function (data) { rows.innerHTML = data.rows_html; session(data.session); },
    session: session,
    mark: function (data) {
      document.getElementById("live-counts").innerHTML = data.counts_html;
      var row = fragment(data.row_html);
      var old = document.getElementById("mark-" + data.key);
      if (old) {
        old.replaceWith(row);
      } else if (row) {
        document.getElementById("attendance-rows").prepend(row);
        document.getElementById("attendance-empty").hidden = true;
      }
      if (data.absent) {
        var absentee = document.getElementById("absent-" + data.key);
        if (data.absent.op === "remove" && absentee) absentee.remove();
        var list = document.getElementById("absent-rows");
        if (data.absent.op === "add" && data.absent.html && list && !absentee) list.append(fragment(data.absent.html));
        var count = document.getElementById("absent-count");
        if (count) count.textContent = String(data.absent_count);
      }
    },
  }, document.getElementById("live-state"));
})();

// Projector mode: the count and the session's state from the live feed; a rotating code is
// fetched again only when its window ends.
(function () {
  "use strict";
  var screen = document.querySelector("[data-present]");
  if (!screen) return;
  var count = document.getElementById("present-count");
  var closed = document.getElementById("present-closed");
  var box = document.getElementById("present-qr");
  liveFeed(screen.getAttribute("data-events"), screen.getAttribute("data-changes"), {
    snapshot: function (data) { count.textContent = String(data.present); closed.hidden = data.session.is_open; },
    mark: function (data) { count.textContent = String(data.present); },
    session: function (data) { closed.hidden = data.is_open; },
  }, document.getElementById("live-state"));
  if (screen.getAttribute("data-rotating") !== "true") return;
  var url = screen.getAttribute("data-present");
  var next = function (seconds) {
    setTimeout(function () {
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) { next(2); return; }
          var svg = new DOMParser().parseFromString(data.svg, "image/svg+xml").documentElement;
          box.replaceChildren(document.importNode(svg, true));
          next(Math.max(1, data.seconds_left));
        })
        .catch(function () { next(2); });
    }, seconds * 1000);
  };
  next(Number(screen.getAttribute("data-seconds-left")) || 1);
})();
