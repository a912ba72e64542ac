package netguard

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// fakeResolver answers from a table and records the hosts it was asked for;
// a host not in the table fails the test, so no lookup goes unnoticed.
type fakeResolver struct {
	t       *testing.T
	answers map[string][]string // host → addresses
	errs    map[string]error    // host → lookup error
	asked   []string
}

func (f *fakeResolver) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	f.asked = append(f.asked, host)
	if network != "ip" {
		f.t.Errorf("LookupNetIP network = %q, want ip", network)
	}
	if err, ok := f.errs[host]; ok {
		return nil, err
	}
	addrs, ok := f.answers[host]
	if !ok {
		f.t.Errorf("unexpected lookup of %q", host)
		return nil, fmt.Errorf("fake: no such host %q", host)
	}
	var out []netip.Addr
	for _, a := range addrs {
		out = append(out, netip.MustParseAddr(a))
	}
	return out, nil
}

var errNXDomain = errors.New("fake: no such host")

func newFakeResolver(t *testing.T) *fakeResolver {
	return &fakeResolver{
		t: t,
		answers: map[string][]string{
			"hooks.example.com":       {"93.184.216.34"},
			"dual.example.com":        {"8.8.8.8", "2606:4700::1111"},
			"loop.example.com":        {"127.0.0.1"},
			"loop6.example.com":       {"::1"},
			"ten.example.com":         {"10.0.0.1"},
			"meta.example.com":        {"169.254.169.254"},
			"mixed.example.com":       {"8.8.8.8", "10.0.0.1"},
			"mixed6.example.com":      {"2606:4700::1111", "fd00::1"},
			"mapped.example.com":      {"::ffff:127.0.0.1"},
			"nat64.example.com":       {"64:ff9b::a9fe:a9fe"},
			"empty.example.com":       {},
			"localhost":               {"127.0.0.1", "::1"},
			"trailing.example.":       {"93.184.216.34"},
			"under_score.example.com": {"93.184.216.34"},
		},
		errs: map[string]error{"nxdomain.example.com": errNXDomain},
	}
}

