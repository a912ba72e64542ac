package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/satsrail/satsrail/apitype"
	"github.com/satsrail/satsrail/internal/loadtest"
)

// benchConfig is what `satsrail bench` was asked to do.
type benchConfig struct {
	url, secretKey string
	clients        int
	duration       time.Duration
	scenarios      map[string]bool
	rows           []int
	pending        int
	idle           time.Duration
	baselines      bool
	jsonPath       string
	keep           bool
	workDir        string
}

const benchScenarios = "create,get,list,pay,page,watch"

// benchOptional are scenarios run only when --scenarios names them.
const benchOptional = "backup"

func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "baseline" {
		return benchBaseline(ctx, args[1:], stdout)
	}
	fs := newFlags("bench", "bench [flags]", stdout)
	var c benchConfig
	var scen, rows string
	fs.StringVar(&c.url, "url", "", "a running gateway to drive (with --secret-key); default: start one on a fresh SQLite data dir with the test wallet")
	fs.StringVar(&c.secretKey, "secret-key", "", "the sk_test_ key of the merchant to drive with --url; lift its rate limit (merchant create --rate-limit-per-minute)")
	fs.IntVar(&c.clients, "clients", 32, "concurrent clients")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "how long each scenario runs against each target")
	fs.StringVar(&scen, "scenarios", benchScenarios, "which scenarios to run: create (POST /checkout_sessions with an Idempotency-Key, then again paced at half the rate it reached), get (GET /checkout_sessions/{id}), list (GET /transactions with filters), pay (simulated payment → verified webhook at a local receiver), page (hosted checkout page), watch (RSS, goroutines and idle CPU with --pending sessions waiting for payment; started gateways only); not by default: backup (the time and size of `satsrail backup` of the idle gateway, then create with no backup beside create while backups run back to back; started gateways only)")
	fs.StringVar(&rows, "rows", "0", "table sizes to run create, get and list at, comma-separated: each starts a gateway whose database holds that many settled sessions (e.g. 100000,1000000); started gateways only")
	fs.IntVar(&c.pending, "pending", 100000, "watch: pending sessions with open invoices the gateway holds")
	fs.DurationVar(&c.idle, "idle", 10*time.Second, "watch: how long the gateway's idle CPU is measured")
	fs.BoolVar(&c.baselines, "baselines", true, "also run the baselines (bare net/http decoding the same JSON; the same plus one SQLite INSERT per request, each its own commit; the same INSERT group-committed) with the same client")
	fs.StringVar(&c.jsonPath, "json", "", "also write the report as JSON to this file (- for stdout, replacing the table)")
	fs.BoolVar(&c.keep, "keep", false, "keep the work directory (databases and server logs) instead of deleting it")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c.scenarios = map[string]bool{}
	for s := range strings.SplitSeq(scen, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !strings.Contains(","+benchScenarios+","+benchOptional+",", ","+s+",") {
			return fmt.Errorf("--scenarios: unknown scenario %q (have %s,%s)", s, benchScenarios, benchOptional)
		}
		c.scenarios[s] = true
	}
	for r := range strings.SplitSeq(rows, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(r))
		if err != nil || n < 0 {
			return fmt.Errorf("--rows: %q is not a table size", r)
		}
		c.rows = append(c.rows, n)
	}
	if c.clients < 1 || c.duration <= 0 {
		return errors.New("--clients and --duration must be positive")
	}
	if (c.url == "") != (c.secretKey == "") {
		return errors.New("--url and --secret-key go together")
	}
	dir, err := os.MkdirTemp("", "satsrail-bench-")
	if err != nil {
		return err
	}
	c.workDir = dir
	if c.keep {
		fmt.Fprintf(stderr, "bench: work directory %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	rep := &loadtest.Report{Date: time.Now().UTC(), Machine: loadtest.ThisMachine()}
	if err := runBench(ctx, &c, rep, stderr); err != nil {
		return err
	}
	if c.jsonPath != "-" {
		rep.WriteTable(stdout)
	}
	if c.jsonPath != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		b = append(b, '\n')
		if c.jsonPath == "-" {
			_, err = stdout.Write(b)
			return err
		}
		return os.WriteFile(c.jsonPath, b, 0o644)
	}
	return nil
}

