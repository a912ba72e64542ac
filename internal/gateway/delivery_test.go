package gateway

import (
	"errors"
	"testing"
	"time"
)

func TestNextDelivery(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sched := DefaultRetrySchedule
	fail := AttemptOutcome{StatusCode: 500}
	d := Delivery{Status: DeliveryPending, LeaseToken: "tok", LeaseUntil: t0.Add(time.Minute)}
	var waits []time.Duration
	for range 4 {
		d = NextDelivery(d, fail, sched, t0)
		if d.Status != DeliveryPending || d.LeaseToken != "" || !d.LeaseUntil.IsZero() || d.LastStatusCode != 500 {
			t.Fatalf("after %d failures: %+v", d.Attempts, d)
		}
		waits = append(waits, d.NextAttemptAt.Sub(t0))
	}
	if want := []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour}; !equalDurations(waits, want) {
		t.Fatalf("waits %v, want %v", waits, want)
	}
	d = NextDelivery(d, AttemptOutcome{Err: errors.New("connection refused")}, sched, t0)
	if d.Status != DeliveryFailed || d.Attempts != 5 || d.LastError != "connection refused" || !d.NextAttemptAt.IsZero() {
		t.Fatalf("fifth failure: %+v", d)
	}
	for code, want := range map[int]DeliveryStatus{200: DeliverySucceeded, 204: DeliverySucceeded, 299: DeliverySucceeded,
		410: DeliveryFailed, 301: DeliveryPending, 404: DeliveryPending, 429: DeliveryPending, 503: DeliveryPending} {
		got := NextDelivery(Delivery{Status: DeliveryPending}, AttemptOutcome{StatusCode: code}, sched, t0)
		if got.Status != want {
			t.Errorf("status %d → %s, want %s", code, got.Status, want)
		}
	}
	if got := NextDelivery(Delivery{Status: DeliveryPending}, AttemptOutcome{StatusCode: 200, Err: errors.New("body read failed")}, sched, t0); got.Status != DeliveryPending {
		t.Errorf("an error with a 2xx is not a success: %s", got.Status)
	}
	if got := NextDelivery(Delivery{Status: DeliveryPending, Manual: true, Attempts: 5}, fail, sched, t0); got.Status != DeliveryFailed {
		t.Errorf("a manual redelivery retries: %s", got.Status)
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParseEventTypes(t *testing.T) {
	var fe fieldErrors
	if got := parseEventTypes(&fe, []string{"checkout.completed", "webhook.test"}); len(got) != 2 || len(fe) != 0 {
		t.Fatal(got, fe)
	}
	if got := parseEventTypes(&fe, []string{"*"}); got != nil {
		t.Fatal("* means all")
	}
	for _, bad := range [][]string{{"checkout.paid"}, {"*", "checkout.paid"}, {"checkout.expired", "*"}, {"webhook.test", "webhook.test"}} {
		fe = nil
		parseEventTypes(&fe, bad)
		if len(fe) != 1 || fe[0].Field != "events" {
			t.Errorf("%v: %v", bad, fe)
		}
	}
	e := WebhookEndpoint{}
	if !e.Subscribes(EventCheckoutExpired) {
		t.Fatal("no filter means every event")
	}
	e.Events = []EventType{EventCheckoutCompleted}
	if e.Subscribes(EventCheckoutExpired) || !e.Subscribes(EventCheckoutCompleted) {
		t.Fatal("filter")
	}
}
