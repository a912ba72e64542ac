package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"sync"

	"github.com/satsrail/satsrail/internal/gateway"
)

// Config says where the database lives.
type Config struct {
	// Path is the database file; its directory must exist.
	Path string

	// migrations replaces the embedded ones in tests: a binary that knows
	// fewer (an older release) or more.
	migrations []migration

	// NoMigrate opens the database as it is, for commands that only look
	// (satsrail doctor).
	NoMigrate bool
}

// Store is the SQLite gateway.Store. It is safe for concurrent use.
type Store struct {
	path   string
	writer *sql.DB // one connection; every write and read-modify-write
	reader *sql.DB // query-only pool for plain reads

	mu      sync.Mutex  // guards the group commit's queue and leading
	queue   []*writeJob // writes waiting for the next batch
	leading bool        // a caller is running batches

	unsynced bool // the writer commits without fsync (synchronous=NORMAL); only the leader touches it

	latest int // the newest migration this binary knows
}

var _ gateway.Store = (*Store)(nil)

// readerConns is the size of the read pool; WAL readers never block each other.
const readerConns = 4

// Page caches (SQLite's default is 2 MiB a connection). The writer's holds
// the index pages a create touches — idempotency keys are chosen by clients,
// so their index entries land all over it, and a table of a million
// sessions has tens of MiB of index pages; the readers' hold the hot
// sessions and keys.
const (
	writerCache = "_pragma=cache_size(-65536)&_pragma=temp_store(MEMORY)" // 64 MiB; trigger scratch in memory
	readerCache = "_pragma=cache_size(-16384)"                            // 16 MiB each
)

// Open opens (creating if needed) the database at cfg.Path and applies any
// migrations it lacks.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	writer, err := openWriter(cfg.Path)
	if err != nil {
		return nil, err
	}
	all := cfg.migrations
	if all == nil {
		if all, err = loadMigrations(); err != nil {
			writer.Close()
			return nil, err
		}
	}
	if !cfg.NoMigrate {
		if _, err := migrate(ctx, writer, all); err != nil {
			writer.Close()
			return nil, err
		}
	}
	reader := openDB(dsn(cfg.Path, "_pragma=query_only(1)", readerCache))
	reader.SetMaxOpenConns(readerConns)
	reader.SetMaxIdleConns(readerConns)
	if err := reader.PingContext(ctx); err != nil {
		reader.Close()
		writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", cfg.Path, err)
	}
	return &Store{path: cfg.Path, writer: writer, reader: reader, latest: all[len(all)-1].version}, nil
}

// Close closes both connection pools.
func (s *Store) Close() error {
	return errors.Join(s.reader.Close(), s.writer.Close())
}

// openWriter opens the single-connection write handle.
func openWriter(path string) (*sql.DB, error) {
	if path == "" || strings.Contains(path, "?") {
		// "" would give every connection its own temporary database, and the
		// driver reads everything after a '?' as parameters.
		return nil, fmt.Errorf("sqlite: invalid database path %q", path)
	}
	db := openDB(dsn(path, "_txlock=immediate", writerCache))
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	return db, nil
}

// openDB is a pool of connections to dsn that keep their prepared
// statements (stmtcache.go).
func openDB(dsn string) *sql.DB {
	return sql.OpenDB(connector{dsn: dsn, drv: newDriver()})
}

// dsn builds a data source name for path with the pragmas every connection
// needs plus extra parameters. The path is passed as a plain file name, not a
// file: URI, so it needs no escaping.
func dsn(path string, extra ...string) string {
	q := []string{
		// busy_timeout covers other processes sharing the file; within this
		// one, the single writer connection already serialises writers.
		"_pragma=busy_timeout(10000)",
		"_pragma=journal_mode(WAL)",
		"_pragma=foreign_keys(ON)",
		// FULL: a commit is on disk before we answer, even in WAL mode.
		"_pragma=synchronous(FULL)",
	}
	return path + "?" + strings.Join(append(q, extra...), "&")
}

// querier is what *sql.DB and *sql.Tx share, so helpers run in or out of a
// transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// rowScanner is what *sql.Row and *sql.Rows share.
type rowScanner interface {
	Scan(dest ...any) error
}

// write runs fn in the writer's transaction and returns once fn's changes
// are durable (or fn failed, and nothing of it remains).
//
// Writes are group-committed: callers queue their fn; whoever finds no
// batch running leads one — it begins one immediate transaction, runs every
// queued fn in it, each inside its own savepoint, and commits once, so one
// fsync covers all of them. A fn that fails is rolled back to its savepoint
// alone; the others commit. Nobody is told "done" before the commit is on
// disk, so no acknowledged write can be lost. When the leader's batch is done
// it hands the lead to the oldest queued caller, so no caller waits for
// other callers' batches longer than for its own.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.enqueue(&writeJob{ctx: ctx, fn: fn})
}

