package phoenixd_test

import (
	"testing"

	"github.com/satsrail/satsrail/internal/wallet/phoenixd"
)

// FuzzParseURL: a URL that parses is http(s)://host:port and nothing else
// (an http URL without a port gets phoenixd's), and parsing what it prints
// gives it again (round trip).
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:9740", "http://phoenixd", "https://p.example/", "https://u:p@h", "http://h:1/x",
		"http://h?password=x", "ftp://h", " http://[::1] ", "http://%zz", "http://:9740", "http://h:99999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := phoenixd.ParseURL(s)
		if err != nil {
			return
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" ||
			(u.Scheme == "http" && u.Port() == "") {
			t.Fatalf("ParseURL(%q) = %q", s, u)
		}
		again, err := phoenixd.ParseURL(u.String())
		if err != nil || again.String() != u.String() {
			t.Fatalf("round trip of %q: %v, %v", u, again, err)
		}
	})
}
