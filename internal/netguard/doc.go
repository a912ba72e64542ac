// Package netguard keeps outgoing webhook deliveries away from the gateway's
// own network: a merchant who registers an endpoint URL must not be able to
// make the gateway talk to its loopback interface, the private network it
// runs in, or a cloud metadata service (server-side request forgery).
//
// The guard runs twice. At registration, Policy.CheckURL validates the URL
// and resolves its host; every address it resolves to must pass
// Policy.CheckIP. At delivery, the client from NewClient dials through
// Policy.DialContext, whose socket Control hook checks the address actually
// being connected to, after resolution, so a host whose DNS answer changes
// between registration and delivery (DNS rebinding) is still refused. The
// registration check gives the merchant an early, readable error; only the
// dial-time check is a security boundary.
//
// CheckIP refuses (see the tables in ranges.go for the full list and the
// reasons):
//
//   - IPv4: 0.0.0.0/8 (this network, with 0.0.0.0 itself unspecified),
//     10/8, 172.16/12, 192.168/16 (private), 100.64/10 (CGNAT shared
//     space), 127/8 (loopback), 169.254/16 (link-local, including the cloud
//     metadata address 169.254.169.254), 192.0.0/24 (IETF protocol
//     assignments), 192.0.2/24, 198.51.100/24, 203.0.113/24 (documentation),
//     192.88.99/24 (6to4 relay anycast), 198.18/15 (benchmarking, also used
//     by "fake-IP" DNS proxies), 224/4 (multicast), 240/4 (reserved) and
//     255.255.255.255 (broadcast);
//   - IPv6: everything outside 2000::/3, the global unicast space (::,
//     ::1, fc00::/7, fe80::/10, fec0::/10, ff00::/8, 100::/64,
//     64:ff9b:1::/48 and the rest of the unassigned space), and inside it
//     2001::/23 (IETF protocol assignments, including Teredo 2001::/32 and
//     benchmarking 2001:2::/48), 2001:db8::/32 and 3fff::/20
//     (documentation);
//   - IPv4 addresses embedded in IPv6: IPv4-mapped ::ffff:0:0/96, the NAT64
//     well-known prefix 64:ff9b::/96 and 6to4 2002::/16 are judged by the
//     IPv4 address they carry.
//
// Policy.AllowLoopback lifts only the loopback class (test-mode endpoints on
// the developer's machine); Policy.AllowPrivate lifts everything
// (--allow-private-webhooks, for development).
//
// It uses only the standard library.
package netguard
