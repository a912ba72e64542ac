package storetest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// claim claims the deliveries due at now until until.
func (f *fixture) claim(t *testing.T, now, until time.Time, limit int) []gateway.DeliveryJob {
	t.Helper()
	jobs, err := f.store.ClaimDueDeliveries(f.ctx, now, until, limit, 0)
	noErr(t, "ClaimDueDeliveries", err)
	return jobs
}

// jobKeys names each job "<event id>><endpoint id>", in the order claimed.
func jobKeys(jobs []gateway.DeliveryJob) []string {
	var keys []string
	for _, j := range jobs {
		keys = append(keys, j.Delivery.EventID+">"+j.Delivery.EndpointID)
	}
	return keys
}

// attemptOf builds the log of an attempt that had outcome o at now.
func attemptOf(id string, next gateway.Delivery, o gateway.AttemptOutcome, now time.Time, body string) gateway.DeliveryAttempt {
	return gateway.DeliveryAttempt{ID: id, DeliveryID: next.ID, Attempt: next.Attempts, At: now, StatusCode: o.StatusCode,
		Latency: 1234567 * time.Microsecond, Error: next.LastError, ResponseBody: body}
}

// wantPending fails the test unless err is Redeliver's error for a delivery
// that is already pending.
func wantPending(t *testing.T, what string, err error) {
	t.Helper()
	var e *gateway.Error
	if !errors.As(err, &e) {
		t.Errorf("%s: err = %v, want a *gateway.Error", what, err)
		return
	}
	if e.Code != gateway.CodeValidation {
		t.Errorf("%s: code = %s, want %s", what, e.Code, gateway.CodeValidation)
	}
	diff(t, what+": fields", []gateway.FieldError{{Field: "status", Message: "is already pending"}}, e.Fields)
}

