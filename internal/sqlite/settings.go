package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// UpdateMerchant applies fn to merchant id in one write transaction.
func (s *Store) UpdateMerchant(ctx context.Context, id string, fn func(*gateway.Merchant) error) (*gateway.Merchant, error) {
	var m gateway.Merchant
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		m, err = scanMerchant(tx.QueryRowContext(ctx, "SELECT "+merchantColumns+" FROM merchants WHERE id = ?", id))
		if err != nil {
			return err
		}
		if err := fn(&m); err != nil {
			return passThrough{err}
		}
		if m.ID != id {
			return fmt.Errorf("the update changed the merchant's id")
		}
		_, err = tx.ExecContext(ctx, updateMerchant, append(merchantArgs(&m), id)...)
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
	err := s.write(ctx, func(tx *sql.Tx) error {
		var found string
		if err := tx.QueryRowContext(ctx, "SELECT id FROM merchants WHERE id = ?", id).Scan(&found); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM merchant_logos WHERE merchant_id = ?", id); err != nil {
			return err
		}
		logoID := ""
		if logo != nil {
			logoID = logo.ID
			if _, err := tx.ExecContext(ctx, insertSQL("merchant_logos", logoColumns), logo.ID, id, logo.ContentType,
				logo.Data, logo.Width, logo.Height, timeCol(logo.CreatedAt)); err != nil {
				return err
			}
		}
		var err error
		m, err = scanMerchant(tx.QueryRowContext(ctx, "UPDATE merchants SET logo_id = ?, updated_at = ? WHERE id = ? RETURNING "+merchantColumns,
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
	err := s.reader.QueryRowContext(ctx, "SELECT "+logoColumns+" FROM merchant_logos WHERE id = ? LIMIT 1", logoID).
		Scan(&l.ID, &l.MerchantID, &l.ContentType, &l.Data, &l.Width, &l.Height, (*timeCol)(&l.CreatedAt))
	if err != nil {
		return nil, mapErr(err, "get logo %s", logoID)
	}
	return &l, nil
}

// ListAPIKeys lists the merchant's active keys in key-type order with when
// each was last used.
func (s *Store) ListAPIKeys(ctx context.Context, merchantID string) ([]gateway.APIKey, error) {
	rows, err := s.reader.QueryContext(ctx, "SELECT "+qualify("k", apiKeyColumns)+`, u.last_used_at
		FROM api_keys k LEFT JOIN api_key_usage u ON u.key_id = k.id
		WHERE k.merchant_id = ? AND k.revoked_at IS NULL
		ORDER BY k.mode, k.kind, k.created_at, k.id`, merchantID)
	keys, err := scanAll(rows, err, func(r rowScanner) (gateway.APIKey, error) {
		var k gateway.APIKey
		err := r.Scan(append(apiKeyDests(&k), (*timeCol)(&k.LastUsedAt))...)
		return k, err
	})
	return keys, mapErr(err, "list keys of merchant %s", merchantID)
}

// RecordKeyUsage upserts every key's last use in one statement, keeping
// the later time when another node wrote one meanwhile.
func (s *Store) RecordKeyUsage(ctx context.Context, used map[string]time.Time) error {
	args := make([]any, 0, 2*min(len(used), usageChunk))
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		q := "INSERT INTO api_key_usage (key_id, last_used_at) VALUES " +
			strings.TrimSuffix(strings.Repeat("(?, ?), ", len(args)/2), ", ") +
			" ON CONFLICT (key_id) DO UPDATE SET last_used_at = max(last_used_at, excluded.last_used_at)"
		_, err := s.writer.ExecContext(ctx, q, args...)
		args = args[:0]
		return err
	}
	for id, t := range used {
		args = append(args, id, timeCol(t))
		if len(args) == 2*usageChunk {
			if err := flush(); err != nil {
				return mapErr(err, "record key usage")
			}
		}
	}
	return mapErr(flush(), "record key usage")
}

// usageChunk is how many keys one usage statement writes: far below
// SQLite's limit on bound variables (32766), and one statement for every
// deployment this side of ten thousand keys used a minute.
const usageChunk = 5000

// ProductByID returns product id whatever its scope.
func (s *Store) ProductByID(ctx context.Context, id string) (*gateway.Product, error) {
	p, err := scanProduct(s.reader.QueryRowContext(ctx, "SELECT "+productColumns+" FROM products WHERE id = ?", id))
	if err != nil {
		return nil, mapErr(err, "get product %s", id)
	}
	return &p, nil
}
