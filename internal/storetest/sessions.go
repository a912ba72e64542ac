package storetest

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

func testSessionRoundTrip(t *testing.T, f *fixture) {
	full := session(f.scope, "cs_full", at(0))
	full.Status = gateway.StatusCompleted
	full.LineItems = append(full.LineItems, gateway.LineItem{ProductID: "prod_mug", Name: "Mug", UnitAmountCents: 0, Quantity: 3})
	full.AmountSats = 7796
	full.ExchangeRate = "64123.45"
	full.PaymentRequest = "lnbcrt77960n1pfull"
	full.PaymentHash = "hash_full"
	full.InvoiceClaimedAt = at(1)
	full.UpdatedAt = at(4)
	full.CompletedAt = at(4)
	full.ExpiredAt = at(3)   // not a real life story, but every column
	full.CancelledAt = at(2) // must round-trip on its own
	full.Locale = "pt-BR"

	minimal := &gateway.CheckoutSession{
		ID: "cs_minimal", MerchantID: f.scope.MerchantID, Mode: f.scope.Mode, Status: gateway.StatusPending,
		AmountCents: 1, Currency: "jpy", CreatedAt: at(1), UpdatedAt: at(1),
	}

	// Times given in another zone come back as the same instants in UTC.
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	zoned := session(f.scope, "cs_zoned", at(2).In(zone))
	zoned.ExpiresAt = at(20).In(zone)

	for _, s := range []*gateway.CheckoutSession{full, minimal, zoned} {
		f.createSession(t, s)
	}
	for _, want := range []*gateway.CheckoutSession{full, minimal, zoned} {
		t.Run(want.ID, func(t *testing.T) {
			got, err := f.store.GetCheckoutSession(f.ctx, f.scope, want.ID)
			noErr(t, "GetCheckoutSession", err)
			diff(t, "session", want, got)
			wantUTC(t, "session", got.InvoiceClaimedAt, got.CreatedAt, got.UpdatedAt, got.ExpiresAt, got.CompletedAt, got.ExpiredAt, got.CancelledAt)
		})
	}

	t.Run("zero times stay zero", func(t *testing.T) {
		got, err := f.store.GetCheckoutSession(f.ctx, f.scope, minimal.ID)
		noErr(t, "GetCheckoutSession", err)
		for name, tm := range map[string]time.Time{"InvoiceClaimedAt": got.InvoiceClaimedAt, "ExpiresAt": got.ExpiresAt,
			"CompletedAt": got.CompletedAt, "ExpiredAt": got.ExpiredAt, "CancelledAt": got.CancelledAt} {
			if !tm.IsZero() {
				t.Errorf("%s = %v, want the zero time", name, tm)
			}
		}
	})

	t.Run("unknown id", func(t *testing.T) {
		_, err := f.store.GetCheckoutSession(f.ctx, f.scope, "cs_nothing")
		wantErr(t, "GetCheckoutSession", err, gateway.ErrNotFound)
	})

	t.Run("duplicate id is a conflict", func(t *testing.T) {
		dup := session(f.scope, full.ID, at(9))
		wantErr(t, "CreateCheckoutSession", f.store.CreateCheckoutSession(f.ctx, dup, nil), gateway.ErrConflict)
	})

	t.Run("duplicate payment hash is a conflict", func(t *testing.T) {
		dup := session(f.otherMerchant, "cs_samehash", at(9))
		dup.PaymentHash = full.PaymentHash
		wantErr(t, "CreateCheckoutSession", f.store.CreateCheckoutSession(f.ctx, dup, nil), gateway.ErrConflict)
		_, err := f.store.GetCheckoutSession(f.ctx, f.otherMerchant, dup.ID)
		wantErr(t, "GetCheckoutSession(refused session)", err, gateway.ErrNotFound)
	})
}

// listSessions creates the sessions the list tests page through, newest
// first g f e d c b a, with c and d created at the same instant.
func listSessions(t *testing.T, f *fixture) map[string]*gateway.CheckoutSession {
	t.Helper()
	all := map[string]*gateway.CheckoutSession{}
	for _, s := range []struct {
		id      string
		created int
		status  gateway.SessionStatus
	}{
		{"cs_a", 1, gateway.StatusPending},
		{"cs_b", 2, gateway.StatusCompleted},
		{"cs_c", 3, gateway.StatusPending},
		{"cs_d", 3, gateway.StatusPending},
		{"cs_e", 4, gateway.StatusExpired},
		{"cs_f", 5, gateway.StatusPending},
		{"cs_g", 6, gateway.StatusCancelled},
	} {
		sess := session(f.scope, s.id, at(s.created))
		sess.Status = s.status
		f.createSession(t, sess)
		all[s.id] = sess
	}
	// Newer sessions of other scopes that must never show.
	f.createSession(t, session(f.otherMode, "cs_x", at(7)))
	f.createSession(t, session(f.otherMerchant, "cs_y", at(8)))
	return all
}

