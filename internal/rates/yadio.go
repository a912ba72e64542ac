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

// DefaultYadioURL is the public Yadio API.
const DefaultYadioURL = "https://api.yadio.io"

// yadioCurrencies are the ISO 4217 currencies Yadio prices BTC in
// (https://yadio.io/currencies).
var yadioCurrencies = newCurrencySet(`
	aed amd ang aoa ars aud azn bdt bgn bhd bob brl bwp byn cad cdf chf clp cny cop crc cup czk dkk dop
	dzd egp etb eur gbp gel ghs gnf gtq hkd hnl huf idr ils inr irr jmd jod jpy kes kgs krw kzt lbp lkr
	mad mxn myr nad ngn nio nok npr nzd pab pen php pkr pln pyg qar ron rsd rub rwf sar sek sgd thb tnd
	try ttd twd tzs uah ugx usd uyu uzs ves vnd xaf xof zar`)

// Yadio reads Yadio's exchange rates, every currency in one request:
// GET {BaseURL}/exrates/BTC →
// {"BTC":{"USD":99312.47,"ARS":114477123.81,...},"base":"BTC","timestamp":1733486340173}.
// Prices are JSON numbers; timestamp (Unix milliseconds) dates them. Yadio
// publishes the rate people actually pay where a parallel market sets it
// (ARS, VES, CUP, BOB, ...), which is why it matters in Latin America; where
// that rate is far from the official one the others quote, the median's
// outlier rule decides (see MaxDeviationPercent).
type Yadio struct {
	BaseURL string       // default DefaultYadioURL
	Client  *http.Client // default a client with DefaultHTTPTimeout
}

// Name returns "yadio".
func (*Yadio) Name() string { return "yadio" }

// Supports reports whether Yadio prices BTC in currency.
func (*Yadio) Supports(currency string) bool { return yadioCurrencies[currency] }

// Fetch asks for every rate in one request and picks the currencies asked.
func (y *Yadio) Fetch(ctx context.Context, currencies []string) ([]gateway.Quote, error) {
	if len(currencies) == 0 {
		return nil, nil
	}
	var body map[string]any
	if err := getJSON(ctx, y.Client, baseOr(y.BaseURL, DefaultYadioURL)+"/exrates/BTC", &body, true); err != nil {
		return nil, fmt.Errorf("yadio: %w", err)
	}
	if base, _ := body["base"].(string); base != "" && !strings.EqualFold(base, "BTC") {
		return nil, fmt.Errorf("yadio: answer is for base %q, not BTC", base)
	}
	prices, ok := body["BTC"].(map[string]any)
	if !ok {
		return nil, errors.New(`yadio: missing "BTC"`)
	}
	at, err := unixTime(body["timestamp"], time.Millisecond)
	if err != nil {
		return nil, fmt.Errorf("yadio: timestamp: %w", err)
	}
	quotes, err := pick(y.Name(), currencies, func(cur string) (gateway.Decimal, bool, error) {
		v, ok := prices[strings.ToUpper(cur)]
		if !ok || v == nil {
			return gateway.Decimal{}, false, nil
		}
		p, err := numberPrice(v)
		return p, true, err
	})
	return stamp(quotes, at), err
}
