// The attendance form, when the phone's own connection fails: the submit is kept in this
// browser and sent when the connection returns (while the form's token is still good), and the
// student sees "waiting for a connection" rather than a browser error page. Without this
// script the form works as a plain POST.
(function () {
  "use strict";
  var form = document.querySelector("form[data-attend]");
  if (!form || !window.fetch || !window.FormData) return;
  var key = "queued-mark:" + form.getAttribute("data-attend");
  var status = document.getElementById("attend-status");
  var show = function (text) { status.textContent = text; status.hidden = !text; };
  var body = function () { return new URLSearchParams(new FormData(form)).toString(); };
  var send = function (payload) {
    show("Sending…");
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: payload,
    }).then(function (response) {
      try { window.localStorage.removeItem(key); } catch (e) { /* nothing kept */ }
      if (response.redirected) { window.location.assign(response.url); return; }
      // A page to show (a mistake to fix, "not recorded yet", "closed"): show it.
      return response.text().then(function (html) { document.open(); document.write(html); document.close(); });
    }).catch(function () {
      // Never reached the server: keep it and wait for the connection.
      try { window.localStorage.setItem(key, payload); } catch (e) { /* private mode */ }
      show("Waiting for a connection… your attendance will be sent as soon as this phone is back online. Keep this page open.");
    });
  };
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    send(body());
  });
  var resume = function () {
    var kept = null;
    try { kept = window.localStorage.getItem(key); } catch (e) { /* nothing kept */ }
    if (kept) send(kept);
  };
  window.addEventListener("online", resume);
  resume();
})();
