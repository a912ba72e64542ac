package httpapi_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/bolt11"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/httpapi"
	"github.com/satsrail/satsrail/internal/rates"
	"github.com/satsrail/satsrail/internal/testdb"
	"github.com/satsrail/satsrail/internal/wallet/testwallet"
)

// testWallets gives test mode the test wallet.
type testWallets struct{ w *testwallet.Wallet }

func (r testWallets) Wallet(_ context.Context, s gateway.Scope) (gateway.Wallet, error) {
	if s.Mode != gateway.ModeTest {
		return nil, gateway.Errorf(gateway.CodeWalletUnavailable, "No Lightning wallet is connected for live mode.")
	}
	return r.w.For(s.MerchantID), nil
}

// recordedProvider serves one file of the rate providers' recorded real
// answers (internal/rates/testdata/recorded) for path, and returns its
// --rate-providers entry.
func recordedProvider(t *testing.T, name, path, file string) string {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("..", "rates", "testdata", "recorded", file))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return name + "=" + srv.URL
}

// currencyEnv is a gateway with real parts — the store of this run's engine
// (SQLite, or PostgreSQL with SATSRAIL_TEST_STORE=postgres), the test
// wallet, the BOLT11 decoder — priced by three providers serving their
// recorded answers (Coinbase, Kraken, Blockchain.com), and Yadio, which
// never answers.
func currencyEnv(t *testing.T) *env {
	t.Helper()
	st := testdb.Open(t)
	key := make([]byte, 32)
	rand.Read(key)
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	spec := strings.Join([]string{
		recordedProvider(t, "coinbase", "/v2/exchange-rates", "coinbase/exchange-rates.json"),
		recordedProvider(t, "kraken", "/0/public/Ticker", "kraken/ticker.json"),
		recordedProvider(t, "blockchain", "/ticker", "blockchain/ticker.json"),
		"yadio=http://127.0.0.1:9",
	}, ",")
	ps, err := rates.ParseProviders(spec, &http.Client{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	src := rates.New(rates.Config{Providers: ps}) // every ISO 4217 currency
	src.Refresh(context.Background())
	tw := testwallet.New(testwallet.Config{Store: st, MasterKey: key, Now: clk.Now})
	svc := gateway.NewService(gateway.Config{Store: st, Rates: src, Clock: clk, Wallets: testWallets{tw}, Decode: bolt11.Decode})
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Service: svc, PublicURL: "https://pay.example.com"}))
	t.Cleanup(srv.Close)
	e := &env{t: t, url: srv.URL, svc: svc, store: st, clock: clk, rates: src}
	e.a = e.newMerchant("Alice's Shop", 0)
	return e
}