// runBench runs the baselines, then the scenarios against each gateway.
func runBench(ctx context.Context, c *benchConfig, rep *loadtest.Report, logw io.Writer) error {
	load := loadtest.Load{Clients: c.clients, Duration: c.duration}
	httpc := loadtest.NewHTTPClient(c.clients)
	progress := func(r loadtest.Result) {
		fmt.Fprintf(logw, "bench: %-10s %-16s rows=%-8d %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms  errors %d\n",
			r.Scenario, r.Target, r.Rows, r.RPS, r.P50, r.P99, r.Errors)
		rep.Results = append(rep.Results, r)
	}
	if c.baselines {
		for _, kind := range loadtest.Baselines {
			p, err := startChild(ctx, c, "baseline-"+kind, "baseline listening on ",
				"bench", "baseline", "--kind", kind, "--data-dir", filepath.Join(c.workDir, "baseline-"+kind))
			if err != nil {
				return err
			}
			cl := &loadtest.Client{BaseURL: p.url, HTTP: httpc, RunID: kind}
			if c.scenarios["create"] {
				progress(loadtest.Result{Scenario: "create", Target: "baseline-" + kind, Clients: c.clients, Stats: loadtest.Drive(ctx, load, cl.Create())})
			}
			if kind == loadtest.BaselineNoDB && (c.scenarios["get"] || c.scenarios["list"] || c.scenarios["page"]) {
				progress(loadtest.Result{Scenario: "get", Target: "baseline-" + kind, Clients: c.clients,
					Stats: loadtest.Drive(ctx, load, cl.Read("/api/v1/checkout_sessions/cs_baseline"))})
			}
			p.stop()
		}
	}
	if c.url != "" {
		cl := &loadtest.Client{BaseURL: strings.TrimRight(c.url, "/"), SecretKey: c.secretKey, HTTP: httpc, RunID: runID()}
		if err := runScenarios(ctx, c, cl, "", 0, load, progress); err != nil {
			return err
		}
	} else {
		for _, n := range c.rows {
			if err := benchGateway(ctx, c, n, load, progress); err != nil {
				return err
			}
		}
		if c.scenarios["watch"] {
			if err := benchWatch(ctx, c, progress); err != nil {
				return err
			}
		}
	}
	addRatios(rep)
	return nil
}

// benchGateway starts a gateway whose database holds rows settled sessions
// and runs the scenarios against it.
func benchGateway(ctx context.Context, c *benchConfig, rows int, load loadtest.Load, progress func(loadtest.Result)) error {
	dir := filepath.Join(c.workDir, fmt.Sprintf("gateway-%d", rows))
	key, merchantID, err := benchMerchant(ctx, c, dir)
	if err != nil {
		return err
	}
	if rows > 0 {
		if err := seedSettled(ctx, dir, merchantID, rows); err != nil {
			return fmt.Errorf("seed %d sessions: %w", rows, err)
		}
	}
	p, err := startGateway(ctx, c, dir, fmt.Sprintf("gateway-%d", rows))
	if err != nil {
		return err
	}
	defer p.stop()
	cl := &loadtest.Client{BaseURL: p.url, SecretKey: key, HTTP: loadtest.NewHTTPClient(c.clients), RunID: runID()}
	return runScenarios(ctx, c, cl, dir, rows, load, progress)
}

// runScenarios runs the HTTP scenarios against one gateway; dir is its data
// dir when the bench started it.
func runScenarios(ctx context.Context, c *benchConfig, cl *loadtest.Client, dir string, rows int, load loadtest.Load, progress func(loadtest.Result)) error {
	res := func(scenario string, l loadtest.Load, op loadtest.Op) loadtest.Result {
		r := loadtest.Result{Scenario: scenario, Target: "satsrail", Rows: rows, Clients: l.Clients, Rate: l.Rate, Stats: loadtest.Drive(ctx, l, op)}
		progress(r)
		return r
	}
	if c.scenarios["create"] {
		top := res("create", load, cl.Create())
		if top.RPS > 0 {
			half := load
			half.Rate = top.RPS / 2
			res("create@50%", half, cl.Create())
		}
	}
	if c.scenarios["get"] {
		sessions, err := cl.Sessions(ctx, 200)
		if err != nil {
			return fmt.Errorf("get: %w", err)
		}
		res("get", load, cl.Get(sessions))
	}
	if c.scenarios["list"] {
		res("list", load, cl.List(loadtest.ListQueries(time.Now()), rows))
	}
	if c.scenarios["backup"] && dir != "" {
		if err := benchBackup(ctx, c, cl, dir, rows, load, progress); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
	}
	if rows != c.rows[0] && c.url == "" {
		return nil // pay and page don't depend on the table size
	}
	if c.scenarios["page"] {
		sessions, err := cl.Sessions(ctx, 200)
		if err == nil {
			err = cl.Warm(ctx, sessions)
		}
		if err != nil {
			return fmt.Errorf("page: %w", err)
		}
		res("page", load, cl.Page(sessions))
	}
	if c.scenarios["pay"] {
		r, err := loadtest.NewReceiver()
		if err != nil {
			return err
		}
		defer r.Close()
		if err := cl.Register(ctx, r); err != nil {
			return fmt.Errorf("pay: register the receiver: %w", err)
		}
		res("pay", load, cl.Pay(r))
		if n := r.BadSignatures(); n > 0 {
			return fmt.Errorf("pay: %d webhooks failed signature verification", n)
		}
	}
	return nil
}

