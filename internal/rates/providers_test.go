package rates

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// providerKind describes one provider for the shared table: how to build it
// and how its documented API answers for a set of raw price texts.
type providerKind struct {
	name string
	new  func(base string, c *http.Client) Provider
	// curs are three currencies the provider quotes, for the shared tests;
	// default usd, eur, gbp.
	curs []string
	// answer serves the documented response for prices (raw wire text per
	// currency), checking the request is the documented one.
	answer func(t *testing.T, w http.ResponseWriter, r *http.Request, prices map[string]string)
}

func (k providerKind) currencies() []string {
	if k.curs == nil {
		return []string{"usd", "eur", "gbp"}
	}
	return k.curs
}

// krakenKeys are the result keys Kraken really uses for BTC pairs.
var krakenKeys = map[string]string{
	"usd": "XXBTZUSD", "eur": "XXBTZEUR", "gbp": "XXBTZGBP", "cad": "XXBTZCAD",
	"jpy": "XXBTZJPY", "chf": "XBTCHF", "aud": "XBTAUD",
}

var providerKinds = []providerKind{
	{
		name: "coinbase",
		new:  func(base string, c *http.Client) Provider { return &Coinbase{BaseURL: base, Client: c} },
		answer: func(t *testing.T, w http.ResponseWriter, r *http.Request, prices map[string]string) {
			if r.URL.Path != "/v2/exchange-rates" || r.URL.Query().Get("currency") != "BTC" {
				t.Errorf("coinbase: unexpected request %s", r.URL)
				http.Error(w, `{"errors":[{"id":"not_found","message":"Not found"}]}`, http.StatusNotFound)
				return
			}
			rates := map[string]string{"BTC": "1", "ETH": "25.0980156868348"}
			for cur, p := range prices {
				rates[strings.ToUpper(cur)] = p
			}
			json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"currency": "BTC", "rates": rates}})
		},
	},
	{
		name: "kraken",
		new:  func(base string, c *http.Client) Provider { return &Kraken{BaseURL: base, Client: c} },
		answer: func(t *testing.T, w http.ResponseWriter, r *http.Request, prices map[string]string) {
			if r.URL.Path != "/0/public/Ticker" {
				t.Errorf("kraken: unexpected path %s", r.URL.Path)
			}
			result := map[string]any{}
			for pair := range strings.SplitSeq(r.URL.Query().Get("pair"), ",") {
				cur := strings.ToLower(strings.TrimPrefix(pair, "XBT"))
				p, ok := prices[cur]
				if !ok {
					t.Errorf("kraken: unexpected pair %q in %s", pair, r.URL)
					continue
				}
				result[krakenKeys[cur]] = map[string]any{
					"a": []string{p, "1", "1.000"}, "b": []string{p, "1", "1.000"},
					"c": []string{p, "0.00100000"}, "v": []string{"100", "200"},
					"p": []string{p, p}, "t": []int{10, 20}, "l": []string{p, p}, "h": []string{p, p}, "o": p,
				}
			}
			json.NewEncoder(w).Encode(map[string]any{"error": []string{}, "result": result})
		},
	},
	{
		name: "bitstamp",
		new:  func(base string, c *http.Client) Provider { return &Bitstamp{BaseURL: base, Client: c} },
		answer: func(t *testing.T, w http.ResponseWriter, r *http.Request, prices map[string]string) {
			cur, ok := strings.CutPrefix(r.URL.Path, "/api/v2/ticker/btc")
			cur, ok2 := strings.CutSuffix(cur, "/")
			p, ok3 := prices[cur]
			if !ok || !ok2 || !ok3 {
				t.Errorf("bitstamp: unexpected request %s", r.URL)
				http.NotFound(w, r)
				return
			}
			fmt.Fprintf(w, `{"timestamp":"1700000000","open":"1","high":"2","low":"1","last":%q,"volume":"1","vwap":"1","bid":"1","ask":"2","side":"0","open_24":"1","percent_change_24":"1.5"}`, p)
		},
	},
	{
		name: "coingecko",
		new:  func(base string, c *http.Client) Provider { return &CoinGecko{BaseURL: base, Client: c} },
		answer: func(t *testing.T, w http.ResponseWriter, r *http.Request, prices map[string]string) {
			q := r.URL.Query()
			if r.URL.Path != "/api/v3/simple/price" || q.Get("ids") != "bitcoin" {
				t.Errorf("coingecko: unexpected request %s", r.URL)
			}
			var parts []string
			for cur := range strings.SplitSeq(q.Get("vs_currencies"), ",") {
				p, ok := prices[cur]
				if !ok {
					t.Errorf("coingecko: unexpected currency %q in %s", cur, r.URL)
					continue
				}
				parts = append(parts, fmt.Sprintf("%q:%s", cur, p)) // a JSON number
			}
			if q.Get("include_last_updated_at") != "true" {
				t.Errorf("coingecko: no include_last_updated_at in %s", r.URL)
			}
			parts = append(parts, fmt.Sprintf(`"last_updated_at":%d`, t0.Add(-20*time.Second).Unix()))
			fmt.Fprintf(w, `{"bitcoin":{%s}}`, strings.Join(parts, ","))
		},
	},
	{
		name: "yadio",
		new:  func(base string, c *http.Client) Provider { return &Yadio{BaseURL: base, Client: c} },
		answer: func(t *testing.T, w http.ResponseWriter, r *http.Request, prices map[string]string) {
			if r.URL.Path != "/exrates/BTC" {
				t.Errorf("yadio: unexpected request %s", r.URL)
			}
			parts := []string{`"BTC":1`}
			for cur, p := range prices {
				parts = append(parts, fmt.Sprintf("%q:%s", strings.ToUpper(cur), p)) // a JSON number
			}
			fmt.Fprintf(w, `{"BTC":{%s},"base":"BTC","timestamp":%d}`, strings.Join(parts, ","), t0.Add(-time.Minute).UnixMilli())
		},
	},
	{
		name: "blockchain",
		new:  func(base string, c *http.Client) Provider { return &Blockchain{BaseURL: base, Client: c} },
		answer: func(t *testing.T, w http.ResponseWriter, r *http.Request, prices map[string]string) {
			if r.URL.Path != "/ticker" {
				t.Errorf("blockchain: unexpected request %s", r.URL)
			}
			var parts []string
			for cur, p := range prices {
				C := strings.ToUpper(cur)
				parts = append(parts, fmt.Sprintf(`%q:{"15m":%s,"last":%s,"buy":%s,"sell":%s,"symbol":%q}`, C, p, p, p, p, C))
			}
			fmt.Fprintf(w, `{%s}`, strings.Join(parts, ","))
		},
	},
	{
		name: "bitso",
		new:  func(base string, c *http.Client) Provider { return &Bitso{BaseURL: base, Client: c} },
		curs: []string{"usd", "mxn", "brl"},
		answer: func(t *testing.T, w http.ResponseWriter, r *http.Request, prices map[string]string) {
			book := r.URL.Query().Get("book")
			cur, ok := strings.CutPrefix(book, "btc_")
			p, ok2 := prices[cur]
			if r.URL.Path != "/v3/ticker/" || !ok || !ok2 {
				t.Errorf("bitso: unexpected request %s", r.URL)
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprint(w, `{"success":false,"error":{"code":"0301","message":"Unknown OrderBook"}}`)
				return
			}
			fmt.Fprintf(w, `{"success":true,"payload":{"high":"2055553.77","last":%q,"created_at":%q,"book":%q,"volume":"38.41830212","vwap":"2013352.3267130","low":"1956612.58","ask":"2019218.03","bid":"2019208.03","change_24":"26451.63"}}`,
				p, t0.Add(-8*time.Second).Format("2006-01-02T15:04:05-07:00"), book)
		},
	},
	{
		name: "luno",
		new:  func(base string, c *http.Client) Provider { return &Luno{BaseURL: base, Client: c} },
		curs: []string{"zar", "ngn", "eur"},
		answer: func(t *testing.T, w http.ResponseWriter, r *http.Request, prices map[string]string) {
			if r.URL.Path != "/api/1/tickers" {
				t.Errorf("luno: unexpected request %s", r.URL)
			}
			tickers := []map[string]any{{"pair": "ETHZAR", "timestamp": t0.UnixMilli(), "bid": "70543.00", "ask": "70611.00", "last_trade": "70543.00", "rolling_24_hour_volume": "112.31", "status": "ACTIVE"}}
			for cur, p := range prices {
				tickers = append(tickers, map[string]any{"pair": "XBT" + strings.ToUpper(cur), "timestamp": t0.Add(-5 * time.Second).UnixMilli(),
					"bid": p, "ask": p, "last_trade": p, "rolling_24_hour_volume": "18.734201", "status": "ACTIVE"})
			}
			json.NewEncoder(w).Encode(map[string]any{"tickers": tickers})
		},
	},
}

