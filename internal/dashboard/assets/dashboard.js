// satsrail dashboard: small enhancements only; every page works without it.
// No HTML is built from strings (the CSP enforces Trusted Types).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Times: show them in the viewer's time zone; the title keeps UTC.
  var fmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var d = new Date(el.getAttribute("datetime"));
    if (!isNaN(d)) { el.textContent = fmt.format(d); }
  });
  // Copy buttons next to secrets and links shown once.
  if (navigator.clipboard) {
    document.querySelectorAll("button.copy[data-copy]").forEach(function (btn) {
      btn.hidden = false;
      btn.addEventListener("click", function () {
        navigator.clipboard.writeText(btn.getAttribute("data-copy")).then(function () {
          btn.textContent = "Copied";
        });
      });
    });
  }
});
