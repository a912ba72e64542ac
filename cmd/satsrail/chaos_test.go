package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/satsrail/satsrail/webhook"
)

// The chaos test's knobs. The payment phase is paced (chaosPhase) so that
// the chaos goroutine gets to kill nodes many times while payments flow;
// the whole test takes about 2–3 minutes.
const (
	chaosNodes     = 3
	chaosCheckouts = 500
	chaosClients   = 6
	chaosPhase     = 80 * time.Second // target length of the payment phase
	chaosKillEvery = 3 * time.Second
	chaosFailRate  = 0.20 // share of webhook requests the receiver answers 500
	// chaosMaxFails caps the 500s per delivery: the schedule below allows 3
	// retries (4 attempts), so a delivery is never failed for good by the
	// receiver's randomness alone.
	chaosMaxFails = 2
	chaosSeed     = 20240611
	// Every chaosDoubleEvery-th checkout is paid through two nodes at once.
	chaosDoubleEvery = 5
)

// TestChaos runs three `satsrail serve` nodes on one PostgreSQL database and
// one Redis, SIGKILLs and restarts a random node every ~3 s while 500 test
// checkouts are created on one node and paid through another, and then
// checks that every effect happened exactly once: one completion, one
// transaction and one checkout.completed event per session, every event
// delivered (at least once, always the same signed bytes, never by two nodes
// at once), and a per-key rate limit shared by all nodes.
func TestChaos(t *testing.T) {
	began := time.Now()
	dbURL := freshDatabase(t)
	t.Setenv("SATSRAIL_MASTER_KEY", strings.Repeat("cd", 32))
	if out := cli(t, "migrate", "--database-url", dbURL); !strings.Contains(out, "migration") {
		t.Fatalf("migrate: %s", out)
	}
	sk := chaosMerchant(t, dbURL, "Chaos", "chaos@example.com", 100000)
	limited := chaosMerchant(t, dbURL, "Limited", "limited@example.com", 20)

	// No periodic reconciliation (the default): a payment recorded by a node
	// killed before it settled the session is completed by the other nodes'
	// test wallet settlement feed, or by the restarted node's start-up sweep.
	args := []string{"--database-url", dbURL, "--redis-url", "redis://127.0.0.1:6379/0",
		"--fixed-rates", "usd=65000", "--webhook-retry-schedule", "1s,2s,3s", "--webhook-timeout", "2s",
		"--log-format", "text", "--log-level", "warn"}
	c := newCluster(t, args)
	for slot := range chaosNodes {
		if err := c.startSlot(slot); err != nil {
			t.Fatalf("start node %d: %v", slot, err)
		}
	}

	rc := newChaosReceiver(t)
	_, w := c.mustJSON(t, "POST", "/api/v1/webhooks", sk, map[string]any{"webhook": map[string]any{"url": rc.srv.URL + "/hook"}}, nil, 201)
	secret, _ := w["secret"].(string)
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("register webhook: %v", w)
	}
	endpointID, _ := w["id"].(string)
	rc.setSecret(secret)

	// --- payment phase, under chaos -------------------------------------
	stopChaos := make(chan struct{})
	chaosDone := make(chan struct{})
	go func() {
		defer close(chaosDone)
		c.chaos(stopChaos)
	}()

	type checkout struct {
		id, creator, payer int
		session            string
		err                error
	}
	results := make([]checkout, chaosCheckouts)
	jobs := make(chan int)
	go func() {
		// Pace the checkouts evenly over chaosPhase.
		tick := time.NewTicker(chaosPhase / chaosCheckouts)
		defer tick.Stop()
		for i := range chaosCheckouts {
			jobs <- i
			<-tick.C
		}
		close(jobs)
	}()
	var wg sync.WaitGroup
	phaseStart := time.Now()
	for range chaosClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				r := &results[i]
				r.id = i
				r.session, r.creator, r.payer, r.err = c.checkoutAndPay(sk, i)
			}
		}()
	}
	wg.Wait()
	phaseTook := time.Since(phaseStart)
	close(stopChaos)
	<-chaosDone
	// Any node the chaos left dead comes back before the checks.
	for slot := range chaosNodes {
		if !c.isUp(slot) {
			if err := c.startSlot(slot); err != nil {
				t.Fatalf("final restart of node %d: %v", slot, err)
			}
		}
	}

	sessions := map[string]int{}
	failedOps := 0
	for _, r := range results {
		if r.err != nil {
			failedOps++
			if failedOps <= 20 {
				t.Errorf("checkout %d (session %q): %v", r.id, r.session, r.err)
			}
			continue
		}
		if r.creator == r.payer {
			t.Errorf("checkout %d was paid on the node it was created on (%d)", r.id, r.creator)
		}
		sessions[r.session]++
	}
	if failedOps > 0 {
		t.Errorf("%d of %d checkouts could not be created and paid", failedOps, chaosCheckouts)
	}
	if len(sessions) != chaosCheckouts-failedOps {
		t.Errorf("%d distinct sessions for %d successful checkouts: a checkout create returned an existing session", len(sessions), chaosCheckouts-failedOps)
	}

	// --- settle: every event delivered ----------------------------------
	settleStart := time.Now()
	var events []map[string]any
	settled := false
	for deadline := time.Now().Add(60 * time.Second); ; {
		events, _ = c.listAll(t, "/api/v1/events?type=checkout.completed", sk)
		pendingFail := c.total(t, "/api/v1/events?delivery_success=false", sk)
		missing := 0
		for _, e := range events {
			if !rc.acked(e["id"].(string)) {
				missing++
			}
		}
		if missing == 0 && pendingFail == 0 && len(events) >= chaosCheckouts-failedOps {
			settled = true
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("after 60 s, %d of %d checkout.completed events were never acknowledged by the receiver; %d events have a failed delivery",
				missing, len(events), pendingFail)
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	settleTook := time.Since(settleStart)

	// --- sessions: each completed exactly once --------------------------
	completedSessions := 0
	txBySession := map[string]string{}
	hashBySession := map[string]string{}
	var mu sync.Mutex
	var gwg sync.WaitGroup
	ids := make(chan string)
	for range chaosClients {
		gwg.Add(1)
		go func() {
			defer gwg.Done()
			for id := range ids {
				res, err := c.do("GET", "/api/v1/checkout_sessions/"+id, sk, nil, nil, -1, -1)
				var s map[string]any
				if err == nil {
					err = json.Unmarshal(res.body, &s)
				}
				mu.Lock()
				switch {
				case err != nil:
					t.Errorf("get session %s: %v", id, err)
				case res.status != 200 || s["status"] != "completed":
					t.Errorf("session %s: %d status %v, want 200 completed", id, res.status, s["status"])
				default:
					completedSessions++
					txBySession[id], _ = s["transaction_id"].(string)
					hashBySession[id], _ = s["payment_hash"].(string)
				}
				mu.Unlock()
			}
		}()
	}
	for id := range sessions {
		ids <- id
	}
	close(ids)
	gwg.Wait()
	completedTotal := c.total(t, "/api/v1/checkout_sessions?status=completed", sk)
	sessionsTotal := c.total(t, "/api/v1/checkout_sessions", sk)
	if completedTotal != chaosCheckouts {
		t.Errorf("GET /checkout_sessions?status=completed total_count = %d, want %d", completedTotal, chaosCheckouts)
	}
	if sessionsTotal != chaosCheckouts {
		t.Errorf("GET /checkout_sessions total_count = %d, want %d (a retried create made a second session?)", sessionsTotal, chaosCheckouts)
		c.reportExtraSessions(t, sk, sessions)
	}

	// --- transactions: one per payment hash -----------------------------
	txs, txTotal := c.listAll(t, "/api/v1/transactions", sk)
	hashes := map[string]int{}
	txSessions := map[string]int{}
	txIDs := map[string]bool{}
	for _, tx := range txs {
		hashes[tx["payment_hash"].(string)]++
		txSessions[tx["checkout_session_id"].(string)]++
		txIDs[tx["id"].(string)] = true
	}
	if txTotal != chaosCheckouts || len(txs) != chaosCheckouts {
		t.Errorf("GET /transactions total_count = %d (%d listed), want %d", txTotal, len(txs), chaosCheckouts)
	}
	if len(hashes) != chaosCheckouts {
		t.Errorf("%d distinct payment hashes among %d transactions, want %d", len(hashes), len(txs), chaosCheckouts)
	}
	for h, n := range hashes {
		if n > 1 {
			t.Errorf("payment hash %s has %d transactions", h, n)
		}
	}
	for id := range sessions {
		if txSessions[id] != 1 {
			t.Errorf("session %s has %d transactions", id, txSessions[id])
		}
		if tx := txBySession[id]; tx != "" && !txIDs[tx] {
			t.Errorf("session %s names transaction %s, which is not listed", id, tx)
		}
		if h := hashBySession[id]; h != "" && hashes[h] != 1 {
			t.Errorf("session %s payment hash %s has %d transactions", id, h, hashes[h])
		}
	}

	// --- events: one per session, delivered, identical bytes ------------
	apiEvents := map[string]bool{}
	eventSessions := map[string]int{}
	for _, e := range events {
		id := e["id"].(string)
		apiEvents[id] = true
		var data struct {
			CheckoutID string `json:"checkout_id"`
		}
		raw, _ := json.Marshal(e["data"])
		json.Unmarshal(raw, &data)
		eventSessions[data.CheckoutID]++
		if body := rc.body(id); body != nil && !jsonEqual(body, raw) {
			t.Errorf("event %s: the delivered body differs from the event's data in the API:\n%s\n%s", id, body, raw)
		}
	}
	if len(events) != chaosCheckouts {
		t.Errorf("%d checkout.completed events in the API, want %d", len(events), chaosCheckouts)
	}
	for id := range sessions {
		if eventSessions[id] != 1 {
			t.Errorf("session %s has %d checkout.completed events", id, eventSessions[id])
		}
	}
	st := rc.stats()
	received := map[string]bool{}
	for id := range st.bodies {
		received[id] = true
	}
	for id := range apiEvents {
		if !received[id] {
			t.Errorf("event %s was never delivered", id)
		} else if st.acked[id] == 0 {
			t.Errorf("event %s was delivered but never acknowledged with a 2xx", id)
		}
	}
	for id := range received {
		if !apiEvents[id] {
			t.Errorf("the receiver got event %s, which GET /events?type=checkout.completed does not list", id)
		}
	}
	differing := 0
	for id, bodies := range st.bodies {
		if len(bodies) != 1 {
			differing++
			t.Errorf("event %s was delivered with %d different bodies", id, len(bodies))
		}
	}
	for _, v := range st.badSignatures {
		t.Errorf("bad webhook signature: %s", v)
	}
	for _, v := range st.anomalies {
		t.Errorf("webhook anomaly: %s", v)
	}
	for _, v := range st.violations {
		t.Errorf("concurrent attempts of one delivery: %s", v)
	}

	// The gateway's own view of the deliveries. It can lag the receiver's: a
	// node killed after its POST was acknowledged but before it recorded the
	// outcome leaves that delivery leased until the lease lapses (3× the
	// timeout); then another node attempts it again and records the success.
	var (
		deliveries                            []map[string]any
		deliveriesTotal                       int
		recordedAttempts, succeededDeliveries int
		deliveryEvents                        map[string]int
	)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		deliveries, deliveriesTotal = c.listAll(t, "/api/v1/webhooks/"+endpointID+"/deliveries", sk)
		recordedAttempts, succeededDeliveries = 0, 0
		deliveryEvents = map[string]int{}
		for _, d := range deliveries {
			n, _ := d["attempt_count"].(float64)
			recordedAttempts += int(n)
			if d["status"] == "succeeded" {
				succeededDeliveries++
			}
			deliveryEvents[d["event_id"].(string)]++
		}
		if succeededDeliveries == chaosCheckouts || time.Now().After(deadline) {
			break
		}
	}
	if deliveriesTotal != chaosCheckouts || succeededDeliveries != chaosCheckouts {
		t.Errorf("endpoint deliveries: total_count %d, %d succeeded; want %d and %d", deliveriesTotal, succeededDeliveries, chaosCheckouts, chaosCheckouts)
	}
	for id, n := range deliveryEvents {
		if n != 1 && apiEvents[id] {
			t.Errorf("event %s has %d deliveries to the one endpoint", id, n)
		}
	}
	if recordedAttempts > st.requests {
		t.Errorf("the gateway recorded %d attempts but the receiver saw only %d requests", recordedAttempts, st.requests)
	}

	// --- rate limits across nodes ---------------------------------------
	allowed, rateStatuses := c.rateLimitRound(t, limited)
	if allowed != 20 {
		t.Errorf("%d requests allowed in one minute across %d nodes with a shared limit of 20/min, want 20 (statuses %v)", allowed, chaosNodes, rateStatuses)
	}

	// --- report ---------------------------------------------------------
	cs := c.stats()
	t.Logf("chaos: %d kills (%d while the node served a client request, %d restarts) during a %s payment phase; %d connection errors retried on another node; %d idempotency_in_progress waits; %d unexpected gateway answers (retried); %d checkouts paid through two nodes at once",
		cs.kills, c.busyKills.Load(), cs.restarts, phaseTook.Round(time.Millisecond), cs.connErrors, cs.inProgress, len(cs.unexpected), c.doubles.Load())
	for i, u := range cs.unexpected {
		if i == 20 {
			t.Logf("  ... and %d more", len(cs.unexpected)-20)
			break
		}
		t.Logf("  unexpected: %s", u)
	}
	t.Logf("sessions: %d created and paid, %d completed by GET, completed total_count %d, all sessions total_count %d",
		len(sessions), completedSessions, completedTotal, sessionsTotal)
	t.Logf("transactions: total_count %d, distinct payment hashes %d", txTotal, len(hashes))
	t.Logf("events: %d checkout.completed in the API, %d received, %d acknowledged, %d with differing bodies; settled=%v in %s",
		len(events), len(received), st.ackedEvents(), differing, settled, settleTook.Round(time.Millisecond))
	t.Logf("deliveries: %d webhook requests received (%d distinct delivery ids), %d answered 500 on purpose, %d retries seen (attempt > 1), %d events acknowledged more than once, %d attempts recorded by the gateway (%d lost with killed nodes)",
		st.requests, st.deliveries, st.failed, st.retries, st.duplicateAcks(), recordedAttempts, st.requests-recordedAttempts)
	t.Logf("concurrent-attempt violations: %d; bad signatures: %d", len(st.violations), len(st.badSignatures))
	t.Logf("rate limit: %d of %d allowed across %d nodes (limit 20/min)", allowed, len(rateStatuses), chaosNodes)
	c.reportLogs(t)
	t.Logf("TestChaos took %s", time.Since(began).Round(time.Millisecond))
}

