package rates

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/satsrail/satsrail/internal/gateway"
)

// DefaultBlockchainURL is the public Blockchain.com exchange-rates API.
const DefaultBlockchainURL = "https://blockchain.info"

// blockchainCurrencies are the ISO 4217 currencies of Blockchain.com's
// ticker (it also still lists HRK, which ISO has withdrawn).
var blockchainCurrencies = newCurrencySet(`
	ars aud brl cad chf clp cny czk dkk eur gbp hkd huf inr isk jpy krw nzd pln ron rub sek sgd thb try twd usd`)

// Blockchain reads Blockchain.com's ticker, every currency in one request:
// GET {BaseURL}/ticker →
// {"USD":{"15m":99301.2,"last":99301.2,"buy":99301.2,"sell":99301.2,"symbol":"USD"},...}.
// The price is "last", a JSON number. The answer carries no time.
type Blockchain struct {
	BaseURL string       // default DefaultBlockchainURL
	Client  *http.Client // default a client with DefaultHTTPTimeout
}

// Name returns "blockchain".
func (*Blockchain) Name() string { return "blockchain" }

// Supports reports whether Blockchain.com prices BTC in currency.
func (*Blockchain) Supports(currency string) bool { return blockchainCurrencies[currency] }

// Fetch asks for the whole ticker and picks the currencies asked.
func (b *Blockchain) Fetch(ctx context.Context, currencies []string) ([]gateway.Quote, error) {
	if len(currencies) == 0 {
		return nil, nil
	}
	var body map[string]map[string]any
	if err := getJSON(ctx, b.Client, baseOr(b.BaseURL, DefaultBlockchainURL)+"/ticker", &body, true); err != nil {
		return nil, fmt.Errorf("blockchain: %w", err)
	}
	return pick(b.Name(), currencies, func(cur string) (gateway.Decimal, bool, error) {
		t, ok := body[strings.ToUpper(cur)]
		if !ok || t == nil || t["last"] == nil {
			return gateway.Decimal{}, false, nil
		}
		if sym, _ := t["symbol"].(string); sym != "" && !strings.EqualFold(sym, cur) {
			return gateway.Decimal{}, true, fmt.Errorf("entry is for %q", sym)
		}
		p, err := numberPrice(t["last"])
		return p, true, err
	})
}
