package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/satsrail/satsrail/internal/gateway"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Config says where the database lives.
type Config struct {
	// Path is the database file; its directory must exist.
	Path string
}

// Store is the SQLite gateway.Store. It is safe for concurrent use.
type Store struct {
	writer *sql.DB // one connection; every write and read-modify-write
	reader *sql.DB // query-only pool for plain reads
}

var _ gateway.Store = (*Store)(nil)

// readerConns is the size of the read pool; WAL readers never block each other.
const readerConns = 4

// Open opens (creating if needed) the database at cfg.Path and applies any
// migrations it lacks.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	writer, err := openWriter(cfg.Path)
	if err != nil {
		return nil, err
	}
	if _, err := migrate(ctx, writer); err != nil {
		writer.Close()
		return nil, err
	}
	reader, err := sql.Open("sqlite", dsn(cfg.Path, "_pragma=query_only(1)"))
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", cfg.Path, err)
	}
	reader.SetMaxOpenConns(readerConns)
	reader.SetMaxIdleConns(readerConns)
	if err := reader.PingContext(ctx); err != nil {
		reader.Close()
		writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", cfg.Path, err)
	}
	return &Store{writer: writer, reader: reader}, nil
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
	db, err := sql.Open("sqlite", dsn(path, "_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	return db, nil
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

// write runs fn in an immediate transaction on the writer and commits it if
// fn returns nil.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // no-op after Commit
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
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
