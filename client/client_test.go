package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/satsrail/satsrail/apitype"
	"github.com/satsrail/satsrail/client"
	"github.com/satsrail/satsrail/internal/gateway"
)

// recorder is an http.RoundTripper that records every request and can make
// chosen attempts fail: before they are sent (the server never sees them)
// or after the server answered (the connection drops with the answer).
type recorder struct {
	base http.RoundTripper

	mu    sync.Mutex
	sent  []sentRequest
	fail  func(n int, r *http.Request) bool // before sending
	drop  func(n int, r *http.Request) bool // after the server answered
	other int
}

type sentRequest struct {
	method, path, idempotencyKey string
	status                       int
	retryAfter                   time.Duration
}

func (f *recorder) RoundTrip(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	n := len(f.sent)
	f.sent = append(f.sent, sentRequest{method: r.Method, path: r.URL.Path, idempotencyKey: r.Header.Get("Idempotency-Key")})
	fail, drop := f.fail != nil && f.fail(n, r), f.drop != nil && f.drop(n, r)
	f.mu.Unlock()
	if fail {
		return nil, errors.New("dial tcp: connection refused")
	}
	res, err := f.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.sent[n].status = res.StatusCode
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil {
		f.sent[n].retryAfter = time.Duration(s) * time.Second
	}
	f.mu.Unlock()
	if drop {
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return nil, errors.New("read tcp: connection reset by peer")
	}
	return res, nil
}

func (f *recorder) requests() []sentRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sentRequest(nil), f.sent...)
}

// newClient is a client of g through a recorder, whose waits between
// attempts are recorded instead of slept (and may move g's clock).
func newClient(t testing.TB, g *gw, key string, opts ...client.Option) (*client.Client, *recorder, *[]time.Duration) {
	t.Helper()
	rec := &recorder{base: http.DefaultTransport}
	c := client.New(g.url, key, append([]client.Option{client.WithHTTPClient(&http.Client{Transport: rec, Timeout: 30 * time.Second})}, opts...)...)
	var waits []time.Duration
	client.SetSleep(c, func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	})
	return c, rec, &waits
}

func sessionParams() *apitype.CheckoutSessionParams {
	return &apitype.CheckoutSessionParams{
		AmountCents: client.Int64(5000), Currency: client.String("usd"),
		CustomerEmail: client.String("buyer@example.com"),
		SuccessURL:    client.String("https://store.example/success"), CancelURL: client.String("https://store.example/cart"),
		Metadata: map[string]any{"order_id": "ORD-1234"},
	}
}

// countSessions counts the merchant's test sessions in the store.
func countSessions(t *testing.T, g *gw) int {
	t.Helper()
	l, err := g.svc.ListCheckoutSessions(context.Background(), gateway.Scope{MerchantID: g.mid, Mode: gateway.ModeTest},
		gateway.SessionFilter{Page: gateway.Page{Page: 1, PerPage: 100}})
	if err != nil {
		t.Fatal(err)
	}
	return l.TotalCount
}

func apiError(t *testing.T, err error) *client.Error {
	t.Helper()
	var e *client.Error
	if !errors.As(err, &e) {
		t.Fatalf("want a *client.Error, got %T %v", err, err)
	}
	return e
}

