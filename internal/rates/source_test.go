package rates

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// fakeProvider answers from a settable table without any I/O.
type fakeProvider struct {
	name       string
	currencies []string // what it Supports; nil means every known currency

	mu     sync.Mutex
	prices map[string]string // currency → price text
	err    error
	asked  [][]string
}

func (f *fakeProvider) Name() string { return f.name }

func (f *fakeProvider) Supports(c string) bool {
	if f.currencies == nil {
		_, ok := gateway.CurrencyExponent(c)
		return ok
	}
	return slices.Contains(f.currencies, c)
}

func (f *fakeProvider) Fetch(_ context.Context, currencies []string) ([]gateway.Quote, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, currencies)
	if f.err != nil {
		return nil, f.err
	}
	var qs []gateway.Quote
	for _, c := range currencies {
		if p, ok := f.prices[c]; ok {
			d, err := gateway.ParseDecimal(p)
			if err != nil {
				return nil, err
			}
			qs = append(qs, gateway.Quote{Provider: "whoever", Currency: c, Price: d})
		}
	}
	return qs, nil
}

func (f *fakeProvider) rounds() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.asked)
}

func (f *fakeProvider) set(prices map[string]string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.prices, f.err = prices, err
}

// clock is a settable time source.
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

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// setup is the bundle most aggregator tests use.
type setup struct {
	src   *Source
	clock *clock
	logs  *syncBuffer
}

