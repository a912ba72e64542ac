package dashboard

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/worker/deliver"
)

// receiver is a local webhook endpoint: it answers each POST with the
// status the test sets and a body carrying the XSS payload.
type receiver struct {
	srv    *httptest.Server
	status atomic.Int32
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.status.Store(http.StatusOK)
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.WriteHeader(int(r.status.Load()))
		w.Write([]byte("received " + xss))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// recorded is the webhook store as the delivery worker sees it, telling
// the test each time an attempt is recorded (after it is), so the test
// waits for exactly that rather than for time to pass.
type recorded struct {
	gateway.WebhookStore
	done chan string
}

func (s recorded) RecordDeliveryAttempt(ctx context.Context, token string, a gateway.DeliveryAttempt, next gateway.Delivery) error {
	err := s.WebhookStore.RecordDeliveryAttempt(ctx, token, a, next)
	s.done <- a.DeliveryID
	return err
}

// deliveries runs the real delivery worker on e's store for the test and
// returns the channel of recorded attempts.
func (e *env) deliveries(t *testing.T) <-chan string {
	done := make(chan string, 100)
	ctx, cancel := context.WithCancel(context.Background())
	w := &deliver.Worker{Service: e.svc, Store: recorded{WebhookStore: e.store, done: done}, Now: e.clock.Now,
		Clients: map[gateway.Mode]*http.Client{gateway.ModeTest: {Timeout: 10 * time.Second}}}
	var wg sync.WaitGroup
	wg.Go(func() { w.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return done
}

// attempted waits for the worker to record an attempt.
func attempted(t *testing.T, done <-chan string) string {
	t.Helper()
	select {
	case id := <-done:
		return id
	case <-time.After(30 * time.Second):
		t.Fatal("no delivery attempt was recorded in 30s")
		return ""
	}
}

var whsecRE = regexp.MustCompile(`whsec_[0-9A-Za-z]+`)

func TestWebhookEndpointFlow(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	m := e.merchant("Alpha Shop")
	scope := gateway.Scope{MerchantID: m.ID, Mode: gateway.ModeTest}
	b, _ := e.user("mia@example.com", m.ID, gateway.RoleManager)
	rcv := newReceiver(t)
	done := e.deliveries(t)

	r := b.get("/dashboard/webhooks").want(t, http.StatusOK)
	wantIn(t, "the page", r.body, "No endpoints in test mode yet")

	// Field errors are the domain's, at their fields.
	r = b.post("/dashboard/webhooks", url.Values{"url": {""}, "description": {"kept"}}).want(t, http.StatusUnprocessableEntity)
	wantIn(t, "the page", r.body, `<p class="fielderror" id="e-url">Endpoint URL is required</p>`, `value="kept"`)
	r = b.post("/dashboard/webhooks", url.Values{"url": {"ftp://x.example"}}).want(t, http.StatusUnprocessableEntity)
	wantIn(t, "the page", r.body, "Endpoint URL must be an absolute http or https URL")
	r = b.post("/dashboard/webhooks", url.Values{"url": {rcv.srv.URL}, "events": {"checkout.refunded"}}).want(t, http.StatusUnprocessableEntity)
	wantIn(t, "the page", r.body, "Events item 0: &#34;checkout.refunded&#34; is not one of")
	if l, _ := e.svc.ListWebhookEndpoints(ctx, scope, gateway.Page{}); l.TotalCount != 0 {
		t.Fatalf("refused forms made %d endpoints", l.TotalCount)
	}

	// Added: the secret is shown once, on that response only.
	r = b.post("/dashboard/webhooks", url.Values{"url": {rcv.srv.URL + "/hook"}, "description": {xss},
		"events": {"checkout.completed", "webhook.test"}}).want(t, http.StatusOK)
	secret := whsecRE.FindString(r.body)
	if secret == "" {
		t.Fatal("the new endpoint's secret is not shown")
	}
	l, err := e.svc.ListWebhookEndpoints(ctx, scope, gateway.Page{})
	must(t, err)
	if len(l.Items) != 1 {
		t.Fatalf("%d endpoints", len(l.Items))
	}
	ep := l.Items[0]
	if ep.Description != xss || len(ep.Events) != 2 || !ep.Active {
		t.Errorf("stored endpoint: %+v", ep)
	}
	page := "/dashboard/webhooks/endpoints/" + ep.ID
	r = b.get("/dashboard/webhooks").want(t, http.StatusOK)
	wantIn(t, "the page", r.body, rcv.srv.URL+"/hook", "checkout.completed, webhook.test", "&lt;script&gt;alert(1)&lt;/script&gt;", ">Active<")
	wantNotIn(t, "the page", r.body, secret, "<script>alert(1)")
	r = b.get(page).want(t, http.StatusOK)
	wantNotIn(t, "the page", r.body, secret, "<script>alert(1)")
	wantIn(t, "the page", r.body, "No deliveries yet")

	// "Send test event" reaches the receiver; the log shows the attempt,
	// its status and the receiver's body as text.
	b.post(page+"/test", nil).want(t, http.StatusSeeOther)
	first := attempted(t, done)
	r = b.get(page+"?notice=webhook_test_sent").want(t, http.StatusOK)
	wantIn(t, "the page", r.body, "webhook.test event was queued", "succeeded · ", "<td>200</td>", "received &lt;script&gt;alert(1)&lt;/script&gt;",
		`action="/dashboard/webhooks/deliveries/`+first+`/redeliver"`)
	wantNotIn(t, "the page", r.body, "<script>alert(1)", "<img src=x")

	// Redeliver: one more attempt, logged beside the first.
	r = b.post("/dashboard/webhooks/deliveries/"+first+"/redeliver", nil).want(t, http.StatusSeeOther)
	if r.location != page+"?notice=redelivery_queued" {
		t.Errorf("redeliver: to %q", r.location)
	}
	if id := attempted(t, done); id != first {
		t.Fatalf("redelivered %s, want %s", id, first)
	}
	as, err := e.svc.DeliveryAttempts(ctx, first)
	must(t, err)
	if len(as) != 2 || as[1].StatusCode != 200 {
		t.Fatalf("attempts after redelivery: %+v", as)
	}
	r = b.get(page).want(t, http.StatusOK)
	wantIn(t, "the page", r.body, "2 attempts")

	// The receiver fails: the endpoint shows as failing, and the event is
	// in the undelivered filter, linking to its delivery.
	rcv.status.Store(http.StatusInternalServerError)
	b.post(page+"/test", nil).want(t, http.StatusSeeOther)
	failed := attempted(t, done)
	r = b.get("/dashboard/webhooks").want(t, http.StatusOK)
	wantIn(t, "the page", r.body, `<strong class="bad">Failing</strong>`)
	evs, err := e.svc.ListEvents(ctx, scope, gateway.EventFilter{})
	must(t, err)
	if len(evs.Items) != 2 {
		t.Fatalf("%d events, want 2", len(evs.Items))
	}
	failedEvent, okEvent := evs.Items[0].ID, evs.Items[1].ID
	r = b.get("/dashboard/webhooks/events").want(t, http.StatusOK)
	wantIn(t, "the page", r.body, failedEvent, okEvent)
	r = b.get("/dashboard/webhooks/events?undelivered=1").want(t, http.StatusOK)
	wantIn(t, "the page", r.body, `href="/dashboard/webhooks/events/`+failedEvent+`"`)
	wantNotIn(t, "the page", r.body, okEvent)
	r = b.get("/dashboard/webhooks/events/"+failedEvent).want(t, http.StatusOK)
	wantIn(t, "the page", r.body, "<td>500</td>", "pending · ", `href="/dashboard/webhooks/endpoints/`+ep.ID+`"`, `&#34;event&#34;: &#34;webhook.test&#34;`)
	wantNotIn(t, "the page", r.body, `action="/dashboard/webhooks/deliveries/`+failed+`/redeliver"`) // a retry is due
	// A pending delivery cannot be redelivered: the domain's 422.
	b.post("/dashboard/webhooks/deliveries/"+failed+"/redeliver", nil).want(t, http.StatusUnprocessableEntity)

	// Edit: field errors at the field, nothing saved; then saved.
	r = b.post(page, url.Values{"url": {"not a url"}, "description": {"x"}}).want(t, http.StatusUnprocessableEntity)
	wantIn(t, "the page", r.body, "Endpoint URL must be an absolute http or https URL", `value="not a url"`)
	got, err := e.svc.GetWebhookEndpoint(ctx, scope, ep.ID)
	must(t, err)
	if got.URL != ep.URL || got.Description != xss {
		t.Fatalf("a refused edit changed the endpoint: %+v", got)
	}
	b.post(page, url.Values{"url": {rcv.srv.URL + "/v2"}, "description": {"orders"}}).want(t, http.StatusSeeOther)
	got, err = e.svc.GetWebhookEndpoint(ctx, scope, ep.ID)
	must(t, err)
	if got.URL != rcv.srv.URL+"/v2" || got.Description != "orders" || len(got.Events) != 0 {
		t.Fatalf("edited endpoint: %+v (no box ticked is every event)", got)
	}

	// Disable and enable.
	b.post(page+"/active", url.Values{"active": {"maybe"}}).want(t, http.StatusUnprocessableEntity)
	b.post(page+"/active", url.Values{"active": {"false"}}).want(t, http.StatusSeeOther)
	r = b.get("/dashboard/webhooks").want(t, http.StatusOK)
	wantIn(t, "the page", r.body, ">Disabled<")
	b.post(page+"/active", url.Values{"active": {"true"}}).want(t, http.StatusSeeOther)
	got, err = e.svc.GetWebhookEndpoint(ctx, scope, ep.ID)
	must(t, err)
	if !got.Active {
		t.Fatal("not enabled again")
	}

	// Rotating needs a fresh password, and shows the new secret once.
	e.clock.Advance(10 * time.Minute)
	r = b.post(page+"/rotate", nil).want(t, http.StatusSeeOther)
	if !strings.HasPrefix(r.location, "/dashboard/reauth") {
		t.Fatalf("stale rotate: to %q", r.location)
	}
	b.post("/dashboard/reauth", url.Values{"password": {testPassword}}).want(t, http.StatusSeeOther)
	r = b.post(page+"/rotate", nil).want(t, http.StatusOK)
	rotated := whsecRE.FindString(r.body)
	if rotated == "" || rotated == secret {
		t.Fatalf("rotated secret %q (was %q)", rotated, secret)
	}
	got, err = e.svc.GetWebhookEndpoint(ctx, scope, ep.ID)
	must(t, err)
	secrets, err := e.svc.EndpointSecrets(got, e.svc.Now())
	must(t, err)
	if len(secrets) != 2 || secrets[0] != rotated || secrets[1] != secret {
		t.Error("the endpoint does not sign with the new secret beside the old one")
	}
	r = b.get(page).want(t, http.StatusOK)
	wantNotIn(t, "the page", r.body, rotated, secret)
	audit, err := e.acc.AuditLog(ctx, m.ID, e.svc.Now().Add(time.Hour), 10)
	must(t, err)
	if len(audit) == 0 || audit[0].Action != gateway.AuditWebhookSecretRotated || audit[0].Target != ep.ID+" (test mode)" {
		t.Errorf("the rotation is not the audit log's latest entry: %+v", audit)
	}

	// Delete, after a confirmation page.
	r = b.get(page+"/delete").want(t, http.StatusOK)
	wantIn(t, "the page", r.body, "Delete the endpoint")
	b.post(page+"/delete", nil).want(t, http.StatusSeeOther)
	if _, err := e.svc.GetWebhookEndpoint(ctx, scope, ep.ID); !errors.Is(err, gateway.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	b.get(page).want(t, http.StatusNotFound)
}

// TestWebhooksOneModeAtATime: a test-mode endpoint is not on the live page,
// and its id is a 404 there.
func TestWebhooksOneModeAtATime(t *testing.T) {
	e := setup(t)
	m := e.merchant("Alpha Shop")
	b, _ := e.user("ada@example.com", m.ID, gateway.RoleOwner)
	u := "https://hooks.example/test-only"
	ep, _, err := e.svc.CreateWebhookEndpoint(context.Background(), gateway.Scope{MerchantID: m.ID, Mode: gateway.ModeTest},
		gateway.WebhookParams{URL: &u})
	must(t, err)
	wantIn(t, "the page", b.get("/dashboard/webhooks").want(t, http.StatusOK).body, u)
	b.post("/dashboard/switch", url.Values{"mode": {"live"}}).want(t, http.StatusSeeOther)
	wantNotIn(t, "the page", b.get("/dashboard/webhooks").want(t, http.StatusOK).body, u)
	b.get("/dashboard/webhooks/endpoints/"+ep.ID).want(t, http.StatusNotFound)
	b.post("/dashboard/webhooks/endpoints/"+ep.ID+"/delete", nil).want(t, http.StatusNotFound)
	// Live mode needs https, as in the API.
	r := b.post("/dashboard/webhooks", url.Values{"url": {"http://hooks.example/x"}}).want(t, http.StatusUnprocessableEntity)
	wantIn(t, "the page", r.body, "Endpoint URL must use https in live mode")
}
