package doctor_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/satsrail/satsrail/internal/doctor"
	"github.com/satsrail/satsrail/internal/postgres"
	"github.com/satsrail/satsrail/internal/sqlite"
	"github.com/satsrail/satsrail/internal/testdb"
)

// schemaDB is a migrated store of the run's engine, with a side connection
// that rewrites its schema_migrations as another release would have left it.
type schemaDB struct {
	store  doctor.Store
	engine string
	latest int
	oldest int
	// record adds migration version as applied (marked additive or not);
	// forget removes every applied migration from version on.
	record func(version int, additive bool)
	forget func(version int)
}

func openSchemaDB(t *testing.T) schemaDB {
	t.Helper()
	ctx := t.Context()
	exec := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	switch testdb.Engine() {
	case "sqlite":
		path := filepath.Join(t.TempDir(), "satsrail.db")
		st, err := sqlite.Open(ctx, sqlite.Config{Path: path})
		exec(err)
		t.Cleanup(func() { st.Close() })
		db, err := sql.Open("sqlite", path)
		exec(err)
		t.Cleanup(func() { db.Close() })
		return schemaDB{store: st, engine: "SQLite", latest: sqlite.LatestVersion(), oldest: sqlite.OldestSupportedVersion,
			record: func(v int, additive bool) {
				_, err := db.ExecContext(ctx, "INSERT INTO schema_migrations (version, applied_at, additive) VALUES (?, 0, ?)", v, additive)
				exec(err)
			},
			forget: func(v int) {
				_, err := db.ExecContext(ctx, "DELETE FROM schema_migrations WHERE version >= ?", v)
				exec(err)
			}}
	case "postgres":
		url := testdb.EmptyDatabase(t)
		st, err := postgres.Open(ctx, postgres.Config{URL: url})
		exec(err)
		t.Cleanup(func() { st.Close() }) // before the drop: cleanups run last first
		conn, err := pgx.Connect(ctx, url)
		exec(err)
		t.Cleanup(func() { conn.Close(context.Background()) })
		return schemaDB{store: st, engine: "PostgreSQL", latest: postgres.LatestVersion(), oldest: postgres.OldestSupportedVersion,
			record: func(v int, additive bool) {
				_, err := conn.Exec(ctx, "INSERT INTO schema_migrations (version, additive) VALUES ($1, $2)", v, additive)
				exec(err)
			},
			forget: func(v int) {
				_, err := conn.Exec(ctx, "DELETE FROM schema_migrations WHERE version >= $1", v)
				exec(err)
			}}
	default:
		t.Fatalf("SATSRAIL_TEST_STORE=%q", testdb.Engine())
		return schemaDB{}
	}
}

// TestDoctorSchemaPolicy: the database row follows the stores' upgrade
// policy (SATSRAIL_TEST_STORE picks the engine). At this binary's schema it
// is ok; ahead by additive migrations only it warns and the other checks
// still run; ahead by one that is not additive, behind, or too old to
// upgrade, it fails with what to do and the checks that need the database
// are skipped.
func TestDoctorSchemaPolicy(t *testing.T) {
	db := openSchemaDB(t)
	cfg := doctor.Config{Store: db.store, Latest: db.latest, Engine: db.engine}
	check := func(t *testing.T, want doctor.Status, inDetail ...string) {
		t.Helper()
		rows := doctor.Run(t.Context(), cfg)
		r := row(t, rows, "database")
		if r.Status != want {
			t.Errorf("database row %+v, want %s", r, want)
		}
		for _, s := range inDetail {
			if !strings.Contains(r.Detail, s) {
				t.Errorf("database row %q does not say %q", r.Detail, s)
			}
		}
		if w := row(t, rows, "webhooks"); (w.Status == doctor.Skip) != (want == doctor.Fail) {
			t.Errorf("webhooks row %+v with the database %s", w, want)
		}
		if want == doctor.Fail && !doctor.Failed(rows) {
			t.Error("a failed database row does not fail the run")
		}
	}
	next, after := db.latest+1, db.latest+2

	check(t, doctor.OK, "schema version "+strconv.Itoa(db.latest))

	db.record(next, true)
	t.Run("ahead, additive", func(t *testing.T) {
		check(t, doctor.Warn, "additive", strconv.Itoa(next), "can serve")
	})
	db.record(after, false)
	t.Run("ahead, not additive", func(t *testing.T) {
		check(t, doctor.Fail, "migration "+strconv.Itoa(after), "not additive", "upgrade this node")
	})
	db.forget(db.latest)
	t.Run("behind", func(t *testing.T) {
		check(t, doctor.Fail, "schema version "+strconv.Itoa(db.latest-1), "run satsrail migrate")
	})
	db.forget(db.oldest)
	t.Run("too old to upgrade", func(t *testing.T) {
		check(t, doctor.Fail, "schema version "+strconv.Itoa(db.oldest-1), "0.3.x", "satsrail migrate")
	})
}
