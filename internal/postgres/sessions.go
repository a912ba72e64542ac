package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/satsrail/satsrail/internal/gateway"
)

const sessionColumns = "id, merchant_id, mode, status, amount_cents, currency, line_items, customer_email, customer_name, " +
	"success_url, cancel_url, metadata, amount_sats, exchange_rate, payment_request, payment_hash, invoice_ref, invoice_claimed_at, " +
	"transaction_id, created_at, updated_at, expires_at, completed_at, expired_at, cancelled_at, locale"

func sessionArgs(s *gateway.CheckoutSession) []any {
	return []any{s.ID, s.MerchantID, s.Mode, s.Status, s.AmountCents, s.Currency, lineItemsArg(s.LineItems),
		s.CustomerEmail, s.CustomerName, s.SuccessURL, s.CancelURL, metadataArg(s.Metadata),
		s.AmountSats, s.ExchangeRate, s.PaymentRequest, nullText(s.PaymentHash), s.InvoiceRef, timeCol(s.InvoiceClaimedAt),
		nullText(s.TransactionID), timeCol(s.CreatedAt), timeCol(s.UpdatedAt), timeCol(s.ExpiresAt),
		timeCol(s.CompletedAt), timeCol(s.ExpiredAt), timeCol(s.CancelledAt), s.Locale}
}

func sessionDests(s *gateway.CheckoutSession) []any {
	return []any{&s.ID, &s.MerchantID, &s.Mode, &s.Status, &s.AmountCents, &s.Currency, (*lineItemsCol)(&s.LineItems),
		&s.CustomerEmail, &s.CustomerName, &s.SuccessURL, &s.CancelURL, (*metadataCol)(&s.Metadata),
		&s.AmountSats, &s.ExchangeRate, &s.PaymentRequest, (*nullText)(&s.PaymentHash), &s.InvoiceRef, (*timeCol)(&s.InvoiceClaimedAt),
		(*nullText)(&s.TransactionID), (*timeCol)(&s.CreatedAt), (*timeCol)(&s.UpdatedAt), (*timeCol)(&s.ExpiresAt),
		(*timeCol)(&s.CompletedAt), (*timeCol)(&s.ExpiredAt), (*timeCol)(&s.CancelledAt), &s.Locale}
}

var (
	scanSession   = scanner(sessionDests)
	insertSession = insertSQL("checkout_sessions", sessionColumns)
	updateSession = updateSQL("checkout_sessions", sessionColumns)
	sessionList   = listQuery[gateway.CheckoutSession]{table: "checkout_sessions", columns: sessionColumns, scan: scanSession, counted: true}
)

// CreateCheckoutSession stores a new session and, when done is given, its
// request's finished Idempotency-Key record in the same transaction.
func (s *Store) CreateCheckoutSession(ctx context.Context, sess *gateway.CheckoutSession, done *gateway.IdempotencyCompletion) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if done != nil {
			if err := insertDone(ctx, tx, done); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, insertSession, sessionArgs(sess)...); err != nil {
			return err
		}
		return addSessionProducts(ctx, tx, sess.ID, productIDs(sess.LineItems))
	})
	return mapErr(err, "create checkout session %s", sess.ID)
}

// GetCheckoutSession returns session id in scope.
func (s *Store) GetCheckoutSession(ctx context.Context, scope gateway.Scope, id string) (*gateway.CheckoutSession, error) {
	sess, err := getSession(ctx, s.pool, scope, id, "")
	if err != nil {
		return nil, mapErr(err, "get checkout session %s", id)
	}
	return &sess, nil
}

// getSession loads session id in scope, or in any scope when scope is zero,
// with an optional locking clause.
func getSession(ctx context.Context, q querier, scope gateway.Scope, id, lock string) (gateway.CheckoutSession, error) {
	query := "SELECT " + sessionColumns + " FROM checkout_sessions WHERE id = $1"
	args := []any{id}
	if scope != (gateway.Scope{}) {
		query += " AND merchant_id = $2 AND mode = $3"
		args = append(args, scope.MerchantID, scope.Mode)
	}
	return scanSession(q.QueryRow(ctx, query+" "+lock, args...))
}

