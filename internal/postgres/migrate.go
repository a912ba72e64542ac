package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

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
// satsrail 0.1.0 wrote (migrations 0001–0006). A database whose newest
// migration is older is refused (schema.Policy.Check).
const OldestSupportedVersion = 6

// migrationLock is the key of the transaction-level advisory lock every
// migration step takes, so nodes starting at once migrate one at a time.
// It is an arbitrary constant: the first eight bytes of "satsrail".
const migrationLock int64 = 0x736174737261696c

// Migrate applies every embedded migration that the database at url lacks,
// each in its own transaction, and returns the versions it applied, oldest
// first. Running it again applies nothing. Open migrates too; Migrate is for
// the `satsrail migrate` command.
func Migrate(ctx context.Context, url string) (applied []int, err error) {
	return MigrateTo(ctx, url, 0)
}

// MigrateTo is Migrate stopping after migration version (0: the latest). It
// makes databases of an older release's schema, for the upgrade tests'
// fixtures; a binary serving on such a database would migrate it further.
func MigrateTo(ctx context.Context, url string, version int) (applied []int, err error) {
	all, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	if version > 0 {
		all = slices.DeleteFunc(all, func(m migration) bool { return m.version > version })
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse database URL: %w", redactURLError(err))
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect to %s: %w", describe(cfg), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return migrate(ctx, conn, all)
}

// CheckSchema applies the upgrade policy (package schema) to the database
// as it is now: nil while this binary may serve on it. A node calls it for
// readiness, since another node may have migrated the database since Open.
func (s *Store) CheckSchema(ctx context.Context) error {
	applied, err := appliedMigrations(ctx, s.pool)
	if err != nil {
		return fmt.Errorf("postgres: schema version: %w", err)
	}
	return policy(s.latest).Check(applied)
}

// SchemaAhead returns the applied migrations newer than this binary (all
// additive, or Open would have refused), for the log.
func (s *Store) SchemaAhead(ctx context.Context) ([]int, error) {
	applied, err := appliedMigrations(ctx, s.pool)
	if err != nil {
		return nil, fmt.Errorf("postgres: schema version: %w", err)
	}
	return policy(s.latest).Ahead(applied), nil
}

func policy(latest int) schema.Policy {
	return schema.Policy{Engine: "PostgreSQL", Oldest: OldestSupportedVersion, Latest: latest}
}

// SchemaVersion returns the newest migration applied to the database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("postgres: schema version: %w", err)
	}
	return v, nil
}

// migrate applies the missing migrations one transaction at a time, after
// checking the upgrade policy: a database too old to upgrade, or newer than
// all in a way this binary cannot serve, is refused untouched.
//
// The node holds the session-level advisory lock on migrationLock for the
// whole run, so of several nodes starting at once on one database one
// migrates and the others wait and then find it done, and the policy never
// sees a database half way through another node's migrations (which would
// look too old to upgrade). Each step also takes the transaction-level lock
// on the same key, which is what nodes of releases before 0.4.0 take.
func migrate(ctx context.Context, conn *pgx.Conn, all []migration) ([]int, error) {
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return nil, fmt.Errorf("postgres: migrate: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLock)
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if err := ensureMigrationsTable(ctx, tx); err != nil {
			return err
		}
		recorded, err := appliedMigrations(ctx, tx)
		if err != nil {
			return err
		}
		return policy(all[len(all)-1].version).Check(recorded)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: migrate: %w", err)
	}
	var applied []int
	for {
		var ran *migration
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLock); err != nil {
				return err
			}
			done, err := appliedVersions(ctx, tx)
			if err != nil {
				return err
			}
			for i, m := range all {
				if _, ok := slices.BinarySearch(done, m.version); !ok {
					ran = &all[i]
					break
				}
			}
			if ran == nil {
				return nil
			}
			// No arguments: pgx sends it over the simple protocol, which
			// runs a file of several statements.
			if _, err := tx.Exec(ctx, ran.sql); err != nil {
				return fmt.Errorf("migration %s: %w", ran.name, err)
			}
			_, err = tx.Exec(ctx, "INSERT INTO schema_migrations (version, additive) VALUES ($1, $2)", ran.version, ran.additive)
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("postgres: migrate: %w", err)
		}
		if ran == nil {
			return applied, nil
		}
		applied = append(applied, ran.version)
	}
}

// ensureMigrationsTable makes schema_migrations, and adds its additive
// column to a table made before 0.4.0 (which did not have it; every
// migration recorded there reads as not additive, which only matters for
// migrations newer than the reading binary). The caller holds the
// migration lock.
func ensureMigrationsTable(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
		additive   BOOLEAN NOT NULL DEFAULT false
	)`); err != nil {
		return err
	}
	has, err := hasAdditiveColumn(ctx, tx)
	if err != nil || has {
		return err
	}
	_, err = tx.Exec(ctx, `ALTER TABLE schema_migrations ADD COLUMN additive BOOLEAN NOT NULL DEFAULT false`)
	return err
}

func hasAdditiveColumn(ctx context.Context, q querier) (bool, error) {
	var has bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = 'schema_migrations' AND column_name = 'additive')`).Scan(&has)
	return has, err
}

// appliedMigrations reads schema_migrations, oldest first. A table without
// the additive column (a database no 0.4.0 binary has opened yet) reads as
// nothing additive.
func appliedMigrations(ctx context.Context, q querier) ([]schema.Applied, error) {
	has, err := hasAdditiveColumn(ctx, q)
	if err != nil {
		return nil, err
	}
	additive := "false"
	if has {
		additive = "additive"
	}
	rows, err := q.Query(ctx, `SELECT version, `+additive+` FROM schema_migrations ORDER BY version`)
	return scanAll(rows, err, func(r rowScanner) (a schema.Applied, err error) { return a, r.Scan(&a.Version, &a.Additive) })
}

func appliedVersions(ctx context.Context, q querier) ([]int, error) {
	rows, err := q.Query(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	return scanAll(rows, err, func(r rowScanner) (v int, err error) { return v, r.Scan(&v) })
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
			return nil, fmt.Errorf("postgres: migration %s: name must be NNNN_description.sql", base)
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
			return nil, fmt.Errorf("postgres: migrations %s and %s share version %d", ms[i-1].name, ms[i].name, ms[i].version)
		}
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("postgres: no migrations embedded")
	}
	return ms, nil
}

// LatestVersion is the version the embedded migrations bring a database to.
func LatestVersion() int {
	ms, err := loadMigrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}