// TestEveryEndpoint calls every merchant API route through the SDK against
// the real gateway handler and checks what comes back.
func TestEveryEndpoint(t *testing.T) {
	g := setup(t)
	ctx := context.Background()
	c, rec, _ := newClient(t, g, g.sk())

	// Checkout sessions: create, get, list, simulate a payment, expire.
	sess, err := c.CreateCheckoutSession(ctx, sessionParams())
	if err != nil {
		t.Fatal(err)
	}
	if sess.Status != "pending" || sess.AmountCents != 5000 || !strings.HasPrefix(sess.CheckoutURL, "https://pay.example.com/checkout/cs_") ||
		sess.Metadata["order_id"] != "ORD-1234" {
		t.Fatalf("created %+v", sess)
	}
	got, err := c.GetCheckoutSession(ctx, sess.ID)
	if err != nil || got.ID != sess.ID || got.Status != "pending" {
		t.Fatalf("get: %+v %v", got, err)
	}
	paid, err := c.SimulatePayment(ctx, sess.ID)
	if err != nil || paid.Status != "completed" || paid.TransactionID == nil || paid.AmountSats == nil {
		t.Fatalf("simulate: %+v %v", paid, err)
	}
	other, err := c.CreateCheckoutSession(ctx, sessionParams())
	if err != nil {
		t.Fatal(err)
	}
	exp, err := c.ExpireCheckoutSession(ctx, other.ID)
	if err != nil || exp.Status != "expired" {
		t.Fatalf("expire: %+v %v", exp, err)
	}
	_, err = c.GetCheckoutSession(ctx, other.ID)
	if e := apiError(t, err); e.StatusCode != 410 || e.Code != client.CodeCheckoutExpired || e.CheckoutSession == nil || e.CheckoutSession.ID != other.ID {
		t.Fatalf("get expired: %+v", e)
	}
	list, err := c.ListCheckoutSessions(ctx, &client.CheckoutSessionListParams{Status: "completed"})
	if err != nil || len(list.Data) != 1 || list.Data[0].ID != sess.ID || list.Meta.TotalCount != 1 {
		t.Fatalf("list completed: %+v %v", list, err)
	}

	// Transactions.
	txs, err := c.ListTransactions(ctx, &client.TransactionListParams{CheckoutSessionID: sess.ID})
	if err != nil || len(txs.Data) != 1 || txs.Data[0].ID != *paid.TransactionID {
		t.Fatalf("transactions: %+v %v", txs, err)
	}
	tx, err := c.GetTransaction(ctx, *paid.TransactionID)
	if err != nil || tx.CheckoutSessionID != sess.ID || tx.AmountSats != *paid.AmountSats || tx.Status != "settled" {
		t.Fatalf("transaction: %+v %v", tx, err)
	}

	// Products: create, get by id and slug, update, list, delete.
	prod, err := c.CreateProduct(ctx, &apitype.ProductParams{Name: client.String("Coffee"), PriceCents: client.Int64(450),
		Slug: client.String("coffee"), SKU: client.String("C-1")})
	if err != nil || prod.Name != "Coffee" || prod.PriceCents != 450 || prod.Status != "active" {
		t.Fatalf("create product: %+v %v", prod, err)
	}
	if p, err := c.GetProduct(ctx, "coffee"); err != nil || p.ID != prod.ID {
		t.Fatalf("get product by slug: %+v %v", p, err)
	}
	up, err := c.UpdateProduct(ctx, prod.ID, &apitype.ProductParams{PriceCents: client.Int64(500)})
	if err != nil || up.PriceCents != 500 || up.Name != "Coffee" {
		t.Fatalf("update product: %+v %v", up, err)
	}
	pl, err := c.ListProducts(ctx, &client.ProductListParams{SKU: "C-1"})
	if err != nil || len(pl.Data) != 1 || pl.Data[0].ID != prod.ID {
		t.Fatalf("list products: %+v %v", pl, err)
	}
	if err := c.DeleteProduct(ctx, prod.ID); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetProduct(ctx, prod.ID)
	if e := apiError(t, err); e.StatusCode != 404 || e.Code != client.CodeNotFound {
		t.Fatalf("deleted product: %+v", e)
	}

	// Rates and the merchant.
	rate, err := c.GetRate(ctx, "eur")
	if err != nil || rate.Currency != "eur" || rate.BTCPrice != "60000.00" {
		t.Fatalf("rate: %+v %v", rate, err)
	}
	m, err := c.GetMerchant(ctx, client.WithIdempotencyKey("ignored on a GET"))
	if err != nil || m.ID != g.mid || m.Livemode {
		t.Fatalf("merchant: %+v %v", m, err)
	}
	m, err = c.UpdateMerchant(ctx, &apitype.MerchantParams{SupportEmail: client.String("help@store.example"),
		AllowedOrigins: &[]string{"https://store.example"}})
	if err != nil || m.SupportEmail == nil || *m.SupportEmail != "help@store.example" || len(m.AllowedOrigins) != 1 {
		t.Fatalf("update merchant: %+v %v", m, err)
	}
	var logo bytes.Buffer
	png.Encode(&logo, image.NewRGBA(image.Rect(0, 0, 8, 8)))
	m, err = c.SetMerchantLogo(ctx, logo.Bytes())
	if err != nil || m.LogoURL == nil {
		t.Fatalf("set logo: %+v %v", m, err)
	}
	if err := c.DeleteMerchantLogo(ctx); err != nil {
		t.Fatal(err)
	}
	if m, err = c.GetMerchant(ctx); err != nil || m.LogoURL != nil {
		t.Fatalf("logo after delete: %+v %v", m, err)
	}

	// Webhooks, their deliveries and events, delivered by the real worker
	// to a local receiver.
	hits := make(chan string, 10)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits <- r.Header.Get("X-SatsRail-Signature-V2")
	}))
	defer receiver.Close()
	wh, err := c.CreateWebhook(ctx, &apitype.WebhookParams{URL: client.String(receiver.URL + "/hooks"),
		Events: []string{"checkout.completed"}})
	if err != nil || !strings.HasPrefix(wh.Secret, "whsec_") || !wh.Active {
		t.Fatalf("create webhook: %+v %v", wh, err)
	}
	if w, err := c.GetWebhook(ctx, wh.ID); err != nil || w.URL != wh.URL || w.Secret != "" {
		t.Fatalf("get webhook: %+v %v", w, err)
	}
	if w, err := c.UpdateWebhook(ctx, wh.ID, &apitype.WebhookParams{Description: client.String("orders")}); err != nil ||
		w.Description == nil || *w.Description != "orders" {
		t.Fatalf("update webhook: %+v %v", w, err)
	}
	rot, err := c.RotateWebhookSecret(ctx, wh.ID)
	if err != nil || !strings.HasPrefix(rot.Secret, "whsec_") || rot.Secret == wh.Secret || rot.PrevSecretExpiresAt == nil {
		t.Fatalf("rotate: %+v %v", rot, err)
	}
	ev, err := c.SendTestWebhook(ctx, wh.ID)
	if err != nil || !strings.HasPrefix(ev.ID, "evt_") || len(ev.Data) == 0 {
		t.Fatalf("test webhook: %+v %v", ev, err)
	}
	if e, err := c.GetEvent(ctx, ev.ID); err != nil || e.Type != ev.Type || !bytes.Equal(e.Data, ev.Data) {
		t.Fatalf("get event: %+v %v", e, err)
	}
	evs, err := c.ListEvents(ctx, &client.EventListParams{Type: "checkout.completed"})
	if err != nil || len(evs.Data) != 1 {
		t.Fatalf("list events: %+v %v", evs, err)
	}
	whs, err := c.ListWebhooks(ctx, nil)
	if err != nil || len(whs.Data) != 1 || whs.Data[0].ID != wh.ID {
		t.Fatalf("list webhooks: %+v %v", whs, err)
	}
	<-hits
	ds := waitDelivered(t, c, wh.ID)
	if len(ds.Data) != 1 || ds.Data[0].EventID != ev.ID || ds.Data[0].Status != "succeeded" || len(ds.Data[0].AttemptLog) != 1 {
		t.Fatalf("deliveries: %+v", ds)
	}
	rd, err := c.RedeliverWebhookDelivery(ctx, ds.Data[0].ID)
	if err != nil || rd.EventID != ev.ID || rd.Status != "pending" {
		t.Fatalf("redeliver: %+v %v", rd, err)
	}
	if sig := <-hits; !strings.Contains(sig, "v1=") {
		t.Fatalf("redelivery signature %q", sig)
	}
	if err := c.DeleteWebhook(ctx, wh.ID); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetWebhook(ctx, wh.ID)
	if e := apiError(t, err); e.StatusCode != 404 {
		t.Fatalf("deleted webhook: %+v", e)
	}

	// Wallet: test mode has the built-in test wallet.
	w, err := c.GetWallet(ctx)
	if err != nil || w.Type != "test" || w.ID != nil {
		t.Fatalf("wallet: %+v %v", w, err)
	}
	ws, err := c.ListWallets(ctx)
	if err != nil || len(ws.Data) != 1 || ws.Data[0].Type != "test" {
		t.Fatalf("wallets: %+v %v", ws, err)
	}
	wt, err := c.TestWallet(ctx)
	if err != nil || !wt.OK {
		t.Fatalf("wallet test: %+v %v", wt, err)
	}
	_, err = c.ConnectWallet(ctx, &apitype.WalletParams{Type: "nonesuch"})
	if e := apiError(t, err); e.StatusCode < 400 {
		t.Fatalf("connect a bad wallet: %+v", e)
	}
	err = c.DisconnectWallet(ctx)
	if e := new(client.Error); err != nil && (!errors.As(err, &e) || e.StatusCode != 404) {
		t.Fatalf("disconnect: %v", err)
	}

	// Every POST carried an Idempotency-Key, and no two calls shared one.
	seen := map[string]bool{}
	for _, r := range rec.requests() {
		if r.method != http.MethodPost {
			if r.idempotencyKey != "" {
				t.Errorf("%s %s with an Idempotency-Key", r.method, r.path)
			}
			continue
		}
		if r.idempotencyKey == "" {
			t.Errorf("%s %s without an Idempotency-Key", r.method, r.path)
		}
		if seen[r.idempotencyKey] {
			t.Errorf("%s %s reused key %s", r.method, r.path, r.idempotencyKey)
		}
		seen[r.idempotencyKey] = true
	}
}

