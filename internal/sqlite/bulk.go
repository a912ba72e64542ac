package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/satsrail/satsrail/internal/gateway"
)

// Bulk is a batch of rows for BulkInsert. Each session's and transaction's
// merchant must exist; a transaction's session must be in this batch or
// already stored.
type Bulk struct {
	Sessions     []gateway.CheckoutSession
	Transactions []gateway.Transaction
	TestInvoices []gateway.TestInvoice
}

// bulkPragmas tune the writer connection for BulkInsert, and stay with it:
// BulkInsert is for seeding tools, not a serving gateway.
var bulkPragmas = []string{
	// The indexes a seed writes are keyed at random (ids, payment hashes),
	// so with SQLite's default 2 MiB page cache each row would read and
	// write back pages of each of them. The cache only grows as it is used.
	"PRAGMA cache_size = -262144", // KiB
	// The list count triggers make every insert keep a statement journal,
	// a copy of each page it changes in case it must be undone alone; by
	// default that is a temporary file, written a few pages per row.
	"PRAGMA temp_store = MEMORY",
}

// BulkInsert stores every row of b in one transaction, for seeding large
// databases (load tests, benchmarks). Rows go through the same statements and
// column converters as CreateCheckoutSession, UpdateCheckoutSession's
// transaction insert and InsertTestInvoice, and the list counters are kept by
// the same triggers, so a seeded row is indistinguishable from a real one. It
// records no events or webhook deliveries. Any error rolls the whole batch
// back; batches of about 10,000 rows keep the transaction's memory modest.
func (s *Store) BulkInsert(ctx context.Context, b Bulk) error {
	// On their own, before the batch's transaction: SQLite reads temp_store
	// when a transaction begins.
	err := s.write(ctx, func(tx *sql.Tx) error {
		for _, pragma := range bulkPragmas {
			if _, err := tx.ExecContext(ctx, pragma); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return mapErr(err, "bulk insert")
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		sessions, err := tx.PrepareContext(ctx, insertSession)
		if err != nil {
			return err
		}
		defer sessions.Close()
		for i := range b.Sessions {
			sess := &b.Sessions[i]
			if _, err := sessions.ExecContext(ctx, sessionArgs(sess)...); err != nil {
				return fmt.Errorf("session %s: %w", sess.ID, err)
			}
			if err := addSessionProducts(ctx, tx, sess.ID, productIDs(sess.LineItems)); err != nil {
				return fmt.Errorf("session %s: %w", sess.ID, err)
			}
		}
		txns, err := tx.PrepareContext(ctx, insertTransaction)
		if err != nil {
			return err
		}
		defer txns.Close()
		for i := range b.Transactions {
			t := &b.Transactions[i]
			if _, err := txns.ExecContext(ctx, transactionArgs(t)...); err != nil {
				return fmt.Errorf("transaction %s: %w", t.ID, err)
			}
		}
		invs, err := tx.PrepareContext(ctx, insertTestInvoice)
		if err != nil {
			return err
		}
		defer invs.Close()
		for i := range b.TestInvoices {
			inv := &b.TestInvoices[i]
			if _, err := invs.ExecContext(ctx, testInvoiceArgs(inv)...); err != nil {
				return fmt.Errorf("test invoice %s: %w", inv.PaymentHash, err)
			}
		}
		return nil
	})
	return mapErr(err, "bulk insert")
}
