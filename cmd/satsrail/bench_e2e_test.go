package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/satsrail/satsrail/internal/loadtest"
)

// TestBenchSmoke runs the load tool for a moment, every scenario at two table
// sizes beside both baselines, and checks that it ran and reported: each
// scenario answered without errors and the report holds what the table
// shows. It asserts no speed — that is what the tool reports, not what a
// test on a shared machine can judge.
func TestBenchSmoke(t *testing.T) {
	out := filepath.Join(t.TempDir(), "bench.json")
	cmd := exec.Command(binary, "bench", "--duration", "300ms", "--clients", "2", "--rows", "0,200", "--pending", "50",
		"--idle", "500ms", "--json", out)
	cmd.Env = os.Environ()
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, b)
	}
	var rep loadtest.Report
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, raw)
	}
	type want struct {
		scenario, target string
		rows             int
	}
	for _, w := range []want{
		{"create", "baseline-nodb", 0}, {"get", "baseline-nodb", 0}, {"create", "baseline-sqlite", 0},
		{"create", "baseline-sqlite-group", 0},
		{"create", "satsrail", 0}, {"create@50%", "satsrail", 0}, {"get", "satsrail", 0}, {"list", "satsrail", 0},
		{"create", "satsrail", 200}, {"create@50%", "satsrail", 200}, {"get", "satsrail", 200}, {"list", "satsrail", 200},
		{"page", "satsrail", 0}, {"pay", "satsrail", 0},
	} {
		r := rep.Find(w.scenario, w.target, w.rows)
		if r == nil {
			t.Errorf("no %s result for %s at %d rows", w.scenario, w.target, w.rows)
			continue
		}
		if r.Requests == 0 || r.Errors != 0 || r.P50 <= 0 || r.P99 < r.P50 || r.RPS <= 0 {
			t.Errorf("%s on %s at %d rows: %+v", w.scenario, w.target, w.rows, r.Stats)
		}
		if w.target == "satsrail" && w.scenario != "pay" && w.scenario != "create@50%" && r.Ratios["baseline-nodb"] <= 0 {
			t.Errorf("%s on %s at %d rows has no ratio to the baseline: %v", w.scenario, w.target, w.rows, r.Ratios)
		}
	}
	if r := rep.Find("create", "satsrail", 0); r != nil && (r.Ratios["baseline-sqlite"] <= 0 || r.Ratios["baseline-sqlite-group"] <= 0) {
		t.Errorf("create has no ratio to the SQLite baselines: %v", r.Ratios)
	}
	if r := rep.Find("list", "satsrail", 200); r != nil && r.Ratios["smallest-table"] <= 0 {
		t.Errorf("list at 200 rows has no ratio to the smallest table: %v", r.Ratios)
	}
	var watched []loadtest.Result
	for _, r := range rep.Results {
		if r.Scenario == "watch" {
			watched = append(watched, r)
		}
	}
	if len(watched) != 2 || watched[0].Process == nil || watched[1].Process == nil {
		t.Fatalf("watch results: %+v", watched)
	}
	for _, r := range watched {
		if p := r.Process; p.RSSMiB <= 0 || p.PeakRSSMiB < p.RSSMiB || p.Goroutines <= 0 {
			t.Errorf("watch with %d pending: %+v", p.Pending, p)
		}
	}
	if p := watched[1]; p.Process.Pending != 50 || p.Requests != 1 || p.P50 <= 0 {
		t.Errorf("watch with pending sessions: the CLI payment was not seen completing: %+v", p)
	}
	if rep.Machine.CPUs <= 0 || rep.Date.IsZero() {
		t.Errorf("report without its machine or date: %+v %v", rep.Machine, rep.Date)
	}
}

// TestBenchBackupSmoke runs the backup scenario for a moment and checks it
// reported a backup (its time and size), create with and without backups
// running, and the ratio between them. It asserts no speed.
func TestBenchBackupSmoke(t *testing.T) {
	out := filepath.Join(t.TempDir(), "bench.json")
	cmd := exec.Command(binary, "bench", "--scenarios", "backup", "--baselines=false", "--duration", "300ms", "--clients", "2",
		"--rows", "200", "--json", out)
	cmd.Env = os.Environ()
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, b)
	}
	var rep loadtest.Report
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, raw)
	}
	for _, s := range []string{"create-nobackup", "create+backup"} {
		r := rep.Find(s, "satsrail", 200)
		if r == nil {
			t.Fatalf("no %s result at 200 rows: %s", s, raw)
		}
		if r.Requests == 0 || r.Errors != 0 || r.RPS <= 0 {
			t.Errorf("%s: %+v", s, r.Stats)
		}
	}
	r := rep.Find("create+backup", "satsrail", 200)
	if bk := r.Backups; bk == nil || bk.IdleSeconds <= 0 || bk.Bytes <= 0 || bk.UnderLoad < 1 || bk.LoadSeconds <= 0 {
		t.Errorf("backups: %+v", r.Backups)
	}
	if r.Ratios["without-backup"] <= 0 {
		t.Errorf("create+backup has no ratio to create without a backup: %v", r.Ratios)
	}
	if rep.Find("create", "satsrail", 200) != nil {
		t.Errorf("create ran though only backup was asked for")
	}
}
