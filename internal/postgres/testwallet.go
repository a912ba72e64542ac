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
	// Both read the partial unique index test_wallet_invoices_settled.
	lastTestSettlement  = "SELECT COALESCE(MAX(settle_seq), 0) FROM test_wallet_invoices WHERE settle_seq IS NOT NULL"
	testSettlementsFrom = `SELECT settle_seq, payment_hash FROM test_wallet_invoices
		WHERE settle_seq > $1 ORDER BY settle_seq LIMIT $2`
)

// settleLock is the key of the transaction-level advisory lock every test
// invoice payment holds until it commits, so settlement numbers become
// visible in the order they were handed out. An arbitrary constant, apart
// from migrationLock: "twsettle" in ASCII.
const settleLock int64 = 0x7477736574746c65

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
//
// The payment is numbered one above the latest. Payments take settleLock
// first and hold it until they commit (which makes them visible before the
// lock is released), so the next payer's statement sees the number just
// used, and a reader never sees a number while a smaller one is still to
// commit: TestSettlementsAfter's order is commit order, on every node.
func (s *Store) PayTestInvoice(ctx context.Context, paymentHash string, amount gateway.MilliSat, at time.Time) (*gateway.TestInvoice, error) {
	var inv gateway.TestInvoice
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", settleLock); err != nil {
			return err
		}
		var err error
		inv, err = scanTestInvoice(tx.QueryRow(ctx, `UPDATE test_wallet_invoices SET amount_paid_msat = $1, settled_at = $2,
			settle_seq = (`+lastTestSettlement+`) + 1
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

// LastTestSettlement returns the settlement number of the latest test
// invoice payment, 0 before the first.
func (s *Store) LastTestSettlement(ctx context.Context) (int64, error) {
	var seq int64
	err := s.pool.QueryRow(ctx, lastTestSettlement).Scan(&seq)
	return seq, mapErr(err, "last test settlement")
}

// TestSettlementsAfter lists the test invoice payments numbered above seq,
// in order, at most limit (≤ 0: no limit).
func (s *Store) TestSettlementsAfter(ctx context.Context, seq int64, limit int) ([]gateway.Settlement, error) {
	rows, err := s.pool.Query(ctx, testSettlementsFrom, seq, limitArg(limit))
	out, err := scanAll(rows, err, func(r rowScanner) (st gateway.Settlement, err error) {
		return st, r.Scan(&st.Seq, &st.PaymentHash)
	})
	return out, mapErr(err, "test settlements after %d", seq)
}
