// Package watch settles payments: it turns wallet hints (payment hashes a
// wallet says were paid) into lookups and settlements, and reconciles every
// open invoice at start and periodically, so no payment is missed when a
// hint is lost or the gateway was down.
package watch

import (
	"cmp"
	"context"
	"log/slog"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// Worker settles from hints and reconciles.
type Worker struct {
	Service *gateway.Service
	// Hints are payment hashes to look up now; nil for none.
	Hints <-chan string
	// ReconcileEvery is the safety-net sweep interval (default 30s).
	ReconcileEvery time.Duration
	Logger         *slog.Logger
}

// Run reconciles once, then settles hints as they come and reconciles every
// ReconcileEvery until ctx is done (it returns nil then).
func (w *Worker) Run(ctx context.Context) error {
	log := cmp.Or(w.Logger, slog.New(slog.DiscardHandler))
	reconcile := func() {
		n, err := w.Service.Reconcile(ctx)
		if err != nil && ctx.Err() == nil {
			log.WarnContext(ctx, "reconcile", "completed", n, "err", err)
		} else if n > 0 {
			log.InfoContext(ctx, "reconcile completed checkout sessions", "count", n)
		}
	}
	reconcile()
	tick := time.NewTicker(cmp.Or(w.ReconcileEvery, 30*time.Second))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			reconcile()
		case hash := <-w.Hints:
			sess, err := w.Service.SettleByHash(ctx, hash)
			switch {
			case err != nil && ctx.Err() == nil:
				log.WarnContext(ctx, "settle from wallet hint", "payment_hash", hash, "err", err)
			case err == nil && sess.Status == gateway.StatusCompleted:
				log.InfoContext(ctx, "checkout completed", "checkout_id", sess.ID, "payment_hash", hash)
			}
		}
	}
}
