package rates

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// DefaultCoinGeckoURL is the public CoinGecko API.
const DefaultCoinGeckoURL = "https://api.coingecko.com"

// coinGeckoCurrencies are the ISO 4217 currencies among CoinGecko's
// supported vs_currencies (/api/v3/simple/supported_vs_currencies).
var coinGeckoCurrencies = newCurrencySet(`
	usd aed ars aud bdt bhd bmd brl cad chf clp cny czk dkk eur gbp gel hkd huf idr ils inr jpy krw kwd
	lkr mmk mxn myr ngn nok nzd php pkr pln rub sar sek sgd thb try twd uah vnd zar`)

// CoinGecko reads the CoinGecko simple price, every currency in one request:
// GET {BaseURL}/api/v3/simple/price?ids=bitcoin&vs_currencies=usd,eur&include_last_updated_at=true →
// {"bitcoin":{"usd":64123.45,"eur":59000.1,"last_updated_at":1733486374}}.
// Prices are JSON numbers, parsed from their text without a float;
// last_updated_at (Unix seconds) dates them.
type CoinGecko struct {
	BaseURL string       // default DefaultCoinGeckoURL
	Client  *http.Client // default a client with DefaultHTTPTimeout
}

// Name returns "coingecko".
func (*CoinGecko) Name() string { return "coingecko" }

// Supports reports whether CoinGecko prices BTC in currency.
func (*CoinGecko) Supports(currency string) bool { return coinGeckoCurrencies[currency] }

// Fetch asks for every currency in one request.
func (g *CoinGecko) Fetch(ctx context.Context, currencies []string) ([]gateway.Quote, error) {
	if len(currencies) == 0 {
		return nil, nil
	}
	vs := make([]string, len(currencies))
	for i, cur := range currencies {
		vs[i] = url.QueryEscape(cur)
	}
	u := baseOr(g.BaseURL, DefaultCoinGeckoURL) + "/api/v3/simple/price?ids=bitcoin&vs_currencies=" + strings.Join(vs, ",") + "&include_last_updated_at=true"
	// map[string]any with UseNumber, not json.Number fields: encoding/json
	// would accept a quoted string into a json.Number, and the documented
	// answer has numbers.
	var body map[string]map[string]any
	if err := getJSON(ctx, g.Client, u, &body, true); err != nil {
		return nil, fmt.Errorf("coingecko: %w", err)
	}
	prices, ok := body["bitcoin"]
	if !ok || prices == nil {
		return nil, errors.New(`coingecko: missing "bitcoin"`)
	}
	at, err := unixTime(prices["last_updated_at"], time.Second)
	if err != nil {
		return nil, fmt.Errorf("coingecko: last_updated_at: %w", err)
	}
	quotes, err := pick(g.Name(), currencies, func(cur string) (gateway.Decimal, bool, error) {
		v, ok := prices[cur]
		if !ok || v == nil {
			return gateway.Decimal{}, false, nil
		}
		p, err := numberPrice(v)
		return p, true, err
	})
	return stamp(quotes, at), err
}
