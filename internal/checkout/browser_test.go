package checkout_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/satsrail/satsrail/internal/browsertest"
	"github.com/satsrail/satsrail/internal/gateway"
)

// TestBrowserCheckout drives the hosted checkout page in a real headless
// Chromium (Debian's chromium package; CI installs it): the page renders and
// its script runs under the strict CSP without a single console error, the
// "Simulate payment" button completes the session and sends the customer to
// the store's success_url, the phone layout fits and is keyboard-navigable,
// and the cancel button returns to cancel_url. It saves screenshots in
// $SATSRAIL_ARTIFACTS, by default <repo>/test-artifacts.
func TestBrowserCheckout(t *testing.T) {
	chromium := browsertest.Chromium(t)
	artifacts := browsertest.Artifacts(t)
	e := setup(t)
	store := browserStore(t)

	name, qty, unit := "Flat white", int64(2), int64(450)
	ship, one, shipCost := "Shipping", int64(1), int64(4100)
	newSession := func() *gateway.CheckoutSession {
		t.Helper()
		return e.session(gateway.ModeTest, func(p *gateway.CheckoutSessionParams) {
			succ, canc := store.url+"/success?order=42", store.url+"/cart"
			p.SuccessURL, p.CancelURL = &succ, &canc
			p.LineItems = []gateway.LineItemParams{
				{Name: &name, Quantity: &qty, UnitAmountCents: &unit},
				{Name: &ship, Quantity: &one, UnitAmountCents: &shipCost},
			}
		})
	}

	// Everything, the browser included, ends within this budget: a hung step
	// fails the test instead of hanging it.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	browser := browsertest.Launch(t, ctx, chromium)

	t.Run("desktop", func(t *testing.T) {
		s := newSession()
		tab := browsertest.Open(t, browser, chromedp.EmulateViewport(1280, 900))
		tab.Do("load the checkout page",
			chromedp.Navigate(e.url+"/checkout/"+s.ID),
			chromedp.WaitVisible(chromedp.CSS(".qr svg")),
		)
		if got := browsertest.Run(tab, "read #sats", chromedp.Text(chromedp.ID("sats"))); got != "76,924 sats" {
			t.Errorf("#sats = %q, want %q", got, "76,924 sats")
		}
		if got := browsertest.Run(tab, "read #fiat", chromedp.Text(chromedp.ID("fiat"))); got != "$50.00" {
			t.Errorf("#fiat = %q, want %q", got, "$50.00")
		}
		// The script un-hides "Copy invoice"; WebLN stays hidden without a WebLN provider.
		tab.Do("see Copy invoice", chromedp.WaitVisible(chromedp.ID("copy")))
		if got := browsertest.Run(tab, "read #copy", chromedp.Text(chromedp.ID("copy"))); got != "Copy invoice" {
			t.Errorf("#copy = %q", got)
		}
		type weblnState struct {
			Hidden   bool `json:"hidden"`
			Rendered bool `json:"rendered"`
			Clobber  bool `json:"clobber"`
		}
		// Headless Chromium has no WebLN provider. (window.webln can still be
		// the #webln button itself: named access on the window object.)
		w := browsertest.Run(tab, "check WebLN", chromedp.Evaluate[weblnState](`(() => {
			const b = document.getElementById("webln-pay");
			return {hidden: b.hidden, rendered: b.getClientRects().length > 0, clobber: window.webln === b};
		})()`))
		if !w.Hidden || w.Rendered {
			t.Errorf("the WebLN button shows although the browser has no WebLN provider: %+v", w)
			if w.Clobber {
				t.Log("window.webln is the <button id=webln> itself (named access on window), so `if (window.webln)` is always true")
			}
		}
		// The countdown is live.
		reCountdown := regexp.MustCompile(`^\d+:[0-5]\d$`)
		before := browsertest.Run(tab, "read countdown", chromedp.Text(chromedp.ID("countdown")))
		tab.Do("let the countdown tick", chromedp.Sleep(1500*time.Millisecond))
		after := browsertest.Run(tab, "read countdown", chromedp.Text(chromedp.ID("countdown")))
		if !reCountdown.MatchString(before) || !reCountdown.MatchString(after) || before == after {
			t.Errorf("countdown %q then %q: want a live m:ss countdown", before, after)
		}
		browsertest.Shot(t, tab, artifacts, "desktop-pending.png", 1280)
		tab.NoConsoleErrors("the pending page")

		// Simulate payment: the status turns to "Paid ✓", then the page goes
		// to success_url with checkout_id added.
		tab.Do("click Simulate payment", chromedp.Click(chromedp.ID("simulate")))
		browsertest.Run(tab, "wait for Paid ✓", chromedp.Poll[bool](
			`document.getElementById("status").textContent.includes("Paid ✓")`,
			chromedp.WithPollingTimeout(5*time.Second)))
		browsertest.Shot(t, tab, artifacts, "desktop-paid.png", 1280)
		want := store.url + "/success?checkout_id=" + s.ID + "&order=42"
		if at, ok := tab.WaitLocation(want); !ok {
			t.Fatalf("after the payment the browser is at %q, want success_url %q; the console said %q", at, want, tab.Console.Take())
		}
		if !store.saw("/success?checkout_id=" + s.ID + "&order=42") {
			t.Errorf("the store never got the success redirect; it saw %q", store.hits())
		}
		if got := e.get(s.ID); got.Status != gateway.StatusCompleted {
			t.Errorf("session status %q after the simulated payment, want completed", got.Status)
		}
		tab.NoConsoleErrors("the payment and the redirect")
	})

	t.Run("phone", func(t *testing.T) {
		s := newSession()
		tab := browsertest.Open(t, browser, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2),
			chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait))
		tab.Do("load the checkout page",
			chromedp.Navigate(e.url+"/checkout/"+s.ID),
			chromedp.WaitVisible(chromedp.CSS(".qr svg")),
			chromedp.WaitVisible(chromedp.ID("copy")),
		)
		browsertest.Shot(t, tab, artifacts, "phone-pending.png", 780)
		type layout struct {
			InnerWidth  float64 `json:"innerWidth"`
			ScrollWidth float64 `json:"scrollWidth"`
			QRWidth     float64 `json:"qrWidth"`
			DPR         float64 `json:"dpr"`
		}
		l := browsertest.Run(tab, "measure the layout", chromedp.Evaluate[layout](`({
			innerWidth: window.innerWidth,
			scrollWidth: document.documentElement.scrollWidth,
			qrWidth: document.querySelector(".qr svg").getBoundingClientRect().width,
			dpr: window.devicePixelRatio,
		})`))
		t.Logf("phone layout: %+v", l)
		if l.InnerWidth != 390 || l.DPR != 2 {
			t.Errorf("the phone emulation did not apply: %+v", l)
		}
		if l.ScrollWidth > 390 {
			t.Errorf("the page scrolls sideways on a 390px phone: scrollWidth %v", l.ScrollWidth)
		}
		if l.QRWidth < 250 {
			t.Errorf("the QR code is %v CSS px wide on a phone, want at least 250", l.QRWidth)
		}

		// Keyboard: Tab reaches the wallet link and the buttons, each with a
		// visible focus ring.
		type focused struct {
			Tag          string `json:"tag"`
			ID           string `json:"id"`
			Text         string `json:"text"`
			FocusVisible bool   `json:"focusVisible"`
			Outline      string `json:"outline"`
		}
		const describe = `(() => {
			const a = document.activeElement;
			if (!a || a === document.body) return {tag: "body", id: "", text: "", focusVisible: false, outline: ""};
			const cs = getComputedStyle(a);
			return {tag: a.tagName.toLowerCase(), id: a.id,
				text: (a.getAttribute("aria-label") || a.textContent || "").trim().slice(0, 48),
				focusVisible: a.matches(":focus-visible"), outline: cs.outlineStyle + " " + cs.outlineWidth};
		})()`
		if _, err := chromedp.Call(tab.Ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
			t.Fatal(err)
		}
		reached := map[string]focused{}
		var order []string
		for range 10 {
			tab.Do("press Tab", chromedp.KeyEvent("\t"))
			f := browsertest.Run(tab, "read the focused element", chromedp.Evaluate[focused](describe))
			order = append(order, fmt.Sprintf("%s#%s %q", f.Tag, f.ID, f.Text))
			if _, ok := reached[f.Text]; !ok {
				reached[f.Text] = f
			}
		}
		t.Logf("Tab order: %s", strings.Join(order, " → "))
		for _, want := range []string{"Open in wallet", "Copy invoice", "Simulate payment"} {
			f, ok := reached[want]
			switch {
			case !ok:
				t.Errorf("Tab never reaches %q; the order is %s", want, strings.Join(order, " → "))
			case !f.FocusVisible || !strings.HasPrefix(f.Outline, "solid"):
				t.Errorf("%q has focus but no visible focus ring: %+v", want, f)
			}
		}
		tab.NoConsoleErrors("the phone page")
	})

	t.Run("cancel", func(t *testing.T) {
		s := newSession()
		tab := browsertest.Open(t, browser, chromedp.EmulateViewport(1280, 900))
		tab.Do("load the checkout page",
			chromedp.Navigate(e.url+"/checkout/"+s.ID),
			chromedp.WaitVisible(chromedp.CSS(".qr svg")),
		)
		tab.NoConsoleErrors("the pending page")
		// The control: the CSP does block an inline script, and the console
		// check above would have seen it.
		ran := browsertest.Run(tab, "inject an inline script", chromedp.Evaluate[bool](`(() => {
			const s = document.createElement("script");
			s.textContent = "window.__inlineRan = true";
			document.body.appendChild(s);
			return window.__inlineRan === true;
		})()`))
		if ran {
			t.Error("an inline script ran: the Content-Security-Policy is not enforced")
		}
		var msgs []string
		for deadline := time.Now().Add(3 * time.Second); len(msgs) == 0 && time.Now().Before(deadline); {
			time.Sleep(50 * time.Millisecond)
			msgs = tab.Console.Take()
		}
		if len(msgs) != 1 || !strings.Contains(msgs[0], "Content Security Policy") {
			t.Errorf("the blocked inline script should give one CSP report on the console, got %q", msgs)
		}

		tab.Do("click Cancel", chromedp.Click(chromedp.CSS("form.cancel button")))
		if at, ok := tab.WaitLocation(store.url + "/cart"); !ok {
			t.Errorf("after cancel the browser is at %q, want cancel_url %q; the console said %q", at, store.url+"/cart", tab.Console.Take())
			if strings.Contains(at, "/checkout/"+s.ID) {
				t.Log("the page reloaded itself on the live \"cancelled\" status, aborting the form's redirect to cancel_url " +
					"(checkout.js should stop the live status when the cancel form is submitted)")
			}
		}
		if !store.saw("/cart") {
			t.Errorf("the store never got the cancel redirect; it saw %q", store.hits())
		}
		if got := e.get(s.ID); got.Status != gateway.StatusCancelled {
			t.Errorf("session status %q after cancel, want cancelled", got.Status)
		}
		tab.NoConsoleErrors("the cancel and the redirect")
	})
}

// storeSite is the merchant's shop: it answers success_url and cancel_url
// with a small page and records what the browser asked for.
type storeSite struct {
	url  string
	mu   sync.Mutex
	seen []string
}

func browserStore(t *testing.T) *storeSite {
	t.Helper()
	s := &storeSite{}
	mux := http.NewServeMux()
	page := func(title string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			s.mu.Lock()
			s.seen = append(s.seen, r.URL.RequestURI())
			s.mu.Unlock()
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, "<!doctype html><html lang=en><title>%s</title><h1>%s</h1>", title, title)
		}
	}
	mux.HandleFunc("GET /success", page("Thank you for your order"))
	mux.HandleFunc("GET /cart", page("Your cart"))
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

func (s *storeSite) hits() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

func (s *storeSite) saw(uri string) bool {
	for _, h := range s.hits() {
		if h == uri {
			return true
		}
	}
	return false
}
