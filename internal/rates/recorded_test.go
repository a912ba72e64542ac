package rates

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/currency"
	"github.com/satsrail/satsrail/internal/gateway"
)

// recordedAt is when the responses under testdata/recorded were taken
// (2024-12-06 12:00 UTC; see testdata/recorded/README.md).
var recordedAt = time.Date(2024, 12, 6, 12, 0, 0, 0, time.UTC)

// recordedKind says how one provider's recorded answer is found and edited.
type recordedKind struct {
	name string
	// file names the recording that answers r, "" for none (404).
	file func(r *http.Request) string
	// cur is a currency the recording prices, at exactly want.
	cur, want string
	// at is the time the recording says its prices are from; zero when the
	// provider's answer carries none.
	at time.Time
	// edit changes the decoded recording of file: the price of cur to v
	// (nil deletes it), or, with price false, its own time to v.
	edit func(file string, doc any, cur string, price bool, v any) any
}

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }

var recordedKinds = []recordedKind{
	{
		name: "coinbase", cur: "brl", want: "600573.93",
		file: func(r *http.Request) string {
			if r.URL.Path == "/v2/exchange-rates" && r.URL.Query().Get("currency") == "BTC" {
				return "coinbase/exchange-rates.json"
			}
			return ""
		},
		edit: func(_ string, doc any, cur string, _ bool, v any) any {
			setOrDelete(obj(obj(obj(doc)["data"])["rates"]), strings.ToUpper(cur), v)
			return doc
		},
	},
	{
		name: "kraken", cur: "jpy", want: "14872481.00000",
		file: func(r *http.Request) string {
			if r.URL.Path == "/0/public/Ticker" {
				return "kraken/ticker.json"
			}
			return ""
		},
		edit: func(_ string, doc any, cur string, _ bool, v any) any {
			res := obj(obj(doc)["result"])
			if v == nil {
				delete(res, krakenKeys[cur])
			} else {
				obj(res[krakenKeys[cur]])["c"].([]any)[0] = v
			}
			return doc
		},
	},
	{
		name: "bitstamp", cur: "gbp", want: "78239",
		file: func(r *http.Request) string {
			if c, ok := strings.CutPrefix(r.URL.Path, "/api/v2/ticker/btc"); ok {
				return "bitstamp/ticker_btc" + strings.TrimSuffix(c, "/") + ".json"
			}
			return ""
		},
		edit: func(file string, doc any, cur string, _ bool, v any) any {
			if !strings.HasSuffix(file, cur+".json") {
				return doc
			}
			if v == nil {
				return nil // Bitstamp answers 404 for a pair it does not have
			}
			obj(doc)["last"] = v
			return doc
		},
	},
	{
		name: "coingecko", cur: "ngn", want: "159443441", at: time.Unix(1733486374, 0).UTC(),
		file: func(r *http.Request) string {
			if r.URL.Path == "/api/v3/simple/price" && r.URL.Query().Get("ids") == "bitcoin" {
				return "coingecko/simple_price.json"
			}
			return ""
		},
		edit: func(_ string, doc any, cur string, price bool, v any) any {
			if !price {
				cur = "last_updated_at"
			}
			setOrDelete(obj(obj(doc)["bitcoin"]), cur, v)
			return doc
		},
	},
	{
		name: "yadio", cur: "ves", want: "6074925.08", at: time.UnixMilli(1733486340173).UTC(),
		file: func(r *http.Request) string {
			if r.URL.Path == "/exrates/BTC" {
				return "yadio/exrates_btc.json"
			}
			return ""
		},
		edit: func(_ string, doc any, cur string, price bool, v any) any {
			if !price {
				obj(doc)["timestamp"] = v
				return doc
			}
			setOrDelete(obj(obj(doc)["BTC"]), strings.ToUpper(cur), v)
			return doc
		},
	},
	{
		name: "blockchain", cur: "isk", want: "13750564.23",
		file: func(r *http.Request) string {
			if r.URL.Path == "/ticker" {
				return "blockchain/ticker.json"
			}
			return ""
		},
		edit: func(_ string, doc any, cur string, _ bool, v any) any {
			C := strings.ToUpper(cur)
			if v == nil {
				delete(obj(doc), C)
			} else {
				obj(obj(doc)[C])["last"] = v
			}
			return doc
		},
	},
	{
		name: "bitso", cur: "cop", want: "437854546.75", at: time.Date(2024, 12, 6, 11, 59, 52, 0, time.UTC),
		file: func(r *http.Request) string {
			if b := r.URL.Query().Get("book"); r.URL.Path == "/v3/ticker/" && b != "" {
				return "bitso/ticker_" + b + ".json"
			}
			return ""
		},
		edit: func(file string, doc any, cur string, price bool, v any) any {
			if !strings.HasSuffix(file, "btc_"+cur+".json") {
				return doc
			}
			p := obj(obj(doc)["payload"])
			switch {
			case !price:
				p["created_at"] = v
			case v == nil:
				return nil
			default:
				p["last"] = v
			}
			return doc
		},
	},
	{
		name: "luno", cur: "ugx", want: "364164370", at: time.UnixMilli(1733486395112).UTC(),
		file: func(r *http.Request) string {
			if r.URL.Path == "/api/1/tickers" {
				return "luno/tickers.json"
			}
			return ""
		},
		edit: func(_ string, doc any, cur string, price bool, v any) any {
			ts := obj(doc)["tickers"].([]any)
			for i, t := range ts {
				if obj(t)["pair"] != "XBT"+strings.ToUpper(cur) {
					continue
				}
				switch {
				case !price:
					obj(t)["timestamp"] = v
				case v == nil:
					obj(doc)["tickers"] = slices.Delete(ts, i, i+1)
				default:
					obj(t)["last_trade"] = v
				}
				break
			}
			return doc
		},
	},
}

