package rates

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/satsrail/satsrail/internal/gateway"
)

// DefaultKrakenURL is the public Kraken API.
const DefaultKrakenURL = "https://api.kraken.com"

// Kraken reads the Kraken ticker, every currency in one request:
// GET {BaseURL}/0/public/Ticker?pair=XBTUSD,XBTEUR →
// {"error":[],"result":{"XXBTZUSD":{"c":["64123.40000","0.00100000"],...},...}}.
// The price is c[0], the last trade. Kraken names pairs inconsistently in the
// answer (XXBTZUSD, XBTCHF, ...), so keys are mapped back by their suffix.
type Kraken struct {
	BaseURL string       // default DefaultKrakenURL
	Client  *http.Client // default a client with DefaultHTTPTimeout
}

// Name returns "kraken".
func (*Kraken) Name() string { return "kraken" }

// krakenCurrencies are the fiat currencies Kraken trades BTC against.
var krakenCurrencies = newCurrencySet("usd eur gbp cad chf jpy aud")

// Supports reports whether Kraken has a BTC market in currency.
func (*Kraken) Supports(currency string) bool { return krakenCurrencies[currency] }

// Fetch asks for every currency in one ticker request.
func (k *Kraken) Fetch(ctx context.Context, currencies []string) ([]gateway.Quote, error) {
	if len(currencies) == 0 {
		return nil, nil
	}
	pairs := make([]string, len(currencies))
	for i, cur := range currencies {
		pairs[i] = "XBT" + url.QueryEscape(strings.ToUpper(cur))
	}
	u := baseOr(k.BaseURL, DefaultKrakenURL) + "/0/public/Ticker?pair=" + strings.Join(pairs, ",")
	var body struct {
		Error  []string `json:"error"`
		Result map[string]struct {
			C []string `json:"c"`
		} `json:"result"`
	}
	if err := getJSON(ctx, k.Client, u, &body, false); err != nil {
		return nil, fmt.Errorf("kraken: %w", err)
	}
	if len(body.Error) > 0 {
		return nil, fmt.Errorf("kraken: API error: %s", strings.Join(body.Error, "; "))
	}
	if body.Result == nil {
		return nil, errors.New(`kraken: missing "result"`)
	}
	var quotes []gateway.Quote
	var errs []error
	seen := map[string]bool{}
	for key, t := range body.Result {
		cur, ok := krakenCurrency(key)
		if !ok || !slices.Contains(currencies, cur) || seen[cur] {
			continue
		}
		seen[cur] = true
		if len(t.C) == 0 {
			errs = append(errs, fmt.Errorf("kraken btc/%s: missing last trade price \"c\"", cur))
			continue
		}
		p, err := parsePrice(t.C[0])
		if err != nil {
			errs = append(errs, fmt.Errorf("kraken btc/%s: %w", cur, err))
			continue
		}
		quotes = append(quotes, gateway.Quote{Provider: k.Name(), Currency: cur, Price: p})
	}
	for _, cur := range currencies {
		if !seen[cur] {
			errs = append(errs, fmt.Errorf("kraken btc/%s: pair missing from the answer", cur))
		}
	}
	slices.SortFunc(quotes, func(a, b gateway.Quote) int { return strings.Compare(a.Currency, b.Currency) })
	return quotes, errors.Join(errs...)
}

// krakenCurrency maps a Kraken result key for a BTC pair to its fiat
// currency: XXBTZUSD, XBTUSD and XBTZUSD all give "usd". Keys for other
// assets (or other quote assets such as USDT) give false.
func krakenCurrency(key string) (string, bool) {
	k := strings.ToUpper(key)
	switch {
	case strings.HasPrefix(k, "XXBT"):
		k = k[4:]
	case strings.HasPrefix(k, "XBT"):
		k = k[3:]
	default:
		return "", false
	}
	if len(k) == 4 && k[0] == 'Z' {
		k = k[1:]
	}
	if len(k) != 3 {
		return "", false
	}
	return strings.ToLower(k), true
}
