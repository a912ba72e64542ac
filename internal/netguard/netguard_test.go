package netguard

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// ipCases lists addresses with the class the strict Policy refuses them for
// ("" = allowed) and, for IPv6 forms carrying an IPv4 address, that address.
var ipCases = []struct {
	addr     string
	reason   Reason
	embedded string
}{
	// Public unicast: allowed.
	{addr: "8.8.8.8"},
	{addr: "1.1.1.1"},
	{addr: "93.184.216.34"},
	{addr: "2606:4700::1111"},
	{addr: "2001:4860:4860::8888"},
	{addr: "2a00:1450:4001:82b::200e"},
	// Range boundaries just outside refused blocks.
	{addr: "9.255.255.255"},
	{addr: "11.0.0.0"},
	{addr: "100.63.255.255"},
	{addr: "100.128.0.0"},
	{addr: "126.255.255.255"},
	{addr: "128.0.0.0"},
	{addr: "169.253.255.255"},
	{addr: "169.255.0.0"},
	{addr: "172.15.255.255"},
	{addr: "172.32.0.0"},
	{addr: "192.167.255.255"},
	{addr: "192.169.0.0"},
	{addr: "198.17.255.255"},
	{addr: "198.20.0.0"},
	{addr: "223.255.255.255"},
	{addr: "1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", reason: ReasonReserved},
	{addr: "2001:200::1"}, // first address after 2001::/23 (WIDE, JP)
	{addr: "3ffe::1"},
	{addr: "3fff:1000::1"}, // just past 3fff::/20

	// Loopback.
	{addr: "127.0.0.1", reason: ReasonLoopback},
	{addr: "127.0.1.1", reason: ReasonLoopback},
	{addr: "127.255.255.254", reason: ReasonLoopback},
	{addr: "::1", reason: ReasonLoopback},
	// Private.
	{addr: "10.0.0.1", reason: ReasonPrivate},
	{addr: "10.255.255.255", reason: ReasonPrivate},
	{addr: "172.16.0.1", reason: ReasonPrivate},
	{addr: "172.31.255.255", reason: ReasonPrivate},
	{addr: "192.168.0.1", reason: ReasonPrivate},
	{addr: "192.168.255.255", reason: ReasonPrivate},
	{addr: "fc00::1", reason: ReasonPrivate},
	{addr: "fd00:ec2::254", reason: ReasonPrivate}, // AWS IMDS over IPv6
	{addr: "fdff:ffff::1", reason: ReasonPrivate},
	// Link-local, cloud metadata included.
	{addr: "169.254.169.254", reason: ReasonLinkLocal},
	{addr: "169.254.0.1", reason: ReasonLinkLocal},
	{addr: "fe80::1", reason: ReasonLinkLocal},
	{addr: "fe80::1%eth0", reason: ReasonLinkLocal},
	{addr: "febf:ffff::1", reason: ReasonLinkLocal},
	{addr: "fec0::1", reason: ReasonSiteLocal},
	// Unspecified and "this network".
	{addr: "0.0.0.0", reason: ReasonUnspecified},
	{addr: "0.1.2.3", reason: ReasonThisNetwork},
	{addr: "0.255.255.255", reason: ReasonThisNetwork},
	{addr: "::", reason: ReasonUnspecified},
	// Multicast and broadcast.
	{addr: "224.0.0.1", reason: ReasonMulticast},
	{addr: "239.255.255.250", reason: ReasonMulticast},
	{addr: "ff02::1", reason: ReasonMulticast},
	{addr: "ff05::1:3", reason: ReasonMulticast},
	{addr: "255.255.255.255", reason: ReasonBroadcast},
	{addr: "240.0.0.1", reason: ReasonReserved},
	{addr: "255.255.255.254", reason: ReasonReserved},
	// CGNAT shared address space.
	{addr: "100.64.0.1", reason: ReasonSharedCGNAT},
	{addr: "100.100.100.200", reason: ReasonSharedCGNAT}, // Alibaba Cloud metadata
	{addr: "100.127.255.255", reason: ReasonSharedCGNAT},
	// Other special-purpose blocks.
	{addr: "192.0.0.1", reason: ReasonProtocol},
	{addr: "192.0.0.170", reason: ReasonProtocol},
	{addr: "192.0.2.1", reason: ReasonDocumentation},
	{addr: "198.51.100.7", reason: ReasonDocumentation},
	{addr: "203.0.113.9", reason: ReasonDocumentation},
	{addr: "192.88.99.1", reason: Reason6to4Relay},
	{addr: "198.18.0.1", reason: ReasonBenchmarking},
	{addr: "198.19.255.255", reason: ReasonBenchmarking},
	{addr: "100::1", reason: ReasonDiscardOnly},
	{addr: "2001:db8::1", reason: ReasonDocumentation},
	{addr: "3fff::1", reason: ReasonDocumentation},
	{addr: "2001:0:4136:e378:8000:63bf:3fff:fdd2", reason: ReasonTeredo},
	{addr: "2001:2::1", reason: ReasonBenchmarking},
	{addr: "2001:20::1", reason: ReasonProtocol}, // ORCHIDv2
	{addr: "2001:1ff:ffff::1", reason: ReasonProtocol},
	{addr: "4000::1", reason: ReasonReserved},
	{addr: "5f00::1", reason: ReasonReserved}, // SRv6 SIDs
	{addr: "::127.0.0.1", reason: ReasonReserved},
	{addr: "::ffff:0:7f00:1", reason: ReasonReserved}, // SIIT IPv4-translated
	{addr: "64:ff9b:1::a00:1", reason: ReasonNAT64Local},

	// IPv4-mapped IPv6: judged by the IPv4 address.
	{addr: "::ffff:127.0.0.1", reason: ReasonLoopback, embedded: "127.0.0.1"},
	{addr: "::ffff:7f00:1", reason: ReasonLoopback, embedded: "127.0.0.1"},
	{addr: "::ffff:10.0.0.1", reason: ReasonPrivate, embedded: "10.0.0.1"},
	{addr: "::ffff:169.254.169.254", reason: ReasonLinkLocal, embedded: "169.254.169.254"},
	{addr: "::ffff:0.0.0.0", reason: ReasonUnspecified, embedded: "0.0.0.0"},
	{addr: "::ffff:100.64.0.1", reason: ReasonSharedCGNAT, embedded: "100.64.0.1"},
	{addr: "::ffff:8.8.8.8"},
	// NAT64 well-known prefix.
	{addr: "64:ff9b::127.0.0.1", reason: ReasonLoopback, embedded: "127.0.0.1"},
	{addr: "64:ff9b::a00:1", reason: ReasonPrivate, embedded: "10.0.0.1"},
	{addr: "64:ff9b::a9fe:a9fe", reason: ReasonLinkLocal, embedded: "169.254.169.254"},
	{addr: "64:ff9b::192.168.1.1", reason: ReasonPrivate, embedded: "192.168.1.1"},
	{addr: "64:ff9b::8.8.8.8"},
	// 6to4.
	{addr: "2002:7f00:1::1", reason: ReasonLoopback, embedded: "127.0.0.1"},
	{addr: "2002:c0a8:101::1", reason: ReasonPrivate, embedded: "192.168.1.1"},
	{addr: "2002:a9fe:a9fe::", reason: ReasonLinkLocal, embedded: "169.254.169.254"},
	{addr: "2002:808:808::1"},
}

