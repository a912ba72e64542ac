package netguard

import "net/netip"

// block is one refused prefix and the class it belongs to.
type block struct {
	prefix netip.Prefix
	reason Reason
}

func refuse(cidr string, r Reason) block { return block{netip.MustParsePrefix(cidr), r} }

// v4Blocks are the refused IPv4 ranges, drawn from the IANA IPv4
// Special-Purpose Address Registry (RFC 6890 and its updates). The first
// match wins, so narrower entries come before the wider ones holding them.
// Special-purpose blocks left out are globally routed anycast services that
// no internal host answers on (AS112 192.31.196/24 and 192.175.48/24, AMT
// 192.52.193/24).
var v4Blocks = []block{
	refuse("0.0.0.0/32", ReasonUnspecified),    // connects to the local host on Linux
	refuse("0.0.0.0/8", ReasonThisNetwork),     // RFC 791: "this network"
	refuse("10.0.0.0/8", ReasonPrivate),        // RFC 1918
	refuse("100.64.0.0/10", ReasonSharedCGNAT), // RFC 6598: carrier-grade NAT, often an internal cloud network
	refuse("127.0.0.0/8", ReasonLoopback),      // RFC 1122
	refuse("169.254.0.0/16", ReasonLinkLocal),  // RFC 3927: includes cloud metadata 169.254.169.254
	refuse("172.16.0.0/12", ReasonPrivate),     // RFC 1918
	refuse("192.0.0.0/24", ReasonProtocol),     // RFC 6890: DS-Lite, NAT64 discovery (192.0.0.170/171), ...
	refuse("192.0.2.0/24", ReasonDocumentation),
	refuse("192.88.99.0/24", Reason6to4Relay),   // RFC 7526: deprecated, answered by the nearest relay
	refuse("192.168.0.0/16", ReasonPrivate),     // RFC 1918
	refuse("198.18.0.0/15", ReasonBenchmarking), // RFC 2544: also the "fake-IP" range of DNS proxies
	refuse("198.51.100.0/24", ReasonDocumentation),
	refuse("203.0.113.0/24", ReasonDocumentation),
	refuse("224.0.0.0/4", ReasonMulticast),
	refuse("255.255.255.255/32", ReasonBroadcast),
	refuse("240.0.0.0/4", ReasonReserved), // RFC 1112: "future use", never routed
}

// Prefixes whose IPv6 addresses carry an IPv4 address; such an address is
// judged by the IPv4 address it carries. IPv4-mapped (::ffff:0:0/96) is
// handled by netip's Unmap.
var (
	nat64WellKnown = netip.MustParsePrefix("64:ff9b::/96") // RFC 6052: IPv4 in the last 32 bits
	sixToFour      = netip.MustParsePrefix("2002::/16")    // RFC 3056: IPv4 in bits 16-47
	globalUnicast  = netip.MustParsePrefix("2000::/3")     // RFC 4291: the only IPv6 space routed publicly
)

// v6Outside are refused IPv6 ranges outside 2000::/3, listed for a precise
// Reason; the rest of the space outside 2000::/3 is ReasonReserved (this
// covers the deprecated IPv4-compatible ::/96 and the IETF's ::/8 reserve).
var v6Outside = []block{
	refuse("::/128", ReasonUnspecified),
	refuse("::1/128", ReasonLoopback),
	refuse("64:ff9b:1::/48", ReasonNAT64Local), // RFC 8215: a site's own translator, IPv4 in any position
	refuse("100::/64", ReasonDiscardOnly),      // RFC 6666
	refuse("fc00::/7", ReasonPrivate),          // RFC 4193 unique local; includes AWS metadata fd00:ec2::254
	refuse("fe80::/10", ReasonLinkLocal),       // RFC 4291
	refuse("fec0::/10", ReasonSiteLocal),       // RFC 3879: deprecated, still routed inside some sites
	refuse("ff00::/8", ReasonMulticast),
}

// v6Inside are refused ranges inside 2000::/3, from the IANA IPv6
// Special-Purpose Address Registry.
var v6Inside = []block{
	refuse("2001::/32", ReasonTeredo),         // RFC 4380: tunnels to an obfuscated IPv4 address
	refuse("2001:2::/48", ReasonBenchmarking), // RFC 5180
	refuse("2001::/23", ReasonProtocol),       // RFC 2928: ORCHID, AMT, AS112, anycast services
	refuse("2001:db8::/32", ReasonDocumentation),
	refuse("3fff::/20", ReasonDocumentation), // RFC 9637
}

// classify returns why ip is refused under the strict policy, or "" if it is
// allowed. For an address carrying an IPv4 address it also returns that
// IPv4 address, and the reason is the IPv4 address's.
func classify(ip netip.Addr) (embedded netip.Addr, reason Reason) {
	if ip.Is4In6() {
		v4 := ip.Unmap()
		return v4, classify4(v4)
	}
	if ip.Is4() {
		return netip.Addr{}, classify4(ip)
	}
	if nat64WellKnown.Contains(ip) {
		b := ip.As16()
		v4 := netip.AddrFrom4([4]byte(b[12:16]))
		return v4, classify4(v4)
	}
	if sixToFour.Contains(ip) {
		b := ip.As16()
		v4 := netip.AddrFrom4([4]byte(b[2:6]))
		return v4, classify4(v4)
	}
	if !globalUnicast.Contains(ip) {
		if r := match(v6Outside, ip); r != "" {
			return netip.Addr{}, r
		}
		return netip.Addr{}, ReasonReserved
	}
	return netip.Addr{}, match(v6Inside, ip)
}

func classify4(ip netip.Addr) Reason { return match(v4Blocks, ip) }

func match(blocks []block, ip netip.Addr) Reason {
	for _, b := range blocks {
		if b.prefix.Contains(ip) {
			return b.reason
		}
	}
	return ""
}