func newSetup(t testing.TB, cfg Config) setup {
	t.Helper()
	s := setup{clock: &clock{t: t0}, logs: &syncBuffer{}}
	cfg.Now = s.clock.Now
	cfg.Logger = slog.New(slog.NewTextHandler(s.logs, nil))
	s.src = New(cfg)
	return s
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// usdProviders builds one fake provider per price, named p0, p1, ...
func usdProviders(prices ...string) []Provider {
	var ps []Provider
	for i, p := range prices {
		ps = append(ps, &fakeProvider{name: fmt.Sprintf("p%d", i), prices: map[string]string{"usd": p}})
	}
	return ps
}

func mustRate(t *testing.T, src *Source, cur string) gateway.Rate {
	t.Helper()
	r, err := src.Rate(context.Background(), cur)
	if err != nil {
		t.Fatalf("Rate(%s): %v", cur, err)
	}
	return r
}

func sourceNames(r gateway.Rate) []string {
	var names []string
	for _, q := range r.Sources {
		names = append(names, q.Provider)
	}
	return names
}

func TestRateMedian(t *testing.T) {
	tests := []struct {
		name   string
		prices []string
		want   string
		used   []string
	}{
		{"one", []string{"64000.5"}, "64000.5", []string{"p0"}},
		{"two take the mean", []string{"64000", "64001"}, "64000.5", []string{"p0", "p1"}},
		{"two far apart are not judged", []string{"60000", "70000"}, "65000", []string{"p0", "p1"}},
		{"three", []string{"64100", "64000", "64050"}, "64050", []string{"p0", "p1", "p2"}},
		{"four, mean of the middle two, exact", []string{"64000.01", "64000.02", "64100", "63900"}, "64000.015", []string{"p0", "p1", "p2", "p3"}},
		{"five", []string{"64005", "64001", "64004", "64002", "64003"}, "64003", []string{"p0", "p1", "p2", "p3", "p4"}},
		{"high outlier dropped", []string{"64000", "64100", "64200", "90000"}, "64100", []string{"p0", "p1", "p2"}},
		{"low outlier dropped", []string{"64000", "64100", "1", "64200"}, "64100", []string{"p0", "p1", "p3"}},
		{"exactly 5% off is kept", []string{"95", "100", "105"}, "100", []string{"p0", "p1", "p2"}},
		{"just over 5% off is dropped", []string{"94.99", "100", "105"}, "102.5", []string{"p1", "p2"}},
		{"two outliers of five dropped", []string{"100", "101", "102", "200", "10"}, "101", []string{"p0", "p1", "p2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSetup(t, Config{Providers: usdProviders(tc.prices...)})
			s.src.Refresh(context.Background())
			r := mustRate(t, s.src, "usd")
			if r.BTCPrice.Cmp(dec(t, tc.want)) != 0 {
				t.Errorf("BTCPrice = %s, want exactly %s", r.BTCPrice, tc.want)
			}
			if r.Source != "median" || r.Currency != "usd" || r.Note != "" {
				t.Errorf("Rate = %+v, want source median for usd without note", r)
			}
			if got := sourceNames(r); !slices.Equal(got, tc.used) {
				t.Errorf("Sources = %v, want %v", got, tc.used)
			}
			if r.Fresh != len(tc.prices) {
				t.Errorf("Fresh = %d, want %d", r.Fresh, len(tc.prices))
			}
			for _, q := range r.Sources {
				if q.Currency != "usd" || !q.FetchedAt.Equal(t0) {
					t.Errorf("source quote %+v, want usd fetched at %v", q, t0)
				}
			}
			if !r.FetchedAt.Equal(t0) {
				t.Errorf("FetchedAt = %v, want %v", r.FetchedAt, t0)
			}
		})
	}
}

func TestRateKeepsExactDecimal(t *testing.T) {
	// The mean of two cent prices has a third decimal; Rate keeps it, the
	// caller rounds for display.
	s := newSetup(t, Config{Providers: usdProviders("64000.01", "64000.02")})
	s.src.Refresh(context.Background())
	r := mustRate(t, s.src, "usd")
	if got := r.BTCPrice.String(); got != "64000.015" {
		t.Errorf("BTCPrice = %s, want 64000.015", got)
	}
	if got := r.BTCPrice.StringFixed(2); got != "64000.02" {
		t.Errorf("StringFixed(2) = %s, want 64000.02", got)
	}
}

func TestRateSplitProvidersUnavailable(t *testing.T) {
	// Two against two, 20% apart: no majority, no trustworthy price — and
	// the fixed rate is not a tie-breaker.
	s := newSetup(t, Config{
		Providers: usdProviders("100", "100", "120", "120"),
		Fixed:     map[string]gateway.Decimal{"usd": dec(t, "65000")},
	})
	s.src.Refresh(context.Background())
	_, err := s.src.Rate(context.Background(), "usd")
	if !errors.Is(err, gateway.ErrRateUnavailable) {
		t.Fatalf("Rate error = %v, want ErrRateUnavailable", err)
	}
}

func TestRateStaleQuotes(t *testing.T) {
	fixed := map[string]gateway.Decimal{"usd": dec(t, "65000")}
	tests := []struct {
		name     string
		fixed    map[string]gateway.Decimal
		advance  time.Duration
		refresh  bool
		wantFix  bool
		wantErr  bool
		wantUsed int
	}{
		{"fresh", nil, 0, true, false, false, 2},
		{"exactly 10 minutes is still used", nil, gateway.MaxRateAge, true, false, false, 2},
		{"stale without fixed", nil, gateway.MaxRateAge + time.Microsecond, true, false, true, 0},
		{"stale with fixed", fixed, gateway.MaxRateAge + time.Microsecond, true, true, false, 0},
		{"never fetched with fixed", fixed, 0, false, true, false, 0},
		{"never fetched without fixed", nil, 0, false, false, true, 0},
		{"fresh wins over fixed", fixed, time.Minute, true, false, false, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSetup(t, Config{Providers: usdProviders("64000", "64002"), Fixed: tc.fixed})
			if tc.refresh {
				s.src.Refresh(context.Background())
			}
			s.clock.Advance(tc.advance)
			r, err := s.src.Rate(context.Background(), "usd")
			switch {
			case tc.wantErr:
				if !errors.Is(err, gateway.ErrRateUnavailable) {
					t.Fatalf("Rate error = %v, want ErrRateUnavailable", err)
				}
				var ge *gateway.Error
				if !errors.As(err, &ge) || ge.Code != gateway.CodeRateUnavailable ||
					ge.Message != "No trustworthy BTC/USD price is available right now." {
					t.Errorf("error = %#v", err)
				}
			case tc.wantFix:
				if err != nil {
					t.Fatal(err)
				}
				want := gateway.Rate{Currency: "usd", BTCPrice: fixed["usd"], Source: "fixed", FetchedAt: s.clock.Now(),
					Note: "no price provider answered; using the configured fixed rate"}
				if r.Currency != want.Currency || r.BTCPrice.Cmp(want.BTCPrice) != 0 || r.Source != want.Source ||
					r.Sources != nil || !r.FetchedAt.Equal(want.FetchedAt) || r.Note != want.Note {
					t.Errorf("Rate = %+v, want %+v", r, want)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if r.Source != "median" || len(r.Sources) != tc.wantUsed || r.BTCPrice.Cmp(dec(t, "64001")) != 0 {
					t.Errorf("Rate = %+v, want the median 64001 of %d quotes", r, tc.wantUsed)
				}
			}
		})
	}
}

func TestRateMixesFreshAndStale(t *testing.T) {
	a := &fakeProvider{name: "a", prices: map[string]string{"usd": "64000"}}
	b := &fakeProvider{name: "b", prices: map[string]string{"usd": "64100"}}
	c := &fakeProvider{name: "c", prices: map[string]string{"usd": "70000"}}
	s := newSetup(t, Config{Providers: []Provider{a, b, c}})
	s.src.Refresh(context.Background()) // all three at t0

	// c stops answering; a and b answer again 6 minutes later.
	c.set(nil, errors.New("c is down"))
	s.clock.Advance(6 * time.Minute)
	s.src.Refresh(context.Background())
	// a stops too; 5 more minutes make c's t0 quote stale, not a's.
	a.set(nil, errors.New("a is down"))
	s.clock.Advance(5 * time.Minute)
	s.src.Refresh(context.Background())

	r := mustRate(t, s.src, "usd")
	if got := sourceNames(r); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("Sources = %v, want [a b]", got)
	}
	if r.BTCPrice.Cmp(dec(t, "64050")) != 0 {
		t.Errorf("BTCPrice = %s, want 64050", r.BTCPrice)
	}
	// a's quote is from t0+6m, b's from t0+11m: the oldest used is reported.
	if want := t0.Add(6 * time.Minute); !r.FetchedAt.Equal(want) {
		t.Errorf("FetchedAt = %v, want %v", r.FetchedAt, want)
	}
	if n := strings.Count(s.logs.String(), "level=WARN"); n != 3 {
		t.Errorf("%d warnings logged, want 3 (c twice, a once):\n%s", n, s.logs)
	}
}

