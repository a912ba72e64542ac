package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/satsrail/satsrail/internal/gateway"
)

// UpdateMerchant applies fn to merchant id in one transaction, its row
// locked against concurrent updates.
func (s *Store) UpdateMerchant(ctx context.Context, id string, fn func(*gateway.Merchant) error) (*gateway.Merchant, error) {
	var m gateway.Merchant
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		// FOR NO KEY UPDATE: excludes other updates of the merchant without
		// holding up the rows that merely reference it.
		m, err = scanMerchant(tx.QueryRow(ctx, "SELECT "+merchantColumns+" FROM merchants WHERE id = $1 FOR NO KEY UPDATE", id))
		if err != nil {
			return err
		}
		if err := fn(&m); err != nil {
			return passThrough{err}
		}
		if m.ID != id {
			return fmt.Errorf("the update changed the merchant's id")
		}
		_, err = tx.Exec(ctx, updateMerchant, append(merchantArgs(&m), id)...)
		return err
	})
	if err != nil {
		return nil, unwrapCallback(err, "update merchant %s", id)
	}
	return &m, nil
}

const logoColumns = "id, merchant_id, content_type, data, width, height, created_at"

// SetMerchantLogo replaces (or with nil removes) merchant id's logo and
// points the merchant at it, in one transaction.
func (s *Store) SetMerchantLogo(ctx context.Context, id string, logo *gateway.MerchantLogo, now time.Time) (*gateway.Merchant, error) {
	var m gateway.Merchant
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var found string
		if err := tx.QueryRow(ctx, "SELECT id FROM merchants WHERE id = $1 FOR NO KEY UPDATE", id).Scan(&found); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM merchant_logos WHERE merchant_id = $1", id); err != nil {
			return err
		}
		logoID := ""
		if logo != nil {
			logoID = logo.ID
			if _, err := tx.Exec(ctx, insertSQL("merchant_logos", logoColumns), logo.ID, id, logo.ContentType,
				logo.Data, logo.Width, logo.Height, timeCol(logo.CreatedAt)); err != nil {
				return err
			}
		}
		var err error
		m, err = scanMerchant(tx.QueryRow(ctx, "UPDATE merchants SET logo_id = $1, updated_at = $2 WHERE id = $3 RETURNING "+merchantColumns,
			logoID, timeCol(now), id))
		return err
	})
	if err != nil {
		return nil, mapErr(err, "set logo of merchant %s", id)
	}
	return &m, nil
}

// GetMerchantLogo returns the logo whose content hash is logoID.
func (s *Store) GetMerchantLogo(ctx context.Context, logoID string) (*gateway.MerchantLogo, error) {
	var l gateway.MerchantLogo
	err := s.pool.QueryRow(ctx, "SELECT "+logoColumns+" FROM merchant_logos WHERE id = $1 LIMIT 1", logoID).
		Scan(&l.ID, &l.MerchantID, &l.ContentType, &l.Data, &l.Width, &l.Height, (*timeCol)(&l.CreatedAt))
	if err != nil {
		return nil, mapErr(err, "get logo %s", logoID)
	}
	return &l, nil
}

// ListAPIKeys lists the merchant's active keys in key-type order with when
// each was last used.
func (s *Store) ListAPIKeys(ctx context.Context, merchantID string) ([]gateway.APIKey, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+qualify("k", apiKeyColumns)+`, u.last_used_at
		FROM api_keys k LEFT JOIN api_key_usage u ON u.key_id = k.id
		WHERE k.merchant_id = $1 AND k.revoked_at IS NULL
		ORDER BY k.mode, k.kind, k.created_at, k.id`, merchantID)
	keys, err := scanAll(rows, err, func(r rowScanner) (gateway.APIKey, error) {
		var k gateway.APIKey
		err := r.Scan(append(apiKeyDests(&k), (*timeCol)(&k.LastUsedAt))...)
		return k, err
	})
	return keys, mapErr(err, "list keys of merchant %s", merchantID)
}

// RecordKeyUsage upserts every key's last use in one statement (the ids
// and times as two arrays), keeping the later time when another node wrote
// one meanwhile.
func (s *Store) RecordKeyUsage(ctx context.Context, used map[string]time.Time) error {
	if len(used) == 0 {
		return nil
	}
	ids := make([]string, 0, len(used))
	times := make([]time.Time, 0, len(used))
	for id, t := range used {
		ids, times = append(ids, id), append(times, t)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO api_key_usage (key_id, last_used_at)
		SELECT * FROM unnest($1::text[], $2::timestamptz[])
		ON CONFLICT (key_id) DO UPDATE SET last_used_at = GREATEST(api_key_usage.last_used_at, excluded.last_used_at)`,
		ids, times)
	return mapErr(err, "record usage of %d keys", len(used))
}

// ProductByID returns product id whatever its scope.
func (s *Store) ProductByID(ctx context.Context, id string) (*gateway.Product, error) {
	p, err := scanProduct(s.pool.QueryRow(ctx, "SELECT "+productColumns+" FROM products WHERE id = $1", id))
	if err != nil {
		return nil, mapErr(err, "get product %s", id)
	}
	return &p, nil
}
