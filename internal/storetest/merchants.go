package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

func testMerchants(t *testing.T, f *fixture) {
	t.Run("get returns every field", func(t *testing.T) {
		for _, want := range []gateway.Merchant{f.merchant, f.other} {
			got, err := f.store.GetMerchant(f.ctx, want.ID)
			noErr(t, "GetMerchant", err)
			diff(t, "merchant", &want, got)
			wantUTC(t, "merchant", got.CreatedAt, got.UpdatedAt)
		}
	})

	t.Run("unknown id", func(t *testing.T) {
		_, err := f.store.GetMerchant(f.ctx, "mer_nobody")
		wantErr(t, "GetMerchant", err, gateway.ErrNotFound)
	})

	t.Run("duplicate id is a conflict and stores none of its keys", func(t *testing.T) {
		m := f.merchant
		m.Name = "Impostor"
		k := apiKey(m.ID, "sk_test", "dup", at(0))
		wantErr(t, "CreateMerchant", f.store.CreateMerchant(f.ctx, &m, []gateway.APIKey{k}), gateway.ErrConflict)
		_, err := f.store.PrincipalByKeyHash(f.ctx, k.Hash)
		wantErr(t, "PrincipalByKeyHash(key of refused merchant)", err, gateway.ErrNotFound)
		got, err := f.store.GetMerchant(f.ctx, m.ID)
		noErr(t, "GetMerchant", err)
		diff(t, "merchant after refused duplicate", &f.merchant, got)
	})

	t.Run("duplicate key hash is a conflict and stores no merchant", func(t *testing.T) {
		m := gateway.Merchant{ID: "mer_charlie", Name: "Charlie", Email: "c@charlie.example", Status: "active", CreatedAt: at(0), UpdatedAt: at(0)}
		k := apiKey(m.ID, "sk_test", "1", at(0))
		k.Hash = f.keys["sk_test"].Hash
		wantErr(t, "CreateMerchant", f.store.CreateMerchant(f.ctx, &m, []gateway.APIKey{k}), gateway.ErrConflict)
		_, err := f.store.GetMerchant(f.ctx, m.ID)
		wantErr(t, "GetMerchant(refused merchant)", err, gateway.ErrNotFound)
	})

	t.Run("list is oldest first, ties by id", func(t *testing.T) {
		for _, m := range []gateway.Merchant{
			{ID: "mer_zulu", Name: "Zulu", Email: "z@zulu.example", Status: "active", CreatedAt: at(-180), UpdatedAt: at(-180)},
			{ID: "mer_aaaa", Name: "Aaaa", Email: "a@aaaa.example", Status: "active", CreatedAt: f.merchant.CreatedAt, UpdatedAt: at(-100)},
		} {
			noErr(t, "CreateMerchant", f.store.CreateMerchant(f.ctx, &m, nil))
		}
		got, err := f.store.ListMerchants(f.ctx)
		noErr(t, "ListMerchants", err)
		var ids []string
		for _, m := range got {
			ids = append(ids, m.ID)
		}
		diff(t, "merchant ids", []string{"mer_zulu", "mer_aaaa", "mer_alpha", "mer_bravo"}, ids)
		if len(got) == 4 {
			diff(t, "listed merchant", f.merchant, got[2])
		}
	})
}