// serve starts a loopback server whose handler also checks the User-Agent.
func serve(t testing.TB, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ua := r.Header.Get("User-Agent"); ua != "satsrail" {
			t.Errorf("User-Agent = %q, want satsrail", ua)
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func dec(t *testing.T, s string) gateway.Decimal {
	t.Helper()
	d, err := gateway.ParseDecimal(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// checkQuotes compares quotes with want (currency → exact expected price).
func checkQuotes(t *testing.T, provider string, got []gateway.Quote, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d quotes %v, want %d", len(got), got, len(want))
	}
	for _, q := range got {
		w, ok := want[q.Currency]
		if !ok {
			t.Errorf("unexpected quote %+v", q)
			continue
		}
		if q.Provider != provider {
			t.Errorf("quote provider = %q, want %q", q.Provider, provider)
		}
		if q.Price.Cmp(dec(t, w)) != 0 {
			t.Errorf("btc/%s = %s, want exactly %s", q.Currency, q.Price, w)
		}
	}
}

func TestProvidersGoodAnswer(t *testing.T) {
	// Raw wire texts and the exact decimals they must become.
	raw := []string{"64123.45", "59000.10000", "51234.5"}
	exact := []string{"64123.45", "59000.1", "51234.5"}
	for _, k := range providerKinds {
		t.Run(k.name, func(t *testing.T) {
			prices, want := map[string]string{}, map[string]string{}
			for i, c := range k.currencies() {
				prices[c], want[c] = raw[i], exact[i]
			}
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) { k.answer(t, w, r, prices) })
			p := k.new(srv.URL, srv.Client())
			if p.Name() != k.name {
				t.Errorf("Name() = %q", p.Name())
			}
			got, err := p.Fetch(context.Background(), k.currencies())
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			checkQuotes(t, k.name, got, want)
		})
	}
}

func TestProvidersBadAnswers(t *testing.T) {
	const hugeBody = 2 << 20
	raw := func(status int, body string) func(*testing.T, providerKind, http.ResponseWriter, *http.Request) {
		return func(_ *testing.T, _ providerKind, w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(status)
			fmt.Fprint(w, body)
		}
	}
	price := func(p string) func(*testing.T, providerKind, http.ResponseWriter, *http.Request) {
		return func(t *testing.T, k providerKind, w http.ResponseWriter, r *http.Request) {
			k.answer(t, w, r, map[string]string{k.currencies()[0]: p})
		}
	}
	tests := []struct {
		name    string
		handler func(*testing.T, providerKind, http.ResponseWriter, *http.Request)
		wantErr string
	}{
		{"garbage JSON", raw(200, `{"data": {"amount": "1`), "malformed JSON"},
		{"not JSON at all", raw(200, `garbage`), "malformed JSON"},
		{"HTML error page", raw(200, `<!DOCTYPE html><html><body><h1>Cloudflare</h1></body></html>`), "malformed JSON"},
		{"HTML 502", raw(502, `<html><body>Bad Gateway</body></html>`), "502"},
		{"500", raw(500, `{"error":"internal"}`), "500"},
		{"429", raw(429, `{"status":{"error_code":429,"error_message":"rate limited"}}`), "429"},
		{"404", raw(404, `{}`), "404"},
		{"empty body", raw(200, ``), "malformed JSON"},
		{"empty object", raw(200, `{}`), "missing"},
		{"JSON null", raw(200, `null`), "missing"},
		{"trailing data", raw(200, `{} {}`), "malformed JSON"},
		{"huge body", raw(200, `{"pad":"`+strings.Repeat("x", hugeBody)+`"}`), "larger than"},
		{"negative price", price("-64123.45"), "not positive"},
		{"zero price", price("0"), "not positive"},
		{"absurd price", price("1000000000000.01"), "implausibly large"},
	}
	for _, k := range providerKinds {
		for _, tc := range tests {
			t.Run(k.name+"/"+tc.name, func(t *testing.T) {
				srv := serve(t, func(w http.ResponseWriter, r *http.Request) { tc.handler(t, k, w, r) })
				got, err := k.new(srv.URL, srv.Client()).Fetch(context.Background(), k.currencies()[:1])
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Fetch error = %v, want one containing %q", err, tc.wantErr)
				}
				if len(got) != 0 {
					t.Errorf("Fetch returned quotes %v with a bad answer", got)
				}
			})
		}
	}
}

