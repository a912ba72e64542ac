package rates

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/satsrail/satsrail/internal/gateway"
)

// ProviderNames lists the providers ParseProviders knows, in the order it
// builds them for an empty spec.
func ProviderNames() []string {
	return []string{"coinbase", "kraken", "bitstamp", "coingecko", "yadio", "blockchain", "bitso", "luno"}
}

// newProvider builds the named provider; base "" means its public API.
func newProvider(name, base string, client *http.Client) (Provider, bool) {
	switch name {
	case "coinbase":
		return &Coinbase{BaseURL: base, Client: client}, true
	case "kraken":
		return &Kraken{BaseURL: base, Client: client}, true
	case "bitstamp":
		return &Bitstamp{BaseURL: base, Client: client}, true
	case "coingecko":
		return &CoinGecko{BaseURL: base, Client: client}, true
	case "yadio":
		return &Yadio{BaseURL: base, Client: client}, true
	case "blockchain":
		return &Blockchain{BaseURL: base, Client: client}, true
	case "bitso":
		return &Bitso{BaseURL: base, Client: client}, true
	case "luno":
		return &Luno{BaseURL: base, Client: client}, true
	}
	return nil, false
}

// ParseProviders parses the --rate-providers flag, a comma-separated list of
// name or name=URL: "coinbase=http://127.0.0.1:8081,kraken". A name without
// URL uses the provider's public API. An empty spec means every provider at
// its public API. Every provider shares client; nil means a client with
// DefaultHTTPTimeout.
func ParseProviders(spec string, client *http.Client) ([]Provider, error) {
	if strings.TrimSpace(spec) == "" {
		var ps []Provider
		for _, name := range ProviderNames() {
			p, _ := newProvider(name, "", client)
			ps = append(ps, p)
		}
		return ps, nil
	}
	var ps []Provider
	seen := map[string]bool{}
	for item := range strings.SplitSeq(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, fmt.Errorf("rate providers %q: empty entry", spec)
		}
		name, base, hasURL := strings.Cut(item, "=")
		name = strings.ToLower(strings.TrimSpace(name))
		base = strings.TrimSpace(base)
		if seen[name] {
			return nil, fmt.Errorf("rate providers: %q listed twice", name)
		}
		seen[name] = true
		if hasURL {
			if err := checkBaseURL(base); err != nil {
				return nil, fmt.Errorf("rate provider %s: %w", name, err)
			}
		}
		p, ok := newProvider(name, base, client)
		if !ok {
			return nil, fmt.Errorf("rate providers: unknown provider %q (known: %s)", name, strings.Join(ProviderNames(), ", "))
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// checkBaseURL accepts an absolute http(s) URL with a host and no query.
func checkBaseURL(s string) error {
	if s == "" {
		return fmt.Errorf("empty URL")
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("invalid URL %q", s)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("URL %q must be http or https", s)
	}
	if u.Host == "" {
		return fmt.Errorf("URL %q has no host", s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("URL %q must not have a query or fragment", s)
	}
	return nil
}

// ParseFixed parses the --fixed-rates flag, a comma-separated list of
// currency=price: "usd=65000,eur=60000.50". Currencies are ISO 4217 codes
// in any case (gateway.Currencies); prices are positive plain decimals in
// major units per BTC. An empty spec gives an empty map.
func ParseFixed(spec string) (map[string]gateway.Decimal, error) {
	fixed := map[string]gateway.Decimal{}
	if strings.TrimSpace(spec) == "" {
		return fixed, nil
	}
	for item := range strings.SplitSeq(spec, ",") {
		cur, price, ok := strings.Cut(strings.TrimSpace(item), "=")
		cur = strings.ToLower(strings.TrimSpace(cur))
		if !ok {
			return nil, fmt.Errorf("fixed rates: %q is not currency=price", item)
		}
		if !slices.Contains(gateway.Currencies(), cur) {
			return nil, fmt.Errorf("fixed rates: %q is not an ISO 4217 currency code", cur)
		}
		if _, dup := fixed[cur]; dup {
			return nil, fmt.Errorf("fixed rates: %q listed twice", cur)
		}
		d, err := parsePrice(price)
		if err != nil {
			return nil, fmt.Errorf("fixed rate for %s: %w", cur, err)
		}
		fixed[cur] = d
	}
	return fixed, nil
}