func testListSessions(t *testing.T, f *fixture) {
	all := listSessions(t, f)
	tests := []struct {
		name      string
		filter    gateway.SessionFilter
		wantIDs   []string
		wantMore  bool
		wantTotal int
	}{
		{"everything", gateway.SessionFilter{}, []string{"cs_g", "cs_f", "cs_e", "cs_d", "cs_c", "cs_b", "cs_a"}, false, 7},
		{"first page", gateway.SessionFilter{Page: gateway.Page{PerPage: 3}}, []string{"cs_g", "cs_f", "cs_e"}, true, 7},
		{"page 1 explicitly", gateway.SessionFilter{Page: gateway.Page{Page: 1, PerPage: 3}}, []string{"cs_g", "cs_f", "cs_e"}, true, 7},
		{"second page", gateway.SessionFilter{Page: gateway.Page{Page: 2, PerPage: 3}}, []string{"cs_d", "cs_c", "cs_b"}, true, 7},
		{"last page", gateway.SessionFilter{Page: gateway.Page{Page: 3, PerPage: 3}}, []string{"cs_a"}, false, 7},
		{"past the end", gateway.SessionFilter{Page: gateway.Page{Page: 4, PerPage: 3}}, nil, false, 7},
		{"exactly full page", gateway.SessionFilter{Page: gateway.Page{PerPage: 7}}, []string{"cs_g", "cs_f", "cs_e", "cs_d", "cs_c", "cs_b", "cs_a"}, false, 7},
		{"starting after", gateway.SessionFilter{Page: gateway.Page{PerPage: 2, StartingAfter: "cs_e"}}, []string{"cs_d", "cs_c"}, true, 7},
		{"starting after one of a tie", gateway.SessionFilter{Page: gateway.Page{PerPage: 2, StartingAfter: "cs_d"}}, []string{"cs_c", "cs_b"}, true, 7},
		{"starting after ignores page", gateway.SessionFilter{Page: gateway.Page{Page: 3, PerPage: 2, StartingAfter: "cs_c"}}, []string{"cs_b", "cs_a"}, false, 7},
		{"starting after the last", gateway.SessionFilter{Page: gateway.Page{StartingAfter: "cs_a"}}, nil, false, 7},
		{"status", gateway.SessionFilter{Status: gateway.StatusPending}, []string{"cs_f", "cs_d", "cs_c", "cs_a"}, false, 4},
		{"status paged", gateway.SessionFilter{Status: gateway.StatusPending, Page: gateway.Page{PerPage: 2}}, []string{"cs_f", "cs_d"}, true, 4},
		{"status after a cursor outside the filter", gateway.SessionFilter{Status: gateway.StatusPending,
			Page: gateway.Page{PerPage: 2, StartingAfter: "cs_e"}}, []string{"cs_d", "cs_c"}, true, 4},
		{"status with no match", gateway.SessionFilter{Status: "nonexistent"}, nil, false, 0},
		{"created from is inclusive", gateway.SessionFilter{Created: gateway.TimeRange{From: at(3)}}, []string{"cs_g", "cs_f", "cs_e", "cs_d", "cs_c"}, false, 5},
		{"created to is inclusive", gateway.SessionFilter{Created: gateway.TimeRange{To: at(3)}}, []string{"cs_d", "cs_c", "cs_b", "cs_a"}, false, 4},
		{"created range", gateway.SessionFilter{Created: gateway.TimeRange{From: at(2), To: at(4)}}, []string{"cs_e", "cs_d", "cs_c", "cs_b"}, false, 4},
		{"created bounds a microsecond off", gateway.SessionFilter{Created: gateway.TimeRange{
			From: at(2).Add(time.Microsecond), To: at(4).Add(-time.Microsecond)}}, []string{"cs_d", "cs_c"}, false, 2},
		{"filters combine", gateway.SessionFilter{Status: gateway.StatusPending, Created: gateway.TimeRange{From: at(3)}}, []string{"cs_f", "cs_d", "cs_c"}, false, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.store.ListCheckoutSessions(f.ctx, f.scope, tt.filter)
			noErr(t, "ListCheckoutSessions", err)
			checkList(t, got, sessionID, tt.wantIDs, tt.wantMore, tt.wantTotal)
		})
	}

	t.Run("items are whole sessions", func(t *testing.T) {
		got, err := f.store.ListCheckoutSessions(f.ctx, f.scope, gateway.SessionFilter{Page: gateway.Page{PerPage: 2}})
		noErr(t, "ListCheckoutSessions", err)
		diff(t, "sessions", []gateway.CheckoutSession{*all["cs_g"], *all["cs_f"]}, got.Items)
	})

	for _, cursor := range []string{"cs_nothing", "cs_x", "cs_y"} {
		t.Run("starting after "+cursor+" outside the list", func(t *testing.T) {
			_, err := f.store.ListCheckoutSessions(f.ctx, f.scope, gateway.SessionFilter{Page: gateway.Page{StartingAfter: cursor}})
			wantCursorError(t, "ListCheckoutSessions", err)
		})
	}
}

