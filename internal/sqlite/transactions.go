package sqlite

import (
	"context"

	"github.com/satsrail/satsrail/internal/gateway"
)

const transactionColumns = "id, merchant_id, mode, checkout_session_id, status, payment_hash, preimage, " +
	"amount_msat, amount_sats, amount_cents, currency, exchange_rate, settled_at, created_at"

func transactionArgs(t *gateway.Transaction) []any {
	return []any{t.ID, t.MerchantID, t.Mode, nullText(t.CheckoutSessionID), t.Status, t.PaymentHash, t.Preimage,
		t.AmountMsat, t.AmountSats, t.AmountCents, t.Currency, t.ExchangeRate, timeCol(t.SettledAt), timeCol(t.CreatedAt)}
}

func transactionDests(t *gateway.Transaction) []any {
	return []any{&t.ID, &t.MerchantID, &t.Mode, (*nullText)(&t.CheckoutSessionID), &t.Status, &t.PaymentHash, &t.Preimage,
		&t.AmountMsat, &t.AmountSats, &t.AmountCents, &t.Currency, &t.ExchangeRate, (*timeCol)(&t.SettledAt), (*timeCol)(&t.CreatedAt)}
}

var (
	scanTransaction   = scanner(transactionDests)
	insertTransaction = insertSQL("transactions", transactionColumns)
	transactionList   = listQuery[gateway.Transaction]{table: "transactions", columns: transactionColumns, scan: scanTransaction, counted: true}
)

// GetTransaction returns transaction id in scope.
func (s *Store) GetTransaction(ctx context.Context, scope gateway.Scope, id string) (*gateway.Transaction, error) {
	t, err := scanTransaction(s.reader.QueryRowContext(ctx, "SELECT "+transactionColumns+
		" FROM transactions WHERE id = ? AND merchant_id = ? AND mode = ?", id, scope.MerchantID, scope.Mode))
	if err != nil {
		return nil, mapErr(err, "get transaction %s", id)
	}
	return &t, nil
}

// ListTransactions returns one page of the transactions in scope that match f.
func (s *Store) ListTransactions(ctx context.Context, scope gateway.Scope, f gateway.TransactionFilter) (gateway.List[gateway.Transaction], error) {
	c := scoped(scope)
	c.statusIs(string(f.Status))
	c.add(f.CheckoutSessionID != "", "checkout_session_id = ?", f.CheckoutSessionID)
	c.add(f.PaymentHash != "", "payment_hash = ?", f.PaymentHash)
	c.created(f.Created)
	l, err := transactionList.run(ctx, s, scope, c, f.Page)
	return l, mapErr(err, "list transactions")
}
