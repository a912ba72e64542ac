package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/satsrail/satsrail/internal/masterkey"
	"github.com/satsrail/satsrail/internal/secretbox"
	"github.com/satsrail/satsrail/internal/sqlite"
)

// backupCmd is `satsrail backup --to FILE`: a consistent copy of the SQLite
// database of a gateway that keeps serving (internal/sqlite/backup.go).
func backupCmd(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlags("backup", "backup --to FILE [--data-dir DIR]", stdout)
	sf := addStoreFlags(fs)
	to := fs.String("to", "", "the backup file to write (must not exist)")
	mk := fs.String("master-key", "", "master key (64 hex chars), only to record its fingerprint in a backup of a database that has none yet; default: <data-dir>/master.key if present")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *sf.databaseURL != "" {
		return errors.New("backup copies a SQLite gateway; for PostgreSQL use pg_dump (docs/OPERATIONS.md, \"Backups\")")
	}
	if *to == "" {
		fmt.Fprintln(fs.Output(), "backup needs --to FILE")
		return errUsage
	}
	db := filepath.Join(*sf.dataDir, "satsrail.db")
	fp := ""
	if key, err := existingKey(*mk, *sf.dataDir); err == nil {
		fp = masterkey.Fingerprint(key)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	start := time.Now()
	info, err := sqlite.Backup(ctx, db, *to, fp)
	if err != nil {
		return err
	}
	if info.Fingerprint == "" {
		_ = os.Remove(*to)
		return fmt.Errorf("%s records no master key fingerprint and no key was found to record: give the key (--master-key or SATSRAIL_MASTER_KEY), or start the gateway once with this version", db)
	}
	fmt.Fprintf(stdout, "backup %s: %d sessions, schema version %d, master key %s, %d bytes, in %s\n",
		*to, info.Sessions, info.SchemaVersion, info.Fingerprint, info.Size, time.Since(start).Round(time.Millisecond))
	fmt.Fprintln(stdout, "keep the master key apart from the backup: the backup's secrets open only with it")
	return nil
}

// existingKey returns the master key given or in dataDir, never creating
// one: os.ErrNotExist when there is none.
func existingKey(flagValue, dataDir string) ([]byte, error) {
	flagValue = envOr(flagValue, "SATSRAIL_MASTER_KEY")
	if flagValue == "" {
		if _, err := os.Stat(filepath.Join(dataDir, "master.key")); err != nil {
			return nil, os.ErrNotExist
		}
	}
	return masterKey(flagValue, dataDir)
}

// restoreCmd is `satsrail restore --from FILE --data-dir DIR`: it checks the
// backup (integrity, schema version, master key) and only then puts it in
// place.
func restoreCmd(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlags("restore", "restore --from FILE --data-dir DIR [--key-file F] [--force]", stdout)
	dataDir := dataDirFlag(fs)
	from := fs.String("from", "", "the backup file")
	mk := fs.String("master-key", "", "the master key the backup was sealed with (64 hex chars); default: <data-dir>/master.key")
	keyFile := fs.String("key-file", "", "a file holding the master key the backup was sealed with; copied to <data-dir>/master.key when that is missing")
	force := fs.Bool("force", false, "replace the database already in --data-dir")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *from == "" {
		fmt.Fprintln(fs.Output(), "restore needs --from FILE")
		return errUsage
	}
	if _, err := os.Stat(*from); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := sqlite.CheckIntegrity(ctx, *from); err != nil {
		return fmt.Errorf("%s is damaged, so it was not restored (%w); restore an older backup, or take a new one from the running gateway (satsrail backup)", *from, err)
	}
	info, err := sqlite.Inspect(ctx, *from)
	if err != nil {
		return fmt.Errorf("%s cannot be read, so it was not restored (%w); restore another backup", *from, err)
	}
	if latest := sqlite.LatestVersion(); info.SchemaVersion > latest {
		return fmt.Errorf("%s is from schema version %d, newer than this binary's %d: restore it with the satsrail version that made it (or a newer one)", *from, info.SchemaVersion, latest)
	}
	if info.Fingerprint == "" {
		return fmt.Errorf("%s records no master key fingerprint, so its secrets cannot be checked against a key; take the backup again with this version's satsrail backup", *from)
	}
	var key []byte
	switch {
	case *keyFile != "":
		key, err = readKey(*keyFile)
	default:
		key, err = existingKey(*mk, *dataDir)
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("no master key to check the backup against: its secrets are sealed with the key whose fingerprint is %s; give it with --key-file (or SATSRAIL_MASTER_KEY)", info.Fingerprint)
		}
	}
	if err != nil {
		return err
	}
	if fp := masterkey.Fingerprint(key); fp != info.Fingerprint {
		return fmt.Errorf("%s was sealed with the master key %s, but the key given is %s: a gateway with this key could not open the backup's secrets (webhook secrets, wallet credentials); restore with the backup's key (--key-file)", *from, info.Fingerprint, fp)
	}
	if err := os.MkdirAll(*dataDir, 0o700); err != nil {
		return err
	}
	db := filepath.Join(*dataDir, "satsrail.db")
	if _, err := os.Stat(db); err == nil && !*force {
		return fmt.Errorf("%s already holds a database: stop its gateway, move it away or pass --force to replace it", *dataDir)
	}
	keyPath := filepath.Join(*dataDir, "master.key")
	if _, err := os.Stat(keyPath); errors.Is(err, os.ErrNotExist) && *keyFile != "" {
		if err := writeNewKeyFile(keyPath, key); err != nil {
			return err
		}
	} else if err == nil {
		if k, err := existingKey("", *dataDir); err == nil && masterkey.Fingerprint(k) != info.Fingerprint && os.Getenv("SATSRAIL_MASTER_KEY") == "" {
			return fmt.Errorf("%s holds another master key than the backup's: move it away first, or the restored gateway will refuse to start", keyPath)
		}
	}
	if err := sqlite.RestoreFile(*from, db); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s to %s: %d sessions, schema version %d (this binary migrates it to %d when it starts), master key %s\n",
		*from, db, info.Sessions, info.SchemaVersion, sqlite.LatestVersion(), info.Fingerprint)
	return nil
}

// writeNewKeyFile writes key to a new 0600 file.
func writeNewKeyFile(path string, key []byte) error {
	if len(key) != secretbox.KeySize {
		return fmt.Errorf("key is %d bytes", len(key))
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "%x\n", key)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
