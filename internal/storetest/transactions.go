package storetest

import (
	"testing"

	"github.com/satsrail/satsrail/internal/gateway"
)

func testTransactions(t *testing.T, f *fixture) {
	_, t1 := f.settle(t, f.scope, "cs_t1", "txn_t1", "hash_t1", at(1))
	_, t2 := f.settle(t, f.scope, "cs_t2", "txn_t2", "hash_t2", at(2))
	_, t3 := f.settle(t, f.scope, "cs_t3", "txn_t3", "hash_t3", at(3))
	f.settle(t, f.otherMode, "cs_tx", "txn_tx", "hash_tx", at(4))
	f.settle(t, f.otherMerchant, "cs_ty", "txn_ty", "hash_ty", at(5))

	t.Run("get returns every field", func(t *testing.T) {
		for _, want := range []*gateway.Transaction{t1, t2, t3} {
			got, err := f.store.GetTransaction(f.ctx, f.scope, want.ID)
			noErr(t, "GetTransaction", err)
			diff(t, "transaction", want, got)
			wantUTC(t, "transaction", got.SettledAt, got.CreatedAt)
		}
	})

	t.Run("unknown id", func(t *testing.T) {
		_, err := f.store.GetTransaction(f.ctx, f.scope, "txn_nothing")
		wantErr(t, "GetTransaction", err, gateway.ErrNotFound)
	})

	tests := []struct {
		name      string
		filter    gateway.TransactionFilter
		wantIDs   []string
		wantMore  bool
		wantTotal int
	}{
		{"everything", gateway.TransactionFilter{}, []string{"txn_t3", "txn_t2", "txn_t1"}, false, 3},
		{"first page", gateway.TransactionFilter{Page: gateway.Page{PerPage: 2}}, []string{"txn_t3", "txn_t2"}, true, 3},
		{"second page", gateway.TransactionFilter{Page: gateway.Page{Page: 2, PerPage: 2}}, []string{"txn_t1"}, false, 3},
		{"starting after", gateway.TransactionFilter{Page: gateway.Page{StartingAfter: "txn_t2"}}, []string{"txn_t1"}, false, 3},
		{"status", gateway.TransactionFilter{Status: gateway.TxSettled}, []string{"txn_t3", "txn_t2", "txn_t1"}, false, 3},
		{"status with no match", gateway.TransactionFilter{Status: "refunded"}, nil, false, 0},
		{"checkout session", gateway.TransactionFilter{CheckoutSessionID: "cs_t2"}, []string{"txn_t2"}, false, 1},
		{"checkout session of another scope", gateway.TransactionFilter{CheckoutSessionID: "cs_tx"}, nil, false, 0},
		{"payment hash", gateway.TransactionFilter{PaymentHash: "hash_t3"}, []string{"txn_t3"}, false, 1},
		{"created from is inclusive", gateway.TransactionFilter{Created: gateway.TimeRange{From: at(2)}}, []string{"txn_t3", "txn_t2"}, false, 2},
		{"created to is inclusive", gateway.TransactionFilter{Created: gateway.TimeRange{To: at(2)}}, []string{"txn_t2", "txn_t1"}, false, 2},
		{"filters combine", gateway.TransactionFilter{PaymentHash: "hash_t3", CheckoutSessionID: "cs_t2"}, nil, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.store.ListTransactions(f.ctx, f.scope, tt.filter)
			noErr(t, "ListTransactions", err)
			checkList(t, got, txID, tt.wantIDs, tt.wantMore, tt.wantTotal)
		})
	}

	t.Run("items are whole transactions", func(t *testing.T) {
		got, err := f.store.ListTransactions(f.ctx, f.scope, gateway.TransactionFilter{})
		noErr(t, "ListTransactions", err)
		diff(t, "transactions", []gateway.Transaction{*t3, *t2, *t1}, got.Items)
	})

	t.Run("starting after a transaction outside the list", func(t *testing.T) {
		_, err := f.store.ListTransactions(f.ctx, f.scope, gateway.TransactionFilter{Page: gateway.Page{StartingAfter: "txn_tx"}})
		wantCursorError(t, "ListTransactions", err)
	})
}

func testEvents(t *testing.T, f *fixture) {
	s := session(f.scope, "cs_ev", at(0))
	f.createSession(t, s)
	other := session(f.otherMode, "cs_ev_other", at(0))
	f.createSession(t, other)

	// write records events through a no-op session update, the only way a
	// Store takes them.
	write := func(t *testing.T, scope gateway.Scope, id string, evs ...gateway.Event) {
		t.Helper()
		_, err := f.store.UpdateCheckoutSession(f.ctx, scope, id, func(*gateway.CheckoutSession) (gateway.SessionChange, error) {
			return gateway.SessionChange{Events: evs}, nil
		})
		noErr(t, "UpdateCheckoutSession", err)
	}
	late := event(f.scope, "evt_late", gateway.EventCheckoutCompleted, s.ID, at(7))
	early := event(f.scope, "evt_early", gateway.EventCheckoutExpired, s.ID, at(5))
	tieZ := event(f.scope, "evt_tiez", gateway.EventWebhookTest, s.ID, at(8))
	tieA := event(f.scope, "evt_tiea", gateway.EventWebhookTest, s.ID, at(8))
	write(t, f.scope, s.ID, late)
	write(t, f.scope, s.ID, early)
	write(t, f.scope, s.ID, tieZ, tieA)
	// Events of another object, and events about s in other scopes.
	write(t, f.otherMode, other.ID,
		event(f.otherMode, "evt_other", gateway.EventCheckoutExpired, other.ID, at(6)),
		event(f.otherMode, "evt_mode", gateway.EventWebhookTest, s.ID, at(6)),
		event(f.otherMerchant, "evt_merchant", gateway.EventWebhookTest, s.ID, at(6)))

	t.Run("oldest first, ties in the order written", func(t *testing.T) {
		got, err := f.store.ListEventsForObject(f.ctx, f.scope, s.ID)
		noErr(t, "ListEventsForObject", err)
		diff(t, "events", []gateway.Event{early, late, tieZ, tieA}, got)
		for _, e := range got {
			wantUTC(t, "event "+e.ID, e.CreatedAt)
		}
	})

	t.Run("each scope sees its own", func(t *testing.T) {
		for _, tt := range []struct {
			scope gateway.Scope
			want  []string
		}{
			{f.otherMode, []string{"evt_mode"}},
			{f.otherMerchant, []string{"evt_merchant"}},
		} {
			got, err := f.store.ListEventsForObject(f.ctx, tt.scope, s.ID)
			noErr(t, "ListEventsForObject", err)
			var ids []string
			for _, e := range got {
				ids = append(ids, eventID(e))
			}
			diff(t, "event ids", tt.want, ids)
		}
	})

	t.Run("unknown object", func(t *testing.T) {
		got, err := f.store.ListEventsForObject(f.ctx, f.scope, "cs_nothing")
		noErr(t, "ListEventsForObject", err)
		diff(t, "events", []gateway.Event(nil), got)
	})
}