func TestRateUnsupportedCurrency(t *testing.T) {
	usdOnly := &fakeProvider{name: "bitstamp-like", currencies: []string{"usd"}, prices: map[string]string{"usd": "64000"}}
	s := newSetup(t, Config{
		Providers:  []Provider{usdOnly},
		Currencies: []string{"usd", "eur", "jpy"},
		Fixed:      map[string]gateway.Decimal{"jpy": dec(t, "9500000"), "gbp": dec(t, "50000")},
	})
	s.src.Refresh(context.Background())
	for _, cur := range []string{"xyz", "eur", "gbp", ""} {
		_, err := s.src.Rate(context.Background(), cur)
		if gateway.ErrorCode(err) != gateway.CodeValidation || !strings.Contains(err.Error(), fmt.Sprintf("%q", cur)) {
			t.Errorf("Rate(%q) error = %v, want a validation error naming it", cur, err)
		}
		if errors.Is(err, gateway.ErrRateUnavailable) {
			t.Errorf("Rate(%q) error is ErrRateUnavailable; it is unsupported, not unavailable", cur)
		}
	}
	// Only the currencies it supports were asked of the provider.
	if got := usdOnly.rounds(); len(got) != 1 || !slices.Equal(got[0], []string{"usd"}) {
		t.Errorf("provider asked for %v, want [[usd]]", got)
	}
	if r := mustRate(t, s.src, "USD"); r.Currency != "usd" || r.BTCPrice.Cmp(dec(t, "64000")) != 0 {
		t.Errorf("Rate(USD) = %+v", r)
	}
	if r := mustRate(t, s.src, "jpy"); r.Source != "fixed" || r.BTCPrice.Cmp(dec(t, "9500000")) != 0 {
		t.Errorf("Rate(jpy) = %+v, want the fixed rate", r)
	}
}

