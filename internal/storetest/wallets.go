package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/satsrail/satsrail/internal/gateway"
)

func wallet(scope gateway.Scope, id string, created int) *gateway.WalletConnection {
	return &gateway.WalletConnection{
		ID: id, MerchantID: scope.MerchantID, Mode: scope.Mode, Type: "lnd", Network: "regtest",
		Config: []byte("sealed-" + id), SettleIndex: 7, LastInvoiceAt: at(created), CreatedAt: at(created), UpdatedAt: at(created),
	}
}

func testWalletConnections(t *testing.T, f *fixture) {
	_, err := f.store.GetWalletConnection(f.ctx, f.scope)
	wantErr(t, "GetWalletConnection before any", err, gateway.ErrNotFound)

	w := wallet(f.scope, "wal_a", 0)
	noErr(t, "PutWalletConnection", f.store.PutWalletConnection(f.ctx, w))
	got, err := f.store.GetWalletConnection(f.ctx, f.scope)
	noErr(t, "GetWalletConnection", err)
	diff(t, "round trip", w, got)
	for _, other := range []gateway.Scope{f.otherMode, f.otherMerchant} {
		_, err := f.store.GetWalletConnection(f.ctx, other)
		wantErr(t, "another scope's wallet", err, gateway.ErrNotFound)
	}

	// Another connection replaces the scope's; other scopes keep theirs.
	live := wallet(f.otherMode, "wal_live", 1)
	noErr(t, "PutWalletConnection live", f.store.PutWalletConnection(f.ctx, live))
	w2 := wallet(f.scope, "wal_b", 2)
	w2.SettleIndex = 0
	noErr(t, "PutWalletConnection again", f.store.PutWalletConnection(f.ctx, w2))
	got, _ = f.store.GetWalletConnection(f.ctx, f.scope)
	diff(t, "replaced", w2, got)
	all, err := f.store.ListWalletConnections(f.ctx)
	noErr(t, "ListWalletConnections", err)
	diff(t, "all", []gateway.WalletConnection{*live, *w2}, all)

	noErr(t, "UpdateWalletHealth", f.store.UpdateWalletHealth(f.ctx, "wal_b", func(c *gateway.WalletConnection) {
		c.SettleIndex, c.StreamAlive, c.LastError, c.LastErrorAt = 1<<40, true, "stream reset", at(3)
		c.ID, c.MerchantID = "wal_hijack", "mer_x" // identity is not the callback's to change
	}))
	got, _ = f.store.GetWalletConnection(f.ctx, f.scope)
	if got.ID != "wal_b" || got.SettleIndex != 1<<40 || !got.StreamAlive || got.LastError != "stream reset" || !got.LastErrorAt.Equal(at(3)) {
		t.Fatalf("after health update: %+v", got)
	}
	wantErr(t, "UpdateWalletHealth of a gone wallet", f.store.UpdateWalletHealth(f.ctx, "wal_a", func(*gateway.WalletConnection) {}), gateway.ErrNotFound)

	noErr(t, "DeleteWalletConnection", f.store.DeleteWalletConnection(f.ctx, f.scope))
	_, err = f.store.GetWalletConnection(f.ctx, f.scope)
	wantErr(t, "after delete", err, gateway.ErrNotFound)
	wantErr(t, "delete again", f.store.DeleteWalletConnection(f.ctx, f.scope), gateway.ErrNotFound)
	if _, err := f.store.GetWalletConnection(f.ctx, f.otherMode); err != nil {
		t.Fatalf("deleting one scope's wallet removed another's: %v", err)
	}
}

// testWalletStreamLease: one node at a time holds a wallet's stream; it can
// renew, and another takes over once the lease lapses.
func testWalletStreamLease(t *testing.T, f *fixture) {
	noErr(t, "PutWalletConnection", f.store.PutWalletConnection(f.ctx, wallet(f.scope, "wal_s", 0)))
	claim := func(node string, now, until int) bool {
		t.Helper()
		ok, err := f.store.ClaimWalletStream(f.ctx, "wal_s", node, at(now), at(until))
		noErr(t, "ClaimWalletStream", err)
		return ok
	}
	if !claim("node-a", 0, 1) {
		t.Fatal("a free lease was refused")
	}
	if claim("node-b", 0, 1) {
		t.Fatal("a held lease was given to another node")
	}
	if !claim("node-a", 0, 2) {
		t.Fatal("the holder could not renew")
	}
	if claim("node-b", 1, 3) {
		t.Fatal("a lease was taken before it lapsed")
	}
	if !claim("node-b", 3, 4) {
		t.Fatal("a lapsed lease was not taken over")
	}
	if claim("node-a", 3, 5) {
		t.Fatal("the old holder took the lease back while it was live")
	}
	got, err := f.store.GetWalletConnection(f.ctx, f.scope)
	noErr(t, "GetWalletConnection", err)
	if got.StreamOwner != "node-b" || !got.StreamLeaseUntil.Equal(at(4)) {
		t.Fatalf("owner %q until %v", got.StreamOwner, got.StreamLeaseUntil)
	}
	ok, err := f.store.ClaimWalletStream(f.ctx, "wal_gone", "node-a", at(0), at(1))
	if err != nil || ok {
		t.Fatalf("claim of an unknown wallet: %v %v", ok, err)
	}
	// Concurrent claims: exactly one node wins a free lease.
	noErr(t, "PutWalletConnection", f.store.PutWalletConnection(f.ctx, wallet(f.otherMode, "wal_race", 0)))
	var mu sync.Mutex
	winners := 0
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			ok, err := f.store.ClaimWalletStream(f.ctx, "wal_race", fmt.Sprint("node-", i), at(0), at(1))
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				winners++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if winners != 1 {
		t.Fatalf("%d nodes hold the stream, want 1", winners)
	}
}