func testClaimDueDeliveries(t *testing.T, f *fixture) {
	endpoints := map[string]*gateway.WebhookEndpoint{
		"we_a":    endpoint(f.scope, "we_a", at(-10)),
		"we_b":    endpoint(f.scope, "we_b", at(-10), gateway.EventCheckoutCompleted),
		"we_live": endpoint(f.otherMode, "we_live", at(-10)),
	}
	endpoints["we_a"].PrevSecret, endpoints["we_a"].PrevSecretExpiresAt = []byte("sealed-old"), at(60)
	for _, id := range []string{"we_a", "we_b", "we_live"} {
		f.createEndpoint(t, endpoints[id])
	}
	evs := map[string]gateway.Event{}
	for _, e := range []struct {
		scope   gateway.Scope
		id      string
		created time.Time
	}{
		{f.scope, "evt_1", at(0)},
		{f.otherMode, "evt_live", at(0).Add(time.Microsecond)},
		{f.scope, "evt_2", at(1)},
		{f.scope, "evt_3", at(2)},
		{f.scope, "evt_later", at(10)},
	} {
		ev := event(e.scope, e.id, gateway.EventCheckoutCompleted, "cs_"+e.id, e.created)
		f.insertEvent(t, ev, "")
		evs[e.id] = ev
	}
	// Each claim's jobs, by key, as claimed.
	claimed := map[string]gateway.DeliveryJob{}
	remember := func(jobs []gateway.DeliveryJob) {
		for _, j := range jobs {
			claimed[j.Delivery.EventID+">"+j.Delivery.EndpointID] = j
		}
	}

	t.Run("nothing is due before its time", func(t *testing.T) {
		diff(t, "claimed", []string(nil), jobKeys(f.claim(t, at(0).Add(-time.Microsecond), at(6), 100)))
	})

	t.Run("due deliveries, soonest first, with their event and endpoint", func(t *testing.T) {
		jobs := f.claim(t, at(1), at(6), 3)
		keys := jobKeys(jobs)
		if len(keys) == 3 {
			slices.Sort(keys[:2]) // the two deliveries of evt_1 tie
		}
		diff(t, "claimed", []string{"evt_1>we_a", "evt_1>we_b", "evt_live>we_live"}, keys)
		tokens := map[string]bool{}
		for _, j := range jobs {
			d := j.Delivery
			if d.LeaseToken == "" || tokens[d.LeaseToken] {
				t.Errorf("delivery %s has lease token %q, want a fresh one", d.ID, d.LeaseToken)
			}
			tokens[d.LeaseToken] = true
			ev := evs[d.EventID]
			want := newDelivery(d.ID, ev, d.EndpointID)
			want.LeaseToken, want.LeaseUntil = d.LeaseToken, at(6)
			diff(t, "claimed delivery", want, d)
			diff(t, "stored delivery", d, f.getDelivery(t, gateway.Scope{MerchantID: d.MerchantID, Mode: d.Mode}, d.ID))
			wantUTC(t, "claimed delivery", d.LeaseUntil, d.NextAttemptAt)
			diff(t, "event", ev, j.Event)
			diff(t, "endpoint", *endpoints[d.EndpointID], j.Endpoint)
		}
		remember(jobs)
	})

	t.Run("a second claim at the same time gets the others", func(t *testing.T) {
		jobs := f.claim(t, at(1), at(7), 100)
		keys := jobKeys(jobs)
		slices.Sort(keys)
		diff(t, "claimed", []string{"evt_2>we_a", "evt_2>we_b"}, keys)
		remember(jobs)
		diff(t, "claimed by a third", []string(nil), jobKeys(f.claim(t, at(1), at(7), 100)))
	})

	t.Run("limit", func(t *testing.T) {
		var keys []string
		for range 2 {
			jobs := f.claim(t, at(2), at(8), 1)
			if len(jobs) != 1 {
				t.Fatalf("claimed %v, want one delivery", jobKeys(jobs))
			}
			keys = append(keys, jobKeys(jobs)...)
			remember(jobs)
		}
		slices.Sort(keys)
		diff(t, "claimed", []string{"evt_3>we_a", "evt_3>we_b"}, keys)
		diff(t, "claimed after", []string(nil), jobKeys(f.claim(t, at(2), at(8), 1)))
	})

	t.Run("a lease holds until its end", func(t *testing.T) {
		diff(t, "claimed", []string(nil), jobKeys(f.claim(t, at(6), at(9), 100)))
	})

	t.Run("a lapsed lease is claimed again with a new token", func(t *testing.T) {
		old := maps.Clone(claimed)
		jobs := f.claim(t, at(6).Add(time.Microsecond), at(9), 100)
		keys := jobKeys(jobs)
		slices.Sort(keys)
		diff(t, "claimed", []string{"evt_1>we_a", "evt_1>we_b", "evt_live>we_live"}, keys)
		for _, j := range jobs {
			key := j.Delivery.EventID + ">" + j.Delivery.EndpointID
			if j.Delivery.LeaseToken == old[key].Delivery.LeaseToken || j.Delivery.LeaseToken == "" {
				t.Errorf("%s claimed again with lease token %q, want a new one", key, j.Delivery.LeaseToken)
			}
			if !j.Delivery.LeaseUntil.Equal(at(9)) {
				t.Errorf("%s leased until %v, want %v", key, j.Delivery.LeaseUntil, at(9))
			}
		}
		remember(jobs)

		// The first holder can no longer record its attempt.
		first := old["evt_1>we_a"]
		next := gateway.NextDelivery(first.Delivery, gateway.AttemptOutcome{StatusCode: 200}, gateway.DefaultRetrySchedule, at(7))
		err := f.store.RecordDeliveryAttempt(f.ctx, first.Delivery.LeaseToken,
			attemptOf("wha_late", next, gateway.AttemptOutcome{StatusCode: 200}, at(7), "ok"), next)
		wantErr(t, "RecordDeliveryAttempt(old token)", err, gateway.ErrConflict)
		diff(t, "delivery after the old holder's attempt", claimed["evt_1>we_a"].Delivery, f.getDelivery(t, f.scope, first.Delivery.ID))
		attempts, err := f.store.ListDeliveryAttempts(f.ctx, first.Delivery.ID)
		noErr(t, "ListDeliveryAttempts", err)
		diff(t, "attempts", []gateway.DeliveryAttempt(nil), attempts)
	})

	t.Run("a limit of 0 takes everything due", func(t *testing.T) {
		keys := jobKeys(f.claim(t, at(10), at(11), 0))
		slices.Sort(keys)
		diff(t, "claimed", []string{"evt_1>we_a", "evt_1>we_b", "evt_2>we_a", "evt_2>we_b", "evt_3>we_a", "evt_3>we_b",
			"evt_later>we_a", "evt_later>we_b", "evt_live>we_live"}, keys)
	})
}