// TestDroppedAfterCommit: the connection drops after the server created the
// session. The retry carries the same key, so the server answers with the
// same session: one session, not two.
func TestDroppedAfterCommit(t *testing.T) {
	g := setup(t)
	c, rec, waits := newClient(t, g, g.sk())
	rec.drop = func(n int, r *http.Request) bool { return n == 0 }
	var res client.Response
	sess, err := c.CreateCheckoutSession(context.Background(), sessionParams(), client.CaptureResponse(&res))
	if err != nil {
		t.Fatal(err)
	}
	sent := rec.requests()
	if len(sent) != 2 || sent[0].status != 201 || sent[0].idempotencyKey == "" || sent[1].idempotencyKey != sent[0].idempotencyKey {
		t.Fatalf("requests: %+v", sent)
	}
	if !res.Replayed || res.Attempts != 2 || res.StatusCode != 200 || res.IdempotencyKey != sent[0].idempotencyKey {
		t.Fatalf("response %+v", res)
	}
	if n := countSessions(t, g); n != 1 {
		t.Fatalf("%d sessions after one dropped create, want 1", n)
	}
	if got, err := c.GetCheckoutSession(context.Background(), sess.ID); err != nil || got.ID != sess.ID {
		t.Fatalf("the answered session %s is not the stored one: %v", sess.ID, err)
	}
	if len(*waits) != 1 || (*waits)[0] < client.DefaultMinBackoff/2 || (*waits)[0] > client.DefaultMinBackoff {
		t.Fatalf("waits %v", *waits)
	}
}

