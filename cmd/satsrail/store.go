package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/postgres"
	"github.com/satsrail/satsrail/internal/sqlite"
)

// store is what the binary needs of an engine: the port plus readiness.
type store interface {
	gateway.Store
	gateway.MasterKeyStore
	SchemaVersion(ctx context.Context) (int, error)
	// CheckSchema is nil while this binary may serve on the database as it
	// is now (package schema: an older node beside newer additive
	// migrations); SchemaAhead lists those newer migrations.
	CheckSchema(ctx context.Context) error
	SchemaAhead(ctx context.Context) ([]int, error)
}

// storeFlags adds --data-dir and --database-url to a command.
type storeFlags struct {
	dataDir     *string
	databaseURL *string
}

func addStoreFlags(fs *flag.FlagSet) storeFlags {
	return storeFlags{
		dataDir:     dataDirFlag(fs),
		databaseURL: fs.String("database-url", "", "PostgreSQL URL (postgres://...) for many nodes on one database; default: SQLite in --data-dir"),
	}
}

// open opens the configured engine, applying its migrations, and reports the
// schema version this binary needs.
func (f storeFlags) open(ctx context.Context) (store, int, error) {
	if *f.databaseURL != "" {
		st, err := postgres.Open(ctx, postgres.Config{URL: *f.databaseURL})
		if err != nil {
			return nil, 0, err
		}
		return st, postgres.LatestVersion(), nil
	}
	path, err := dbPath(*f.dataDir)
	if err != nil {
		return nil, 0, err
	}
	st, err := sqlite.Open(ctx, sqlite.Config{Path: path})
	if err != nil {
		return nil, 0, err
	}
	return st, sqlite.LatestVersion(), nil
}

// migrateStore applies migrations without serving.
func (f storeFlags) migrate(ctx context.Context) (string, []int, error) {
	if *f.databaseURL != "" {
		applied, err := postgres.Migrate(ctx, *f.databaseURL)
		return "PostgreSQL", applied, err
	}
	path, err := dbPath(*f.dataDir)
	if err != nil {
		return "", nil, err
	}
	applied, err := sqlite.Migrate(ctx, path)
	return path, applied, err
}

// keyDir is where the master key file lives: the data dir. With PostgreSQL
// every node must share one key, so SATSRAIL_MASTER_KEY is required then.
func (f storeFlags) keyDir() (string, error) {
	if *f.databaseURL != "" && os.Getenv("SATSRAIL_MASTER_KEY") == "" {
		return "", fmt.Errorf("with --database-url every node must share one master key: set SATSRAIL_MASTER_KEY (or --master-key)")
	}
	return *f.dataDir, nil
}
