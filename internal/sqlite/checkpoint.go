package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"strconv"
	"time"
)

// SQLite in WAL mode copies the log back into the database file — a
// checkpoint — by default inside the commit that takes the log past 1,000
// pages. Under group commit that commit answers a whole batch, so every
// caller in it would wait for the copy and its fsync: the tail of the write
// latency. Run moves checkpoints off the write path: while it runs, the
// writer never checkpoints, and a separate connection checkpoints in the
// background without blocking writers (PASSIVE), so the log stays short.

// CheckpointConfig tunes Run.
type CheckpointConfig struct {
	// Every is the time between background checkpoints (default
	// DefaultCheckpointEvery).
	Every time.Duration
}

// DefaultCheckpointEvery is short because a checkpoint ends with an fsync of
// the database file, and the commits that wait for their own fsync while it
// runs wait for its data too: the less a checkpoint copies, the shorter that
// stall. Paced at half its maximum rate on a 100k-session table, the create's
// p99 was 13–37 ms (median 18) with a checkpoint a second, 10–21 ms (median
// 13) every 250 ms, 44–82 ms every 10 s; the full-load rate was the same at
// 1 s and 250 ms (docs/PERFORMANCE.md, change 14). An idle checkpoint finds
// nothing to copy and returns.
const DefaultCheckpointEvery = 250 * time.Millisecond

// Run checkpoints the write-ahead log in the background until ctx is done;
// then it hands checkpointing back to the writer and returns nil.
func (s *Store) Run(ctx context.Context, cfg CheckpointConfig) error {
	cp := openDB(dsn(s.path))
	defer cp.Close()
	cp.SetMaxOpenConns(1)
	if err := s.setAutoCheckpoint(ctx, 0); err != nil {
		return err
	}
	defer s.setAutoCheckpoint(context.WithoutCancel(ctx), defaultAutoCheckpoint)
	t := time.NewTicker(cmp.Or(cfg.Every, DefaultCheckpointEvery))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		// PASSIVE copies what it can without waiting for readers or the
		// writer; an error (a busy database) is retried on the next tick.
		cp.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
	}
}

// defaultAutoCheckpoint is SQLite's own threshold, in log pages.
const defaultAutoCheckpoint = 1000

// setAutoCheckpoint sets the writer's checkpoint threshold (0: never).
func (s *Store) setAutoCheckpoint(ctx context.Context, pages int) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "PRAGMA wal_autocheckpoint = "+strconv.Itoa(pages))
		return err
	})
}
