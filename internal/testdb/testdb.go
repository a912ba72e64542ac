// Package testdb gives tests a fresh gateway.Store on the engine the run
// asks for: SQLite in the test's temp dir by default, or, with
// SATSRAIL_TEST_STORE=postgres, a database of its own on a PostgreSQL server
// (SATSRAIL_TEST_DATABASE_URL, default the local one), dropped when the test
// ends. It is imported only by tests.
//
// A test that needs PostgreSQL and cannot reach it fails: it never skips.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/postgres"
	"github.com/satsrail/satsrail/internal/sqlite"
)

// DefaultServerURL is the maintenance database the PostgreSQL runs connect
// to (only to create and drop their own databases) unless
// SATSRAIL_TEST_DATABASE_URL names another.
const DefaultServerURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Engine is the store engine of this run: "sqlite" (the default) or
// "postgres" (SATSRAIL_TEST_STORE=postgres). Any other value of
// SATSRAIL_TEST_STORE is returned as is, and Open fails on it.
func Engine() string {
	switch e := os.Getenv("SATSRAIL_TEST_STORE"); e {
	case "", "sqlite":
		return "sqlite"
	default:
		return e
	}
}

// Open returns a fresh, migrated store for one test, closed (and, on
// PostgreSQL, dropped) when the test ends.
func Open(t testing.TB) gateway.Store {
	t.Helper()
	return OpenEngine(t, Engine())
}

// OpenEngine is Open on the given engine ("sqlite" or "postgres") whatever
// the run's: for tests that compare the two.
func OpenEngine(t testing.TB, engine string) gateway.Store {
	t.Helper()
	ctx := context.Background()
	switch e := engine; e {
	case "sqlite":
		st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "satsrail.db")})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	case "postgres":
		dbURL := newDatabase(t)
		st, err := postgres.Open(ctx, postgres.Config{URL: dbURL})
		if err != nil {
			t.Fatalf("testdb: %v", err)
		}
		t.Cleanup(func() { st.Close() }) // before the drop: cleanups run last first
		return st
	default:
		t.Fatalf("SATSRAIL_TEST_STORE=%q: want sqlite or postgres", e)
		return nil
	}
}

// EmptyDatabase creates an empty PostgreSQL database (no schema: whoever
// opens it migrates it) for one test, drops it when the test ends, and
// returns its connection string. It uses the PostgreSQL server whatever
// Engine is.
func EmptyDatabase(t testing.TB) string {
	t.Helper()
	return newDatabase(t)
}

func serverURL() string {
	if u := os.Getenv("SATSRAIL_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultServerURL
}

// newDatabase creates an empty database on the server and registers its
// drop, then returns its connection string.
func newDatabase(t testing.TB) string {
	t.Helper()
	conn := adminConn(t)
	defer conn.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name := "satsrail_test_" + randomHex()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("testdb: CREATE DATABASE %s: %v", name, err)
	}
	t.Cleanup(func() {
		conn := adminConn(t)
		defer conn.Close(context.Background())
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := drop(ctx, conn, name); err != nil {
			t.Errorf("testdb: %v", err)
		}
	})
	return withDatabase(t, serverURL(), name)
}

func drop(ctx context.Context, conn *pgx.Conn, name string) error {
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("DROP DATABASE %s: %w", name, err)
	}
	return nil
}

// adminConn connects to the maintenance database, or fails the test with a
// message that says how to provide a server.
func adminConn(t testing.TB) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(serverURL())
	if err != nil {
		t.Fatalf("SATSRAIL_TEST_DATABASE_URL does not parse (see https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("PostgreSQL at %s@%s:%d/%s is not reachable: %v\n"+
			"SATSRAIL_TEST_STORE=postgres needs a server: start one, or point SATSRAIL_TEST_DATABASE_URL at one "+
			"(a URL like %s whose user may create databases).", cfg.User, cfg.Host, cfg.Port, cfg.Database, err, DefaultServerURL)
	}
	return conn
}

// withDatabase returns connection string base naming database name instead.
func withDatabase(t testing.TB, base, name string) string {
	t.Helper()
	if !strings.HasPrefix(base, "postgres://") && !strings.HasPrefix(base, "postgresql://") {
		return base + " dbname=" + name // key=value form: the last dbname wins
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("SATSRAIL_TEST_DATABASE_URL is not a valid URL")
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String()
}

func randomHex() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}
