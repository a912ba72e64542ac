// Package expire runs the background housekeeping of checkout sessions:
// pending sessions whose time is up become expired (with their
// checkout.expired event), and the API keys' "last used" times noted in
// memory are written out. (Idempotency-Keys past their TTL are deleted by
// the retention worker, package retain.)
package expire

import (
	"cmp"
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// Worker expires due sessions every Interval.
type Worker struct {
	Service  *gateway.Service
	Interval time.Duration // default 1s
	// KeyUsageEvery is how often API keys' "last used" times are written
	// (default gateway.KeyUsageResolution); they are written once more
	// when Run ends.
	KeyUsageEvery time.Duration
	Logger        *slog.Logger
}

// Run works until ctx is done; it returns nil then. Store errors are logged
// and retried on the next tick.
func (w *Worker) Run(ctx context.Context) error {
	log := cmp.Or(w.Logger, slog.New(slog.NewTextHandler(io.Discard, nil)))
	tick := time.NewTicker(cmp.Or(w.Interval, time.Second))
	defer tick.Stop()
	usageEvery := cmp.Or(w.KeyUsageEvery, gateway.KeyUsageResolution)
	lastUsage := time.Now()
	for {
		if n, err := w.Service.ExpireDue(ctx); err != nil && ctx.Err() == nil {
			log.ErrorContext(ctx, "expire due sessions", "err", err)
		} else if n > 0 {
			log.InfoContext(ctx, "expired checkout sessions", "count", n)
		}
		if time.Since(lastUsage) >= usageEvery {
			w.flushKeyUsage(ctx, log)
			lastUsage = time.Now()
		}
		select {
		case <-ctx.Done():
			// The last minute of key use, or it is lost with this process.
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			w.flushKeyUsage(final, log)
			cancel()
			return nil
		case <-tick.C:
		}
	}
}

func (w *Worker) flushKeyUsage(ctx context.Context, log *slog.Logger) {
	if n, err := w.Service.FlushKeyUsage(ctx); err != nil {
		log.ErrorContext(ctx, "write api key usage", "err", err) // retried with the next flush
	} else if n > 0 {
		log.DebugContext(ctx, "wrote api key usage", "keys", n)
	}
}
