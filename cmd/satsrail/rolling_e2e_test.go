package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// previousBinary is the previous release's satsrail (SATSRAIL_PREVIOUS_BIN,
// else built once per machine by scripts/previous-release).
func previousBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("SATSRAIL_PREVIOUS_BIN"); bin != "" {
		return bin
	}
	out, err := exec.Command("../../scripts/previous-release").Output()
	if err != nil {
		t.Fatalf("scripts/previous-release: %v (set SATSRAIL_PREVIOUS_BIN to the previous release's binary)", err)
	}
	bin, ok := strings.CutPrefix(strings.TrimSpace(string(out)), "export SATSRAIL_PREVIOUS_BIN=")
	if !ok {
		t.Fatalf("scripts/previous-release printed %q", out)
	}
	return bin
}

// startNode runs `bin serve` with args and env, on a free port, and waits
// for it to listen; the process is killed when t ends.
func startNode(t *testing.T, bin string, env []string, args ...string) *gatewayProc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0",
		"--rate-providers", "coinbase=http://127.0.0.1:9", "--log-format", "text", "--fixed-rates", "usd=65000"}, args...)...)
	cmd.Env = env
	pr, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	g := &gatewayProc{cmd: cmd, stdout: &bytes.Buffer{}}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	found := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(pr)
		for lines.Scan() {
			if u, ok := strings.CutPrefix(lines.Text(), "satsrail listening on "); ok {
				found <- u
			}
		}
		close(found)
	}()
	select {
	case u, ok := <-found:
		if !ok {
			cmd.Wait()
			t.Fatalf("%s serve exited before listening:\n%s", bin, stderr.String())
		}
		g.url = u
	case <-time.After(60 * time.Second):
		t.Fatalf("%s serve did not start:\n%s", bin, stderr.String())
	}
	return g
}

func readyz(t *testing.T, base string) (int, string) {
	t.Helper()
	res, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	return res.StatusCode, b.String()
}

// TestRollingUpgradeFromPreviousRelease is docs/OPERATIONS.md's rolling
// upgrade from 0.3.x, with the real 0.3.0 binary, on one PostgreSQL: an
// old node serving while this binary migrates the database keeps serving
// (and reports not ready, as 0.3.x cannot read the additive marks); a node
// of this binary serves beside it and each reads what the other wrote; the
// old node, once restarted, refuses to start and says to upgrade.
func TestRollingUpgradeFromPreviousRelease(t *testing.T) {
	prev := previousBinary(t)
	url := freshDatabase(t)
	env := append(os.Environ(), "SATSRAIL_MASTER_KEY="+testMasterKey)

	create := exec.Command(prev, "merchant", "create", "--database-url", url, "--name", "Rolling", "--email", "r@example.com", "--json")
	create.Env = env
	out, err := create.Output()
	if err != nil {
		t.Fatalf("previous release's merchant create: %v", err)
	}
	var created struct {
		Keys map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(out, &created); err != nil {
		t.Fatal(err)
	}
	sk := created.Keys["sk_test"]
	old := startNode(t, prev, env, "--database-url", url, "--data-dir", t.TempDir())
	if status, body := readyz(t, old.url); status != 200 {
		t.Fatalf("old node before the upgrade: readyz %d %s", status, body)
	}
	newSession := func(g *gatewayProc) string {
		t.Helper()
		status, s := call(t, "POST", g.url+"/api/v1/checkout_sessions", sk, seedBody)
		if status != 201 {
			t.Fatalf("create on %s: %d %v", g.url, status, s)
		}
		return s["id"].(string)
	}
	before := newSession(old)

	mig := exec.Command(binary, "migrate", "--database-url", url)
	mig.Env = env
	if out, err := mig.CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "applied ") {
		t.Fatalf("this binary's migrate: %v %s", err, out)
	}

	// The old node serves on, and says it needs upgrading.
	if status, body := readyz(t, old.url); status != 503 || !strings.Contains(body, "newer than this binary") {
		t.Errorf("old node after the migration: readyz %d %s, want 503 saying the schema is newer", status, body)
	}
	during := newSession(old)

	// A node of this binary beside it: each reads what the other wrote.
	cur := startNode(t, binary, env, "--database-url", url, "--data-dir", t.TempDir())
	if status, body := readyz(t, cur.url); status != 200 {
		t.Errorf("new node: readyz %d %s", status, body)
	}
	after := newSession(cur)
	for _, g := range []*gatewayProc{old, cur} {
		for _, id := range []string{before, during, after} {
			if status, s := call(t, "GET", g.url+"/api/v1/checkout_sessions/"+id, sk, nil); status != 200 || s["id"] != id {
				t.Errorf("GET %s on %s: %d %v", id, g.url, status, s)
			}
		}
	}

	// Restarted, the old node stays down until it is upgraded.
	old.cmd.Process.Kill()
	old.cmd.Wait()
	restart := exec.Command(prev, "serve", "--addr", "127.0.0.1:0", "--database-url", url, "--data-dir", t.TempDir(),
		"--rate-providers", "coinbase=http://127.0.0.1:9")
	restart.Env = env
	done := make(chan []byte, 1)
	go func() {
		b, _ := restart.CombinedOutput()
		done <- b
	}()
	select {
	case b := <-done:
		if !strings.Contains(string(b), "newer than this binary") {
			t.Errorf("old node restarted on the migrated database: %s, want a refusal saying the schema is newer", b)
		}
	case <-time.After(60 * time.Second):
		restart.Process.Kill()
		t.Error("the old node started on the migrated database; want it to refuse")
	}
}
