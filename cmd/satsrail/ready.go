package main

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/metrics"
	"github.com/satsrail/satsrail/internal/rates"
)

// readiness builds /readyz's checks: the database answers and is migrated
// to this binary's latest version (or beyond it only by additive
// migrations, package schema), USD has a price, and every connected
// wallet's settlement stream is alive.
func readiness(store interface {
	SchemaVersion(ctx context.Context) (int, error)
	CheckSchema(ctx context.Context) error
	ListWalletConnections(ctx context.Context) ([]gateway.WalletConnection, error)
}, latest int, rates gateway.RateSource) func(ctx context.Context) map[string]error {
	return func(ctx context.Context) map[string]error {
		checks := map[string]error{}
		v, err := store.SchemaVersion(ctx)
		switch {
		case err != nil:
			checks["database"] = fmt.Errorf("unreachable")
		case v < latest:
			checks["database"] = fmt.Errorf("schema version %d, this binary needs %d: run satsrail migrate", v, latest)
		case v > latest:
			if store.CheckSchema(ctx) != nil {
				checks["database"] = fmt.Errorf("schema version %d is newer than this binary (%d) and not only additive: upgrade this node", v, latest)
			} else {
				checks["database"] = nil // the newer migrations are additive: serving beside the new release
			}
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
		// Held, not healthy: a merchant's node being down must not take
		// every gateway node out of the load balancer; its holder keeps the
		// lease while it retries, and /api/v1/wallet shows the health.
		now := time.Now()
		types := walletTypes()
		for _, c := range conns {
			if types[c.Type].streams && !c.StreamLeaseUntil.After(now) {
				checks["wallet_streams"] = fmt.Errorf("no node holds the settlement stream of %s", c.ID)
			}
		}
		return checks
	}
}

// defaultNodeID names this process when --node-id is not given (in
// metrics, logs and wallet stream leases): hostname and port, unique among
// the nodes of one deployment.
func defaultNodeID(ln net.Listener) string {
	host, _ := os.Hostname()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return cmp.Or(host, "localhost") + ":" + port
}

// priceAges reads the age of every price the rate source holds, for the
// satsrail_price_age_seconds gauge: each provider's latest quote per
// currency, and the median quotes use (absent while a currency has none).
func priceAges(src *rates.Source) func() []metrics.PriceAge {
	return func() []metrics.PriceAge {
		now := time.Now()
		var out []metrics.PriceAge
		var curs []string // the currencies some provider has quoted, in order
		for _, q := range src.Quotes() {
			out = append(out, metrics.PriceAge{Currency: q.Currency, Source: q.Provider, Age: now.Sub(q.FetchedAt)})
			if len(curs) == 0 || curs[len(curs)-1] != q.Currency {
				curs = append(curs, q.Currency)
			}
		}
		for _, cur := range curs {
			if r, err := src.Rate(context.Background(), cur); err == nil && r.Source == "median" {
				out = append(out, metrics.PriceAge{Currency: cur, Source: "median", Age: now.Sub(r.FetchedAt)})
			}
		}
		return out
	}
}
