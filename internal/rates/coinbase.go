package rates

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/satsrail/satsrail/internal/gateway"
)

// DefaultCoinbaseURL is the public Coinbase API.
const DefaultCoinbaseURL = "https://api.coinbase.com"

// Coinbase reads the Coinbase spot price, one request per currency:
// GET {BaseURL}/v2/prices/BTC-USD/spot →
// {"data":{"amount":"64123.45","base":"BTC","currency":"USD"}}.
type Coinbase struct {
	BaseURL string       // default DefaultCoinbaseURL
	Client  *http.Client // default a client with DefaultHTTPTimeout
}

// Name returns "coinbase".
func (*Coinbase) Name() string { return "coinbase" }

// Supports reports whether Coinbase quotes BTC in currency; it quotes every
// currency satsrail knows.
func (*Coinbase) Supports(currency string) bool {
	_, ok := gateway.CurrencyExponent(currency)
	return ok
}

// Fetch asks for the spot price of each currency concurrently.
func (c *Coinbase) Fetch(ctx context.Context, currencies []string) ([]gateway.Quote, error) {
	base := baseOr(c.BaseURL, DefaultCoinbaseURL)
	return fetchEach(ctx, c.Name(), currencies, func(ctx context.Context, cur string) (gateway.Decimal, error) {
		var body struct {
			Data *struct {
				Amount   string `json:"amount"`
				Base     string `json:"base"`
				Currency string `json:"currency"`
			} `json:"data"`
		}
		u := fmt.Sprintf("%s/v2/prices/BTC-%s/spot", base, url.PathEscape(strings.ToUpper(cur)))
		if err := getJSON(ctx, c.Client, u, &body, false); err != nil {
			return gateway.Decimal{}, err
		}
		switch {
		case body.Data == nil:
			return gateway.Decimal{}, fmt.Errorf(`missing "data"`)
		case body.Data.Amount == "":
			return gateway.Decimal{}, fmt.Errorf(`missing "data.amount"`)
		case !strings.EqualFold(body.Data.Base, "BTC"):
			return gateway.Decimal{}, fmt.Errorf("answer is for base %q, not BTC", body.Data.Base)
		case !strings.EqualFold(body.Data.Currency, cur):
			return gateway.Decimal{}, fmt.Errorf("answer is for currency %q, not %s", body.Data.Currency, strings.ToUpper(cur))
		}
		return parsePrice(body.Data.Amount)
	})
}
