package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// testPruneDeliveryAttempts: attempts older than the cut are deleted, at
// most limit at a time and oldest first; the delivery keeps its summary and
// the newer attempts stay.
func testPruneDeliveryAttempts(t *testing.T, f *fixture) {
	f.createEndpoint(t, endpoint(f.scope, "we_a", at(-10)))
	f.insertEvent(t, event(f.scope, "evt_1", gateway.EventCheckoutCompleted, "cs_1", at(0)), "")
	sched := gateway.DefaultRetrySchedule
	var attempts []gateway.DeliveryAttempt
	var last gateway.Delivery
	now := at(0)
	for i, o := range []gateway.AttemptOutcome{{StatusCode: 500}, {StatusCode: 502}, {StatusCode: 200}} {
		jobs := f.claim(t, now, now.Add(time.Minute), 10)
		if len(jobs) != 1 {
			t.Fatalf("attempt %d: claimed %v, want one delivery", i, jobKeys(jobs))
		}
		next := gateway.NextDelivery(jobs[0].Delivery, o, sched, now)
		a := attemptOf("wha_"+string(rune('a'+i)), next, o, now, "reply")
		noErr(t, "RecordDeliveryAttempt", f.store.RecordDeliveryAttempt(f.ctx, jobs[0].Delivery.LeaseToken, a, next))
		attempts, last = append(attempts, a), next
		now = next.NextAttemptAt
	}
	list := func() []gateway.DeliveryAttempt {
		got, err := f.store.ListDeliveryAttempts(f.ctx, last.ID)
		noErr(t, "ListDeliveryAttempts", err)
		return got
	}
	diff(t, "attempts before pruning", attempts, list())

	cut := attempts[2].At // the first two are older
	n, err := f.store.PruneDeliveryAttempts(f.ctx, cut, 1)
	noErr(t, "PruneDeliveryAttempts", err)
	if n != 1 {
		t.Errorf("PruneDeliveryAttempts(limit 1) deleted %d, want 1", n)
	}
	diff(t, "attempts after one batch (the oldest went first)", attempts[1:], list())
	n, err = f.store.PruneDeliveryAttempts(f.ctx, cut, 10)
	noErr(t, "PruneDeliveryAttempts", err)
	if n != 1 {
		t.Errorf("PruneDeliveryAttempts deleted %d, want 1", n)
	}
	diff(t, "attempts after pruning", attempts[2:], list())
	n, err = f.store.PruneDeliveryAttempts(f.ctx, cut, 10)
	noErr(t, "PruneDeliveryAttempts", err)
	if n != 0 {
		t.Errorf("PruneDeliveryAttempts on a pruned log deleted %d, want 0", n)
	}
	diff(t, "delivery (its summary stays)", last, f.getDelivery(t, f.scope, last.ID))
}

