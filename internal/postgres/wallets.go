package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

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
// One upsert on the scope's unique key does it, so two nodes connecting a
// wallet for the same scope at once leave one of them, not an error.
func (s *Store) PutWalletConnection(ctx context.Context, w *gateway.WalletConnection) error {
	_, err := s.pool.Exec(ctx, insertWallet+` ON CONFLICT (merchant_id, mode) DO UPDATE SET
		id = excluded.id, type = excluded.type, network = excluded.network, config = excluded.config,
		settle_index = excluded.settle_index, last_invoice_at = excluded.last_invoice_at, last_error = excluded.last_error,
		last_error_at = excluded.last_error_at, stream_alive = excluded.stream_alive, created_at = excluded.created_at,
		updated_at = excluded.updated_at, stream_owner = excluded.stream_owner, stream_lease_until = excluded.stream_lease_until`, walletArgs(w)...)
	return mapErr(err, "put wallet connection %s", w.ID)
}

// GetWalletConnection returns the scope's wallet connection.
func (s *Store) GetWalletConnection(ctx context.Context, scope gateway.Scope) (*gateway.WalletConnection, error) {
	w, err := scanWallet(s.pool.QueryRow(ctx, "SELECT "+walletColumns+" FROM wallet_connections WHERE merchant_id = $1 AND mode = $2",
		scope.MerchantID, scope.Mode))
	if err != nil {
		return nil, mapErr(err, "get wallet connection")
	}
	return &w, nil
}

// DeleteWalletConnection forgets the scope's wallet.
func (s *Store) DeleteWalletConnection(ctx context.Context, scope gateway.Scope) error {
	err := oneRow(s.pool.Exec(ctx, "DELETE FROM wallet_connections WHERE merchant_id = $1 AND mode = $2", scope.MerchantID, scope.Mode))
	return mapErr(err, "delete wallet connection")
}

// ListWalletConnections lists every wallet connection, oldest first.
func (s *Store) ListWalletConnections(ctx context.Context) ([]gateway.WalletConnection, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+walletColumns+" FROM wallet_connections ORDER BY created_at, id")
	ws, err := scanAll(rows, err, scanWallet)
	return ws, mapErr(err, "list wallet connections")
}

// UpdateWalletHealth applies fn to connection id, locked, in one transaction.
func (s *Store) UpdateWalletHealth(ctx context.Context, id string, fn func(*gateway.WalletConnection)) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		w, err := scanWallet(tx.QueryRow(ctx, "SELECT "+walletColumns+" FROM wallet_connections WHERE id = $1 FOR UPDATE", id))
		if err != nil {
			return err
		}
		merchant, mode := w.MerchantID, w.Mode
		fn(&w)
		w.ID, w.MerchantID, w.Mode = id, merchant, mode
		_, err = tx.Exec(ctx, updateWallet, append(walletArgs(&w), id)...)
		return err
	})
	return mapErr(err, "update wallet %s", id)
}

// ClaimWalletStream gives node the settlement-stream lease of connection id
// until until, if the lease is free, lapsed at now, or already node's.
func (s *Store) ClaimWalletStream(ctx context.Context, id, node string, now, until time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE wallet_connections SET stream_owner = $1, stream_lease_until = $2
		WHERE id = $3 AND (stream_owner = '' OR stream_owner = $1 OR stream_lease_until IS NULL OR stream_lease_until < $4)`,
		node, timeCol(until), id, timeCol(now))
	if err != nil {
		return false, mapErr(err, "claim wallet stream %s", id)
	}
	return tag.RowsAffected() == 1, nil
}
