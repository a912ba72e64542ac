package httpapi_test

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

func TestIdempotentReplay(t *testing.T) {
	e := setup(t)
	e.allowStore(e.a)
	first := e.do("POST", "/api/v1/checkout_sessions", e.a.sk(), sessionBody(), "Idempotency-Key", "order-1")
	if first.status != 201 || first.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("first: %d %v", first.status, first.header)
	}
	// Same body with other key order and spacing: the same request.
	again := e.do("POST", "/api/v1/checkout_sessions", e.a.sk(),
		`{"checkout_session":{"metadata":{"order_id":"ORD-1234"},"cancel_url":"https://store.com/cart","success_url":"https://store.com/success","customer_email":"buyer@example.com","currency":"usd","amount_cents":5000}}`,
		"Idempotency-Key", "order-1")
	if again.status != 200 || again.header.Get("Idempotent-Replayed") != "true" || string(again.body) != string(first.body) {
		t.Fatalf("replay: %d %v\n%s\n%s", again.status, again.header, again.body, first.body)
	}
	if n := e.countSessions(e.a.sk()); n != 1 {
		t.Fatalf("%d sessions after replay, want 1", n)
	}
	// A different body under the same key is refused.
	other := e.do("POST", "/api/v1/checkout_sessions", e.a.sk(), sessionBody(func(m map[string]any) { m["amount_cents"] = 5001 }), "Idempotency-Key", "order-1")
	if other.status != 422 || other.errCode(t) != "idempotency_error" {
		t.Fatalf("different body: %d %s", other.status, other.body)
	}
	// So is the same key on another endpoint.
	if r := e.do("POST", "/api/v1/products", e.a.sk(), map[string]any{"product": map[string]any{"name": "x", "price_cents": 1}}, "Idempotency-Key", "order-1"); r.status != 422 || r.errCode(t) != "idempotency_error" {
		t.Fatalf("other endpoint: %d %s", r.status, r.body)
	}
	// Keys are scoped to the API key: another key (even the same merchant's) starts afresh.
	if r := e.do("POST", "/api/v1/checkout_sessions", e.a.pk(), sessionBody(), "Idempotency-Key", "order-1"); r.status != 201 {
		t.Fatalf("other API key: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/checkout_sessions", e.b.sk(), sessionBody(), "Idempotency-Key", "order-1"); r.status != 201 {
		t.Fatalf("other merchant: %d %s", r.status, r.body)
	}
	// Kept 24 hours, then forgotten.
	e.clock.Advance(23 * time.Hour)
	if r := e.do("POST", "/api/v1/checkout_sessions", e.a.sk(), sessionBody(), "Idempotency-Key", "order-1"); r.status != 200 {
		t.Fatalf("after 23h: %d", r.status)
	}
	e.clock.Advance(2 * time.Hour)
	if n, err := e.svc.PurgeIdempotencyBatch(context.Background(), 100); err != nil || n < 1 {
		t.Fatalf("purge: %d %v", n, err)
	}
	if r := e.do("POST", "/api/v1/checkout_sessions", e.a.sk(), sessionBody(), "Idempotency-Key", "order-1"); r.status != 201 {
		t.Fatalf("after 25h: %d", r.status)
	}
}

func TestIdempotencyFailuresAreNotStored(t *testing.T) {
	e := setup(t)
	bad := e.do("POST", "/api/v1/checkout_sessions", e.a.sk(), sessionBody(func(m map[string]any) { m["amount_cents"] = 0 }), "Idempotency-Key", "k")
	if bad.status != 422 {
		t.Fatalf("%d", bad.status)
	}
	// The corrected request may reuse the key.
	if r := e.do("POST", "/api/v1/checkout_sessions", e.a.sk(), sessionBody(), "Idempotency-Key", "k"); r.status != 201 {
		t.Fatalf("corrected: %d %s", r.status, r.body)
	}
	long := make([]byte, 256)
	for i := range long {
		long[i] = 'k'
	}
	if r := e.do("POST", "/api/v1/checkout_sessions", e.a.sk(), sessionBody(), "Idempotency-Key", string(long)); r.status != 422 || r.errCode(t) != "idempotency_error" {
		t.Fatalf("256-char key: %d %s", r.status, r.body)
	}
}