// chaosMerchant creates a merchant on the database and returns its sk_test.
func chaosMerchant(t *testing.T, dbURL, name, email string, rpm int) string {
	t.Helper()
	out := cli(t, "merchant", "create", "--database-url", dbURL, "--name", name, "--email", email,
		"--rate-limit-per-minute", strconv.Itoa(rpm), "--json")
	var created struct {
		Keys map[string]string `json:"keys"`
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || !strings.HasPrefix(created.Keys["sk_test"], "sk_test_") {
		t.Fatalf("merchant create: %v %s", err, out)
	}
	return created.Keys["sk_test"]
}

// cluster is the node table: chaosNodes slots, each running one
// `satsrail serve` at a time; a restarted slot gets a new process and port.
type cluster struct {
	t      *testing.T
	args   []string
	client *http.Client

	mu    sync.Mutex
	nodes [chaosNodes]*chaosNode
	rng   *rand.Rand

	kills, restarts, connErrors, inProgress, doubles, busyKills atomic.Int64
	busy                                                        [chaosNodes]atomic.Int32 // our requests in flight per slot
	reqSeq                                                      atomic.Int64
	requests                                                    [chaosNodes]map[int64]string // under mu: what is in flight per slot
	timeline                                                    []string                     // under umu: kills and cut-off requests
	umu                                                         sync.Mutex
	unexpected                                                  []string

	lmu  sync.Mutex
	logs []string // every line the nodes wrote to stderr, prefixed with the node
}

type chaosNode struct {
	gen  int
	url  string
	cmd  *exec.Cmd
	up   bool
	done chan struct{} // closed when the process has exited
}

func newCluster(t *testing.T, args []string) *cluster {
	c := &cluster{t: t, args: args, rng: rand.New(rand.NewPCG(chaosSeed, 1)),
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}}
	for i := range c.nodes {
		c.nodes[i] = &chaosNode{}
		c.requests[i] = map[int64]string{}
	}
	t.Cleanup(func() {
		for slot := range c.nodes {
			c.kill(slot)
		}
	})
	return c
}

