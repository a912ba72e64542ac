package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// binary is the real satsrail, built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "satsrail-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "satsrail")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		os.Stderr.Write(out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cli runs a subcommand to completion and returns its stdout. With
// SATSRAIL_TEST_STORE=postgres, --data-dir also means that dir's database
// (engineArgs).
func cli(t *testing.T, args ...string) string {
	t.Helper()
	args, env := engineArgs(t, args)
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("satsrail %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// gateway is a running `satsrail serve`.
type gatewayProc struct {
	cmd    *exec.Cmd
	url    string
	stdout *bytes.Buffer
}

// start runs `satsrail serve` on a free port and waits for it to listen.
// With SATSRAIL_TEST_STORE=postgres, --data-dir also means that dir's
// database (engineArgs).
func start(t *testing.T, args ...string) *gatewayProc {
	t.Helper()
	args, env := engineArgs(t, args)
	cmd := exec.Command(binary, append([]string{"serve", "--addr", "127.0.0.1:0",
		"--rate-providers", "coinbase=http://127.0.0.1:9", "--log-format", "text"}, args...)...)
	cmd.Env = env
	pr, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	g := &gatewayProc{cmd: cmd, stdout: &bytes.Buffer{}}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	lines := bufio.NewScanner(pr)
	found := make(chan string, 1)
	go func() {
		for lines.Scan() {
			line := lines.Text()
			g.stdout.WriteString(line + "\n")
			if u, ok := strings.CutPrefix(line, "satsrail listening on "); ok {
				found <- u
			}
		}
		close(found)
	}()
	select {
	case u, ok := <-found:
		if !ok {
			t.Fatalf("serve exited before listening:\n%s", g.stdout)
		}
		g.url = u
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not start:\n%s", g.stdout)
	}
	return g
}

// call makes one API request and decodes the JSON answer.
func call(t *testing.T, method, url, key string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

var seedBody = map[string]any{"checkout_session": map[string]any{
	"amount_cents": 5000, "currency": "usd", "customer_email": "buyer@example.com",
	"success_url": "https://store.com/success", "cancel_url": "https://store.com/cart",
	"metadata": map[string]any{"order_id": "ORD-1234"},
}}

// TestEndToEnd drives the real binary: merchant create → serve → checkout
// create → get → expire → 410, expiry by the worker, key roll, shutdown.
func TestEndToEnd(t *testing.T) {
	dir := t.TempDir()
	out := cli(t, "merchant", "create", "--data-dir", dir, "--name", "Store", "--email", "owner@store.com", "--json")
	var created struct {
		MerchantID string            `json:"merchant_id"`
		Keys       map[string]string `json:"keys"`
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&created); err != nil || dec.More() {
		t.Fatalf("merchant create --json must print exactly one object: %v\n%s", err, out)
	}
	if !strings.HasPrefix(created.MerchantID, "mer_") || len(created.Keys) != 4 {
		t.Fatalf("created %+v", created)
	}
	for _, kt := range []string{"pk_live", "sk_live", "pk_test", "sk_test"} {
		if !strings.HasPrefix(created.Keys[kt], kt+"_") {
			t.Errorf("key %s = %q", kt, created.Keys[kt])
		}
	}
	db, _ := os.ReadFile(filepath.Join(dir, "satsrail.db"))
	for _, k := range created.Keys {
		if bytes.Contains(db, []byte(k)) || databaseHolds(t, dir, k) {
			t.Fatalf("a key is stored in clear in the database")
		}
	}
	if list := cli(t, "merchant", "list", "--data-dir", dir); !strings.Contains(list, created.MerchantID) {
		t.Fatalf("merchant list: %s", list)
	}

	g := start(t, "--data-dir", dir, "--fixed-rates", "usd=65000", "--checkout-ttl", "10s", "--expire-interval", "200ms",
		"--public-url", "https://pay.example.com")
	sk := created.Keys["sk_test"]
	api := g.url + "/api/v1"

	status, s := call(t, "POST", api+"/checkout_sessions", sk, seedBody)
	if status != 201 || s["status"] != "pending" || !strings.HasPrefix(s["checkout_url"].(string), "https://pay.example.com/checkout/cs_") {
		t.Fatalf("create: %d %v", status, s)
	}
	id := s["token"].(string)
	if status, s = call(t, "GET", api+"/checkout_sessions/"+id, sk, nil); status != 200 || s["id"] != id {
		t.Fatalf("get: %d %v", status, s)
	}
	if status, s = call(t, "POST", api+"/checkout_sessions/"+id+"/expire", sk, nil); status != 200 || s["status"] != "expired" {
		t.Fatalf("expire: %d %v", status, s)
	}
	status, s = call(t, "GET", api+"/checkout_sessions/"+id, sk, nil)
	if cs, _ := s["checkout_session"].(map[string]any); status != 410 || cs["status"] != "expired" {
		t.Fatalf("get expired: %d %v", status, s)
	}

	// The expiry worker expires a session at expires_at (10 s here).
	_, s = call(t, "POST", api+"/checkout_sessions", sk, seedBody)
	waiting := s["id"].(string)

	// keys roll: the old key stops working at once, the new one works.
	rolled := cli(t, "keys", "roll", "--data-dir", dir, "--merchant", created.MerchantID, "--key-type", "sk_test", "--json")
	var roll map[string]string
	if err := json.Unmarshal([]byte(rolled), &roll); err != nil || !strings.HasPrefix(roll["key"], "sk_test_") {
		t.Fatalf("keys roll: %s", rolled)
	}
	if status, _ := call(t, "GET", api+"/merchant", sk, nil); status != 401 {
		t.Fatalf("old key after roll: %d", status)
	}
	sk = roll["key"]
	if status, m := call(t, "GET", api+"/m/merchant", sk, nil); status != 200 || m["id"] != created.MerchantID {
		t.Fatalf("new key: %d %v", status, m)
	}

	deadline := time.Now().Add(30 * time.Second)
	for {
		list := api + "/checkout_sessions?status=expired&per_page=100"
		_, l := call(t, "GET", list, sk, nil)
		n := 0
		for _, d := range l["data"].([]any) {
			if d.(map[string]any)["id"] == waiting {
				n++
			}
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("session %s was not expired by the worker", waiting)
		}
		time.Sleep(250 * time.Millisecond)
	}

	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200} {
		res, err := http.Get(g.url + path)
		if err != nil || res.StatusCode != want {
			t.Fatalf("%s: %v %v", path, err, res)
		}
		res.Body.Close()
	}

	// SIGTERM shuts down cleanly.
	g.cmd.Process.Signal(syscall.SIGTERM)
	if err := g.cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
}

// TestDemo is the README's first command: on an empty data dir it prints test
// keys and a curl that works offline at the fixed demo rate.
func TestDemo(t *testing.T) {
	dir := t.TempDir()
	g := start(t, "--demo", "--data-dir", dir)
	out := g.stdout.String()
	sk := regexp.MustCompile(`sk_test_[0-9A-Za-z]+`).FindString(out)
	if sk == "" || !strings.Contains(out, "pk_test_") || !strings.Contains(out, "curl -s "+g.url+"/api/v1/checkout_sessions") {
		t.Fatalf("demo banner:\n%s", out)
	}
	m := regexp.MustCompile(`-d '(.*)'`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no curl body in:\n%s", out)
	}
	var body any
	if err := json.Unmarshal([]byte(m[1]), &body); err != nil {
		t.Fatalf("curl body is not JSON: %v", err)
	}
	if status, s := call(t, "POST", g.url+"/api/v1/checkout_sessions", sk, body); status != 201 || s["status"] != "pending" {
		t.Fatalf("demo curl: %d %v", status, s)
	}
	status, r := call(t, "GET", g.url+"/api/v1/rates", sk, nil)
	if status != 200 || r["source"] != "fixed" || !strings.Contains(r["note"].(string), "no price provider answered") {
		t.Fatalf("demo rates: %d %v", status, r)
	}
	g.cmd.Process.Signal(syscall.SIGTERM)
	g.cmd.Wait()

	// A restart re-keys the same demo merchant instead of making another.
	g2 := start(t, "--demo", "--data-dir", dir)
	sk2 := regexp.MustCompile(`sk_test_[0-9A-Za-z]+`).FindString(g2.stdout.String())
	if status, _ := call(t, "GET", g2.url+"/api/v1/merchant", sk, nil); status != 401 {
		t.Errorf("old demo key after restart: %d", status)
	}
	if status, _ := call(t, "GET", g2.url+"/api/v1/merchant", sk2, nil); status != 200 {
		t.Errorf("new demo key: %d", status)
	}
	if list := cli(t, "merchant", "list", "--data-dir", dir, "--json"); strings.Count(list, "mer_") != 1 {
		t.Errorf("demo restart made another merchant: %s", list)
	}
}

func TestHelpAndBadInput(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"serve", "--help"}, {"migrate", "--help"}, {"merchant", "create", "--help"}, {"merchant", "list", "--help"}, {"keys", "roll", "--help"}} {
		cmd := exec.Command(binary, args...)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Usage") {
			t.Errorf("satsrail %v: %v\n%s", args, err, out)
		}
	}
	dir := t.TempDir()
	for _, args := range [][]string{
		{"merchant", "create", "--data-dir", dir, "--name", "x", "--email", "not-an-email"},
		{"keys", "roll", "--data-dir", dir, "--merchant", "mer_x", "--key-type", "sk_prod"},
		{"serve", "--data-dir", dir, "--checkout-ttl", "5s"},
		{"serve", "--data-dir", dir, "--checkpoint-interval", "0s"},
		{"serve", "--data-dir", dir, "--fixed-rates", "usd=abc"},
		{"bogus"},
	} {
		cmd := exec.Command(binary, args...)
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("satsrail %v succeeded:\n%s", args, out)
		}
	}
	if out := cli(t, "migrate", "--data-dir", dir); !strings.Contains(out, "migration") {
		t.Errorf("migrate: %s", out)
	}
	// Environment variables stand in for flags.
	cmd := exec.Command(binary, "merchant", "list", "--json")
	cmd.Env = append(os.Environ(), "SATSRAIL_DATA_DIR="+dir)
	if out, err := cmd.CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "[]" {
		t.Errorf("SATSRAIL_DATA_DIR: %v %s", err, out)
	}
}