// TestConnectionRefusedRetried: attempts that never reach the server are
// retried with growing, jittered delays, then the error is returned.
func TestConnectionRefusedRetried(t *testing.T) {
	g := setup(t)
	c, rec, waits := newClient(t, g, g.sk(), client.WithBackoff(100*time.Millisecond, 250*time.Millisecond))
	rec.fail = func(n int, r *http.Request) bool { return n < 2 }
	if _, err := c.CreateProduct(context.Background(), &apitype.ProductParams{Name: client.String("Tea"), PriceCents: client.Int64(300)}); err != nil {
		t.Fatal(err)
	}
	if sent := rec.requests(); len(sent) != 3 || sent[2].status != 201 || sent[0].idempotencyKey != sent[2].idempotencyKey {
		t.Fatalf("requests %+v", sent)
	}
	w := *waits
	if len(w) != 2 || w[0] < 50*time.Millisecond || w[0] > 100*time.Millisecond || w[1] < 100*time.Millisecond || w[1] > 200*time.Millisecond {
		t.Fatalf("waits %v", w)
	}

	// Always failing: 1 + 3 attempts, then the transport's error.
	rec.fail = func(int, *http.Request) bool { return true }
	before := len(rec.requests())
	_, err := c.GetMerchant(context.Background())
	var apiErr *client.Error
	if err == nil || errors.As(err, &apiErr) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("err %v", err)
	}
	if n := len(rec.requests()) - before; n != 1+client.DefaultMaxRetries {
		t.Fatalf("%d attempts, want %d", n, 1+client.DefaultMaxRetries)
	}
	if w := (*waits)[2:]; len(w) != 3 || w[2] > 250*time.Millisecond || w[2] < 125*time.Millisecond {
		t.Fatalf("capped waits %v", w)
	}
}