func TestSupports(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		yes  []string
		no   []string
	}{
		// The default providers quote about 150 currencies, in every
		// exponent; nobody quotes a few ISO ones (sanctioned, or new).
		{"all providers", Config{Providers: must(ParseProviders("", nil))},
			[]string{"usd", "jpy", "brl", "ars", "mxn", "kwd", "bhd", "ngn", "kes", "zar", "inr", "php", "vnd", "ves", "cup", "xof", "BRL"},
			[]string{"xyz", "btc", "", "kpw", "sdg", "syp", "uyw", "ved", "zwg"}},
		{"luno only", Config{Providers: must(ParseProviders("luno", nil))},
			[]string{"zar", "ngn", "ugx", "zmw", "myr", "idr"}, []string{"usd", "brl", "kes"}},
		{"bitstamp only", Config{Providers: must(ParseProviders("bitstamp", nil))},
			[]string{"usd", "eur", "gbp", "USD"}, []string{"jpy", "chf", "aud", "cad"}},
		{"bitstamp and a fixed jpy", Config{Providers: must(ParseProviders("bitstamp", nil)), Fixed: map[string]gateway.Decimal{"jpy": dec(t, "9500000"), "chf": {}}},
			[]string{"usd", "jpy"}, []string{"chf"}},
		{"currencies restrict", Config{Providers: must(ParseProviders("", nil)), Currencies: []string{"usd", "EUR"}},
			[]string{"usd", "eur"}, []string{"gbp", "jpy"}},
		{"fixed outside currencies", Config{Currencies: []string{"usd"}, Fixed: map[string]gateway.Decimal{"eur": dec(t, "1"), "usd": dec(t, "1")}},
			[]string{"usd"}, []string{"eur"}},
		{"nothing configured", Config{}, nil, gateway.Currencies()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := New(tc.cfg)
			for _, c := range tc.yes {
				if !src.Supports(c) {
					t.Errorf("Supports(%q) = false", c)
				}
			}
			for _, c := range tc.no {
				if src.Supports(c) {
					t.Errorf("Supports(%q) = true", c)
				}
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestRefreshIgnoresBadQuotes(t *testing.T) {
	// A Provider implementation that lets through what it should not: a
	// currency not asked for, a non-positive price, a wrong provider name.
	bad := providerFunc{name: "sloppy", fetch: func(context.Context, []string) ([]gateway.Quote, error) {
		return []gateway.Quote{
			{Provider: "someone-else", Currency: "usd", Price: dec(t, "64000")},
			{Currency: "eur", Price: dec(t, "-5")},
			{Currency: "gbp", Price: dec(t, "50000")},
		}, nil
	}}
	s := newSetup(t, Config{Providers: []Provider{bad}, Currencies: []string{"usd", "eur"}})
	s.src.Refresh(context.Background())
	r := mustRate(t, s.src, "usd")
	if got := sourceNames(r); !slices.Equal(got, []string{"sloppy"}) {
		t.Errorf("Sources = %v, want the quote under the provider's own name", got)
	}
	if _, err := s.src.Rate(context.Background(), "eur"); !errors.Is(err, gateway.ErrRateUnavailable) {
		t.Errorf("Rate(eur) error = %v, want ErrRateUnavailable (negative price ignored)", err)
	}
}

type providerFunc struct {
	name  string
	fetch func(context.Context, []string) ([]gateway.Quote, error)
}

func (p providerFunc) Name() string           { return p.name }
func (p providerFunc) Supports(c string) bool { return true }
func (p providerFunc) Fetch(ctx context.Context, c []string) ([]gateway.Quote, error) {
	return p.fetch(ctx, c)
}

// realProviders serves the four providers' documented APIs on loopback and
// builds them through ParseProviders, as main would.
func realProviders(t *testing.T, handlers map[string]http.HandlerFunc) []Provider {
	t.Helper()
	var spec []string
	for _, k := range providerKinds {
		h := handlers[k.name]
		if h == nil {
			continue
		}
		srv := serve(t, h)
		spec = append(spec, k.name+"="+srv.URL)
	}
	ps, err := ParseProviders(strings.Join(spec, ","), &http.Client{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func good(t *testing.T, name string, prices map[string]string) http.HandlerFunc {
	for _, k := range providerKinds {
		if k.name == name {
			return func(w http.ResponseWriter, r *http.Request) { k.answer(t, w, r, prices) }
		}
	}
	t.Fatalf("no provider %s", name)
	return nil
}

func TestRefreshOneFailingProvider(t *testing.T) {
	ps := realProviders(t, map[string]http.HandlerFunc{
		"coinbase":  good(t, "coinbase", map[string]string{"usd": "64000.00", "eur": "59000"}),
		"kraken":    func(w http.ResponseWriter, r *http.Request) { http.Error(w, "<html>oops</html>", 500) },
		"bitstamp":  good(t, "bitstamp", map[string]string{"usd": "64010", "eur": "59010"}),
		"coingecko": good(t, "coingecko", map[string]string{"usd": "64020.5", "eur": "5.902e4"}),
	})
	s := newSetup(t, Config{Providers: ps, Currencies: []string{"usd", "eur"}})
	s.src.Refresh(context.Background())

	r := mustRate(t, s.src, "usd")
	if got := sourceNames(r); !slices.Equal(got, []string{"bitstamp", "coinbase", "coingecko"}) {
		t.Errorf("Sources = %v", got)
	}
	if r.BTCPrice.Cmp(dec(t, "64010")) != 0 {
		t.Errorf("usd = %s, want 64010", r.BTCPrice)
	}
	if r := mustRate(t, s.src, "eur"); r.BTCPrice.Cmp(dec(t, "59010")) != 0 || len(r.Sources) != 3 {
		t.Errorf("eur = %+v, want 59010 from 3", r)
	}
	logs := s.logs.String()
	if n := strings.Count(logs, "\n"); n != 1 ||
		!strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "provider=kraken") || !strings.Contains(logs, "500") {
		t.Errorf("logs = %q, want one warning about kraken's 500", logs)
	}
}

func TestRefreshSlowProvider(t *testing.T) {
	release := make(chan struct{})
	ps := realProviders(t, map[string]http.HandlerFunc{
		"coinbase": good(t, "coinbase", map[string]string{"usd": "64000"}),
		"kraken": func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		},
	})
	t.Cleanup(func() { close(release) })
	s := newSetup(t, Config{Providers: ps, Currencies: []string{"usd"}, FetchTimeout: 100 * time.Millisecond})
	start := time.Now()
	s.src.Refresh(context.Background())
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Refresh took %v with a 100ms FetchTimeout", d)
	}
	r := mustRate(t, s.src, "usd")
	if got := sourceNames(r); !slices.Equal(got, []string{"coinbase"}) || r.BTCPrice.Cmp(dec(t, "64000")) != 0 {
		t.Errorf("Rate = %+v, want coinbase's 64000 alone", r)
	}
	if logs := s.logs.String(); !strings.Contains(logs, "provider=kraken") || !strings.Contains(logs, "deadline exceeded") {
		t.Errorf("logs = %q, want kraken's timeout", logs)
	}
}

func TestRefreshNoWarningsOnShutdown(t *testing.T) {
	p := &fakeProvider{name: "a"}
	p.set(nil, context.Canceled)
	s := newSetup(t, Config{Providers: []Provider{p}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s.src.Refresh(ctx)
	if logs := s.logs.String(); logs != "" {
		t.Errorf("logs = %q, want none when the round was cancelled", logs)
	}
}

func TestRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &fakeProvider{name: "a", prices: map[string]string{"usd": "64000"}}
		src := New(Config{Providers: []Provider{p}, Currencies: []string{"usd"}})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- src.Run(ctx) }()

		synctest.Wait() // the first round runs right away
		if n := len(p.rounds()); n != 1 {
			t.Fatalf("%d rounds before the first interval, want 1", n)
		}
		if _, err := src.Rate(ctx, "usd"); err != nil {
			t.Errorf("Rate after the first round: %v", err)
		}
		time.Sleep(DefaultInterval*2 + time.Second) // fake time inside the bubble
		synctest.Wait()
		if n := len(p.rounds()); n != 3 {
			t.Errorf("%d rounds after two intervals, want 3", n)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run returned %v on cancellation, want nil", err)
		}
	})
}

func TestConcurrentUse(t *testing.T) {
	// Meaningful under -race: Rate readers alongside Refresh writers.
	s := newSetup(t, Config{Providers: usdProviders("64000", "64001", "64002")})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { s.src.Refresh(context.Background()) })
		wg.Go(func() {
			for range 50 {
				s.src.Rate(context.Background(), "usd")
				s.src.Supports("usd")
			}
		})
	}
	wg.Wait()
	if r := mustRate(t, s.src, "usd"); r.BTCPrice.Cmp(dec(t, "64001")) != 0 {
		t.Errorf("BTCPrice = %s", r.BTCPrice)
	}
}

