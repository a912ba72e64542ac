package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

const idempotencyColumns = "api_key_id, key, request_hash, done, status, body, created_at"

func idempotencyDests(r *gateway.IdempotencyRecord) []any {
	return []any{&r.APIKeyID, &r.Key, &r.RequestHash, &r.Done, &r.Status, &r.Body, (*timeCol)(&r.CreatedAt)}
}

var scanIdempotency = scanner(idempotencyDests)

// BeginIdempotent returns the record of (rec.APIKeyID, rec.Key) if one was
// created at or after notBefore; otherwise it stores rec as in progress,
// replacing any older record, and returns nil.
func (s *Store) BeginIdempotent(ctx context.Context, rec gateway.IdempotencyRecord, notBefore time.Time) (*gateway.IdempotencyRecord, error) {
	var found *gateway.IdempotencyRecord
	err := s.write(ctx, func(tx *sql.Tx) error {
		old, err := scanIdempotency(tx.QueryRowContext(ctx, "SELECT "+idempotencyColumns+
			" FROM idempotency_keys WHERE api_key_id = ? AND key = ?", rec.APIKeyID, rec.Key))
		switch {
		case err == nil && !old.CreatedAt.Before(notBefore):
			found = &old
			return nil
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO idempotency_keys (api_key_id, key, request_hash, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (api_key_id, key) DO UPDATE SET request_hash = excluded.request_hash,
				done = 0, status = 0, body = NULL, created_at = excluded.created_at`,
			rec.APIKeyID, rec.Key, rec.RequestHash, timeCol(rec.CreatedAt))
		return err
	})
	return found, mapErr(err, "begin idempotent request %q", rec.Key)
}

// LookupIdempotent returns the record of (keyID, key) if one was created at
// or after notBefore, else gateway.ErrNotFound.
func (s *Store) LookupIdempotent(ctx context.Context, keyID, key string, notBefore time.Time) (*gateway.IdempotencyRecord, error) {
	rec, err := scanIdempotency(s.reader.QueryRowContext(ctx, "SELECT "+idempotencyColumns+
		" FROM idempotency_keys WHERE api_key_id = ? AND key = ? AND created_at >= ?", keyID, key, timeCol(notBefore)))
	if err != nil {
		return nil, mapErr(err, "look up idempotent request %q", key)
	}
	return &rec, nil
}

// CompleteIdempotent stores the response of a request; an unknown record is
// gateway.ErrNotFound.
func (s *Store) CompleteIdempotent(ctx context.Context, keyID, key string, status int, body []byte) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE idempotency_keys SET done = 1, status = ?, body = ? WHERE api_key_id = ? AND key = ?",
			status, body, keyID, key)
		if err == nil {
			err = oneRow(res)
		}
		return err
	})
	return mapErr(err, "complete idempotent request %q", key)
}

// AbortIdempotent forgets an in-progress record; a finished one stays.
func (s *Store) AbortIdempotent(ctx context.Context, keyID, key string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM idempotency_keys WHERE api_key_id = ? AND key = ? AND done = 0", keyID, key)
		return err
	})
	return mapErr(err, "abort idempotent request %q", key)
}

// PurgeIdempotent deletes at most limit records created before t, oldest
// first (by idempotency_keys_created), and returns how many.
func (s *Store) PurgeIdempotent(ctx context.Context, t time.Time, limit int) (int, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE rowid IN
			(SELECT rowid FROM idempotency_keys WHERE created_at < ? ORDER BY created_at LIMIT ?)`, timeCol(t), limit)
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	return int(n), mapErr(err, "purge idempotency keys")
}

// oneRow turns an update that touched no row into sql.ErrNoRows.
func oneRow(res sql.Result) error {
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		err = sql.ErrNoRows
	}
	return err
}
