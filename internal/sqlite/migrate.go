package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/satsrail/satsrail/internal/schema"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// A migration is one numbered file: migrations/0001_init.sql is version 1.
type migration struct {
	version  int
	name     string
	sql      string
	additive bool // marked "-- compat: additive" (package schema)
}

// OldestSupportedVersion is the oldest schema this binary upgrades: the one
// satsrail 0.1.0 wrote (migrations 0001–0010). A database whose newest
// migration is older is refused (schema.Policy.Check).
const OldestSupportedVersion = 10

// Migrate applies every embedded migration that the database at path lacks,
// each in its own transaction, and returns the versions it applied, oldest
// first. Running it again applies nothing. Open migrates too; Migrate is for
// the `satsrail migrate` command.
func Migrate(ctx context.Context, path string) (applied []int, err error) {
	return MigrateTo(ctx, path, 0)
}

// MigrateTo is Migrate stopping after migration version (0: the latest). It
// makes databases of an older release's schema, for the upgrade tests'
// fixtures; a binary serving on such a database would migrate it further.
func MigrateTo(ctx context.Context, path string, version int) (applied []int, err error) {
	db, err := openWriter(path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	all, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	if version > 0 {
		all = slices.DeleteFunc(all, func(m migration) bool { return m.version > version })
	}
	return migrate(ctx, db, all)
}

// CheckSchema applies the upgrade policy (package schema) to the database
// as it is now: nil while this binary may serve on it. A node calls it for
// readiness, since another node may have migrated the database since Open.
func (s *Store) CheckSchema(ctx context.Context) error {
	applied, err := appliedMigrations(ctx, s.reader)
	if err != nil {
		return fmt.Errorf("sqlite: schema version: %w", err)
	}
	return policy(s.latest).Check(applied)
}

// SchemaAhead returns the applied migrations newer than this binary (all
// additive, or Open would have refused), for the log.
func (s *Store) SchemaAhead(ctx context.Context) ([]int, error) {
	applied, err := appliedMigrations(ctx, s.reader)
	if err != nil {
		return nil, fmt.Errorf("sqlite: schema version: %w", err)
	}
	return policy(s.latest).Ahead(applied), nil
}

func policy(latest int) schema.Policy {
	return schema.Policy{Engine: "SQLite", Oldest: OldestSupportedVersion, Latest: latest}
}

// SchemaVersion returns the newest migration applied to the database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	v, err := schemaVersion(ctx, s.reader)
	if err != nil {
		return 0, fmt.Errorf("sqlite: schema version: %w", err)
	}
	return v, nil
}

func schemaVersion(ctx context.Context, q querier) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// migrate brings db to the last of all (the binary's migrations, or fewer
// for MigrateTo), after checking the upgrade policy: a database too old to
// upgrade, or newer than all in a way this binary cannot serve, is refused
// untouched.
func migrate(ctx context.Context, db *sql.DB, all []migration) ([]int, error) {
	if err := ensureMigrationsTable(ctx, db); err != nil {
		return nil, fmt.Errorf("sqlite: migrate: %w", err)
	}
	recorded, err := appliedMigrations(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrate: %w", err)
	}
	if err := policy(all[len(all)-1].version).Check(recorded); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	var done []int
	for _, r := range recorded {
		done = append(done, r.Version)
	}
	var applied []int
	for _, m := range all {
		if _, ok := slices.BinarySearch(done, m.version); ok {
			continue
		}
		ran, err := applyMigration(ctx, db, m)
		if err != nil {
			return applied, fmt.Errorf("sqlite: migration %s: %w", m.name, err)
		}
		if ran {
			applied = append(applied, m.version)
		}
	}
	return applied, nil
}

// applyMigration runs m in one transaction unless it is already recorded.
// The check is repeated inside the transaction because another process may
// have migrated the file since appliedVersions looked; the writer's BEGIN
// IMMEDIATE makes that check and the migration atomic.
func applyMigration(ctx context.Context, db *sql.DB, m migration) (bool, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at, additive) VALUES (?, ?, ?)`,
		m.version, time.Now().UnixMicro(), m.additive); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// ensureMigrationsTable makes schema_migrations, and adds its additive
// column to a table made before 0.4.0 (which did not have it; every
// migration recorded there reads as not additive, which only matters for
// migrations newer than the reading binary).
func ensureMigrationsTable(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at INTEGER NOT NULL,
		additive   INTEGER NOT NULL DEFAULT 0
	) STRICT`); err != nil {
		return err
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info('schema_migrations') WHERE name = 'additive'`).Scan(&n); err != nil || n > 0 {
		return err
	}
	_, err := db.ExecContext(ctx, `ALTER TABLE schema_migrations ADD COLUMN additive INTEGER NOT NULL DEFAULT 0`)
	return err
}

// appliedMigrations reads schema_migrations, oldest first. A table without
// the additive column (a database no 0.4.0 binary has opened yet) reads as
// nothing additive.
func appliedMigrations(ctx context.Context, q querier) ([]schema.Applied, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info('schema_migrations') WHERE name = 'additive'`).Scan(&n); err != nil {
		return nil, err
	}
	additive := "0"
	if n > 0 {
		additive = "additive"
	}
	rows, err := q.QueryContext(ctx, `SELECT version, `+additive+` FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []schema.Applied
	for rows.Next() {
		var a schema.Applied
		if err := rows.Scan(&a.Version, &a.Additive); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func appliedVersions(ctx context.Context, q querier) ([]int, error) {
	rows, err := q.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return vs, rows.Err()
}

// loadMigrations reads the embedded migrations in version order. A badly named
// or duplicate file is a build mistake, reported on the first Open.
func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("sqlite: migration %s: name must be NNNN_description.sql", base)
		}
		b, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b), additive: schema.IsAdditive(string(b))})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("sqlite: migrations %s and %s share version %d", ms[i-1].name, ms[i].name, ms[i].version)
		}
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("sqlite: no migrations embedded")
	}
	return ms, nil
}

// LatestVersion is the version the embedded migrations bring a database to.
func LatestVersion() int {
	ms, err := loadMigrations()
	if err != nil {
		return 0
	}
	return ms[len(ms)-1].version
}
