package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/satsrail/satsrail/internal/gateway"
)

// Config says which database to use.
type Config struct {
	// URL is a PostgreSQL connection string, postgres://user@host/db?... or
	// key=value pairs; pgx's pool parameters (pool_max_conns, ...) work too.
	URL string
	// MaxConns caps the connection pool; 0 keeps the URL's or pgx's default
	// (the greater of 4 and the number of CPUs).
	MaxConns int

	// migrations replaces the embedded ones in tests: a binary that knows
	// fewer (an older release) or more.
	migrations []migration

	// NoMigrate opens the database as it is, for commands that only look
	// (satsrail doctor).
	NoMigrate bool
}

// DefaultMaxConns is the pool size when neither Config nor the URL sets one.
const DefaultMaxConns = 24

// Store is the PostgreSQL gateway.Store. It is safe for concurrent use, by
// any number of Stores in any number of processes on one database.
type Store struct {
	pool *pgxpool.Pool
	// lastAnalyze is when the delivery queue's statistics were last
	// refreshed by a slow claim (unix nanoseconds).
	lastAnalyze atomic.Int64

	latest int // the newest migration this binary knows

	// horizonWait, when set, replaces the const of that name (tests).
	horizonWait time.Duration
}

var _ gateway.Store = (*Store)(nil)

// Open connects to cfg.URL and applies any migrations the database lacks.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse database URL: %w", redactURLError(err))
	}
	switch {
	case cfg.MaxConns > 0:
		pc.MaxConns = int32(min(cfg.MaxConns, 1<<20))
	case !strings.Contains(cfg.URL, "pool_max_conns"):
		// pgx's default (4 on two cores) serialises the delivery workers'
		// commits behind each other: each waits for its own WAL flush.
		pc.MaxConns = DefaultMaxConns
	}
	if _, ok := pc.ConnConfig.RuntimeParams["application_name"]; !ok {
		pc.ConnConfig.RuntimeParams["application_name"] = "satsrail"
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect to %s: %w", describe(pc.ConnConfig), err)
	}
	all := cfg.migrations
	if all == nil {
		if all, err = loadMigrations(); err != nil {
			pool.Close()
			return nil, err
		}
	}
	if cfg.NoMigrate {
		return &Store{pool: pool, latest: all[len(all)-1].version}, nil
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	_, err = migrate(ctx, conn.Conn(), all)
	conn.Release()
	if err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{pool: pool, latest: all[len(all)-1].version}, nil
}

// Close closes the pool, waiting for connections in use to be returned.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// describe names the server and database of a connection, never its password.
func describe(c *pgx.ConnConfig) string {
	return fmt.Sprintf("%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
}

// redactURLError keeps a connection string parse error from echoing the
// string, which may hold a password: pgx masks the passwords it recognises
// only as a best effort, and the URL parser's error quotes the string whole.
func redactURLError(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return errors.New("the connection string does not parse (see https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING)")
	}
	return err
}

// querier is what *pgxpool.Pool and pgx.Tx share, so helpers run in or out
// of a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// rowScanner is what pgx.Row and pgx.Rows share.
type rowScanner interface {
	Scan(dest ...any) error
}

// txAttempts is how many times tx runs a transaction that keeps failing
// with a serialization failure or a deadlock.
const txAttempts = 5

// tx runs fn in a READ COMMITTED transaction and commits it if fn returns
// nil. A transaction the server aborted to resolve a conflict with another
// (serialization failure, deadlock) is run again from the start, fn
// included, a few times; so fn must do nothing but its database work and
// set its results afresh on each run.
func (s *Store) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, fn)
		if err == nil || attempt == txAttempts || !retryable(err) {
			return err
		}
		// Back off a little, with jitter, so the transactions that collided
		// do not collide again in lockstep.
		d := time.Duration(attempt) * time.Duration(5+rand.IntN(20)) * time.Millisecond
		select {
		case <-ctx.Done():
			return err
		case <-time.After(d):
		}
	}
}

// read runs fn in a read-only REPEATABLE READ transaction, so the queries in
// it (a page and its total count) see one snapshot.
func (s *Store) read(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}