func TestProvidersMissingFields(t *testing.T) {
	tests := []struct {
		provider string
		body     string
		wantErr  string
	}{
		{"coinbase", `{"data":{"currency":"BTC","rates":{}}}`, `btc/usd: missing from the answer`},
		{"coinbase", `{"data":{"currency":"BTC","rates":{"USD":""}}}`, `btc/usd: missing from the answer`},
		{"coinbase", `{"data":{"currency":"BTC","rates":{"usd":"99312.47"}}}`, `btc/usd: missing from the answer`},
		{"coinbase", `{"data":{"currency":"ETH","rates":{"USD":"3900.12"}}}`, `not BTC`},
		{"coinbase", `{"data":{"currency":"BTC"}}`, `missing "data.rates"`},
		{"coinbase", `{"data":{"currency":"BTC","rates":{"USD":99312.47}}}`, `malformed JSON`},
		{"coinbase", `{"data":{"currency":"BTC","rates":{"USD":"9.9e4"}}}`, `invalid decimal`},
		{"coinbase", `{"data":{"currency":"BTC","rates":{"USD":"0.00"}}}`, `not positive`},
		{"coinbase", `{"errors":[{"id":"invalid_request","message":"Invalid currency (XYZ)"}]}`, `missing "data"`},
		{"kraken", `{"error":[],"result":{}}`, `pair missing`},
		{"kraken", `{"error":[]}`, `missing "result"`},
		{"kraken", `{"error":[],"result":{"XXBTZUSD":{"a":["1","1","1"]}}}`, `missing last trade price`},
		{"kraken", `{"error":[],"result":{"XXBTZUSD":{"c":[]}}}`, `missing last trade price`},
		{"kraken", `{"error":[],"result":{"XXBTZUSD":{"c":[64000,"1"]}}}`, `malformed JSON`},
		{"kraken", `{"error":["EQuery:Unknown asset pair"]}`, `API error: EQuery:Unknown asset pair`},
		{"kraken", `{"error":["EGeneral:Too many requests"],"result":{"XXBTZUSD":{"c":["64000","1"]}}}`, `EGeneral:Too many requests`},
		{"bitstamp", `{"timestamp":"1700000000","bid":"1"}`, `missing "last"`},
		{"bitstamp", `{"last":64000}`, `malformed JSON`},
		{"bitstamp", `{"last":"abc"}`, `invalid decimal`},
		{"coingecko", `{"ethereum":{"usd":3000}}`, `missing "bitcoin"`},
		{"coingecko", `{"bitcoin":null}`, `missing "bitcoin"`},
		{"coingecko", `{"bitcoin":{}}`, `missing from the answer`},
		{"coingecko", `{"bitcoin":{"usd":null}}`, `missing from the answer`},
		{"coingecko", `{"bitcoin":{"usd":"64000"}}`, `not a number`},
		{"coingecko", `{"bitcoin":{"usd":1e999999999}}`, `unusable number`},
		{"coingecko", `{"bitcoin":[64000]}`, `malformed JSON`},
		{"coingecko", `{"bitcoin":{"usd":64000,"last_updated_at":"1733486374"}}`, `last_updated_at: not a number`},
		{"coingecko", `{"bitcoin":{"usd":64000,"last_updated_at":-5}}`, `last_updated_at: not a positive integer`},
		{"yadio", `{"base":"BTC","timestamp":1733486340173}`, `missing "BTC"`},
		{"yadio", `{"BTC":{"EUR":94000.5},"base":"BTC","timestamp":1733486340173}`, `btc/usd: missing from the answer`},
		{"yadio", `{"BTC":{"USD":"99312.47"},"base":"BTC"}`, `not a number`},
		{"yadio", `{"BTC":{"USD":0},"base":"BTC"}`, `not positive`},
		{"yadio", `{"USD":{"BTC":0.00001007},"base":"USD","timestamp":1733486340173}`, `not BTC`},
		{"yadio", `{"BTC":{"USD":99312.47},"base":"BTC","timestamp":"now"}`, `timestamp: not a number`},
		{"blockchain", `{"EUR":{"last":94000.5,"symbol":"EUR"}}`, `btc/usd: missing from the answer`},
		{"blockchain", `{"USD":{"15m":99300,"symbol":"USD"}}`, `btc/usd: missing from the answer`},
		{"blockchain", `{"USD":{"last":"99300","symbol":"USD"}}`, `not a number`},
		{"blockchain", `{"USD":{"last":99300,"symbol":"EUR"}}`, `entry is for "EUR"`},
		{"blockchain", `{"USD":{"last":-1,"symbol":"USD"}}`, `not positive`},
		{"blockchain", `{"USD":[99300]}`, `malformed JSON`},
		{"bitso", `{"success":false,"error":{"code":"0301","message":"Unknown OrderBook btc_usd"}}`, `API error 0301`},
		{"bitso", `{"success":true,"payload":{"book":"btc_mxn","last":"2019208.03","created_at":"2024-12-06T11:59:52+00:00"}}`, `book "btc_mxn"`},
		{"bitso", `{"success":true,"payload":{"book":"btc_usd","created_at":"2024-12-06T11:59:52+00:00"}}`, `missing "last"`},
		{"bitso", `{"success":true,"payload":{"book":"btc_usd","last":"99312.47"}}`, `created_at "": not a time`},
		{"bitso", `{"success":true,"payload":{"book":"btc_usd","last":"0.00","created_at":"2024-12-06T11:59:52+00:00"}}`, `not positive`},
		{"bitso", `{"success":true,"payload":{"book":"btc_usd","last":99312.47,"created_at":"2024-12-06T11:59:52+00:00"}}`, `malformed JSON`},
		{"luno", `{"tickers":[]}`, `btc/usd: missing from the answer`},
		{"luno", `{"tickers":[{"pair":"XBTUSD","timestamp":1733486395112,"last_trade":"99312.47","status":"DISABLED"}]}`, `market status is "DISABLED"`},
		{"luno", `{"tickers":[{"pair":"XBTUSD","timestamp":1733486395112,"last_trade":"99312.47","status":"POSTONLY"}]}`, `market status is "POSTONLY"`},
		{"luno", `{"tickers":[{"pair":"XBTUSD","last_trade":"99312.47","status":"ACTIVE"}]}`, `missing "timestamp"`},
		{"luno", `{"tickers":[{"pair":"XBTUSD","timestamp":1733486395112,"last_trade":"-3","status":"ACTIVE"}]}`, `not positive`},
		{"luno", `{"tickers":{"XBTUSD":{}}}`, `malformed JSON`},
	}
	for _, tc := range tests {
		t.Run(tc.provider+"/"+tc.body, func(t *testing.T) {
			srv := serve(t, func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, tc.body) })
			p, err := ParseProviders(tc.provider+"="+srv.URL, srv.Client())
			if err != nil {
				t.Fatal(err)
			}
			// Fetch picks whatever it is asked for (Source asks only what
			// Supports allows), so every row asks for usd.
			got, err := p[0].Fetch(context.Background(), []string{"usd"})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Fetch error = %v, want one containing %q", err, tc.wantErr)
			}
			if len(got) != 0 {
				t.Errorf("Fetch returned quotes %v", got)
			}
		})
	}
}