// lineWriter calls line for every complete line written to it.
type lineWriter struct {
	buf  []byte
	line func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.line(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}

// startSlot starts a new `satsrail serve` in slot and waits until it listens.
// It must not call t.Fatal: the chaos goroutine uses it.
func (c *cluster) startSlot(slot int) error {
	c.mu.Lock()
	n := c.nodes[slot]
	gen := n.gen + 1
	c.mu.Unlock()
	dataDir, err := os.MkdirTemp("", "satsrail-chaos")
	if err != nil {
		return err
	}
	c.t.Cleanup(func() { os.RemoveAll(dataDir) })
	cmd := exec.Command(binary, append([]string{"serve", "--addr", "127.0.0.1:0",
		"--rate-providers", "coinbase=http://127.0.0.1:9", "--data-dir", dataDir}, c.args...)...)
	cmd.Env = os.Environ() // SATSRAIL_MASTER_KEY is set by t.Setenv
	found := make(chan string, 1)
	cmd.Stdout = &lineWriter{line: func(l string) {
		if u, ok := strings.CutPrefix(l, "satsrail listening on "); ok {
			select {
			case found <- u:
			default:
			}
		}
	}}
	prefix := fmt.Sprintf("[node%d.%d] ", slot, gen)
	cmd.Stderr = &lineWriter{line: func(l string) {
		c.lmu.Lock()
		c.logs = append(c.logs, prefix+l)
		c.lmu.Unlock()
	}}
	if err := cmd.Start(); err != nil {
		return err
	}
	node := &chaosNode{gen: gen, cmd: cmd, done: make(chan struct{})}
	exited := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		c.mu.Lock()
		if c.nodes[slot] == node && node.up {
			// Nobody killed it: the node died by itself.
			node.up = false
			c.mu.Unlock()
			c.note("node %d.%d exited by itself: %v", slot, gen, err)
		} else {
			c.mu.Unlock()
		}
		exited <- err
		close(node.done)
	}()
	select {
	case u := <-found:
		c.mu.Lock()
		node.url, node.up = u, true
		c.nodes[slot] = node
		c.mu.Unlock()
		return nil
	case err := <-exited:
		return fmt.Errorf("node %d.%d exited before listening: %v", slot, gen, err)
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-node.done
		return fmt.Errorf("node %d.%d did not listen within 30 s", slot, gen)
	}
}

