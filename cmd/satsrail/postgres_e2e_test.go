package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// freshDatabase makes an empty PostgreSQL database for one test and drops it
// afterwards. The server is the machine's (CI starts it).
func freshDatabase(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("satsrail_e2e_%d", rand.Uint64())
	psql := func(sql string) {
		out, err := exec.Command("psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql).CombinedOutput()
		if err != nil {
			t.Fatalf("psql %q: %v\n%s (is PostgreSQL running on 127.0.0.1:5432? .ci/run starts it)", sql, err, out)
		}
	}
	psql("CREATE DATABASE " + name)
	t.Cleanup(func() { psql("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)") })
	return "postgres://postgres@127.0.0.1:5432/" + name + "?sslmode=disable"
}

// TestPostgresEndToEnd runs the seed's flow on PostgreSQL with two serve
// processes sharing the database: a session made on one node is paid and
// read on the other.
func TestPostgresEndToEnd(t *testing.T) {
	url := freshDatabase(t)
	os.Setenv("SATSRAIL_MASTER_KEY", strings.Repeat("ab", 32))
	t.Cleanup(func() { os.Unsetenv("SATSRAIL_MASTER_KEY") })
	if out := cli(t, "migrate", "--database-url", url); !strings.Contains(out, "migration") {
		t.Fatalf("migrate: %s", out)
	}
	out := cli(t, "merchant", "create", "--database-url", url, "--name", "PG", "--email", "pg@example.com", "--json")
	sk := out[strings.Index(out, `"sk_test":"`)+11:]
	sk = sk[:strings.Index(sk, `"`)]
	a := start(t, "--database-url", url, "--data-dir", t.TempDir(), "--fixed-rates", "usd=65000")
	b := start(t, "--database-url", url, "--data-dir", t.TempDir(), "--fixed-rates", "usd=65000")
	h := newHook(t)
	secret := register(t, a.url+"/api/v1", sk, h.srv.URL)
	_, s := call(t, "POST", a.url+"/api/v1/checkout_sessions", sk, seedBody)
	id := s["id"].(string)
	page(t, b.url+"/checkout/"+id)
	if status, s := call(t, "POST", b.url+"/checkout/"+id+"/simulate_payment", sk, nil); status != 200 || s["status"] != "completed" {
		t.Fatalf("simulate on node b: %d %v", status, s)
	}
	waitStatus(t, a.url+"/api/v1", sk, id, "completed")
	h.waitCount(t, 1)
	if _, err := webhookConstruct(h, secret); err != nil {
		t.Fatal(err)
	}
	// Without a shared master key, PostgreSQL nodes refuse to start.
	os.Unsetenv("SATSRAIL_MASTER_KEY")
	cmd := exec.Command(binary, "serve", "--database-url", url, "--addr", "127.0.0.1:0")
	cmd.Env = os.Environ()
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "SATSRAIL_MASTER_KEY") {
		t.Fatalf("serve without a shared master key: %v %s", err, out)
	}
}
