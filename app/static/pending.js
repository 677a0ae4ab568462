// A pending mark: sent again by itself, with backoff, while the page is open; kept in the
// browser's storage so opening the page again resumes. When it lands, the browser follows the
// server's redirect to the usual result page.
(function () {
  "use strict";
  var form = document.getElementById("pending-form");
  if (!form || !window.fetch) return;
  var status = document.getElementById("pending-status");
  var key = "pending-mark:" + document.getElementById("pending").getAttribute("data-session");
  var token = form.querySelector("input[name=pending]").value;
  try { window.localStorage.setItem(key, token); } catch (e) { /* private mode: the page still works */ }
  var delay = 5;
  var attempt = function () {
    status.textContent = "Sending again…";
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "pending=" + encodeURIComponent(token),
    }).then(function (response) {
      if (response.redirected || (response.ok && response.url.indexOf("/done/") !== -1)) {
        try { window.localStorage.removeItem(key); } catch (e) { /* nothing kept */ }
        window.location.assign(response.url);
        return;
      }
      if (response.status === 503) return schedule();
      // Refused for good (too old, closed, changed): show the server's page.
      try { window.localStorage.removeItem(key); } catch (e) { /* nothing kept */ }
      return response.text().then(function (html) { document.open(); document.write(html); document.close(); });
    }).catch(schedule);
  };
  var schedule = function () {
    status.textContent = "Not recorded yet. Trying again in " + delay + " s.";
    setTimeout(attempt, delay * 1000);
    delay = Math.min(delay * 2, 60);
  };
  schedule();
})();
