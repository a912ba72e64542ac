// satsrail hosted checkout: live status, countdown, copy and WebLN.
// The page works without this script; it only makes it live.
(function () {
  "use strict";
  var root = document.getElementById("checkout");
  if (!root) return;
  var token = root.dataset.token;
  var statusEl = document.getElementById("status");

  function go(url) { window.location.assign(url); }

  // The page's words and digits, in its language (data-t-*, data-digits).
  function t(name, fallback) { return root.dataset[name] || fallback; }
  var digits = root.dataset.digits || "0123456789";
  function local(s) { return s.replace(/[0-9]/g, function (d) { return digits.charAt(Number(d)); }); }

  // Opened by pay.js (?embed=<origin>, which the server checked against the
  // merchant's allowed origins): tell that page, and only that origin, what
  // happened. Framed, pay.js takes the customer on; in a new tab, this page
  // still returns to success_url itself.
  var parentOrigin = root.dataset.parent;
  var framed = window.parent !== window;
  var host = parentOrigin ? (framed ? window.parent : window.opener) : null;
  var embedded = !!(host && framed);
  function tell(what, url) {
    if (!host) return;
    var msg = { type: "satsrail:" + what, checkout_id: token };
    if (url) msg.redirect_url = url;
    try { host.postMessage(msg, parentOrigin); } catch (e) { /* the page went away */ }
  }

  // In pay.js's overlay, Escape closes it even with the focus in here.
  if (embedded) {
    document.addEventListener("keydown", function (e) { if (e.key === "Escape") tell("close"); });
  }

  // A final page (paid, expired, cancelled) or the wallet-down page.
  if (root.dataset.final === "completed") {
    tell("completed", root.dataset.success);
    if (root.dataset.success && !embedded) setTimeout(function () { go(root.dataset.success); }, 1500);
    return;
  }
  if (root.dataset.retry) {
    setTimeout(function () { window.location.reload(); }, Number(root.dataset.retry) * 1000);
    return;
  }
  if (root.dataset.final) { tell(root.dataset.final); return; }

  var invoice = root.dataset.invoice;

  // Countdown to expires_at; at zero the server shows the expired page.
  var countdown = document.getElementById("countdown");
  var expires = Date.parse(root.dataset.expires);
  function tick() {
    var left = Math.max(0, Math.round((expires - Date.now()) / 1000));
    countdown.textContent = local(Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0"));
    if (left === 0) { clearInterval(timer); setTimeout(function () { window.location.reload(); }, 1000); }
  }
  var timer = setInterval(tick, 1000);
  tick();

  // Tap-to-copy of the invoice.
  var copy = document.getElementById("copy");
  var area = document.getElementById("invoice");
  function copyInvoice() {
    var done = function () { copy.textContent = t("tCopied", "Copied ✓"); setTimeout(function () { copy.textContent = t("tCopy", "Copy invoice"); }, 2000); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(invoice).then(done, function () { area.select(); document.execCommand("copy"); done(); });
    } else { area.select(); document.execCommand("copy"); done(); }
  }
  copy.hidden = false;
  copy.addEventListener("click", copyInvoice);
  document.querySelector(".qr").addEventListener("click", function (e) {
    // On a phone the QR opens the wallet; on a desktop a click copies too.
    copyInvoice();
  });

  // WebLN (e.g. Alby) when the browser has it.
  // (The button's id must not be "webln": browsers expose ids as window
  // properties, which would fake a WebLN provider.)
  var webln = document.getElementById("webln-pay");
  if (window.webln && typeof window.webln.enable === "function") {
    webln.hidden = false;
    webln.addEventListener("click", function () {
      window.webln.enable().then(function () { return window.webln.sendPayment(invoice); })
        .catch(function (err) { statusEl.textContent = t("tWeblnError", "Browser wallet: {error}").replace("{error}", err && err.message ? err.message : err); });
    });
  }

  // Simulate payment (test mode) without leaving the page.
  var sim = document.getElementById("simulate-form");
  if (sim) {
    sim.addEventListener("submit", function (e) {
      e.preventDefault();
      fetch(sim.action, { method: "POST", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); }).then(show)
        .catch(function () { sim.submit(); });
    });
  }

  // Live status: server-sent events, with polling of /status as fallback.
  var finished = false;
  var es = null;
  // Cancelling leaves for cancel_url: stop listening, or the "cancelled"
  // status would reload this page over the redirect.
  var cancelForm = document.querySelector("form.cancel");
  if (cancelForm) {
    cancelForm.addEventListener("submit", function (e) {
      finished = true;
      if (es) es.close();
      if (!host) return;
      // Opened by pay.js: cancel here and show the cancelled page, which
      // tells the embedding page; it decides where the customer goes.
      e.preventDefault();
      fetch(cancelForm.action, { method: "POST", redirect: "manual" })
        .catch(function () {}).then(function () { window.location.reload(); });
    });
  }
  function show(st) {
    if (finished || !st || !st.status) return;
    if (st.status === "completed") {
      finished = true;
      clearInterval(timer);
      root.classList.add("is-paid");
      statusEl.className = "paid";
      statusEl.textContent = t("tPaid", "Paid ✓");
      // data-success, not st.redirect_url: the page's own carries the
      // language the customer chose to the gateway's thank-you page.
      var note = document.getElementById("returning");
      if (note) note.hidden = false;
      tell("completed", root.dataset.success || st.redirect_url);
      if (!embedded) setTimeout(function () { go(root.dataset.success || st.redirect_url); }, 1500);
    } else if (st.status === "expired" || st.status === "cancelled") {
      finished = true;
      window.location.reload();
    }
  }
  // The invoice is on screen: pay.js stops showing "Loading…".
  tell("loaded");

  var base = "/checkout/" + encodeURIComponent(token);
  function poll() {
    if (finished) return;
    fetch(base + "/status", { headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); }).then(show).catch(function () {})
      .then(function () { setTimeout(poll, 3000); });
  }
  if (window.EventSource) {
    es = new EventSource(base + "/events");
    var failures = 0;
    es.addEventListener("status", function (e) { failures = 0; show(JSON.parse(e.data)); if (finished) es.close(); });
    es.onerror = function () {
      if (++failures >= 3 && !finished) { es.close(); poll(); }
    };
  } else {
    poll();
  }
})();
