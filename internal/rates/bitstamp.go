package rates

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/satsrail/satsrail/internal/gateway"
)

// DefaultBitstampURL is the public Bitstamp API.
const DefaultBitstampURL = "https://www.bitstamp.net"

// Bitstamp reads the Bitstamp ticker, one request per currency:
// GET {BaseURL}/api/v2/ticker/btcusd/ → {"last":"64123","timestamp":"1700000000",...}.
// Bitstamp trades BTC against usd, eur and gbp only.
type Bitstamp struct {
	BaseURL string       // default DefaultBitstampURL
	Client  *http.Client // default a client with DefaultHTTPTimeout
}

// Name returns "bitstamp".
func (*Bitstamp) Name() string { return "bitstamp" }

// Supports reports whether Bitstamp has a BTC market in currency.
func (*Bitstamp) Supports(currency string) bool {
	switch currency {
	case "usd", "eur", "gbp":
		return true
	}
	return false
}

// Fetch asks for the last trade price of each currency concurrently.
func (b *Bitstamp) Fetch(ctx context.Context, currencies []string) ([]gateway.Quote, error) {
	base := baseOr(b.BaseURL, DefaultBitstampURL)
	return fetchEach(ctx, b.Name(), currencies, func(ctx context.Context, cur string) (gateway.Decimal, error) {
		if !b.Supports(cur) {
			return gateway.Decimal{}, errors.New("not traded on bitstamp")
		}
		var body struct {
			Last string `json:"last"`
		}
		if err := getJSON(ctx, b.Client, fmt.Sprintf("%s/api/v2/ticker/btc%s/", base, url.PathEscape(cur)), &body, false); err != nil {
			return gateway.Decimal{}, err
		}
		if body.Last == "" {
			return gateway.Decimal{}, errors.New(`missing "last"`)
		}
		return parsePrice(body.Last)
	})
}
