package sqlite

import (
	"context"
	"database/sql"
	"math/bits"
	"strings"

	"github.com/satsrail/satsrail/internal/gateway"
)

// Session creates go in with one statement per table for a whole batch.
//
// The writer is the one serial part of a create, and each statement costs it
// a fixed part (database/sql, binding, starting and ending the statement)
// of about a quarter of a one-row session insert. So a batch's creates
// insert their Idempotency-Key records in one INSERT, which RETURNs the keys
// it stored, and then, in another, the sessions whose record it stored (and
// those without a key) — in chunks of a power of two rows (at most
// maxCreateRows), so a connection keeps a few prepared forms of each
// statement, not one per batch size.

// sessionCreate is one session to store, with its request's finished
// Idempotency-Key record when it has one.
type sessionCreate struct {
	sess     *gateway.CheckoutSession
	done     *gateway.IdempotencyCompletion // nil: no Idempotency-Key
	products []string                       // the product ids its line items name
	// taken is set by insertCreates when the key has a live record (or an
	// earlier create of the same batch took it): then nothing of the create
	// was written.
	taken bool
}

// takenErr is gateway.ErrIdempotencyKeyTaken if c's key was taken.
func (c *sessionCreate) takenErr() error {
	if c.taken {
		return gateway.ErrIdempotencyKeyTaken
	}
	return nil
}

// maxCreateRows bounds the rows of one statement.
const maxCreateRows = 64

// insertCreates stores cs in tx. A create whose key is taken writes nothing
// and is marked taken; an error is the transaction's.
func insertCreates(ctx context.Context, tx *sql.Tx, cs []*sessionCreate) error {
	var keyed []*sessionCreate
	seen := map[[2]string]bool{}
	for _, c := range cs {
		c.taken = false
		if c.done == nil {
			continue
		}
		k := [2]string{c.done.APIKeyID, c.done.Key}
		if seen[k] {
			c.taken = true // the batch's first create with the key stores it
			continue
		}
		seen[k] = true
		keyed = append(keyed, c)
	}
	for len(keyed) > 0 {
		n := chunk(keyed, func(a, b *sessionCreate) bool { return retention(a.done) == retention(b.done) })
		if err := insertDoneRows(ctx, tx, keyed[:n]); err != nil {
			return err
		}
		keyed = keyed[n:]
	}
	var fresh []*sessionCreate
	for _, c := range cs {
		if !c.taken {
			fresh = append(fresh, c)
		}
	}
	for len(fresh) > 0 {
		n := chunk(fresh, nil)
		args := make([]any, 0, n*sessionArgCount)
		for _, c := range fresh[:n] {
			args = append(args, sessionArgs(c.sess)...)
		}
		if _, err := tx.ExecContext(ctx, insertSessionRows[bits.Len(uint(n))-1], args...); err != nil {
			return err
		}
		for _, c := range fresh[:n] {
			if err := addSessionProducts(ctx, tx, c.sess.ID, c.products); err != nil {
				return err
			}
		}
		fresh = fresh[n:]
	}
	return nil
}

// chunk returns how many of cs (at least one) the next statement takes: the
// largest power of two, at most maxCreateRows, of the leading creates that
// are alike (every one, if alike is nil).
func chunk(cs []*sessionCreate, alike func(a, b *sessionCreate) bool) int {
	n := 1
	for n < len(cs) && n < maxCreateRows && (alike == nil || alike(cs[0], cs[n])) {
		n++
	}
	return 1 << (bits.Len(uint(n)) - 1)
}

// retention is how long before a record's own creation an existing record
// of its key must have been made to be replaced: expired, or unfinished and
// stale (see gateway.IdempotencyCompletion), in microseconds as stored.
func retention(d *gateway.IdempotencyCompletion) [2]int64 {
	at := d.CreatedAt.UnixMicro()
	return [2]int64{at - d.ExpiredBefore.UnixMicro(), at - d.StaleBefore.UnixMicro()}
}

// insertDoneRows stores the finished records of cs, which share their
// retention, and marks taken each create whose key has a live record: the
// statement neither inserts nor replaces its row, so does not return it.
func insertDoneRows(ctx context.Context, tx *sql.Tx, cs []*sessionCreate) error {
	args := make([]any, 0, len(cs)*6+2)
	for _, c := range cs {
		d := c.done
		args = append(args, d.APIKeyID, d.Key, d.RequestHash, d.Status, d.Body, timeCol(d.CreatedAt))
	}
	r := retention(cs[0].done)
	args = append(args, r[0], r[1])
	rows, err := tx.QueryContext(ctx, insertDoneRowsSQL[bits.Len(uint(len(cs)))-1], args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	stored := make(map[[2]string]bool, len(cs))
	for rows.Next() {
		var k [2]string
		if err := rows.Scan(&k[0], &k[1]); err != nil {
			return err
		}
		stored[k] = true
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range cs {
		c.taken = !stored[[2]string{c.done.APIKeyID, c.done.Key}]
	}
	return nil
}

// The statements for 1, 2, 4, ... maxCreateRows rows, by log2 of the count.
var (
	sessionArgCount   = len(sessionArgs(&gateway.CheckoutSession{}))
	insertSessionRows = rowForms(insertSession, sessionArgCount, "")
	insertDoneRowsSQL = rowForms(`INSERT INTO idempotency_keys (api_key_id, key, request_hash, done, status, body, created_at)
		VALUES (?, ?, ?, 1, ?, ?, ?)`, 0, `
		ON CONFLICT (api_key_id, key) DO UPDATE SET request_hash = excluded.request_hash, done = 1,
			status = excluded.status, body = excluded.body, created_at = excluded.created_at
		WHERE idempotency_keys.created_at < excluded.created_at - ?
			OR (idempotency_keys.done = 0 AND idempotency_keys.created_at < excluded.created_at - ?)
		RETURNING api_key_id, key`)
)

// rowForms returns insert, whose VALUES list is its end, with 1, 2, 4, ...
// maxCreateRows rows, each followed by tail. A row repeats insert's last
// parenthesised list; columns, if not 0, checks its length.
func rowForms(insert string, columns int, tail string) []string {
	row := insert[strings.LastIndex(insert, "("):]
	if columns != 0 && strings.Count(row, "?") != columns {
		panic("sqlite: insert row does not match its columns: " + row)
	}
	var forms []string
	for n := 1; n <= maxCreateRows; n *= 2 {
		forms = append(forms, insert+strings.Repeat(", "+row, n-1)+tail)
	}
	return forms
}
