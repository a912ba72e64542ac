package nwc_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/satsrail/satsrail/internal/wallet/nwc"
)

// FuzzParseURI parses any NIP-47 connection URI. Beyond not panicking: no
// error quotes the secret; a connection that parses has a 64-hex wallet
// key, a 64-hex secret and 1 to 8 distinct ws(s) relays, and its String()
// parses to the same connection (round trip).
func FuzzParseURI(f *testing.F) {
	const pub = "b889ff5b1513b641e2a139f661a661364979c5beee91842f8f0ef42ab558e9d4"
	const secret = "71a8c14c1407c113601079c4302dab36460f0ccd0ad506f1f2dc73b5100e4f3c"
	for _, s := range []string{
		"nostr+walletconnect://" + pub + "?relay=wss%3A%2F%2Frelay.damus.io&secret=" + secret,
		"nostr+walletconnect:" + pub + "?relay=wss://r.example/&relay=ws://127.0.0.1:7000&secret=" + secret + "&lud16=a@b.c",
		"NOSTR+WALLETCONNECT://" + strings.ToUpper(pub) + "/?relay=wss://R.example&relay=wss://r.example&secret=" + strings.ToUpper(secret),
		"nostr+walletconnect://" + pub + "?relay=https://r&secret=" + secret,
		"nostr+walletconnect://" + pub + "?relay=wss://u:p@r&secret=" + secret,
		"nostr+walletconnect://" + pub + "?relay=wss://r&secret=" + strings.Repeat("f", 64),
		"nostr+walletconnect://" + pub + "?relay=wss://r&secret=" + strings.Repeat("0", 64),
		"nostr+walletconnect://" + pub + "?relay=wss://r&secret=%zz", "nostr+walletconnect://x", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := nwc.ParseURI(s)
		if err != nil {
			if i := strings.Index(s, "secret="); i >= 0 {
				sec, _, _ := strings.Cut(s[i+len("secret="):], "&")
				if len(sec) >= 8 && strings.Contains(strings.ToLower(err.Error()), strings.ToLower(sec)) {
					t.Fatalf("the error quotes the secret: %v", err)
				}
			}
			return
		}
		if len(c.WalletPubKey) != 64 || len(c.Secret) != 64 || len(c.Relays) == 0 || len(c.Relays) > 8 {
			t.Fatalf("ParseURI(%q) = %+v", s, c)
		}
		seen := map[string]bool{}
		for _, r := range c.Relays {
			if seen[r] || !(strings.HasPrefix(r, "wss://") || strings.HasPrefix(r, "ws://")) {
				t.Fatalf("relays %q", c.Relays)
			}
			seen[r] = true
		}
		again, err := nwc.ParseURI(c.String())
		if err != nil || !reflect.DeepEqual(again, c) {
			t.Fatalf("round trip of %q through %q: %+v, %v", s, c.String(), again, err)
		}
	})
}
