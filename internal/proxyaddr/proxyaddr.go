// Package proxyaddr recovers the client's address behind trusted reverse
// proxies, so per-IP rate limits and logs see customers, not the load
// balancer. Only X-Forwarded-For entries added by trusted proxies are
// believed: the client address is the right-most entry that is not a
// trusted proxy.
package proxyaddr

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Trusted is a set of proxy networks.
type Trusted []netip.Prefix

// Parse reads a comma-separated list of CIDRs or addresses, e.g.
// "10.0.0.0/8,192.168.1.10". An empty list trusts no proxy.
func Parse(spec string) (Trusted, error) {
	var out Trusted
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			a, err := netip.ParseAddr(part)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: %w", part, err)
			}
			part = netip.PrefixFrom(a, a.BitLen()).String()
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", part, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func (t Trusted) contains(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Handler sets r.RemoteAddr to the client's address when the request came
// through trusted proxies; otherwise the request passes unchanged.
func (t Trusted) Handler(next http.Handler) http.Handler {
	if len(t) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if client, ok := t.client(r); ok {
			r2 := r.Clone(r.Context())
			r2.RemoteAddr = net.JoinHostPort(client.String(), "0")
			r = r2
		}
		next.ServeHTTP(w, r)
	})
}

func (t Trusted) client(r *http.Request) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !t.contains(peer) {
		return netip.Addr{}, false
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return netip.Addr{}, false // a garbled chain: believe only the peer
		}
		if !t.contains(a) {
			return a.Unmap(), true
		}
	}
	return netip.Addr{}, false
}
