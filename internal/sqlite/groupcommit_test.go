package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
)

// TestGroupCommit: many concurrent writes share transactions; a write that
// fails leaves nothing of itself (not even the statements it ran before
// failing) while the writes batched with it commit; a write whose caller
// gave up before its batch ran does not happen; and statements cached per
// connection see every committed row.
func TestGroupCommit(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "satsrail.db"))
	ctx := context.Background()
	if _, err := s.writer.ExecContext(ctx, "CREATE TABLE gc (n INTEGER PRIMARY KEY, note TEXT)"); err != nil {
		t.Fatal(err)
	}
	errOdd := errors.New("odd")
	const n = 400
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = s.write(ctx, func(tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, "INSERT INTO gc VALUES (?, 'first')", i); err != nil {
					return err
				}
				if i%2 == 1 {
					return fmt.Errorf("write %d: %w", i, errOdd) // after its insert
				}
				_, err := tx.ExecContext(ctx, "UPDATE gc SET note = 'second' WHERE n = ?", i)
				return err
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if (i%2 == 1) != errors.Is(err, errOdd) || (i%2 == 0 && err != nil) {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	var count, seconds int
	if err := s.reader.QueryRowContext(ctx, "SELECT COUNT(*), SUM(note = 'second') FROM gc").Scan(&count, &seconds); err != nil {
		t.Fatal(err)
	}
	if count != n/2 || seconds != n/2 {
		t.Fatalf("%d rows (%d complete), want %d: a failed write left rows or a good one lost some", count, seconds, n/2)
	}
	if err := s.reader.QueryRowContext(ctx, "SELECT COUNT(*) FROM gc WHERE n % 2 = 1").Scan(&count); err != nil || count != 0 {
		t.Fatalf("rows of failed writes: %d %v", count, err)
	}

	// A write that panics fails alone; the writes batched with it, and the
	// ones after, go on.
	var pwg sync.WaitGroup
	perrs := make([]error, 20)
	for i := range perrs {
		pwg.Go(func() {
			perrs[i] = s.write(ctx, func(tx *sql.Tx) error {
				if i == 7 {
					panic("boom")
				}
				_, err := tx.ExecContext(ctx, "INSERT INTO gc VALUES (?, 'after')", 10000+i)
				return err
			})
		})
	}
	pwg.Wait()
	for i, err := range perrs {
		if (i == 7) != (err != nil) {
			t.Fatalf("write %d of the panicking batch: %v", i, err)
		}
	}
	if err := s.reader.QueryRowContext(ctx, "SELECT COUNT(*) FROM gc WHERE note = 'after'").Scan(&count); err != nil || count != 19 {
		t.Fatalf("%d rows written beside the panic, want 19 (%v)", count, err)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	ran := false
	if err := s.write(cancelled, func(*sql.Tx) error { ran = true; return nil }); !errors.Is(err, context.Canceled) || ran {
		t.Fatalf("write with a cancelled context: ran %v, err %v", ran, err)
	}
}

// TestGroupCommitRepeatable: repeatable writes run first in their batch
// without savepoints; when one fails the batch rolls back and runs again
// with a savepoint each. Either way a failed write leaves nothing of itself,
// the others commit, and a write that is not repeatable runs exactly once.
func TestGroupCommitRepeatable(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "satsrail.db"))
	ctx := context.Background()
	if _, err := s.writer.ExecContext(ctx, "CREATE TABLE gc (n INTEGER PRIMARY KEY, note TEXT)"); err != nil {
		t.Fatal(err)
	}
	errFail := errors.New("fail")
	const n = 600
	var wg sync.WaitGroup
	errs := make([]error, n)
	runs := make([]atomic.Int32, n)
	// i%3: 0 a repeatable write, 1 a repeatable write that fails after its
	// insert in every fifth case, 2 a plain write.
	fails := func(i int) bool { return i%3 == 1 && i%5 == 0 }
	for i := range n {
		wg.Go(func() {
			fn := func(tx *sql.Tx) error {
				runs[i].Add(1)
				if _, err := tx.ExecContext(ctx, "INSERT INTO gc VALUES (?, 'first')", i); err != nil {
					return err
				}
				if fails(i) {
					return fmt.Errorf("write %d: %w", i, errFail)
				}
				_, err := tx.ExecContext(ctx, "UPDATE gc SET note = 'second' WHERE n = ?", i)
				return err
			}
			if i%3 == 2 {
				errs[i] = s.write(ctx, fn)
			} else {
				errs[i] = s.writeRepeatable(ctx, fn)
			}
		})
	}
	wg.Wait()
	want, reran := 0, 0
	for i, err := range errs {
		if fails(i) != errors.Is(err, errFail) || (!fails(i) && err != nil) {
			t.Fatalf("write %d: %v", i, err)
		}
		if !fails(i) {
			want++
		}
		switch r := runs[i].Load(); {
		case i%3 == 2 && r != 1:
			t.Fatalf("plain write %d ran %d times", i, r)
		case r < 1 || r > 2:
			t.Fatalf("repeatable write %d ran %d times", i, r)
		case r == 2:
			reran++
		}
	}
	if reran == 0 {
		t.Fatal("no batch ran again: the failing writes never shared a batch")
	}
	var count, seconds int
	if err := s.reader.QueryRowContext(ctx, "SELECT COUNT(*), SUM(note = 'second') FROM gc").Scan(&count, &seconds); err != nil {
		t.Fatal(err)
	}
	if count != want || seconds != want {
		t.Fatalf("%d rows (%d complete), want %d: a failed write left rows or a good one lost some", count, seconds, want)
	}
}

// TestUnsyncedWrites: a batch of nothing but unsynced writes commits with
// synchronous=NORMAL (no fsync for the commit; checkpoints still synced),
// and any batch holding another write commits with FULL — each write sees
// the setting its batch commits with, from inside it.
func TestUnsyncedWrites(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "satsrail.db"))
	ctx := context.Background()
	if _, err := s.writer.ExecContext(ctx, "CREATE TABLE gc (n INTEGER PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	synchronous := func(tx *sql.Tx) (int, error) {
		var v int
		return v, tx.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&v)
	}
	const full, off = 2, 1 // off: NORMAL
	var alone int
	if err := s.writeUnsynced(ctx, func(tx *sql.Tx) (err error) { alone, err = synchronous(tx); return err }); err != nil || alone != off {
		t.Fatalf("an unsynced write alone committed with synchronous = %d (%v), want %d", alone, err, off)
	}
	const n = 300
	seen := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			fn := func(tx *sql.Tx) (err error) {
				if _, err := tx.ExecContext(ctx, "INSERT INTO gc VALUES (?)", i); err != nil {
					return err
				}
				seen[i], err = synchronous(tx)
				return err
			}
			var err error
			if i%3 == 0 {
				err = s.write(ctx, fn)
			} else {
				err = s.writeUnsynced(ctx, fn)
			}
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i, v := range seen {
		if i%3 == 0 && v != full {
			t.Fatalf("durable write %d committed with synchronous = %d", i, v)
		}
	}
	var after int
	if err := s.write(ctx, func(tx *sql.Tx) (err error) { after, err = synchronous(tx); return err }); err != nil || after != full {
		t.Fatalf("a durable write after unsynced ones: synchronous = %d (%v), want %d", after, err, full)
	}
}
