package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// A backup is a plain SQLite database file, made by VACUUM INTO from one
// read transaction of the live database: a consistent snapshot that never
// stops the writer (WAL readers do not block writers), compacted, and
// checked before it is kept. What a restore must know travels inside it, so
// no sidecar can be lost or mismatched: the schema version is its
// schema_migrations table and the master key's fingerprint its master_key
// row (never the key).

// BackupInfo describes a backup file.
type BackupInfo struct {
	SchemaVersion int
	// Fingerprint is the fingerprint of the master key its secrets are
	// sealed with; "" if the database never recorded one.
	Fingerprint string
	Size        int64
	Sessions    int64
}

// ErrDamaged is returned for a backup that fails SQLite's integrity check
// or is not a SQLite database at all.
var ErrDamaged = errors.New("sqlite: the backup is damaged")

// Backup copies the database at dbPath to dest (which must not exist)
// while other connections read and write it. When the database records no
// master key fingerprint yet, fingerprint (if not "") is recorded in the
// copy. The copy is written beside dest, checked (quick_check) and synced,
// then renamed into place, so dest is a whole, checked backup or absent.
func Backup(ctx context.Context, dbPath, dest, fingerprint string) (BackupInfo, error) {
	if _, err := os.Stat(dbPath); err != nil {
		return BackupInfo{}, fmt.Errorf("sqlite: backup: %w", err)
	}
	if _, err := os.Stat(dest); err == nil {
		return BackupInfo{}, fmt.Errorf("sqlite: backup: %s exists; choose a new file name", dest)
	}
	tmp := dest + ".partial"
	_ = os.Remove(tmp)
	src := openDB(dsn(dbPath))
	defer src.Close()
	src.SetMaxOpenConns(1)
	if _, err := src.ExecContext(ctx, "VACUUM INTO ?", tmp); err != nil {
		_ = os.Remove(tmp)
		return BackupInfo{}, fmt.Errorf("sqlite: backup: %w", err)
	}
	info, err := finishBackup(ctx, tmp, fingerprint)
	if err != nil {
		_ = os.Remove(tmp)
		return BackupInfo{}, err
	}
	if err := os.Rename(tmp, dest); err != nil {
		_ = os.Remove(tmp)
		return BackupInfo{}, fmt.Errorf("sqlite: backup: %w", err)
	}
	return info, syncDir(filepath.Dir(dest))
}

// finishBackup records the fingerprint in the copy if it lacks one, checks
// it and syncs it.
func finishBackup(ctx context.Context, path, fingerprint string) (BackupInfo, error) {
	db := openDB(path + "?_pragma=busy_timeout(10000)")
	defer db.Close()
	if fingerprint != "" {
		if _, err := db.ExecContext(ctx, "INSERT INTO master_key (id, fingerprint, recorded_at) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING",
			fingerprint, time.Now().UnixMicro()); err != nil {
			return BackupInfo{}, fmt.Errorf("sqlite: backup: record fingerprint: %w", err)
		}
	}
	if err := check(ctx, db, "quick_check"); err != nil {
		return BackupInfo{}, err
	}
	if err := db.Close(); err != nil {
		return BackupInfo{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return BackupInfo{}, err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return BackupInfo{}, fmt.Errorf("sqlite: backup: sync: %w", err)
	}
	return Inspect(ctx, path)
}

// check runs an integrity pragma and turns anything but "ok" into
// ErrDamaged with SQLite's first findings.
func check(ctx context.Context, db *sql.DB, pragma string) error {
	rows, err := db.QueryContext(ctx, "PRAGMA "+pragma)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	defer rows.Close()
	var found []string
	for rows.Next() && len(found) < 5 {
		var s string
		if err := rows.Scan(&s); err != nil {
			return fmt.Errorf("%w: %v", ErrDamaged, err)
		}
		if s != "ok" {
			found = append(found, s)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	if len(found) > 0 {
		return fmt.Errorf("%w: %s", ErrDamaged, strings.Join(found, "; "))
	}
	return nil
}

// Inspect reads a backup's schema version, fingerprint and size without
// checking it.
func Inspect(ctx context.Context, path string) (BackupInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return BackupInfo{}, err
	}
	db := openDB(path + "?_pragma=query_only(1)")
	defer db.Close()
	info := BackupInfo{Size: st.Size()}
	if info.SchemaVersion, err = schemaVersion(ctx, db); err != nil {
		return info, fmt.Errorf("%w: no schema version (%v); is it a satsrail database?", ErrDamaged, err)
	}
	err = db.QueryRowContext(ctx, "SELECT fingerprint FROM master_key WHERE id = 1").Scan(&info.Fingerprint)
	if err != nil && !errors.Is(err, sql.ErrNoRows) && !strings.Contains(err.Error(), "no such table") {
		return info, fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM checkout_sessions").Scan(&info.Sessions); err != nil {
		return info, fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	return info, nil
}

// CheckIntegrity runs SQLite's full integrity check on the database file at
// path (never writing to it) and returns ErrDamaged with its findings.
func CheckIntegrity(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return err
	}
	db := openDB(path + "?_pragma=query_only(1)&_pragma=busy_timeout(10000)")
	defer db.Close()
	return check(ctx, db, "integrity_check")
}

// RestoreFile copies the backup at from to the database path to (its
// directory must exist) through a temporary file that is synced before it
// replaces to, and removes to's old write-ahead log, so nothing of the
// database it replaces remains. The caller checks the backup first.
func RestoreFile(from, to string) error {
	tmp := to + ".restoring"
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	for _, p := range []string{to + "-wal", to + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("sqlite: restore: %w", err)
		}
	}
	if err := os.Rename(tmp, to); err != nil {
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	return syncDir(filepath.Dir(to))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	_ = d.Sync() // not every file system syncs directories
	return nil
}
