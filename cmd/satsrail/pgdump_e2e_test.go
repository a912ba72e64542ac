package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/satsrail/satsrail/internal/testdb"
)

// TestPostgresDumpRestore exercises docs/OPERATIONS.md's PostgreSQL path:
// pg_dump of a serving gateway, pg_restore into an empty database, and a
// gateway on the restored database serves every session, paid ones with
// their transactions, with the same master key.
func TestPostgresDumpRestore(t *testing.T) {
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (apt-get install postgresql-client): %v", tool, err)
		}
	}
	t.Setenv("SATSRAIL_MASTER_KEY", testMasterKey)
	src, dst := testdb.EmptyDatabase(t), testdb.EmptyDatabase(t)
	dir := t.TempDir()
	out := cli(t, "merchant", "create", "--database-url", src, "--name", "Store", "--email", "owner@store.com",
		"--rate-limit-per-minute", "100000000", "--json")
	var m struct {
		Keys map[string]string `json:"keys"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	sk := m.Keys["sk_test"]
	g := start(t, "--database-url", src, "--fixed-rates", "usd=65000")
	load := startLoad(t, g.url, sk, 4)
	load.waitFor(t, 100)
	load.end()
	ids, paid := load.acked(), load.paidNow()
	dump := filepath.Join(dir, "satsrail.dump")
	if out, err := exec.Command("pg_dump", "--format=custom", "--file", dump, src).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	if out, err := exec.Command("pg_restore", "--no-owner", "--dbname", dst, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	g.cmd.Process.Kill()
	g.cmd.Wait()
	r := start(t, "--database-url", dst, "--fixed-rates", "usd=65000")
	for _, id := range ids {
		status, s := call(t, "GET", r.url+"/api/v1/checkout_sessions/"+id, sk, nil)
		if status != 200 {
			t.Fatalf("session %s after pg_restore: %d", id, status)
		}
		if tx, ok := paid[id]; ok && s["transaction_id"] != tx {
			t.Errorf("session %s: transaction %v, want %s", id, s["transaction_id"], tx)
		}
	}
	os.Remove(dump)
}
