package lnbits_test

import (
	"strings"
	"testing"

	"github.com/satsrail/satsrail/internal/wallet/lnbits"
	"github.com/satsrail/satsrail/internal/wallet/walletnet"
)

// FuzzNew checks LNbits' URL and API key (walletnet.ParseBase, which
// lndhub's URL goes through too). Beyond not panicking: no error quotes
// the key; a base URL that parses is https, or http only to a local host,
// without user info, query or trailing slash, and parses again to itself
// (round trip).
func FuzzNew(f *testing.F) {
	const key = "0123456789abcdef0123456789abcdef"
	for _, s := range []string{"https://legend.lnbits.com", "http://127.0.0.1:5000/", "http://lnbits.example", "https://u:p@h",
		"https://h/prefix/?x=1", "http://abc.onion", "http://localhost:5000/lnbits", "https://%zz", "", "https://h#f"} {
		f.Add(s, key)
	}
	f.Add("https://h", "zz")
	f.Add("https://h", "0123")
	f.Fuzz(func(t *testing.T, rawURL, apiKey string) {
		_, err := lnbits.New(lnbits.Config{URL: rawURL, APIKey: apiKey})
		if err != nil && len(strings.TrimSpace(apiKey)) >= 8 && strings.Contains(err.Error(), strings.TrimSpace(apiKey)) {
			t.Fatalf("the error quotes the key: %v", err)
		}
		u, err := walletnet.ParseBase(rawURL)
		if err != nil {
			return
		}
		if u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(u.String(), "/") ||
			!(u.Scheme == "https" || u.Scheme == "http" && walletnet.Local(u.Hostname())) {
			t.Fatalf("ParseBase(%q) = %q", rawURL, u)
		}
		again, err := walletnet.ParseBase(u.String())
		if err != nil || again.String() != u.String() {
			t.Fatalf("round trip of %q: %v, %v", u, again, err)
		}
	})
}