func testListDefaultPageSize(t *testing.T, f *fixture) {
	var ids []string
	for i := range 26 {
		id := fmt.Sprintf("cs_%02d", i)
		f.createSession(t, session(f.scope, id, at(i)))
		ids = append([]string{id}, ids...)
	}
	got, err := f.store.ListCheckoutSessions(f.ctx, f.scope, gateway.SessionFilter{})
	noErr(t, "ListCheckoutSessions", err)
	checkList(t, got, sessionID, ids[:25], true, 26)
}

func testUpdateSession(t *testing.T, f *fixture) {
	t.Run("writes the session, its events and its transaction together", func(t *testing.T) {
		s := session(f.scope, "cs_pay", at(0))
		s.AmountSats, s.ExchangeRate, s.PaymentRequest, s.PaymentHash = 7796, "64123.45", "lnbcrt1pay", "hash_pay"
		s.InvoiceRef = "https://ln.example/lnurlp/verify/hash_pay" // kept as it is, for the wallet's lookups
		s.Locale = "ar"                                            // kept too: the page's language
		f.createSession(t, s)
		tx := transaction(s, "txn_pay", "hash_pay", at(3))
		// Two events at the same instant come back in the order written.
		evs := []gateway.Event{
			event(f.scope, "evt_pay2", gateway.EventCheckoutCompleted, s.ID, at(3)),
			event(f.scope, "evt_pay1", gateway.EventWebhookTest, s.ID, at(3)),
		}

		want := *s
		want.Status, want.UpdatedAt, want.CompletedAt, want.TransactionID = gateway.StatusCompleted, at(3), at(3), tx.ID
		want.Metadata = map[string]string{"order_id": "A-1001", "channel": "web", "paid": "yes"}

		got, err := f.store.UpdateCheckoutSession(f.ctx, f.scope, s.ID, func(s *gateway.CheckoutSession) (gateway.SessionChange, error) {
			if err := s.Transition(gateway.StatusCompleted, at(3)); err != nil {
				return gateway.SessionChange{}, err
			}
			s.TransactionID = tx.ID
			s.Metadata["paid"] = "yes"
			return gateway.SessionChange{Events: evs, Transaction: tx}, nil
		})
		noErr(t, "UpdateCheckoutSession", err)
		diff(t, "returned session", &want, got)

		stored, err := f.store.GetCheckoutSession(f.ctx, f.scope, s.ID)
		noErr(t, "GetCheckoutSession", err)
		diff(t, "stored session", &want, stored)

		gotEvs, err := f.store.ListEventsForObject(f.ctx, f.scope, s.ID)
		noErr(t, "ListEventsForObject", err)
		diff(t, "events", evs, gotEvs)

		gotTx, err := f.store.GetTransaction(f.ctx, f.scope, tx.ID)
		noErr(t, "GetTransaction", err)
		diff(t, "transaction", tx, gotTx)
	})

	t.Run("fn's error comes back unchanged and nothing is written", func(t *testing.T) {
		s := session(f.scope, "cs_refuse", at(0))
		f.createSession(t, s)
		errBoom := errors.New("boom")
		for _, fnErr := range []error{errBoom, &gateway.Error{Code: gateway.CodeValidation, Message: "no"}} {
			_, err := f.store.UpdateCheckoutSession(f.ctx, f.scope, s.ID, func(sess *gateway.CheckoutSession) (gateway.SessionChange, error) {
				if err := sess.Transition(gateway.StatusCompleted, at(3)); err != nil {
					return gateway.SessionChange{}, err
				}
				sess.Metadata["changed"] = "yes"
				tx := transaction(sess, "txn_refuse", "hash_refuse", at(3))
				return gateway.SessionChange{
					Events:      []gateway.Event{event(f.scope, "evt_refuse", gateway.EventCheckoutCompleted, sess.ID, at(3))},
					Transaction: tx,
				}, fnErr
			})
			if !errors.Is(err, fnErr) || err.Error() != fnErr.Error() {
				t.Errorf("err = %v, want fn's error %v unchanged", err, fnErr)
			}
		}
		stored, err := f.store.GetCheckoutSession(f.ctx, f.scope, s.ID)
		noErr(t, "GetCheckoutSession", err)
		diff(t, "session after refused update", s, stored)
		evs, err := f.store.ListEventsForObject(f.ctx, f.scope, s.ID)
		noErr(t, "ListEventsForObject", err)
		diff(t, "events after refused update", []gateway.Event(nil), evs)
		_, err = f.store.GetTransaction(f.ctx, f.scope, "txn_refuse")
		wantErr(t, "GetTransaction after refused update", err, gateway.ErrNotFound)
	})

	t.Run("the zero scope finds a session of any scope", func(t *testing.T) {
		s := session(f.otherMerchant, "cs_anyscope", at(0))
		f.createSession(t, s)
		got, err := f.store.UpdateCheckoutSession(f.ctx, gateway.Scope{}, s.ID, func(sess *gateway.CheckoutSession) (gateway.SessionChange, error) {
			return gateway.SessionChange{}, sess.Transition(gateway.StatusExpired, at(20))
		})
		noErr(t, "UpdateCheckoutSession", err)
		want := *s
		want.Status, want.UpdatedAt, want.ExpiredAt = gateway.StatusExpired, at(20), at(20)
		diff(t, "returned session", &want, got)
		stored, err := f.store.GetCheckoutSession(f.ctx, f.otherMerchant, s.ID)
		noErr(t, "GetCheckoutSession", err)
		diff(t, "stored session", &want, stored)
	})

	t.Run("unknown id", func(t *testing.T) {
		for _, scope := range []gateway.Scope{f.scope, {}} {
			_, err := f.store.UpdateCheckoutSession(f.ctx, scope, "cs_nothing", func(*gateway.CheckoutSession) (gateway.SessionChange, error) {
				t.Error("fn called for an unknown session")
				return gateway.SessionChange{}, nil
			})
			wantErr(t, "UpdateCheckoutSession", err, gateway.ErrNotFound)
		}
	})

	t.Run("a duplicate payment hash rolls the whole change back", func(t *testing.T) {
		paid, _ := f.settle(t, f.scope, "cs_paidfirst", "txn_paidfirst", "hash_shared", at(1))
		s := session(f.scope, "cs_paidsecond", at(0))
		s.PaymentHash = "hash_second"
		f.createSession(t, s)
		_, err := f.store.UpdateCheckoutSession(f.ctx, f.scope, s.ID, func(sess *gateway.CheckoutSession) (gateway.SessionChange, error) {
			if err := sess.Transition(gateway.StatusCompleted, at(2)); err != nil {
				return gateway.SessionChange{}, err
			}
			tx := transaction(sess, "txn_paidsecond", "hash_shared", at(2))
			sess.TransactionID = tx.ID
			ev := event(f.scope, "evt_paidsecond", gateway.EventCheckoutCompleted, sess.ID, at(2))
			return gateway.SessionChange{Events: []gateway.Event{ev}, Transaction: tx}, nil
		})
		wantErr(t, "UpdateCheckoutSession", err, gateway.ErrConflict)

		stored, err := f.store.GetCheckoutSession(f.ctx, f.scope, s.ID)
		noErr(t, "GetCheckoutSession", err)
		diff(t, "session after conflict", s, stored)
		evs, err := f.store.ListEventsForObject(f.ctx, f.scope, s.ID)
		noErr(t, "ListEventsForObject", err)
		diff(t, "events after conflict", []gateway.Event(nil), evs)
		txs, err := f.store.ListTransactions(f.ctx, f.scope, gateway.TransactionFilter{PaymentHash: "hash_shared"})
		noErr(t, "ListTransactions", err)
		checkList(t, txs, txID, []string{"txn_paidfirst"}, false, 1)
		first, err := f.store.GetCheckoutSession(f.ctx, f.scope, paid.ID)
		noErr(t, "GetCheckoutSession", err)
		diff(t, "first session after conflict", paid, first)
	})

	t.Run("taking another session's payment hash is a conflict", func(t *testing.T) {
		a := session(f.scope, "cs_hash_a", at(0))
		a.PaymentHash = "hash_a"
		b := session(f.scope, "cs_hash_b", at(0))
		f.createSession(t, a)
		f.createSession(t, b)
		_, err := f.store.UpdateCheckoutSession(f.ctx, f.scope, b.ID, func(sess *gateway.CheckoutSession) (gateway.SessionChange, error) {
			sess.PaymentHash, sess.PaymentRequest = a.PaymentHash, "lnbcrt1b"
			return gateway.SessionChange{}, nil
		})
		wantErr(t, "UpdateCheckoutSession", err, gateway.ErrConflict)
		stored, err := f.store.GetCheckoutSession(f.ctx, f.scope, b.ID)
		noErr(t, "GetCheckoutSession", err)
		diff(t, "session after conflict", b, stored)
	})
}

