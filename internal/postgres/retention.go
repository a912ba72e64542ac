package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/satsrail/satsrail/internal/gateway"
)

// PruneDeliveryAttempts deletes at most limit webhook attempts made before
// t, oldest first (by webhook_attempts_at, migration 0014), and returns how
// many; rows another node is deleting are skipped.
func (s *Store) PruneDeliveryAttempts(ctx context.Context, t time.Time, limit int) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM webhook_attempts WHERE id IN (
		SELECT id FROM webhook_attempts WHERE at < $1 ORDER BY at LIMIT $2 FOR UPDATE SKIP LOCKED)`, timeCol(t), limit)
	if err != nil {
		return 0, mapErr(err, "prune webhook attempts")
	}
	return int(tag.RowsAffected()), nil
}

// ForgetCustomer erases email and the name beside it from every session of
// every merchant and from the stored copies of those sessions, in one
// transaction (see gateway.Store). Sessions are found merchant by merchant
// through checkout_sessions_customer_email and locked; stored replies by the
// email's JSON encoding in their bytes (a sealed reply never matches, and
// none holds a session).
func (s *Store) ForgetCustomer(ctx context.Context, email string) (gateway.CustomerForgotten, error) {
	var got gateway.CustomerForgotten
	err := s.tx(ctx, func(tx pgx.Tx) error {
		got = gateway.CustomerForgotten{}
		type found struct{ id, merchant, mode, email string }
		// One probe of checkout_sessions_customer_email per merchant and
		// mode: as one join the planner scans every session instead.
		rows, err := tx.Query(ctx, `SELECT id FROM merchants ORDER BY id`)
		merchants, err := scanAll(rows, err, func(r rowScanner) (id string, err error) { return id, r.Scan(&id) })
		if err != nil {
			return err
		}
		var sessions []found
		for _, m := range merchants {
			for _, mode := range []gateway.Mode{gateway.ModeLive, gateway.ModeTest} {
				rows, err := tx.Query(ctx, `SELECT id, merchant_id, mode, customer_email FROM checkout_sessions
					WHERE merchant_id = $1 AND mode = $2 AND lower(customer_email COLLATE "C") = lower($3 COLLATE "C")
					ORDER BY id FOR UPDATE`, m, mode, email)
				more, err := scanAll(rows, err, func(r rowScanner) (f found, err error) {
					return f, r.Scan(&f.id, &f.merchant, &f.mode, &f.email)
				})
				if err != nil {
					return err
				}
				sessions = append(sessions, more...)
			}
		}
		spellings := map[string]bool{}
		for _, f := range sessions {
			tag, err := tx.Exec(ctx, `UPDATE checkout_sessions SET customer_email = '', customer_name = '' WHERE id = $1`, f.id)
			if err != nil {
				return err
			}
			got.Sessions += int(tag.RowsAffected())
			spellings[f.email] = true
			evs, err := tx.Query(ctx, `SELECT id, body FROM events WHERE merchant_id = $1 AND mode = $2 AND object_id = $3`, f.merchant, f.mode, f.id)
			n, err := rewrite(ctx, tx, evs, err, email, `UPDATE events SET body = $1 WHERE id = $2`)
			if err != nil {
				return err
			}
			got.Events += n
		}
		for spelling := range spellings {
			enc, _ := json.Marshal(spelling)
			replies, err := tx.Query(ctx, `SELECT ctid::text, body FROM idempotency_keys
				WHERE done AND position($1::bytea in body) > 0 FOR UPDATE`, enc)
			n, err := rewrite(ctx, tx, replies, err, email,
				`UPDATE idempotency_keys SET body = $1 WHERE ctid = $2::tid`)
			if err != nil {
				return err
			}
			got.IdempotentReplies += n
		}
		return nil
	})
	return got, mapErr(err, "forget customer")
}

// rewrite reads (key, body) rows, erases email from each body
// (gateway.ForgetCustomerJSON) and saves the changed ones with update.
func rewrite(ctx context.Context, tx pgx.Tx, rows pgx.Rows, err error, email, update string) (int, error) {
	type doc struct {
		key  string
		body []byte
	}
	docs, err := scanAll(rows, err, func(r rowScanner) (d doc, err error) { return d, r.Scan(&d.key, &d.body) })
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range docs {
		body, changed := gateway.ForgetCustomerJSON(d.body, email)
		if !changed {
			continue
		}
		if _, err := tx.Exec(ctx, update, body, d.key); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