func TestRateFeedsSatsPerUnit(t *testing.T) {
	// Rate hands out the BTC price only; sats per unit is the gateway's
	// arithmetic on it, not something this package computes.
	s := newSetup(t, Config{Providers: usdProviders("64000")})
	s.src.Refresh(context.Background())
	r := mustRate(t, s.src, "usd")
	if got := gateway.SatsPerUnit(r.BTCPrice).StringFixed(2); got != "1562.50" {
		t.Errorf("SatsPerUnit(%s) = %s, want 1562.50", r.BTCPrice, got)
	}
}

func TestNewDefaults(t *testing.T) {
	src := New(Config{})
	if src.interval != DefaultInterval || src.fetchTimeout != DefaultFetchTimeout {
		t.Errorf("interval %v, fetch timeout %v", src.interval, src.fetchTimeout)
	}
	if !slices.Equal(src.currencies, gateway.Currencies()) {
		t.Errorf("currencies = %v", src.currencies)
	}
	if now := src.now(); now.Location() != time.UTC || time.Since(now) > time.Minute {
		t.Errorf("now() = %v, want the current UTC time", now)
	}
	src.log.Warn("discarded") // must not panic
}

func TestRefreshLaterRoundWins(t *testing.T) {
	// Round 1 asks at t0 and is slow; round 2 asks at t0+1m and answers
	// first. Round 1's older price must not overwrite round 2's.
	entered, release := make(chan struct{}), make(chan struct{})
	var calls int
	var mu sync.Mutex
	p := providerFunc{name: "a", fetch: func(context.Context, []string) ([]gateway.Quote, error) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 1 {
			close(entered)
			<-release
			return []gateway.Quote{{Currency: "usd", Price: dec(t, "60000")}}, nil
		}
		return []gateway.Quote{{Currency: "usd", Price: dec(t, "64000")}}, nil
	}}
	s := newSetup(t, Config{Providers: []Provider{p}, Currencies: []string{"usd"}})
	round1 := make(chan struct{})
	go func() { s.src.Refresh(context.Background()); close(round1) }()
	<-entered
	s.clock.Advance(time.Minute)
	s.src.Refresh(context.Background())
	close(release)
	<-round1

	r := mustRate(t, s.src, "usd")
	if r.BTCPrice.Cmp(dec(t, "64000")) != 0 || !r.FetchedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("Rate = %s at %v, want round 2's 64000 at %v", r.BTCPrice, r.FetchedAt, t0.Add(time.Minute))
	}
}

