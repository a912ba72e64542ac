package checkout_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/satsrail/satsrail/internal/browsertest"
	"github.com/satsrail/satsrail/internal/gateway"
)

// recorderJS is the merchant page's own script: it keeps, across the page's
// navigations (sessionStorage), every satsrail message the window gets,
// every satsrail DOM event, and the clicks on the button.
const recorderJS = `(function () {
  var log = JSON.parse(sessionStorage.getItem("log") || "[]");
  function add(e) { e.t = performance.now(); log.push(e); sessionStorage.setItem("log", JSON.stringify(log)); }
  window.satsrailLog = function () { return log; };
  window.addEventListener("message", function (e) {
    if (e.data && typeof e.data.type === "string" && e.data.type.indexOf("satsrail:") === 0)
      add({via: "message", origin: e.origin, type: e.data.type, checkout_id: e.data.checkout_id || ""});
  });
  ["completed", "cancelled", "expired", "closed", "error"].forEach(function (k) {
    document.addEventListener("satsrail:" + k, function (e) {
      add({via: "event", origin: "", type: e.type, checkout_id: (e.detail || {}).checkout_id || ""});
    });
  });
  document.addEventListener("click", function (e) {
    if (e.target.classList && e.target.classList.contains("satsrail-pay-btn")) add({via: "click", origin: "", type: "click", checkout_id: ""});
  }, true);
})();`

type logEntry struct {
	Via        string  `json:"via"`
	Origin     string  `json:"origin"`
	Type       string  `json:"type"`
	CheckoutID string  `json:"checkout_id"`
	T          float64 `json:"t"`
}

// shop is a merchant's site on its own origin (its own local port), with a
// strict CSP of its own that lets in only the gateway's script, API and
// frame: pay.js must work there without 'unsafe-inline'.
type shop struct {
	url string
}

