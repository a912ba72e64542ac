package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Resolver looks up the addresses of a host name. *net.Resolver satisfies
// it; tests inject a fake so they need no DNS.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

var _ Resolver = (*net.Resolver)(nil)

// CheckURL is the registration-time check of a webhook endpoint URL. The URL
// must be absolute http or https with a host, no userinfo and, if it has a
// port, one in 1-65535; otherwise the error wraps ErrInvalidURL. A host that
// is an IP literal (dotted-quad IPv4 or bracketed IPv6) is checked with
// CheckIP. A host whose last label is numeric, such as "2130706433",
// "0x7f.1", "127.1" or "0177.0.0.1", is one of the legacy IPv4 spellings
// that inet_aton, browsers and some resolvers accept but netip does not, and
// is refused as invalid rather than guessed at; so are non-ASCII hosts,
// which must be given in their punycode (xn--) form. Any other host is
// resolved with r (net.DefaultResolver if nil), and EVERY address must pass
// CheckIP: the error is then a *BlockedError naming the host. A failed
// lookup, or one with no addresses, wraps ErrUnresolvable.
//
// Passing CheckURL does not make later deliveries safe, since DNS answers
// change; the client from NewClient checks again at every connection.
func (p Policy) CheckURL(ctx context.Context, r Resolver, rawURL string) error {
	host, err := endpointHost(rawURL)
	if err != nil {
		return err
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return p.CheckIP(ip)
	}
	if r == nil {
		r = net.DefaultResolver
	}
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("%w: %q: %w", ErrUnresolvable, host, err)
	}
	if len(addrs) == 0 {
		return fmt.Errorf("%w: %q has no addresses", ErrUnresolvable, host)
	}
	for _, addr := range addrs {
		if err := p.CheckIP(addr); err != nil {
			if be, ok := errors.AsType[*BlockedError](err); ok {
				be.Host = host
			}
			return err
		}
	}
	return nil
}

// endpointHost validates rawURL and returns its host: an IP address literal
// (brackets and IPv6 zone as netip parses them) or a syntactically valid
// ASCII host name.
func endpointHost(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", invalidf("scheme %q, want http or https", u.Scheme)
	}
	if u.User != nil {
		return "", invalidf("userinfo (user:password@) is not allowed")
	}
	host := u.Hostname()
	if u.Opaque != "" || host == "" {
		return "", invalidf("no host")
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", invalidf("port %q out of range", port)
		}
	}
	if strings.HasPrefix(u.Host, "[") {
		// url.Parse checks this too; the guard must not depend on it.
		if ip, err := netip.ParseAddr(host); err != nil || !ip.Is6() {
			return "", invalidf("%q is not an IPv6 address", host)
		}
		return host, nil
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.Is4() {
		return host, nil
	}
	if err := checkHostname(host); err != nil {
		return "", err
	}
	return host, nil
}

// checkHostname accepts RFC 1123 host names (letters, digits, hyphens, and
// underscores as found in real DNS) whose last label is not numeric.
func checkHostname(host string) error {
	name := strings.TrimSuffix(host, ".")
	if len(name) == 0 || len(name) > 253 {
		return invalidf("host %q has a bad length", host)
	}
	labels := strings.Split(name, ".")
	for _, label := range labels {
		if len(label) == 0 || len(label) > 63 {
			return invalidf("host %q has an empty or over-long label", host)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			switch {
			case c >= 0x80:
				return invalidf("host %q is not ASCII; use its punycode (xn--) form", host)
			case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
			default:
				return invalidf("host %q contains %q", host, c)
			}
		}
	}
	// WHATWG URL's "ends in a number" rule: such a host is an IPv4 address
	// to browsers and inet_aton, in one of the spellings netip rejects.
	if isNumericLabel(labels[len(labels)-1]) {
		return invalidf("host %q is an IPv4 address in a non-canonical form", host)
	}
	return nil
}

// isNumericLabel reports whether label is decimal digits, or 0x followed by
// zero or more hex digits, as inet_aton reads it.
func isNumericLabel(label string) bool {
	digits := "0123456789"
	if len(label) >= 2 && label[0] == '0' && (label[1] == 'x' || label[1] == 'X') {
		label, digits = label[2:], "0123456789abcdefABCDEF"
		if label == "" {
			return true
		}
	}
	for i := 0; i < len(label); i++ {
		if !strings.ContainsRune(digits, rune(label[i])) {
			return false
		}
	}
	return label != ""
}

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidURL, fmt.Sprintf(format, args...))
}