func testAPIKeys(t *testing.T, f *fixture) {
	t.Run("each active key finds its principal", func(t *testing.T) {
		for _, kt := range gateway.KeyTypes {
			t.Run(string(kt), func(t *testing.T) {
				got, err := f.store.PrincipalByKeyHash(f.ctx, gateway.HashKey(keySecret(f.merchant.ID, kt, "1")))
				noErr(t, "PrincipalByKeyHash", err)
				diff(t, "principal", &gateway.Principal{Merchant: f.merchant, Key: f.keys[kt]}, got)
				wantUTC(t, "principal", got.Key.CreatedAt, got.Merchant.CreatedAt)
			})
		}
	})

	t.Run("unknown hash", func(t *testing.T) {
		_, err := f.store.PrincipalByKeyHash(f.ctx, gateway.HashKey("sk_test_unknown"))
		wantErr(t, "PrincipalByKeyHash", err, gateway.ErrNotFound)
	})

	t.Run("a revoked key is no principal", func(t *testing.T) {
		m := gateway.Merchant{ID: "mer_delta", Name: "Delta", Email: "d@delta.example", Status: "active", CreatedAt: at(0), UpdatedAt: at(0)}
		revoked := apiKey(m.ID, "sk_test", "1", at(0))
		revoked.RevokedAt = at(1)
		active := apiKey(m.ID, "sk_test", "2", at(1))
		noErr(t, "CreateMerchant", f.store.CreateMerchant(f.ctx, &m, []gateway.APIKey{revoked, active}))
		_, err := f.store.PrincipalByKeyHash(f.ctx, revoked.Hash)
		wantErr(t, "PrincipalByKeyHash(revoked)", err, gateway.ErrNotFound)
		got, err := f.store.PrincipalByKeyHash(f.ctx, active.Hash)
		noErr(t, "PrincipalByKeyHash(active)", err)
		diff(t, "principal", &gateway.Principal{Merchant: m, Key: active}, got)
	})

	t.Run("replace revokes only the same kind and mode", func(t *testing.T) {
		k2 := apiKey(f.merchant.ID, "sk_test", "2", at(5))
		noErr(t, "ReplaceAPIKey", f.store.ReplaceAPIKey(f.ctx, k2))
		k3 := apiKey(f.merchant.ID, "sk_test", "3", at(6))
		noErr(t, "ReplaceAPIKey", f.store.ReplaceAPIKey(f.ctx, k3))

		for _, old := range []gateway.APIKey{f.keys["sk_test"], k2} {
			_, err := f.store.PrincipalByKeyHash(f.ctx, old.Hash)
			wantErr(t, "PrincipalByKeyHash(replaced "+old.ID+")", err, gateway.ErrNotFound)
		}
		got, err := f.store.PrincipalByKeyHash(f.ctx, k3.Hash)
		noErr(t, "PrincipalByKeyHash(new key)", err)
		diff(t, "principal of new key", &gateway.Principal{Merchant: f.merchant, Key: k3}, got)

		for _, kt := range []gateway.KeyType{"pk_test", "sk_live", "pk_live"} {
			got, err := f.store.PrincipalByKeyHash(f.ctx, f.keys[kt].Hash)
			noErr(t, "PrincipalByKeyHash(untouched "+string(kt)+")", err)
			diff(t, "untouched key", f.keys[kt], got.Key)
		}
		_, err = f.store.PrincipalByKeyHash(f.ctx, gateway.HashKey(keySecret(f.other.ID, "sk_test", "1")))
		noErr(t, "PrincipalByKeyHash(other merchant's sk_test)", err)
	})

	t.Run("replace for an unknown merchant", func(t *testing.T) {
		k := apiKey("mer_nobody", "sk_test", "1", at(0))
		wantErr(t, "ReplaceAPIKey", f.store.ReplaceAPIKey(f.ctx, k), gateway.ErrNotFound)
		_, err := f.store.PrincipalByKeyHash(f.ctx, k.Hash)
		wantErr(t, "PrincipalByKeyHash(refused key)", err, gateway.ErrNotFound)
	})

	t.Run("replace with a hash in use is a conflict and revokes nothing", func(t *testing.T) {
		k := apiKey(f.merchant.ID, "pk_live", "2", at(7))
		k.Hash = f.keys["sk_live"].Hash
		wantErr(t, "ReplaceAPIKey", f.store.ReplaceAPIKey(f.ctx, k), gateway.ErrConflict)
		got, err := f.store.PrincipalByKeyHash(f.ctx, f.keys["pk_live"].Hash)
		noErr(t, "PrincipalByKeyHash(pk_live after refused replace)", err)
		if !got.Key.RevokedAt.IsZero() {
			t.Errorf("pk_live RevokedAt = %v, want zero", got.Key.RevokedAt)
		}
	})

	t.Run("the credentials version changes with keys and merchants only", func(t *testing.T) {
		version := func() int64 {
			t.Helper()
			v, err := f.store.CredentialsVersion(f.ctx)
			noErr(t, "CredentialsVersion", err)
			return v
		}
		v0 := version()
		k := apiKey(f.other.ID, "pk_test", "9", at(8))
		noErr(t, "ReplaceAPIKey", f.store.ReplaceAPIKey(f.ctx, k))
		v1 := version()
		if v1 == v0 {
			t.Errorf("CredentialsVersion = %d after a key was replaced, as before", v1)
		}
		m := gateway.Merchant{ID: "mer_echo", Name: "Echo", Email: "e@echo.example", Status: "active", CreatedAt: at(0), UpdatedAt: at(0)}
		noErr(t, "CreateMerchant", f.store.CreateMerchant(f.ctx, &m, nil))
		v2 := version()
		if v2 == v1 {
			t.Errorf("CredentialsVersion = %d after a merchant was created, as before", v2)
		}
		// Other writes leave it: every request's cache depends on that.
		f.createSession(t, session(f.scope, "cs_version", at(9)))
		if v := version(); v != v2 {
			t.Errorf("CredentialsVersion = %d after a session was created, want %d", v, v2)
		}
	})
}

// CredentialsVersionSeesSQLByHand checks that the version that lets nodes
// keep principals in memory changes with any change to a key or a merchant,
// also one made with SQL by hand, since triggers keep it. exec runs a
// statement on the engine's own handle; now is its SQL for the current time.
func CredentialsVersionSeesSQLByHand(t *testing.T, s gateway.Store, exec func(ctx context.Context, stmt string) error, now string) {
	t.Helper()
	ctx := t.Context()
	at := time.Now().UTC()
	m := &gateway.Merchant{ID: "mer_hand", Name: "Hand", Email: "h@hand.example", Status: "active", CreatedAt: at, UpdatedAt: at}
	key, _ := gateway.NewAPIKey(m.ID, gateway.KeySecret, gateway.ModeTest, at)
	if err := s.CreateMerchant(ctx, m, []gateway.APIKey{key}); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		"UPDATE merchants SET status = 'suspended' WHERE id = 'mer_hand'",
		"UPDATE api_keys SET revoked_at = " + now + " WHERE merchant_id = 'mer_hand'",
		"DELETE FROM api_keys WHERE merchant_id = 'mer_hand'",
	} {
		before, err := s.CredentialsVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
		if after, err := s.CredentialsVersion(ctx); err != nil || after == before {
			t.Errorf("CredentialsVersion after %q = %d, %v; was %d", stmt, after, err, before)
		}
	}
}
