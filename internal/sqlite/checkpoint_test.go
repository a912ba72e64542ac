package sqlite

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBackgroundCheckpoint: while Run runs, the writer does not checkpoint
// (its threshold is 0) and the background checkpoints copy the log back into
// the database; when Run stops, the writer's threshold is SQLite's default
// again.
func TestBackgroundCheckpoint(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "satsrail.db"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, CheckpointConfig{Every: 20 * time.Millisecond}) }()
	threshold := func() int {
		var n int
		if err := s.write(context.Background(), func(tx *sql.Tx) error {
			return tx.QueryRowContext(context.Background(), "PRAGMA wal_autocheckpoint").Scan(&n)
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	deadline := time.Now().Add(10 * time.Second)
	for threshold() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the writer still checkpoints while Run runs")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := s.writer.ExecContext(ctx, "CREATE TABLE cp (b BLOB)"); err != nil {
		t.Fatal(err)
	}
	// ~3,000 pages of log: past the default threshold.
	blob := []byte(strings.Repeat("x", 4000))
	for range 3000 {
		if err := s.write(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO cp VALUES (?)", blob)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	// The background checkpoints catch up: only a checkpoint moves pages
	// from the log into the database file, so the file grows to hold them.
	var n int
	if err := s.reader.QueryRowContext(ctx, "SELECT COUNT(*) FROM cp").Scan(&n); err != nil || n != 3000 {
		t.Fatalf("%d rows, %v", n, err)
	}
	for {
		fi, err := os.Stat(s.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() >= 3000*4000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the database file holds %d bytes: the log was not checkpointed", fi.Size())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := threshold(); n != defaultAutoCheckpoint {
		t.Fatalf("after Run the writer's threshold is %d, want %d", n, defaultAutoCheckpoint)
	}
}
