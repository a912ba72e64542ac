package deliver_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/rates"
	"github.com/satsrail/satsrail/internal/secretbox"
	"github.com/satsrail/satsrail/internal/testdb"
	"github.com/satsrail/satsrail/internal/worker/deliver"
	"github.com/satsrail/satsrail/webhook"
)

type sealer []byte

func (k sealer) Seal(p []byte) ([]byte, error) { return secretbox.Seal(k, p) }
func (k sealer) Open(s []byte) ([]byte, error) { return secretbox.Open(k, s) }

// hit is one request a receiver saw.
type hit struct {
	at      time.Time
	body    []byte
	header  http.Header
	attempt string
}

// receiver is a local webhook endpoint whose answers the test scripts.
type receiver struct {
	mu     sync.Mutex
	hits   []hit
	answer func(n int) int // status for the n-th hit (0-based)
	block  chan struct{}   // when set, requests wait on it
	got    chan struct{}
	srv    *httptest.Server
}

func newReceiver(t *testing.T, answer func(n int) int) *receiver {
	r := &receiver{answer: answer, got: make(chan struct{}, 100)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		n := len(r.hits)
		r.hits = append(r.hits, hit{at: time.Now(), body: b, header: req.Header.Clone(), attempt: req.Header.Get(webhook.HeaderAttempt)})
		block := r.block
		r.mu.Unlock()
		r.got <- struct{}{}
		if block != nil {
			select {
			case <-block:
			case <-req.Context().Done():
				return
			}
		}
		w.WriteHeader(r.answer(n))
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(func() {
		if r.block != nil {
			close(r.block)
		}
		r.srv.Close()
	})
	return r
}

func (r *receiver) snapshot() []hit {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hit(nil), r.hits...)
}

type env struct {
	svc   *gateway.Service
	store gateway.Store
	scope gateway.Scope
}

