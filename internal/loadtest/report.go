package loadtest

import (
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// Result is one scenario run against one target.
type Result struct {
	Scenario string `json:"scenario"` // create, create@50%, get, list, pay, page, watch
	Target   string `json:"target"`   // satsrail, baseline-nodb, baseline-sqlite, baseline-sqlite-group
	// Rows is how many sessions (each with a settled transaction) the
	// gateway's database held before the run.
	Rows    int     `json:"rows"`
	Clients int     `json:"clients"`
	Rate    float64 `json:"target_rate,omitempty"` // paced runs only
	Stats
	// Ratios compare this result's rate with a baseline's in the same run
	// (e.g. "baseline-nodb": 0.61 means 61% of that ceiling).
	Ratios map[string]float64 `json:"ratios,omitempty"`
	// Process holds what the gateway process used, for the watch scenario.
	Process *Process `json:"process,omitempty"`
	// Backups holds the backups taken while this scenario ran (create+backup).
	Backups *Backups `json:"backups,omitempty"`
}

// Backups is what `satsrail backup` took on a serving gateway: one backup
// while it was idle, then back to back while the scenario ran.
type Backups struct {
	IdleSeconds float64 `json:"idle_seconds"` // the backup taken with no load
	Bytes       int64   `json:"bytes"`        // the idle backup's size
	UnderLoad   int     `json:"under_load"`   // backups taken during the scenario
	// LoadSeconds is the mean time of the backups taken under load.
	LoadSeconds float64 `json:"load_seconds"`
}

// Process is a server process's resource use, read from /proc.
type Process struct {
	Pending    int     `json:"pending_sessions"`
	RSSMiB     float64 `json:"rss_mib"`
	PeakRSSMiB float64 `json:"peak_rss_mib"`
	Goroutines int     `json:"goroutines"`
	// IdleCPUPercent is the CPU the process used while nothing was asked of
	// it, over IdleSeconds: near zero when nothing polls per session.
	IdleCPUPercent float64 `json:"idle_cpu_percent"`
	IdleSeconds    float64 `json:"idle_seconds"`
}

// Report is the whole run.
type Report struct {
	Date    time.Time `json:"date"`
	Machine Machine   `json:"machine"`
	Results []Result  `json:"results"`
}

// Machine says where the numbers came from.
type Machine struct {
	CPUs   int    `json:"cpus"`
	CPU    string `json:"cpu"`
	GoOS   string `json:"goos"`
	GoArch string `json:"goarch"`
	Go     string `json:"go"`
}

// ThisMachine describes the machine running the client.
func ThisMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoOS: runtime.GOOS, GoArch: runtime.GOARCH, Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// Find returns the first result of scenario against target, if any.
func (r *Report) Find(scenario, target string, rows int) *Result {
	for i := range r.Results {
		x := &r.Results[i]
		if x.Scenario == scenario && x.Target == target && x.Rows == rows {
			return x
		}
	}
	return nil
}

// Ratio is a/b rounded to three digits, or 0 without a b.
func Ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return math.Round(a/b*1000) / 1000
}

// WriteTable prints the results as an aligned table.
func (r *Report) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "satsrail bench — %s — %d CPUs %s, %s\n\n", r.Date.Format(time.DateOnly), r.Machine.CPUs, r.Machine.CPU, r.Machine.Go)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\ttarget\trows\tclients\treq/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\terrors\tratios\t")
	for _, x := range r.Results {
		var ratios []string
		for _, k := range []string{"baseline-nodb", "baseline-sqlite", "baseline-sqlite-group", "rows-0", "smallest-table", "without-backup"} {
			if v, ok := x.Ratios[k]; ok {
				ratios = append(ratios, fmt.Sprintf("%.2f× %s", v, k))
			}
		}
		if x.Process != nil {
			p := x.Process
			paid := "-"
			if x.Requests > 0 {
				paid = fmt.Sprintf("%.2f", x.P50)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t-\t-\t%s\t-\t-\t-\t%d\t%d pending: RSS %.0f MiB (peak %.0f), %d goroutines, idle CPU %.1f%%\t\n",
				x.Scenario, x.Target, x.Rows, paid, x.Errors, p.Pending, p.RSSMiB, p.PeakRSSMiB, p.Goroutines, p.IdleCPUPercent)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%d\t%s\t\n", x.Scenario, x.Target, x.Rows, x.Clients,
			x.RPS, x.P50, x.P90, x.P99, x.Max, x.Errors, strings.Join(ratios, ", "))
	}
	tw.Flush()
	for _, x := range r.Results {
		if b := x.Backups; b != nil {
			fmt.Fprintf(w, "\nbackup of %d rows: %.2f s idle, %d bytes; %d under %s load, %.2f s each", x.Rows, b.IdleSeconds, b.Bytes, b.UnderLoad, x.Scenario, b.LoadSeconds)
		}
	}
	for _, x := range r.Results {
		if x.FirstError != "" {
			fmt.Fprintf(w, "\n%s on %s: first error: %s", x.Scenario, x.Target, x.FirstError)
		}
	}
	fmt.Fprintln(w)
}
