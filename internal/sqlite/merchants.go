package sqlite

import (
	"context"
	"database/sql"

	"github.com/satsrail/satsrail/internal/gateway"
)

const merchantColumns = "id, name, email, status, rate_limit_per_minute, checkout_ttl_us, " +
	"support_email, success_url, thank_you_message, allowed_origins, logo_id, created_at, updated_at"

func merchantArgs(m *gateway.Merchant) []any {
	return []any{m.ID, m.Name, m.Email, m.Status, m.RateLimitPerMinute, durationCol(m.CheckoutTTL),
		m.SupportEmail, m.SuccessURL, m.ThankYouMessage, originsCol(m.AllowedOrigins), m.LogoID,
		timeCol(m.CreatedAt), timeCol(m.UpdatedAt)}
}

func merchantDests(m *gateway.Merchant) []any {
	return []any{&m.ID, &m.Name, &m.Email, &m.Status, &m.RateLimitPerMinute, (*durationCol)(&m.CheckoutTTL),
		&m.SupportEmail, &m.SuccessURL, &m.ThankYouMessage, (*originsCol)(&m.AllowedOrigins), &m.LogoID,
		(*timeCol)(&m.CreatedAt), (*timeCol)(&m.UpdatedAt)}
}

const apiKeyColumns = "id, merchant_id, kind, mode, hash, last4, publishable_sealed, created_at, revoked_at"

func apiKeyArgs(k *gateway.APIKey) []any {
	return []any{k.ID, k.MerchantID, k.Kind, k.Mode, k.Hash, k.Last4, k.PublishableSealed, timeCol(k.CreatedAt), timeCol(k.RevokedAt)}
}

func apiKeyDests(k *gateway.APIKey) []any {
	return []any{&k.ID, &k.MerchantID, &k.Kind, &k.Mode, &k.Hash, &k.Last4, &k.PublishableSealed, (*timeCol)(&k.CreatedAt), (*timeCol)(&k.RevokedAt)}
}

var (
	scanMerchant   = scanner(merchantDests)
	insertMerchant = insertSQL("merchants", merchantColumns)
	updateMerchant = updateSQL("merchants", merchantColumns)
	insertAPIKey   = insertSQL("api_keys", apiKeyColumns)
)

// CreateMerchant stores a merchant and its keys in one transaction.
func (s *Store) CreateMerchant(ctx context.Context, m *gateway.Merchant, keys []gateway.APIKey) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, insertMerchant, merchantArgs(m)...); err != nil {
			return err
		}
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, insertAPIKey, apiKeyArgs(&k)...); err != nil {
				return err
			}
		}
		return nil
	})
	return mapErr(err, "create merchant %s", m.ID)
}

// GetMerchant returns merchant id.
func (s *Store) GetMerchant(ctx context.Context, id string) (*gateway.Merchant, error) {
	m, err := scanMerchant(s.reader.QueryRowContext(ctx, "SELECT "+merchantColumns+" FROM merchants WHERE id = ?", id))
	if err != nil {
		return nil, mapErr(err, "get merchant %s", id)
	}
	return &m, nil
}

// ListMerchants returns every merchant, oldest first.
func (s *Store) ListMerchants(ctx context.Context) ([]gateway.Merchant, error) {
	rows, err := s.reader.QueryContext(ctx, "SELECT "+merchantColumns+" FROM merchants ORDER BY created_at, id")
	ms, err := scanAll(rows, err, scanMerchant)
	return ms, mapErr(err, "list merchants")
}

// PrincipalByKeyHash returns the active key with this hash and its merchant.
func (s *Store) PrincipalByKeyHash(ctx context.Context, hash []byte) (*gateway.Principal, error) {
	var p gateway.Principal
	err := s.reader.QueryRowContext(ctx, principalByKeyHash, hash).
		Scan(append(apiKeyDests(&p.Key), merchantDests(&p.Merchant)...)...)
	if err != nil {
		return nil, mapErr(err, "find api key")
	}
	return &p, nil
}

// CredentialsVersion returns the number migration 0012's triggers bump with
// every change to api_keys and merchants.
func (s *Store) CredentialsVersion(ctx context.Context) (int64, error) {
	var n int64
	err := s.reader.QueryRowContext(ctx, "SELECT n FROM credentials_version WHERE id = 1").Scan(&n)
	return n, mapErr(err, "read credentials version")
}

// principalByKeyHash is built once: it runs on every API request.
var principalByKeyHash = "SELECT " + qualify("k", apiKeyColumns) + ", " + qualify("m", merchantColumns) + `
	FROM api_keys k JOIN merchants m ON m.id = k.merchant_id
	WHERE k.hash = ? AND k.revoked_at IS NULL`

// ReplaceAPIKey revokes the active keys of key's merchant, kind and mode at
// key.CreatedAt and stores key, atomically.
func (s *Store) ReplaceAPIKey(ctx context.Context, key gateway.APIKey) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		var id string
		if err := tx.QueryRowContext(ctx, "SELECT id FROM merchants WHERE id = ?", key.MerchantID).Scan(&id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ?
			WHERE merchant_id = ? AND kind = ? AND mode = ? AND revoked_at IS NULL`,
			timeCol(key.CreatedAt), key.MerchantID, key.Kind, key.Mode); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, insertAPIKey, apiKeyArgs(&key)...)
		return err
	})
	return mapErr(err, "replace %s key of merchant %s", key.Type(), key.MerchantID)
}