// ListCheckoutSessions returns one page of the sessions in scope that match f.
func (s *Store) ListCheckoutSessions(ctx context.Context, scope gateway.Scope, f gateway.SessionFilter) (gateway.List[gateway.CheckoutSession], error) {
	c := scoped(scope)
	c.statusIs(string(f.Status))
	// Each search term is the leading column after the scope of its own
	// index (0009), whose expression it repeats exactly.
	c.add(f.OrderID != "", "(metadata ->> 'order_id') = ?", f.OrderID)
	c.add(f.CustomerEmail != "", `lower(customer_email COLLATE "C") = lower(? COLLATE "C")`, f.CustomerEmail)
	c.created(f.Created)
	l, err := sessionList.run(ctx, s, scope, c, f.Page)
	return l, mapErr(err, "list checkout sessions")
}

// UpdateCheckoutSession applies fn to session id and writes the session, the
// change's events with their webhook deliveries, and its transaction in one
// database transaction. The session's row is loaded FOR UPDATE, so an update
// of the same session on any node waits for this one to commit and then
// loads what it wrote; updates of other sessions run alongside. fn may run
// more than once if the server aborts the transaction to break a deadlock
// (see Store.tx); only the last run's change is written.
func (s *Store) UpdateCheckoutSession(ctx context.Context, scope gateway.Scope, id string,
	fn func(*gateway.CheckoutSession) (gateway.SessionChange, error)) (*gateway.CheckoutSession, error) {
	var sess gateway.CheckoutSession
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		if sess, err = getSession(ctx, tx, scope, id, "FOR UPDATE"); err != nil {
			return err
		}
		before := sess
		before.LineItems = slices.Clone(sess.LineItems) // fn may change the items in place
		change, err := fn(&sess)
		if err != nil {
			return passThrough{err}
		}
		if sess.ID != before.ID || sess.MerchantID != before.MerchantID || sess.Mode != before.Mode {
			return fmt.Errorf("the update changed the session's id, merchant or mode")
		}
		if _, err := tx.Exec(ctx, updateSession, append(sessionArgs(&sess), id)...); err != nil {
			return err
		}
		if ids := productIDs(sess.LineItems); !slices.Equal(ids, productIDs(before.LineItems)) {
			if _, err := tx.Exec(ctx, "DELETE FROM checkout_session_products WHERE session_id = $1", id); err != nil {
				return err
			}
			if err := addSessionProducts(ctx, tx, id, ids); err != nil {
				return err
			}
		}
		for _, ev := range change.Events {
			if err := insertEventTx(ctx, tx, &ev, ""); err != nil {
				return err
			}
		}
		if t := change.Transaction; t != nil {
			if _, err := tx.Exec(ctx, insertTransaction, transactionArgs(t)...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, unwrapCallback(err, "update checkout session %s", id)
	}
	return &sess, nil
}

// DueSessions lists the ids of pending sessions whose expires_at ≤ now,
// soonest first. A limit ≤ 0 means no limit.
func (s *Store) DueSessions(ctx context.Context, now time.Time, limit int) ([]string, error) {
	rows, err := s.pool.Query(ctx, dueSessions, timeCol(now), limitArg(limit))
	ids, err := scanAll(rows, err, scanString)
	return ids, mapErr(err, "due checkout sessions")
}

// dueSessions is the expiry worker's queue. 'pending' is a literal so the
// planner can use the partial index checkout_sessions_due.
const dueSessions = `SELECT id FROM checkout_sessions
	WHERE status = 'pending' AND expires_at <= $1 ORDER BY expires_at, id LIMIT $2`

// GetCheckoutSessionByPaymentHash returns the session, in any scope, whose
// invoice has this payment hash.
func (s *Store) GetCheckoutSessionByPaymentHash(ctx context.Context, paymentHash string) (*gateway.CheckoutSession, error) {
	sess, err := scanSession(s.pool.QueryRow(ctx,
		"SELECT "+sessionColumns+" FROM checkout_sessions WHERE payment_hash = $1", paymentHash))
	if err != nil {
		return nil, mapErr(err, "get checkout session by payment hash %s", paymentHash)
	}
	return &sess, nil
}

// reconcilableSessions is one arm per partial index, merged by id: the
// pending sessions with an invoice, walked in id order, and the recently
// expired and cancelled ones, found by when and then sorted (there are few).
// Each arm repeats its index's predicate literally so the planner can use it.
//
// reconcilableScopeSessions is the same for one merchant and mode: its
// pending arm walks that scope's own index (0006), so a sweep reads only the
// scope's sessions; the recent expired and cancelled ones of every scope are
// few enough to filter.
var (
	reconcilableSessions      = reconcilableQuery("")
	reconcilableScopeSessions = reconcilableQuery("merchant_id = $4 AND mode = $5 AND ")
)

// reconcilableQuery's arguments are afterID, expiredSince and limit, then
// the merchant id and mode if scope names them.
func reconcilableQuery(scope string) string {
	return "(SELECT " + sessionColumns + ` FROM checkout_sessions
	WHERE ` + scope + `status = 'pending' AND payment_hash IS NOT NULL AND id > $1 ORDER BY id LIMIT $3)
	UNION ALL
	(SELECT ` + sessionColumns + ` FROM checkout_sessions
	WHERE ` + scope + `status = 'expired' AND payment_hash IS NOT NULL AND expired_at >= $2 AND id > $1 ORDER BY id LIMIT $3)
	UNION ALL
	(SELECT ` + sessionColumns + ` FROM checkout_sessions
	WHERE ` + scope + `status = 'cancelled' AND payment_hash IS NOT NULL AND cancelled_at >= $2 AND id > $1 ORDER BY id LIMIT $3)
	ORDER BY id LIMIT $3`
}

// ReconcilableSessions lists the sessions of scope (of every scope when it
// is the zero Scope) with an invoice that are pending, or expired or
// cancelled at or after expiredSince, with id > afterID, in id order. A
// limit ≤ 0 means no limit.
func (s *Store) ReconcilableSessions(ctx context.Context, scope gateway.Scope, expiredSince time.Time, afterID string, limit int) ([]gateway.CheckoutSession, error) {
	// A plain time, not timeCol: the zero time must bound nothing, not
	// become NULL and match nothing.
	query, args := reconcilableSessions, []any{afterID, expiredSince, limitArg(limit)}
	if scope != (gateway.Scope{}) {
		query, args = reconcilableScopeSessions, append(args, scope.MerchantID, scope.Mode)
	}
	rows, err := s.pool.Query(ctx, query, args...)
	sessions, err := scanAll(rows, err, scanSession)
	return sessions, mapErr(err, "reconcilable checkout sessions")
}

// productIDs returns the distinct product ids a session's line items name, sorted.
func productIDs(items []gateway.LineItem) []string {
	var ids []string
	for _, li := range items {
		if li.ProductID != "" {
			ids = append(ids, li.ProductID)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// addSessionProducts records that session sessionID names productIDs. It
// first takes a share lock on those of the products that exist, held to the
// end of the transaction, so a DeleteProduct on another node (which locks
// the product FOR UPDATE before it looks for sessions naming it) either
// finishes first or sees this session.
func addSessionProducts(ctx context.Context, tx pgx.Tx, sessionID string, productIDs []string) error {
	if len(productIDs) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, "SELECT 1 FROM products WHERE id = ANY($1) ORDER BY id FOR SHARE", productIDs); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO checkout_session_products (session_id, product_id)
		SELECT $1, unnest($2::text[])`, sessionID, productIDs)
	return err
}
