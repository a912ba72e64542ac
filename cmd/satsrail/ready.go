package main

import (
	"context"
	"fmt"
	"net"
	"os"

	"github.com/satsrail/satsrail/internal/gateway"
)

// readiness builds /readyz's checks: the database answers and is migrated
// to this binary's latest version, USD has a price, and every connected
// wallet's settlement stream is alive.
func readiness(store interface {
	SchemaVersion(ctx context.Context) (int, error)
	ListWalletConnections(ctx context.Context) ([]gateway.WalletConnection, error)
}, latest int, rates gateway.RateSource) func(ctx context.Context) map[string]error {
	return func(ctx context.Context) map[string]error {
		checks := map[string]error{}
		v, err := store.SchemaVersion(ctx)
		switch {
		case err != nil:
			checks["database"] = fmt.Errorf("unreachable")
		case v != latest:
			checks["database"] = fmt.Errorf("schema version %d, this binary needs %d: run satsrail migrate", v, latest)
		default:
			checks["database"] = nil
		}
		if _, err := rates.Rate(ctx, "usd"); err != nil {
			checks["price"] = fmt.Errorf("no fresh BTC/USD price")
		} else {
			checks["price"] = nil
		}
		conns, err := store.ListWalletConnections(ctx)
		checks["wallet_streams"] = nil
		if err != nil {
			checks["wallet_streams"] = fmt.Errorf("cannot list wallets")
		}
		for _, c := range conns {
			if c.Type == "lnd" && !c.StreamAlive {
				checks["wallet_streams"] = fmt.Errorf("settlement stream of %s is down", c.ID)
			}
		}
		return checks
	}
}

// streamNode names this process in wallet stream leases: host and port,
// unique among the nodes of one deployment.
func streamNode(ln net.Listener) string {
	host, _ := os.Hostname()
	return host + "/" + ln.Addr().String()
}