// testForgetCustomer: the customer's email and name leave every session of
// every merchant and mode (matched without regard to case) and the stored
// copies of those sessions; the payments and everything else stay, other
// customers are untouched, and a second run changes nothing.
func testForgetCustomer(t *testing.T, f *fixture) {
	ada1 := session(f.scope, "cs_ada1", at(0))
	ada2 := session(f.otherMode, "cs_ada2", at(1))
	ada2.CustomerEmail = "ADA@Example.com"
	bob := session(f.scope, "cs_bob", at(2))
	bob.CustomerEmail, bob.CustomerName = "bob@example.com", "Bob"
	for _, s := range []*gateway.CheckoutSession{ada1, ada2, bob} {
		f.createSession(t, s)
	}
	ada3, tx := f.settle(t, f.otherMerchant, "cs_ada3", "txn_ada3", "hash_ada3", at(5))

	// Copies: an event body that shows the customer, one that doesn't, and
	// stored replies of session creates.
	shows := event(f.otherMerchant, "evt_shows", gateway.EventCheckoutExpired, "cs_ada3", at(6))
	shows.Body = []byte(`{"id":"evt_shows","checkout_id":"cs_ada3","customer_email":"ada@example.com","customer_name":"Ada Lovelace","amount_cents":5000}`)
	f.insertEvent(t, shows, "")
	bobEvent := event(f.scope, "evt_bob", gateway.EventCheckoutExpired, "cs_bob", at(6))
	bobEvent.Body = []byte(`{"id":"evt_bob","customer_email":"bob@example.com","customer_name":"Bob"}`)
	f.insertEvent(t, bobEvent, "")
	keyID := f.keys["sk_test"].ID
	replies := map[string]string{
		"create-ada": `{"id":"cs_ada1","customer_email":"ada@example.com","customer_name":"Ada Lovelace","amount_cents":5000}`,
		"create-bob": `{"id":"cs_bob","customer_email":"bob@example.com","customer_name":"Bob","amount_cents":5000}`,
	}
	for key, body := range replies {
		_, err := f.store.BeginIdempotent(f.ctx, gateway.IdempotencyRecord{APIKeyID: keyID, Key: key, RequestHash: []byte("h"), CreatedAt: at(0)}, at(-1))
		noErr(t, "BeginIdempotent", err)
		noErr(t, "CompleteIdempotent", f.store.CompleteIdempotent(f.ctx, keyID, key, 201, []byte(body)))
	}

	got, err := f.store.ForgetCustomer(f.ctx, "Ada@EXAMPLE.com")
	noErr(t, "ForgetCustomer", err)
	diff(t, "ForgetCustomer's counts", gateway.CustomerForgotten{Sessions: 3, Events: 1, IdempotentReplies: 1}, got)

	for _, want := range []*gateway.CheckoutSession{ada1, ada2, ada3} {
		scope := gateway.Scope{MerchantID: want.MerchantID, Mode: want.Mode}
		w := *want
		w.CustomerEmail, w.CustomerName = "", ""
		s, err := f.store.GetCheckoutSession(f.ctx, scope, want.ID)
		noErr(t, "GetCheckoutSession", err)
		diff(t, want.ID+" after forgetting", &w, s)
	}
	s, err := f.store.GetCheckoutSession(f.ctx, f.scope, bob.ID)
	noErr(t, "GetCheckoutSession", err)
	diff(t, "another customer's session", bob, s)
	gotTx, err := f.store.GetTransaction(f.ctx, f.otherMerchant, tx.ID)
	noErr(t, "GetTransaction", err)
	diff(t, "the payment", tx, gotTx)

	ev, err := f.store.GetEvent(f.ctx, f.otherMerchant, "evt_shows")
	noErr(t, "GetEvent", err)
	diff(t, "event body", `{"id":"evt_shows","checkout_id":"cs_ada3","customer_email":null,"customer_name":null,"amount_cents":5000}`, string(ev.Body))
	ev, err = f.store.GetEvent(f.ctx, f.scope, "evt_bob")
	noErr(t, "GetEvent", err)
	diff(t, "another customer's event", string(bobEvent.Body), string(ev.Body))
	for key, want := range map[string]string{
		"create-ada": `{"id":"cs_ada1","customer_email":null,"customer_name":null,"amount_cents":5000}`,
		"create-bob": replies["create-bob"],
	} {
		rec, err := f.store.LookupIdempotent(f.ctx, keyID, key, at(-1))
		noErr(t, "LookupIdempotent", err)
		diff(t, key+" stored reply", want, string(rec.Body))
		if rec.Status != 201 || !rec.Done {
			t.Errorf("%s: status %d done %v, want 201 done", key, rec.Status, rec.Done)
		}
	}

	again, err := f.store.ForgetCustomer(f.ctx, "ada@example.com")
	noErr(t, "ForgetCustomer again", err)
	diff(t, "second ForgetCustomer's counts", gateway.CustomerForgotten{}, again)
	none, err := f.store.ForgetCustomer(f.ctx, "nobody@example.com")
	noErr(t, "ForgetCustomer(unknown)", err)
	diff(t, "unknown customer's counts", gateway.CustomerForgotten{}, none)
	if _, err := f.store.GetCheckoutSession(f.ctx, f.scope, "cs_ada1"); errors.Is(err, gateway.ErrNotFound) {
		t.Error("a forgotten customer's session is gone, want it kept")
	}
}
