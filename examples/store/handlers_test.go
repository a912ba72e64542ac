package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/satsrail/satsrail/webhook"
)

const testSecret = "whsec_0123456789abcdefghijklmnopqrstuv"

// newTestApp is the shop's web front with a known webhook secret. Its
// gateway is a closed port: these tests cover what the shop decides
// without asking the gateway (the browser test runs the whole flow
// against the real one).
func newTestApp(t *testing.T, publishable string) (*App, *httptest.Server) {
	t.Helper()
	a, err := newApp(config{publicURL: "http://shop.test", gatewayURL: "http://127.0.0.1:9", secretKey: "sk_test_x",
		publishableKey: publishable, webhookSecret: testSecret}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	a.shop = newTestShop()
	srv := httptest.NewServer(a.routes())
	t.Cleanup(srv.Close)
	return a, srv
}

// noRedirects is a client that shows redirects instead of following them.
func noRedirects() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func get(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	res, err := noRedirects().Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// deliver posts an event body to the shop's webhook URL, signed with
// secrets at time at (no signature when secrets is nil).
func deliver(t *testing.T, srv *httptest.Server, body []byte, at time.Time, secrets []string, edit func(http.Header)) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.URL+webhookPath, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	if secrets != nil {
		webhook.SignHeaders(req.Header, secrets, at, body)
	}
	if edit != nil {
		edit(req.Header)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, strings.TrimSpace(string(b))
}

func TestWebhookVerifiesDedupesAndMarksPaid(t *testing.T) {
	a, srv := newTestApp(t, "")
	cart := a.shop.NewCart()
	a.shop.Add(cart, "satoshi-mug", 2)
	o, _ := a.shop.PlaceOrder(cart)
	a.shop.Attach(o.ID, "cs_1")
	body, _ := json.Marshal(map[string]any{
		"id": "evt_1", "event": "checkout.completed", "livemode": false, "checkout_id": "cs_1",
		"amount_cents": 2500, "currency": "usd", "metadata": map[string]string{"order_id": o.ID},
		"timestamp": time.Now().UTC(), "status": "completed", "transaction_id": "txn_1",
	})
	now := time.Now()
	status := func() string { got, _ := a.shop.OrderByCheckout("cs_1"); return got.Status }

	// What is not the gateway's is refused, and changes nothing.
	refused := []struct {
		name    string
		body    []byte
		at      time.Time
		secrets []string
		edit    func(http.Header)
	}{
		{"unsigned", body, now, nil, nil},
		{"another secret", body, now, []string{"whsec_other"}, nil},
		{"a changed body", []byte(strings.Replace(string(body), "2500", "1", 1)), now, nil, func(h http.Header) {
			webhook.SignHeaders(h, []string{testSecret}, now, body) // signed the original
		}},
		{"an hour old (a replay)", body, now.Add(-time.Hour), []string{testSecret}, nil},
		{"the seed signature only (no timestamp)", body, now, []string{testSecret}, func(h http.Header) {
			h.Del(webhook.HeaderSignatureV2)
			h.Del(webhook.HeaderTimestamp)
		}},
	}
	for _, c := range refused {
		if code, _ := deliver(t, srv, c.body, c.at, c.secrets, c.edit); code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", c.name, code)
		}
		if s := status(); s != OrderPending {
			t.Fatalf("%s made the order %s", c.name, s)
		}
	}

	if code, out := deliver(t, srv, body, now, []string{testSecret}, nil); code != 200 || out != Applied {
		t.Fatalf("the signed event: %d %q", code, out)
	}
	if s := status(); s != OrderPaid {
		t.Fatalf("after the event the order is %s", s)
	}
	// The gateway retries (same event id, a new attempt's signature): one effect.
	if code, out := deliver(t, srv, body, now.Add(time.Second), []string{testSecret}, nil); code != 200 || out != Duplicate {
		t.Errorf("the retry: %d %q, want 200 duplicate", code, out)
	}
	// Signed, but for another amount than the order's: not paid, acknowledged.
	o2cart := a.shop.NewCart()
	a.shop.Add(o2cart, "node-tee", 1)
	o2, _ := a.shop.PlaceOrder(o2cart)
	a.shop.Attach(o2.ID, "cs_2")
	short, _ := json.Marshal(map[string]any{"id": "evt_2", "event": "checkout.completed", "checkout_id": "cs_2",
		"amount_cents": 1, "currency": "usd", "metadata": map[string]string{"order_id": o2.ID}, "timestamp": time.Now().UTC()})
	if code, out := deliver(t, srv, short, now, []string{testSecret}, nil); code != 200 || out != "refused" {
		t.Errorf("an underpaid session: %d %q", code, out)
	}
	if got, _ := a.shop.OrderByCheckout("cs_2"); got.Status != OrderPending {
		t.Errorf("an underpaid order became %s", got.Status)
	}
	_, page := get(t, srv.URL+"/orders")
	if !strings.Contains(page, `data-label="Status">paid<`) || !strings.Contains(page, "webhook <code>evt_1</code>") || !strings.Contains(page, `data-label="Status">pending<`) {
		t.Errorf("the orders page does not show the paid and the pending order:\n%s", page)
	}
}

func TestSuccessPageTrustsNoForgedID(t *testing.T) {
	_, srv := newTestApp(t, "")
	for _, id := range []string{"cs_forged0123456789", "", "<script>"} {
		res, page := get(t, srv.URL+"/success?checkout_id="+url.QueryEscape(id))
		if res.StatusCode != 200 || !strings.Contains(page, "Not paid yet") || strings.Contains(page, "Paid ✓") {
			t.Errorf("checkout_id %q: %d\n%s", id, res.StatusCode, page)
		}
		if strings.Contains(page, "<script>") {
			t.Errorf("checkout_id %q is echoed unescaped", id)
		}
	}
}

func TestPagesCartAndHeaders(t *testing.T) {
	_, srv := newTestApp(t, "pk_test_abc")
	c := noRedirects()
	jar := &cookieJar{}
	post := func(path string, form url.Values, site string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if site != "" {
			req.Header.Set("Sec-Fetch-Site", site)
		}
		jar.add(req)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		jar.keep(res)
		return res
	}
	if res := post("/cart/add", url.Values{"slug": {"satoshi-mug"}, "quantity": {"2"}}, "same-origin"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/cart" {
		t.Fatalf("add: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	post("/cart/add", url.Values{"slug": {"node-tee"}}, "same-origin")
	// A form on another site cannot fill the cart.
	if res := post("/cart/add", url.Values{"slug": {"wallet-sleeve"}}, "cross-site"); res.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site add: %d, want 403", res.StatusCode)
	}
	for form, want := range map[string]int{"slug=nope": 422, "slug=node-tee&quantity=x": 422, "slug=node-tee&quantity=0": 422} {
		v, _ := url.ParseQuery(form)
		if res := post("/cart/add", v, ""); res.StatusCode != want {
			t.Errorf("add %s: %d, want %d", form, res.StatusCode, want)
		}
	}
	req, _ := http.NewRequest("GET", srv.URL+"/cart", nil)
	jar.add(req)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	cart := string(b)
	if !strings.Contains(cart, "Satoshi mug") || !strings.Contains(cart, "Node runner T-shirt") || !strings.Contains(cart, `id="total">$49.00<`) || strings.Contains(cart, "Hardware wallet sleeve") {
		t.Errorf("the cart page:\n%s", cart)
	}

	// Every page: a strict CSP without scripts, except the pay.js page.
	for _, p := range []string{"/", "/cart", "/orders", "/success?checkout_id=x", "/products/satoshi-mug", "/products/nope"} {
		res, _ := get(t, srv.URL+p)
		csp := res.Header.Get("Content-Security-Policy")
		if !strings.HasPrefix(csp, "default-src 'none'") || strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe") ||
			!strings.Contains(csp, "form-action 'self' http://127.0.0.1:9") || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: CSP %q", p, csp)
		}
	}
	res, page := get(t, srv.URL+"/products/sticker-pack")
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src http://127.0.0.1:9;") || !strings.Contains(csp, "frame-src http://127.0.0.1:9") || strings.Contains(csp, "unsafe") {
		t.Errorf("the pay.js page's CSP: %q", csp)
	}
	if !strings.Contains(page, `<script src="http://127.0.0.1:9/js/pay.js" data-key="pk_test_abc" data-product="sticker-pack" data-mode="iframe"></script>`) {
		t.Errorf("the pay.js tag is missing:\n%s", page)
	}
	if res, _ := get(t, srv.URL+"/products/nope"); res.StatusCode != 404 {
		t.Errorf("an unknown product: %d", res.StatusCode)
	}
}

// cookieJar keeps the shop's cart cookie between requests.
type cookieJar struct{ cookies []*http.Cookie }

func (j *cookieJar) add(r *http.Request) {
	for _, c := range j.cookies {
		r.AddCookie(c)
	}
}

func (j *cookieJar) keep(res *http.Response) { j.cookies = append(j.cookies, res.Cookies()...) }
