package main

import (
	"context"
	"encoding/csv"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/satsrail/satsrail/internal/browsertest"
)

// TestBrowserMerchantFlow is issue 14's path through the real binary in a
// real headless Chromium (Debian's chromium; CI installs it, so its absence
// fails the test): `satsrail serve` on an empty data dir (SQLite, or
// PostgreSQL with SATSRAIL_TEST_STORE=postgres) with fixed prices, so no
// network is needed. First-run sign-up → the secret keys shown once and
// never again on the keys page → a product made on the Products page → its
// payment link, read off the product's page and opened → "Simulate payment"
// on the hosted checkout → the thank-you page → the transaction in the
// Transactions list, in the Overview chart's table and in the CSV export
// that the browser downloads with its own session → a webhook endpoint
// added for a local receiver → "Send test event" → its 200 in the delivery
// log → "Redeliver" → the second attempt. Every page runs under its strict
// CSP without a console error, and each step is saved at desktop
// (1280×800) and phone (390×844, 2× pixels) size in $SATSRAIL_ARTIFACTS/flow
// (default <repo>/test-artifacts/flow).
func TestBrowserMerchantFlow(t *testing.T) {
	chromium := browsertest.Chromium(t)
	artifacts := filepath.Join(browsertest.Artifacts(t), "flow")
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	g := start(t, "--data-dir", t.TempDir(), "--fixed-rates", "usd=65000,eur=60000")
	receiver := newHook(t)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tab := browsertest.Open(t, browsertest.Launch(t, ctx, chromium), chromedp.EmulateViewport(1280, 800))

	// shots saves the page as it is at both sizes (the same document laid
	// out again, so a page shown once is caught too), checking on the phone
	// that nothing but a table's own box scrolls sideways.
	step := 0
	shots := func(name string) {
		t.Helper()
		step++
		name = strings.Join([]string{twoDigits(step), name}, "-")
		browsertest.Shot(t, tab, artifacts, name+"-desktop.png", 1280)
		tab.Do("phone size", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2),
			chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait))
		if w := browsertest.Run(tab, "measure", chromedp.Evaluate[float64](`document.documentElement.scrollWidth`)); w > 390 {
			t.Errorf("%s scrolls sideways on a 390 px phone: %v px", name, w)
		}
		browsertest.Shot(t, tab, artifacts, name+"-phone.png", 780)
		tab.Do("desktop size", chromedp.EmulateViewport(1280, 800))
		tab.NoConsoleErrors(name)
	}
	text := func(what, css string) string {
		t.Helper()
		return browsertest.Run(tab, what, chromedp.Text(chromedp.CSS(css)))
	}

	// First run: /dashboard offers the sign-up; the keys are shown once.
	tab.Do("open the dashboard", chromedp.Navigate(g.url+"/dashboard"), chromedp.WaitVisible(chromedp.ID("f-business_name")))
	if loc := browsertest.Run(tab, "where", chromedp.Location()); loc != g.url+"/dashboard/signup" {
		t.Fatalf("the first visit is at %q, want the first-run sign-up", loc)
	}
	shots("signup")
	tab.Do("sign up",
		chromedp.SendKeys(chromedp.ID("f-business_name"), "Corner Café"),
		chromedp.SendKeys(chromedp.ID("f-email"), "owner@corner.example"),
		chromedp.SendKeys(chromedp.ID("f-password"), "correct horse battery"),
		chromedp.Click(chromedp.CSS(`form[action="/dashboard/signup"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("table.keys")))
	keys := text("read the keys", "table.keys")
	var secrets []string
	for _, kt := range []string{"sk_test", "sk_live"} {
		k := regexp.MustCompile(kt + `_[0-9A-Za-z]{32}`).FindString(keys)
		if k == "" {
			t.Fatalf("the sign-up page shows no %s key: %q", kt, keys)
		}
		secrets = append(secrets, k)
	}
	if st, m := call(t, "GET", g.url+"/api/v1/merchant", secrets[0], nil); st != 200 || m["name"] != "Corner Café" {
		t.Fatalf("the shown sk_test key: %d %v", st, m)
	}
	shots("keys-shown-once")
	tab.Do("continue", chromedp.Click(chromedp.CSS("a.button.primary")), chromedp.WaitVisible(chromedp.CSS("nav.side")))
	tab.Do("open the keys page", chromedp.Navigate(g.url+"/dashboard/keys"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	// It shows a secret key's last four characters only (sk_test_…2KJx).
	if page := text("read the keys page", "main"); strings.Contains(page, secrets[0]) || strings.Contains(page, secrets[1]) ||
		regexp.MustCompile(`sk_(test|live)_[0-9A-Za-z]{8}`).MatchString(page) || !strings.Contains(page, "pk_test_") {
		t.Errorf("the keys page: want the publishable keys and no secret key; it says %q", page)
	}
	shots("keys-page")

	// A product, made on the Products page; its page shows the payment link.
	tab.Do("create a product", chromedp.Navigate(g.url+"/dashboard/products"),
		chromedp.WaitVisible(chromedp.ID("f-name")),
		chromedp.SendKeys(chromedp.ID("f-name"), "Flat white"),
		chromedp.SendKeys(chromedp.ID("f-price"), "4.50"),
		chromedp.SendKeys(chromedp.ID("f-description"), "Oat milk on request"),
		chromedp.Click(chromedp.CSS(`form[action="/dashboard/products"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(`//table//a[.="Flat white"]`)))
	shots("products")
	tab.Do("open the product", chromedp.Click(chromedp.Search(`//table//a[.="Flat white"]`)), chromedp.WaitVisible(chromedp.ID("link-h")))
	link := text("read the payment link", "#link-h ~ .secret code")
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(g.url) + `/pay/[0-9A-Za-z_]+$`).MatchString(link) {
		t.Fatalf("the product page's payment link is %q, want %s/pay/<product id>", link, g.url)
	}
	shots("product")

	// The link opens the hosted checkout of a new session; "Simulate
	// payment" pays it and the browser lands on the thank-you page.
	tab.Do("open the payment link", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("simulate")))
	if fiat := text("read the price", "#fiat"); fiat != "$4.50" {
		t.Errorf("the checkout page asks %q, want $4.50", fiat)
	}
	sats := text("read the sats", "#sats")
	shots("checkout")
	tab.Do("simulate the payment", chromedp.Click(chromedp.ID("simulate")),
		chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "Thank you for buying Flat white")]`)))
	thanks, err := url.Parse(browsertest.Run(tab, "where", chromedp.Location()))
	if err != nil || g.url+thanks.Path != link+"/thanks" || !strings.HasPrefix(thanks.Query().Get("checkout_id"), "cs_") {
		t.Fatalf("after the payment the browser is at %v (%v), want %s/thanks?checkout_id=cs_…", thanks, err, link)
	}
	session := thanks.Query().Get("checkout_id")
	if paid := text("read the status", ".paid"); paid != "Paid ✓" {
		t.Errorf("the thank-you page says %q, want Paid ✓", paid)
	}
	shots("thank-you")

	// The transaction: in the list, in the chart's table, in the export.
	tab.Do("open the transactions", chromedp.Navigate(g.url+"/dashboard/transactions"), chromedp.WaitVisible(chromedp.CSS("main table")))
	row := text("read the transaction", "main table tbody tr")
	if !strings.Contains(row, session) || !strings.Contains(row, "$4.50") || !strings.Contains(row, sats) {
		t.Errorf("the transactions list's row is %q, want session %s, $4.50 and %s", row, session, sats)
	}
	if caption := text("read the caption", "main table caption"); !strings.HasPrefix(caption, "1 transaction,") {
		t.Errorf("the transactions list says %q, want 1 transaction", caption)
	}
	shots("transactions")
	csvRows := download(t, tab, `a[href^="/dashboard/transactions/export"]`)
	if len(csvRows) != 2 || strings.Join(csvRows[0], ",") != "id,created_at,settled_at,checkout_session_id,status,amount_sats,amount_msat,amount_fiat,currency,exchange_rate,payment_hash" {
		t.Fatalf("the CSV export: %q, want the header and one row", csvRows)
	}
	if r := csvRows[1]; r[3] != session || r[4] != "settled" || r[7] != "4.50" || r[8] != "usd" || formatSats(r[5]) != sats {
		t.Errorf("the CSV export's row is %q, want session %s settled, 4.50 usd, %s", r, session, sats)
	}
	tab.Do("open the overview", chromedp.Navigate(g.url+"/dashboard"), chromedp.WaitVisible(chromedp.CSS("section[aria-labelledby=revenue]")))
	if svg := browsertest.Run(tab, "find the chart", chromedp.Evaluate[bool](`!!document.querySelector("section[aria-labelledby=revenue] svg")`)); !svg {
		t.Error("the overview has no chart")
	}
	tab.Do("open the chart's table", chromedp.Click(chromedp.CSS("section[aria-labelledby=revenue] details summary")),
		chromedp.WaitVisible(chromedp.CSS("section[aria-labelledby=revenue] details table")))
	// Its last row is today (UTC): the payment's amount, one payment.
	today := func() []string {
		t.Helper()
		return browsertest.Run(tab, "read today's row", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(
			"section[aria-labelledby=revenue] details tbody tr:last-child > *")).map(c => c.textContent)`))
	}
	day := time.Now().UTC().Format("2 Jan")
	if row := today(); strings.Join(row, "|") != day+"|"+sats+"|1" && strings.Join(row, "|") != day+"|"+strings.TrimSuffix(sats, " sats")+"|1" {
		t.Errorf("the chart's table (in sats) ends with %q, want %s, %s, 1 payment", row, day, sats)
	}
	if figures := text("read the figures", "dl.figures"); !strings.Contains(figures, "1 completed of 1 session created") {
		t.Errorf("the overview's figures say %q, want 1 completed of 1 session created", figures)
	}
	shots("overview")
	tab.Do("show the chart in usd", chromedp.Click(chromedp.Search(`//section[@aria-labelledby="revenue"]//a[.="usd"]`)),
		chromedp.WaitVisible(chromedp.Search(`//caption[contains(., "in usd")]`)),
		chromedp.Click(chromedp.CSS("section[aria-labelledby=revenue] details summary")),
		chromedp.WaitVisible(chromedp.CSS("section[aria-labelledby=revenue] details table")))
	if row := today(); strings.Join(row, "|") != day+"|$4.50|1" {
		t.Errorf("the chart's table in usd ends with %q, want %s, $4.50, 1 payment", row, day)
	}
	shots("overview-usd")

	// Webhooks: an endpoint for the local receiver (its secret shown once),
	// a test event and its 200, a redelivery and its second attempt.
	tab.Do("add an endpoint", chromedp.Navigate(g.url+"/dashboard/webhooks"),
		chromedp.Click(chromedp.CSS(`a[href="/dashboard/webhooks/new"]`)),
		chromedp.WaitVisible(chromedp.ID("f-url")),
		chromedp.SendKeys(chromedp.ID("f-url"), receiver.srv.URL+"/hooks/satsrail"),
		chromedp.SendKeys(chromedp.ID("f-description"), "Orders to the kitchen printer"))
	shots("webhook-new")
	tab.Do("save the endpoint", chromedp.Click(chromedp.CSS(`form[action="/dashboard/webhooks"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".secret")))
	if s := text("read the secret", ".secret code"); !strings.HasPrefix(s, "whsec_") {
		t.Fatalf("the new endpoint's secret is not shown: %q", s)
	}
	shots("webhook-secret")
	tab.Do("send a test event", chromedp.Click(chromedp.CSS(`a[href^="/dashboard/webhooks/endpoints/"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/test"] button`)),
		chromedp.Click(chromedp.CSS(`form[action$="/test"] button`)),
		chromedp.WaitVisible(chromedp.Search(`//p[contains(., "webhook.test event was queued")]`)))
	endpoint := strings.SplitN(browsertest.Run(tab, "where", chromedp.Location()), "?", 2)[0]
	attempts(t, tab, endpoint, []string{"200"})
	if receiver.count() != 1 {
		t.Errorf("the receiver got %d requests, want 1", receiver.count())
	}
	shots("webhook-delivered")
	tab.Do("redeliver", chromedp.Click(chromedp.CSS(`form[action$="/redeliver"] button`)),
		chromedp.WaitVisible(chromedp.Search(`//p[contains(., "queued for one more attempt")]`)))
	attempts(t, tab, endpoint, []string{"200", "200"})
	if log := text("read the delivery", ".delivery > p"); !strings.Contains(log, "2 attempts") {
		t.Errorf("after the redelivery the log says %q, want 2 attempts", log)
	}
	if receiver.count() != 2 {
		t.Errorf("the receiver got %d requests, want 2", receiver.count())
	}
	shots("webhook-redelivered")
}

// twoDigits numbers the screenshots in the order of the steps.
func twoDigits(n int) string {
	return string([]byte{byte('0' + n/10), byte('0' + n%10)})
}

// formatSats writes a number of sats as the pages do: 6,923 sats.
func formatSats(n string) string {
	var b strings.Builder
	for i, c := range n {
		if i > 0 && (len(n)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String() + " sats"
}

// download clicks the link at css, lets the browser save what it gets (the
// browser's own session cookie goes with the request) and reads it as CSV.
func download(t *testing.T, tab *browsertest.Tab, css string) [][]string {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(tab.Ctx, 30*time.Second)
	defer cancel()
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	tab.Do("download "+css, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: new(true)})
		return err
	}), chromedp.Click(chromedp.CSS(css)))
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("downloading %s: %v", css, err)
		}
		switch ev.State {
		case browser.DownloadProgressStateCanceled:
			t.Fatalf("the download of %s was cancelled", css)
		case browser.DownloadProgressStateCompleted:
			f, err := os.Open(filepath.Join(dir, ev.GUID))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rows, err := csv.NewReader(f).ReadAll()
			if err != nil {
				t.Fatalf("the download of %s is not CSV: %v", css, err)
			}
			return rows
		}
	}
	t.Fatalf("the download of %s never completed", css)
	return nil
}

// attempts waits until the endpoint page's delivery log lists the attempts
// with these statuses (the worker delivers in the background: the page is
// fetched again, by the page itself, until it does), then shows it.
func attempts(t *testing.T, tab *browsertest.Tab, endpoint string, want []string) {
	t.Helper()
	var rows []string
	for _, s := range want {
		rows = append(rows, `<td>`+s+`</td>`)
	}
	re := `<article class="card delivery">[\s\S]*` + strings.Join(rows, `[\s\S]*`)
	browsertest.Run(tab, "wait for the attempts "+strings.Join(want, ", "), chromedp.PollFunction[bool](
		`async (url, re) => new RegExp(re).test(await (await fetch(url)).text())`,
		chromedp.WithPollingArgs(endpoint, re), chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
	tab.Do("show the delivery log", chromedp.Navigate(endpoint), chromedp.WaitVisible(chromedp.CSS(".delivery")))
	got := browsertest.Run(tab, "read the attempts", chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll(".delivery tbody tr td:nth-child(3)")).map(td => td.textContent)`))
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("the delivery log's attempts: %q, want %q", got, want)
	}
}