func (c *cluster) isUp(slot int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[slot].up
}

// kill SIGKILLs the process of slot and waits for it to be gone.
func (c *cluster) kill(slot int) {
	c.mu.Lock()
	n := c.nodes[slot]
	if !n.up {
		c.mu.Unlock()
		return
	}
	n.up = false
	var inFlight []string
	for _, what := range c.requests[slot] {
		inFlight = append(inFlight, what)
	}
	c.mu.Unlock()
	n.cmd.Process.Kill()
	<-n.done
	c.kills.Add(1)
	c.event("SIGKILL node %d.%d; our requests in flight on it: %v", slot, n.gen, inFlight)
}

// begin and end track which of our requests are in flight on each slot.
func (c *cluster) begin(slot int, what string) int64 {
	id := c.reqSeq.Add(1)
	c.busy[slot].Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests[slot][id] = what
	return id
}

func (c *cluster) end(slot int, id int64) {
	c.busy[slot].Add(-1)
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.requests[slot], id)
}

// event adds a timestamped line to the chaos timeline.
func (c *cluster) event(format string, args ...any) {
	c.umu.Lock()
	defer c.umu.Unlock()
	c.timeline = append(c.timeline, time.Now().UTC().Format("15:04:05.000000")+" "+fmt.Sprintf(format, args...))
}