// TestNoRetryOn4xx: a 4xx other than 409 idempotency_in_progress and 429 is
// returned at once, typed.
func TestNoRetryOn4xx(t *testing.T) {
	g := setup(t)
	ctx := context.Background()
	c, rec, _ := newClient(t, g, g.sk())
	bad := sessionParams()
	bad.AmountCents = client.Int64(-5)
	cases := []struct {
		name   string
		call   func(c *client.Client) error
		status int
		code   string
	}{
		{"422 validation", func(c *client.Client) error { _, err := c.CreateCheckoutSession(ctx, bad); return err }, 422, client.CodeValidation},
		{"404", func(c *client.Client) error { _, err := c.GetCheckoutSession(ctx, "cs_nonesuch"); return err }, 404, client.CodeNotFound},
		{"422 bad filter", func(c *client.Client) error {
			_, err := c.ListCheckoutSessions(ctx, &client.CheckoutSessionListParams{Status: "paid"})
			return err
		}, 422, client.CodeValidation},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(rec.requests())
			e := apiError(t, tc.call(c))
			if e.StatusCode != tc.status || e.Code != tc.code || e.Message == "" || !strings.HasPrefix(e.RequestID, "req_") {
				t.Fatalf("error %+v", e)
			}
			if n := len(rec.requests()) - before; n != 1 {
				t.Fatalf("%d attempts on a %d, want 1", n, tc.status)
			}
		})
	}
	e := apiError(t, func() error { _, err := c.CreateCheckoutSession(ctx, bad); return err }())
	if e.Field("amount_cents") == "" || !strings.Contains(e.Error(), "amount_cents") || !strings.Contains(e.Error(), e.RequestID) {
		t.Fatalf("field details: %+v / %s", e, e)
	}

	// 401 and 403 are not retried either.
	for _, k := range []struct {
		key    string
		status int
		code   string
	}{{"sk_test_wrong", 401, client.CodeUnauthorized}, {g.pk(), 403, client.CodePermissionDenied}} {
		c, rec, _ := newClient(t, g, k.key)
		_, err := c.GetMerchant(ctx)
		if e := apiError(t, err); e.StatusCode != k.status || e.Code != k.code || len(rec.requests()) != 1 {
			t.Fatalf("%s: %+v after %d attempts", k.code, e, len(rec.requests()))
		}
	}

	// The same key with another body: 422 idempotency_error, not retried.
	c2, rec2, _ := newClient(t, g, g.sk())
	if _, err := c2.CreateCheckoutSession(ctx, sessionParams(), client.WithIdempotencyKey("order-77")); err != nil {
		t.Fatal(err)
	}
	other := sessionParams()
	other.AmountCents = client.Int64(6000)
	_, err := c2.CreateCheckoutSession(ctx, other, client.WithIdempotencyKey("order-77"))
	if e := apiError(t, err); e.StatusCode != 422 || e.Code != client.CodeIdempotency || len(rec2.requests()) != 2 {
		t.Fatalf("key reuse: %+v after %d requests", e, len(rec2.requests()))
	}
}

// TestRetry5xx: a 503 (no trustworthy price) is retried, then returned.
func TestRetry5xx(t *testing.T) {
	g := setup(t, gwOptions{noRates: true})
	c, rec, waits := newClient(t, g, g.sk(), client.WithMaxRetries(2))
	_, err := c.GetRate(context.Background(), "usd")
	if e := apiError(t, err); e.StatusCode != 503 || e.Code != client.CodeRateUnavailable {
		t.Fatalf("error %+v", e)
	}
	if n := len(rec.requests()); n != 3 || len(*waits) != 2 {
		t.Fatalf("%d attempts, %d waits; want 3 and 2", n, len(*waits))
	}
}

