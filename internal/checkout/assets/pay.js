/* satsrail pay.js: a "Pay with Bitcoin ⚡" button for any web page.
   <script src="https://<gateway>/js/pay.js" data-key="pk_test_..." data-product="latte"></script>
   Plain JS, no build step, no dependency. See the README's pay.js section. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) return;
  var base = new URL(script.src).origin;
  var d = script.dataset;
  var P = "satsrail-";

  // Default looks, restylable: every rule is :where(), so any selector of
  // the page wins. A constructed sheet needs no 'unsafe-inline' in the
  // page's CSP; older browsers get a <style>, or the browser's own button.
  var css =
    ":where(.satsrail-pay-btn){font:600 16px/1.2 system-ui,sans-serif;padding:.7em 1.2em;border:0;border-radius:8px;background:#f7931a;color:#111;cursor:pointer}" +
    ":where(.satsrail-pay-btn:disabled){opacity:.6;cursor:default}" +
    ":where(.satsrail-pay-btn.satsrail-error){background:#ddd;color:#700}" +
    ":where(.satsrail-overlay){position:fixed;inset:0;z-index:2147483647;background:rgba(0,0,0,.6);display:flex;align-items:center;justify-content:center}" +
    ":where(.satsrail-dialog){position:relative;width:min(440px,100vw);height:min(720px,100vh);background:#fff;border-radius:12px;overflow:hidden}" +
    ":where(.satsrail-dialog iframe){position:relative;border:0;width:100%;height:100%}" +
    ":where(.satsrail-close){position:absolute;top:6px;right:6px;z-index:1;font:24px/1 system-ui,sans-serif;width:40px;height:40px;border:0;border-radius:50%;background:#eee;cursor:pointer}" +
    ":where(.satsrail-loading){position:absolute;inset:0;display:flex;align-items:center;justify-content:center;font:16px system-ui,sans-serif;color:#555}";
  if (!window.__satsrailStyled) {
    window.__satsrailStyled = true;
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      document.adoptedStyleSheets = document.adoptedStyleSheets.concat(sheet);
    } catch (e) {
      var st = document.createElement("style");
      st.textContent = css;
      document.head.appendChild(st);
    }
  }

  var btn = document.createElement("button");
  btn.type = "button";
  btn.className = P + "pay-btn";
  btn.textContent = "Pay with Bitcoin ⚡";
  script.parentNode.insertBefore(btn, script.nextSibling);

  // emit tells the page: a DOM event on the button (it bubbles; cancelable,
  // so the page can keep the customer where they are).
  function emit(type, detail) {
    return btn.dispatchEvent(new CustomEvent("satsrail:" + type, { bubbles: true, cancelable: true, detail: detail }));
  }
  function fail(why) {
    btn.disabled = true;
    btn.classList.add(P + "error");
    btn.textContent = "Bitcoin payment unavailable";
    btn.title = why;
    console.error("satsrail pay.js: " + why);
    emit("error", { message: why });
  }

  var key = d.key || "";
  if (/^sk_/.test(key)) {
    return fail("data-key is a secret key (sk_...). Never put a secret key in a web page: roll it now in the dashboard, " +
      "and use your publishable key (pk_live_... or pk_test_...) here. No request was made.");
  }
  if (!/^pk_(live|test)_[0-9A-Za-z]+$/.test(key)) {
    return fail("data-key must be a publishable key (pk_live_... or pk_test_...). No request was made.");
  }
  var mode = d.mode || "iframe";
  if (!/^(iframe|new_tab|redirect)$/.test(mode)) return fail("data-mode must be iframe, new_tab or redirect.");
  var cs = { currency: (d.currency || "usd").toLowerCase() };
  if (d.product && !d.amount) {
    cs.line_items = [{ product_id: d.product, quantity: 1 }];
    if (!d.currency) delete cs.currency;
  } else if (d.amount && !d.product && /^[1-9][0-9]*$/.test(d.amount)) {
    cs.amount_cents = Number(d.amount);
  } else {
    return fail("give either data-product (a product's slug) or data-amount (a whole number of cents, with data-currency).");
  }
  // Back from a redirect or new-tab payment (?checkout_id=cs_...): tell the
  // page, once, after the gateway confirmed the session is paid. (A page
  // that ships goods must still verify it server-side with its secret key.)
  var back = new URLSearchParams(location.search).get("checkout_id");
  if (back && /^cs_[0-9A-Za-z]+$/.test(back) && !window.__satsrailBack) {
    window.__satsrailBack = true;
    fetch(base + "/checkout/" + back + "/status").then(function (r) { return r.json(); }).then(function (st) {
      if (st.status === "completed") {
        window.postMessage({ type: "satsrail:completed", checkout_id: back }, location.origin);
        emit("completed", { checkout_id: back });
      }
    }).catch(function () {});
  }

  var here = location.href.split("#")[0];
  cs.success_url = d.successUrl || here;
  cs.cancel_url = d.cancelUrl || here;

  var overlay = null, frame = null, popup = null;

  function close() {
    if (!overlay) return;
    overlay.remove();
    document.removeEventListener("keydown", onKey, true);
    document.removeEventListener("focusin", onFocus, true);
    overlay = frame = null;
    btn.focus();
  }
  function onKey(e) {
    if (e.key === "Escape") { e.preventDefault(); close(); emit("closed", {}); }
  }
  // Focus stays in the dialog: leaving it (Tab past its ends) comes back.
  function onFocus(e) {
    if (overlay && !overlay.contains(e.target)) overlay.querySelector("button").focus();
  }

  function open(url) {
    overlay = document.createElement("div");
    overlay.className = P + "overlay";
    var dialog = document.createElement("div");
    dialog.className = P + "dialog";
    dialog.setAttribute("role", "dialog");
    dialog.setAttribute("aria-modal", "true");
    dialog.setAttribute("aria-label", "Pay with Bitcoin");
    var x = document.createElement("button");
    x.type = "button";
    x.className = P + "close";
    x.setAttribute("aria-label", "Close");
    x.textContent = "×";
    x.onclick = function () { close(); emit("closed", {}); };
    var loading = document.createElement("div");
    loading.className = P + "loading";
    loading.textContent = "Loading…";
    frame = document.createElement("iframe");
    frame.title = "Bitcoin Lightning checkout";
    frame.allow = "clipboard-write";
    frame.src = url;
    // Two sentinels close the Tab ring around the close button and the page.
    var first = document.createElement("span"), last = document.createElement("span");
    first.tabIndex = last.tabIndex = 0;
    first.onfocus = function () { frame.focus(); };
    last.onfocus = function () { x.focus(); };
    dialog.append(first, x, loading, frame, last);
    overlay.append(dialog);
    overlay.onclick = function (e) { if (e.target === overlay) { close(); emit("closed", {}); } };
    document.body.append(overlay);
    document.addEventListener("keydown", onKey, true);
    document.addEventListener("focusin", onFocus, true);
    x.focus();
  }

  // What the hosted page tells us: only from the gateway's origin, and only
  // from the window this button opened.
  window.addEventListener("message", function (e) {
    var m = e.data;
    if (e.origin !== base || !m || typeof m.type !== "string" || m.type.indexOf("satsrail:") !== 0) return;
    if (!(frame && e.source === frame.contentWindow) && !(popup && e.source === popup)) return;
    var type = m.type.slice(9), detail = { checkout_id: m.checkout_id }, framed = !popup;
    if (type === "close") {
      close();
      emit("closed", detail);
    } else if (type === "completed" || type === "cancelled" || type === "expired") {
      // Expired stays on screen (it says so); the others close the overlay
      // and, unless the page prevents it, go where the merchant said.
      if (type !== "expired") close();
      var go = emit(type, detail);
      if (go && framed && type === "completed" && m.redirect_url) location.assign(m.redirect_url);
      if (go && framed && type === "cancelled" && d.cancelUrl) location.assign(d.cancelUrl);
    }
  });

  btn.addEventListener("click", function () {
    if (btn.disabled) return;
    btn.disabled = true;
    btn.setAttribute("aria-busy", "true");
    // A tab opened now, in the click, is not blocked as a pop-up.
    var tab = mode === "new_tab" ? window.open("", "_blank") : null;
    fetch(base + "/api/v1/checkout_sessions", {
      method: "POST",
      headers: { "Authorization": "Bearer " + key, "Content-Type": "application/json" },
      body: JSON.stringify({ checkout_session: cs })
    }).then(function (r) {
      return r.json().then(function (b) {
        if (!r.ok) {
          var e = b.error || {};
          throw new Error((e.message || "HTTP " + r.status) + (e.details || []).map(function (f) { return " " + f.field + " " + f.message + "."; }).join(""));
        }
        return b;
      });
    }, function () {
      throw new Error("the gateway did not answer, or refused this page: is " + location.origin +
        " one of the merchant's allowed origins (Dashboard → Settings)?");
    }).then(function (s) {
      btn.disabled = false;
      btn.removeAttribute("aria-busy");
      var page = new URL(s.checkout_url, base).href, url = page + "?embed=" + encodeURIComponent(location.origin);
      if (mode === "redirect") return location.assign(page);
      if (mode === "new_tab") {
        popup = tab;
        if (tab) tab.location = url; else location.assign(page);
        return;
      }
      open(url);
    }).catch(function (err) {
      if (tab) tab.close();
      btn.disabled = false;
      btn.removeAttribute("aria-busy");
      console.error("satsrail pay.js: could not start the checkout: " + err.message);
      emit("error", { message: err.message });
    });
  });
})();
