package rates

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// DefaultLunoURL is the public Luno API.
const DefaultLunoURL = "https://api.luno.com"

// lunoCurrencies are the fiat currencies Luno has a BTC (XBT) market in.
var lunoCurrencies = newCurrencySet("zar ngn myr idr ugx zmw eur gbp")

// Luno reads every Luno ticker in one request:
// GET {BaseURL}/api/1/tickers →
// {"tickers":[{"pair":"XBTZAR","timestamp":1733486395112,"bid":"...","ask":"...","last_trade":"1796835.03","rolling_24_hour_volume":"...","status":"ACTIVE"},...]}.
// The price is last_trade, a decimal string; timestamp (Unix milliseconds)
// dates it; a market whose status is not ACTIVE is not priced from. Luno
// runs real BTC order books in South Africa, Nigeria, Uganda, Zambia,
// Malaysia and Indonesia.
type Luno struct {
	BaseURL string       // default DefaultLunoURL
	Client  *http.Client // default a client with DefaultHTTPTimeout
}

// Name returns "luno".
func (*Luno) Name() string { return "luno" }

// Supports reports whether Luno has a BTC market in currency.
func (*Luno) Supports(currency string) bool { return lunoCurrencies[currency] }

// Fetch asks for every ticker and picks the BTC markets asked.
func (l *Luno) Fetch(ctx context.Context, currencies []string) ([]gateway.Quote, error) {
	if len(currencies) == 0 {
		return nil, nil
	}
	type ticker struct {
		Pair      string `json:"pair"`
		Timestamp int64  `json:"timestamp"`
		LastTrade string `json:"last_trade"`
		Status    string `json:"status"`
	}
	var body struct {
		Tickers []ticker `json:"tickers"`
	}
	if err := getJSON(ctx, l.Client, baseOr(l.BaseURL, DefaultLunoURL)+"/api/1/tickers", &body, false); err != nil {
		return nil, fmt.Errorf("luno: %w", err)
	}
	if body.Tickers == nil {
		return nil, errors.New(`luno: missing "tickers"`)
	}
	byPair := map[string]ticker{}
	for _, t := range body.Tickers {
		byPair[strings.ToUpper(t.Pair)] = t
	}
	times := map[string]time.Time{}
	quotes, err := pick(l.Name(), currencies, func(cur string) (gateway.Decimal, bool, error) {
		t, ok := byPair["XBT"+strings.ToUpper(cur)]
		if !ok || t.LastTrade == "" {
			return gateway.Decimal{}, false, nil
		}
		if t.Status != "ACTIVE" {
			return gateway.Decimal{}, true, fmt.Errorf("market status is %q", t.Status)
		}
		if t.Timestamp <= 0 {
			return gateway.Decimal{}, true, errors.New(`missing "timestamp"`)
		}
		times[cur] = time.UnixMilli(t.Timestamp).UTC()
		p, err := parsePrice(t.LastTrade)
		return p, true, err
	})
	for i := range quotes {
		quotes[i].FetchedAt = times[quotes[i].Currency]
	}
	return quotes, err
}
