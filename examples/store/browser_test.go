package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/satsrail/satsrail/client"
	"github.com/satsrail/satsrail/internal/browsertest"
	"github.com/satsrail/satsrail/internal/testdb"
)

// demoGateway is a running `satsrail serve --demo` (the real binary) and the
// test keys it printed.
type demoGateway struct {
	url, sk, pk string
}

// startDemo builds the satsrail binary and runs `satsrail serve --demo` on a
// free port with an empty data dir and no price provider (the demo's fixed
// prices), as the README's first command does; with
// SATSRAIL_TEST_STORE=postgres, on an empty PostgreSQL database.
func startDemo(t *testing.T) demoGateway {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "satsrail")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/satsrail/satsrail/cmd/satsrail").CombinedOutput(); err != nil {
		t.Fatalf("building satsrail: %v\n%s", err, out)
	}
	args := []string{"serve", "--demo", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(),
		"--rate-providers", "coinbase=http://127.0.0.1:9", "--log-format", "text"}
	cmd := exec.Command(bin, args...)
	if testdb.Engine() == "postgres" {
		// The run's engine: a database of the test's own (dropped when it
		// ends); the binary then needs a master key.
		cmd.Args = append(cmd.Args, "--database-url", testdb.EmptyDatabase(t))
		cmd.Env = append(os.Environ(), "SATSRAIL_MASTER_KEY="+strings.Repeat("5a", 32))
	}
	pr, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("satsrail's log:\n%s", logs.String())
		}
	})
	found := make(chan demoGateway, 1)
	go func() {
		var g demoGateway
		lines := bufio.NewScanner(pr)
		for lines.Scan() {
			line := lines.Text()
			logs.Write([]byte(line + "\n"))
			if k := regexp.MustCompile(`secret key\s+(sk_test_\w+)`).FindStringSubmatch(line); k != nil {
				g.sk = k[1]
			}
			if k := regexp.MustCompile(`publishable key\s+(pk_test_\w+)`).FindStringSubmatch(line); k != nil {
				g.pk = k[1]
			}
			if u, ok := strings.CutPrefix(line, "satsrail listening on "); ok {
				g.url = u
				found <- g
			}
		}
		close(found)
	}()
	select {
	case g, ok := <-found:
		if !ok || g.sk == "" || g.pk == "" {
			t.Fatalf("serve --demo did not print its keys and address:\n%s", logs.String())
		}
		return g
	case <-time.After(60 * time.Second):
		t.Fatalf("serve --demo did not start:\n%s", logs.String())
	}
	return demoGateway{}
}

// syncBuffer is a bytes.Buffer for two goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startShop runs the shop in this process as the README's second command
// does: the demo's keys in the environment, its own port.
func startShop(t *testing.T, g demoGateway) (string, *syncBuffer) {
	t.Helper()
	env := map[string]string{"SATSRAIL_API_KEY": g.sk, "SATSRAIL_PUBLISHABLE_KEY": g.pk, "SATSRAIL_BASE_URL": g.url, "STORE_ADDR": "127.0.0.1:0"}
	ctx, cancel := context.WithCancel(context.Background())
	var logs syncBuffer
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, func(k string) string { return env[k] }, &logs, func(u string) { ready <- u })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("the shop stopped with %v", err)
		}
		if t.Failed() {
			t.Logf("the shop's log:\n%s", logs.String())
		}
	})
	select {
	case u := <-ready:
		return u, &logs
	case err := <-done:
		t.Fatalf("the shop did not start: %v\n%s", err, logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("the shop did not start:\n%s", logs.String())
	}
	return "", nil
}