// TestCurrencyWholePath takes an amount in a 0-, 3- and 2-decimal currency
// from the API to the Lightning invoice: the session keeps the integer minor
// units it was given, the page's invoice (EnsureInvoice, as the hosted page
// calls it) asks for exactly the satoshis the recorded prices give, rounded
// up, and the BOLT11 says so in msat.
func TestCurrencyWholePath(t *testing.T) {
	e := currencyEnv(t)
	tests := []struct {
		currency  string // as the merchant sends it
		amount    int64  // minor units
		want      string // the stored code
		sources   int    // providers that priced it
		rate      string // exchange_rate: the median, two decimals
		wantSats  int64  // ceil(amount / 10^exp × 1e8 / median), worked by hand from the recordings
		displayed string
	}{
		// ¥500, 0 decimals: median of Kraken 14872481, Blockchain.com
		// 14880943.06, Coinbase 14916439 → 3360.0… → 3361.
		{"JPY", 500, "jpy", 3, "14880943.06", 3361, "500"},
		// KD 1.500, 3 decimals: Coinbase alone, 30593.533 → 4902.9… → 4903.
		{"kwd", 1500, "kwd", 1, "30593.53", 4903, "1.500"},
		// R$ 19.99, 2 decimals: mean of Coinbase 600573.93 and Blockchain.com
		// 600721.7 = 600647.815 → 3328.0… → 3329.
		{"Brl", 1999, "brl", 2, "600647.82", 3329, "19.99"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			r := e.do("GET", "/api/v1/rates?currency="+tc.currency, e.a.pk(), nil)
			o := r.obj(t)
			if r.status != 200 || o["currency"] != tc.want || o["btc_price"] != tc.rate || o["sources_agreed"] != float64(tc.sources) || len(o["sources"].([]any)) != tc.sources {
				t.Fatalf("rate: %d %s", r.status, r.body)
			}
			r = e.do("POST", "/api/v1/checkout_sessions", e.a.sk(), sessionBody(func(m map[string]any) {
				m["currency"], m["amount_cents"] = tc.currency, tc.amount
			}))
			s := r.obj(t)
			if r.status != http.StatusCreated || s["currency"] != tc.want || s["amount_cents"] != float64(tc.amount) {
				t.Fatalf("create: %d %s", r.status, r.body)
			}
			id := s["id"].(string)
			sess, err := e.svc.EnsureInvoice(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if int64(sess.AmountSats) != tc.wantSats || sess.ExchangeRate != tc.rate || int64(sess.AmountCents) != tc.amount {
				t.Errorf("invoiced %d sats at %s for %d; want %d at %s", sess.AmountSats, sess.ExchangeRate, sess.AmountCents, tc.wantSats, tc.rate)
			}
			inv, err := bolt11.Decode(sess.PaymentRequest)
			if err != nil {
				t.Fatal(err)
			}
			if int64(inv.AmountMsat) != tc.wantSats*1000 {
				t.Errorf("BOLT11 asks %d msat, want %d", inv.AmountMsat, tc.wantSats*1000)
			}
			g := e.do("GET", "/api/v1/checkout_sessions/"+id, e.a.sk(), nil).obj(t)
			if g["amount_sats"] != float64(tc.wantSats) || g["amount_cents"] != float64(tc.amount) || g["currency"] != tc.want || g["payment_request"] != sess.PaymentRequest {
				t.Errorf("session after the invoice: %v", g)
			}
			if got := gateway.FormatMinor(gateway.Cents(tc.amount), tc.want); got != tc.displayed {
				t.Errorf("FormatMinor = %s, want %s", got, tc.displayed)
			}
		})
	}
}

// TestCurrencyRefusals: an unknown code, or one no configured provider
// quotes, is 422 naming the field; one a provider quotes but none has
// priced is 503 rate_unavailable — for /rates and for checkout creation.
func TestCurrencyRefusals(t *testing.T) {
	e := currencyEnv(t)
	tests := []struct {
		currency string
		status   int
		code     string
	}{
		{"XYZ", 422, "validation_error"}, // not ISO 4217
		{"btc", 422, "validation_error"}, // not fiat
		{"clf", 422, "validation_error"}, // an ISO fund, not a currency to price in
		{"kpw", 422, "validation_error"}, // ISO, but no configured provider quotes it
		{"cup", 503, "rate_unavailable"}, // only Yadio quotes it, and Yadio is down
		{"CUP", 503, "rate_unavailable"},
	}
	for _, tc := range tests {
		t.Run(tc.currency, func(t *testing.T) {
			r := e.do("GET", "/api/v1/rates?currency="+tc.currency, e.a.sk(), nil)
			if r.status != tc.status || r.errCode(t) != tc.code {
				t.Errorf("rates: %d %s", r.status, r.body)
			}
			if tc.status == 422 && (len(r.detailFields(t)) != 1 || r.detailFields(t)[0] != "currency") {
				t.Errorf("rates: details %v", r.detailFields(t))
			}
			r = e.do("POST", "/api/v1/checkout_sessions", e.a.sk(), sessionBody(func(m map[string]any) { m["currency"] = tc.currency }))
			if r.status != tc.status || r.errCode(t) != tc.code {
				t.Errorf("create: %d %s", r.status, r.body)
			}
			if tc.status == 422 && (len(r.detailFields(t)) != 1 || r.detailFields(t)[0] != "currency") {
				t.Errorf("create: details %v", r.detailFields(t))
			}
		})
	}
}
