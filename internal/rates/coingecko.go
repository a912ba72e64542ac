package rates

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/satsrail/satsrail/internal/gateway"
)

// DefaultCoinGeckoURL is the public CoinGecko API.
const DefaultCoinGeckoURL = "https://api.coingecko.com"

// CoinGecko reads the CoinGecko simple price, every currency in one request:
// GET {BaseURL}/api/v3/simple/price?ids=bitcoin&vs_currencies=usd,eur →
// {"bitcoin":{"usd":64123.45,"eur":59000.1}}. Prices are JSON numbers, parsed
// from their text without a float.
type CoinGecko struct {
	BaseURL string       // default DefaultCoinGeckoURL
	Client  *http.Client // default a client with DefaultHTTPTimeout
}

// Name returns "coingecko".
func (*CoinGecko) Name() string { return "coingecko" }

// Supports reports whether CoinGecko prices BTC in currency; it prices every
// currency satsrail knows.
func (*CoinGecko) Supports(currency string) bool {
	_, ok := gateway.CurrencyExponent(currency)
	return ok
}

// Fetch asks for every currency in one request.
func (g *CoinGecko) Fetch(ctx context.Context, currencies []string) ([]gateway.Quote, error) {
	if len(currencies) == 0 {
		return nil, nil
	}
	vs := make([]string, len(currencies))
	for i, cur := range currencies {
		vs[i] = url.QueryEscape(cur)
	}
	u := baseOr(g.BaseURL, DefaultCoinGeckoURL) + "/api/v3/simple/price?ids=bitcoin&vs_currencies=" + strings.Join(vs, ",")
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
	var quotes []gateway.Quote
	var errs []error
	for _, cur := range currencies {
		v, ok := prices[cur]
		if !ok || v == nil {
			errs = append(errs, fmt.Errorf("coingecko btc/%s: missing from the answer", cur))
			continue
		}
		n, ok := v.(json.Number)
		if !ok {
			errs = append(errs, fmt.Errorf("coingecko btc/%s: price is not a number", cur))
			continue
		}
		p, err := parseNumberPrice(n)
		if err != nil {
			errs = append(errs, fmt.Errorf("coingecko btc/%s: %w", cur, err))
			continue
		}
		quotes = append(quotes, gateway.Quote{Provider: g.Name(), Currency: cur, Price: p})
	}
	return quotes, errors.Join(errs...)
}