// writeRepeatable is write for a fn that may run more than once, only its
// last run counting: it only runs statements in tx, with arguments fixed
// before the call, and changes nothing outside tx (a create whose row was
// built by the caller). Such writes run first in their batch without a
// savepoint each — two statements fewer a write on the path every create
// takes; if one fails, the batch is rolled back and runs again with a
// savepoint per write, so a failed write still leaves nothing of itself.
func (s *Store) writeRepeatable(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.enqueue(&writeJob{ctx: ctx, fn: fn, repeatable: true})
}

// writeCreate is writeRepeatable for a session create: alone it runs as its
// own fn; with other creates in a batch, all of them go in together
// (insertCreates). A create whose key is taken returns
// gateway.ErrIdempotencyKeyTaken, having written nothing.
func (s *Store) writeCreate(ctx context.Context, c *sessionCreate) error {
	fn := func(tx *sql.Tx) error {
		if err := insertCreates(ctx, tx, []*sessionCreate{c}); err != nil {
			return err
		}
		return c.takenErr()
	}
	return s.enqueue(&writeJob{ctx: ctx, fn: fn, repeatable: true, create: c})
}

// writeUnsynced is write for a fn whose effect need not survive a power
// failure, because whatever it did would be done again: a delivery claim,
// whose lease, if lost, leaves the delivery due (webhooks are at least once
// anyway). A batch of nothing but such writes commits without waiting for
// fsync (a later durable commit's fsync covers its log frames too); a batch
// with any other write is durable as always. A crash of the process alone
// loses nothing either way: the log is written before the commit returns.
func (s *Store) writeUnsynced(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.enqueue(&writeJob{ctx: ctx, fn: fn, unsynced: true})
}

// enqueue queues j for a batch, leads one if none is running, and returns
// j's outcome once it is final.
func (s *Store) enqueue(j *writeJob) error {
	if err := j.ctx.Err(); err != nil {
		return err
	}
	j.done, j.lead = make(chan struct{}), make(chan struct{}, 1)
	s.mu.Lock()
	s.queue = append(s.queue, j)
	if s.leading {
		s.mu.Unlock()
		select {
		case <-j.done:
			return j.err
		case <-j.lead: // the previous leader handed over; j is still queued
		}
		s.mu.Lock()
	}
	s.leading = true
	batch := s.queue
	s.queue = nil
	s.mu.Unlock()
	s.runBatch(batch)
	s.mu.Lock()
	if len(s.queue) > 0 {
		s.queue[0].lead <- struct{}{}
	} else {
		s.leading = false
	}
	s.mu.Unlock()
	return j.err
}

// writeJob is one caller's fn waiting for a batch.
type writeJob struct {
	ctx        context.Context
	fn         func(tx *sql.Tx) error
	repeatable bool           // fn may run again after a rollback (writeRepeatable)
	unsynced   bool           // fn's commit need not be on disk (writeUnsynced)
	create     *sessionCreate // fn's create, to run with the batch's others (writeCreate)
	err        error
	done       chan struct{} // closed when err is final
	lead       chan struct{} // receives when this caller is to run the next batch
}

// run calls the job's fn. A panic in it becomes the job's error: it runs on
// the leader's goroutine, and must neither take that caller down nor leave
// the others of the batch waiting forever.
func (j *writeJob) run(tx *sql.Tx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("sqlite: write panicked: %v\n%s", v, debug.Stack())
		}
	}()
	return j.fn(tx)
}

// maxBatch bounds one transaction, so a long queue still commits in steps.
const maxBatch = 256

// runBatch runs jobs in transactions of at most maxBatch and finishes each.
func (s *Store) runBatch(jobs []*writeJob) {
	for len(jobs) > 0 {
		n := min(len(jobs), maxBatch)
		s.commitBatch(jobs[:n])
		for _, j := range jobs[:n] {
			close(j.done)
		}
		jobs = jobs[n:]
	}
}

// commitBatch runs jobs in one transaction and sets each one's err.
func (s *Store) commitBatch(jobs []*writeJob) {
	durable := slices.ContainsFunc(jobs, func(j *writeJob) bool { return !j.unsynced })
	if err := s.setSynced(durable); err != nil {
		setErr(jobs, err)
		return
	}
	if len(jobs) > 1 && s.commitRepeatableFirst(jobs) {
		return
	}
	for _, j := range jobs {
		j.err = nil // a failed first try leaves errors behind
	}
	s.commitEach(jobs)
}