func TestCheckIP(t *testing.T) {
	policies := []struct {
		name   string
		policy Policy
		// refuses reports whether the policy refuses an address the strict
		// policy refuses for reason.
		refuses func(reason Reason) bool
	}{
		{"strict", Policy{}, func(r Reason) bool { return r != "" }},
		{"allow-loopback", Policy{AllowLoopback: true}, func(r Reason) bool { return r != "" && r != ReasonLoopback }},
		{"allow-private", Policy{AllowPrivate: true}, func(Reason) bool { return false }},
		{"allow-both", Policy{AllowPrivate: true, AllowLoopback: true}, func(Reason) bool { return false }},
	}
	for _, pc := range policies {
		for _, tc := range ipCases {
			t.Run(pc.name+"/"+tc.addr, func(t *testing.T) {
				ip := netip.MustParseAddr(tc.addr)
				err := pc.policy.CheckIP(ip)
				if !pc.refuses(tc.reason) {
					if err != nil {
						t.Fatalf("CheckIP(%s) = %v, want allowed", tc.addr, err)
					}
					return
				}
				if !errors.Is(err, ErrBlocked) {
					t.Fatalf("CheckIP(%s) = %v, want ErrBlocked (%s)", tc.addr, err, tc.reason)
				}
				be, ok := errors.AsType[*BlockedError](err)
				if !ok {
					t.Fatalf("CheckIP(%s) = %T, want *BlockedError", tc.addr, err)
				}
				if be.Reason != tc.reason {
					t.Errorf("Reason = %q, want %q", be.Reason, tc.reason)
				}
				if want := ip.WithZone(""); be.Addr != want {
					t.Errorf("Addr = %s, want %s", be.Addr, want)
				}
				var wantEmbedded netip.Addr
				if tc.embedded != "" {
					wantEmbedded = netip.MustParseAddr(tc.embedded)
				}
				if be.Embedded != wantEmbedded {
					t.Errorf("Embedded = %s, want %s", be.Embedded, wantEmbedded)
				}
				msg := err.Error()
				if !strings.Contains(msg, be.Addr.String()) || !strings.Contains(msg, string(tc.reason)) {
					t.Errorf("message %q does not name the address and the reason", msg)
				}
			})
		}
	}
}

