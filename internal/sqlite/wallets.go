package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

const walletColumns = "id, merchant_id, mode, type, network, config, settle_index, last_invoice_at, last_error, " +
	"last_error_at, stream_alive, created_at, updated_at, stream_owner, stream_lease_until"

func walletArgs(w *gateway.WalletConnection) []any {
	return []any{w.ID, w.MerchantID, w.Mode, w.Type, w.Network, w.Config, int64(w.SettleIndex), timeCol(w.LastInvoiceAt),
		w.LastError, timeCol(w.LastErrorAt), w.StreamAlive, timeCol(w.CreatedAt), timeCol(w.UpdatedAt), w.StreamOwner, timeCol(w.StreamLeaseUntil)}
}

func walletDests(w *gateway.WalletConnection) []any {
	return []any{&w.ID, &w.MerchantID, &w.Mode, &w.Type, &w.Network, &w.Config, &w.SettleIndex, (*timeCol)(&w.LastInvoiceAt),
		&w.LastError, (*timeCol)(&w.LastErrorAt), &w.StreamAlive, (*timeCol)(&w.CreatedAt), (*timeCol)(&w.UpdatedAt), &w.StreamOwner, (*timeCol)(&w.StreamLeaseUntil)}
}

var (
	scanWallet   = scanner(walletDests)
	insertWallet = insertSQL("wallet_connections", walletColumns)
	updateWallet = updateSQL("wallet_connections", walletColumns)
)

// PutWalletConnection stores w as its scope's wallet, replacing any other.
func (s *Store) PutWalletConnection(ctx context.Context, w *gateway.WalletConnection) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM wallet_connections WHERE merchant_id = ? AND mode = ?", w.MerchantID, w.Mode); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, insertWallet, walletArgs(w)...)
		return err
	})
	return mapErr(err, "put wallet connection %s", w.ID)
}

// GetWalletConnection returns the scope's wallet connection.
func (s *Store) GetWalletConnection(ctx context.Context, scope gateway.Scope) (*gateway.WalletConnection, error) {
	w, err := scanWallet(s.reader.QueryRowContext(ctx, "SELECT "+walletColumns+" FROM wallet_connections WHERE merchant_id = ? AND mode = ?",
		scope.MerchantID, scope.Mode))
	if err != nil {
		return nil, mapErr(err, "get wallet connection")
	}
	return &w, nil
}

// DeleteWalletConnection forgets the scope's wallet.
func (s *Store) DeleteWalletConnection(ctx context.Context, scope gateway.Scope) error {
	res, err := s.writer.ExecContext(ctx, "DELETE FROM wallet_connections WHERE merchant_id = ? AND mode = ?", scope.MerchantID, scope.Mode)
	if err == nil {
		if n, _ := res.RowsAffected(); n == 0 {
			err = sql.ErrNoRows
		}
	}
	return mapErr(err, "delete wallet connection")
}

// ListWalletConnections lists every wallet connection, oldest first.
func (s *Store) ListWalletConnections(ctx context.Context) ([]gateway.WalletConnection, error) {
	rows, err := s.reader.QueryContext(ctx, "SELECT "+walletColumns+" FROM wallet_connections ORDER BY created_at, id")
	ws, err := scanAll(rows, err, scanWallet)
	return ws, mapErr(err, "list wallet connections")
}

// UpdateWalletHealth applies fn to connection id in one transaction.
func (s *Store) UpdateWalletHealth(ctx context.Context, id string, fn func(*gateway.WalletConnection)) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		w, err := scanWallet(tx.QueryRowContext(ctx, "SELECT "+walletColumns+" FROM wallet_connections WHERE id = ?", id))
		if err != nil {
			return err
		}
		merchant, mode := w.MerchantID, w.Mode
		fn(&w)
		w.ID, w.MerchantID, w.Mode = id, merchant, mode
		_, err = tx.ExecContext(ctx, updateWallet, append(walletArgs(&w), id)...)
		return err
	})
	return mapErr(err, "update wallet %s", id)
}

// ClaimWalletStream gives node the settlement-stream lease of connection id
// until until, if the lease is free, lapsed at now, or already node's.
func (s *Store) ClaimWalletStream(ctx context.Context, id, node string, now, until time.Time) (bool, error) {
	res, err := s.writer.ExecContext(ctx, `UPDATE wallet_connections SET stream_owner = ?, stream_lease_until = ?
		WHERE id = ? AND (stream_owner = '' OR stream_owner = ? OR stream_lease_until IS NULL OR stream_lease_until < ?)`,
		node, timeCol(until), id, node, timeCol(now))
	if err != nil {
		return false, mapErr(err, "claim wallet stream %s", id)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
