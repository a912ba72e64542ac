package gateway_test

import (
	"errors"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/testdb"
)

// TestAuthenticateRevocation: a node keeps the principals of the keys it
// has seen, and a revoked key is still refused — at once when the key is
// rolled through the node, and as soon as the node rechecks the credentials
// version when another node or process rolled it. Runs on the engine
// SATSRAIL_TEST_STORE names.
func TestAuthenticateRevocation(t *testing.T) {
	ctx := t.Context()
	st := testdb.Open(t)
	node := func(recheck time.Duration) *gateway.Service {
		return gateway.NewService(gateway.Config{Store: st, KeyRecheck: recheck})
	}
	admin := node(0) // `satsrail keys roll` in another process
	m, secrets, err := admin.CreateMerchant(ctx, gateway.MerchantParams{Name: "Shop", Email: "ops@shop.example"})
	if err != nil {
		t.Fatal(err)
	}
	accepts := func(t *testing.T, s *gateway.Service, secret string) bool {
		t.Helper()
		p, err := s.Authenticate(ctx, secret)
		var ge *gateway.Error
		switch {
		case err == nil && p.Merchant.ID == m.ID:
			return true
		case errors.As(err, &ge) && ge.Code == gateway.CodeUnauthorized:
			return false
		}
		t.Fatalf("Authenticate: %+v, %v", p, err)
		return false
	}
	roll := func(t *testing.T, s *gateway.Service, kt gateway.KeyType) string {
		t.Helper()
		secret, err := s.RollKey(ctx, m.ID, kt)
		if err != nil {
			t.Fatal(err)
		}
		return secret
	}

	t.Run("rolled through this node: refused at once", func(t *testing.T) {
		n := node(time.Hour)
		old := secrets["sk_test"]
		if !accepts(t, n, old) {
			t.Fatal("the key was refused before it was rolled")
		}
		secrets["sk_test"] = roll(t, n, "sk_test")
		if accepts(t, n, old) {
			t.Error("a key rolled through this node still works")
		}
		if !accepts(t, n, secrets["sk_test"]) {
			t.Error("the new key is refused")
		}
	})

	t.Run("rolled elsewhere: refused once the version is rechecked", func(t *testing.T) {
		n := node(-1) // rechecks on every request
		old := secrets["pk_test"]
		if !accepts(t, n, old) || !accepts(t, n, old) {
			t.Fatal("the key was refused before it was rolled")
		}
		secrets["pk_test"] = roll(t, admin, "pk_test")
		if accepts(t, n, old) {
			t.Error("a key rolled by another process still works after the recheck")
		}
	})

	t.Run("within the recheck interval the key is not looked up", func(t *testing.T) {
		// The window the recheck leaves (1 ms by default), made an hour
		// long: proof that requests are answered from memory.
		n := node(time.Hour)
		old := secrets["sk_live"]
		if !accepts(t, n, old) {
			t.Fatal("the key was refused before it was rolled")
		}
		secrets["sk_live"] = roll(t, admin, "sk_live")
		if !accepts(t, n, old) {
			t.Error("the key was looked up again within the recheck interval")
		}
		if !accepts(t, n, secrets["sk_live"]) {
			t.Error("the new key is refused: unknown keys must be looked up")
		}
	})
}