func testClaimSkipsGoneEndpoints(t *testing.T, f *fixture) {
	for _, id := range []string{"we_keep", "we_pause", "we_gone"} {
		f.createEndpoint(t, endpoint(f.scope, id, at(-10)))
	}
	f.insertEvent(t, event(f.scope, "evt_1", gateway.EventCheckoutCompleted, "cs_1", at(0)), "")
	f.deliver(t, at(0), map[string][]int{"evt_1>we_keep": {200}, "evt_1>we_pause": {200}, "evt_1>we_gone": {200}})
	pause, gone := f.delivery(t, f.scope, "evt_1", "we_pause"), f.delivery(t, f.scope, "evt_1", "we_gone")

	noErr(t, "DeleteWebhookEndpoint", f.store.DeleteWebhookEndpoint(f.ctx, f.scope, "we_gone", at(1)))
	f.setActive(t, f.scope, "we_pause", false, at(1))
	for _, d := range []gateway.Delivery{pause, gone} {
		_, err := f.store.Redeliver(f.ctx, f.scope, d.ID, at(2))
		noErr(t, "Redeliver", err)
	}
	// Due just after the redeliveries, so a claim of one meets them first.
	f.insertEvent(t, event(f.scope, "evt_2", gateway.EventCheckoutCompleted, "cs_2", at(2).Add(time.Microsecond)), "")

	t.Run("deliveries to deleted or disabled endpoints fail and do not count", func(t *testing.T) {
		jobs := f.claim(t, at(2).Add(time.Microsecond), at(100), 1)
		diff(t, "claimed", []string{"evt_2>we_keep"}, jobKeys(jobs))
		for _, tt := range []struct {
			d      gateway.Delivery
			reason string
		}{{gone, "endpoint deleted"}, {pause, "endpoint disabled"}} {
			want := tt.d
			want.Status, want.Manual, want.LastError, want.UpdatedAt = gateway.DeliveryFailed, true, tt.reason, at(2).Add(time.Microsecond)
			diff(t, "delivery to "+tt.d.EndpointID, want, f.getDelivery(t, f.scope, tt.d.ID))
		}
		diff(t, "claimed after", []string(nil), jobKeys(f.claim(t, at(3), at(100), 10)))
	})

	t.Run("once enabled again, a redelivery is sent", func(t *testing.T) {
		f.setActive(t, f.scope, "we_pause", true, at(4))
		_, err := f.store.Redeliver(f.ctx, f.scope, pause.ID, at(4))
		noErr(t, "Redeliver", err)
		jobs := f.claim(t, at(4), at(5), 10)
		diff(t, "claimed", []string{"evt_1>we_pause"}, jobKeys(jobs))
		if len(jobs) == 1 && !jobs[0].Endpoint.Active {
			t.Error("the claimed job's endpoint is inactive")
		}
	})
}