func newShop(t *testing.T, gw string, pages map[string]string) *shop {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /rec.js", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, recorderJS)
	})
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	for path, body := range pages {
		mux.HandleFunc("GET "+path, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self' "+gw+"; connect-src "+gw+
				"; frame-src "+gw+"; style-src 'self'; img-src 'self'")
			fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>`+
				`<script src="/rec.js"></script></head><body><h1>Flat white</h1>%s</body></html>`, body)
		})
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &shop{url: srv.URL}
}

func payScript(gw string, attrs ...string) string {
	s := `<script src="` + gw + `/js/pay.js"`
	for i := 0; i+1 < len(attrs); i += 2 {
		s += " data-" + attrs[i] + `="` + html.EscapeString(attrs[i+1]) + `"`
	}
	return s + "></script>"
}

var reSessionID = regexp.MustCompile(`/checkout/(cs_[0-9A-Za-z]+)`)

// TestBrowserPayJS drives pay.js in a real headless Chromium: a merchant
// page on another origin embeds it; a click opens the hosted page in an
// overlay; "Simulate payment" there tells the merchant page
// satsrail:completed with the checkout id (postMessage and DOM event); the
// same through a full redirect and in a new tab (the opener is told); the
// overlay traps focus and closes on
// Escape; a page on an origin the merchant did not allow cannot frame the
// checkout; a secret key in data-key makes no request. It logs the time from
// the click to the invoice on screen, beside the same run's load of the
// hosted page on its own.
func TestBrowserPayJS(t *testing.T) {
	chromium := browsertest.Chromium(t)
	artifacts := browsertest.Artifacts(t)
	e := setup(t)
	ctx := context.Background()
	gw := e.url

	pr, err := e.svc.Authenticate(ctx, e.keys["sk_test"])
	if err != nil {
		t.Fatal(err)
	}
	name, price, slug := "Flat white", int64(450), "flat-white"
	if _, err := e.svc.CreateProduct(ctx, pr.Scope(), gateway.ProductParams{Name: &name, PriceCents: &price, Slug: &slug}); err != nil {
		t.Fatal(err)
	}
	pk, sk := e.keys["pk_test"], e.keys["sk_test"]
	s := newShop(t, gw, map[string]string{
		"/iframe":   payScript(gw, "key", pk, "amount", "5000", "currency", "usd", "mode", "iframe"),
		"/redirect": payScript(gw, "key", pk, "product", slug, "mode", "redirect"),
		"/newtab":   payScript(gw, "key", pk, "amount", "1234", "currency", "eur", "mode", "new_tab"),
		"/secret":   payScript(gw, "key", sk, "amount", "5000", "mode", "iframe"),
		"/frame":    `<iframe id="direct" title="checkout" width="400" height="600"></iframe>`,
	})
	// The merchant allows its shop only; the stranger's site is another port.
	e.allow(s.url)
	stranger := newShop(t, gw, map[string]string{
		"/frame": `<iframe id="direct" title="checkout" width="400" height="600"></iframe>`,
		"/pay":   payScript(gw, "key", pk, "amount", "5000", "mode", "iframe"),
	})

	ctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	browser := browsertest.Launch(t, ctx, chromium)

	readLog := func(tab *browsertest.Tab) []logEntry {
		t.Helper()
		return browsertest.Run(tab, "read the page's log", chromedp.Evaluate[[]logEntry](`window.satsrailLog ? satsrailLog() : []`))
	}
	// waitLog waits until the page's log has an entry of type via via.
	waitLog := func(tab *browsertest.Tab, via, typ string) logEntry {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			for _, l := range readLog(tab) {
				if l.Via == via && l.Type == typ {
					return l
				}
			}
		}
		t.Fatalf("the page never got %s %s; its log: %+v; console: %q", via, typ, readLog(tab), tab.Console.Take())
		return logEntry{}
	}
	// frameOf waits until the iframe sel holds a document of the gateway and
	// returns its node, to query inside it (FromNode).
	frameOf := func(tab *browsertest.Tab, sel string) *chromedp.Node {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			nodes := browsertest.Run(tab, "find the iframe", chromedp.Nodes(chromedp.CSS(sel)))
			if d := nodes[0].ContentDocument; d != nil && strings.HasPrefix(d.DocumentURL, gw+"/checkout/") {
				return nodes[0]
			}
		}
		t.Fatalf("the iframe %s never showed a gateway page; console %q", sel, tab.Console.Take())
		return nil
	}
	overlayFrame := func(tab *browsertest.Tab) *chromedp.Node { return frameOf(tab, ".satsrail-overlay iframe") }

	t.Run("iframe", func(t *testing.T) {
		tab := browsertest.Open(t, browser, chromedp.EmulateViewport(1280, 900))
		tab.Do("load the shop page", chromedp.Navigate(s.url+"/iframe"), chromedp.WaitVisible(chromedp.CSS(".satsrail-pay-btn")))
		if got := browsertest.Run(tab, "read the button", chromedp.Text(chromedp.CSS(".satsrail-pay-btn"))); got != "Pay with Bitcoin ⚡" {
			t.Errorf("button %q", got)
		}
		tab.Do("click the button", chromedp.Click(chromedp.CSS(".satsrail-pay-btn")))
		frame := overlayFrame(tab)
		src := frame.AttributeValue("src")
		m := reSessionID.FindStringSubmatch(src)
		if m == nil || !strings.HasPrefix(src, gw+"/checkout/") || !strings.Contains(src, "?embed="+url.QueryEscape(s.url)) {
			t.Fatalf("overlay iframe src %q", src)
		}
		id := m[1]
		tab.Do("see the invoice in the overlay", chromedp.WaitVisible(chromedp.CSS(".qr svg"), chromedp.FromNode(frame)))
		loaded := waitLog(tab, "message", "satsrail:loaded")
		if loaded.Origin != gw {
			t.Errorf("loaded came from %q, want the gateway %q", loaded.Origin, gw)
		}
		browsertest.Shot(t, tab, artifacts, "payjs-overlay.png", 1280)
		// The merchant's page with the overlay open passes axe-core (the
		// hosted page inside has its own checks): the button, the dialog,
		// its close button and the frame are named and reachable.
		if v := axeCheck(t, tab); len(v) > 0 {
			t.Errorf("axe: serious or critical violations with the overlay open: %+v", v)
		}

		// The dialog keeps the focus: Tab never leaves it.
		for i := range 4 {
			tab.Do("press Tab", chromedp.KeyEvent(kb.Tab))
			if !browsertest.Run(tab, "where is the focus", chromedp.Evaluate[bool](`!!document.activeElement.closest(".satsrail-overlay")`)) {
				t.Fatalf("after %d Tabs the focus left the dialog", i+1)
			}
		}

		sess := e.get(id)
		if sess.Status != gateway.StatusPending || sess.AmountCents != 5000 || sess.SuccessURL != s.url+"/iframe" || sess.CancelURL != s.url+"/iframe" {
			t.Fatalf("session %+v", sess)
		}
		tab.Do("click Simulate payment in the overlay", chromedp.Click(chromedp.ID("simulate"), chromedp.FromNode(frame)))
		// The page learns it, then (as nobody prevented it) goes to its success_url.
		want := s.url + "/iframe?checkout_id=" + id
		if at, ok := tab.WaitLocation(want); !ok {
			t.Fatalf("after paying the page is at %q, want %q; log %+v; console %q", at, want, readLog(tab), tab.Console.Take())
		}
		tab.Do("wait for the page", chromedp.WaitVisible(chromedp.CSS(".satsrail-pay-btn")))
		got := map[string]string{}
		for _, l := range readLog(tab) {
			if l.Type == "satsrail:completed" && got[l.Via] == "" {
				got[l.Via] = l.CheckoutID
				if l.Via == "message" && l.Origin != gw {
					t.Errorf("completed message from %q", l.Origin)
				}
			}
		}
		if got["message"] != id || got["event"] != id {
			t.Errorf("satsrail:completed by message %q and DOM event %q, want both %q", got["message"], got["event"], id)
		}
		if st := e.get(id).Status; st != gateway.StatusCompleted {
			t.Errorf("session %s after the payment", st)
		}
		tab.NoConsoleErrors("pay.js in an overlay")
	})

	t.Run("overlay controls", func(t *testing.T) {
		tab := browsertest.Open(t, browser, chromedp.EmulateViewport(390, 844))
		tab.Do("load the shop page", chromedp.Navigate(s.url+"/iframe"), chromedp.WaitVisible(chromedp.CSS(".satsrail-pay-btn")))
		overlays := func() int {
			return browsertest.Run(tab, "count overlays", chromedp.Evaluate[int](`document.querySelectorAll(".satsrail-overlay").length`))
		}
		// Escape on the merchant page closes the overlay.
		tab.Do("open the overlay", chromedp.Click(chromedp.CSS(".satsrail-pay-btn")))
		frame := overlayFrame(tab)
		tab.Do("wait for the page", chromedp.WaitVisible(chromedp.CSS(".qr svg"), chromedp.FromNode(frame)))
		if !browsertest.Run(tab, "focus on close", chromedp.Evaluate[bool](`document.activeElement.matches(".satsrail-close")`)) {
			t.Error("the dialog did not take the focus")
		}
		tab.Do("press Escape", chromedp.KeyEvent(kb.Escape))
		if n := overlays(); n != 0 {
			t.Fatalf("Escape left %d overlays", n)
		}
		waitLog(tab, "event", "satsrail:closed")
		if !browsertest.Run(tab, "focus back", chromedp.Evaluate[bool](`document.activeElement.matches(".satsrail-pay-btn")`)) {
			t.Error("closing did not give the focus back to the button")
		}
		// Escape with the focus inside the hosted page closes it too.
		tab.Do("open the overlay again", chromedp.Click(chromedp.CSS(".satsrail-pay-btn")))
		frame = overlayFrame(tab)
		tab.Do("focus the invoice in the hosted page", chromedp.WaitVisible(chromedp.CSS(".qr svg"), chromedp.FromNode(frame)),
			chromedp.Focus(chromedp.ID("invoice"), chromedp.FromNode(frame)), chromedp.KeyEvent(kb.Escape))
		for deadline := time.Now().Add(5 * time.Second); overlays() != 0; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("Escape inside the hosted page did not close the overlay")
			}
		}
		// Cancel on the hosted page: satsrail:cancelled, the session cancelled.
		tab.Do("open the overlay a third time", chromedp.Click(chromedp.CSS(".satsrail-pay-btn")))
		frame = overlayFrame(tab)
		id := reSessionID.FindStringSubmatch(frame.AttributeValue("src"))[1]
		tab.Do("cancel in the hosted page", chromedp.WaitVisible(chromedp.CSS(".qr svg"), chromedp.FromNode(frame)),
			chromedp.Click(chromedp.CSS("form.cancel button"), chromedp.FromNode(frame)))
		l := waitLog(tab, "event", "satsrail:cancelled")
		if l.CheckoutID != id {
			t.Errorf("cancelled %q, want %q", l.CheckoutID, id)
		}
		if n := overlays(); n != 0 {
			t.Errorf("cancel left %d overlays", n)
		}
		if st := e.get(id).Status; st != gateway.StatusCancelled {
			t.Errorf("session %s after cancel", st)
		}
		browsertest.Shot(t, tab, artifacts, "payjs-phone-after-cancel.png", 390)
		tab.NoConsoleErrors("closing and cancelling the overlay")
	})

	t.Run("expired", func(t *testing.T) {
		tab := browsertest.Open(t, browser, chromedp.EmulateViewport(1280, 900))
		tab.Do("load the shop page", chromedp.Navigate(s.url+"/iframe"), chromedp.WaitVisible(chromedp.CSS(".satsrail-pay-btn")))
		tab.Do("open the overlay", chromedp.Click(chromedp.CSS(".satsrail-pay-btn")))
		frame := overlayFrame(tab)
		id := reSessionID.FindStringSubmatch(frame.AttributeValue("src"))[1]
		tab.Do("wait for the invoice", chromedp.WaitVisible(chromedp.CSS(".qr svg"), chromedp.FromNode(frame)))
		e.clock.Advance(16 * time.Minute) // past the session's 15 minutes
		l := waitLog(tab, "event", "satsrail:expired")
		m := waitLog(tab, "message", "satsrail:expired")
		if l.CheckoutID != id || m.CheckoutID != id || m.Origin != gw {
			t.Errorf("expired: event %+v, message %+v; want checkout %s", l, m, id)
		}
		// The overlay stays, showing that the checkout expired.
		tab.Do("see the expired page", chromedp.WaitVisible(chromedp.CSS(".problem"), chromedp.FromNode(overlayFrame(tab))))
		// The expired page is an HTTP 410 (SPEC §5), which the console
		// notes; nothing else may be there.
		for _, m := range tab.Console.Take() {
			if !strings.Contains(m, "status of 410 (Gone)") {
				t.Errorf("console during an expiry in the overlay: %s", m)
			}
		}
	})

	t.Run("redirect", func(t *testing.T) {
		tab := browsertest.Open(t, browser, chromedp.EmulateViewport(1280, 900))
		tab.Do("load the shop page", chromedp.Navigate(s.url+"/redirect"), chromedp.WaitVisible(chromedp.CSS(".satsrail-pay-btn")))
		tab.Do("click the button", chromedp.Click(chromedp.CSS(".satsrail-pay-btn")),
			chromedp.WaitVisible(chromedp.ID("simulate")))
		at := browsertest.Run(tab, "where", chromedp.Location())
		m := reSessionID.FindStringSubmatch(at)
		if m == nil || !strings.HasPrefix(at, gw+"/checkout/") {
			t.Fatalf("after the click the browser is at %q, want the hosted page", at)
		}
		id := m[1]
		if sess := e.get(id); len(sess.LineItems) != 1 || sess.LineItems[0].Name != name || int64(sess.AmountCents) != price {
			t.Errorf("session from data-product: %+v", sess)
		}
		tab.Do("click Simulate payment", chromedp.Click(chromedp.ID("simulate")))
		want := s.url + "/redirect?checkout_id=" + id
		if at, ok := tab.WaitLocation(want); !ok {
			t.Fatalf("after paying the browser is at %q, want %q", at, want)
		}
		ev := waitLog(tab, "event", "satsrail:completed")
		msg := waitLog(tab, "message", "satsrail:completed")
		if ev.CheckoutID != id || msg.CheckoutID != id || msg.Origin != s.url {
			t.Errorf("completed: event %+v, message %+v; want checkout %s", ev, msg, id)
		}
		tab.NoConsoleErrors("pay.js by redirect")

		// A forged checkout_id (an unpaid session) is not announced.
		unpaid := e.session(gateway.ModeTest)
		tab.Do("come back with an unpaid id", chromedp.Navigate(s.url+"/redirect?checkout_id="+unpaid.ID),
			chromedp.WaitVisible(chromedp.CSS(".satsrail-pay-btn")), chromedp.Sleep(500*time.Millisecond))
		n := 0
		for _, l := range readLog(tab) {
			if l.CheckoutID == unpaid.ID {
				n++
			}
		}
		if n != 0 {
			t.Errorf("an unpaid session was announced %d times", n)
		}
	})

	t.Run("new tab", func(t *testing.T) {
		tab := browsertest.Open(t, browser, chromedp.EmulateViewport(1280, 900))
		tab.Do("load the shop page", chromedp.Navigate(s.url+"/newtab"), chromedp.WaitVisible(chromedp.CSS(".satsrail-pay-btn")))
		opened := chromedp.WaitNewTarget(tab.Ctx, func(i *target.Info) bool { return strings.HasPrefix(i.URL, gw+"/checkout/") })
		tab.Do("click the button", chromedp.Click(chromedp.CSS(".satsrail-pay-btn")))
		var tid target.ID
		select {
		case tid = <-opened:
		case <-time.After(10 * time.Second):
			t.Fatalf("no new tab with the hosted page; console %q", tab.Console.Take())
		}
		nctx, ncancel := chromedp.NewContext(tab.Ctx, chromedp.WithTargetID(tid))
		defer ncancel()
		rctx, rcancel := context.WithTimeout(nctx, 15*time.Second)
		defer rcancel()
		at, err := chromedp.Run(rctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		m := reSessionID.FindStringSubmatch(at)
		if m == nil {
			t.Fatalf("new tab at %q", at)
		}
		id := m[1]
		if sess := e.get(id); sess.Currency != "eur" || sess.AmountCents != 1234 {
			t.Errorf("session from data-amount/data-currency: %+v", sess)
		}
		if err := chromedp.Do(rctx, chromedp.WaitVisible(chromedp.ID("simulate")), chromedp.Click(chromedp.ID("simulate"))); err != nil {
			t.Fatalf("pay in the new tab: %v", err)
		}
		// The opener is told, from the gateway's origin.
		msg := waitLog(tab, "message", "satsrail:completed")
		ev := waitLog(tab, "event", "satsrail:completed")
		if msg.CheckoutID != id || msg.Origin != gw || ev.CheckoutID != id {
			t.Errorf("completed: message %+v, event %+v; want checkout %s from %s", msg, ev, id, gw)
		}
		tab.NoConsoleErrors("pay.js in a new tab")
	})

	t.Run("framing", func(t *testing.T) {
		sess := e.session(gateway.ModeTest)
		check := func(site *shop, allowed bool) {
			t.Helper()
			tab := browsertest.Open(t, browser, chromedp.EmulateViewport(1280, 900))
			tab.Do("load the page", chromedp.Navigate(site.url+"/frame"), chromedp.WaitVisible(chromedp.ID("direct")))
			tab.Do("frame the checkout", chromedp.Evaluate[chromedp.Void](
				`document.getElementById("direct").src = `+fmt.Sprintf("%q", gw+"/checkout/"+sess.ID+"?embed="+site.url)))
			if allowed {
				tab.Do("see the hosted page in the frame", chromedp.WaitVisible(chromedp.CSS(".qr svg"), chromedp.FromNode(frameOf(tab, "#direct"))))
				tab.NoConsoleErrors("framing from an allowed origin")
				return
			}
			var msgs []string
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
				msgs = append(msgs, tab.Console.Take()...)
				if strings.Contains(strings.Join(msgs, "\n"), "frame-ancestors") {
					break
				}
			}
			if !strings.Contains(strings.Join(msgs, "\n"), "frame-ancestors") {
				t.Errorf("no frame-ancestors refusal on the console: %q", msgs)
			}
			nodes := browsertest.Run(tab, "find the iframe", chromedp.Nodes(chromedp.ID("direct")))
			inside := browsertest.Run(tab, "look inside the frame", chromedp.Nodes(chromedp.CSS("#checkout"), chromedp.FromNode(nodes[0]), chromedp.AtLeast(0)))
			if len(inside) != 0 {
				t.Errorf("the checkout page shows inside a frame on %s, which the merchant did not allow", site.url)
			}
			browsertest.Shot(t, tab, artifacts, "payjs-framing-refused.png", 1280)
		}
		check(s, true)
		check(stranger, false)
	})

	// The merchant's publishable key copied onto a stranger's site: the
	// gateway refuses it there, and no session is made.
	t.Run("foreign origin", func(t *testing.T) {
		count := func() int {
			l, err := e.svc.ListCheckoutSessions(ctx, pr.Scope(), gateway.SessionFilter{Page: gateway.Page{Page: 1, PerPage: 1}})
			if err != nil {
				t.Fatal(err)
			}
			return l.TotalCount
		}
		before, calls := count(), e.calls.Load()
		tab := browsertest.Open(t, browser, chromedp.EmulateViewport(1280, 900))
		tab.Do("load the stranger's page", chromedp.Navigate(stranger.url+"/pay"), chromedp.WaitVisible(chromedp.CSS(".satsrail-pay-btn")),
			chromedp.Click(chromedp.CSS(".satsrail-pay-btn")))
		waitLog(tab, "event", "satsrail:error")
		msgs := strings.Join(tab.Console.Take(), "\n")
		if !strings.Contains(msgs, "allowed origins") {
			t.Errorf("console %q: want the reason", msgs)
		}
		if e.calls.Load() == calls {
			t.Error("no request reached the gateway: the refusal was not the gateway's")
		}
		if n := count(); n != before {
			t.Errorf("%d sessions made from a foreign origin", n-before)
		}
	})

	t.Run("secret key", func(t *testing.T) {
		before := e.calls.Load()
		tab := browsertest.Open(t, browser, chromedp.EmulateViewport(1280, 900))
		// (Even back from a payment, with a checkout_id to confirm.)
		tab.Do("load the page", chromedp.Navigate(s.url+"/secret?checkout_id=cs_0Vd1ULXJAgXwp4iLztlRCb8d7XUb"),
			chromedp.WaitVisible(chromedp.CSS(".satsrail-pay-btn.satsrail-error")))
		if !browsertest.Run(tab, "disabled", chromedp.Evaluate[bool](`document.querySelector(".satsrail-pay-btn").disabled`)) {
			t.Error("the button works with a secret key")
		}
		tab.Do("click it anyway", chromedp.Click(chromedp.CSS(".satsrail-pay-btn")), chromedp.Sleep(300*time.Millisecond))
		msgs := strings.Join(tab.Console.Take(), "\n")
		if !strings.Contains(msgs, "data-key is a secret key") || strings.Contains(msgs, sk) {
			t.Errorf("console %q: want why, without the key", msgs)
		}
		if n := e.calls.Load() - before; n != 0 {
			t.Errorf("pay.js with a secret key made %d requests to the gateway", n)
		}
		browsertest.Shot(t, tab, artifacts, "payjs-secret-key.png", 1280)
	})

	// The time from the click to the invoice on screen in the overlay (the
	// hosted page's script runs once the QR code is laid out, and posts
	// satsrail:loaded), against the same run's baseline: a fresh session's
	// hosted page loaded on its own (to DOMContentLoaded, which waits for the
	// same script). Both make the session's invoice. Rounds alternate; the
	// medians are logged, not asserted (timings belong to benchmarks).
	t.Run("timing", func(t *testing.T) {
		const rounds = 15
		var overlay, direct []float64
		shopTab := browsertest.Open(t, browser, chromedp.EmulateViewport(1280, 900))
		pageTab := browsertest.Open(t, browser, chromedp.EmulateViewport(1280, 900))
		for range rounds {
			shopTab.Do("load the shop page", chromedp.Navigate(s.url+"/iframe"),
				chromedp.Evaluate[chromedp.Void](`sessionStorage.clear(); satsrailLog().length = 0`),
				chromedp.WaitVisible(chromedp.CSS(".satsrail-pay-btn")), chromedp.Click(chromedp.CSS(".satsrail-pay-btn")))
			loaded, click := waitLog(shopTab, "message", "satsrail:loaded"), waitLog(shopTab, "click", "click")
			overlay = append(overlay, loaded.T-click.T)

			sess := e.session(gateway.ModeTest)
			pageTab.Do("load the hosted page", chromedp.Navigate(gw+"/checkout/"+sess.ID), chromedp.WaitVisible(chromedp.CSS(".qr svg")))
			direct = append(direct, browsertest.Run(pageTab, "navigation timing", chromedp.Evaluate[float64](
				`(() => { const n = performance.getEntriesByType("navigation")[0]; return n.domContentLoadedEventEnd - n.startTime; })()`)))
		}
		o, d := median(overlay), median(direct)
		if o <= 0 || d <= 0 {
			t.Fatalf("timings %v and %v", overlay, direct)
		}
		t.Logf("pay.js: click to invoice on screen in the overlay, median of %d: %.1f ms (API create + overlay + hosted page); "+
			"same-run baseline, the hosted page loaded on its own: %.1f ms; ratio %.2f (all: %.0f vs %.0f)", rounds, o, d, o/d, overlay, direct)
	})
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// axeCheck runs axe-core (scripts/axe installs it; $SATSRAIL_AXE_JS names
// it) on the tab's page, not inside its frames, and returns its serious and
// critical violations. It is put in the page through DevTools, which the
// page's CSP does not govern.
func axeCheck(t *testing.T, tab *browsertest.Tab) []string {
	t.Helper()
	path := os.Getenv("SATSRAIL_AXE_JS")
	if path == "" {
		if dir, err := os.UserCacheDir(); err == nil {
			path = filepath.Join(dir, "satsrail/axe-core-4.14.1/node_modules/axe-core/axe.min.js")
		}
	}
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("axe-core is not installed (%v): run scripts/axe, or eval \"$(scripts/axe)\" to set SATSRAIL_AXE_JS", err)
	}
	tab.Do("inject axe", chromedp.Evaluate[chromedp.Void](string(src)))
	return browsertest.Run(tab, "run axe", chromedp.Evaluate[[]string](
		`axe.run(document, {resultTypes: ["violations"], iframes: false}).then(r => r.violations
			.filter(v => v.impact === "serious" || v.impact === "critical")
			.map(v => v.id + ": " + v.help + " at " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", ")))`,
		chromedp.EvalAwaitPromise))
}
