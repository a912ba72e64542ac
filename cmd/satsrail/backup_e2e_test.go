package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/testdb"
)

// runCLI runs a subcommand and returns its exit code and output, for the
// commands whose refusals the tests check.
func runCLI(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// merchantKey makes a merchant in dir and returns its sk_test.
func merchantKey(t *testing.T, dir string) string {
	t.Helper()
	out := cli(t, "merchant", "create", "--data-dir", dir, "--name", "Store", "--email", "owner@store.com",
		"--rate-limit-per-minute", "100000000", "--json")
	var m struct {
		Keys map[string]string `json:"keys"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return m.Keys["sk_test"]
}

// sessionLoad is clients creating checkout sessions until stopped.
type sessionLoad struct {
	mu   sync.Mutex
	ids  []string
	paid map[string]string // session id → transaction id, of those paid
	stop chan struct{}
	wg   sync.WaitGroup
}

func startLoad(t *testing.T, base, sk string, clients int) *sessionLoad {
	l := &sessionLoad{stop: make(chan struct{}), paid: map[string]string{}}
	body, _ := json.Marshal(seedBody)
	client := &http.Client{Timeout: 30 * time.Second}
	for w := range clients {
		l.wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				req, _ := http.NewRequest("POST", base+"/api/v1/checkout_sessions", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+sk)
				req.Header.Set("Idempotency-Key", fmt.Sprintf("load-%d-%d", w, i))
				res, err := client.Do(req)
				if err != nil {
					t.Errorf("create: %v", err)
					return
				}
				var s struct {
					ID string `json:"id"`
				}
				err = json.NewDecoder(res.Body).Decode(&s)
				res.Body.Close()
				if res.StatusCode != http.StatusCreated || err != nil {
					t.Errorf("create: %d %v", res.StatusCode, err)
					return
				}
				l.mu.Lock()
				l.ids = append(l.ids, s.ID)
				l.mu.Unlock()
				if i%2 == 1 {
					continue
				}
				// Every other one is paid through the test wallet.
				req, _ = http.NewRequest("POST", base+"/checkout/"+s.ID+"/simulate_payment", nil)
				req.Header.Set("Authorization", "Bearer "+sk)
				res, err = client.Do(req)
				if err != nil {
					t.Errorf("pay: %v", err)
					return
				}
				var p struct {
					Status        string `json:"status"`
					TransactionID string `json:"transaction_id"`
				}
				err = json.NewDecoder(res.Body).Decode(&p)
				res.Body.Close()
				if res.StatusCode != http.StatusOK || err != nil || p.Status != "completed" {
					t.Errorf("pay %s: %d %v %+v", s.ID, res.StatusCode, err, p)
					return
				}
				l.mu.Lock()
				l.paid[s.ID] = p.TransactionID
				l.mu.Unlock()
			}
		})
	}
	return l
}

func (l *sessionLoad) acked() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.ids...)
}

func (l *sessionLoad) paidNow() map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.paid)
}

func (l *sessionLoad) waitFor(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for len(l.acked()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d sessions created in a minute", len(l.acked()))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (l *sessionLoad) end() {
	close(l.stop)
	l.wg.Wait()
}

// completedEvents returns the data of every checkout.completed event the
// gateway serves, joined: a session's id is in it when it has one. It pages
// by cursor, as a consumer catching up does.
func completedEvents(t *testing.T, base, sk string) string {
	t.Helper()
	var all strings.Builder
	after := ""
	for {
		u := base + "/api/v1/events?type=checkout.completed&per_page=100"
		if after != "" {
			u += "&starting_after=" + after
		}
		status, l := call(t, "GET", u, sk, nil)
		if status != 200 {
			t.Fatalf("list events: %d %v", status, l)
		}
		data, _ := l["data"].([]any)
		for _, e := range data {
			ev := e.(map[string]any)
			b, _ := json.Marshal(ev["data"])
			all.Write(b)
			after, _ = ev["id"].(string)
		}
		if more, _ := l["has_more"].(bool); !more || len(data) == 0 {
			return all.String()
		}
	}
}

// TestBackupRestoreUnderLoad: 8 clients create sessions and the test wallet
// pays them while `satsrail backup` copies the database; the backup,
// restored into a new data dir, serves every session answered 201 before
// the backup started, each paid one with its transaction and its
// checkout.completed event.
func TestBackupRestoreUnderLoad(t *testing.T) {
	if testdb.Engine() != "sqlite" {
		t.Skip("the SQLite backup; PostgreSQL's pg_dump path is TestPostgresDumpRestore")
	}
	dir := t.TempDir()
	sk := merchantKey(t, dir)
	g := start(t, "--data-dir", dir, "--fixed-rates", "usd=65000")
	load := startLoad(t, g.url, sk, 8)
	load.waitFor(t, 400)
	// Paid ones must come back paid, with the same transaction.
	paid := load.paidNow()
	before := load.acked()
	file := filepath.Join(t.TempDir(), "backup.db")
	out := cli(t, "backup", "--data-dir", dir, "--to", file)
	during := len(load.acked()) - len(before)
	load.end()
	t.Logf("%s(%d sessions before the backup, %d of them paid; %d created while it ran)", out, len(before), len(paid), during)
	if len(paid) == 0 {
		t.Fatal("no session was paid before the backup: the test proves nothing about transactions")
	}

	restored := filepath.Join(t.TempDir(), "restored")
	cli(t, "restore", "--from", file, "--data-dir", restored, "--key-file", filepath.Join(dir, "master.key"))
	g.cmd.Process.Kill() // the restored gateway alone
	g.cmd.Wait()
	r := start(t, "--data-dir", restored, "--fixed-rates", "usd=65000")
	// The restored gateway settles what was in flight (its test wallet
	// pays), so the events are read after the sessions: a session seen
	// completed has its event committed with it.
	completed := map[string]bool{}
	for _, id := range before {
		status, s := call(t, "GET", r.url+"/api/v1/checkout_sessions/"+id, sk, nil)
		if status != 200 {
			t.Fatalf("session %s answered 201 before the backup: restored gateway says %d %v", id, status, s)
		}
		txID, wasPaid := paid[id]
		if s["status"] == "completed" {
			tx, _ := s["transaction_id"].(string)
			if wasPaid && tx != txID {
				t.Errorf("session %s: transaction %s, before the backup %s", id, tx, txID)
			}
			if st, _ := call(t, "GET", r.url+"/api/v1/transactions/"+tx, sk, nil); st != 200 {
				t.Errorf("session %s: its transaction %s is not served: %d", id, tx, st)
			}
			completed[id] = wasPaid
		} else if wasPaid {
			t.Errorf("session %s was paid before the backup; restored it is %v", id, s["status"])
		}
	}
	events := completedEvents(t, r.url, sk)
	for id, wasPaid := range completed {
		if !strings.Contains(events, `"`+id+`"`) {
			t.Errorf("session %s is completed (paid before the backup: %v) but has no checkout.completed event (%d bytes of events)", id, wasPaid, len(events))
		}
	}
}

// TestRestoreRefuses: a damaged backup, one from a newer schema, one sealed
// with another master key and a data dir that already holds a database are
// each refused with a message that says what to do, and nothing is written.
func TestRestoreRefuses(t *testing.T) {
	if testdb.Engine() != "sqlite" {
		t.Skip("SQLite backups")
	}
	dir := t.TempDir()
	merchantKey(t, dir)
	file := filepath.Join(t.TempDir(), "backup.db")
	cli(t, "backup", "--data-dir", dir, "--to", file)
	keyFile := filepath.Join(dir, "master.key")
	env := os.Environ()

	if code, out := runCLI(t, env, "backup", "--data-dir", dir, "--to", file); code == 0 || !strings.Contains(out, "exists") {
		t.Errorf("backup over an existing file: %d %s", code, out)
	}

	damaged := filepath.Join(t.TempDir(), "damaged.db")
	b, _ := os.ReadFile(file)
	for i := 4096 * 2; i < len(b) && i < 4096*2+2000; i++ { // the pages after the schema's
		b[i] ^= 0x5a
	}
	os.WriteFile(damaged, b, 0o600)

	newer := filepath.Join(t.TempDir(), "newer.db")
	os.WriteFile(newer, mustRead(t, file), 0o600)
	execSQL(t, newer, "INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)")

	otherKey := filepath.Join(t.TempDir(), "other.key")
	os.WriteFile(otherKey, []byte(strings.Repeat("77", 32)), 0o600)

	occupied := t.TempDir()
	cli(t, "restore", "--from", file, "--data-dir", occupied, "--key-file", keyFile)

	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"damaged", []string{"--from", damaged, "--data-dir", t.TempDir(), "--key-file", keyFile}, []string{"damaged", "older backup"}},
		{"newer schema", []string{"--from", newer, "--data-dir", t.TempDir(), "--key-file", keyFile}, []string{"schema version 9999", "newer than this binary"}},
		{"other key", []string{"--from", file, "--data-dir", t.TempDir(), "--key-file", otherKey}, []string{"sealed with the master key", "--key-file"}},
		{"no key", []string{"--from", file, "--data-dir", t.TempDir()}, []string{"no master key", "--key-file"}},
		{"existing database", []string{"--from", file, "--data-dir", occupied, "--key-file", keyFile}, []string{"already holds a database", "--force"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := runCLI(t, env, append([]string{"restore"}, tt.args...)...)
			if code != 1 {
				t.Errorf("exit code %d, want 1: %s", code, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("message %q lacks %q", out, w)
				}
			}
			if d := tt.args[3]; d != occupied {
				if _, err := os.Stat(filepath.Join(d, "satsrail.db")); err == nil {
					t.Error("a refused restore wrote a database")
				}
			}
		})
	}
	// --force replaces it.
	if code, out := runCLI(t, env, "restore", "--from", file, "--data-dir", occupied, "--key-file", keyFile, "--force"); code != 0 {
		t.Errorf("restore --force: %d %s", code, out)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// execSQL runs one statement on the SQLite file at path.
func execSQL(t *testing.T, path, stmt string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(stmt); err != nil {
		t.Fatal(err)
	}
}