// TestAllowLoopback spells out the brief: loopback only, nothing else.
func TestAllowLoopback(t *testing.T) {
	p := Policy{AllowLoopback: true}
	for _, s := range []string{"127.0.0.1", "::1", "::ffff:127.0.0.1"} {
		if err := p.CheckIP(netip.MustParseAddr(s)); err != nil {
			t.Errorf("AllowLoopback CheckIP(%s) = %v, want allowed", s, err)
		}
	}
	for _, s := range []string{"10.0.0.1", "169.254.169.254", "192.168.1.1", "fd00::1", "fe80::1", "0.0.0.0", "::"} {
		if err := p.CheckIP(netip.MustParseAddr(s)); !errors.Is(err, ErrBlocked) {
			t.Errorf("AllowLoopback CheckIP(%s) = %v, want ErrBlocked", s, err)
		}
	}
}

func TestCheckIPInvalid(t *testing.T) {
	for _, p := range []Policy{{}, {AllowLoopback: true}, {AllowPrivate: true}} {
		err := p.CheckIP(netip.Addr{})
		if be, ok := errors.AsType[*BlockedError](err); !ok || be.Reason != ReasonInvalid {
			t.Errorf("%+v: CheckIP(zero) = %v, want a BlockedError with reason %q", p, err, ReasonInvalid)
		}
	}
}

func TestBlockedErrorMessage(t *testing.T) {
	tests := []struct {
		err  *BlockedError
		want string
	}{
		{
			&BlockedError{Addr: netip.MustParseAddr("10.0.0.1"), Reason: ReasonPrivate},
			"netguard: 10.0.0.1 is refused: private address",
		},
		{
			&BlockedError{Host: "evil.example", Addr: netip.MustParseAddr("::ffff:127.0.0.1"),
				Embedded: netip.MustParseAddr("127.0.0.1"), Reason: ReasonLoopback},
			`netguard: "evil.example" resolves to ::ffff:127.0.0.1 (carrying 127.0.0.1), refused: loopback address`,
		},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
	if errors.Is(errors.New("other"), ErrBlocked) {
		t.Error("an unrelated error matches ErrBlocked")
	}
}
