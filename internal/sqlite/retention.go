package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// PruneDeliveryAttempts deletes at most limit webhook attempts made before
// t, oldest first (by webhook_attempts_at, migration 0019), and returns how
// many.
func (s *Store) PruneDeliveryAttempts(ctx context.Context, t time.Time, limit int) (int, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM webhook_attempts WHERE rowid IN
			(SELECT rowid FROM webhook_attempts WHERE at < ? ORDER BY at LIMIT ?)`, timeCol(t), limit)
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	return int(n), mapErr(err, "prune webhook attempts")
}

// ForgetCustomer erases email and the name beside it from every session of
// every merchant and from the stored copies of those sessions, in one
// transaction (see gateway.Store). Sessions are found merchant by merchant
// through checkout_sessions_customer_email; stored replies by the email's
// JSON encoding in their bytes (a sealed reply never matches, and none
// holds a session).
func (s *Store) ForgetCustomer(ctx context.Context, email string) (gateway.CustomerForgotten, error) {
	var got gateway.CustomerForgotten
	err := s.write(ctx, func(tx *sql.Tx) error {
		got = gateway.CustomerForgotten{}
		type found struct{ id, merchant, mode, email string }
		// CROSS JOIN fixes the order (merchants, modes, then sessions), so
		// each merchant and mode is one probe of the email index, never a
		// scan of every session.
		rows, err := tx.QueryContext(ctx, `SELECT c.id, c.merchant_id, c.mode, c.customer_email
			FROM merchants m CROSS JOIN (SELECT 'live' AS mode UNION ALL SELECT 'test') k CROSS JOIN checkout_sessions c
			WHERE c.merchant_id = m.id AND c.mode = k.mode AND lower(c.customer_email) = lower(?)`, email)
		sessions, err := scanAll(rows, err, func(r rowScanner) (f found, err error) {
			return f, r.Scan(&f.id, &f.merchant, &f.mode, &f.email)
		})
		if err != nil {
			return err
		}
		spellings := map[string]bool{}
		for _, f := range sessions {
			res, err := tx.ExecContext(ctx, `UPDATE checkout_sessions SET customer_email = '', customer_name = '' WHERE id = ?`, f.id)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				got.Sessions++
			}
			spellings[f.email] = true
			evs, err := tx.QueryContext(ctx, `SELECT seq, body FROM events WHERE merchant_id = ? AND mode = ? AND object_id = ?`, f.merchant, f.mode, f.id)
			n, err := rewrite(ctx, tx, evs, err, email, `UPDATE events SET body = ? WHERE seq = ?`)
			if err != nil {
				return err
			}
			got.Events += n
		}
		for spelling := range spellings {
			enc, _ := json.Marshal(spelling)
			replies, err := tx.QueryContext(ctx, `SELECT rowid, body FROM idempotency_keys WHERE done = 1 AND instr(body, ?) > 0`, enc)
			n, err := rewrite(ctx, tx, replies, err, email, `UPDATE idempotency_keys SET body = ? WHERE rowid = ?`)
			if err != nil {
				return err
			}
			got.IdempotentReplies += n
		}
		return nil
	})
	return got, mapErr(err, "forget customer")
}

// rewrite reads (rowid, body) rows, erases email from each body
// (gateway.ForgetCustomerJSON) and saves the changed ones with update.
func rewrite(ctx context.Context, tx *sql.Tx, rows *sql.Rows, err error, email, update string) (int, error) {
	type doc struct {
		row  int64
		body []byte
	}
	docs, err := scanAll(rows, err, func(r rowScanner) (d doc, err error) { return d, r.Scan(&d.row, &d.body) })
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range docs {
		body, changed := gateway.ForgetCustomerJSON(d.body, email)
		if !changed {
			continue
		}
		if _, err := tx.ExecContext(ctx, update, body, d.row); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