// setSynced makes the writer's next commits wait for fsync (synchronous=FULL)
// or not (NORMAL). In WAL mode NORMAL skips only the commit's fsync: a
// checkpoint still syncs the log before copying it and the database after,
// which OFF would skip too — and a checkpoint the writer runs itself (when
// Run is not running) could then let a later commit overwrite log frames the
// database file does not durably hold yet. A failure to set FULL fails the
// batch: durable writes never commit unsynced. (A connection the pool opens
// anew starts at FULL, so the state can only be safer than s.unsynced says.)
func (s *Store) setSynced(durable bool) error {
	if s.unsynced == !durable {
		return nil // already so
	}
	mode := "FULL"
	if !durable {
		mode = "NORMAL"
	}
	if _, err := s.writer.ExecContext(context.Background(), "PRAGMA synchronous = "+mode); err != nil {
		return fmt.Errorf("sqlite: set synchronous = %s: %w", mode, err)
	}
	s.unsynced = !durable
	return nil
}

// commitRepeatableFirst moves the repeatable jobs to the front of jobs and
// runs them without savepoints — the session creates among them together
// (insertCreates) — then the others each in its own, and commits. It
// returns false, having rolled everything back, if there was no repeatable
// job or one of them failed: commitEach must run the batch. A create whose
// key is taken has written nothing and does not fail the batch.
func (s *Store) commitRepeatableFirst(jobs []*writeJob) bool {
	// Order within a batch is free: its callers are concurrent.
	n := 0
	for i, j := range jobs {
		if j.repeatable {
			jobs[n], jobs[i] = jobs[i], jobs[n]
			n++
		}
	}
	if n == 0 {
		return false
	}
	ctx := context.Background()
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return false
	}
	defer tx.Rollback() // no-op after Commit
	var creates []*writeJob
	for _, j := range jobs[:n] {
		switch j.err = j.ctx.Err(); {
		case j.err != nil:
		case j.create != nil:
			creates = append(creates, j)
		default:
			if j.err = j.run(tx); j.err != nil {
				return false
			}
		}
	}
	if len(creates) > 0 {
		cs := make([]*sessionCreate, len(creates))
		for i, j := range creates {
			cs[i] = j.create
		}
		if err := insertCreates(ctx, tx, cs); err != nil {
			return false
		}
		for _, j := range creates {
			j.err = j.create.takenErr()
		}
	}
	commitAfter(tx, jobs, jobs[n:])
	return true
}

// commitEach runs jobs in one transaction, each in its own savepoint (none
// for a job alone: its failure rolls the whole back), and commits.
func (s *Store) commitEach(jobs []*writeJob) {
	// Not a caller's ctx: one caller giving up must not end the others'
	// transaction.
	ctx := context.Background()
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		setErr(jobs, err)
		return
	}
	defer tx.Rollback() // no-op after Commit
	if len(jobs) == 1 {
		j := jobs[0]
		if j.err = j.run(tx); j.err == nil {
			j.err = tx.Commit()
		}
		return
	}
	commitAfter(tx, jobs, jobs)
}

// commitAfter runs rest, each in its own savepoint, and commits tx; if
// either fails, every job of batch that has not failed on its own fails.
func commitAfter(tx *sql.Tx, batch, rest []*writeJob) {
	err := runEach(tx, rest)
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		setErr(batch, err)
	}
}

// runEach runs each job in its own savepoint of tx: a job that fails is
// rolled back alone. An error is the transaction's, failing the batch.
func runEach(tx *sql.Tx, jobs []*writeJob) error {
	ctx := context.Background()
	for _, j := range jobs {
		if j.err = j.ctx.Err(); j.err != nil {
			continue
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT job"); err != nil {
			return err
		}
		if j.err = j.run(tx); j.err != nil {
			// If SQLite already rolled the whole transaction back (an
			// interrupted statement does), the savepoint is gone: fail the
			// batch rather than run the rest outside a transaction.
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO job"); err != nil {
				return fmt.Errorf("sqlite: batch lost its transaction: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, "RELEASE job"); err != nil {
			return err
		}
	}
	return nil
}

// setErr fails every job of a batch that has not failed on its own.
func setErr(jobs []*writeJob, err error) {
	for _, j := range jobs {
		if j.err == nil {
			j.err = err
		}
	}
}

// read runs fn in a read transaction, so the queries in it (a page and its
// total count) see one snapshot.
func (s *Store) read(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}
