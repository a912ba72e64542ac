package sqlite

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// TestIdempotencyKeysMigration: migration 0011 moves the records stored
// before it into the rowid table whole, the key stays unique (a create
// under a taken key is refused with nothing written), and lookups and
// inserts go through the unique index.
func TestIdempotencyKeysMigration(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "satsrail.db")
	db := migratedBefore(t, path, 11)
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	m := gateway.Merchant{ID: "mer_a", Name: "A", Email: "a@a.example", Status: "active", CreatedAt: now, UpdatedAt: now}
	key, _ := gateway.NewAPIKey(m.ID, gateway.KeySecret, gateway.ModeTest, now)
	if _, err := insertMerchantBefore15(ctx, db, &m); err != nil {
		t.Fatal(err)
	}
	// The columns of api_keys before migration 0013 (no publishable).
	if _, err := db.ExecContext(ctx, `INSERT INTO api_keys (id, merchant_id, kind, mode, hash, last4, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, key.ID, key.MerchantID, key.Kind, key.Mode, key.Hash, key.Last4, timeCol(key.CreatedAt)); err != nil {
		t.Fatal(err)
	}
	before := []gateway.IdempotencyRecord{
		{APIKeyID: key.ID, Key: "done-key", RequestHash: []byte("h1"), Done: true, Status: 201, Body: []byte(`{"id":"cs_1"}`), CreatedAt: now},
		{APIKeyID: key.ID, Key: "running-key", RequestHash: []byte("h2"), CreatedAt: now.Add(time.Second)},
	}
	for _, r := range before {
		if _, err := db.ExecContext(ctx, `INSERT INTO idempotency_keys (api_key_id, key, request_hash, done, status, body, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, r.APIKeyID, r.Key, r.RequestHash, r.Done, r.Status, r.Body, timeCol(r.CreatedAt)); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s := open(t, path)
	for _, want := range before {
		got, err := s.LookupIdempotent(ctx, want.APIKeyID, want.Key, now.Add(-time.Hour))
		if err != nil {
			t.Fatalf("%s after the migration: %v", want.Key, err)
		}
		if got.Done != want.Done || got.Status != want.Status || !bytes.Equal(got.Body, want.Body) ||
			!bytes.Equal(got.RequestHash, want.RequestHash) || !got.CreatedAt.Equal(want.CreatedAt) {
			t.Fatalf("%s after the migration = %+v, want %+v", want.Key, got, want)
		}
	}
	sess := &gateway.CheckoutSession{ID: gateway.NewID(gateway.PrefixSession), MerchantID: m.ID, Mode: gateway.ModeTest,
		Status: gateway.StatusPending, AmountCents: 100, Currency: "usd", CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour)}
	done := &gateway.IdempotencyCompletion{APIKeyID: key.ID, Key: "done-key", RequestHash: []byte("h3"), CreatedAt: now.Add(time.Minute),
		ExpiredBefore: now.Add(-24 * time.Hour), StaleBefore: now, Status: 201, Body: []byte(`{}`)}
	if err := s.CreateCheckoutSession(ctx, sess, done); !errors.Is(err, gateway.ErrIdempotencyKeyTaken) {
		t.Fatalf("create under a migrated key: %v, want ErrIdempotencyKeyTaken", err)
	}
	if _, err := s.GetCheckoutSession(ctx, sess.Scope(), sess.ID); !errors.Is(err, gateway.ErrNotFound) {
		t.Fatalf("the refused create left its session: %v", err)
	}
	done.Key = "new-key"
	if err := s.CreateCheckoutSession(ctx, sess, done); err != nil {
		t.Fatal(err)
	}

	var without int
	if err := s.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE name = 'idempotency_keys' AND sql LIKE '%WITHOUT ROWID%'`).Scan(&without); err != nil || without != 0 {
		t.Fatalf("idempotency_keys is still WITHOUT ROWID (%v)", err)
	}
	plan := planOf(t, s, "SELECT "+idempotencyColumns+" FROM idempotency_keys WHERE api_key_id = ? AND key = ? AND created_at >= ?", []any{key.ID, "k", 0})
	if !strings.Contains(plan, "USING INDEX sqlite_autoindex_idempotency_keys") {
		t.Fatalf("key lookup plan: %s", plan)
	}
}
