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

	"github.com/satsrail/satsrail/internal/testdb"
)

// TestWrongMasterKeyRefusesToStart: a node given another master key than
// the one that sealed the database's secrets exits at start, naming both
// fingerprints, instead of sealing secrets no other node can open.
func TestWrongMasterKeyRefusesToStart(t *testing.T) {
	dir := t.TempDir()
	merchantKey(t, dir)
	g := start(t, "--data-dir", dir, "--fixed-rates", "usd=65000") // records the key
	g.cmd.Process.Kill()
	g.cmd.Wait()
	args, env := engineArgs(t, []string{"serve", "--data-dir", dir, "--addr", "127.0.0.1:0", "--master-key", strings.Repeat("77", 32)})
	if env == nil {
		env = os.Environ()
	}
	code, out := runCLI(t, env, args...)
	if code == 0 || !strings.Contains(out, "master key") || !strings.Contains(out, "mk1_") || !strings.Contains(out, "start it with the database's key") {
		t.Fatalf("serve with another key: exit %d\n%s", code, out)
	}
}

// TestDoctorCommand runs the binary's doctor against a healthy gateway, a
// damaged copy of its database and with a wrong key: each gives its row
// and exit code.
func TestDoctorCommand(t *testing.T) {
	if testdb.Engine() != "sqlite" {
		t.Skip("the SQLite file checks; internal/doctor's tests cover both engines")
	}
	dir := t.TempDir()
	sk := merchantKey(t, dir)
	g := start(t, "--data-dir", dir, "--fixed-rates", "usd=65000")
	call(t, "POST", g.url+"/api/v1/checkout_sessions", sk, seedBody)
	env := os.Environ()

	code, out := runCLI(t, env, "doctor", "--data-dir", dir, "--url", g.url)
	if code != 0 || !strings.Contains(out, "master_key  OK") || !strings.Contains(out, "prices      OK") {
		t.Errorf("healthy: exit %d\n%s", code, out)
	}
	code, out = runCLI(t, env, "doctor", "--data-dir", dir, "--json", "--master-key", strings.Repeat("77", 32))
	if code != 1 || !strings.Contains(out, `"status": "fail"`) || !strings.Contains(out, "refuse to start") {
		t.Errorf("wrong key: exit %d\n%s", code, out)
	}

	// A damaged copy: back up, flip bytes in the copy's data pages.
	file := filepath.Join(t.TempDir(), "b.db")
	cli(t, "backup", "--data-dir", dir, "--to", file)
	b := mustRead(t, file)
	for i := 4096 * 2; i < len(b) && i < 4096*2+2000; i++ {
		b[i] ^= 0x5a
	}
	damaged := t.TempDir()
	os.WriteFile(filepath.Join(damaged, "satsrail.db"), b, 0o600)
	code, out = runCLI(t, env, "doctor", "--data-dir", damaged)
	if code != 1 || !strings.Contains(out, "integrity   FAIL") || !strings.Contains(out, "satsrail restore") {
		t.Errorf("damaged copy: exit %d\n%s", code, out)
	}
}

// TestRotateUnderLoad: 4 clients create and pay sessions (test wallet) and
// three webhook endpoints receive every checkout.completed while `satsrail
// master-key rotate` re-seals everything; the node holds the new key as an
// extra key. Every delivery verifies with its endpoint's secret, before and
// after; restarted with the new key alone, the node starts, its test wallet
// still pays (its node key re-sealed) and webhooks still verify.
func TestRotateUnderLoad(t *testing.T) {
	dir := t.TempDir()
	oldKey, newKey := testMasterKey, strings.Repeat("3c", 32)
	os.WriteFile(filepath.Join(dir, "master.key"), []byte(oldKey+"\n"), 0o600)
	sk := merchantKey(t, dir)
	g := start(t, "--data-dir", dir, "--fixed-rates", "usd=65000", "--allow-private-webhooks",
		"--master-key", oldKey, "--extra-master-keys", newKey)
	secrets := map[string]string{}
	var receivers []*verifyingHook
	for range 3 {
		h := newVerifyingHook(t)
		secret := register(t, g.url+"/api/v1", sk, h.srv.URL)
		h.secret = secret
		secrets[h.srv.URL] = secret
		receivers = append(receivers, h)
	}
	load := startLoad(t, g.url, sk, 4)
	load.waitFor(t, 100)
	keyFile := filepath.Join(t.TempDir(), "new.key")
	os.WriteFile(keyFile, []byte(newKey), 0o600)
	out := cli(t, "master-key", "rotate", "--data-dir", dir, "--master-key", oldKey, "--new-key-file", keyFile, "--grace", "1s")
	load.waitFor(t, len(load.acked())+100) // the load goes on after it
	load.end()
	paid := len(load.paidNow())
	t.Logf("%s%d sessions, %d paid", out, len(load.acked()), paid)
	for _, h := range receivers {
		h.waitVerified(t, paid)
	}
	g.cmd.Process.Kill()
	g.cmd.Wait()

	// The new key alone: starts, pays, signs.
	g = start(t, "--data-dir", dir, "--fixed-rates", "usd=65000", "--allow-private-webhooks", "--master-key", newKey)
	_, s := call(t, "POST", g.url+"/api/v1/checkout_sessions", sk, seedBody)
	status, p := call(t, "POST", g.url+"/checkout/"+s["id"].(string)+"/simulate_payment", sk, nil)
	if status != 200 || p["status"] != "completed" {
		t.Fatalf("pay after rotation with the new key alone: %d %v", status, p)
	}
	for _, h := range receivers {
		h.waitVerified(t, paid+1)
	}
	g.cmd.Process.Kill()
	g.cmd.Wait()
	// And the old key alone is refused.
	args, env := engineArgs(t, []string{"serve", "--data-dir", dir, "--addr", "127.0.0.1:0", "--master-key", oldKey})
	if env == nil {
		env = os.Environ()
	}
	if code, out := runCLI(t, env, args...); code == 0 || !strings.Contains(out, "master key") {
		t.Errorf("old key after rotation: exit %d\n%s", code, out)
	}
}

// verifyingHook is a webhook receiver that verifies each delivery's
// signature with its endpoint's secret and counts the good and the bad.
type verifyingHook struct {
	srv           *httptest.Server
	secret        string
	mu            sync.Mutex
	verified, bad int
	ids           map[string]bool
}

func newVerifyingHook(t *testing.T) *verifyingHook {
	h := &verifyingHook{ids: map[string]bool{}}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		ev, err := webhook.ConstructEvent(body, r.Header, h.secret)
		if err != nil {
			h.bad++
			t.Errorf("delivery does not verify with its endpoint's secret: %v", err)
			w.WriteHeader(400)
			return
		}
		if !h.ids[ev.ID] {
			h.ids[ev.ID] = true
			h.verified++
		}
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *verifyingHook) waitVerified(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		h.mu.Lock()
		v := h.verified
		h.mu.Unlock()
		if v >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d events verified, want %d", h.srv.URL, v, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