func TestProvidersSlowServer(t *testing.T) {
	for _, k := range providerKinds {
		t.Run(k.name, func(t *testing.T) {
			release := make(chan struct{})
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-release:
				}
			})
			t.Cleanup(func() { close(release) }) // runs before srv.Close
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := k.new(srv.URL, srv.Client()).Fetch(ctx, []string{"usd"})
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Fetch error = %v, want one wrapping context.DeadlineExceeded", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Fetch took %v despite a 100ms deadline", d)
			}
		})
	}
}

func TestProvidersClientTimeout(t *testing.T) {
	// The shared client's own timeout also bounds a request.
	release := make(chan struct{})
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) })
	c := srv.Client()
	c.Timeout = 100 * time.Millisecond
	_, err := (&Kraken{BaseURL: srv.URL, Client: c}).Fetch(context.Background(), []string{"usd"})
	if err == nil || !strings.Contains(err.Error(), "request failed") {
		t.Fatalf("Fetch error = %v, want a request failure", err)
	}
}

func TestKrakenPartialAnswer(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if got := r.URL.Query().Get("pair"); got != "XBTUSD,XBTCHF,XBTJPY" {
			t.Errorf("pair = %q", got)
		}
		// chf under its short key, usd under the long one, jpy absent,
		// plus pairs nobody asked for.
		fmt.Fprint(w, `{"error":[],"result":{
			"XBTCHF":{"c":["57000.10000","0.1"]},
			"XXBTZUSD":{"c":["64123.40000","0.00100000"]},
			"XBTUSDT":{"c":["64100.0","1"]},
			"XETHZUSD":{"c":["3000.0","1"]}}}`)
	})
	got, err := (&Kraken{BaseURL: srv.URL, Client: srv.Client()}).Fetch(context.Background(), []string{"usd", "chf", "jpy"})
	if err == nil || !strings.Contains(err.Error(), "kraken btc/jpy: pair missing") {
		t.Errorf("Fetch error = %v, want jpy missing", err)
	}
	checkQuotes(t, "kraken", got, map[string]string{"usd": "64123.4", "chf": "57000.1"})
}

