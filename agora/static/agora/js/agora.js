// Agora's own page script: loaded from static files (the CSP forbids inline code).
(function () {
  "use strict";

  // Tell the server the browser's time zone once, so times render in the visitor's zone.
  function sendTimezone() {
    var body = document.body;
    if (!body || body.dataset.tzKnown === "1" || !window.Intl || !window.fetch) return;
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone) return;
    var headers = JSON.parse(body.getAttribute("hx-headers") || "{}");
    headers["Content-Type"] = "application/x-www-form-urlencoded";
    fetch(body.dataset.settzUrl, {
      method: "POST",
      headers: headers,
      credentials: "same-origin",
      body: "timezone=" + encodeURIComponent(zone),
    }).catch(function () {});
  }

  // Close an open dropdown when the visitor clicks elsewhere or presses Escape.
  function closeDropdowns(except) {
    document.querySelectorAll("details.dropdown[open]").forEach(function (d) {
      if (d !== except) d.removeAttribute("open");
    });
  }

  document.addEventListener("click", function (event) {
    closeDropdowns(event.target.closest && event.target.closest("details.dropdown"));
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closeDropdowns(null);
  });
  document.addEventListener("DOMContentLoaded", sendTimezone);
})();
