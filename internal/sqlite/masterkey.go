package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

var _ gateway.MasterKeyStore = (*Store)(nil)

// sealedColumns are every column that holds a secret sealed with the master
// key. where narrows a column that holds sealed and plain values alike
// (idempotent replies: only those that carry a secret are sealed, and a
// sealed box starts with its version byte, 1, where JSON starts with '{').
var sealedColumns = []struct{ table, column, where string }{
	{"test_wallet_keys", "sealed", ""},
	{"webhook_endpoints", "secret", ""},
	{"webhook_endpoints", "prev_secret", ""},
	{"wallet_connections", "config", ""},
	{"api_keys", "publishable_sealed", ""},
	{"users", "totp_secret", ""},
	{"idempotency_keys", "body", "substr(body, 1, 1) = x'01'"},
}

// MasterKeyFingerprint returns the recorded fingerprint of the master key,
// or gateway.ErrNotFound.
func (s *Store) MasterKeyFingerprint(ctx context.Context) (string, error) {
	var fp string
	err := s.reader.QueryRowContext(ctx, "SELECT fingerprint FROM master_key WHERE id = 1").Scan(&fp)
	return fp, mapErr(err, "master key fingerprint")
}

// RecordMasterKeyFingerprint records fp unless one is recorded, and returns
// the recorded one.
func (s *Store) RecordMasterKeyFingerprint(ctx context.Context, fp string, at time.Time) (string, error) {
	var stored string
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO master_key (id, fingerprint, recorded_at) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING",
			fp, at.UnixMicro()); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, "SELECT fingerprint FROM master_key WHERE id = 1").Scan(&stored)
	})
	return stored, mapErr(err, "record master key fingerprint")
}

// ResealSecrets re-seals every sealed column in one transaction of the
// writer, so a node reading never sees some secrets under one key and the
// fingerprint of the other.
func (s *Store) ResealSecrets(ctx context.Context, p gateway.ResealParams) (int, error) {
	n := 0
	err := s.write(ctx, func(tx *sql.Tx) error {
		n = 0
		var fp string
		err := tx.QueryRowContext(ctx, "SELECT fingerprint FROM master_key WHERE id = 1").Scan(&fp)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && fp != p.From && fp != p.To) {
			return gateway.ErrMasterKeyChanged
		}
		if err != nil {
			return err
		}
		for _, c := range sealedColumns {
			changed, err := resealColumn(ctx, tx, c.table, c.column, c.where, p.Reseal)
			if err != nil {
				return fmt.Errorf("%s.%s: %w", c.table, c.column, err)
			}
			n += changed
		}
		_, err = tx.ExecContext(ctx, "UPDATE master_key SET fingerprint = ?, recorded_at = ? WHERE id = 1", p.To, p.At.UnixMicro())
		return err
	})
	if errors.Is(err, gateway.ErrMasterKeyChanged) {
		return 0, err
	}
	return n, mapErr(err, "re-seal secrets")
}

func resealColumn(ctx context.Context, tx *sql.Tx, table, column, where string, reseal func([]byte) ([]byte, error)) (int, error) {
	q := fmt.Sprintf("SELECT rowid, %s FROM %s WHERE %s IS NOT NULL", column, table, column)
	if where != "" {
		q += " AND " + where
	}
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return 0, err
	}
	type row struct {
		id  int64
		val []byte
	}
	var todo []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.val); err != nil {
			rows.Close()
			return 0, err
		}
		out, err := reseal(r.val)
		if err != nil {
			rows.Close()
			return 0, fmt.Errorf("row %d: %w", r.id, err)
		}
		if out != nil {
			todo = append(todo, row{r.id, out})
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, err
	}
	upd := fmt.Sprintf("UPDATE %s SET %s = ? WHERE rowid = ?", table, column)
	for _, r := range todo {
		if _, err := tx.ExecContext(ctx, upd, r.val, r.id); err != nil {
			return 0, err
		}
	}
	return len(todo), nil
}

// DeliveryBacklog returns how many webhook deliveries are pending and when
// the oldest due one was due (zero when none is due at now).
func (s *Store) DeliveryBacklog(ctx context.Context, now time.Time) (int, time.Time, error) {
	var n int
	var oldest sql.NullInt64
	err := s.reader.QueryRowContext(ctx, `SELECT count(*),
		(SELECT min(next_attempt_at) FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ?)
		FROM webhook_deliveries WHERE status = 'pending'`, now.UnixMicro()).Scan(&n, &oldest)
	if err != nil {
		return 0, time.Time{}, mapErr(err, "delivery backlog")
	}
	var at time.Time
	if oldest.Valid {
		at = time.UnixMicro(oldest.Int64).UTC()
	}
	return n, at, nil
}