// datedProvider quotes usd at a time of its own.
type datedProvider struct {
	name  string
	price string
	at    time.Time
}

func (d *datedProvider) Name() string           { return d.name }
func (d *datedProvider) Supports(c string) bool { return c == "usd" }
func (d *datedProvider) Fetch(_ context.Context, curs []string) ([]gateway.Quote, error) {
	p, err := gateway.ParseDecimal(d.price)
	return []gateway.Quote{{Provider: d.name, Currency: "usd", Price: p, FetchedAt: d.at}}, err
}

// TestRateProviderTime: a quote is as old as the provider's own time says
// when that is earlier than the round; a time in the future (a skewed
// clock) does not make a quote fresher than the round that fetched it; an
// older answer never replaces a newer one.
func TestRateProviderTime(t *testing.T) {
	old := &datedProvider{name: "old", price: "64000", at: t0.Add(-9 * time.Minute)}
	future := &datedProvider{name: "future", price: "64010", at: t0.Add(time.Hour)}
	s := newSetup(t, Config{Providers: []Provider{old, future}})
	s.src.Refresh(context.Background())
	qs := s.src.Quotes()
	if len(qs) != 2 || qs[0].Provider != "future" || !qs[0].FetchedAt.Equal(t0) || qs[1].Provider != "old" || !qs[1].FetchedAt.Equal(old.at) {
		t.Fatalf("quotes %+v", qs)
	}
	if r := mustRate(t, s.src, "usd"); r.Fresh != 2 || !r.FetchedAt.Equal(old.at) {
		t.Errorf("at t0: %+v", r)
	}
	// Two minutes on, "old" is past MaxRateAge by its own time.
	s.clock.Advance(2 * time.Minute)
	if r := mustRate(t, s.src, "usd"); r.Fresh != 1 || sourceNames(r)[0] != "future" {
		t.Errorf("two minutes on: %+v", r)
	}
	// A provider going back in time does not replace its newer quote.
	old.at, old.price = t0.Add(-20*time.Minute), "1"
	s.src.Refresh(context.Background())
	for _, q := range s.src.Quotes() {
		if q.Provider == "old" && q.Price.Cmp(dec(t, "64000")) != 0 {
			t.Errorf("an older answer replaced a newer one: %+v", q)
		}
	}
}
