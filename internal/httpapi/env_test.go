package httpapi_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/httpapi"
	"github.com/satsrail/satsrail/internal/rates"
	"github.com/satsrail/satsrail/internal/testdb"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// merchant is a test merchant and its four key secrets.
type merchant struct {
	id   string
	keys map[gateway.KeyType]string
}

func (m merchant) sk() string { return m.keys["sk_test"] }
func (m merchant) pk() string { return m.keys["pk_test"] }

// env is one test's gateway: a real SQLite store in a temp dir, a fixed-rate
// price source, a settable clock, and two merchants a and b.
type env struct {
	t     testing.TB
	url   string
	svc   *gateway.Service
	store gateway.Store
	clock *clock
	rates *rates.Source
	a, b  merchant
}

type options struct {
	rateLimit       int // merchant a's per-minute limit
	publicRateLimit int
	noRates         bool
	engine          string         // the store's engine; "" is the run's (testdb.Engine)
	sealer          gateway.Sealer // seals webhook secrets; nil: no webhooks
}

func setup(t testing.TB, opts ...options) *env {
	t.Helper()
	var o options
	if len(opts) > 0 {
		o = opts[0]
	}
	st := testdb.OpenEngine(t, cmp.Or(o.engine, testdb.Engine()))
	fixed := map[string]gateway.Decimal{}
	var err error
	if !o.noRates {
		fixed, err = rates.ParseFixed("usd=65000,eur=60000.50,jpy=10000000")
		if err != nil {
			t.Fatal(err)
		}
	}
	// A provider that never answers: prices come from the fixed rates, or,
	// without them, there is no price at all.
	dead, err := rates.ParseProviders("coinbase=http://127.0.0.1:9", nil)
	if err != nil {
		t.Fatal(err)
	}
	src := rates.New(rates.Config{Providers: dead, Fixed: fixed, Currencies: []string{"usd", "eur", "jpy"}})
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	svc := gateway.NewService(gateway.Config{Store: st, Rates: src, Clock: clk, Sealer: o.sealer})
	api := httpapi.New(httpapi.Config{Service: svc, PublicURL: "https://pay.example.com", PublicRateLimit: o.publicRateLimit})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	e := &env{t: t, url: srv.URL, svc: svc, store: st, clock: clk, rates: src}
	e.a = e.newMerchant("Alice's Shop", o.rateLimit)
	e.b = e.newMerchant("Bob's Shop", 0)
	return e
}

func (e *env) newMerchant(name string, rpm int) merchant {
	e.t.Helper()
	m, keys, err := e.svc.CreateMerchant(context.Background(), gateway.MerchantParams{Name: name, Email: "owner@example.com", RateLimitPerMinute: rpm})
	if err != nil {
		e.t.Fatal(err)
	}
	return merchant{id: m.ID, keys: keys}
}

// allowStore lets merchant m's publishable key send customers back to
// https://store.com, where sessionBody's success and cancel URLs are.
func (e *env) allowStore(m merchant) {
	e.t.Helper()
	if _, err := e.svc.UpdateMerchantSettings(context.Background(), m.id,
		gateway.MerchantSettings{AllowedOrigins: &[]string{"https://store.com"}}); err != nil {
		e.t.Fatal(err)
	}
}

// resp is one HTTP answer.
type resp struct {
	status int
	header http.Header
	body   []byte
}

