package rates

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/satsrail/satsrail/internal/gateway"
)

// DefaultCoinbaseURL is the public Coinbase API.
const DefaultCoinbaseURL = "https://api.coinbase.com"

// coinbaseCurrencies are the ISO 4217 fiat currencies Coinbase's
// exchange-rates endpoint prices BTC in (its /v2/currencies list, without
// the sanctioned ones it does not list: CUP, IRR, KPW, SDG, SYP).
var coinbaseCurrencies = newCurrencySet(`
	aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd btn bwp byn bzd
	cad cdf chf clp cny cop crc cuc cve czk djf dkk dop dzd egp ern etb eur fjd fkp gbp gel ghs gip gmd
	gnf gtq gyd hkd hnl htg huf idr ils inr iqd isk jmd jod jpy kes kgs khr kmf krw kwd kyd kzt lak lbp
	lkr lrd lsl lyd mad mdl mga mkd mmk mnt mop mru mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd omr
	pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sek sgd shp sle sos srd ssp stn svc szl
	thb tjs tmt tnd top try ttd twd tzs uah ugx usd uyu uzs ves vnd vuv wst xaf xcd xof xpf yer zar zmw`)

// Coinbase reads Coinbase's exchange rates, every currency in one request:
// GET {BaseURL}/v2/exchange-rates?currency=BTC →
// {"data":{"currency":"BTC","rates":{"USD":"99312.47","JPY":"14908281",...}}},
// prices as decimal strings, about 150 fiat currencies and many crypto
// assets (ignored).
type Coinbase struct {
	BaseURL string       // default DefaultCoinbaseURL
	Client  *http.Client // default a client with DefaultHTTPTimeout
}

// Name returns "coinbase".
func (*Coinbase) Name() string { return "coinbase" }

// Supports reports whether Coinbase prices BTC in currency.
func (*Coinbase) Supports(currency string) bool { return coinbaseCurrencies[currency] }

// Fetch asks for every rate in one request and picks the currencies asked.
func (c *Coinbase) Fetch(ctx context.Context, currencies []string) ([]gateway.Quote, error) {
	if len(currencies) == 0 {
		return nil, nil
	}
	var body struct {
		Data *struct {
			Currency string            `json:"currency"`
			Rates    map[string]string `json:"rates"`
		} `json:"data"`
	}
	u := baseOr(c.BaseURL, DefaultCoinbaseURL) + "/v2/exchange-rates?currency=BTC"
	if err := getJSON(ctx, c.Client, u, &body, false); err != nil {
		return nil, fmt.Errorf("coinbase: %w", err)
	}
	switch {
	case body.Data == nil:
		return nil, errors.New(`coinbase: missing "data"`)
	case !strings.EqualFold(body.Data.Currency, "BTC"):
		return nil, fmt.Errorf("coinbase: answer is for base %q, not BTC", body.Data.Currency)
	case body.Data.Rates == nil:
		return nil, errors.New(`coinbase: missing "data.rates"`)
	}
	return pick(c.Name(), currencies, func(cur string) (gateway.Decimal, bool, error) {
		s, ok := body.Data.Rates[strings.ToUpper(cur)]
		if !ok || s == "" {
			return gateway.Decimal{}, false, nil
		}
		p, err := parsePrice(s)
		return p, true, err
	})
}
