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
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// A migration is one numbered file: migrations/0001_init.sql is version 1.
type migration struct {
	version int
	name    string
	sql     string
}

// migrationLock is the key of the transaction-level advisory lock every
// migration step takes, so nodes starting at once migrate one at a time.
// It is an arbitrary constant: the first eight bytes of "satsrail".
const migrationLock int64 = 0x736174737261696c

// Migrate applies every embedded migration that the database at url lacks,
// each in its own transaction, and returns the versions it applied, oldest
// first. Running it again applies nothing. Open migrates too; Migrate is for
// the `satsrail migrate` command.
func Migrate(ctx context.Context, url string) (applied []int, err error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse database URL: %w", redactURLError(err))
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect to %s: %w", describe(cfg), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return migrate(ctx, conn)
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

// migrate applies the missing migrations one transaction at a time. Each
// transaction first takes the advisory lock, then reads which versions are
// applied, so of several nodes starting at once on one database, one applies
// each migration and the others wait for it and then find it done.
func migrate(ctx context.Context, conn *pgx.Conn) ([]int, error) {
	all, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	var applied []int
	for {
		var ran *migration
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLock); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
				version    INTEGER PRIMARY KEY,
				applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
			)`); err != nil {
				return err
			}
			done, err := appliedVersions(ctx, tx)
			if err != nil {
				return err
			}
			if latest := all[len(all)-1].version; len(done) > 0 && done[len(done)-1] > latest {
				return fmt.Errorf("database schema version %d is newer than this binary's %d", done[len(done)-1], latest)
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
			_, err = tx.Exec(ctx, "INSERT INTO schema_migrations (version) VALUES ($1)", ran.version)
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
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
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
