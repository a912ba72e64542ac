package lnaddress_test

import (
	"strings"
	"testing"

	"github.com/satsrail/satsrail/internal/wallet/lnaddress"
)

// FuzzParseAddress splits any name@domain. Beyond not panicking: what
// parses has a LUD-16 name (a-z0-9-_.+) and a lower-case domain that is a
// host with an optional port, and name@domain parses to the same parts
// (round trip); an address differing only in the domain's case gives the
// same answer.
func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{"satsrail@getalby.com", "a.b-c_d+e@Example.COM:8443", "bob@127.0.0.1:8080", "bob@[::1]:1",
		"Bob@x.com", "a@b@c", "@x", "a@", "a@x/y", "a@u:p@h", "a@x?q", " a@x.com\n", "a@%zz", "a@x.com:", "é@x.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, domain, err := lnaddress.ParseAddress(s)
		if err != nil {
			return
		}
		if name == "" || domain == "" || domain != strings.ToLower(domain) || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789-_.+") != "" ||
			strings.ContainsAny(domain, "/?#@ ") {
			t.Fatalf("ParseAddress(%q) = %q, %q", s, name, domain)
		}
		n2, d2, err := lnaddress.ParseAddress(name + "@" + domain)
		if err != nil || n2 != name || d2 != domain {
			t.Fatalf("round trip of %q: %q %q %v", s, n2, d2, err)
		}
		n3, d3, err := lnaddress.ParseAddress(name + "@" + strings.ToUpper(domain))
		if err == nil && (n3 != name || d3 != domain) {
			t.Fatalf("the domain's case changed the answer: %q %q", n3, d3)
		}
	})
}
