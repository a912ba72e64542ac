package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/satsrail/satsrail/webhook"
)

// hook is a local webhook receiver.
type hook struct {
	mu     sync.Mutex
	bodies [][]byte
	heads  []http.Header
	status func(n int) int
	hang   func(n int) bool
	srv    *httptest.Server
}

func newHook(t *testing.T) *hook {
	h := &hook{status: func(int) int { return 200 }, hang: func(int) bool { return false }}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		n := len(h.bodies)
		h.bodies = append(h.bodies, b)
		h.heads = append(h.heads, r.Header.Clone())
		status, hang := h.status(n), h.hang(n)
		h.mu.Unlock()
		if hang {
			<-r.Context().Done()
			return
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hook) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.bodies)
}

func (h *hook) waitCount(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for h.count() < n {
		if time.Now().After(deadline) {
			t.Fatalf("receiver got %d requests, want %d", h.count(), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func register(t *testing.T, api, key, url string) string {
	t.Helper()
	status, w := call(t, "POST", api+"/webhooks", key, map[string]any{"webhook": map[string]any{"url": url}})
	if status != 201 || !strings.HasPrefix(w["secret"].(string), "whsec_") {
		t.Fatalf("register webhook: %d %v", status, w)
	}
	return w["secret"].(string)
}

// TestWebhookEndToEnd: simulated payment → the receiver verifies the signed
// checkout.completed with the public package and sees the seed's fields.
func TestWebhookEndToEnd(t *testing.T) {
	dir := t.TempDir()
	sk := newMerchant(t, dir)
	h := newHook(t)
	g := start(t, "--data-dir", dir, "--fixed-rates", "usd=65000")
	api := g.url + "/api/v1"
	secret := register(t, api, sk, h.srv.URL+"/webhooks/satsrail")
	_, s := call(t, "POST", api+"/checkout_sessions", sk, seedBody)
	id := s["id"].(string)
	if status, _ := call(t, "POST", g.url+"/checkout/"+id+"/simulate_payment", sk, nil); status != 200 {
		t.Fatalf("simulate: %d", status)
	}
	h.waitCount(t, 1)
	ev, err := webhook.ConstructEvent(h.bodies[0], h.heads[0], secret)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	_, s = call(t, "GET", api+"/checkout_sessions/"+id, sk, nil)
	if ev.Type != "checkout.completed" || ev.CheckoutID != id || ev.PaymentHash != s["payment_hash"] || ev.AmountSats != 76924 ||
		ev.AmountUSD != "50.00" || ev.Metadata["order_id"] != "ORD-1234" || ev.Timestamp.IsZero() ||
		!strings.HasPrefix(ev.ID, "evt_") || ev.Livemode || len(ev.Preimage) != 64 || ev.AmountCents != 5000 || ev.Currency != "usd" {
		t.Fatalf("event %+v", ev)
	}
	if err := webhook.Verify(h.bodies[0], h.heads[0].Get(webhook.HeaderSignature), secret); err != nil {
		t.Fatalf("seed signature: %v", err)
	}
	status, evs := call(t, "GET", api+"/events?type=checkout.completed", sk, nil)
	if status != 200 || len(evs["data"].([]any)) != 1 {
		t.Fatalf("events: %d %v", status, evs)
	}
}

// TestWebhookSSRF: live endpoints may not point at loopback, private or
// link-local addresses, by IP or by a name that resolves there.
func TestWebhookSSRF(t *testing.T) {
	dir := t.TempDir()
	out := cli(t, "merchant", "create", "--data-dir", dir, "--name", "S", "--email", "s@s.co", "--json")
	live := out[strings.Index(out, `"sk_live":"`)+11:]
	live = live[:strings.Index(live, `"`)]
	g := start(t, "--data-dir", dir, "--fixed-rates", "usd=65000")
	for _, url := range []string{"https://127.0.0.1/hook", "https://[::1]:8443/hook", "https://10.1.2.3/hook", "https://169.254.169.254/latest",
		"https://localhost/hook", "https://192.168.1.1/", "https://[fe80::1]/", "https://0.0.0.0/", "http://example.com/hook"} {
		status, body := call(t, "POST", g.url+"/api/v1/webhooks", live, map[string]any{"webhook": map[string]any{"url": url}})
		if status != 422 {
			t.Errorf("%s: %d %v, want 422", url, status, body)
		}
	}
	g.cmd.Process.Kill()
	g.cmd.Wait()
	g = start(t, "--data-dir", dir, "--fixed-rates", "usd=65000", "--allow-private-webhooks")
	if status, body := call(t, "POST", g.url+"/api/v1/webhooks", live, map[string]any{"webhook": map[string]any{"url": "https://127.0.0.1/hook"}}); status != 201 {
		t.Errorf("--allow-private-webhooks: %d %v", status, body)
	}
}

// TestWebhookCrashSafety kills the real binary with SIGKILL while an attempt
// is in flight (after the event committed, before its delivery was
// recorded) and again during a retry wait; after each restart every event
// is delivered, with the identical body.
func TestWebhookCrashSafety(t *testing.T) {
	dir := t.TempDir()
	sk := newMerchant(t, dir)
	h := newHook(t)
	h.hang = func(n int) bool { return n == 0 } // the first attempt never answers
	h.status = func(n int) int {                // the second attempt fails
		if n == 1 {
			return 500
		}
		return 200
	}
	args := []string{"--data-dir", dir, "--fixed-rates", "usd=65000", "--webhook-timeout", "1s", "--webhook-retry-schedule", "3s,3s"}
	g := start(t, args...)
	api := g.url + "/api/v1"
	secret := register(t, api, sk, h.srv.URL)
	_, s := call(t, "POST", api+"/checkout_sessions", sk, seedBody)
	id := s["id"].(string)
	call(t, "POST", g.url+"/checkout/"+id+"/simulate_payment", sk, nil)
	h.waitCount(t, 1) // attempt 1 is hanging
	g.cmd.Process.Kill()
	g.cmd.Wait()

	g = start(t, args...)
	h.waitCount(t, 2)    // attempt 1 again after the lease lapsed; it fails with 500
	g.cmd.Process.Kill() // now in the 3s retry wait
	g.cmd.Wait()
	g = start(t, args...)
	h.waitCount(t, 3)
	time.Sleep(500 * time.Millisecond)
	if n := h.count(); n != 3 {
		t.Fatalf("%d requests, want 3", n)
	}
	for i := range 3 {
		if string(h.bodies[i]) != string(h.bodies[0]) {
			t.Fatalf("attempt %d body differs", i+1)
		}
		if _, err := webhook.ConstructEvent(h.bodies[i], h.heads[i], secret); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	_, l := call(t, "GET", g.url+"/api/v1/events?delivery_success=false", sk, nil)
	if n := len(l["data"].([]any)); n != 0 {
		t.Fatalf("%d events still undelivered", n)
	}
}

// TestWebhookSecretNeverStoredInClear: the whsec_ secret is returned on
// create (and again on an idempotent replay), but no file of the data dir
// (nor, on PostgreSQL, the database) holds it in clear.
func TestWebhookSecretNeverStoredInClear(t *testing.T) {
	dir := t.TempDir()
	sk := newMerchant(t, dir)
	g := start(t, "--data-dir", dir, "--fixed-rates", "usd=65000")
	post := func() (int, string, string) {
		req, _ := http.NewRequest("POST", g.url+"/api/v1/webhooks", strings.NewReader(`{"webhook": {"url": "http://127.0.0.1:9/hook"}}`))
		req.Header.Set("Authorization", "Bearer "+sk)
		req.Header.Set("Idempotency-Key", "wh-1")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		i := strings.Index(string(b), "whsec_")
		if i < 0 {
			t.Fatalf("no secret in %d %s", res.StatusCode, b)
		}
		return res.StatusCode, string(b[i : i+38]), res.Header.Get("Idempotent-Replayed")
	}
	st1, secret, _ := post()
	st2, again, replayed := post()
	if st1 != 201 || st2 != 200 || replayed != "true" || again != secret {
		t.Fatalf("create %d, replay %d %q, same secret %v", st1, st2, replayed, again == secret)
	}
	g.cmd.Process.Kill()
	g.cmd.Wait()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if strings.Contains(string(b), secret) || strings.Contains(string(b), secret[6:]) {
			t.Fatalf("%s holds the webhook secret in clear", e.Name())
		}
	}
	if databaseHolds(t, dir, secret, secret[6:]) {
		t.Fatal("the PostgreSQL database holds the webhook secret in clear")
	}
}

func webhookConstruct(h *hook, secret string) (webhook.Event, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return webhook.ConstructEvent(h.bodies[0], h.heads[0], secret)
}