func TestKrakenCurrency(t *testing.T) {
	tests := []struct {
		key, want string
		ok        bool
	}{
		{"XXBTZUSD", "usd", true},
		{"XXBTZEUR", "eur", true},
		{"XXBTZJPY", "jpy", true},
		{"XBTUSD", "usd", true},
		{"XBTCHF", "chf", true},
		{"XBTAUD", "aud", true},
		{"XBTZCAD", "cad", true},
		{"xxbtzgbp", "gbp", true},
		{"XBTUSDT", "", false},
		{"XBTUSDC", "", false},
		{"XETHZUSD", "", false},
		{"XXBT", "", false},
		{"", "", false},
	}
	for _, tc := range tests {
		got, ok := krakenCurrency(tc.key)
		if got != tc.want || ok != tc.ok {
			t.Errorf("krakenCurrency(%q) = %q, %v; want %q, %v", tc.key, got, ok, tc.want, tc.ok)
		}
	}
}

func TestCoinbasePartialAnswer(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"data":{"currency":"BTC","rates":{"USD":"64123.45","JPY":"9612345","KWD":"19714.123","ETH":"25.09"}}}`)
	})
	got, err := (&Coinbase{BaseURL: srv.URL + "/", Client: srv.Client()}).Fetch(context.Background(), []string{"usd", "eur", "jpy", "kwd"})
	if err == nil || !strings.Contains(err.Error(), "coinbase btc/eur: missing from the answer") || strings.Contains(err.Error(), "usd") {
		t.Errorf("Fetch error = %v, want only btc/eur missing", err)
	}
	checkQuotes(t, "coinbase", got, map[string]string{"usd": "64123.45", "jpy": "9612345", "kwd": "19714.123"})
}

func TestBitstampCurrencies(t *testing.T) {
	b := &Bitstamp{}
	for _, c := range []string{"usd", "eur", "gbp"} {
		if !b.Supports(c) {
			t.Errorf("Supports(%q) = false", c)
		}
	}
	for _, c := range []string{"jpy", "chf", "aud", "cad", "xyz"} {
		if b.Supports(c) {
			t.Errorf("Supports(%q) = true", c)
		}
	}
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request %s for an unsupported currency", r.URL)
	})
	_, err := (&Bitstamp{BaseURL: srv.URL, Client: srv.Client()}).Fetch(context.Background(), []string{"jpy"})
	if err == nil || !strings.Contains(err.Error(), "not traded") {
		t.Errorf("Fetch(jpy) error = %v", err)
	}
}

func TestCoinGeckoNumberForms(t *testing.T) {
	// Every form a JSON number can take, parsed exactly.
	tests := []struct {
		number, want string
	}{
		{"64123.45", "64123.45"},
		{"64123", "64123"},
		{"6.412345e4", "64123.45"},
		{"6.412345E+4", "64123.45"},
		{"6412345e-2", "64123.45"},
		{"9.8765432101234567e6", "9876543.2101234567"},
		{"0.1", "0.1"},
	}
	for _, tc := range tests {
		t.Run(tc.number, func(t *testing.T) {
			srv := serve(t, func(w http.ResponseWriter, _ *http.Request) {
				fmt.Fprintf(w, `{"bitcoin":{"jpy":%s}}`, tc.number)
			})
			got, err := (&CoinGecko{BaseURL: srv.URL, Client: srv.Client()}).Fetch(context.Background(), []string{"jpy"})
			if err != nil {
				t.Fatal(err)
			}
			checkQuotes(t, "coingecko", got, map[string]string{"jpy": tc.want})
		})
	}
	for _, bad := range []string{"1e31", "1e-31", "-1", "0", "0e5", "1e13"} {
		if d, err := parseNumberPrice(json.Number(bad)); err == nil {
			t.Errorf("parseNumberPrice(%s) = %s, want an error", bad, d)
		}
	}
}