func testConcurrentUpdates(t *testing.T, f *fixture) {
	// Several rounds, each a fresh pending session, to give a store that
	// does not exclude concurrent updates many chances to show it.
	for round := range 5 {
		t.Run(fmt.Sprintf("round %d", round), func(t *testing.T) {
			race(t, f, fmt.Sprintf("cs_race%d", round))
		})
	}
}

// race has 30 goroutines try at once to complete session id, each with its
// own transaction and event. Exactly one may succeed.
func race(t *testing.T, f *fixture, id string) {
	const racers = 30
	f.createSession(t, session(f.scope, id, at(0)))
	txIDOf := func(i int) string { return fmt.Sprintf("txn_%s_%02d", id, i) }
	evIDOf := func(i int) string { return fmt.Sprintf("evt_%s_%02d", id, i) }

	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, racers)
	for i := range racers {
		wg.Go(func() {
			<-start
			_, errs[i] = f.store.UpdateCheckoutSession(f.ctx, f.scope, id, func(sess *gateway.CheckoutSession) (gateway.SessionChange, error) {
				runtime.Gosched() // widen the window a racing update could use
				if err := sess.Transition(gateway.StatusCompleted, at(1)); err != nil {
					return gateway.SessionChange{}, err
				}
				// Every racer brings its own payment, so only the store's
				// exclusion, not a unique index, can stop a second one.
				tx := transaction(sess, txIDOf(i), fmt.Sprintf("hash_%s_%02d", id, i), at(1))
				sess.TransactionID = tx.ID
				ev := event(f.scope, evIDOf(i), gateway.EventCheckoutCompleted, sess.ID, at(1))
				return gateway.SessionChange{Events: []gateway.Event{ev}, Transaction: tx}, nil
			})
		})
	}
	close(start)
	wg.Wait()

	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("racers %d and %d both completed the session", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, gateway.ErrIllegalTransition):
			t.Errorf("racer %d: err = %v, want ErrIllegalTransition", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no racer completed the session")
	}

	stored, err := f.store.GetCheckoutSession(f.ctx, f.scope, id)
	noErr(t, "GetCheckoutSession", err)
	if stored.Status != gateway.StatusCompleted || stored.TransactionID != txIDOf(winner) {
		t.Errorf("stored session status %s, transaction %q; want completed, %q", stored.Status, stored.TransactionID, txIDOf(winner))
	}
	txs, err := f.store.ListTransactions(f.ctx, f.scope, gateway.TransactionFilter{CheckoutSessionID: id})
	noErr(t, "ListTransactions", err)
	checkList(t, txs, txID, []string{txIDOf(winner)}, false, 1)
	evs, err := f.store.ListEventsForObject(f.ctx, f.scope, id)
	noErr(t, "ListEventsForObject", err)
	var ids []string
	for _, e := range evs {
		ids = append(ids, eventID(e))
	}
	diff(t, "event ids", []string{evIDOf(winner)}, ids)
}