// TestRetry429: the client waits the Retry-After the gateway sends, then
// succeeds; a Retry-After beyond WithMaxRetryAfter is returned instead.
func TestRetry429(t *testing.T) {
	g := setup(t, gwOptions{rateLimit: 1})
	ctx := context.Background()
	c, rec, _ := newClient(t, g, g.sk())
	var waits []time.Duration
	client.SetSleep(c, func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		g.clock.Advance(d) // the gateway's minute passes
		return nil
	})
	if _, err := c.GetMerchant(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateCheckoutSession(ctx, sessionParams()); err != nil {
		t.Fatal(err)
	}
	sent := rec.requests()
	if len(sent) != 3 || sent[1].status != 429 || sent[2].status != 201 || sent[1].idempotencyKey != sent[2].idempotencyKey {
		t.Fatalf("requests %+v", sent)
	}
	if len(waits) != 1 || waits[0] != sent[1].retryAfter || waits[0] < time.Second || waits[0] > time.Minute {
		t.Fatalf("waited %v, want the Retry-After %v", waits, sent[1].retryAfter)
	}

	short, rec2, _ := newClient(t, g, g.sk(), client.WithMaxRetryAfter(time.Second))
	_, err := short.GetMerchant(ctx)
	if e := apiError(t, err); e.StatusCode != 429 || e.Code != client.CodeRateLimited || e.RetryAfter < time.Second || len(rec2.requests()) != 1 {
		t.Fatalf("%+v after %d attempts", e, len(rec2.requests()))
	}
}

// TestRetryInProgress: while a first request with the Idempotency-Key is
// still running, the server answers a second one 409
// idempotency_in_progress; the client retries with the same key and gets
// the first request's object, replayed: one endpoint, not two.
func TestRetryInProgress(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	g := setup(t, gwOptions{guard: func(ctx context.Context, _ gateway.Mode, rawURL string) error {
		if strings.Contains(rawURL, "slow") {
			close(entered)
			<-release
		}
		return nil
	}})
	ctx := context.Background()
	params := &apitype.WebhookParams{URL: client.String("https://slow.store.example/hooks")}
	const key = "setup-webhook-1"

	first, _, _ := newClient(t, g, g.sk())
	type result struct {
		w   *apitype.WebhookEndpoint
		err error
	}
	done := make(chan result, 1)
	go func() {
		w, err := first.CreateWebhook(ctx, params, client.WithIdempotencyKey(key))
		done <- result{w, err}
	}()
	<-entered

	c, rec, _ := newClient(t, g, g.sk())
	var firstResult result
	client.SetSleep(c, func(ctx context.Context, d time.Duration) error {
		close(release) // the first request finishes while this one waits
		firstResult = <-done
		return nil
	})
	var res client.Response
	w, err := c.CreateWebhook(ctx, params, client.WithIdempotencyKey(key), client.CaptureResponse(&res))
	if err != nil || firstResult.err != nil {
		t.Fatal(err, firstResult.err)
	}
	sent := rec.requests()
	if len(sent) != 2 || sent[0].status != 409 || sent[1].status != 200 || sent[0].idempotencyKey != key || sent[1].idempotencyKey != key {
		t.Fatalf("requests %+v", sent)
	}
	if !res.Replayed || w.ID != firstResult.w.ID || w.Secret != firstResult.w.Secret {
		t.Fatalf("replayed %v: %+v, first %+v", res.Replayed, w, firstResult.w)
	}
	l, err := c.ListWebhooks(ctx, nil)
	if err != nil || l.Meta.TotalCount != 1 {
		t.Fatalf("%+v %v: want one endpoint", l, err)
	}
}

