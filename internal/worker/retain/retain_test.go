package retain

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/testdb"
)

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

var now = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

// setup is a store on this run's engine with one merchant, its key, and 7
// expired plus 1 live Idempotency-Key records, and one delivery with an old
// and a recent attempt.
func setup(t *testing.T) (gateway.Store, *gateway.Service, string, string) {
	t.Helper()
	ctx := t.Context()
	st := testdb.Open(t)
	m := gateway.Merchant{ID: "mer_r", Name: "R", Email: "r@example.com", Status: "active", CreatedAt: now.Add(-90 * 24 * time.Hour), UpdatedAt: now}
	key, _ := gateway.NewAPIKey(m.ID, gateway.KeySecret, gateway.ModeTest, m.CreatedAt)
	if err := st.CreateMerchant(ctx, &m, []gateway.APIKey{key}); err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		created := now.Add(-25*time.Hour - time.Duration(i)*time.Minute)
		if i == 7 {
			created = now.Add(-time.Hour)
		}
		if _, err := st.BeginIdempotent(ctx, gateway.IdempotencyRecord{APIKeyID: key.ID, Key: fmt.Sprintf("k%d", i),
			RequestHash: []byte("h"), CreatedAt: created}, created.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	scope := gateway.Scope{MerchantID: m.ID, Mode: gateway.ModeTest}
	e := &gateway.WebhookEndpoint{ID: "we_r", MerchantID: m.ID, Mode: gateway.ModeTest, URL: "https://hooks.example/r", Active: true,
		Secret: []byte("sealed"), CreatedAt: m.CreatedAt, UpdatedAt: m.CreatedAt}
	if err := st.CreateWebhookEndpoint(ctx, e); err != nil {
		t.Fatal(err)
	}
	ev := gateway.Event{ID: "evt_r", MerchantID: m.ID, Mode: scope.Mode, Type: gateway.EventCheckoutCompleted, ObjectID: "cs_r",
		Body: []byte(`{}`), CreatedAt: now.Add(-40 * 24 * time.Hour)}
	if err := st.InsertEvent(ctx, ev, ""); err != nil {
		t.Fatal(err)
	}
	at := ev.CreatedAt
	for i, code := range []int{500, 200} {
		jobs, err := st.ClaimDueDeliveries(ctx, at, at.Add(time.Minute), 10, 0)
		if err != nil || len(jobs) != 1 {
			t.Fatalf("claim: %v %v", jobs, err)
		}
		o := gateway.AttemptOutcome{StatusCode: code}
		next := gateway.NextDelivery(jobs[0].Delivery, o, gateway.DefaultRetrySchedule, at)
		a := gateway.DeliveryAttempt{ID: fmt.Sprintf("wha_%d", i), DeliveryID: next.ID, Attempt: next.Attempts, At: at, StatusCode: code}
		if err := st.RecordDeliveryAttempt(ctx, jobs[0].Delivery.LeaseToken, a, next); err != nil {
			t.Fatal(err)
		}
		at = now.Add(-time.Hour) // the retry, recent
	}
	deliveries, err := st.ListDeliveries(ctx, scope, e.ID, gateway.Page{PerPage: 10})
	if err != nil || len(deliveries.Items) != 1 {
		t.Fatalf("deliveries: %v %v", deliveries, err)
	}
	svc := gateway.NewService(gateway.Config{Store: st, Clock: fixedClock(now)})
	return st, svc, deliveries.Items[0].ID, key.ID
}

func TestPass(t *testing.T) {
	st, svc, delivery, keyID := setup(t)
	w := &Worker{Service: svc, Attempts: 30 * 24 * time.Hour, Batch: 2}
	idem, attempts := w.Pass(t.Context())
	if idem != 7 || attempts != 1 {
		t.Errorf("Pass deleted %d idempotency records and %d attempts, want 7 and 1", idem, attempts)
	}
	if _, err := st.LookupIdempotent(t.Context(), keyID, "k7", now.Add(-48*time.Hour)); err != nil {
		t.Errorf("the live record: %v, want it kept", err)
	}
	if _, err := st.LookupIdempotent(t.Context(), keyID, "k0", now.Add(-48*time.Hour)); err == nil {
		t.Error("an expired record is still there")
	}
	left, err := st.ListDeliveryAttempts(t.Context(), delivery)
	if err != nil || len(left) != 1 || left[0].ID != "wha_1" {
		t.Errorf("attempts left = %+v, %v; want the recent one", left, err)
	}
	if idem, attempts := w.Pass(t.Context()); idem != 0 || attempts != 0 {
		t.Errorf("second Pass deleted %d and %d, want nothing", idem, attempts)
	}
}

func TestAttemptsKeptForeverWithZero(t *testing.T) {
	st, svc, delivery, _ := setup(t)
	w := &Worker{Service: svc}
	if idem, attempts := w.Pass(t.Context()); idem != 7 || attempts != 0 {
		t.Errorf("Pass deleted %d idempotency records and %d attempts, want 7 and 0", idem, attempts)
	}
	if left, err := st.ListDeliveryAttempts(t.Context(), delivery); err != nil || len(left) != 2 {
		t.Errorf("attempts left = %d, %v; want both", len(left), err)
	}
}

func TestRunStopsWithContext(t *testing.T) {
	_, svc, _, _ := setup(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- (&Worker{Service: svc, Interval: time.Hour}).Run(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
}