// TestSharedRateLimitThroughRedis: two gateway processes on one data dir
// with --redis-url share each key's limit.
func TestSharedRateLimitThroughRedis(t *testing.T) {
	dir := t.TempDir()
	out := cli(t, "merchant", "create", "--data-dir", dir, "--name", "S", "--email", "s@s.co", "--rate-limit-per-minute", "10", "--json")
	var created struct {
		Keys map[string]string `json:"keys"`
	}
	json.Unmarshal([]byte(out), &created)
	redisURL := "redis://127.0.0.1:6379/0"
	a := start(t, "--data-dir", dir, "--fixed-rates", "usd=65000", "--redis-url", redisURL)
	b := start(t, "--data-dir", dir, "--fixed-rates", "usd=65000", "--redis-url", redisURL)
	// Start right after a minute boundary so the loop stays in one window.
	if s := time.Now().Second(); s > 50 {
		time.Sleep(time.Duration(61-s) * time.Second)
	}
	window := time.Now().Truncate(time.Minute)
	allowed := 0
	for i := range 30 {
		node := a
		if i%2 == 1 {
			node = b
		}
		if status, _ := call(t, "GET", node.url+"/api/v1/merchant", created.Keys["sk_test"], nil); status == 200 {
			allowed++
		} else if status != 429 {
			t.Fatalf("status %d", status)
		}
	}
	if !time.Now().Truncate(time.Minute).Equal(window) {
		t.Fatalf("the loop crossed a minute boundary; rerun")
	}
	// Per-node counting would allow 20 (10 on each node).
	if allowed != 10 {
		t.Fatalf("%d of 30 requests allowed across two nodes with a shared limit of 10/min, want 10", allowed)
	}
}