func testDueSessions(t *testing.T, f *fixture) {
	for _, s := range []struct {
		scope   gateway.Scope
		id      string
		status  gateway.SessionStatus
		expires time.Time
	}{
		{f.scope, "cs_due_a", gateway.StatusPending, at(0)}, // expires exactly now: due
		{f.scope, "cs_due_c", gateway.StatusPending, at(-10)},
		{f.otherMerchant, "cs_due_b", gateway.StatusPending, at(-5)},
		{f.otherMode, "cs_due_d", gateway.StatusPending, at(0).Add(time.Microsecond)}, // not yet
		{f.scope, "cs_due_e", gateway.StatusPending, at(30)},
		{f.scope, "cs_due_f", gateway.StatusCompleted, at(-20)},
		{f.scope, "cs_due_g", gateway.StatusExpired, at(-30)},
		{f.scope, "cs_due_h", gateway.StatusCancelled, at(-40)},
		{f.scope, "cs_due_i", gateway.StatusPending, time.Time{}}, // never expires
	} {
		sess := session(s.scope, s.id, at(-60))
		sess.Status, sess.ExpiresAt = s.status, s.expires
		f.createSession(t, sess)
	}
	tests := []struct {
		name  string
		now   time.Time
		limit int
		want  []string
	}{
		{"all due, soonest first", at(0), 10, []string{"cs_due_c", "cs_due_b", "cs_due_a"}},
		{"limited", at(0), 2, []string{"cs_due_c", "cs_due_b"}},
		{"earlier", at(-6), 10, []string{"cs_due_c"}},
		{"none due", at(-11), 10, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.store.DueSessions(f.ctx, tt.now, tt.limit)
			noErr(t, "DueSessions", err)
			diff(t, "due ids", tt.want, got)
		})
	}
	t.Run("an expired session is no longer due", func(t *testing.T) {
		_, err := f.store.UpdateCheckoutSession(f.ctx, gateway.Scope{}, "cs_due_c", func(s *gateway.CheckoutSession) (gateway.SessionChange, error) {
			return gateway.SessionChange{}, s.Transition(gateway.StatusExpired, at(0))
		})
		noErr(t, "UpdateCheckoutSession", err)
		got, err := f.store.DueSessions(f.ctx, at(0), 10)
		noErr(t, "DueSessions", err)
		diff(t, "due ids", []string{"cs_due_b", "cs_due_a"}, got)
	})
}

