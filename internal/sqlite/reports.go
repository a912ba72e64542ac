package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/satsrail/satsrail/internal/gateway"
)

// RevenueDays returns the revenue rollup (migration 0014) of scope for days
// first..last, by day then currency: one primary-key range.
func (s *Store) RevenueDays(ctx context.Context, scope gateway.Scope, first, last int64) ([]gateway.RevenueDay, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT day, currency, payments, sats, cents FROM revenue_days
		WHERE merchant_id = ? AND mode = ? AND day >= ? AND day <= ? AND payments <> 0
		ORDER BY day, currency`, scope.MerchantID, scope.Mode, first, last)
	days, err := scanAll(rows, err, func(r rowScanner) (d gateway.RevenueDay, err error) {
		return d, r.Scan(&d.Day, &d.Currency, &d.Payments, &d.Sats, &d.Cents)
	})
	return days, mapErr(err, "revenue days")
}

// ExportTransactions returns one keyset page of scope's transactions
// matching f, newest first, after after: the list's own index walked from
// the cursor, with no count and no offset, so every page costs the same.
func (s *Store) ExportTransactions(ctx context.Context, scope gateway.Scope, f gateway.TransactionFilter, after gateway.Keyset, limit int) ([]gateway.Transaction, error) {
	c := scoped(scope)
	c.statusIs(string(f.Status))
	c.add(f.CheckoutSessionID != "", "checkout_session_id = ?", f.CheckoutSessionID)
	c.add(f.PaymentHash != "", "payment_hash = ?", f.PaymentHash)
	c.created(f.Created)
	if after != (gateway.Keyset{}) {
		c.push("(created_at, id) < (?, ?)", timeCol(after.CreatedAt), after.ID)
	}
	q, args := transactionList.page(c, limit, 0)
	rows, err := s.reader.QueryContext(ctx, q, args...)
	txns, err := scanAll(rows, err, scanTransaction)
	return txns, mapErr(err, "export transactions")
}

// ListDeliveriesForEvents returns the deliveries of the events named that
// belong to scope, by creation then id, each found through the
// (event_id, endpoint_id) unique index.
func (s *Store) ListDeliveriesForEvents(ctx context.Context, scope gateway.Scope, eventIDs []string) ([]gateway.Delivery, error) {
	if len(eventIDs) == 0 {
		return nil, nil
	}
	args := []any{scope.MerchantID, scope.Mode}
	for _, id := range eventIDs {
		args = append(args, id)
	}
	rows, err := s.reader.QueryContext(ctx, "SELECT "+deliveryColumns+` FROM webhook_deliveries
		WHERE merchant_id = ? AND mode = ? AND event_id IN (?`+strings.Repeat(", ?", len(eventIDs)-1)+`)
		ORDER BY created_at, id`, args...)
	ds, err := scanAll(rows, err, scanDelivery)
	return ds, mapErr(err, "list deliveries of events")
}

// LatestDeliveries returns the newest delivery to each endpoint named that
// has one in scope, each the first entry of the endpoint's log index
// (webhook_deliveries_endpoint), in one read transaction.
func (s *Store) LatestDeliveries(ctx context.Context, scope gateway.Scope, endpointIDs []string) ([]gateway.Delivery, error) {
	var out []gateway.Delivery
	err := s.read(ctx, func(tx *sql.Tx) error {
		for _, id := range endpointIDs {
			d, err := scanDelivery(tx.QueryRowContext(ctx, "SELECT "+deliveryColumns+` FROM webhook_deliveries
				WHERE endpoint_id = ? AND merchant_id = ? AND mode = ? ORDER BY created_at DESC, id DESC LIMIT 1`,
				id, scope.MerchantID, scope.Mode))
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	return out, mapErr(err, "latest deliveries")
}
