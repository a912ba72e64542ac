package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/satsrail/satsrail/internal/gateway"
)

const testInvoiceColumns = "payment_hash, merchant_id, preimage, payment_request, amount_msat, amount_paid_msat, " +
	"created_at, expires_at, settled_at"

func testInvoiceArgs(inv *gateway.TestInvoice) []any {
	return []any{inv.PaymentHash, inv.MerchantID, inv.Preimage, inv.PaymentRequest, inv.AmountMsat, inv.AmountPaidMsat,
		timeCol(inv.CreatedAt), timeCol(inv.ExpiresAt), timeCol(inv.SettledAt)}
}

func testInvoiceDests(inv *gateway.TestInvoice) []any {
	return []any{&inv.PaymentHash, &inv.MerchantID, &inv.Preimage, &inv.PaymentRequest, &inv.AmountMsat, &inv.AmountPaidMsat,
		(*timeCol)(&inv.CreatedAt), (*timeCol)(&inv.ExpiresAt), (*timeCol)(&inv.SettledAt)}
}

var (
	scanTestInvoice   = scanner(testInvoiceDests)
	insertTestInvoice = insertSQL("test_wallet_invoices", testInvoiceColumns)
	getTestInvoice    = "SELECT " + testInvoiceColumns + " FROM test_wallet_invoices WHERE payment_hash = $1"
	// settled_at IS NULL lets the planner use the partial index
	// test_wallet_invoices_due, which holds only unpaid invoices.
	dueTestInvoices = "SELECT " + testInvoiceColumns + ` FROM test_wallet_invoices
		WHERE settled_at IS NULL AND expires_at > $1 AND created_at <= $2
		ORDER BY created_at, payment_hash LIMIT $3`
)

// TestWalletKey returns the sealed test wallet node key of merchantID.
func (s *Store) TestWalletKey(ctx context.Context, merchantID string) ([]byte, error) {
	var sealed []byte
	err := s.pool.QueryRow(ctx, "SELECT sealed FROM test_wallet_keys WHERE merchant_id = $1", merchantID).Scan(&sealed)
	if err != nil {
		return nil, mapErr(err, "get test wallet key of merchant %s", merchantID)
	}
	return sealed, nil
}

// PutTestWalletKey stores sealed as merchantID's key unless it has one, and
// returns the stored key. The insert does nothing if a key is there, waiting
// first for a racing insert of one to commit or roll back; the read after
// it, a statement of its own, sees whichever key won. An unknown merchant is
// gateway.ErrNotFound.
func (s *Store) PutTestWalletKey(ctx context.Context, merchantID string, sealed []byte) ([]byte, error) {
	var stored []byte
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var id string
		if err := tx.QueryRow(ctx, "SELECT id FROM merchants WHERE id = $1", merchantID).Scan(&id); err != nil {
			return err
		}
		// The port passes no time; created_at is only a record of when the
		// key was made, never read, so the server's clock will do.
		if _, err := tx.Exec(ctx, `INSERT INTO test_wallet_keys (merchant_id, sealed, created_at) VALUES ($1, $2, now())
			ON CONFLICT (merchant_id) DO NOTHING`, merchantID, sealed); err != nil {
			return err
		}
		return tx.QueryRow(ctx, "SELECT sealed FROM test_wallet_keys WHERE merchant_id = $1", merchantID).Scan(&stored)
	})
	if err != nil {
		return nil, mapErr(err, "put test wallet key of merchant %s", merchantID)
	}
	return stored, nil
}

// InsertTestInvoice stores a new test invoice; a known payment hash is a
// gateway.ErrConflict.
func (s *Store) InsertTestInvoice(ctx context.Context, inv gateway.TestInvoice) error {
	_, err := s.pool.Exec(ctx, insertTestInvoice, testInvoiceArgs(&inv)...)
	return mapErr(err, "insert test invoice %s", inv.PaymentHash)
}

// GetTestInvoice returns the test invoice with this payment hash.
func (s *Store) GetTestInvoice(ctx context.Context, paymentHash string) (*gateway.TestInvoice, error) {
	inv, err := scanTestInvoice(s.pool.QueryRow(ctx, getTestInvoice, paymentHash))
	if err != nil {
		return nil, mapErr(err, "get test invoice %s", paymentHash)
	}
	return &inv, nil
}

// PayTestInvoice settles an unpaid test invoice with amount at time at and
// returns it as stored; a paid one comes back unchanged. The update only
// touches an unpaid row: a racing payment waits for the row lock, then finds
// the row paid and leaves it, so an invoice is paid once however many pay
// it, and every payer reads back the one payment.
func (s *Store) PayTestInvoice(ctx context.Context, paymentHash string, amount gateway.MilliSat, at time.Time) (*gateway.TestInvoice, error) {
	var inv gateway.TestInvoice
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		inv, err = scanTestInvoice(tx.QueryRow(ctx, `UPDATE test_wallet_invoices SET amount_paid_msat = $1, settled_at = $2
			WHERE payment_hash = $3 AND settled_at IS NULL RETURNING `+testInvoiceColumns, amount, timeCol(at), paymentHash))
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		inv, err = scanTestInvoice(tx.QueryRow(ctx, getTestInvoice, paymentHash))
		return err
	})
	if err != nil {
		return nil, mapErr(err, "pay test invoice %s", paymentHash)
	}
	return &inv, nil
}

// DueTestInvoices lists the unpaid test invoices created at or before
// createdBefore that expire after now, oldest first. A limit ≤ 0 means no
// limit.
func (s *Store) DueTestInvoices(ctx context.Context, createdBefore, now time.Time, limit int) ([]gateway.TestInvoice, error) {
	rows, err := s.pool.Query(ctx, dueTestInvoices, timeCol(now), timeCol(createdBefore), limitArg(limit))
	invs, err := scanAll(rows, err, scanTestInvoice)
	return invs, mapErr(err, "due test invoices")
}
