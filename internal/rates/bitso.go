package rates

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// DefaultBitsoURL is the public Bitso API.
const DefaultBitsoURL = "https://api.bitso.com"

// bitsoCurrencies are the fiat currencies Bitso has a BTC order book in.
var bitsoCurrencies = newCurrencySet("mxn ars brl cop usd")

// Bitso reads the Bitso ticker, one order book per request:
// GET {BaseURL}/v3/ticker/?book=btc_mxn →
// {"success":true,"payload":{"book":"btc_mxn","last":"2019208.03","created_at":"2024-12-06T11:59:52+00:00",...}}.
// The price is "last", a decimal string; created_at dates it. Bitso is the
// largest exchange of Mexico and trades BTC against ARS, BRL and COP too:
// real order books where banks price poorly.
type Bitso struct {
	BaseURL string       // default DefaultBitsoURL
	Client  *http.Client // default a client with DefaultHTTPTimeout
}

// Name returns "bitso".
func (*Bitso) Name() string { return "bitso" }

// Supports reports whether Bitso has a BTC order book in currency.
func (*Bitso) Supports(currency string) bool { return bitsoCurrencies[currency] }

// Fetch asks for each book concurrently.
func (b *Bitso) Fetch(ctx context.Context, currencies []string) ([]gateway.Quote, error) {
	base := baseOr(b.BaseURL, DefaultBitsoURL)
	var mu sync.Mutex
	times := map[string]time.Time{}
	quotes, err := fetchEach(ctx, b.Name(), currencies, func(ctx context.Context, cur string) (gateway.Decimal, error) {
		if !b.Supports(cur) {
			return gateway.Decimal{}, errors.New("no order book on bitso")
		}
		var body struct {
			Success bool `json:"success"`
			Payload *struct {
				Book      string `json:"book"`
				Last      string `json:"last"`
				CreatedAt string `json:"created_at"`
			} `json:"payload"`
			Error *struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := getJSON(ctx, b.Client, base+"/v3/ticker/?book=btc_"+cur, &body, false); err != nil {
			return gateway.Decimal{}, err
		}
		switch {
		case body.Error != nil:
			return gateway.Decimal{}, fmt.Errorf("API error %s: %s", body.Error.Code, body.Error.Message)
		case !body.Success || body.Payload == nil:
			return gateway.Decimal{}, errors.New(`missing "payload"`)
		case body.Payload.Book != "btc_"+cur:
			return gateway.Decimal{}, fmt.Errorf("answer is for book %q", body.Payload.Book)
		case body.Payload.Last == "":
			return gateway.Decimal{}, errors.New(`missing "last"`)
		}
		at, err := time.Parse(time.RFC3339, body.Payload.CreatedAt)
		if err != nil {
			return gateway.Decimal{}, fmt.Errorf("created_at %q: not a time", body.Payload.CreatedAt)
		}
		mu.Lock()
		times[cur] = at
		mu.Unlock()
		return parsePrice(body.Payload.Last)
	})
	for i := range quotes {
		quotes[i].FetchedAt = times[quotes[i].Currency]
	}
	return quotes, err
}