// chaos kills a random node every ~chaosKillEvery and restarts it, until stop.
func (c *cluster) chaos(stop <-chan struct{}) {
	rng := rand.New(rand.NewPCG(chaosSeed, 2))
	for {
		wait := chaosKillEvery/2 + time.Duration(rng.Int64N(int64(chaosKillEvery)))
		select {
		case <-stop:
			return
		case <-time.After(wait):
		}
		slot := rng.IntN(chaosNodes)
		// Prefer to strike while the node is serving one of our requests
		// (waiting at most a second for one), at a random point within it.
		for waited := 0; waited < 1000 && c.busy[slot].Load() == 0; waited++ {
			time.Sleep(time.Millisecond)
		}
		if c.busy[slot].Load() > 0 {
			time.Sleep(time.Duration(rng.IntN(15000)) * time.Microsecond)
			c.busyKills.Add(1)
		}
		c.kill(slot)
		time.Sleep(time.Duration(rng.IntN(500)) * time.Millisecond)
		for try := 0; ; try++ {
			err := c.startSlot(slot)
			if err == nil {
				c.restarts.Add(1)
				break
			}
			c.note("restart node %d: %v", slot, err)
			if try == 4 {
				break // the final restart after the phase tries again
			}
			time.Sleep(time.Second)
		}
	}
}

func (c *cluster) note(format string, args ...any) {
	c.umu.Lock()
	defer c.umu.Unlock()
	c.unexpected = append(c.unexpected, time.Now().Format("15:04:05.000")+" "+fmt.Sprintf(format, args...))
}

type chaosStats struct {
	kills, restarts, connErrors, inProgress int64
	unexpected                              []string
}

func (c *cluster) stats() chaosStats {
	c.umu.Lock()
	defer c.umu.Unlock()
	return chaosStats{c.kills.Load(), c.restarts.Load(), c.connErrors.Load(), c.inProgress.Load(), slices.Clone(c.unexpected)}
}

// pick returns a live slot and its URL: prefer if it is up and not avoid,
// otherwise a random live slot other than avoid.
func (c *cluster) pick(prefer, avoid int) (int, string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if prefer >= 0 && prefer != avoid && c.nodes[prefer].up {
		return prefer, c.nodes[prefer].url + "#" + strconv.Itoa(c.nodes[prefer].gen), true
	}
	var live []int
	for i, n := range c.nodes {
		if n.up && i != avoid {
			live = append(live, i)
		}
	}
	if len(live) == 0 {
		return -1, "", false
	}
	s := live[c.rng.IntN(len(live))]
	return s, c.nodes[s].url + "#" + strconv.Itoa(c.nodes[s].gen), true
}

type chaosResponse struct {
	status int
	body   []byte
	slot   int
}

