package gateway_test

import (
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/testdb"
)

// TestSuspension: a node that has every key of a merchant in memory refuses
// all of them with merchant_suspended once the operator suspends the
// merchant from another process, as soon as it rechecks the credentials
// version — and accepts them again after reactivation. Runs on the engine
// SATSRAIL_TEST_STORE names.
func TestSuspension(t *testing.T) {
	ctx := t.Context()
	st := testdb.Open(t)
	admin := gateway.NewService(gateway.Config{Store: st})
	node := gateway.NewService(gateway.Config{Store: st, KeyRecheck: -1})
	m, secrets, err := admin.CreateMerchant(ctx, gateway.MerchantParams{Name: "Shop", Email: "ops@shop.example"})
	if err != nil {
		t.Fatal(err)
	}
	for kt, secret := range secrets {
		if _, err := node.Authenticate(ctx, secret); err != nil {
			t.Fatalf("%s before suspension: %v", kt, err)
		}
	}
	got, err := admin.SuspendMerchant(ctx, m.ID)
	if err != nil || got.Status != gateway.MerchantSuspended {
		t.Fatalf("SuspendMerchant = %+v, %v", got, err)
	}
	for kt, secret := range secrets {
		if _, err := node.Authenticate(ctx, secret); gateway.ErrorCode(err) != gateway.CodeMerchantSuspended {
			t.Errorf("%s of a suspended merchant: err = %v, want merchant_suspended", kt, err)
		}
	}
	if _, err := admin.SuspendMerchant(ctx, m.ID); err != nil {
		t.Errorf("suspending again: %v", err)
	}
	if _, err := admin.ReactivateMerchant(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	for kt, secret := range secrets {
		if _, err := node.Authenticate(ctx, secret); err != nil {
			t.Errorf("%s after reactivation: %v", kt, err)
		}
	}
	if _, err := admin.SuspendMerchant(ctx, "mer_nobody"); gateway.ErrorCode(err) != gateway.CodeNotFound {
		t.Errorf("suspending an unknown merchant: %v", err)
	}
}

// TestKeyUsageFlush: authentication notes each key's use in memory only,
// and one flush writes them all; ListAPIKeys then shows them.
func TestKeyUsageFlush(t *testing.T) {
	ctx := t.Context()
	st := testdb.Open(t)
	svc := gateway.NewService(gateway.Config{Store: st})
	m, secrets, err := svc.CreateMerchant(ctx, gateway.MerchantParams{Name: "Shop", Email: "ops@shop.example"})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-time.Second)
	for _, kt := range []gateway.KeyType{"sk_test", "pk_live"} {
		if _, err := svc.Authenticate(ctx, secrets[kt]); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := svc.ListAPIKeys(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if !k.LastUsedAt.IsZero() {
			t.Errorf("%s has a last use before any flush: a request wrote to the store", k.Type())
		}
	}
	if n, err := svc.FlushKeyUsage(ctx); err != nil || n != 2 {
		t.Fatalf("FlushKeyUsage = %d, %v; want 2 keys", n, err)
	}
	if n, err := svc.FlushKeyUsage(ctx); err != nil || n != 0 {
		t.Errorf("second FlushKeyUsage = %d, %v; want nothing left", n, err)
	}
	keys, err = svc.ListAPIKeys(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		used := k.Type() == "sk_test" || k.Type() == "pk_live"
		if used != !k.LastUsedAt.IsZero() || (used && k.LastUsedAt.Before(start.Truncate(time.Second))) {
			t.Errorf("%s last used %v", k.Type(), k.LastUsedAt)
		}
	}
}