// TestIdempotencyInProgress: while the first request with a key runs, a
// repeat gets 409; a record left by a node that died is retried later.
func TestIdempotencyInProgress(t *testing.T) {
	e := setup(t)
	p, err := e.svc.Authenticate(context.Background(), e.a.sk())
	if err != nil {
		t.Fatal(err)
	}
	// Capture the hash the server computes by letting it run once under another key.
	first := e.do("POST", "/api/v1/checkout_sessions", e.a.sk(), sessionBody(), "Idempotency-Key", "probe")
	if first.status != 201 {
		t.Fatal(first.status)
	}
	// The probe record is never stored (the one there is younger than the zero
	// notBefore), but it must be complete: PostgreSQL checks NOT NULL before ON CONFLICT.
	probe := gateway.IdempotencyRecord{APIKeyID: p.Key.ID, Key: "probe", RequestHash: []byte("probe"), CreatedAt: e.clock.Now()}
	rec, err := e.store.BeginIdempotent(context.Background(), probe, time.Time{})
	if err != nil || rec == nil {
		t.Fatalf("probe record: %v %v", rec, err)
	}
	// A request "still running": in progress, same hash.
	inflight := gateway.IdempotencyRecord{APIKeyID: p.Key.ID, Key: "running", RequestHash: rec.RequestHash, CreatedAt: e.clock.Now()}
	if got, err := e.store.BeginIdempotent(context.Background(), inflight, time.Time{}); err != nil || got != nil {
		t.Fatalf("begin: %v %v", got, err)
	}
	r := e.do("POST", "/api/v1/checkout_sessions", e.a.sk(), sessionBody(), "Idempotency-Key", "running")
	if r.status != http.StatusConflict || r.errCode(t) != "idempotency_in_progress" {
		t.Fatalf("in progress: %d %s", r.status, r.body)
	}
	e.clock.Advance(2 * time.Minute)
	if r := e.do("POST", "/api/v1/checkout_sessions", e.a.sk(), sessionBody(), "Idempotency-Key", "running"); r.status != 201 {
		t.Fatalf("stale in-progress record: %d %s", r.status, r.body)
	}
}

// TestIdempotencyConcurrent fires the same keyed request many times at once:
// exactly one session is created and every answer is 201, a replay, or 409.
func TestIdempotencyConcurrent(t *testing.T) {
	e := setup(t)
	const n = 20
	statuses := make([]int, n)
	bodies := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r := e.do("POST", "/api/v1/checkout_sessions", e.a.sk(), sessionBody(), "Idempotency-Key", "same")
			statuses[i], bodies[i] = r.status, string(r.body)
		})
	}
	wg.Wait()
	created := 0
	var body string
	for i, s := range statuses {
		switch s {
		case 201:
			created++
			body = bodies[i]
		case 200, 409:
		default:
			t.Errorf("status %d: %s", s, bodies[i])
		}
	}
	if created != 1 {
		t.Fatalf("%d requests created a session, want 1 (%v)", created, statuses)
	}
	for i, s := range statuses {
		if s == 200 && bodies[i] != body {
			t.Errorf("replay differs")
		}
	}
	if c := e.countSessions(e.a.sk()); c != 1 {
		t.Fatalf("%d sessions stored, want 1", c)
	}
}

func (e *env) countSessions(key string) int {
	e.t.Helper()
	r := e.do("GET", "/api/v1/checkout_sessions", key, nil)
	return int(r.obj(e.t)["meta"].(map[string]any)["total_count"].(float64))
}

// TestIdempotencyKeyDecidesBeforeTheRequest: a create does not look its key
// up before running, so a repeat runs until it fails or the store refuses
// the key — and is then answered by the key's record, not by its own
// failure: a reused key with a broken body is idempotency_error, not a
// validation error, and no second session exists.
func TestIdempotencyKeyDecidesBeforeTheRequest(t *testing.T) {
	e := setup(t)
	first := e.do("POST", "/api/v1/checkout_sessions", e.a.sk(), sessionBody(), "Idempotency-Key", "used")
	if first.status != 201 {
		t.Fatalf("first: %d %s", first.status, first.body)
	}
	broken := e.do("POST", "/api/v1/checkout_sessions", e.a.sk(), sessionBody(func(m map[string]any) { m["amount_cents"] = -1 }), "Idempotency-Key", "used")
	if broken.status != 422 || broken.errCode(t) != "idempotency_error" {
		t.Fatalf("reused key, broken body: %d %s", broken.status, broken.body)
	}
	again := e.do("POST", "/api/v1/checkout_sessions", e.a.sk(), sessionBody(), "Idempotency-Key", "used")
	if again.status != 200 || !bytes.Equal(again.body, first.body) {
		t.Fatalf("replay: %d %s\nwant the first answer %s", again.status, again.body, first.body)
	}
	l := e.do("GET", "/api/v1/checkout_sessions", e.a.sk(), "")
	if n := bytes.Count(l.body, []byte(`"object":"checkout_session"`)); n != 1 {
		t.Fatalf("%d sessions after a create and two repeats, want 1: %s", n, l.body)
	}
}
