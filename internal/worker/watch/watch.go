// Package watch settles payments: it turns wallet hints (payment hashes a
// wallet says were paid) into lookups and settlements. Hints come from each
// wallet's exact record of settlements: LND's settle_index stream (Streams),
// the test wallet's numbered payments (a gateway.SettlementFeed read from a
// cursor) and the test wallet's in-process channel. None of this costs
// anything per open invoice: one stream per connected wallet, one query per
// feed poll, however many sessions are pending.
//
// A reconciliation, which looks open invoices up one by one, runs only where
// a feed may have missed something: over every wallet at start (payments
// made while the gateway was down), over one wallet's sessions after its
// stream reconnects, and periodically only if the operator asks for it.
package watch

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

const (
	// feedBatch is how many settlements one feed query reads; feedBatches
	// caps the queries per poll, so a backlog is worked off over a few polls
	// without starving hints.
	feedBatch   = 100
	feedBatches = 10
	// feedAttempts is how many polls in a row a settlement may fail (its
	// session's wallet unreachable, say) before the feed moves past it with
	// an error logged; the next start's reconciliation picks it up.
	feedAttempts = 30
)

// Worker settles from hints and from a settlement feed, and reconciles.
type Worker struct {
	Service *gateway.Service
	// Hints are payment hashes to look up now; nil for none.
	Hints <-chan string
	// Feed, when set, is read every FeedEvery (default 1s) from where it
	// stood at start, and each settlement in it is looked up: the built-in
	// test wallet, whose payments by any process sharing the database are
	// seen this way.
	Feed      gateway.SettlementFeed
	FeedEvery time.Duration
	// ReconcileEvery, when positive, adds a periodic reconciliation, which
	// looks up every open invoice in its wallet; 0 (the default) runs it
	// only at start. The wallets' feeds are exact, so a periodic sweep is
	// only needed for a backend without one, and it costs one wallet lookup
	// per pending session per sweep.
	ReconcileEvery time.Duration
	Logger         *slog.Logger
}

// Run notes where the feed stands, reconciles once, then settles hints and
// feed entries as they come (and reconciles every ReconcileEvery, if set)
// until ctx is done; it returns nil then.
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
	// The cursor is taken before the reconciliation: whatever settles after
	// it is read from the feed, whatever settled before is found by the
	// reconciliation, so nothing falls between the two.
	f := &feed{w: w, log: log}
	f.start(ctx)
	reconcile()

	var sweep, poll <-chan time.Time
	if w.ReconcileEvery > 0 {
		t := time.NewTicker(w.ReconcileEvery)
		defer t.Stop()
		sweep = t.C
	}
	if w.Feed != nil {
		t := time.NewTicker(cmp.Or(w.FeedEvery, time.Second))
		defer t.Stop()
		poll = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-sweep:
			reconcile()
		case <-poll:
			if !f.started {
				if f.start(ctx) {
					reconcile() // the first one ran before the cursor was known
				}
				continue
			}
			f.read(ctx)
		case hash := <-w.Hints:
			w.settle(ctx, log, hash, "wallet hint")
		}
	}
}

// settle looks a hinted payment up and settles its session.
func (w *Worker) settle(ctx context.Context, log *slog.Logger, hash, source string) error {
	sess, err := w.Service.SettleByHash(ctx, hash)
	switch {
	case errors.Is(err, gateway.ErrNotFound):
		// Not a checkout's invoice (or the wallet does not know it).
		return nil
	case errors.Is(err, gateway.ErrUnderpaid):
		// Never completes the session; looking again changes nothing.
		log.WarnContext(ctx, "settle from "+source, "payment_hash", hash, "err", err)
		return nil
	case err != nil:
		if ctx.Err() == nil {
			log.WarnContext(ctx, "settle from "+source, "payment_hash", hash, "err", err)
		}
		return err
	case sess.Status == gateway.StatusCompleted:
		log.InfoContext(ctx, "checkout completed", "checkout_id", sess.ID, "payment_hash", hash)
	}
	return nil
}

// feed is the Worker's cursor in its SettlementFeed.
type feed struct {
	w       *Worker
	log     *slog.Logger
	started bool
	cursor  int64
	// failing counts the polls in a row the settlement after cursor failed.
	failing int
}

// start takes the feed's latest number as the cursor and reports whether it
// could; without a feed there is nothing to start.
func (f *feed) start(ctx context.Context) bool {
	if f.w.Feed == nil {
		return false
	}
	seq, err := f.w.Feed.LastSettlement(ctx)
	if err != nil {
		if ctx.Err() == nil {
			f.log.WarnContext(ctx, "settlement feed: read its position; trying again", "err", err)
		}
		return false
	}
	f.cursor, f.started = seq, true
	return true
}

// read settles what the feed has after the cursor, moving the cursor past
// each settlement once it is settled (or is not a checkout's). A failure
// leaves the cursor before it, for the next poll.
func (f *feed) read(ctx context.Context) {
	for range feedBatches {
		batch, err := f.w.Feed.SettlementsAfter(ctx, f.cursor, feedBatch)
		if err != nil {
			if ctx.Err() == nil {
				f.log.WarnContext(ctx, "settlement feed: read", "after", f.cursor, "err", err)
			}
			return
		}
		for _, st := range batch {
			if err := f.w.settle(ctx, f.log, st.PaymentHash, "settlement feed"); err != nil {
				if ctx.Err() != nil {
					return
				}
				if f.failing++; f.failing < feedAttempts {
					return
				}
				f.log.ErrorContext(ctx, "settlement feed: giving up on a settlement; the next start's reconciliation looks again",
					"payment_hash", st.PaymentHash, "attempts", f.failing, "err", err)
			}
			f.cursor, f.failing = st.Seq, 0
		}
		if len(batch) < feedBatch {
			return
		}
	}
}
