package checkout_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

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
	chromium := browserChromium(t)
	artifacts := browserArtifacts(t)
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
	browser := browserLaunch(t, ctx, chromium)

	t.Run("desktop", func(t *testing.T) {
		s := newSession()
		tab := browserOpen(t, browser, chromedp.EmulateViewport(1280, 900))
		tab.do("load the checkout page",
			chromedp.Navigate(e.url+"/checkout/"+s.ID),
			chromedp.WaitVisible(chromedp.CSS(".qr svg")),
		)
		if got := browserRun(tab, "read #sats", chromedp.Text(chromedp.ID("sats"))); got != "76,924 sats" {
			t.Errorf("#sats = %q, want %q", got, "76,924 sats")
		}
		if got := browserRun(tab, "read #fiat", chromedp.Text(chromedp.ID("fiat"))); got != "$50.00" {
			t.Errorf("#fiat = %q, want %q", got, "$50.00")
		}
		// The script un-hides "Copy invoice"; WebLN stays hidden without a WebLN provider.
		tab.do("see Copy invoice", chromedp.WaitVisible(chromedp.ID("copy")))
		if got := browserRun(tab, "read #copy", chromedp.Text(chromedp.ID("copy"))); got != "Copy invoice" {
			t.Errorf("#copy = %q", got)
		}
		type weblnState struct {
			Hidden   bool `json:"hidden"`
			Rendered bool `json:"rendered"`
			Clobber  bool `json:"clobber"`
		}
		// Headless Chromium has no WebLN provider. (window.webln can still be
		// the #webln button itself: named access on the window object.)
		w := browserRun(tab, "check WebLN", chromedp.Evaluate[weblnState](`(() => {
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
		before := browserRun(tab, "read countdown", chromedp.Text(chromedp.ID("countdown")))
		tab.do("let the countdown tick", chromedp.Sleep(1500*time.Millisecond))
		after := browserRun(tab, "read countdown", chromedp.Text(chromedp.ID("countdown")))
		if !reCountdown.MatchString(before) || !reCountdown.MatchString(after) || before == after {
			t.Errorf("countdown %q then %q: want a live m:ss countdown", before, after)
		}
		browserShot(t, tab, artifacts, "desktop-pending.png", 1280)
		tab.noConsoleErrors("the pending page")

		// Simulate payment: the status turns to "Paid ✓", then the page goes
		// to success_url with checkout_id added.
		tab.do("click Simulate payment", chromedp.Click(chromedp.ID("simulate")))
		browserRun(tab, "wait for Paid ✓", chromedp.Poll[bool](
			`document.getElementById("status").textContent.includes("Paid ✓")`,
			chromedp.WithPollingTimeout(5*time.Second)))
		browserShot(t, tab, artifacts, "desktop-paid.png", 1280)
		want := store.url + "/success?checkout_id=" + s.ID + "&order=42"
		if at, ok := tab.waitLocation(want); !ok {
			t.Fatalf("after the payment the browser is at %q, want success_url %q; the console said %q", at, want, tab.console.take())
		}
		if !store.saw("/success?checkout_id=" + s.ID + "&order=42") {
			t.Errorf("the store never got the success redirect; it saw %q", store.hits())
		}
		if got := e.get(s.ID); got.Status != gateway.StatusCompleted {
			t.Errorf("session status %q after the simulated payment, want completed", got.Status)
		}
		tab.noConsoleErrors("the payment and the redirect")
	})

	t.Run("phone", func(t *testing.T) {
		s := newSession()
		tab := browserOpen(t, browser, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2),
			chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait))
		tab.do("load the checkout page",
			chromedp.Navigate(e.url+"/checkout/"+s.ID),
			chromedp.WaitVisible(chromedp.CSS(".qr svg")),
			chromedp.WaitVisible(chromedp.ID("copy")),
		)
		browserShot(t, tab, artifacts, "phone-pending.png", 780)
		type layout struct {
			InnerWidth  float64 `json:"innerWidth"`
			ScrollWidth float64 `json:"scrollWidth"`
			QRWidth     float64 `json:"qrWidth"`
			DPR         float64 `json:"dpr"`
		}
		l := browserRun(tab, "measure the layout", chromedp.Evaluate[layout](`({
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
		if _, err := chromedp.Call(tab.ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
			t.Fatal(err)
		}
		reached := map[string]focused{}
		var order []string
		for range 10 {
			tab.do("press Tab", chromedp.KeyEvent("\t"))
			f := browserRun(tab, "read the focused element", chromedp.Evaluate[focused](describe))
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
		tab.noConsoleErrors("the phone page")
	})

	t.Run("cancel", func(t *testing.T) {
		s := newSession()
		tab := browserOpen(t, browser, chromedp.EmulateViewport(1280, 900))
		tab.do("load the checkout page",
			chromedp.Navigate(e.url+"/checkout/"+s.ID),
			chromedp.WaitVisible(chromedp.CSS(".qr svg")),
		)
		tab.noConsoleErrors("the pending page")
		// The control: the CSP does block an inline script, and the console
		// check above would have seen it.
		ran := browserRun(tab, "inject an inline script", chromedp.Evaluate[bool](`(() => {
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
			msgs = tab.console.take()
		}
		if len(msgs) != 1 || !strings.Contains(msgs[0], "Content Security Policy") {
			t.Errorf("the blocked inline script should give one CSP report on the console, got %q", msgs)
		}

		tab.do("click Cancel", chromedp.Click(chromedp.CSS("form.cancel button")))
		if at, ok := tab.waitLocation(store.url + "/cart"); !ok {
			t.Errorf("after cancel the browser is at %q, want cancel_url %q; the console said %q", at, store.url+"/cart", tab.console.take())
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
		tab.noConsoleErrors("the cancel and the redirect")
	})
}

// browserChromium finds Debian's chromium; without it the test fails, since CI
// installs it (.ci/run).
func browserChromium(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	t.Fatal("Chromium is not installed; the browser test needs Debian's chromium package: " +
		"apt-get install -y --no-install-recommends chromium (.ci/run installs it in CI)")
	return ""
}

// browserArtifacts is where the screenshots go: $SATSRAIL_ARTIFACTS, or
// test-artifacts/ at the repository root (ignored by git).
func browserArtifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SATSRAIL_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "test-artifacts")
	}
	dir, err := filepath.Abs(dir)
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	return dir
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

// browserLaunch starts headless Chromium, bound to ctx. Its output goes to a
// log that the test prints when it fails.
func browserLaunch(t *testing.T, ctx context.Context, chromium string) context.Context {
	t.Helper()
	out, err := os.Create(filepath.Join(t.TempDir(), "chromium.log"))
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.CombinedOutput(out),
	)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		bcancel()
		acancel()
		out.Close()
		if t.Failed() {
			b, _ := os.ReadFile(out.Name())
			var lines []string
			for _, l := range strings.Split(string(b), "\n") {
				if l != "" && !strings.Contains(l, "dbus/") { // a container has no D-Bus: noise
					lines = append(lines, l)
				}
			}
			if len(lines) > 0 {
				t.Logf("chromium output:\n%s", strings.Join(lines[max(0, len(lines)-40):], "\n"))
			}
		}
	})
	// The first call starts the browser and binds it to the context it gets,
	// so it gets bctx itself (bounded by ctx), not a shorter deadline.
	v, err := chromedp.Run(bctx, chromedp.Evaluate[string](`navigator.userAgent`))
	if err != nil {
		t.Fatalf("starting %s: %v", chromium, err)
	}
	t.Logf("browser: %s", v)
	return bctx
}

// browserTab is one tab, with what its console reported.
type browserTab struct {
	t       *testing.T
	ctx     context.Context
	console *browserConsole
}

// browserOpen opens a tab in the browser of parent and runs setup in it (a
// viewport); the tab closes when the test ends.
func browserOpen(t *testing.T, parent context.Context, setup ...chromedp.Action[chromedp.Void]) *browserTab {
	t.Helper()
	c := &browserConsole{}
	ctx, cancel := chromedp.NewContext(parent, chromedp.WithListener(c.listen))
	t.Cleanup(cancel)
	tab := &browserTab{t: t, ctx: ctx, console: c}
	// The first call opens the tab: it runs with the browser's own context,
	// so that the tab lives until cancel.
	if err := chromedp.Do(ctx, setup...); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	return tab
}

// do runs actions with a deadline.
func (b *browserTab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// browserRun runs one action with a deadline and returns its value.
func browserRun[T any](b *browserTab, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// waitLocation waits up to 10s for the tab to be at url; it returns where the
// tab is.
func (b *browserTab) waitLocation(url string) (string, bool) {
	b.t.Helper()
	var last string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		loc, err := chromedp.Run(ctx, chromedp.Location())
		cancel()
		if err == nil {
			last = loc
			if loc == url {
				return loc, true
			}
		}
	}
	return last, false
}

// noConsoleErrors fails on any exception, console error or warning, or
// browser log error or warning (CSP violations among them) seen so far.
func (b *browserTab) noConsoleErrors(when string) {
	b.t.Helper()
	// Let events already sent by the browser arrive.
	b.do("settle", chromedp.Evaluate[chromedp.Void](`0`))
	for _, m := range b.console.take() {
		b.t.Errorf("console during %s: %s", when, m)
	}
}

// browserShot saves a full-page PNG in dir and checks it is a real picture
// of the expected width in device pixels.
func browserShot(t *testing.T, tab *browserTab, dir, name string, width int) {
	t.Helper()
	buf := browserRun(tab, "screenshot "+name, chromedp.FullScreenshot(100))
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(buf))
	switch {
	case err != nil:
		t.Errorf("%s is not a PNG: %v", path, err)
	case len(buf) <= 5*1024:
		t.Errorf("%s is only %d bytes", path, len(buf))
	case cfg.Width != width:
		t.Errorf("%s is %dx%d, want %d px wide", path, cfg.Width, cfg.Height, width)
	}
	t.Logf("screenshot %s (%dx%d, %d bytes)", path, cfg.Width, cfg.Height, len(buf))
}

// browserConsole collects what a tab reports as wrong: uncaught exceptions,
// console.error/warn/assert, and browser log entries at warning or error
// level (where Chromium reports CSP violations and failed loads).
type browserConsole struct {
	mu   sync.Mutex
	msgs []string
}

// listen runs in the tab's event loop: it must be quick and send no command.
func (c *browserConsole) listen(ev any) {
	var m string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		m = "exception: " + d.Text
		if d.Exception != nil {
			m += " " + d.Exception.Description
		}
		m += fmt.Sprintf(" (%s:%d)", d.URL, d.LineNumber+1)
	case *runtime.EventConsoleAPICalled:
		switch ev.Type {
		case runtime.ConsoleAPICalledTypeError, runtime.ConsoleAPICalledTypeWarning, runtime.ConsoleAPICalledTypeAssert:
			var args []string
			for _, a := range ev.Args {
				if a.Description != "" {
					args = append(args, a.Description)
				} else {
					args = append(args, string(a.Value))
				}
			}
			m = "console." + string(ev.Type) + ": " + strings.Join(args, " ")
		}
	case *cdplog.EventEntryAdded:
		en := ev.Entry
		// The browser's own request for /favicon.ico (the gateway has none) is
		// not the page's doing.
		if en == nil || en.Source == cdplog.EntrySourceNetwork && strings.HasSuffix(en.URL, "/favicon.ico") {
			return
		}
		if en.Level == cdplog.EntryLevelError || en.Level == cdplog.EntryLevelWarning || strings.Contains(en.Text, "Content Security Policy") {
			m = fmt.Sprintf("log %s %s: %s %s", en.Source, en.Level, en.Text, en.URL)
		}
	}
	if m != "" {
		c.mu.Lock()
		c.msgs = append(c.msgs, m)
		c.mu.Unlock()
	}
}

// take returns the messages so far and forgets them.
func (c *browserConsole) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.msgs
	c.msgs = nil
	return m
}