// do sends one request to a live node (prefer it, never avoid). A connection
// error — the node was killed before or during the request — is not a
// failure: the request goes to another live node. Only running out of time
// (90 s without an answer) is an error.
func (c *cluster) do(method, path, key string, body []byte, header map[string]string, prefer, avoid int) (chaosResponse, error) {
	deadline := time.Now().Add(90 * time.Second)
	var lastErr error
	for time.Now().Before(deadline) {
		slot, base, ok := c.pick(prefer, avoid)
		if !ok {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		base, gen, _ := strings.Cut(base, "#")
		node := fmt.Sprintf("node %d.%s", slot, gen)
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, _ := http.NewRequest(method, base+path, rd)
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		what := method + " " + path
		if k := header["Idempotency-Key"]; k != "" {
			what += " (Idempotency-Key " + k + ")"
		}
		reqID := c.begin(slot, what)
		res, err := c.client.Do(req)
		var b []byte
		if err == nil {
			b, err = io.ReadAll(res.Body)
			res.Body.Close()
		}
		c.end(slot, reqID)
		if err != nil {
			lastErr = err
			c.connErrors.Add(1)
			c.event("%s to %s cut off: %v", what, node, err)
			// Try another node: neither the one that failed nor avoid.
			prefer = -1
			for o := range chaosNodes {
				if o != slot && o != avoid {
					prefer = o
					break
				}
			}
			time.Sleep(20 * time.Millisecond)
			continue
		}
		return chaosResponse{status: res.StatusCode, body: b, slot: slot}, nil
	}
	return chaosResponse{}, fmt.Errorf("%s %s: no node answered for 90 s (last error: %v)", method, path, lastErr)
}

// checkoutAndPay creates checkout i round-robin and pays it through another
// node. It returns the session id and the slots that created and paid it.
func (c *cluster) checkoutAndPay(sk string, i int) (session string, creator, payer int, err error) {
	body, _ := json.Marshal(map[string]any{"checkout_session": map[string]any{
		"amount_cents": 5000, "currency": "usd", "customer_email": "buyer@example.com",
		"success_url": "https://store.com/success", "cancel_url": "https://store.com/cart",
		"metadata": map[string]any{"order_id": fmt.Sprintf("ORD-%d", i)},
	}})
	// The Idempotency-Key makes a create that was cut off by a kill safe to
	// send again to another node.
	idem := map[string]string{"Idempotency-Key": fmt.Sprintf("chaos-%d", i)}
	var res chaosResponse
	var waitFrom time.Time
	for try := 0; ; try++ {
		if res, err = c.do("POST", "/api/v1/checkout_sessions", sk, body, idem, i%chaosNodes, -1); err != nil {
			return "", -1, -1, fmt.Errorf("create: %w", err)
		}
		if res.status == 201 || res.status == 200 {
			if !waitFrom.IsZero() {
				c.t.Logf("checkout %d: a create cut off by a kill held its Idempotency-Key (409 idempotency_in_progress) for %s; then answered %d",
					i, time.Since(waitFrom).Round(time.Second), res.status)
			}
			break
		}
		if res.status == 409 && strings.Contains(string(res.body), "idempotency_in_progress") {
			// The first try died with its node; the key frees up once stale.
			if try == 0 {
				c.inProgress.Add(1)
				waitFrom = time.Now()
			}
			if try > 100 {
				return "", -1, -1, fmt.Errorf("create: still idempotency_in_progress after %d tries", try)
			}
			time.Sleep(time.Second)
			continue
		}
		c.note("create %d on node %d: %d %s", i, res.slot, res.status, trimBody(res.body))
		if res.status < 500 || try >= 10 {
			return "", -1, -1, fmt.Errorf("create: %d %s", res.status, trimBody(res.body))
		}
		time.Sleep(200 * time.Millisecond)
	}
	var s map[string]any
	if err := json.Unmarshal(res.body, &s); err != nil || s["status"] != "pending" {
		return "", -1, -1, fmt.Errorf("create: %d %s", res.status, trimBody(res.body))
	}
	session, creator = s["id"].(string), res.slot

	// Pay through a different node than the one that created it. Every
	// chaosDoubleEvery-th checkout is paid through both other nodes at the
	// same moment: two nodes settling one payment hash at once.
	prefer := (creator + 1 + i/chaosNodes%2) % chaosNodes
	if i%chaosDoubleEvery != 0 {
		payer, err = c.pay(sk, session, creator, prefer)
		return session, creator, payer, err
	}
	c.doubles.Add(1)
	var (
		wg     sync.WaitGroup
		slots  [2]int
		errs   [2]error
		others = [2]int{(creator + 1) % chaosNodes, (creator + 2) % chaosNodes}
	)
	for k := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots[k], errs[k] = c.pay(sk, session, creator, others[k])
		}()
	}
	wg.Wait()
	return session, creator, slots[0], errors.Join(errs[0], errs[1])
}

// pay sends simulate_payment for session to a live node other than avoid
// (prefer first) and checks that the session is completed.
func (c *cluster) pay(sk, session string, avoid, prefer int) (int, error) {
	var res chaosResponse
	var err error
	for try := 0; ; try++ {
		if res, err = c.do("POST", "/checkout/"+session+"/simulate_payment", sk, nil, nil, prefer, avoid); err != nil {
			return -1, fmt.Errorf("simulate_payment: %w", err)
		}
		if res.status == 200 {
			break
		}
		c.note("simulate_payment %s on node %d: %d %s", session, res.slot, res.status, trimBody(res.body))
		if res.status < 500 || try >= 10 {
			return res.slot, fmt.Errorf("simulate_payment on node %d: %d %s", res.slot, res.status, trimBody(res.body))
		}
		time.Sleep(200 * time.Millisecond)
	}
	var s map[string]any
	if err := json.Unmarshal(res.body, &s); err != nil || s["status"] != "completed" || s["id"] != session {
		return res.slot, fmt.Errorf("simulate_payment on node %d answered %s", res.slot, trimBody(res.body))
	}
	return res.slot, nil
}

func trimBody(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// mustJSON makes one request (on any live node) that must answer want.
func (c *cluster) mustJSON(t *testing.T, method, path, key string, body any, header map[string]string, want int) (int, map[string]any) {
	t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	res, err := c.do(method, path, key, b, header, -1, -1)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(res.body, &out); err != nil || res.status != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, res.status, trimBody(res.body), want)
	}
	return res.status, out
}

// total returns meta.total_count of a list.
func (c *cluster) total(t *testing.T, path, key string) int {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	_, l := c.mustJSON(t, "GET", path+sep+"per_page=1", key, nil, nil, 200)
	return int(l["meta"].(map[string]any)["total_count"].(float64))
}

