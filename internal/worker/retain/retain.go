package retain

import (
	"cmp"
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// Worker prunes what the operator does not keep.
type Worker struct {
	Service *gateway.Service
	// Attempts is how long webhook attempts are kept; 0 keeps them forever.
	Attempts time.Duration
	// Interval is the time between passes (default 1h); the first pass runs
	// at start.
	Interval time.Duration
	// Batch is the most rows one statement deletes (default
	// gateway.DefaultRetentionBatch).
	Batch  int
	Logger *slog.Logger
}

// Run works until ctx is done; it returns nil then. Store errors are logged
// and retried on the next pass.
func (w *Worker) Run(ctx context.Context) error {
	tick := time.NewTicker(cmp.Or(w.Interval, time.Hour))
	defer tick.Stop()
	for {
		w.Pass(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// Pass prunes everything due now, batch after batch, and returns how many
// rows of each kind it deleted.
func (w *Worker) Pass(ctx context.Context) (idempotency, attempts int) {
	log := cmp.Or(w.Logger, slog.New(slog.NewTextHandler(io.Discard, nil)))
	batch := cmp.Or(w.Batch, gateway.DefaultRetentionBatch)
	idempotency = drain(ctx, log, "purge idempotency keys", batch, func(n int) (int, error) {
		return w.Service.PurgeIdempotencyBatch(ctx, n)
	})
	if w.Attempts > 0 {
		attempts = drain(ctx, log, "prune webhook attempts", batch, func(n int) (int, error) {
			return w.Service.PruneDeliveryAttempts(ctx, w.Attempts, n)
		})
	}
	if idempotency > 0 || attempts > 0 {
		log.InfoContext(ctx, "retention pass", "idempotency_keys_deleted", idempotency, "webhook_attempts_deleted", attempts)
	}
	return idempotency, attempts
}

// drain runs del until a batch comes back short, ctx ends or it fails.
func drain(ctx context.Context, log *slog.Logger, what string, batch int, del func(int) (int, error)) int {
	total := 0
	for ctx.Err() == nil {
		n, err := del(batch)
		if err != nil {
			if ctx.Err() == nil {
				log.ErrorContext(ctx, what, "err", err)
			}
			return total
		}
		total += n
		if n < batch {
			return total
		}
	}
	return total
}