// addRatios relates each result to the baselines and smaller tables.
func addRatios(rep *loadtest.Report) {
	for i := range rep.Results {
		x := &rep.Results[i]
		if x.Target != "satsrail" || x.Process != nil {
			continue
		}
		x.Ratios = map[string]float64{}
		base := "get"
		if strings.HasPrefix(x.Scenario, "create") {
			base = "create"
		}
		if x.Scenario != "pay" && x.Scenario != "create@50%" {
			if b := rep.Find(base, "baseline-nodb", 0); b != nil {
				x.Ratios["baseline-nodb"] = loadtest.Ratio(x.RPS, b.RPS)
			}
			for _, kind := range loadtest.Baselines[1:] {
				if b := rep.Find(base, "baseline-"+kind, 0); b != nil {
					x.Ratios["baseline-"+kind] = loadtest.Ratio(x.RPS, b.RPS)
				}
			}
		}
		// Cost at this table size relative to the smallest one: the time a
		// request takes (1/rate), so 1.10 means 10% more expensive. A paced
		// run's rate is set, not measured: compare its latencies instead.
		if first := smallest(rep, x.Scenario); first != nil && first.Rows < x.Rows && x.RPS > 0 && x.Rate == 0 {
			x.Ratios["smallest-table"] = loadtest.Ratio(first.RPS, x.RPS)
		}
		if x.Backups != nil {
			if b := rep.Find("create-nobackup", "satsrail", x.Rows); b != nil {
				x.Ratios["without-backup"] = loadtest.Ratio(x.RPS, b.RPS)
			}
		}
		if len(x.Ratios) == 0 {
			x.Ratios = nil
		}
	}
}

func smallest(rep *loadtest.Report, scenario string) *loadtest.Result {
	var s *loadtest.Result
	for i := range rep.Results {
		x := &rep.Results[i]
		if x.Target == "satsrail" && x.Scenario == scenario && (s == nil || x.Rows < s.Rows) {
			s = x
		}
	}
	return s
}

func runID() string { return strconv.FormatInt(time.Now().UnixNano(), 36) }

// benchMerchant creates the bench merchant in dir with its rate limit lifted
// (a setting of the merchant, as any operator can make it) and returns its
// sk_test key and id.
func benchMerchant(ctx context.Context, c *benchConfig, dir string) (key, id string, err error) {
	out, err := runChild(ctx, "merchant", "create", "--data-dir", dir, "--name", "Bench Store", "--email", "bench@satsrail.invalid",
		"--rate-limit-per-minute", "1000000000", "--json")
	if err != nil {
		return "", "", err
	}
	var m apitype.MerchantCreated
	if err := json.Unmarshal(out, &m); err != nil {
		return "", "", fmt.Errorf("merchant create: %w: %s", err, out)
	}
	return m.Keys["sk_test"], m.MerchantID, nil
}

// startGateway runs `satsrail serve` on dir with the test wallet, offline
// fixed prices and the per-IP limits of the public pages lifted (server
// settings, as for a gateway behind a trusted load balancer).
func startGateway(ctx context.Context, c *benchConfig, dir, name string) (*child, error) {
	return startChild(ctx, c, name, "satsrail listening on ", "serve", "--addr", "127.0.0.1:0", "--data-dir", dir,
		"--rate-providers", "coinbase=http://127.0.0.1:9", "--fixed-rates", "usd=65000,eur=60000",
		"--checkout-rate-limit-per-minute", "1000000000", "--public-rate-limit-per-minute", "1000000000")
}

// child is a process the bench started.
type child struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{}
}