// listAll pages through a list with per_page=100 and returns every object
// and the total_count of the first page.
func (c *cluster) listAll(t *testing.T, path, key string) ([]map[string]any, int) {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	var all []map[string]any
	total := -1
	for page := 1; ; page++ {
		_, l := c.mustJSON(t, "GET", fmt.Sprintf("%s%sper_page=100&page=%d", path, sep, page), key, nil, nil, 200)
		if total < 0 {
			total = int(l["meta"].(map[string]any)["total_count"].(float64))
		}
		data := l["data"].([]any)
		for _, d := range data {
			all = append(all, d.(map[string]any))
		}
		if more, _ := l["has_more"].(bool); !more || len(data) == 0 || page > 1000 {
			return all, total
		}
	}
}

// reportExtraSessions names the sessions the API lists that no client got.
func (c *cluster) reportExtraSessions(t *testing.T, sk string, ours map[string]int) {
	all, _ := c.listAll(t, "/api/v1/checkout_sessions", sk)
	byOrder := map[string][]string{}
	for _, s := range all {
		md, _ := s["metadata"].(map[string]any)
		order, _ := md["order_id"].(string)
		byOrder[order] = append(byOrder[order], fmt.Sprintf("%s (%v, created %v)", s["id"], s["status"], s["created_at"]))
	}
	c.umu.Lock()
	timeline := slices.Clone(c.timeline)
	c.umu.Unlock()
	for _, s := range all {
		id := s["id"].(string)
		if ours[id] != 0 {
			continue
		}
		md, _ := s["metadata"].(map[string]any)
		order, _ := md["order_id"].(string)
		t.Errorf("DUPLICATE SESSION %s: status %v, created_at %v, metadata %v — sessions with this order_id: %v",
			id, s["status"], s["created_at"], md, byOrder[order])
		key := "chaos-" + strings.TrimPrefix(order, "ORD-") + ")"
		for _, e := range timeline {
			if strings.Contains(e, key) {
				t.Errorf("    timeline: %s", e)
			}
		}
	}
}

// rateLimitRound sends 60 requests round-robin over the nodes within one
// fixed one-minute window and returns how many were allowed.
func (c *cluster) rateLimitRound(t *testing.T, key string) (int, []int) {
	t.Helper()
	if s := time.Now().Second(); s > 45 {
		time.Sleep(time.Duration(61-s) * time.Second)
	}
	window := time.Now().Truncate(time.Minute)
	allowed := 0
	var statuses []int
	for i := range 60 {
		res, err := c.do("GET", "/api/v1/merchant", key, nil, nil, i%chaosNodes, -1)
		if err != nil {
			t.Fatal(err)
		}
		statuses = append(statuses, res.status)
		switch res.status {
		case 200:
			allowed++
		case 429:
		default:
			t.Fatalf("rate limit round: status %d %s", res.status, trimBody(res.body))
		}
	}
	if !time.Now().Truncate(time.Minute).Equal(window) {
		t.Fatalf("the rate-limit loop crossed a minute boundary; rerun")
	}
	return allowed, statuses
}

// reportLogs summarises what the nodes logged at warn and above.
func (c *cluster) reportLogs(t *testing.T) {
	c.lmu.Lock()
	logs := slices.Clone(c.logs)
	c.lmu.Unlock()
	kinds := map[string]int{}
	for _, l := range logs {
		msg := l
		if i := strings.Index(l, "msg="); i >= 0 {
			msg = l[i:]
			if j := strings.Index(msg, " "); j > 0 && !strings.HasPrefix(msg, `msg="`) {
				msg = msg[:j]
			} else if strings.HasPrefix(msg, `msg="`) {
				if j := strings.Index(msg[5:], `"`); j >= 0 {
					msg = msg[:5+j+1]
				}
			}
			if k := strings.Index(l, "level="); k >= 0 {
				lv := l[k:]
				if j := strings.Index(lv, " "); j > 0 {
					lv = lv[:j]
				}
				msg = lv + " " + msg
			}
		}
		kinds[msg]++
	}
	keys := make([]string, 0, len(kinds))
	for k := range kinds {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return kinds[keys[i]] > kinds[keys[j]] })
	t.Logf("node logs: %d lines at warn or above", len(logs))
	for i, k := range keys {
		if i == 15 {
			break
		}
		t.Logf("  %5d × %s", kinds[k], k)
	}
	if t.Failed() {
		shown := 0
		for _, l := range logs {
			if strings.Contains(l, `msg="rate provider failed"`) {
				continue // the unreachable price provider, by design
			}
			if shown++; shown > 60 {
				t.Logf("  ... more lines")
				break
			}
			t.Logf("  %s", l)
		}
	}
}

// chaosReceiver is the merchant's webhook endpoint: it verifies every
// request, records bodies per event and in-flight attempts per delivery,
// and fails some attempts on purpose.
type chaosReceiver struct {
	srv *httptest.Server

	mu                                   sync.Mutex
	secret                               string
	rng                                  *rand.Rand
	inFlight                             map[string]int             // delivery id → attempts in progress
	failures                             map[string]int             // delivery id → 500s sent
	seen                                 map[string]bool            // delivery ids
	bodies                               map[string]map[string]bool // event id → distinct bodies
	first                                map[string][]byte          // event id → first body
	acks                                 map[string]int             // event id → 2xx answers
	requests, retries, failed            int
	violations, badSignatures, anomalies []string
}