// TestBrowserStoreFlow runs the README's two commands (`satsrail serve
// --demo`, then the shop with the keys it printed) and buys in real headless
// Chromium: two items into the cart → "Checkout with Bitcoin" → the
// gateway's hosted page → "Simulate payment" → back on the shop's success
// page, which says paid only because the shop's server asked the gateway →
// the gateway's signed webhook marks the order paid → the orders page shows
// it. A forged checkout_id says "Not paid yet", and the pay.js product page
// carries the button's tag under a CSP that lets it run. Each step is saved
// in $SATSRAIL_ARTIFACTS/store (default <repo>/test-artifacts/store).
func TestBrowserStoreFlow(t *testing.T) {
	chromium := browsertest.Chromium(t)
	artifacts := filepath.Join(browsertest.Artifacts(t), "store")
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	g := startDemo(t)
	shop, shopLog := startShop(t, g)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tab := browsertest.Open(t, browsertest.Launch(t, ctx, chromium), chromedp.EmulateViewport(1280, 800))
	axe := browsertest.AxeSource(t)
	step := 0
	// shot saves the page at desktop size and, for the shop's pages, at
	// phone size too, and holds them to axe-core (injected through
	// DevTools, so the pages' CSP need not allow it): any serious or
	// critical violation fails the test. The gateway's page has its own
	// browser tests.
	shot := func(name string) {
		t.Helper()
		step++
		name = string(rune('0'+step/10)) + string(rune('0'+step%10)) + "-" + name
		browsertest.Shot(t, tab, artifacts, name+"-desktop.png", 1280)
		if !strings.HasPrefix(browsertest.Run(tab, "where", chromedp.Location()), shop) {
			return
		}
		// The same page on a phone: nothing scrolls sideways but a table's
		// own box.
		tab.Do("phone size", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2),
			chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait))
		if w := browsertest.Run(tab, "measure", chromedp.Evaluate[float64](`document.documentElement.scrollWidth`)); w > 390 {
			t.Errorf("%s scrolls sideways on a 390 px phone: %v px", name, w)
		}
		browsertest.Shot(t, tab, artifacts, name+"-phone.png", 780)
		tab.Do("desktop size", chromedp.EmulateViewport(1280, 800))
		for _, v := range browsertest.Axe(t, tab, axe) {
			t.Errorf("%s: axe %s %s: %s at %s", name, v.Impact, v.ID, v.Help, strings.Join(v.Nodes, ", "))
		}
	}
	text := func(what, css string) string {
		t.Helper()
		return strings.TrimSpace(browsertest.Run(tab, what, chromedp.Text(chromedp.CSS(css))))
	}

	// Two items into the cart.
	tab.Do("open the shop", chromedp.Navigate(shop), chromedp.WaitVisible(chromedp.CSS("ul.items")))
	tab.NoConsoleErrors("the catalog")
	shot("catalog")
	tab.Do("add a mug", chromedp.Click(chromedp.CSS("#item-satoshi-mug button")), chromedp.WaitVisible(chromedp.CSS("table.cart")))
	tab.Do("back to the catalog", chromedp.Navigate(shop), chromedp.WaitVisible(chromedp.CSS("ul.items")))
	tab.Do("add a T-shirt", chromedp.Click(chromedp.CSS("#item-node-tee button")), chromedp.WaitVisible(chromedp.CSS("table.cart")))
	rows := browsertest.Run(tab, "read the cart", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("table.cart tbody tr")).map(r => r.innerText.replace(/\s+/g, " ").trim())`))
	if len(rows) != 2 || !strings.HasPrefix(rows[0], "Satoshi mug 1 $12.50") || !strings.HasPrefix(rows[1], "Node runner T-shirt 1 $24.00") {
		t.Fatalf("the cart's rows: %q", rows)
	}
	if total := text("read the total", "#total"); total != "$36.50" {
		t.Fatalf("the cart's total is %q, want $36.50", total)
	}
	tab.NoConsoleErrors("the cart")
	shot("cart")

	// Checkout with Bitcoin: the shop's server makes the session and sends
	// the browser to the gateway's hosted page.
	tab.Do("checkout with bitcoin", chromedp.Click(chromedp.ID("checkout")), chromedp.WaitVisible(chromedp.ID("simulate")))
	hosted := browsertest.Run(tab, "where", chromedp.Location())
	checkoutID, ok := strings.CutPrefix(hosted, g.url+"/checkout/")
	if !ok || !strings.HasPrefix(checkoutID, "cs_") {
		t.Fatalf("after checkout the browser is at %s, want %s/checkout/cs_…", hosted, g.url)
	}
	if fiat := text("read the price", "#fiat"); fiat != "$36.50" {
		t.Errorf("the hosted page asks %q, want $36.50", fiat)
	}
	tab.NoConsoleErrors("the hosted checkout")
	shot("hosted-checkout")

	// Before the payment the success URL, even with the real id, is not
	// paid: the shop asks the gateway, which says pending.
	if page := fetch(t, shop+"/success?checkout_id="+checkoutID); !strings.Contains(page, "Not paid yet") || !strings.Contains(page, "the payment is pending") {
		t.Errorf("before paying, the success page says:\n%s", page)
	}

	// Pay (test mode), and land on the shop's success page.
	tab.Do("simulate the payment", chromedp.Click(chromedp.ID("simulate")))
	want := shop + "/success?checkout_id=" + checkoutID
	if at, ok := tab.WaitLocation(want); !ok {
		t.Fatalf("after paying the browser is at %s, want %s", at, want)
	}
	tab.Do("wait for the page", chromedp.WaitVisible(chromedp.ID("status")))
	if s := text("read the status", "#status"); s != "Paid ✓" {
		t.Fatalf("the success page says %q, want Paid ✓", s)
	}
	if p := text("read the confirmation", "main p"); !strings.Contains(p, "$36.50") || !strings.Contains(p, "sats") {
		t.Errorf("the success page's confirmation: %q", p)
	}
	tab.NoConsoleErrors("the success page")
	shot("success-paid")
	// The shop's server did verify it: the gateway says completed.
	sess, err := client.New(g.url, g.sk).GetCheckoutSession(ctx, checkoutID)
	if err != nil || sess.Status != "completed" || sess.AmountCents != 3650 {
		t.Fatalf("the gateway's session: %+v, %v", sess, err)
	}
	orderID, _ := sess.Metadata["order_id"]

	// The webhook marks the order paid: the orders page shows it once the
	// gateway's delivery has arrived.
	row := "#" + orderID
	var status string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		tab.Do("open the orders", chromedp.Navigate(shop+"/orders"), chromedp.WaitVisible(chromedp.CSS(row)))
		if status = text("read the order's status", row+" .status"); status == "paid" {
			break
		}
	}
	if status != "paid" {
		t.Fatalf("the order is %q on the orders page, want paid (the webhook did not mark it)", status)
	}
	line := text("read the order", row)
	if !strings.Contains(line, "1 × Satoshi mug, 1 × Node runner T-shirt") || !strings.Contains(line, "$36.50") || !regexp.MustCompile(`webhook evt_\w+`).MatchString(line) {
		t.Errorf("the orders page's row: %q", line)
	}
	if !strings.Contains(shopLog.String(), "outcome=applied") {
		t.Errorf("the shop's log has no applied webhook event:\n%s", shopLog.String())
	}
	tab.NoConsoleErrors("the orders page")
	shot("orders-paid")

	// A forged checkout_id is not paid.
	tab.Do("open a forged success URL", chromedp.Navigate(shop+"/success?checkout_id=cs_0Forged0000000000000000000"), chromedp.WaitVisible(chromedp.ID("status")))
	if s := text("read the status", "#status"); s != "Not paid yet" {
		t.Errorf("a forged checkout_id: %q, want Not paid yet", s)
	}
	tab.NoConsoleErrors("the forged success page")
	shot("success-forged")

	// The pay.js product page: the gateway's button tag with the
	// publishable key, under a CSP that lets it (and only it) run.
	tab.Do("open the sticker pack", chromedp.Navigate(shop+"/products/sticker-pack"), chromedp.WaitVisible(chromedp.CSS("section.buy-now")))
	tag := browsertest.Run(tab, "read the pay.js tag", chromedp.Evaluate[map[string]string](`(() => {
		const s = document.querySelector("section.buy-now script");
		return s ? {src: s.src, key: s.dataset.key, product: s.dataset.product} : {};
	})()`))
	if tag["src"] != g.url+"/js/pay.js" || tag["key"] != g.pk || tag["product"] != "sticker-pack" {
		t.Errorf("the pay.js tag: %v", tag)
	}
	res, err := http.Get(shop + "/products/sticker-pack")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src "+g.url+";") {
		t.Errorf("the pay.js page's CSP does not let the gateway's script run: %q", csp)
	}
	// Whether pay.js itself is served is the gateway's affair; the page
	// must not have blocked it.
	for _, m := range tab.Console.Take() {
		if strings.Contains(m, "Content Security Policy") {
			t.Errorf("the pay.js page: %s", m)
		}
	}
	shot("product-payjs")
}

// fetch GETs a page of the shop without the browser.
func fetch(t *testing.T, u string) string {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}
