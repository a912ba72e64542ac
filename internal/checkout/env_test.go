package checkout_test

import (
	"context"
	"crypto/rand"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/bolt11"
	"github.com/satsrail/satsrail/internal/checkout"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/httpapi"
	"github.com/satsrail/satsrail/internal/rates"
	"github.com/satsrail/satsrail/internal/testdb"
	"github.com/satsrail/satsrail/internal/wallet/testwallet"
)

var update = flag.Bool("update", false, "rewrite the golden files")

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

// resolver gives test mode the test wallet (possibly wrapped) and live mode nothing.
type resolver struct {
	test *testwallet.Wallet
	wrap func(gateway.Wallet) gateway.Wallet
}

func (r *resolver) Wallet(_ context.Context, s gateway.Scope) (gateway.Wallet, error) {
	if s.Mode != gateway.ModeTest {
		return nil, gateway.Errorf(gateway.CodeWalletUnavailable, "No Lightning wallet is connected for live mode.")
	}
	var w gateway.Wallet = r.test.For(s.MerchantID)
	if r.wrap != nil {
		w = r.wrap(w)
	}
	return w, nil
}

// env is a gateway with real parts: SQLite, the test wallet, the BOLT11
// decoder, fixed prices, the API and the pages behind one server.
type env struct {
	t        testing.TB
	url      string
	svc      *gateway.Service
	store    gateway.Store
	wallet   *testwallet.Wallet
	resolver *resolver
	clock    *clock
	mid      string
	keys     map[gateway.KeyType]string
	calls    *atomic.Int64 // requests for anything but /js/pay.js
}

func setup(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	st := testdb.Open(t)
	key := make([]byte, 32)
	rand.Read(key)
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	tw := testwallet.New(testwallet.Config{Store: st, MasterKey: key, Now: clk.Now})
	fixed, _ := rates.ParseFixed("usd=65000,eur=60000")
	src := rates.New(rates.Config{Fixed: fixed, Currencies: []string{"usd", "eur"}})
	res := &resolver{test: tw}
	svc := gateway.NewService(gateway.Config{Store: st, Rates: src, Clock: clk, Wallets: res, Decode: bolt11.Decode})
	api := httpapi.New(httpapi.Config{Service: svc})
	pages := checkout.New(checkout.Config{Service: svc, PollEvery: 50 * time.Millisecond, RateLimit: 100000})
	root := http.NewServeMux()
	root.Handle("/", api)
	root.Handle("/checkout/", pages)
	root.Handle("/static/checkout/", pages)
	root.Handle("/pay/", pages)
	root.Handle("/logos/", pages)
	root.Handle("/js/", pages)
	root.Handle("POST /checkout/{token}/simulate_payment", api)
	calls := &atomic.Int64{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/js/pay.js" {
			calls.Add(1)
		}
		root.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	m, keys, err := svc.CreateMerchant(ctx, gateway.MerchantParams{Name: "Alice's Coffee & Co", Email: "alice@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, url: srv.URL, svc: svc, store: st, wallet: tw, resolver: res, clock: clk, mid: m.ID, keys: keys, calls: calls}
}

// session creates a test-mode session through the service.
func (e *env) session(mode gateway.Mode, edit ...func(*gateway.CheckoutSessionParams)) *gateway.CheckoutSession {
	e.t.Helper()
	amount, cur := int64(5000), "usd"
	succ, canc, email := "https://store.com/success?order=42", "https://store.com/cart", "buyer@example.com"
	p := gateway.CheckoutSessionParams{AmountCents: &amount, Currency: &cur, SuccessURL: &succ, CancelURL: &canc, CustomerEmail: &email,
		Metadata: map[string]any{"order_id": "ORD-1234"}}
	for _, f := range edit {
		f(&p)
	}
	kt := gateway.KeyType("sk_" + string(mode))
	pr, err := e.svc.Authenticate(context.Background(), e.keys[kt])
	if err != nil {
		e.t.Fatal(err)
	}
	s, err := e.svc.CreateCheckoutSession(context.Background(), pr, p)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

type resp struct {
	status int
	header http.Header
	body   string
	url    string
}

// get fetches a URL without following redirects.
func (e *env) fetch(method, path string, hdr ...string) resp {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.url+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: string(b), url: res.Header.Get("Location")}
}

func (e *env) get(id string) *gateway.CheckoutSession {
	e.t.Helper()
	s, err := e.store.GetCheckoutSession(context.Background(), gateway.Scope{}, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) events(id string) []gateway.Event {
	e.t.Helper()
	s := e.get(id)
	evs, err := e.store.ListEventsForObject(context.Background(), s.Scope(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

var (
	reToken  = regexp.MustCompile(`cs_[0-9A-Za-z]{28}`)
	reBolt11 = regexp.MustCompile(`(?i)lnbcrt[0-9a-z]+`)
	reSVG    = regexp.MustCompile(`<svg xmlns="http://www.w3.org/2000/svg" viewBox=[^>]*>.*?</svg>`)
	reTime   = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)
	// A localized time on the page (paid at, expired at): its format is
	// checked by the page tests in every language, not by the golden files.
	reWhen = regexp.MustCompile(`<p class="when">[^<]*</p>`)
)

// golden compares a page with testdata/name after replacing what differs
// run to run (tokens, invoices, QR modules, times); -update rewrites it.
func golden(t *testing.T, name, body string) {
	t.Helper()
	norm := reToken.ReplaceAllString(body, "cs_TOKEN")
	norm = reBolt11.ReplaceAllString(norm, "BOLT11")
	norm = reSVG.ReplaceAllString(norm, `<svg>QR</svg>`)
	norm = reTime.ReplaceAllString(norm, "TIME")
	norm = reWhen.ReplaceAllString(norm, `<p class="when">WHEN</p>`)
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(norm), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != norm {
		t.Errorf("%s differs from the golden file; run go test -update and review the diff.\n--- got ---\n%s", name, norm)
	}
}

func contains(t *testing.T, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
}