func newChaosReceiver(t *testing.T) *chaosReceiver {
	rc := &chaosReceiver{rng: rand.New(rand.NewPCG(chaosSeed, 3)), inFlight: map[string]int{}, failures: map[string]int{},
		seen: map[string]bool{}, bodies: map[string]map[string]bool{}, first: map[string][]byte{}, acks: map[string]int{}}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *chaosReceiver) setSecret(s string) {
	rc.mu.Lock()
	rc.secret = s
	rc.mu.Unlock()
}

func (rc *chaosReceiver) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	did := r.Header.Get(webhook.HeaderDeliveryID)
	eid := r.Header.Get(webhook.HeaderEventID)
	attempt, _ := strconv.Atoi(r.Header.Get(webhook.HeaderAttempt))
	now := time.Now().Format("15:04:05.000")

	rc.mu.Lock()
	secret := rc.secret
	rc.requests++
	rc.seen[did] = true
	if attempt > 1 {
		rc.retries++
	}
	rc.inFlight[did]++
	if n := rc.inFlight[did]; n > 1 {
		rc.violations = append(rc.violations, fmt.Sprintf("%s delivery %s (event %s, attempt %d) arrived while %d attempt(s) of it were in flight",
			now, did, eid, attempt, n-1))
	}
	rc.mu.Unlock()
	defer func() {
		rc.mu.Lock()
		rc.inFlight[did]--
		rc.mu.Unlock()
	}()

	if err != nil {
		rc.anomaly("%s delivery %s: reading the body: %v", now, did, err)
		w.WriteHeader(400)
		return
	}
	ev, err := webhook.ConstructEvent(body, r.Header, secret)
	if err != nil {
		rc.mu.Lock()
		rc.badSignatures = append(rc.badSignatures, fmt.Sprintf("%s delivery %s event %s attempt %d: %v", now, did, eid, attempt, err))
		rc.mu.Unlock()
		w.WriteHeader(400)
		return
	}
	if ev.ID != eid || ev.Type != webhook.EventCheckoutCompleted || r.Header.Get(webhook.HeaderEvent) != ev.Type || did == "" || attempt < 1 {
		rc.anomaly("%s delivery %q attempt %d: header event id %q / type %q, body id %q / type %q",
			now, did, attempt, eid, r.Header.Get(webhook.HeaderEvent), ev.ID, ev.Type)
	}

	rc.mu.Lock()
	if rc.bodies[ev.ID] == nil {
		rc.bodies[ev.ID] = map[string]bool{}
		rc.first[ev.ID] = body
	}
	rc.bodies[ev.ID][string(body)] = true
	fail := rc.rng.Float64() < chaosFailRate && rc.failures[did] < chaosMaxFails
	if fail {
		rc.failures[did]++
		rc.failed++
	}
	// A little latency widens the window in which two nodes' attempts of
	// the same delivery would overlap.
	delay := time.Duration(50+rc.rng.IntN(350)) * time.Millisecond
	rc.mu.Unlock()
	time.Sleep(delay)
	if fail {
		w.WriteHeader(500)
		return
	}
	rc.mu.Lock()
	rc.acks[ev.ID]++
	rc.mu.Unlock()
	w.WriteHeader(200)
}

func (rc *chaosReceiver) anomaly(format string, args ...any) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.anomalies = append(rc.anomalies, fmt.Sprintf(format, args...))
}

func (rc *chaosReceiver) acked(eventID string) bool {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.acks[eventID] > 0
}

func (rc *chaosReceiver) body(eventID string) []byte {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.first[eventID]
}

type receiverStats struct {
	requests, retries, failed, deliveries int
	bodies                                map[string]map[string]bool
	acked                                 map[string]int
	violations, badSignatures, anomalies  []string
}

func (s receiverStats) ackedEvents() int { return len(s.acked) }

func (s receiverStats) duplicateAcks() int {
	n := 0
	for _, a := range s.acked {
		if a > 1 {
			n++
		}
	}
	return n
}

func (rc *chaosReceiver) stats() receiverStats {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	s := receiverStats{requests: rc.requests, retries: rc.retries, failed: rc.failed, deliveries: len(rc.seen),
		bodies: map[string]map[string]bool{}, acked: map[string]int{},
		violations: slices.Clone(rc.violations), badSignatures: slices.Clone(rc.badSignatures), anomalies: slices.Clone(rc.anomalies)}
	for k, v := range rc.bodies {
		s.bodies[k] = map[string]bool{}
		for b := range v {
			s.bodies[k][b] = true
		}
	}
	for k, v := range rc.acks {
		s.acked[k] = v
	}
	return s
}

// jsonEqual reports whether a and b hold the same JSON value.
func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}