// testConcurrentClaims has claimers race over many due deliveries: each must
// be claimed exactly once.
func testConcurrentClaims(t *testing.T, f *fixture) {
	const deliveries, claimers = 50, 8
	f.createEndpoint(t, endpoint(f.scope, "we_a", at(-10)))
	for i := range deliveries {
		f.insertEvent(t, event(f.scope, fmt.Sprintf("evt_%02d", i), gateway.EventCheckoutCompleted, "cs_x", at(i%5)), "")
	}
	var want []string
	for _, d := range f.deliveries(t, f.scope, "we_a") {
		want = append(want, d.ID)
	}
	if len(want) != deliveries {
		t.Fatalf("%d deliveries, want %d", len(want), deliveries)
	}

	got := make([][]string, claimers)
	errs := make([]error, claimers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range claimers {
		wg.Go(func() {
			<-start
			// Bounded, so a store that hands deliveries out again fails
			// instead of keeping the claimers busy for ever.
			for round := 0; ; round++ {
				if round > deliveries {
					errs[i] = fmt.Errorf("still claiming after %d rounds", round)
					return
				}
				jobs, err := f.store.ClaimDueDeliveries(f.ctx, at(10), at(20), 3, 0)
				if err != nil || len(jobs) == 0 {
					errs[i] = err
					return
				}
				for _, j := range jobs {
					got[i] = append(got[i], j.Delivery.ID)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		noErr(t, fmt.Sprintf("claimer %d", i), err)
	}
	all := slices.Concat(got...)
	slices.Sort(all)
	slices.Sort(want)
	diff(t, "claimed deliveries (each once)", want, all)
	diff(t, "claimed after", []string(nil), jobKeys(f.claim(t, at(10), at(20), 100)))
}

func testRecordDeliveryAttempt(t *testing.T, f *fixture) {
	f.createEndpoint(t, endpoint(f.scope, "we_a", at(-10)))
	f.insertEvent(t, event(f.scope, "evt_1", gateway.EventCheckoutCompleted, "cs_1", at(0)), "")
	jobs := f.claim(t, at(0), at(1), 10)
	if len(jobs) != 1 {
		t.Fatalf("claimed %v, want one delivery", jobKeys(jobs))
	}
	j := jobs[0]
	sched := gateway.DefaultRetrySchedule
	now1 := at(0).Add(2 * time.Second)
	o1 := gateway.AttemptOutcome{StatusCode: 500}
	next1 := gateway.NextDelivery(j.Delivery, o1, sched, now1)
	a1 := attemptOf("wha_first", next1, o1, now1, "upstream \x00\xff broke")

	t.Run("a wrong token is a conflict and writes nothing", func(t *testing.T) {
		for _, token := range []string{"", "not-the-token", j.Delivery.LeaseToken + "x"} {
			err := f.store.RecordDeliveryAttempt(f.ctx, token, a1, next1)
			wantErr(t, fmt.Sprintf("RecordDeliveryAttempt(%q)", token), err, gateway.ErrConflict)
		}
		diff(t, "delivery", j.Delivery, f.getDelivery(t, f.scope, j.Delivery.ID))
		attempts, err := f.store.ListDeliveryAttempts(f.ctx, j.Delivery.ID)
		noErr(t, "ListDeliveryAttempts", err)
		diff(t, "attempts", []gateway.DeliveryAttempt(nil), attempts)
	})

	t.Run("the lease holder records the attempt and the next state", func(t *testing.T) {
		noErr(t, "RecordDeliveryAttempt", f.store.RecordDeliveryAttempt(f.ctx, j.Delivery.LeaseToken, a1, next1))
		got := f.getDelivery(t, f.scope, j.Delivery.ID)
		diff(t, "delivery", next1, got)
		wantUTC(t, "delivery", got.NextAttemptAt, got.LastAttemptAt, got.UpdatedAt)
		if got.Status != gateway.DeliveryPending || got.Attempts != 1 || !got.NextAttemptAt.Equal(now1.Add(time.Minute)) || got.LeaseToken != "" {
			t.Errorf("delivery is %s after %d attempts, next at %v, lease %q; want pending after 1, next at %v, no lease",
				got.Status, got.Attempts, got.NextAttemptAt, got.LeaseToken, now1.Add(time.Minute))
		}
		attempts, err := f.store.ListDeliveryAttempts(f.ctx, j.Delivery.ID)
		noErr(t, "ListDeliveryAttempts", err)
		diff(t, "attempts", []gateway.DeliveryAttempt{a1}, attempts)
	})

	t.Run("a lease ends with its attempt", func(t *testing.T) {
		err := f.store.RecordDeliveryAttempt(f.ctx, j.Delivery.LeaseToken, attemptOf("wha_again", next1, o1, now1, ""), next1)
		wantErr(t, "RecordDeliveryAttempt(same token again)", err, gateway.ErrConflict)
		diff(t, "claimed before the retry is due", []string(nil), jobKeys(f.claim(t, now1.Add(time.Minute-time.Microsecond), at(9), 10)))
	})

	var a2, a3 gateway.DeliveryAttempt
	var next3 gateway.Delivery
	t.Run("retries until it succeeds", func(t *testing.T) {
		jobs := f.claim(t, next1.NextAttemptAt, next1.NextAttemptAt.Add(time.Minute), 10)
		if len(jobs) != 1 {
			t.Fatalf("claimed %v, want the retry", jobKeys(jobs))
		}
		want := next1
		want.LeaseToken, want.LeaseUntil = jobs[0].Delivery.LeaseToken, next1.NextAttemptAt.Add(time.Minute)
		diff(t, "claimed retry", want, jobs[0].Delivery)

		// No response, no body; the store names the attempt.
		now2 := next1.NextAttemptAt.Add(10 * time.Second)
		o2 := gateway.AttemptOutcome{Err: errors.New("context deadline exceeded (Client.Timeout exceeded while awaiting headers)")}
		next2 := gateway.NextDelivery(jobs[0].Delivery, o2, sched, now2)
		a2 = attemptOf("", next2, o2, now2, "")
		noErr(t, "RecordDeliveryAttempt", f.store.RecordDeliveryAttempt(f.ctx, jobs[0].Delivery.LeaseToken, a2, next2))
		diff(t, "delivery", next2, f.getDelivery(t, f.scope, j.Delivery.ID))

		jobs = f.claim(t, next2.NextAttemptAt, next2.NextAttemptAt.Add(time.Minute), 10)
		if len(jobs) != 1 {
			t.Fatalf("claimed %v, want the second retry", jobKeys(jobs))
		}
		now3 := next2.NextAttemptAt.Add(time.Second)
		o3 := gateway.AttemptOutcome{StatusCode: 200}
		next3 = gateway.NextDelivery(jobs[0].Delivery, o3, sched, now3)
		a3 = attemptOf("wha_0third", next3, o3, now3, `{"received":true}`) // sorts before wha_first
		noErr(t, "RecordDeliveryAttempt", f.store.RecordDeliveryAttempt(f.ctx, jobs[0].Delivery.LeaseToken, a3, next3))
		got := f.getDelivery(t, f.scope, j.Delivery.ID)
		diff(t, "delivery", next3, got)
		if got.Status != gateway.DeliverySucceeded || got.Attempts != 3 || !got.NextAttemptAt.IsZero() {
			t.Errorf("delivery is %s after %d attempts, next at %v; want succeeded after 3, none next", got.Status, got.Attempts, got.NextAttemptAt)
		}
		diff(t, "claimed after success", []string(nil), jobKeys(f.claim(t, at(1000), at(1001), 10)))
	})

	t.Run("attempts are listed oldest first", func(t *testing.T) {
		got, err := f.store.ListDeliveryAttempts(f.ctx, j.Delivery.ID)
		noErr(t, "ListDeliveryAttempts", err)
		if len(got) != 3 {
			t.Fatalf("%d attempts, want 3", len(got))
		}
		wantID(t, "attempt", got[1].ID, gateway.PrefixAttempt)
		a2.ID = got[1].ID
		diff(t, "attempts", []gateway.DeliveryAttempt{a1, a2, a3}, got)
		for _, a := range got {
			wantUTC(t, "attempt", a.At)
		}
	})

	t.Run("unknown delivery", func(t *testing.T) {
		ghost := next3
		ghost.ID = "whd_nothing"
		err := f.store.RecordDeliveryAttempt(f.ctx, "token", attemptOf("wha_ghost", ghost, gateway.AttemptOutcome{StatusCode: 200}, at(5), ""), ghost)
		wantErr(t, "RecordDeliveryAttempt", err, gateway.ErrNotFound)
		_, err = f.store.ListDeliveryAttempts(f.ctx, "whd_nothing")
		wantErr(t, "ListDeliveryAttempts", err, gateway.ErrNotFound)
	})
}

func testRedeliver(t *testing.T, f *fixture) {
	f.createEndpoint(t, endpoint(f.scope, "we_a", at(-10)))
	for i, id := range []string{"evt_ok", "evt_bad", "evt_wait"} {
		f.insertEvent(t, event(f.scope, id, gateway.EventCheckoutCompleted, "cs_"+id, at(i)), "")
	}
	f.insertEvent(t, event(f.scope, "evt_new", gateway.EventCheckoutCompleted, "cs_new", at(20)), "")
	f.deliver(t, at(10), map[string][]int{"evt_ok>we_a": {200}, "evt_bad>we_a": {410}}) // evt_wait stays claimed
	ok, bad := f.delivery(t, f.scope, "evt_ok", "we_a"), f.delivery(t, f.scope, "evt_bad", "we_a")

	t.Run("a pending delivery is already on its way", func(t *testing.T) {
		for _, evID := range []string{"evt_wait", "evt_new"} {
			d := f.delivery(t, f.scope, evID, "we_a")
			_, err := f.store.Redeliver(f.ctx, f.scope, d.ID, at(30))
			wantPending(t, "Redeliver("+evID+")", err)
			diff(t, "delivery after refused redelivery", d, f.getDelivery(t, f.scope, d.ID))
		}
	})

	t.Run("a success is sent once more, by hand, with no retries", func(t *testing.T) {
		got, err := f.store.Redeliver(f.ctx, f.scope, ok.ID, at(30))
		noErr(t, "Redeliver", err)
		want := ok
		want.Status, want.Manual, want.NextAttemptAt, want.UpdatedAt = gateway.DeliveryPending, true, at(30), at(30)
		diff(t, "returned delivery", &want, got)
		diff(t, "stored delivery", want, f.getDelivery(t, f.scope, ok.ID))

		_, err = f.store.Redeliver(f.ctx, f.scope, ok.ID, at(31))
		wantPending(t, "Redeliver(again)", err)

		f.deliver(t, at(30), map[string][]int{"evt_ok>we_a": {500}})
		got2 := f.getDelivery(t, f.scope, ok.ID)
		if got2.Status != gateway.DeliveryFailed || got2.Attempts != 2 || !got2.Manual || !got2.NextAttemptAt.IsZero() || got2.LastStatusCode != 500 {
			t.Errorf("after a failed manual attempt: status %s, %d attempts, manual %v, next %v, last status %d; want failed, 2, true, none, 500",
				got2.Status, got2.Attempts, got2.Manual, got2.NextAttemptAt, got2.LastStatusCode)
		}
	})

	t.Run("a failure is sent once more, by hand", func(t *testing.T) {
		got, err := f.store.Redeliver(f.ctx, f.scope, bad.ID, at(40))
		noErr(t, "Redeliver", err)
		if got.Status != gateway.DeliveryPending || !got.Manual || !got.NextAttemptAt.Equal(at(40)) || got.LastStatusCode != 410 {
			t.Errorf("redelivered: status %s, manual %v, next %v, last status %d; want pending, true, %v, 410 (kept)",
				got.Status, got.Manual, got.NextAttemptAt, got.LastStatusCode, at(40))
		}
		f.deliver(t, at(40), map[string][]int{"evt_bad>we_a": {200}})
		if got := f.getDelivery(t, f.scope, bad.ID); got.Status != gateway.DeliverySucceeded || got.Attempts != 2 {
			t.Errorf("after the manual attempt: status %s, %d attempts; want succeeded, 2", got.Status, got.Attempts)
		}
		attempts, err := f.store.ListDeliveryAttempts(f.ctx, bad.ID)
		noErr(t, "ListDeliveryAttempts", err)
		var codes []int
		for _, a := range attempts {
			codes = append(codes, a.StatusCode)
		}
		diff(t, "attempt status codes", []int{410, 200}, codes)
	})

	t.Run("unknown delivery", func(t *testing.T) {
		_, err := f.store.Redeliver(f.ctx, f.scope, "whd_nothing", at(50))
		wantErr(t, "Redeliver", err, gateway.ErrNotFound)
	})
}

func testDeleteWebhookEndpointDeliveries(t *testing.T, f *fixture) {
	f.createEndpoint(t, endpoint(f.scope, "we_gone", at(-10)))
	f.createEndpoint(t, endpoint(f.scope, "we_stay", at(-10)))
	f.insertEvent(t, event(f.scope, "evt_done", gateway.EventCheckoutCompleted, "cs_1", at(0)), "")
	f.insertEvent(t, event(f.scope, "evt_retry", gateway.EventCheckoutCompleted, "cs_2", at(1)), "")
	f.insertEvent(t, event(f.scope, "evt_new", gateway.EventCheckoutCompleted, "cs_3", at(20)), "")
	f.deliver(t, at(10), map[string][]int{
		"evt_done>we_gone": {200}, "evt_done>we_stay": {200}, "evt_retry>we_gone": {500}, "evt_retry>we_stay": {200},
	})
	f.insertEvent(t, event(f.scope, "evt_leased", gateway.EventCheckoutCompleted, "cs_4", at(11)), "")
	// A worker holds evt_leased's deliveries and evt_retry's retry.
	held := map[string]gateway.DeliveryJob{}
	for _, j := range f.claim(t, at(11), at(60), 100) {
		held[j.Delivery.EventID+">"+j.Delivery.EndpointID] = j
	}
	diff(t, "held", []string{"evt_leased>we_gone", "evt_leased>we_stay", "evt_retry>we_gone"}, slices.Sorted(maps.Keys(held)))
	before := map[string]gateway.Delivery{}
	for _, endpointID := range []string{"we_gone", "we_stay"} {
		for _, d := range f.deliveries(t, f.scope, endpointID) {
			before[d.EventID+">"+endpointID] = d
		}
	}

	noErr(t, "DeleteWebhookEndpoint", f.store.DeleteWebhookEndpoint(f.ctx, f.scope, "we_gone", at(12)))

	t.Run("its pending deliveries fail, its finished ones stay", func(t *testing.T) {
		for _, key := range []string{"evt_retry>we_gone", "evt_new>we_gone", "evt_leased>we_gone"} {
			want := before[key]
			want.Status, want.NextAttemptAt, want.LeaseToken, want.LeaseUntil = gateway.DeliveryFailed, time.Time{}, "", time.Time{}
			want.LastError, want.UpdatedAt = "endpoint deleted", at(12)
			diff(t, key, want, f.getDelivery(t, f.scope, want.ID))
		}
		diff(t, "evt_done>we_gone", before["evt_done>we_gone"], f.getDelivery(t, f.scope, before["evt_done>we_gone"].ID))
		if got := f.getDelivery(t, f.scope, before["evt_retry>we_gone"].ID); got.Attempts != 1 || got.LastStatusCode != 500 {
			t.Errorf("evt_retry>we_gone: %d attempts, last status %d; want 1 and 500 kept", got.Attempts, got.LastStatusCode)
		}
		attempts, err := f.store.ListDeliveryAttempts(f.ctx, before["evt_retry>we_gone"].ID)
		noErr(t, "ListDeliveryAttempts", err)
		if len(attempts) != 1 {
			t.Errorf("%d attempts of evt_retry>we_gone, want the 1 made", len(attempts))
		}
	})

	t.Run("another endpoint's deliveries are untouched", func(t *testing.T) {
		for _, key := range []string{"evt_done>we_stay", "evt_retry>we_stay", "evt_new>we_stay", "evt_leased>we_stay"} {
			diff(t, key, before[key], f.getDelivery(t, f.scope, before[key].ID))
		}
	})

	t.Run("the worker holding one cannot record its attempt", func(t *testing.T) {
		j := held["evt_leased>we_gone"]
		o := gateway.AttemptOutcome{StatusCode: 200}
		next := gateway.NextDelivery(j.Delivery, o, gateway.DefaultRetrySchedule, at(13))
		err := f.store.RecordDeliveryAttempt(f.ctx, j.Delivery.LeaseToken, attemptOf("wha_late", next, o, at(13), ""), next)
		wantErr(t, "RecordDeliveryAttempt", err, gateway.ErrConflict)
		attempts, err := f.store.ListDeliveryAttempts(f.ctx, j.Delivery.ID)
		noErr(t, "ListDeliveryAttempts", err)
		diff(t, "attempts", []gateway.DeliveryAttempt(nil), attempts)
		if got := f.getDelivery(t, f.scope, j.Delivery.ID); got.Status != gateway.DeliveryFailed {
			t.Errorf("status = %s, want failed", got.Status)
		}
	})

	t.Run("its deliveries are not listed by it nor claimed", func(t *testing.T) {
		_, err := f.store.ListDeliveries(f.ctx, f.scope, "we_gone", gateway.Page{})
		wantErr(t, "ListDeliveries", err, gateway.ErrNotFound)
		keys := jobKeys(f.claim(t, at(100), at(101), 100))
		slices.Sort(keys)
		diff(t, "claimed", []string{"evt_leased>we_stay", "evt_new>we_stay"}, keys)
	})

	t.Run("their events show as failed", func(t *testing.T) {
		got, err := f.store.ListEvents(f.ctx, f.scope, gateway.EventFilter{DeliveryFailed: true})
		noErr(t, "ListEvents", err)
		// Newest recorded first (testEventCommitOrder): evt_leased was
		// inserted last, though stamped before evt_new.
		checkList(t, got, eventID, []string{"evt_leased", "evt_new", "evt_retry"}, false, 3)
	})
}

func testListDeliveries(t *testing.T, f *fixture) {
	f.createEndpoint(t, endpoint(f.scope, "we_a", at(-10)))
	f.createEndpoint(t, endpoint(f.scope, "we_b", at(-10)))
	f.createEndpoint(t, endpoint(f.otherMode, "we_live", at(-10)))
	for i := 1; i <= 4; i++ {
		f.insertEvent(t, event(f.scope, fmt.Sprintf("evt_%d", i), gateway.EventCheckoutCompleted, "cs_x", at(i)), "")
	}
	f.insertEvent(t, event(f.otherMode, "evt_x", gateway.EventCheckoutCompleted, "cs_x", at(5)), "")
	d3 := f.delivery(t, f.scope, "evt_3", "we_a")
	dx := f.delivery(t, f.otherMode, "evt_x", "we_live")

	tests := []struct {
		name      string
		page      gateway.Page
		wantIDs   []string
		wantMore  bool
		wantTotal int
	}{
		{"everything, newest first", gateway.Page{}, []string{"evt_4", "evt_3", "evt_2", "evt_1"}, false, 4},
		{"first page", gateway.Page{PerPage: 2}, []string{"evt_4", "evt_3"}, true, 4},
		{"second page", gateway.Page{Page: 2, PerPage: 2}, []string{"evt_2", "evt_1"}, false, 4},
		{"starting after", gateway.Page{PerPage: 1, StartingAfter: d3.ID}, []string{"evt_2"}, true, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.store.ListDeliveries(f.ctx, f.scope, "we_a", tt.page)
			noErr(t, "ListDeliveries", err)
			checkList(t, got, deliveryEventID, tt.wantIDs, tt.wantMore, tt.wantTotal)
			for _, d := range got.Items {
				if d.EndpointID != "we_a" {
					t.Errorf("delivery %s is to %s, want we_a", d.ID, d.EndpointID)
				}
			}
		})
	}

	t.Run("items are whole deliveries", func(t *testing.T) {
		got, err := f.store.ListDeliveries(f.ctx, f.scope, "we_a", gateway.Page{PerPage: 2})
		noErr(t, "ListDeliveries", err)
		var want []gateway.Delivery
		for _, d := range got.Items {
			want = append(want, f.getDelivery(t, f.scope, d.ID))
		}
		diff(t, "deliveries", want, got.Items)
	})

	for _, cursor := range []string{"whd_nothing", dx.ID} {
		t.Run("starting after a delivery outside the list", func(t *testing.T) {
			_, err := f.store.ListDeliveries(f.ctx, f.scope, "we_a", gateway.Page{StartingAfter: cursor})
			wantCursorError(t, "ListDeliveries", err)
		})
	}

	for _, id := range []string{"we_nothing", "we_live"} {
		t.Run("endpoint "+id+" not in scope", func(t *testing.T) {
			_, err := f.store.ListDeliveries(f.ctx, f.scope, id, gateway.Page{})
			wantErr(t, "ListDeliveries", err, gateway.ErrNotFound)
		})
	}
}

// testListEventDeliveries: an event's deliveries are one per endpoint it
// went to, whole, and only in the event's own scope.
func testListEventDeliveries(t *testing.T, f *fixture) {
	f.createEndpoint(t, endpoint(f.scope, "we_a", at(-10)))
	f.createEndpoint(t, endpoint(f.scope, "we_b", at(-10)))
	f.createEndpoint(t, endpoint(f.scope, "we_expired_only", at(-10), gateway.EventCheckoutExpired))
	f.createEndpoint(t, endpoint(f.otherMode, "we_live", at(-10)))
	f.createEndpoint(t, endpoint(f.otherMerchant, "we_other", at(-10)))
	f.insertEvent(t, event(f.scope, "evt_1", gateway.EventCheckoutCompleted, "cs_x", at(1)), "")
	f.insertEvent(t, event(f.scope, "evt_2", gateway.EventCheckoutCompleted, "cs_y", at(2)), "")
	f.insertEvent(t, event(f.otherMerchant, "evt_other", gateway.EventCheckoutCompleted, "cs_z", at(3)), "")

	got, err := f.store.ListEventDeliveries(f.ctx, f.scope, "evt_1")
	noErr(t, "ListEventDeliveries", err)
	var endpoints []string
	for _, d := range got {
		endpoints = append(endpoints, d.EndpointID)
	}
	slices.Sort(endpoints)
	diff(t, "endpoints", []string{"we_a", "we_b"}, endpoints)
	var want []gateway.Delivery
	for _, d := range got {
		want = append(want, f.getDelivery(t, f.scope, d.ID))
	}
	diff(t, "deliveries", want, got)
	for i := 1; i < len(got); i++ {
		if got[i].CreatedAt.Before(got[i-1].CreatedAt) {
			t.Errorf("not oldest first: %v before %v", got[i-1].CreatedAt, got[i].CreatedAt)
		}
	}

	for _, tt := range []struct {
		name  string
		scope gateway.Scope
		event string
	}{
		{"another mode", f.otherMode, "evt_1"},
		{"another merchant", f.otherMerchant, "evt_1"},
		{"another merchant's event", f.scope, "evt_other"},
		{"no such event", f.scope, "evt_nothing"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.store.ListEventDeliveries(f.ctx, tt.scope, tt.event)
			noErr(t, "ListEventDeliveries", err)
			if len(got) != 0 {
				t.Errorf("got %d deliveries, want none", len(got))
			}
		})
	}
}

// testClaimPerEndpointCap: no endpoint has more than perEndpoint live
// leases, counting earlier claims, and a capped endpoint's backlog does not
// hold back another endpoint's deliveries.
func testClaimPerEndpointCap(t *testing.T, f *fixture) {
	for _, id := range []string{"we_slow", "we_fast"} {
		f.createEndpoint(t, endpoint(f.scope, id, at(-10)))
	}
	// Ten events, each delivered to both endpoints; all due at once.
	for i := range 10 {
		f.insertEvent(t, event(f.scope, fmt.Sprintf("evt_%02d", i), gateway.EventCheckoutCompleted, "cs_x", at(i)), "")
	}
	count := func(jobs []gateway.DeliveryJob) map[string]int {
		n := map[string]int{}
		for _, j := range jobs {
			n[j.Delivery.EndpointID]++
		}
		return n
	}
	claim := func(limit, cap int) []gateway.DeliveryJob {
		t.Helper()
		jobs, err := f.store.ClaimDueDeliveries(f.ctx, at(20), at(30), limit, cap)
		noErr(t, "ClaimDueDeliveries", err)
		return jobs
	}
	// Limit 4, cap 3: the cap is applied before the limit, so the fast
	// endpoint gets a delivery although the slow one's are older.
	first := claim(4, 3)
	diff(t, "first claim per endpoint", map[string]int{"we_slow": 2, "we_fast": 2}, count(first))
	second := claim(100, 3)
	diff(t, "second claim tops each endpoint up to the cap", map[string]int{"we_slow": 1, "we_fast": 1}, count(second))
	if got := claim(100, 3); len(got) != 0 {
		t.Fatalf("a third claim went over the cap: %v", count(got))
	}
	// Finishing one slow delivery frees one slow slot.
	j := first[0]
	for _, x := range first {
		if x.Delivery.EndpointID == "we_slow" {
			j = x
			break
		}
	}
	next := gateway.NextDelivery(j.Delivery, gateway.AttemptOutcome{StatusCode: 200}, gateway.DefaultRetrySchedule, at(21))
	noErr(t, "RecordDeliveryAttempt", f.store.RecordDeliveryAttempt(f.ctx, j.Delivery.LeaseToken,
		attemptOf("wha_cap", next, gateway.AttemptOutcome{StatusCode: 200}, at(21), ""), next))
	diff(t, "after one finished", map[string]int{"we_slow": 1}, count(claim(100, 3)))
	// No cap: everything left.
	diff(t, "uncapped", map[string]int{"we_slow": 6, "we_fast": 7}, count(claim(100, 0)))
}
