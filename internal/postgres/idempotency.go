package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

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
//
// One statement decides, so two nodes beginning the same key at once cannot
// both win: the insert either adds the row, or replaces a stale one, or —
// when the row is live — updates nothing but still locks it (ON CONFLICT DO
// UPDATE locks the conflicting row whether or not its WHERE holds). Only in
// that last case is the record read back, under the lock, in a later
// statement that sees the row however recently it was committed.
func (s *Store) BeginIdempotent(ctx context.Context, rec gateway.IdempotencyRecord, notBefore time.Time) (*gateway.IdempotencyRecord, error) {
	var found *gateway.IdempotencyRecord
	err := s.tx(ctx, func(tx pgx.Tx) error {
		found = nil
		tag, err := tx.Exec(ctx, `INSERT INTO idempotency_keys AS k (api_key_id, key, request_hash, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (api_key_id, key) DO UPDATE SET request_hash = excluded.request_hash,
				done = false, status = 0, body = NULL, created_at = excluded.created_at
			WHERE k.created_at < $5`,
			rec.APIKeyID, rec.Key, rec.RequestHash, timeCol(rec.CreatedAt), timeCol(notBefore))
		if err != nil || tag.RowsAffected() == 1 {
			return err
		}
		old, err := scanIdempotency(tx.QueryRow(ctx, "SELECT "+idempotencyColumns+
			" FROM idempotency_keys WHERE api_key_id = $1 AND key = $2", rec.APIKeyID, rec.Key))
		if err != nil {
			return err
		}
		found = &old
		return nil
	})
	if err != nil {
		return nil, mapErr(err, "begin idempotent request %q", rec.Key)
	}
	return found, nil
}

// LookupIdempotent returns the record of (keyID, key) if one was created at
// or after notBefore, else gateway.ErrNotFound.
func (s *Store) LookupIdempotent(ctx context.Context, keyID, key string, notBefore time.Time) (*gateway.IdempotencyRecord, error) {
	rec, err := scanIdempotency(s.pool.QueryRow(ctx, "SELECT "+idempotencyColumns+
		" FROM idempotency_keys WHERE api_key_id = $1 AND key = $2 AND created_at >= $3", keyID, key, timeCol(notBefore)))
	if err != nil {
		return nil, mapErr(err, "look up idempotent request %q", key)
	}
	return &rec, nil
}

// insertDone stores done's record, finished, unless the key has a live
// record (see gateway.IdempotencyCompletion); then it writes nothing and
// returns gateway.ErrIdempotencyKeyTaken. A concurrent insert of the same
// key on another node makes this one wait for that transaction and then
// see its row, so two nodes can't both create.
func insertDone(ctx context.Context, tx pgx.Tx, done *gateway.IdempotencyCompletion) error {
	tag, err := tx.Exec(ctx, `INSERT INTO idempotency_keys AS k (api_key_id, key, request_hash, done, status, body, created_at)
		VALUES ($1, $2, $3, true, $4, $5, $6)
		ON CONFLICT (api_key_id, key) DO UPDATE SET request_hash = excluded.request_hash, done = true,
			status = excluded.status, body = excluded.body, created_at = excluded.created_at
		WHERE k.created_at < $7 OR (NOT k.done AND k.created_at < $8)`,
		done.APIKeyID, done.Key, done.RequestHash, done.Status, done.Body, timeCol(done.CreatedAt),
		timeCol(done.ExpiredBefore), timeCol(done.StaleBefore))
	if err == nil && tag.RowsAffected() == 0 {
		err = gateway.ErrIdempotencyKeyTaken
	}
	return err
}

// CompleteIdempotent stores the response of a request; an unknown record is
// gateway.ErrNotFound.
func (s *Store) CompleteIdempotent(ctx context.Context, keyID, key string, status int, body []byte) error {
	err := oneRow(s.pool.Exec(ctx, "UPDATE idempotency_keys SET done = true, status = $1, body = $2 WHERE api_key_id = $3 AND key = $4",
		status, body, keyID, key))
	return mapErr(err, "complete idempotent request %q", key)
}

// AbortIdempotent forgets an in-progress record; a finished one stays.
func (s *Store) AbortIdempotent(ctx context.Context, keyID, key string) error {
	_, err := s.pool.Exec(ctx, "DELETE FROM idempotency_keys WHERE api_key_id = $1 AND key = $2 AND NOT done", keyID, key)
	return mapErr(err, "abort idempotent request %q", key)
}

// PurgeIdempotent deletes at most limit records created before t, oldest
// first (by idempotency_keys_created), and returns how many. Rows another
// node is deleting or a request holds are skipped, not waited for.
func (s *Store) PurgeIdempotent(ctx context.Context, t time.Time, limit int) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys k USING (
			SELECT api_key_id, key FROM idempotency_keys WHERE created_at < $1 ORDER BY created_at LIMIT $2
			FOR UPDATE SKIP LOCKED) old
		WHERE k.api_key_id = old.api_key_id AND k.key = old.key`, timeCol(t), limit)
	if err != nil {
		return 0, mapErr(err, "purge idempotency keys")
	}
	return int(tag.RowsAffected()), nil
}