func setup(t *testing.T, schedule []time.Duration, timeout time.Duration, opts ...func(*deliver.Worker)) *env {
	t.Helper()
	ctx := context.Background()
	st := testdb.Open(t)
	key := make([]byte, 32)
	rand.Read(key)
	fixed, _ := rates.ParseFixed("usd=65000")
	svc := gateway.NewService(gateway.Config{Store: st, Rates: rates.New(rates.Config{Fixed: fixed}), Sealer: sealer(key)})
	m, _, err := svc.CreateMerchant(ctx, gateway.MerchantParams{Name: "Shop", Email: "a@b.co"})
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	w := &deliver.Worker{Service: svc, Store: st, Clients: map[gateway.Mode]*http.Client{gateway.ModeTest: client},
		Schedule: schedule, Timeout: timeout, Poll: 20 * time.Millisecond}
	for _, o := range opts {
		o(w)
	}
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { w.Run(wctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return &env{svc: svc, store: st, scope: gateway.Scope{MerchantID: m.ID, Mode: gateway.ModeTest}}
}

func (e *env) endpoint(t *testing.T, url string) (*gateway.WebhookEndpoint, string) {
	t.Helper()
	ep, secret, err := e.svc.CreateWebhookEndpoint(context.Background(), e.scope, gateway.WebhookParams{URL: &url})
	if err != nil {
		t.Fatal(err)
	}
	return ep, secret
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *env) delivery(t *testing.T, ep string) gateway.Delivery {
	t.Helper()
	l, err := e.store.ListDeliveries(context.Background(), e.scope, ep, gateway.Page{PerPage: 10})
	if err != nil || len(l.Items) != 1 {
		t.Fatalf("deliveries: %d %v", len(l.Items), err)
	}
	return l.Items[0]
}

// TestRetrySchedule: a receiver that fails the first three attempts gets the
// same signed body each time, at the (shortened) schedule's spacing.
func TestRetrySchedule(t *testing.T) {
	sched := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond}
	e := setup(t, sched, 2*time.Second)
	r := newReceiver(t, func(n int) int {
		if n < 3 {
			return 500
		}
		return 200
	})
	ep, secret := e.endpoint(t, r.srv.URL+"/hook")
	ev, err := e.svc.SendTestEvent(context.Background(), e.scope, ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "4 attempts", func() bool { return len(r.snapshot()) == 4 })
	hits := r.snapshot()
	for i, h := range hits {
		if string(h.body) != string(hits[0].body) {
			t.Fatalf("attempt %d body differs", i+1)
		}
		got, err := webhook.ConstructEvent(h.body, h.header, secret)
		if err != nil || got.ID != ev.ID || got.Type != "webhook.test" {
			t.Fatalf("attempt %d does not verify: %v %+v", i+1, err, got)
		}
		if err := webhook.Verify(h.body, h.header.Get(webhook.HeaderSignature), secret); err != nil {
			t.Fatalf("seed signature: %v", err)
		}
		if h.attempt != string(rune('1'+i)) || h.header.Get(webhook.HeaderEventID) != ev.ID || h.header.Get("User-Agent") != webhook.UserAgent ||
			h.header.Get(webhook.HeaderEvent) != "webhook.test" || h.header.Get(webhook.HeaderDeliveryID) == "" {
			t.Fatalf("attempt %d headers %v", i+1, h.header)
		}
		if i > 0 {
			gap := h.at.Sub(hits[i-1].at)
			if gap < sched[i-1] || gap > sched[i-1]+2*time.Second {
				t.Errorf("gap before attempt %d = %s, want ≈ %s", i+1, gap, sched[i-1])
			}
		}
	}
	waitFor(t, "succeeded", func() bool { return e.delivery(t, ep.ID).Status == gateway.DeliverySucceeded })
	d := e.delivery(t, ep.ID)
	attempts, _ := e.store.ListDeliveryAttempts(context.Background(), d.ID)
	if d.Attempts != 4 || len(attempts) != 4 || attempts[0].StatusCode != 500 || attempts[3].StatusCode != 200 || attempts[3].ResponseBody != `{"ok":true}` {
		t.Fatalf("delivery %+v attempts %+v", d, attempts)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(r.snapshot()); n != 4 {
		t.Fatalf("%d attempts after success", n)
	}
}

func TestGoneStopsAndFailureThenRedeliver(t *testing.T) {
	sched := []time.Duration{50 * time.Millisecond, 50 * time.Millisecond}
	e := setup(t, sched, 2*time.Second)
	gone := newReceiver(t, func(int) int { return 410 })
	epGone, _ := e.endpoint(t, gone.srv.URL)
	down := newReceiver(t, func(n int) int {
		if n < 3 {
			return 503
		}
		return 200
	})
	epDown, _ := e.endpoint(t, down.srv.URL)
	e.svc.SendTestEvent(context.Background(), e.scope, epGone.ID)
	e.svc.SendTestEvent(context.Background(), e.scope, epDown.ID)
	waitFor(t, "both failed", func() bool {
		return e.delivery(t, epGone.ID).Status == gateway.DeliveryFailed && e.delivery(t, epDown.ID).Status == gateway.DeliveryFailed
	})
	if n := len(gone.snapshot()); n != 1 {
		t.Fatalf("410 was retried: %d attempts", n)
	}
	if n := len(down.snapshot()); n != 3 {
		t.Fatalf("failing endpoint got %d attempts, want 1 + 2 retries", n)
	}
	failed := e.delivery(t, epDown.ID)
	evs, _ := e.store.ListEvents(context.Background(), e.scope, gateway.EventFilter{DeliveryFailed: true, Page: gateway.Page{PerPage: 10}})
	if len(evs.Items) != 2 {
		t.Fatalf("delivery_success=false lists %d events", len(evs.Items))
	}
	if _, err := e.svc.Redeliver(context.Background(), e.scope, failed.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "redelivered", func() bool { return e.delivery(t, epDown.ID).Status == gateway.DeliverySucceeded })
	if d := e.delivery(t, epDown.ID); d.Attempts != 4 {
		t.Fatalf("attempts %d", d.Attempts)
	}
}

// TestHeadOfLine: an endpoint that hangs does not delay another endpoint.
func TestHeadOfLine(t *testing.T) {
	e := setup(t, []time.Duration{time.Minute}, 5*time.Second)
	slow := newReceiver(t, func(int) int { return 200 })
	slow.block = make(chan struct{})
	fast := newReceiver(t, func(int) int { return 200 })
	epSlow, _ := e.endpoint(t, slow.srv.URL)
	epFast, _ := e.endpoint(t, fast.srv.URL)
	for range 20 {
		e.svc.SendTestEvent(context.Background(), e.scope, epSlow.ID)
	}
	<-slow.got // the slow endpoint is now holding workers
	start := time.Now()
	e.svc.SendTestEvent(context.Background(), e.scope, epFast.ID)
	select {
	case <-fast.got:
	case <-time.After(time.Second):
		t.Fatal("a hanging endpoint delayed another endpoint's delivery past 1s")
	}
	t.Logf("fast endpoint served %s after its event while the slow one hangs", time.Since(start))
}

func TestEventBodiesAreTheStoredOnes(t *testing.T) {
	e := setup(t, []time.Duration{time.Minute}, time.Second)
	r := newReceiver(t, func(int) int { return 204 })
	ep, _ := e.endpoint(t, r.srv.URL)
	ev, _ := e.svc.SendTestEvent(context.Background(), e.scope, ep.ID)
	<-r.got
	stored, err := e.store.GetEvent(context.Background(), e.scope, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(r.snapshot()[0].body, &m); err != nil || string(r.snapshot()[0].body) != string(stored.Body) || m["webhook_id"] != ep.ID {
		t.Fatalf("delivered %s, stored %s", r.snapshot()[0].body, stored.Body)
	}
}

// TestFailingEndpointAlert: an endpoint whose attempts keep failing is
// reported once, with its URL, the count and the last error, after the
// third failed attempt; the retries after it send nothing more.
func TestFailingEndpointAlert(t *testing.T) {
	sched := []time.Duration{50 * time.Millisecond, 50 * time.Millisecond, 50 * time.Millisecond, 50 * time.Millisecond}
	type alert struct {
		url      string
		failures int
		lastErr  string
	}
	alerts := make(chan alert, 10)
	e := setup(t, sched, time.Second, func(w *deliver.Worker) {
		w.Alerts = &deliver.FailureAlerts{Send: func(_ context.Context, job gateway.DeliveryJob, failures int, lastErr string) error {
			alerts <- alert{job.Endpoint.URL, failures, lastErr}
			return nil
		}}
	})
	r := newReceiver(t, func(int) int { return http.StatusInternalServerError })
	ep, _ := e.endpoint(t, r.srv.URL)
	if _, err := e.svc.SendTestEvent(context.Background(), e.scope, ep.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the delivery to fail for good", func() bool { return e.delivery(t, ep.ID).Status == gateway.DeliveryFailed })
	select {
	case a := <-alerts:
		if a.url != r.srv.URL || a.failures != 3 || a.lastErr != "HTTP 500" {
			t.Errorf("alert %+v, want %s after 3 failures with HTTP 500", a, r.srv.URL)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no alert after five failed attempts")
	}
	if n := len(r.snapshot()); n != 5 {
		t.Errorf("%d attempts, want 5", n)
	}
	select {
	case a := <-alerts:
		t.Errorf("a second alert for the same outage: %+v", a)
	default:
	}
}
