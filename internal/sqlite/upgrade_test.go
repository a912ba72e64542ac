package sqlite

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/schema"
)

// embedded is this binary's migrations; older(n) a binary that stops at n.
func embedded(t *testing.T) []migration {
	t.Helper()
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func older(t *testing.T, n int) []migration {
	return slices.DeleteFunc(embedded(t), func(m migration) bool { return m.version > n })
}

func openWith(t *testing.T, path string, ms []migration) (*Store, error) {
	t.Helper()
	s, err := Open(t.Context(), Config{Path: path, migrations: ms})
	if err == nil {
		t.Cleanup(func() { s.Close() })
	}
	return s, err
}

func TestMigrateToStopsAtVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "satsrail.db")
	applied, err := MigrateTo(t.Context(), path, OldestSupportedVersion)
	if err != nil {
		t.Fatal(err)
	}
	if want := allVersions(t)[:OldestSupportedVersion]; !slices.Equal(applied, want) {
		t.Errorf("MigrateTo applied %v, want %v", applied, want)
	}
	s := open(t, path) // this binary upgrades the oldest supported schema
	if v, err := s.SchemaVersion(t.Context()); err != nil || v != LatestVersion() {
		t.Errorf("SchemaVersion after Open = %d, %v; want %d", v, err, LatestVersion())
	}
}

func TestOpenRefusesSchemaOlderThanSupported(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "satsrail.db")
	if _, err := MigrateTo(ctx, path, OldestSupportedVersion-1); err != nil {
		t.Fatal(err)
	}
	_, err := Open(ctx, Config{Path: path})
	if !errors.Is(err, schema.ErrTooOld) {
		t.Fatalf("Open of a schema %d database = %v, want ErrTooOld", OldestSupportedVersion-1, err)
	}
	for _, s := range []string{"schema version 9", "satsrail migrate", "0.3.x"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
	if _, err := Migrate(ctx, path); !errors.Is(err, schema.ErrTooOld) {
		t.Errorf("Migrate = %v, want ErrTooOld", err)
	}
	// Refused untouched: nothing was applied.
	db, err := openWriter(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := schemaVersion(ctx, db); err != nil || v != OldestSupportedVersion-1 {
		t.Errorf("schema version after the refusals = %d, %v; want %d", v, err, OldestSupportedVersion-1)
	}
}

// TestRollingUpgrade is the rule of docs/OPERATIONS.md on one database: a
// node of the previous release (a binary whose migrations stop before this
// one's last, additive, migration) keeps opening and serving the database
// the new release migrated; a contract migration makes it refuse, at Open
// and in CheckSchema (its readiness) while it runs.
func TestRollingUpgrade(t *testing.T) {
	ctx := t.Context()
	all := embedded(t)
	last := all[len(all)-1]
	if !last.additive {
		t.Fatalf("the latest migration %s is not marked additive; this test assumes the previous release can serve beside it", last.name)
	}
	path := filepath.Join(t.TempDir(), "satsrail.db")
	prev := older(t, last.version-1)

	oldNode, err := openWith(t, path, prev)
	if err != nil {
		t.Fatal(err)
	}
	newNode, err := openWith(t, path, all) // applies the last migration
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := newNode.SchemaVersion(ctx); v != last.version {
		t.Fatalf("schema version %d after the new node's Open, want %d", v, last.version)
	}
	if err := oldNode.CheckSchema(ctx); err != nil {
		t.Errorf("old node's CheckSchema after an additive migration = %v, want nil", err)
	}
	restarted, err := openWith(t, path, prev)
	if err != nil {
		t.Fatalf("old node restarting on the migrated database: %v", err)
	}
	if ahead, err := restarted.SchemaAhead(ctx); err != nil || !slices.Equal(ahead, []int{last.version}) {
		t.Errorf("SchemaAhead = %v, %v; want [%d]", ahead, err, last.version)
	}
	// The old node still writes and reads, and the new one sees it.
	now := time.Now().UTC().Truncate(time.Microsecond)
	m := gateway.Merchant{ID: "mer_rolling", Name: "R", Email: "r@example.com", Status: "active", CreatedAt: now, UpdatedAt: now}
	if err := restarted.CreateMerchant(ctx, &m, nil); err != nil {
		t.Fatalf("old node's write: %v", err)
	}
	if _, err := newNode.GetMerchant(ctx, m.ID); err != nil {
		t.Fatalf("new node reading the old node's write: %v", err)
	}

	// A release with a contract migration: the old nodes refuse.
	contract := migration{version: last.version + 1, name: "contract.sql",
		sql: "-- drops what the old release reads\nALTER TABLE merchants DROP COLUMN rate_limit_per_minute;"}
	if _, err := openWith(t, path, append(slices.Clone(all), contract)); err != nil {
		t.Fatal(err)
	}
	if err := restarted.CheckSchema(ctx); !errors.Is(err, schema.ErrTooNew) {
		t.Errorf("old node's CheckSchema after a contract migration = %v, want ErrTooNew", err)
	}
	if _, err := openWith(t, path, prev); !errors.Is(err, schema.ErrTooNew) || !strings.Contains(err.Error(), "upgrade this node") {
		t.Errorf("old node's Open after a contract migration = %v, want ErrTooNew saying to upgrade", err)
	}
	if _, err := openWith(t, path, all); !errors.Is(err, schema.ErrTooNew) {
		t.Errorf("the previous new node's Open = %v, want ErrTooNew", err)
	}
}