func TestCheckURL(t *testing.T) {
	var (
		loopback = Policy{AllowLoopback: true}
		private  = Policy{AllowPrivate: true}
	)
	tests := []struct {
		name   string
		policy Policy // the zero (strict) Policy unless set
		url    string
		want   error  // nil, ErrBlocked, ErrInvalidURL or ErrUnresolvable
		reason Reason // for ErrBlocked
		host   string // for ErrBlocked: the host named, "" for IP literals
		lookup bool   // whether the resolver must be asked
	}{
		// Allowed.
		{name: "public host", url: "https://hooks.example.com/satsrail", lookup: true},
		{name: "public host with port and query", url: "https://hooks.example.com:8443/x?y=1#z", lookup: true},
		{name: "uppercase scheme and host", url: "HTTPS://hooks.example.com/", lookup: true},
		{name: "all addresses public", url: "http://dual.example.com/", lookup: true},
		{name: "trailing dot", url: "http://trailing.example./", lookup: true},
		{name: "underscore label", url: "http://under_score.example.com/", lookup: true},
		{name: "public IPv4 literal", url: "http://8.8.8.8/hook"},
		{name: "public IPv6 literal", url: "http://[2606:4700::1111]:8443/hook"},
		{name: "public mapped literal", url: "http://[::ffff:8.8.8.8]/"},

		// Host names resolving to refused addresses.
		{name: "resolves to loopback", url: "http://loop.example.com/", want: ErrBlocked, reason: ReasonLoopback, host: "loop.example.com", lookup: true},
		{name: "resolves to ::1", url: "http://loop6.example.com/", want: ErrBlocked, reason: ReasonLoopback, host: "loop6.example.com", lookup: true},
		{name: "localhost", url: "http://localhost:8080/", want: ErrBlocked, reason: ReasonLoopback, host: "localhost", lookup: true},
		{name: "resolves to 10/8", url: "https://ten.example.com/", want: ErrBlocked, reason: ReasonPrivate, host: "ten.example.com", lookup: true},
		{name: "resolves to metadata", url: "http://meta.example.com/latest/meta-data/", want: ErrBlocked, reason: ReasonLinkLocal, host: "meta.example.com", lookup: true},
		{name: "public and private mixed", url: "http://mixed.example.com/", want: ErrBlocked, reason: ReasonPrivate, host: "mixed.example.com", lookup: true},
		{name: "public and ULA mixed", url: "http://mixed6.example.com/", want: ErrBlocked, reason: ReasonPrivate, host: "mixed6.example.com", lookup: true},
		{name: "resolves to mapped loopback", url: "http://mapped.example.com/", want: ErrBlocked, reason: ReasonLoopback, host: "mapped.example.com", lookup: true},
		{name: "resolves to NAT64 metadata", url: "http://nat64.example.com/", want: ErrBlocked, reason: ReasonLinkLocal, host: "nat64.example.com", lookup: true},

		// Resolution failures.
		{name: "lookup error", url: "http://nxdomain.example.com/", want: ErrUnresolvable, lookup: true},
		{name: "no addresses", url: "http://empty.example.com/", want: ErrUnresolvable, lookup: true},

		// IP literals: checked without a lookup.
		{name: "IPv6 loopback literal", url: "http://[::1]:8080/", want: ErrBlocked, reason: ReasonLoopback},
		{name: "IPv4 loopback literal", url: "http://127.0.0.1/", want: ErrBlocked, reason: ReasonLoopback},
		{name: "metadata literal", url: "http://169.254.169.254/latest/meta-data/", want: ErrBlocked, reason: ReasonLinkLocal},
		{name: "private literal", url: "https://192.168.1.1:8443/", want: ErrBlocked, reason: ReasonPrivate},
		{name: "unspecified literal", url: "http://0.0.0.0:8080/", want: ErrBlocked, reason: ReasonUnspecified},
		{name: "IPv6 unspecified literal", url: "http://[::]/", want: ErrBlocked, reason: ReasonUnspecified},
		{name: "mapped loopback literal", url: "http://[::ffff:127.0.0.1]/", want: ErrBlocked, reason: ReasonLoopback},
		{name: "mapped hex loopback literal", url: "http://[::ffff:7f00:1]/", want: ErrBlocked, reason: ReasonLoopback},
		{name: "NAT64 loopback literal", url: "http://[64:ff9b::7f00:1]/", want: ErrBlocked, reason: ReasonLoopback},
		{name: "link-local literal with zone", url: "http://[fe80::1%25eth0]:8080/", want: ErrBlocked, reason: ReasonLinkLocal},
		{name: "CGNAT literal", url: "http://100.64.0.1/", want: ErrBlocked, reason: ReasonSharedCGNAT},

		// Legacy IPv4 spellings: refused as invalid, never resolved.
		{name: "hex dword", url: "http://0x7f000001/", want: ErrInvalidURL},
		{name: "decimal dword", url: "http://2130706433/", want: ErrInvalidURL},
		{name: "short form", url: "http://127.1/", want: ErrInvalidURL},
		{name: "hex and short", url: "http://0x7f.1/", want: ErrInvalidURL},
		{name: "octal", url: "http://0177.0.0.1/", want: ErrInvalidURL},
		{name: "leading zero", url: "http://127.0.0.01/", want: ErrInvalidURL},
		{name: "dotted quad with trailing dot", url: "http://127.0.0.1./", want: ErrInvalidURL},
		{name: "bare 0x", url: "http://foo.0x/", want: ErrInvalidURL},
		{name: "numeric TLD", url: "http://example.123/", want: ErrInvalidURL},
		{name: "zero", url: "http://0/", want: ErrInvalidURL},

		// Bad URLs.
		{name: "ftp", url: "ftp://hooks.example.com/", want: ErrInvalidURL},
		{name: "javascript", url: "javascript:alert(1)", want: ErrInvalidURL},
		{name: "file", url: "file:///etc/passwd", want: ErrInvalidURL},
		{name: "gopher", url: "gopher://127.0.0.1:6379/_INFO", want: ErrInvalidURL},
		{name: "no scheme", url: "hooks.example.com/x", want: ErrInvalidURL},
		{name: "empty", url: "", want: ErrInvalidURL},
		{name: "userinfo", url: "https://user:pass@hooks.example.com/", want: ErrInvalidURL},
		{name: "user only", url: "https://user@hooks.example.com/", want: ErrInvalidURL},
		{name: "userinfo hiding a host", url: "http://hooks.example.com@127.0.0.1/", want: ErrInvalidURL},
		{name: "empty host", url: "http:///path", want: ErrInvalidURL},
		{name: "scheme only", url: "http://", want: ErrInvalidURL},
		{name: "port only", url: "http://:8080/", want: ErrInvalidURL},
		{name: "opaque", url: "http:hooks.example.com", want: ErrInvalidURL},
		{name: "port zero", url: "http://hooks.example.com:0/", want: ErrInvalidURL},
		{name: "port too big", url: "http://hooks.example.com:65536/", want: ErrInvalidURL},
		{name: "space in host", url: "http://hooks example.com/", want: ErrInvalidURL},
		{name: "empty label", url: "http://hooks..example.com/", want: ErrInvalidURL},
		{name: "long label", url: "http://" + strings.Repeat("a", 64) + ".example.com/", want: ErrInvalidURL},
		{name: "long name", url: "http://" + strings.Repeat("a.", 127) + "com/", want: ErrInvalidURL},
		{name: "fullwidth digits", url: "http://１２７.0.0.1/", want: ErrInvalidURL},
		{name: "unicode host", url: "http://bücher.example/", want: ErrInvalidURL},
		{name: "bracketed IPv4", url: "http://[127.0.0.1]/", want: ErrInvalidURL},
		{name: "bracketed name", url: "http://[localhost]/", want: ErrInvalidURL},
		{name: "unbracketed IPv6", url: "http://::1/", want: ErrInvalidURL},
		{name: "percent-encoded host", url: "http://%31%32%37.0.0.1/", want: ErrInvalidURL},

		// AllowLoopback: loopback only.
		{name: "loopback: IPv4 literal", policy: loopback, url: "http://127.0.0.1:8080/"},
		{name: "loopback: IPv6 literal", policy: loopback, url: "http://[::1]:8080/"},
		{name: "loopback: localhost", policy: loopback, url: "http://localhost:8080/", lookup: true},
		{name: "loopback: name", policy: loopback, url: "http://loop.example.com/", lookup: true},
		{name: "loopback: still not 10/8", policy: loopback, url: "http://ten.example.com/", want: ErrBlocked, reason: ReasonPrivate, host: "ten.example.com", lookup: true},
		{name: "loopback: still not metadata", policy: loopback, url: "http://169.254.169.254/", want: ErrBlocked, reason: ReasonLinkLocal},
		{name: "loopback: still not 0.0.0.0", policy: loopback, url: "http://0.0.0.0/", want: ErrBlocked, reason: ReasonUnspecified},
		{name: "loopback: still not legacy spelling", policy: loopback, url: "http://0x7f000001/", want: ErrInvalidURL},

		// AllowPrivate: every address, but the URL rules stand.
		{name: "private: 10/8", policy: private, url: "http://ten.example.com/", lookup: true},
		{name: "private: metadata", policy: private, url: "http://169.254.169.254/"},
		{name: "private: mixed", policy: private, url: "http://mixed.example.com/", lookup: true},
		{name: "private: loopback literal", policy: private, url: "http://127.0.0.1:8080/"},
		{name: "private: ULA literal", policy: private, url: "http://[fd12::1]/"},
		{name: "private: still resolves", policy: private, url: "http://nxdomain.example.com/", want: ErrUnresolvable, lookup: true},
		{name: "private: still no addresses", policy: private, url: "http://empty.example.com/", want: ErrUnresolvable, lookup: true},
		{name: "private: still http only", policy: private, url: "file:///etc/passwd", want: ErrInvalidURL},
		{name: "private: still no legacy spelling", policy: private, url: "http://2130706433/", want: ErrInvalidURL},
		{name: "private: still no userinfo", policy: private, url: "http://u:p@ten.example.com/", want: ErrInvalidURL},
	}
	sentinels := []error{ErrBlocked, ErrInvalidURL, ErrUnresolvable}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newFakeResolver(t)
			err := tc.policy.CheckURL(t.Context(), r, tc.url)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("CheckURL(%q) = %v, want nil", tc.url, err)
				}
			} else {
				for _, s := range sentinels {
					if got, want := errors.Is(err, s), s == tc.want; got != want {
						t.Fatalf("CheckURL(%q) = %v; errors.Is(err, %v) = %v, want %v", tc.url, err, s, got, want)
					}
				}
			}
			if asked := len(r.asked) > 0; asked != tc.lookup {
				t.Errorf("resolver asked for %q, want a lookup: %v", r.asked, tc.lookup)
			}
			if tc.want != ErrBlocked {
				return
			}
			be, ok := errors.AsType[*BlockedError](err)
			if !ok {
				t.Fatalf("error %T is not a *BlockedError", err)
			}
			if be.Reason != tc.reason || be.Host != tc.host {
				t.Errorf("BlockedError{Host: %q, Reason: %q}, want {%q, %q}", be.Host, be.Reason, tc.host, tc.reason)
			}
		})
	}
}

// TestCheckURLLookupError checks the resolver's error is kept in the chain.
func TestCheckURLLookupError(t *testing.T) {
	err := Policy{}.CheckURL(t.Context(), newFakeResolver(t), "https://nxdomain.example.com/")
	if !errors.Is(err, errNXDomain) || !errors.Is(err, ErrUnresolvable) {
		t.Fatalf("err = %v, want it to wrap both the lookup error and ErrUnresolvable", err)
	}
}

func TestIsNumericLabel(t *testing.T) {
	tests := map[string]bool{
		"0": true, "127": true, "0x7f": true, "0X7F": true, "0x": true, "2130706433": true, "0177": true,
		"": false, "com": false, "0xg": false, "1a": false, "x0": false, "-1": false, "1password": false,
	}
	for label, want := range tests {
		if got := isNumericLabel(label); got != want {
			t.Errorf("isNumericLabel(%q) = %v, want %v", label, got, want)
		}
	}
}
