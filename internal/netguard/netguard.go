package netguard

import (
	"errors"
	"fmt"
	"net/netip"
)

// ErrBlocked is matched by errors.Is for every *BlockedError: the address is
// one a webhook delivery must not reach under the Policy in force.
var ErrBlocked = errors.New("netguard: address blocked")

// ErrInvalidURL is wrapped by CheckURL when the endpoint URL itself is
// unacceptable: not http or https, no host, userinfo, a bad port, or a host
// that is an IP address in anything but its canonical dotted or bracketed
// form.
var ErrInvalidURL = errors.New("netguard: invalid webhook URL")

// ErrUnresolvable is wrapped by CheckURL when the host does not resolve, or
// resolves to no addresses. Unlike ErrBlocked, it may be temporary.
var ErrUnresolvable = errors.New("netguard: host does not resolve")

// Reason names the class of a refused address.
type Reason string

// The classes CheckIP refuses. ranges.go maps each block to one of them.
const (
	ReasonInvalid       Reason = "invalid"                   // the zero netip.Addr
	ReasonUnspecified   Reason = "unspecified"               // 0.0.0.0, ::
	ReasonThisNetwork   Reason = "this-network"              // 0.0.0.0/8
	ReasonLoopback      Reason = "loopback"                  // 127/8, ::1
	ReasonPrivate       Reason = "private"                   // RFC 1918, fc00::/7
	ReasonLinkLocal     Reason = "link-local"                // 169.254/16, fe80::/10
	ReasonSiteLocal     Reason = "site-local"                // fec0::/10 (deprecated, still routed internally)
	ReasonSharedCGNAT   Reason = "shared-address-space"      // 100.64/10, carrier-grade NAT
	ReasonMulticast     Reason = "multicast"                 // 224/4, ff00::/8
	ReasonBroadcast     Reason = "broadcast"                 // 255.255.255.255
	ReasonReserved      Reason = "reserved"                  // 240/4, IPv6 outside 2000::/3
	ReasonDocumentation Reason = "documentation"             // TEST-NET-1/2/3, 2001:db8::/32, 3fff::/20
	ReasonBenchmarking  Reason = "benchmarking"              // 198.18/15, 2001:2::/48
	ReasonProtocol      Reason = "ietf-protocol-assignments" // 192.0.0/24, 2001::/23
	ReasonTeredo        Reason = "teredo"                    // 2001::/32
	Reason6to4Relay     Reason = "6to4-relay-anycast"        // 192.88.99/24
	ReasonDiscardOnly   Reason = "discard-only"              // 100::/64
	ReasonNAT64Local    Reason = "nat64-local-use"           // 64:ff9b:1::/48
)

// BlockedError reports an address that a Policy refuses.
type BlockedError struct {
	// Host is the name that resolved to Addr; empty when an address was
	// checked directly or the URL held an IP literal.
	Host string
	// Addr is the refused address as it was given (IPv6 zone removed).
	Addr netip.Addr
	// Embedded is the IPv4 address Addr carries when Addr is IPv4-mapped,
	// NAT64 (64:ff9b::/96) or 6to4 (2002::/16); Reason then classifies
	// Embedded. Otherwise it is the zero Addr.
	Embedded netip.Addr
	// Reason is the class that got the address refused.
	Reason Reason
}

func (e *BlockedError) Error() string {
	addr := e.Addr.String()
	if e.Embedded.IsValid() {
		addr = fmt.Sprintf("%s (carrying %s)", e.Addr, e.Embedded)
	}
	if e.Host != "" {
		return fmt.Sprintf("netguard: %q resolves to %s, refused: %s address", e.Host, addr, e.Reason)
	}
	return fmt.Sprintf("netguard: %s is refused: %s address", addr, e.Reason)
}

// Is makes errors.Is(err, ErrBlocked) true for any *BlockedError.
func (e *BlockedError) Is(target error) bool { return target == ErrBlocked }

// Policy says which addresses outgoing webhook deliveries may reach. The zero
// Policy is the strict one live-mode endpoints use: only globally routable
// unicast addresses.
type Policy struct {
	// AllowPrivate lifts every restriction (--allow-private-webhooks), for a
	// gateway and its receivers on one development network.
	AllowPrivate bool
	// AllowLoopback lets loopback addresses (127/8, ::1, and IPv6 forms
	// carrying a 127/8 address) through, so test-mode endpoints may point at
	// the developer's own machine; private, link-local and every other
	// refused class stay refused.
	AllowLoopback bool
}

// CheckIP returns nil if a delivery may connect to ip, and a *BlockedError
// naming the address and its class otherwise. IPv4-mapped, NAT64 and 6to4
// addresses are judged by the IPv4 address they carry; an IPv6 zone is
// ignored. The zero Addr is always refused.
func (p Policy) CheckIP(ip netip.Addr) error {
	if !ip.IsValid() {
		return &BlockedError{Addr: ip, Reason: ReasonInvalid}
	}
	if p.AllowPrivate {
		return nil
	}
	ip = ip.WithZone("")
	embedded, reason := classify(ip)
	if reason == "" || (reason == ReasonLoopback && p.AllowLoopback) {
		return nil
	}
	return &BlockedError{Addr: ip, Embedded: embedded, Reason: reason}
}