// TestIterators: All* follows the pages with starting_after and yields
// every object once, newest first; breaking out stops fetching.
func TestIterators(t *testing.T) {
	g := setup(t)
	ctx := context.Background()
	c, rec, _ := newClient(t, g, g.sk())
	var want []string
	for i := range 7 {
		p, err := c.CreateProduct(ctx, &apitype.ProductParams{Name: client.String(fmt.Sprintf("Item %d", i)), PriceCents: client.Int64(100)})
		if err != nil {
			t.Fatal(err)
		}
		g.clock.Advance(time.Second) // distinct creation times: a stable order
		want = append([]string{p.ID}, want...)
	}
	before := len(rec.requests())
	var got []string
	for p, err := range c.AllProducts(ctx, &client.ProductListParams{PageParams: client.PageParams{PerPage: 3}}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p.ID)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("iterated %v, want %v", got, want)
	}
	if n := len(rec.requests()) - before; n != 3 {
		t.Fatalf("%d pages fetched, want 3", n)
	}

	before = len(rec.requests())
	n := 0
	for range c.AllProducts(ctx, &client.ProductListParams{PageParams: client.PageParams{PerPage: 3}}) {
		if n++; n == 2 {
			break
		}
	}
	if f := len(rec.requests()) - before; f != 1 {
		t.Fatalf("break after 2 fetched %d pages", f)
	}

	// An error ends the iteration, yielded once.
	errs := 0
	for _, err := range c.AllCheckoutSessions(ctx, &client.CheckoutSessionListParams{Status: "paid"}) {
		if e := apiError(t, err); e.Code != client.CodeValidation {
			t.Fatalf("%+v", e)
		}
		errs++
	}
	if errs != 1 {
		t.Fatalf("%d errors yielded", errs)
	}

	// The other iterators walk their lists too.
	sess, _ := c.CreateCheckoutSession(ctx, sessionParams())
	if _, err := c.SimulatePayment(ctx, sess.ID); err != nil {
		t.Fatal(err)
	}
	count := func(seq func(func(string, error) bool)) int {
		k := 0
		for _, err := range seq {
			if err != nil {
				t.Fatal(err)
			}
			k++
		}
		return k
	}
	if k := count(mapIDs(c.AllCheckoutSessions(ctx, nil), func(s apitype.CheckoutSession) string { return s.ID })); k != 1 {
		t.Fatalf("%d sessions", k)
	}
	if k := count(mapIDs(c.AllTransactions(ctx, nil), func(s apitype.Transaction) string { return s.ID })); k != 1 {
		t.Fatalf("%d transactions", k)
	}
	if k := count(mapIDs(c.AllEvents(ctx, &client.EventListParams{Type: "checkout.completed"}), func(s apitype.Event) string { return s.ID })); k != 1 {
		t.Fatalf("%d events", k)
	}
	wh, err := c.CreateWebhook(ctx, &apitype.WebhookParams{URL: client.String("https://store.example/hooks")})
	if err != nil {
		t.Fatal(err)
	}
	if k := count(mapIDs(c.AllWebhooks(ctx, nil), func(s apitype.WebhookEndpoint) string { return s.ID })); k != 1 {
		t.Fatalf("%d webhooks", k)
	}
	c.SendTestWebhook(ctx, wh.ID)
	if k := count(mapIDs(c.AllWebhookDeliveries(ctx, wh.ID, nil), func(s apitype.WebhookDelivery) string { return s.ID })); k != 1 {
		t.Fatalf("%d deliveries", k)
	}
}

