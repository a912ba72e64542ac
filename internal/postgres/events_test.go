package postgres

import (
	"slices"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// TestEventListWaitsForOlderTransactions checks the event list never shows
// an event while a transaction that began before it, and may still commit
// an event that sorts below it, is running: it waits for that transaction
// (and then lists both), or, past horizonWait, hides the newer event. A
// consumer paging down to the last event it saw could otherwise pass over
// the older transaction's event for good.
func TestEventListWaitsForOlderTransactions(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dbURL := freshDB(t)
	s := open(t, dbURL)
	now := time.Now().UTC().Truncate(time.Microsecond)
	m := &gateway.Merchant{ID: "mer_a", Name: "A", Email: "a@a.example", Status: "active", CreatedAt: now, UpdatedAt: now}
	if err := s.CreateMerchant(ctx, m, nil); err != nil {
		t.Fatal(err)
	}
	scope := gateway.Scope{MerchantID: m.ID, Mode: gateway.ModeTest}
	ev := func(id string) gateway.Event {
		return gateway.Event{ID: id, MerchantID: m.ID, Mode: scope.Mode, Type: gateway.EventCheckoutCompleted,
			ObjectID: "cs_" + id, Body: []byte(`{}`), CreatedAt: now}
	}
	ids := func(l gateway.List[gateway.Event]) []string {
		var out []string
		for _, e := range l.Items {
			out = append(out, e.ID)
		}
		return out
	}
	// slow inserts its event and stays open; fast inserts and commits after.
	slow := func(id string) func() {
		tx, err := s.pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		e := ev(id)
		if err := insertEventTx(ctx, tx, &e, ""); err != nil {
			t.Fatal(err)
		}
		return func() {
			if err := tx.Commit(ctx); err != nil {
				t.Error(err)
			}
		}
	}

	t.Run("waits for the older transaction", func(t *testing.T) {
		commit := slow("evt_slow")
		if err := s.InsertEvent(ctx, ev("evt_fast"), ""); err != nil {
			t.Fatal(err)
		}
		time.AfterFunc(300*time.Millisecond, commit)
		start := time.Now()
		l, err := s.ListEvents(ctx, scope, gateway.EventFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(l); !slices.Equal(got, []string{"evt_fast", "evt_slow"}) {
			t.Errorf("listed %v after %v, want [evt_fast evt_slow] (the older transaction's event too)", got, time.Since(start))
		}
	})

	t.Run("past the wait, hides what may still gain an event below it", func(t *testing.T) {
		impatient := open(t, dbURL)
		impatient.horizonWait = 100 * time.Millisecond
		commit := slow("evt_slow2")
		if err := s.InsertEvent(ctx, ev("evt_fast2"), ""); err != nil {
			t.Fatal(err)
		}
		l, err := impatient.ListEvents(ctx, scope, gateway.EventFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(l); !slices.Equal(got, []string{"evt_fast", "evt_slow"}) {
			t.Errorf("listed %v while an older transaction ran, want [evt_fast evt_slow]", got)
		}
		commit()
		l, err = s.ListEvents(ctx, scope, gateway.EventFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(l); !slices.Equal(got, []string{"evt_fast2", "evt_slow2", "evt_fast", "evt_slow"}) {
			t.Errorf("listed %v after it ended, want every event, in the order their transactions began", got)
		}
	})
}