// obj decodes the body as a JSON object.
func (r resp) obj(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// errCode returns error.code of an error body.
func (r resp) errCode(t testing.TB) string {
	t.Helper()
	e, _ := r.obj(t)["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

// detailFields returns the field names of error.details.
func (r resp) detailFields(t testing.TB) []string {
	t.Helper()
	e, _ := r.obj(t)["error"].(map[string]any)
	var out []string
	ds, _ := e["details"].([]any)
	for _, d := range ds {
		out = append(out, d.(map[string]any)["field"].(string))
	}
	return out
}

// do sends a request. body may be nil, a string (sent raw) or a value to
// encode as JSON. headers are name, value pairs. Every response is checked
// against the OpenAPI document and the error envelope rules.
func (e *env) do(method, path, key string, body any, headers ...string) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	r := resp{status: res.StatusCode, header: res.Header, body: b}
	checkEnvelope(e.t, method, path, r)
	checkOpenAPI(e.t, method, strings.SplitN(path, "?", 2)[0], r.status, r.body)
	return r
}

// checkEnvelope holds every response to SPEC §2: a Request-Id header, and on
// errors the one envelope carrying the same request_id; never a 500.
func checkEnvelope(t testing.TB, method, path string, r resp) {
	t.Helper()
	rid := r.header.Get("Request-Id")
	if !strings.HasPrefix(rid, "req_") {
		t.Errorf("%s %s: Request-Id header %q", method, path, rid)
	}
	if r.status >= 500 && r.status != http.StatusServiceUnavailable {
		t.Errorf("%s %s: status %d: %s", method, path, r.status, r.body)
	}
	if r.status < 400 {
		return
	}
	var body struct {
		Error struct {
			Code      string `json:"code"`
			Message   string `json:"message"`
			RequestID string `json:"request_id"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil || body.Error.Code == "" || body.Error.Message == "" {
		t.Errorf("%s %s: %d without the error envelope: %s", method, path, r.status, r.body)
	}
	if body.Error.RequestID != rid {
		t.Errorf("%s %s: request_id %q != Request-Id %q", method, path, body.Error.RequestID, rid)
	}
}

// session is a valid create body; edit returns a copy with changes applied.
func sessionBody(edit ...func(m map[string]any)) map[string]any {
	cs := map[string]any{
		"amount_cents":   5000,
		"currency":       "usd",
		"customer_email": "buyer@example.com",
		"success_url":    "https://store.com/success",
		"cancel_url":     "https://store.com/cart",
		"metadata":       map[string]any{"order_id": "ORD-1234"},
	}
	for _, f := range edit {
		f(cs)
	}
	return map[string]any{"checkout_session": cs}
}

// createSession makes a session for m and returns its id.
func (e *env) createSession(m merchant, key string) string {
	e.t.Helper()
	r := e.do("POST", "/api/v1/checkout_sessions", key, sessionBody())
	if r.status != http.StatusCreated {
		e.t.Fatalf("create session: %d %s", r.status, r.body)
	}
	return r.obj(e.t)["id"].(string)
}

// settle records a settled payment for a session the way the settlement
// code will: one transaction and the completed status in one store update.
func (e *env) settle(sessionID, hash string, at time.Time) string {
	e.t.Helper()
	txID := gateway.NewID(gateway.PrefixTransaction)
	_, err := e.store.UpdateCheckoutSession(context.Background(), gateway.Scope{}, sessionID, func(s *gateway.CheckoutSession) (gateway.SessionChange, error) {
		if err := s.Transition(gateway.StatusCompleted, at); err != nil {
			return gateway.SessionChange{}, err
		}
		s.TransactionID, s.PaymentHash, s.AmountSats = txID, hash, 7693
		tx := &gateway.Transaction{
			ID: txID, MerchantID: s.MerchantID, Mode: s.Mode, CheckoutSessionID: s.ID, Status: gateway.TxSettled,
			PaymentHash: hash, Preimage: strings.Repeat("ab", 32), AmountMsat: 7693000, AmountSats: 7693,
			AmountCents: s.AmountCents, Currency: s.Currency, ExchangeRate: "65000.00", SettledAt: at, CreatedAt: at,
		}
		return gateway.SessionChange{Transaction: tx}, nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return txID
}

func (e *env) svcScope(m merchant) gateway.Scope {
	return gateway.Scope{MerchantID: m.id, Mode: gateway.ModeTest}
}

func gatewayMerchant(name string, ttl time.Duration) gateway.MerchantParams {
	return gateway.MerchantParams{Name: name, Email: "q@example.com", CheckoutTTL: ttl}
}