// waitDelivered polls an endpoint's deliveries until none is pending.
func waitDelivered(t *testing.T, c *client.Client, webhookID string) *apitype.List[apitype.WebhookDelivery] {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ds, err := c.ListWebhookDeliveries(context.Background(), webhookID, nil)
		if err != nil {
			t.Fatal(err)
		}
		pending := false
		for _, d := range ds.Data {
			pending = pending || d.Status == "pending"
		}
		if !pending {
			return ds
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries still pending: %+v", ds)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func mapIDs[T any](seq func(func(T, error) bool), id func(T) string) func(func(string, error) bool) {
	return func(yield func(string, error) bool) {
		for v, err := range seq {
			if !yield(id(v), err) {
				return
			}
		}
	}
}

// TestBaseURLs: a test key goes to the test base URL, a live key to the
// base URL; /api/v1 on the base is accepted.
func TestBaseURLs(t *testing.T) {
	g := setup(t)
	ctx := context.Background()
	c := client.New("http://127.0.0.1:9", g.sk(), client.WithTestBaseURL(g.url+"/api/v1/"), client.WithMaxRetries(0))
	if c.Livemode() || c.BaseURL() != g.url {
		t.Fatalf("test key: live %v, base %s", c.Livemode(), c.BaseURL())
	}
	if m, err := c.GetMerchant(ctx); err != nil || m.Livemode {
		t.Fatalf("merchant through the test base URL: %+v %v", m, err)
	}
	live := client.New(g.url, g.keys["sk_live"], client.WithTestBaseURL("http://127.0.0.1:9"))
	if !live.Livemode() || live.BaseURL() != g.url {
		t.Fatalf("live key: live %v, base %s", live.Livemode(), live.BaseURL())
	}
	if m, err := live.GetMerchant(ctx); err != nil || !m.Livemode {
		t.Fatalf("live merchant: %+v %v", m, err)
	}
	if client.New("", "sk_test_x").BaseURL() != client.DefaultBaseURL {
		t.Fatal("empty base URL is not the default")
	}
}

// TestPublishableKey: a pk creates sessions and reads rates, nothing else.
func TestPublishableKey(t *testing.T) {
	g := setup(t)
	ctx := context.Background()
	c, _, _ := newClient(t, g, g.pk())
	// pay.js's rule: a publishable key returns customers only to the
	// merchant's allowed origins, so with none it is refused by field.
	_, err := c.CreateCheckoutSession(ctx, sessionParams())
	if e := apiError(t, err); e.StatusCode != 422 || len(e.Details) == 0 || e.Details[0].Field != "success_url" {
		t.Fatalf("pk create with no allowed origin: %+v", e)
	}
	sk := client.New(g.url, g.sk())
	if _, err := sk.UpdateMerchant(ctx, &apitype.MerchantParams{AllowedOrigins: &[]string{"https://store.example"}}); err != nil {
		t.Fatal(err)
	}
	if s, err := c.CreateCheckoutSession(ctx, sessionParams()); err != nil || s.Status != "pending" {
		t.Fatalf("pk create: %+v %v", s, err)
	}
	if r, err := c.GetRate(ctx, ""); err != nil || r.Currency != "usd" {
		t.Fatalf("pk rate: %+v %v", r, err)
	}
	_, err = c.ListCheckoutSessions(ctx, nil)
	if e := apiError(t, err); e.StatusCode != 403 {
		t.Fatalf("pk list: %+v", e)
	}
}

// TestContext: a cancelled context ends the call, and a deadline shorter
// than the next backoff returns the last error instead of sleeping.
func TestContext(t *testing.T) {
	g := setup(t, gwOptions{noRates: true})
	c := client.New(g.url, g.sk(), client.WithBackoff(time.Hour, time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.GetRate(ctx, "usd")
	if e := apiError(t, err); e.StatusCode != 503 || time.Since(start) > 5*time.Second {
		t.Fatalf("%+v after %v", e, time.Since(start))
	}
	done, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := c.GetMerchant(done); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

// TestUnusableBaseURLNotRetried: a base URL the HTTP client cannot send to
// at all (a scheme other than http/https, none, no host, one that does not
// parse) fails at once with the URL error, without a wait or a second
// attempt; a refused connection on a good URL is still retried (the control).
func TestUnusableBaseURLNotRetried(t *testing.T) {
	for _, c := range []struct {
		base     string
		attempts int // requests the transport saw (0: the URL did not parse)
		want     string
	}{
		{"ftp://127.0.0.1:1", 1, `unsupported protocol scheme "ftp"`},
		{"pay.example.com", 1, `unsupported protocol scheme ""`},
		{"http://", 1, "no Host in request URL"},
		{"http://[::1", 0, "missing ']' in host"},
		{"127.0.0.1:8080", 0, "first path segment in URL cannot contain colon"},
		{"http://127.0.0.1:1", 1 + client.DefaultMaxRetries, "connection refused"},
	} {
		rec := &recorder{base: http.DefaultTransport}
		cl := client.New(c.base, "sk_test_x", client.WithHTTPClient(&http.Client{Transport: rec, Timeout: 5 * time.Second}))
		waits := 0
		client.SetSleep(cl, func(context.Context, time.Duration) error { waits++; return nil })
		var res client.Response
		_, err := cl.GetMerchant(context.Background(), client.CaptureResponse(&res))
		var ue *url.Error
		if err == nil || !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want a *url.Error saying %q", c.base, err, c.want)
		}
		if n := len(rec.requests()); n != c.attempts || res.Attempts != c.attempts || waits != max(0, c.attempts-1) {
			t.Errorf("%s: %d requests, %d attempts counted, %d waits; want %d attempts", c.base, n, res.Attempts, waits, c.attempts)
		}
	}
}
