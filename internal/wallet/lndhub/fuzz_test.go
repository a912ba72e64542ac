package lndhub_test

import (
	"strings"
	"testing"

	"github.com/satsrail/satsrail/internal/wallet/lndhub"
)

// FuzzParseURI splits any lndhub:// URI. Beyond not panicking: no error
// quotes the password; what parses has a login, a password and an http(s)
// URL, and writing it back as lndhub://login:password@url parses to the
// same config (round trip).
func FuzzParseURI(f *testing.F) {
	for _, s := range []string{
		"lndhub://login:password@https://ln.getalby.com", "lndhub://a:b:c@http://127.0.0.1:3000/",
		"lndhub://a@b:c@https://h", "lndhub://:p@https://h", "lndhub://l:@https://h", "lndhub://l:p@ftp://h",
		"  lndhub://l:p@https://h@https://g  ", "lndhub://", "bluewallet:setlndhuburl?url=https://h", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cfg, err := lndhub.ParseURI(s)
		if err != nil {
			// The same URI with another password of the same length fails
			// with the same words: the password is not in them.
			if rest, ok := strings.CutPrefix(strings.TrimSpace(s), "lndhub://"); ok {
				if i := strings.LastIndex(rest, "@http"); i >= 0 {
					if login, pw, ok := strings.Cut(rest[:i], ":"); ok && pw != "" {
						other := "lndhub://" + login + ":" + strings.Repeat("Z", len(pw)) + rest[i:]
						if _, err2 := lndhub.ParseURI(other); err2 == nil || err2.Error() != err.Error() {
							t.Fatalf("the error depends on the password: %v / %v", err, err2)
						}
					}
				}
			}
			return
		}
		if cfg.Login == "" || cfg.Password == "" || !strings.HasPrefix(cfg.URL, "http") || strings.Contains(cfg.Login, ":") {
			t.Fatalf("ParseURI(%q) = %+v", s, cfg)
		}
		again, err := lndhub.ParseURI("lndhub://" + cfg.Login + ":" + cfg.Password + "@" + cfg.URL)
		if err != nil || again.URL != cfg.URL || again.Login != cfg.Login || again.Password != cfg.Password {
			t.Fatalf("round trip of %q: %+v, %v; want %+v", s, again, err, cfg)
		}
	})
}
