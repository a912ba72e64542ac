package netguard_test

import (
	"context"
	"fmt"
	"net"

	"github.com/satsrail/satsrail/internal/netguard"
)

// The gateway checks an endpoint when it is registered and sends every
// delivery through a guarded client.
func Example() {
	policy := netguard.Policy{} // live mode; test mode may set AllowLoopback
	ctx := context.Background()

	// Registration: an IP literal needs no lookup.
	err := policy.CheckURL(ctx, net.DefaultResolver, "http://169.254.169.254/latest/meta-data/")
	fmt.Println(err)

	// Delivery: the client refuses the connection itself, whatever DNS says then.
	client := netguard.NewClient(policy, 0)
	fmt.Println(client.Timeout)
	// Output:
	// netguard: 169.254.169.254 is refused: link-local address
	// 10s
}
