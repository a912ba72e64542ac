package storetest

import (
	"testing"

	"github.com/satsrail/satsrail/internal/gateway"
)

// testScopeIsolation checks every scoped method against an object of
// f.scope from the same merchant's other mode and from another merchant.
func testScopeIsolation(t *testing.T, f *fixture) {
	sess, tx := f.settle(t, f.scope, "cs_mine", "txn_mine", "hash_mine", at(1))
	prod := product(f.scope, "prod_mine", "Mine", at(1))
	f.createProduct(t, prod)

	for _, tt := range []struct {
		name  string
		scope gateway.Scope
	}{
		{"same merchant, other mode", f.otherMode},
		{"other merchant, same mode", f.otherMerchant},
	} {
		t.Run(tt.name, func(t *testing.T) {
			scope := tt.scope
			_, err := f.store.GetCheckoutSession(f.ctx, scope, sess.ID)
			wantErr(t, "GetCheckoutSession", err, gateway.ErrNotFound)

			sessions, err := f.store.ListCheckoutSessions(f.ctx, scope, gateway.SessionFilter{})
			noErr(t, "ListCheckoutSessions", err)
			checkList(t, sessions, sessionID, nil, false, 0)

			_, err = f.store.UpdateCheckoutSession(f.ctx, scope, sess.ID, func(*gateway.CheckoutSession) (gateway.SessionChange, error) {
				t.Error("UpdateCheckoutSession called fn for another scope's session")
				return gateway.SessionChange{}, nil
			})
			wantErr(t, "UpdateCheckoutSession", err, gateway.ErrNotFound)

			for _, key := range []string{prod.ID, prod.Slug} {
				_, err = f.store.GetProduct(f.ctx, scope, key)
				wantErr(t, "GetProduct("+key+")", err, gateway.ErrNotFound)

				_, err = f.store.UpdateProduct(f.ctx, scope, key, func(*gateway.Product) error {
					t.Error("UpdateProduct called fn for another scope's product")
					return nil
				})
				wantErr(t, "UpdateProduct("+key+")", err, gateway.ErrNotFound)

				_, err = f.store.DeleteProduct(f.ctx, scope, key, at(2))
				wantErr(t, "DeleteProduct("+key+")", err, gateway.ErrNotFound)
			}

			products, err := f.store.ListProducts(f.ctx, scope, gateway.ProductFilter{})
			noErr(t, "ListProducts", err)
			checkList(t, products, productID, nil, false, 0)

			_, err = f.store.GetTransaction(f.ctx, scope, tx.ID)
			wantErr(t, "GetTransaction", err, gateway.ErrNotFound)

			txs, err := f.store.ListTransactions(f.ctx, scope, gateway.TransactionFilter{})
			noErr(t, "ListTransactions", err)
			checkList(t, txs, txID, nil, false, 0)

			evs, err := f.store.ListEventsForObject(f.ctx, scope, sess.ID)
			noErr(t, "ListEventsForObject", err)
			diff(t, "events", []gateway.Event(nil), evs)
		})
	}

	t.Run("the owner still sees everything, unchanged", func(t *testing.T) {
		gotSess, err := f.store.GetCheckoutSession(f.ctx, f.scope, sess.ID)
		noErr(t, "GetCheckoutSession", err)
		diff(t, "session", sess, gotSess)
		gotProd, err := f.store.GetProduct(f.ctx, f.scope, prod.ID)
		noErr(t, "GetProduct", err)
		diff(t, "product", prod, gotProd)
		gotTx, err := f.store.GetTransaction(f.ctx, f.scope, tx.ID)
		noErr(t, "GetTransaction", err)
		diff(t, "transaction", tx, gotTx)
		evs, err := f.store.ListEventsForObject(f.ctx, f.scope, sess.ID)
		noErr(t, "ListEventsForObject", err)
		if len(evs) != 1 {
			t.Errorf("owner sees %d events, want 1", len(evs))
		}
	})
}