func testInvoiceClaim(t *testing.T, f *fixture) {
	s := session(f.scope, "cs_claim", at(0))
	s.PaymentHash = "hash_claim"
	f.createSession(t, s)
	setClaim := func(t *testing.T, claimed time.Time) *gateway.CheckoutSession {
		t.Helper()
		got, err := f.store.UpdateCheckoutSession(f.ctx, f.scope, s.ID, func(sess *gateway.CheckoutSession) (gateway.SessionChange, error) {
			sess.InvoiceClaimedAt = claimed
			return gateway.SessionChange{}, nil
		})
		noErr(t, "UpdateCheckoutSession", err)
		return got
	}
	// every read of the session, each of which must show the claim.
	reads := func(t *testing.T) map[string]*gateway.CheckoutSession {
		t.Helper()
		got := map[string]*gateway.CheckoutSession{}
		var err error
		got["GetCheckoutSession"], err = f.store.GetCheckoutSession(f.ctx, f.scope, s.ID)
		noErr(t, "GetCheckoutSession", err)
		got["GetCheckoutSessionByPaymentHash"], err = f.store.GetCheckoutSessionByPaymentHash(f.ctx, s.PaymentHash)
		noErr(t, "GetCheckoutSessionByPaymentHash", err)
		list, err := f.store.ListCheckoutSessions(f.ctx, f.scope, gateway.SessionFilter{})
		noErr(t, "ListCheckoutSessions", err)
		checkList(t, list, sessionID, []string{s.ID}, false, 1)
		got["ListCheckoutSessions"] = &list.Items[0]
		for name, scope := range map[string]gateway.Scope{"ReconcilableSessions": {}, "ReconcilableSessions of its scope": f.scope} {
			rec, err := f.store.ReconcilableSessions(f.ctx, scope, at(0), "", 10)
			noErr(t, name, err)
			if len(rec) != 1 {
				t.Fatalf("%s returned %d sessions, want 1", name, len(rec))
			}
			got[name] = &rec[0]
		}
		return got
	}

	t.Run("set", func(t *testing.T) {
		// Given in another zone, it comes back as the same instant in UTC.
		claimed := at(1).Add(7 * time.Microsecond)
		got := setClaim(t, claimed.In(time.FixedZone("UTC-3", -3*3600)))
		if !got.InvoiceClaimedAt.Equal(claimed) {
			t.Errorf("returned InvoiceClaimedAt = %v, want %v", got.InvoiceClaimedAt, claimed)
		}
		want := *s
		want.InvoiceClaimedAt = claimed
		for name, got := range reads(t) {
			diff(t, name, &want, got)
			wantUTC(t, name, got.InvoiceClaimedAt)
		}
	})

	t.Run("cleared", func(t *testing.T) {
		got := setClaim(t, time.Time{})
		diff(t, "returned session", s, got)
		for name, got := range reads(t) {
			diff(t, name, s, got)
			if !got.InvoiceClaimedAt.IsZero() {
				t.Errorf("%s: InvoiceClaimedAt = %v, want the zero time", name, got.InvoiceClaimedAt)
			}
		}
	})

	t.Run("a refused update leaves the claim alone", func(t *testing.T) {
		setClaim(t, at(2))
		errBoom := errors.New("boom")
		_, err := f.store.UpdateCheckoutSession(f.ctx, f.scope, s.ID, func(sess *gateway.CheckoutSession) (gateway.SessionChange, error) {
			sess.InvoiceClaimedAt = at(3)
			return gateway.SessionChange{}, errBoom
		})
		wantErr(t, "UpdateCheckoutSession", err, errBoom)
		got, err := f.store.GetCheckoutSession(f.ctx, f.scope, s.ID)
		noErr(t, "GetCheckoutSession", err)
		if !got.InvoiceClaimedAt.Equal(at(2)) {
			t.Errorf("InvoiceClaimedAt = %v, want %v", got.InvoiceClaimedAt, at(2))
		}
	})
}

func testSessionByPaymentHash(t *testing.T, f *fixture) {
	mine := session(f.scope, "cs_byhash_mine", at(0))
	mine.PaymentHash, mine.PaymentRequest = "hash_byhash_mine", "lnbcrt1mine"
	otherMode := session(f.otherMode, "cs_byhash_live", at(1))
	otherMode.PaymentHash = "hash_byhash_live"
	otherMerchant := session(f.otherMerchant, "cs_byhash_other", at(2))
	otherMerchant.PaymentHash = "hash_byhash_other"
	noInvoice := session(f.scope, "cs_byhash_none", at(3))
	for _, s := range []*gateway.CheckoutSession{mine, otherMode, otherMerchant, noInvoice} {
		f.createSession(t, s)
	}
	completed, _ := f.settle(t, f.otherMerchant, "cs_byhash_paid", "txn_byhash_paid", "hash_byhash_paid", at(4))

	for _, want := range []*gateway.CheckoutSession{mine, otherMode, otherMerchant, completed} {
		t.Run("found in any scope and status: "+want.ID, func(t *testing.T) {
			got, err := f.store.GetCheckoutSessionByPaymentHash(f.ctx, want.PaymentHash)
			noErr(t, "GetCheckoutSessionByPaymentHash", err)
			diff(t, "session", want, got)
		})
	}

	t.Run("a hash set by an update is found", func(t *testing.T) {
		_, err := f.store.UpdateCheckoutSession(f.ctx, f.scope, noInvoice.ID, func(s *gateway.CheckoutSession) (gateway.SessionChange, error) {
			s.PaymentHash, s.PaymentRequest = "hash_byhash_late", "lnbcrt1late"
			return gateway.SessionChange{}, nil
		})
		noErr(t, "UpdateCheckoutSession", err)
		got, err := f.store.GetCheckoutSessionByPaymentHash(f.ctx, "hash_byhash_late")
		noErr(t, "GetCheckoutSessionByPaymentHash", err)
		if got.ID != noInvoice.ID {
			t.Errorf("found session %s, want %s", got.ID, noInvoice.ID)
		}
	})

	for _, hash := range []string{"hash_unknown", "HASH_BYHASH_MINE", ""} {
		t.Run(fmt.Sprintf("unknown hash %q", hash), func(t *testing.T) {
			_, err := f.store.GetCheckoutSessionByPaymentHash(f.ctx, hash)
			wantErr(t, "GetCheckoutSessionByPaymentHash", err, gateway.ErrNotFound)
		})
	}
}