func (p *child) stop() {
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// startChild runs this binary with args, its stderr to <name>.log in the
// work directory, and waits for a stdout line starting with ready, after
// which the line holds the child's URL.
func startChild(ctx context.Context, c *benchConfig, name, ready string, args ...string) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(c.workDir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, args...)
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	p := &child{cmd: cmd, done: make(chan struct{})}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), ready); ok {
				select {
				case found <- strings.TrimSpace(u):
				default:
				}
			}
		}
		io.Copy(io.Discard, out)
	}()
	go func() {
		cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	select {
	case p.url = <-found:
		return p, nil
	case <-p.done:
		b, _ := os.ReadFile(logf.Name())
		return nil, fmt.Errorf("%s exited before it was ready: %s", name, lastLines(b, 10))
	case <-time.After(60 * time.Second):
		p.stop()
		return nil, fmt.Errorf("%s did not start within 60s", name)
	case <-ctx.Done():
		p.stop()
		return nil, ctx.Err()
	}
}

// runChild runs this binary with args to completion and returns its stdout.
func runChild(ctx context.Context, args ...string) ([]byte, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("satsrail %s: %w: %s", strings.Join(args[:2], " "), err, stderr.String())
	}
	return out, nil
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}

// benchBaseline serves one baseline until ctx is done (it is the child the
// bench starts for each baseline, so client and servers are separate
// processes for every target alike).
func benchBaseline(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("bench baseline", "bench baseline --kind nodb|sqlite|sqlite-group [--addr A] [--data-dir D]", stdout)
	kind := fs.String("kind", loadtest.BaselineNoDB, "nodb (decode the JSON and answer), sqlite (the same plus one durable INSERT, its own commit) or sqlite-group (the INSERT group-committed)")
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on")
	dir := dataDirFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return err
	}
	h, closeFn, err := loadtest.NewBaseline(ctx, *kind, *dir)
	if err != nil {
		return err
	}
	defer closeFn()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	fmt.Fprintf(stdout, "baseline listening on http://%s\n", ln.Addr())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// benchBackup takes a backup of the idle gateway in dir (its time and
// size), then runs create for --duration with no backup, then create again
// while `satsrail backup` runs back to back, for at least --duration and at
// least one whole backup: the load covers every backup from its start to its
// end, so the second rate is the rate during a backup, beside the first in
// the same run.
func benchBackup(ctx context.Context, c *benchConfig, cl *loadtest.Client, dir string, rows int, load loadtest.Load, progress func(loadtest.Result)) error {
	n := 0
	backup := func() (time.Duration, int64, error) {
		n++
		to := filepath.Join(c.workDir, fmt.Sprintf("backup-%d-%d.db", rows, n))
		start := time.Now()
		if _, err := runChild(ctx, "backup", "--to", to, "--data-dir", dir); err != nil {
			return 0, 0, err
		}
		took := time.Since(start)
		fi, err := os.Stat(to)
		if err != nil {
			return 0, 0, err
		}
		return took, fi.Size(), os.Remove(to)
	}
	idle, size, err := backup()
	if err != nil {
		return err
	}
	progress(loadtest.Result{Scenario: "create-nobackup", Target: "satsrail", Rows: rows, Clients: load.Clients, Stats: loadtest.Drive(ctx, load, cl.Create())})

	lctx, stop := context.WithCancel(ctx)
	defer stop()
	type outcome struct {
		took []time.Duration
		err  error
	}
	done := make(chan outcome, 1)
	go func() {
		var o outcome
		deadline := time.Now().Add(load.Duration)
		for len(o.took) == 0 || time.Now().Before(deadline) {
			d, _, err := backup()
			if err != nil {
				o.err = err
				break
			}
			o.took = append(o.took, d)
		}
		stop()
		done <- o
	}()
	during := load
	during.Duration = time.Hour // ends with the last backup
	st := loadtest.Drive(lctx, during, cl.Create())
	o := <-done
	if o.err != nil {
		return o.err
	}
	var sum time.Duration
	for _, d := range o.took {
		sum += d
	}
	progress(loadtest.Result{Scenario: "create+backup", Target: "satsrail", Rows: rows, Clients: load.Clients, Stats: st,
		Backups: &loadtest.Backups{IdleSeconds: idle.Seconds(), Bytes: size, UnderLoad: len(o.took), LoadSeconds: (sum / time.Duration(len(o.took))).Seconds()}})
	return nil
}
