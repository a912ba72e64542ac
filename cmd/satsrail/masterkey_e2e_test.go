package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