func testReconcilableSessions(t *testing.T, f *fixture) {
	since := at(-5)
	all := map[string]*gateway.CheckoutSession{}
	for i, s := range []struct {
		scope   gateway.Scope
		id      string
		status  gateway.SessionStatus
		hash    bool
		expired time.Time
	}{
		{f.scope, "cs_rec_a", gateway.StatusPending, true, time.Time{}},
		{f.scope, "cs_rec_b", gateway.StatusPending, false, time.Time{}},                 // no invoice yet
		{f.scope, "cs_rec_c", gateway.StatusExpired, true, since.Add(-time.Microsecond)}, // expired too long ago
		{f.otherMerchant, "cs_rec_d", gateway.StatusExpired, true, since},                // expired exactly at since
		{f.scope, "cs_rec_e", gateway.StatusCompleted, true, time.Time{}},                // paid
		{f.scope, "cs_rec_f", gateway.StatusCancelled, true, time.Time{}},                // cancelled
		{f.scope, "cs_rec_g", gateway.StatusExpired, false, at(0)},                       // expired without invoice
		{f.otherMode, "cs_rec_h", gateway.StatusPending, true, time.Time{}},              // another scope
		{f.scope, "cs_rec_i", gateway.StatusCompleted, true, at(0)},                      // expired, then paid late
		{f.scope, "cs_rec_j", gateway.StatusExpired, true, at(0)},                        // recently expired
		{f.otherMerchant, "cs_rec_k", gateway.StatusPending, true, time.Time{}},          // another merchant
		{f.scope, "cs_rec_l", gateway.StatusExpired, true, since.Add(-24 * time.Hour)},   // long expired
		{f.scope, "cs_rec_m", gateway.StatusExpired, true, since.Add(time.Microsecond)},  // just inside
		{f.scope, "cs_rec_n", gateway.StatusPending, false, time.Time{}},                 // no invoice yet
		{f.scope, "cs_rec_o", gateway.StatusCancelled, true, at(0)},                      // recently cancelled: may still be paid
		{f.otherMode, "cs_rec_p", gateway.StatusCancelled, true, at(0)},                  // recently cancelled in another scope
	} {
		// Created newest first in id order, so creation order cannot pass for id order.
		sess := session(s.scope, s.id, at(-10-i))
		sess.Status, sess.ExpiredAt = s.status, s.expired
		if s.status == gateway.StatusCancelled {
			sess.ExpiredAt, sess.CancelledAt = time.Time{}, s.expired
		}
		if s.hash {
			sess.PaymentHash, sess.PaymentRequest = "hash_"+s.id, "lnbcrt1"+s.id
		}
		f.createSession(t, sess)
		all[s.id] = sess
	}

	every, nobody := gateway.Scope{}, gateway.Scope{MerchantID: "mer_nobody", Mode: gateway.ModeTest}
	tests := []struct {
		name  string
		scope gateway.Scope
		since time.Time
		after string
		limit int
		want  []string
	}{
		{"pending and recently expired or cancelled, by id", every, since, "", 100,
			[]string{"cs_rec_a", "cs_rec_d", "cs_rec_h", "cs_rec_j", "cs_rec_k", "cs_rec_m", "cs_rec_o", "cs_rec_p"}},
		{"first page", every, since, "", 2, []string{"cs_rec_a", "cs_rec_d"}},
		{"next page", every, since, "cs_rec_d", 2, []string{"cs_rec_h", "cs_rec_j"}},
		{"last page", every, since, "cs_rec_j", 2, []string{"cs_rec_k", "cs_rec_m"}},
		{"past the end", every, since, "cs_rec_p", 2, nil},
		{"after an id that is not in the list", every, since, "cs_rec_b", 3, []string{"cs_rec_d", "cs_rec_h", "cs_rec_j"}},
		{"after an id of no session", every, since, "cs_rec_ddd", 100, []string{"cs_rec_h", "cs_rec_j", "cs_rec_k", "cs_rec_m", "cs_rec_o", "cs_rec_p"}},
		{"since is inclusive", every, since.Add(time.Microsecond), "", 100, []string{"cs_rec_a", "cs_rec_h", "cs_rec_j", "cs_rec_k", "cs_rec_m", "cs_rec_o", "cs_rec_p"}},
		{"an earlier since", every, since.Add(-time.Microsecond), "", 100,
			[]string{"cs_rec_a", "cs_rec_c", "cs_rec_d", "cs_rec_h", "cs_rec_j", "cs_rec_k", "cs_rec_m", "cs_rec_o", "cs_rec_p"}},
		{"the zero since takes every expired one", every, time.Time{}, "", 100,
			[]string{"cs_rec_a", "cs_rec_c", "cs_rec_d", "cs_rec_h", "cs_rec_j", "cs_rec_k", "cs_rec_l", "cs_rec_m", "cs_rec_o", "cs_rec_p"}},
		{"a late since leaves only the pending", every, at(1), "", 100, []string{"cs_rec_a", "cs_rec_h", "cs_rec_k"}},

		// One scope: another merchant's and another mode's sessions are left out.
		{"one scope", f.scope, since, "", 100, []string{"cs_rec_a", "cs_rec_j", "cs_rec_m", "cs_rec_o"}},
		{"one scope, first page", f.scope, since, "", 2, []string{"cs_rec_a", "cs_rec_j"}},
		{"one scope, next page", f.scope, since, "cs_rec_j", 2, []string{"cs_rec_m", "cs_rec_o"}},
		{"one scope, after an id of another scope", f.scope, since, "cs_rec_k", 100, []string{"cs_rec_m", "cs_rec_o"}},
		{"one scope, the zero since", f.scope, time.Time{}, "", 100,
			[]string{"cs_rec_a", "cs_rec_c", "cs_rec_j", "cs_rec_l", "cs_rec_m", "cs_rec_o"}},
		{"one scope, a late since", f.scope, at(1), "", 100, []string{"cs_rec_a"}},
		{"the same merchant's other mode", f.otherMode, since, "", 100, []string{"cs_rec_h", "cs_rec_p"}},
		{"another merchant", f.otherMerchant, since, "", 100, []string{"cs_rec_d", "cs_rec_k"}},
		{"a merchant with no sessions", nobody, time.Time{}, "", 100, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.store.ReconcilableSessions(f.ctx, tt.scope, tt.since, tt.after, tt.limit)
			noErr(t, "ReconcilableSessions", err)
			var want []gateway.CheckoutSession
			for _, id := range tt.want {
				want = append(want, *all[id])
			}
			// Whole sessions, so a store cannot return the right ids with the wrong rows.
			diff(t, "sessions", want, got)
		})
	}

	t.Run("a session leaves the list when it is paid and joins when it gets an invoice", func(t *testing.T) {
		update := func(id string, fn func(*gateway.CheckoutSession) error) {
			t.Helper()
			_, err := f.store.UpdateCheckoutSession(f.ctx, gateway.Scope{}, id, func(s *gateway.CheckoutSession) (gateway.SessionChange, error) {
				return gateway.SessionChange{}, fn(s)
			})
			noErr(t, "UpdateCheckoutSession("+id+")", err)
		}
		update("cs_rec_a", func(s *gateway.CheckoutSession) error { return s.Transition(gateway.StatusCompleted, at(1)) })
		update("cs_rec_j", func(s *gateway.CheckoutSession) error { return s.Transition(gateway.StatusCompleted, at(1)) })
		update("cs_rec_b", func(s *gateway.CheckoutSession) error {
			s.PaymentHash, s.PaymentRequest = "hash_cs_rec_b", "lnbcrt1cs_rec_b"
			return nil
		})
		update("cs_rec_k", func(s *gateway.CheckoutSession) error { return s.Transition(gateway.StatusExpired, at(1)) })
		for _, tt := range []struct {
			scope gateway.Scope
			want  []string
		}{
			{every, []string{"cs_rec_b", "cs_rec_d", "cs_rec_h", "cs_rec_k", "cs_rec_m", "cs_rec_o", "cs_rec_p"}},
			{f.scope, []string{"cs_rec_b", "cs_rec_m", "cs_rec_o"}},
			{f.otherMerchant, []string{"cs_rec_d", "cs_rec_k"}},
		} {
			got, err := f.store.ReconcilableSessions(f.ctx, tt.scope, since, "", 100)
			noErr(t, "ReconcilableSessions", err)
			var ids []string
			for _, s := range got {
				ids = append(ids, s.ID)
			}
			diff(t, fmt.Sprintf("ids in scope %+v", tt.scope), tt.want, ids)
		}
	})
}
