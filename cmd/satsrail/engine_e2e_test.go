package main

import (
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/satsrail/satsrail/internal/testdb"
)

// testMasterKey is the master key every process of a PostgreSQL run shares
// (with --database-url the binary requires SATSRAIL_MASTER_KEY).
var testMasterKey = strings.Repeat("5a", 32)

// dirDatabases maps a data dir to the PostgreSQL database that stands in for
// its SQLite file in a SATSRAIL_TEST_STORE=postgres run.
var dirDatabases struct {
	mu   sync.Mutex
	urls map[string]string
}

// engineArgs adapts the arguments of one satsrail command to the run's
// store engine. On SQLite (the default) it returns them unchanged and a nil
// environment (the child inherits the test's). With
// SATSRAIL_TEST_STORE=postgres, a command that names --data-dir but no
// --database-url also gets the --database-url of the data dir's own
// database, made on first use and dropped when t ends, so every process and
// command of a test that shares a data dir shares a database; the child's
// environment then holds the shared SATSRAIL_MASTER_KEY.
func engineArgs(t *testing.T, args []string) ([]string, []string) {
	t.Helper()
	if testdb.Engine() != "postgres" {
		return args, nil
	}
	at, dir := -1, ""
	for i, a := range args {
		if a == "--database-url" || strings.HasPrefix(a, "--database-url=") {
			return args, nil
		}
		if a == "--data-dir" && i+1 < len(args) && at < 0 {
			at, dir = i+2, args[i+1]
		} else if d, ok := strings.CutPrefix(a, "--data-dir="); ok && at < 0 {
			at, dir = i+1, d
		}
	}
	if at < 0 {
		return args, nil
	}
	out := append(append(append([]string(nil), args[:at]...), "--database-url", dirDatabase(t, dir)), args[at:]...)
	return out, append(os.Environ(), "SATSRAIL_MASTER_KEY="+testMasterKey)
}

// dirDatabase returns the URL of data dir dir's database, creating it (empty:
// the binary migrates it) for t on first use.
func dirDatabase(t *testing.T, dir string) string {
	t.Helper()
	dirDatabases.mu.Lock()
	defer dirDatabases.mu.Unlock()
	if u, ok := dirDatabases.urls[dir]; ok {
		return u
	}
	u := testdb.EmptyDatabase(t)
	if dirDatabases.urls == nil {
		dirDatabases.urls = map[string]string{}
	}
	dirDatabases.urls[dir] = u
	t.Cleanup(func() { // runs before the drop
		dirDatabases.mu.Lock()
		defer dirDatabases.mu.Unlock()
		delete(dirDatabases.urls, dir)
	})
	return u
}

// databaseHolds reports whether the PostgreSQL database of data dir dir holds
// any of secrets in clear, as text or inside a bytea. On SQLite, or when dir
// has no database, it reports false: the tests read the SQLite files
// themselves.
func databaseHolds(t *testing.T, dir string, secrets ...string) bool {
	t.Helper()
	dirDatabases.mu.Lock()
	u, ok := dirDatabases.urls[dir]
	dirDatabases.mu.Unlock()
	if !ok {
		if testdb.Engine() == "postgres" {
			t.Fatalf("no PostgreSQL database for data dir %s", dir)
		}
		return false
	}
	out, err := exec.Command("pg_dump", "--data-only", "--no-owner", "--dbname", u).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	dump := string(out)
	if !strings.Contains(dump, "COPY public.merchants") {
		t.Fatalf("pg_dump printed no merchants table:\n%s", dump)
	}
	for _, s := range secrets {
		if strings.Contains(dump, s) || strings.Contains(dump, hex.EncodeToString([]byte(s))) {
			return true
		}
	}
	return false
}
