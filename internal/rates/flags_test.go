package rates

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// baseURL digs the configured base URL out of a built provider.
func baseURL(p Provider) string {
	switch p := p.(type) {
	case *Coinbase:
		return p.BaseURL
	case *Kraken:
		return p.BaseURL
	case *Bitstamp:
		return p.BaseURL
	case *CoinGecko:
		return p.BaseURL
	case *Yadio:
		return p.BaseURL
	case *Blockchain:
		return p.BaseURL
	case *Bitso:
		return p.BaseURL
	case *Luno:
		return p.BaseURL
	}
	return "?"
}

func TestParseProviders(t *testing.T) {
	tests := []struct {
		spec string
		want []string // name or name=base
	}{
		{"", []string{"coinbase", "kraken", "bitstamp", "coingecko", "yadio", "blockchain", "bitso", "luno"}},
		{"  ", []string{"coinbase", "kraken", "bitstamp", "coingecko", "yadio", "blockchain", "bitso", "luno"}},
		{"Yadio,luno=http://127.0.0.1:9,BITSO,blockchain", []string{"yadio", "luno=http://127.0.0.1:9", "bitso", "blockchain"}},
		{"kraken", []string{"kraken"}},
		{"coinbase=http://127.0.0.1:8081,kraken", []string{"coinbase=http://127.0.0.1:8081", "kraken"}},
		{" CoinGecko = https://proxy.example/cg/ , bitstamp=http://[::1]:9/", []string{"coingecko=https://proxy.example/cg/", "bitstamp=http://[::1]:9/"}},
	}
	client := &http.Client{Timeout: time.Second}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			ps, err := ParseProviders(tc.spec, client)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range ps {
				s := p.Name()
				if b := baseURL(p); b != "" {
					s += "=" + b
				}
				got = append(got, s)
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseProvidersBad(t *testing.T) {
	for _, spec := range []string{
		"binance",
		"coinbase,binance=http://x",
		"coinbase,coinbase",
		"coinbase=http://a,coinbase=http://b",
		"coinbase,,kraken",
		"coinbase,",
		"coinbase=",
		"coinbase=ftp://127.0.0.1",
		"coinbase=127.0.0.1:8080",
		"coinbase=http://",
		"coinbase=http://127.0.0.1/?key=x",
		"coinbase=http://127.0.0.1/#x",
		"coinbase=http://%zz",
	} {
		if ps, err := ParseProviders(spec, nil); err == nil {
			t.Errorf("ParseProviders(%q) = %v, want an error", spec, ps)
		}
	}
}

func TestParseFixed(t *testing.T) {
	tests := []struct {
		spec string
		want map[string]string
	}{
		{"", map[string]string{}},
		{"usd=65000", map[string]string{"usd": "65000"}},
		{"usd=65000,eur=60000.50", map[string]string{"usd": "65000", "eur": "60000.5"}},
		{" USD = 65000.123456789 , jpy=9500000", map[string]string{"usd": "65000.123456789", "jpy": "9500000"}},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := ParseFixed(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			for cur, w := range tc.want {
				if d, ok := got[cur]; !ok || d.Cmp(dec(t, w)) != 0 {
					t.Errorf("%s = %v, want exactly %s", cur, d, w)
				}
			}
		})
	}
}

func TestParseFixedBad(t *testing.T) {
	for _, spec := range []string{
		"xyz=1",
		"btc=1",
		"usd",
		"usd=",
		"usd=0",
		"usd=-1",
		"usd=abc",
		"usd=1e5",
		"usd=1,usd=2",
		"usd=1,",
		"=1",
		"usd=1000000000000.5",
	} {
		if got, err := ParseFixed(spec); err == nil {
			t.Errorf("ParseFixed(%q) = %v, want an error", spec, got)
		}
	}
	// Every currency the gateway knows can be fixed.
	for _, c := range gateway.Currencies() {
		if _, err := ParseFixed(c + "=1"); err != nil {
			t.Errorf("ParseFixed(%s=1): %v", c, err)
		}
	}
}
