package sqlite

import (
	"context"
	"database/sql"
	"time"

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
	getTestInvoice    = "SELECT " + testInvoiceColumns + " FROM test_wallet_invoices WHERE payment_hash = ?"
	// settled_at IS NULL and expires_at > ? let SQLite use the partial index
	// test_wallet_invoices_due, which holds only unpaid invoices.
	dueTestInvoices = "SELECT " + testInvoiceColumns + ` FROM test_wallet_invoices
		WHERE settled_at IS NULL AND expires_at > ? AND created_at <= ?
		ORDER BY created_at, payment_hash LIMIT ?`
	// Both read the partial unique index test_wallet_invoices_settled.
	lastTestSettlement  = "SELECT COALESCE(MAX(settle_seq), 0) FROM test_wallet_invoices WHERE settle_seq IS NOT NULL"
	testSettlementsFrom = `SELECT settle_seq, payment_hash FROM test_wallet_invoices
		WHERE settle_seq > ? ORDER BY settle_seq LIMIT ?`
)

// TestWalletKey returns the sealed test wallet node key of merchantID.
func (s *Store) TestWalletKey(ctx context.Context, merchantID string) ([]byte, error) {
	var sealed []byte
	err := s.reader.QueryRowContext(ctx, "SELECT sealed FROM test_wallet_keys WHERE merchant_id = ?", merchantID).Scan(&sealed)
	if err != nil {
		return nil, mapErr(err, "get test wallet key of merchant %s", merchantID)
	}
	return sealed, nil
}

// PutTestWalletKey stores sealed as merchantID's key unless it has one, and
// returns the stored key. The insert and the read back share one immediate
// transaction, so of two racing callers the second reads the first's key.
// An unknown merchant is gateway.ErrNotFound.
func (s *Store) PutTestWalletKey(ctx context.Context, merchantID string, sealed []byte) ([]byte, error) {
	var stored []byte
	err := s.write(ctx, func(tx *sql.Tx) error {
		var id string
		if err := tx.QueryRowContext(ctx, "SELECT id FROM merchants WHERE id = ?", merchantID).Scan(&id); err != nil {
			return err
		}
		// The port passes no time; created_at is only a record of when the
		// key was made, never read, so the wall clock will do.
		if _, err := tx.ExecContext(ctx, `INSERT INTO test_wallet_keys (merchant_id, sealed, created_at) VALUES (?, ?, ?)
			ON CONFLICT (merchant_id) DO NOTHING`, merchantID, sealed, timeCol(time.Now())); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, "SELECT sealed FROM test_wallet_keys WHERE merchant_id = ?", merchantID).Scan(&stored)
	})
	if err != nil {
		return nil, mapErr(err, "put test wallet key of merchant %s", merchantID)
	}
	return stored, nil
}

// InsertTestInvoice stores a new test invoice; a known payment hash is a
// gateway.ErrConflict.
func (s *Store) InsertTestInvoice(ctx context.Context, inv gateway.TestInvoice) error {
	_, err := s.writer.ExecContext(ctx, insertTestInvoice, testInvoiceArgs(&inv)...)
	return mapErr(err, "insert test invoice %s", inv.PaymentHash)
}

// GetTestInvoice returns the test invoice with this payment hash.
func (s *Store) GetTestInvoice(ctx context.Context, paymentHash string) (*gateway.TestInvoice, error) {
	inv, err := scanTestInvoice(s.reader.QueryRowContext(ctx, getTestInvoice, paymentHash))
	if err != nil {
		return nil, mapErr(err, "get test invoice %s", paymentHash)
	}
	return &inv, nil
}

// PayTestInvoice settles an unpaid test invoice with amount at time at and
// returns it as stored; a paid one comes back unchanged. The update only
// touches an unpaid row, so an invoice is paid once however many pay it.
// The payment is numbered one above the latest: writers of the file, in any
// process, are serialised by the immediate transaction, so numbers are
// handed out in commit order and readers see them in order.
func (s *Store) PayTestInvoice(ctx context.Context, paymentHash string, amount gateway.MilliSat, at time.Time) (*gateway.TestInvoice, error) {
	var inv gateway.TestInvoice
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE test_wallet_invoices SET amount_paid_msat = ?, settled_at = ?,
			settle_seq = (`+lastTestSettlement+`) + 1
			WHERE payment_hash = ? AND settled_at IS NULL`, amount, timeCol(at), paymentHash); err != nil {
			return err
		}
		var err error
		inv, err = scanTestInvoice(tx.QueryRowContext(ctx, getTestInvoice, paymentHash))
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
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := s.reader.QueryContext(ctx, dueTestInvoices, timeCol(now), timeCol(createdBefore), limit)
	invs, err := scanAll(rows, err, scanTestInvoice)
	return invs, mapErr(err, "due test invoices")
}

// LastTestSettlement returns the settlement number of the latest test
// invoice payment, 0 before the first.
func (s *Store) LastTestSettlement(ctx context.Context) (int64, error) {
	var seq int64
	err := s.reader.QueryRowContext(ctx, lastTestSettlement).Scan(&seq)
	return seq, mapErr(err, "last test settlement")
}

// TestSettlementsAfter lists the test invoice payments numbered above seq,
// in order, at most limit (≤ 0: no limit).
func (s *Store) TestSettlementsAfter(ctx context.Context, seq int64, limit int) ([]gateway.Settlement, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := s.reader.QueryContext(ctx, testSettlementsFrom, seq, limit)
	out, err := scanAll(rows, err, func(r rowScanner) (st gateway.Settlement, err error) {
		return st, r.Scan(&st.Seq, &st.PaymentHash)
	})
	return out, mapErr(err, "test settlements after %d", seq)
}
