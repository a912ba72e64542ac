package sqlite

import (
	"context"
	"database/sql/driver"
	"strings"

	"modernc.org/sqlite"
)

// The gateway runs a small, fixed set of statements; parsing and planning
// them again on every call cost a quarter of the CPU of a checkout create.
// So each connection keeps its prepared statements: database/sql asks the
// connection to prepare every query it runs (the connection answers
// driver.ErrSkip to direct execution), and the connection hands back the
// statement it prepared before when it is free.

// stmtCacheSize bounds the statements one connection keeps.
const stmtCacheSize = 256

// connector opens modernc SQLite connections that cache their statements.
type connector struct {
	dsn string
	drv *sqlite.Driver
}

func (c connector) Connect(context.Context) (driver.Conn, error) {
	inner, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &cachingConn{inner: inner, stmts: map[string]*cachedStmt{}}, nil
}

func (c connector) Driver() driver.Driver { return c.drv }

// innerConn is what modernc's connection offers besides driver.Conn.
type innerConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// cachingConn is one connection with its statement cache. database/sql uses
// a connection from one goroutine at a time, so the map needs no lock.
type cachingConn struct {
	inner driver.Conn
	stmts map[string]*cachedStmt
}

func (c *cachingConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

// PrepareContext returns the cached statement of query when it is not in
// use (a query's rows still open on it), else prepares a new one, which is
// cached if there is room.
func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if s, ok := c.stmts[query]; ok && !s.busy {
		s.busy = true
		return s, nil
	}
	st, err := c.inner.(innerConn).PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s := &cachedStmt{inner: st, busy: true}
	if _, taken := c.stmts[query]; !taken && len(c.stmts) < stmtCacheSize {
		s.cached = true
		c.stmts[query] = s
	}
	return s, nil
}

// ExecContext runs scripts (several statements, as migrations are) directly;
// everything else goes through a prepared statement.
func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if len(args) == 0 && strings.Contains(query, ";") {
		return c.inner.(innerConn).ExecContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

func (c *cachingConn) Close() error {
	for q, s := range c.stmts {
		s.inner.Close()
		delete(c.stmts, q)
	}
	return c.inner.Close()
}

func (c *cachingConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.inner.(innerConn).BeginTx(ctx, opts)
}

func (c *cachingConn) Ping(ctx context.Context) error { return c.inner.(innerConn).Ping(ctx) }

func (c *cachingConn) ResetSession(ctx context.Context) error {
	return c.inner.(innerConn).ResetSession(ctx)
}

func (c *cachingConn) IsValid() bool { return c.inner.(innerConn).IsValid() }

// innerStmt is what modernc's statement offers besides driver.Stmt.
type innerStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// cachedStmt is a prepared statement; Close returns a cached one to its
// connection instead of finalizing it.
type cachedStmt struct {
	inner  driver.Stmt
	cached bool
	busy   bool
}

func (s *cachedStmt) Close() error {
	if s.cached {
		s.busy = false
		return nil
	}
	return s.inner.Close()
}

func (s *cachedStmt) NumInput() int { return s.inner.NumInput() }

func (s *cachedStmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.inner.Exec(args) //nolint:staticcheck // required by driver.Stmt
}

func (s *cachedStmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.inner.Query(args) //nolint:staticcheck // required by driver.Stmt
}

func (s *cachedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.inner.(innerStmt).ExecContext(ctx, args)
}

func (s *cachedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return s.inner.(innerStmt).QueryContext(ctx, args)
}
