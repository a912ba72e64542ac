package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

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
	{"idempotency_keys", "body", "get_byte(body, 0) = 1"},
}

// MasterKeyFingerprint returns the recorded fingerprint of the master key,
// or gateway.ErrNotFound.
func (s *Store) MasterKeyFingerprint(ctx context.Context) (string, error) {
	var fp string
	err := s.pool.QueryRow(ctx, "SELECT fingerprint FROM master_key WHERE id = 1").Scan(&fp)
	return fp, mapErr(err, "master key fingerprint")
}

// RecordMasterKeyFingerprint records fp unless one is recorded, and returns
// the recorded one.
func (s *Store) RecordMasterKeyFingerprint(ctx context.Context, fp string, at time.Time) (string, error) {
	var stored string
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "INSERT INTO master_key (id, fingerprint, recorded_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING",
			fp, at.UTC()); err != nil {
			return err
		}
		return tx.QueryRow(ctx, "SELECT fingerprint FROM master_key WHERE id = 1").Scan(&stored)
	})
	return stored, mapErr(err, "record master key fingerprint")
}

// ResealSecrets re-seals every sealed column in one transaction. It locks
// the fingerprint's row first, so two rotations run one after the other, and
// each sealed row it rewrites (FOR UPDATE), so a concurrent change of the
// same secret waits for it.
func (s *Store) ResealSecrets(ctx context.Context, p gateway.ResealParams) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx pgx.Tx) error {
		n = 0
		var fp string
		err := tx.QueryRow(ctx, "SELECT fingerprint FROM master_key WHERE id = 1 FOR UPDATE").Scan(&fp)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && fp != p.From && fp != p.To) {
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
		_, err = tx.Exec(ctx, "UPDATE master_key SET fingerprint = $1, recorded_at = $2 WHERE id = 1", p.To, p.At.UTC())
		return err
	})
	if errors.Is(err, gateway.ErrMasterKeyChanged) {
		return 0, err
	}
	return n, mapErr(err, "re-seal secrets")
}

func resealColumn(ctx context.Context, tx pgx.Tx, table, column, where string, reseal func([]byte) ([]byte, error)) (int, error) {
	q := fmt.Sprintf("SELECT ctid, %s FROM %s WHERE %s IS NOT NULL", column, table, column)
	if where != "" {
		q += " AND " + where
	}
	rows, err := tx.Query(ctx, q+" FOR UPDATE")
	if err != nil {
		return 0, err
	}
	type row struct {
		id  pgtype.TID
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
			return 0, err
		}
		if out != nil {
			todo = append(todo, row{r.id, out})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	upd := fmt.Sprintf("UPDATE %s SET %s = $1 WHERE ctid = $2", table, column)
	for _, r := range todo {
		if _, err := tx.Exec(ctx, upd, r.val, r.id); err != nil {
			return 0, err
		}
	}
	return len(todo), nil
}

// DeliveryBacklog returns how many webhook deliveries are pending and when
// the oldest due one was due (zero when none is due at now).
func (s *Store) DeliveryBacklog(ctx context.Context, now time.Time) (int, time.Time, error) {
	var n int
	var oldest *time.Time
	err := s.pool.QueryRow(ctx, `SELECT count(*),
		(SELECT min(next_attempt_at) FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1)
		FROM webhook_deliveries WHERE status = 'pending'`, now.UTC()).Scan(&n, &oldest)
	if err != nil {
		return 0, time.Time{}, mapErr(err, "delivery backlog")
	}
	if oldest == nil {
		return n, time.Time{}, nil
	}
	return n, oldest.UTC(), nil
}

// LockHealth returns how many lock requests wait and the age of the oldest
// open transaction on the database, for `satsrail doctor`.
func (s *Store) LockHealth(ctx context.Context) (waiting int, oldestTx time.Duration, err error) {
	var secs float64
	err = s.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM pg_locks WHERE NOT granted),
		COALESCE((SELECT extract(epoch FROM now() - min(xact_start)) FROM pg_stat_activity
		          WHERE datname = current_database() AND xact_start IS NOT NULL AND pid <> pg_backend_pid()), 0)`).Scan(&waiting, &secs)
	if err != nil {
		return 0, 0, mapErr(err, "lock health")
	}
	return waiting, time.Duration(secs * float64(time.Second)), nil
}