func setOrDelete(m map[string]any, k string, v any) {
	if v == nil {
		delete(m, k)
		return
	}
	m[k] = v
}

// serveRecorded serves a provider's recorded answers on loopback, each
// passed through edit (nil: as recorded) first.
func serveRecorded(t testing.TB, k recordedKind, edit func(file string, doc any) any) string {
	t.Helper()
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		name := k.file(r)
		if name == "" {
			t.Errorf("%s: unexpected request %s", k.name, r.URL)
			http.NotFound(w, r)
			return
		}
		body, err := os.ReadFile(filepath.Join("testdata", "recorded", name))
		if errors.Is(err, os.ErrNotExist) {
			http.NotFound(w, r)
			return
		} else if err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.UseNumber()
			var doc any
			if err := dec.Decode(&doc); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if doc = edit(name, doc); doc == nil {
				http.NotFound(w, r)
				return
			}
			if body, err = json.Marshal(doc); err != nil {
				t.Fatal(err)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	return srv.URL
}

// recordedProvider builds k's provider, through ParseProviders as main does,
// against its recorded answers.
func recordedProvider(t testing.TB, k recordedKind, edit func(file string, doc any) any) Provider {
	t.Helper()
	ps, err := ParseProviders(k.name+"="+serveRecorded(t, k, edit), &http.Client{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return ps[0]
}

// supported lists the currencies p quotes, of all ISO 4217 ones.
func supported(p Provider) []string {
	var out []string
	for _, c := range currency.Codes() {
		if p.Supports(c) {
			out = append(out, c)
		}
	}
	return out
}

// TestRecordedAnswers: each provider prices every currency it claims from
// its recorded real answer, exactly, dated as the answer says.
func TestRecordedAnswers(t *testing.T) {
	for _, k := range recordedKinds {
		t.Run(k.name, func(t *testing.T) {
			p := recordedProvider(t, k, nil)
			curs := supported(p)
			if len(curs) == 0 || !slices.Contains(curs, k.cur) {
				t.Fatalf("Supports: %v", curs)
			}
			quotes, err := p.Fetch(context.Background(), curs)
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if len(quotes) != len(curs) {
				t.Errorf("%d quotes for %d currencies", len(quotes), len(curs))
			}
			for _, q := range quotes {
				if q.Provider != k.name || !slices.Contains(curs, q.Currency) || checkPrice(q.Price) != nil || !q.FetchedAt.Equal(k.at) {
					t.Errorf("quote %+v", q)
				}
				if q.Currency == k.cur && q.Price.Cmp(dec(t, k.want)) != 0 {
					t.Errorf("btc/%s = %s, want exactly %s", k.cur, q.Price, k.want)
				}
			}
		})
	}
}

// TestRecordedBadQuotes edits each recorded answer the ways real answers go
// wrong for one currency: missing, zero, negative, absurd; the provider
// reports that currency and still prices the others.
func TestRecordedBadQuotes(t *testing.T) {
	for _, k := range recordedKinds {
		text := map[string]bool{"coinbase": true, "kraken": true, "bitstamp": true, "bitso": true, "luno": true}[k.name]
		val := func(s string) any {
			if text {
				return s // a decimal string, as this provider sends prices
			}
			return json.Number(s)
		}
		for _, tc := range []struct {
			name    string
			v       any
			wantErr string
		}{
			{"missing", nil, "btc/" + k.cur + ":"},
			{"zero", val("0"), "not positive"},
			{"negative", val("-1.5"), "not positive"},
			{"absurd", val("12345678901234.5"), "implausibly large"},
		} {
			t.Run(k.name+"/"+tc.name, func(t *testing.T) {
				p := recordedProvider(t, k, func(file string, doc any) any { return k.edit(file, doc, k.cur, true, tc.v) })
				curs := supported(p)
				quotes, err := p.Fetch(context.Background(), curs)
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), k.name+" btc/"+k.cur) {
					t.Errorf("Fetch error = %v, want btc/%s: %s", err, k.cur, tc.wantErr)
				}
				if len(quotes) != len(curs)-1 || slices.ContainsFunc(quotes, func(q gateway.Quote) bool { return q.Currency == k.cur }) {
					t.Errorf("%d quotes for %d currencies, %s among them?", len(quotes), len(curs), k.cur)
				}
			})
		}
	}
}

// TestRecordedStale: a recorded price is used while fresh and never after
// gateway.MaxRateAge — whether the provider stops answering (every
// provider), or answers with a price its own time says is old (the
// providers whose answers carry one).
func TestRecordedStale(t *testing.T) {
	for _, k := range recordedKinds {
		t.Run(k.name+"/stops answering", func(t *testing.T) {
			down := false
			srv := serveRecorded(t, k, func(_ string, doc any) any {
				if down {
					return nil
				}
				return doc
			})
			s := newSetup(t, Config{Providers: must(ParseProviders(k.name+"="+srv, nil)), Currencies: []string{k.cur}})
			s.clock.t = recordedAt
			s.src.Refresh(context.Background())
			if r := mustRate(t, s.src, k.cur); r.BTCPrice.Cmp(dec(t, k.want)) != 0 || len(r.Sources) != 1 || r.Fresh != 1 {
				t.Fatalf("fresh: %+v", r)
			}
			down = true
			s.clock.Advance(gateway.MaxRateAge + time.Second)
			s.src.Refresh(context.Background())
			if _, err := s.src.Rate(context.Background(), k.cur); !errors.Is(err, gateway.ErrRateUnavailable) {
				t.Errorf("after %v without an answer: %v, want rate_unavailable", gateway.MaxRateAge, err)
			}
		})
		if k.at.IsZero() {
			continue
		}
		t.Run(k.name+"/old price", func(t *testing.T) {
			old := k.at.Add(-gateway.MaxRateAge - time.Minute)
			var v any
			switch k.name {
			case "coingecko":
				v = json.Number(fmt.Sprint(old.Unix()))
			case "bitso":
				v = old.Format("2006-01-02T15:04:05-07:00")
			default:
				v = json.Number(fmt.Sprint(old.UnixMilli()))
			}
			p := recordedProvider(t, k, func(file string, doc any) any { return k.edit(file, doc, k.cur, false, v) })
			s := newSetup(t, Config{Providers: []Provider{p}, Currencies: []string{k.cur}})
			s.clock.t = recordedAt
			s.src.Refresh(context.Background())
			if _, err := s.src.Rate(context.Background(), k.cur); !errors.Is(err, gateway.ErrRateUnavailable) {
				t.Errorf("a price dated %v at %v: %v, want rate_unavailable", old, recordedAt, err)
			}
			if qs := s.src.Quotes(); len(qs) != 1 || !qs[0].FetchedAt.Equal(old) {
				t.Errorf("held quotes %+v, want one dated %v", qs, old)
			}
		})
	}
}

// recordedSource is a Source over every provider, each serving its
// recorded answer, refreshed once at recordedAt, pricing every ISO 4217
// currency.
func recordedSource(t testing.TB) *Source {
	t.Helper()
	var ps []Provider
	for _, k := range recordedKinds {
		ps = append(ps, recordedProvider(t, k, nil))
	}
	s := newSetup(t, Config{Providers: ps})
	s.clock.t = recordedAt
	s.src.Refresh(context.Background())
	if logs := s.logs.String(); logs != "" {
		t.Fatalf("a provider failed on its recording:\n%s", logs)
	}
	return s.src
}

// TestRecordedCoverage measures what the recorded answers price: how many
// currencies have two or more fresh sources that agree, and how many only
// one (go test -run TestRecordedCoverage -v prints the numbers). Every
// currency some provider quotes must be priced, and a single source must
// say so.
func TestRecordedCoverage(t *testing.T) {
	src := recordedSource(t)
	var multi, single, unpriced []string
	for _, c := range currency.Codes() {
		if !src.Supports(c) {
			unpriced = append(unpriced, c)
			continue
		}
		r, err := src.Rate(context.Background(), c)
		if err != nil {
			t.Errorf("%s: %v", c, err)
			continue
		}
		switch {
		case r.Source != "median" || len(r.Sources) == 0 || r.Fresh < len(r.Sources):
			t.Errorf("%s: %+v", c, r)
		case len(r.Sources) == 1:
			single = append(single, c)
		default:
			multi = append(multi, c)
		}
	}
	t.Logf("ISO 4217 currencies: %d; priced from the recorded answers: %d", len(currency.Codes()), len(multi)+len(single))
	t.Logf("priced with ≥2 fresh agreeing sources: %d", len(multi))
	t.Logf("priced with exactly 1 source: %d: %s", len(single), strings.Join(single, " "))
	t.Logf("quoted by no provider: %d: %s", len(unpriced), strings.Join(unpriced, " "))
	if len(multi)+len(single)+len(unpriced) != len(currency.Codes()) || len(multi) == 0 || len(single) == 0 {
		t.Errorf("multi %d + single %d + unpriced %d != %d", len(multi), len(single), len(unpriced), len(currency.Codes()))
	}
}

// TestRecordedOutliers: where the recorded answers disagree for real — ARS,
// for which Yadio and Bitso give the parallel-market price and the others
// the official one — the median of all fresh quotes decides and the far
// ones are dropped; the response says how many agreed.
func TestRecordedOutliers(t *testing.T) {
	src := recordedSource(t)
	r := mustRate(t, src, "ars")
	if got := sourceNames(r); !slices.Equal(got, []string{"blockchain", "coinbase", "coingecko"}) || r.Fresh != 5 {
		t.Errorf("ars from %v of %d fresh; want blockchain, coinbase, coingecko of 5", got, r.Fresh)
	}
	// One source, and in every exponent: JPY (0), KWD (3), BRL (2).
	for cur, n := range map[string]int{"jpy": 5, "kwd": 2, "brl": 5, "ugx": 3, "isk": 2, "xof": 2, "cop": 3, "tmt": 1} {
		if r := mustRate(t, src, cur); r.Fresh != n || len(r.Sources) != n {
			t.Errorf("%s: %d of %d fresh sources agreed, want %d (%v)", cur, len(r.Sources), r.Fresh, n, sourceNames(r))
		}
	}
}

// TestCoverageListsAreISO: every code in a provider's coverage list is an
// active ISO 4217 currency, and each provider quotes as many as its doc says.
func TestCoverageListsAreISO(t *testing.T) {
	if len(leftOut) != 0 {
		t.Errorf("coverage lists name codes ISO 4217 does not: %v", leftOut)
	}
	for name, set := range map[string]currencySet{
		"coinbase": coinbaseCurrencies, "kraken": krakenCurrencies, "coingecko": coinGeckoCurrencies, "yadio": yadioCurrencies,
		"blockchain": blockchainCurrencies, "bitso": bitsoCurrencies, "luno": lunoCurrencies,
	} {
		t.Logf("%s quotes %d currencies", name, len(set))
		for _, c := range set.sorted() {
			if !currency.Known(c) {
				t.Errorf("%s: %s", name, c)
			}
		}
	}
}
