package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/satsrail/satsrail/internal/wallet/testwallet"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/loadtest"
	"github.com/satsrail/satsrail/internal/sqlite"
)

// seedBatch is how many rows one seeding transaction writes.
const seedBatch = 10000

// seedPerDay is the merchant's volume the seeded history has: a table ten
// times larger is ten times more history, not ten times the daily volume.
const seedPerDay = 10000

// seedSettled writes rows completed sessions of the merchant, each with its
// settled transaction, spread evenly over the past rows/seedPerDay days,
// straight into the SQLite database in dir (the gateway is not running).
func seedSettled(ctx context.Context, dir, merchantID string, rows int) error {
	st, err := openSeeded(ctx, dir)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now().UTC().Truncate(time.Microsecond)
	step := 24 * time.Hour / seedPerDay
	for done := 0; done < rows; {
		var b sqlite.Bulk
		for ; done < rows && len(b.Sessions) < seedBatch; done++ {
			created := now.Add(-time.Duration(rows-done) * step)
			sess, tx := settledSession(merchantID, created)
			b.Sessions = append(b.Sessions, sess)
			b.Transactions = append(b.Transactions, tx)
		}
		if err := st.BulkInsert(ctx, b); err != nil {
			return err
		}
	}
	return nil
}

// openSeeded opens the SQLite database of data dir dir for seeding (the
// gateway is not running).
func openSeeded(ctx context.Context, dir string) (*sqlite.Store, error) {
	path, err := dbPath(dir)
	if err != nil {
		return nil, err
	}
	return sqlite.Open(ctx, sqlite.Config{Path: path})
}

// settledSession is a $50 session paid a minute after it was created, as
// the gateway would have recorded it.
func settledSession(merchantID string, created time.Time) (gateway.CheckoutSession, gateway.Transaction) {
	var preimage [32]byte
	rand.Read(preimage[:])
	hash := sha256.Sum256(preimage[:])
	paid := created.Add(time.Minute)
	s := gateway.CheckoutSession{
		ID: gateway.NewID(gateway.PrefixSession), MerchantID: merchantID, Mode: gateway.ModeTest,
		Status: gateway.StatusCompleted, AmountCents: 5000, Currency: "usd",
		CustomerEmail: "buyer@example.com", SuccessURL: "https://store.example/success", CancelURL: "https://store.example/cart",
		Metadata: map[string]string{"order_id": "ORD-" + gateway.RandomString(6)}, AmountSats: 76924, ExchangeRate: "65000.00",
		PaymentRequest: "lnbcrt769240n1seeded", PaymentHash: hex.EncodeToString(hash[:]),
		CreatedAt: created, UpdatedAt: paid, ExpiresAt: created.Add(gateway.DefaultCheckoutTTL), CompletedAt: paid,
	}
	tx := gateway.Transaction{
		ID: gateway.NewID(gateway.PrefixTransaction), MerchantID: merchantID, Mode: gateway.ModeTest, CheckoutSessionID: s.ID,
		Status: gateway.TxSettled, PaymentHash: s.PaymentHash, Preimage: hex.EncodeToString(preimage[:]),
		AmountMsat: 76924000, AmountSats: 76924, AmountCents: 5000, Currency: "usd", ExchangeRate: "65000.00",
		SettledAt: paid, CreatedAt: paid,
	}
	s.TransactionID = tx.ID
	return s, tx
}

// seedPending writes n pending sessions of the merchant, each with an open
// test-wallet invoice made by the test wallet itself (the merchant's node
// key, sealed with the data dir's master key), expiring in 55 minutes. It
// returns one of the sessions.
func seedPending(ctx context.Context, dir, merchantID string, n int) (*gateway.CheckoutSession, error) {
	st, err := openSeeded(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	key, err := masterKey("", dir)
	if err != nil {
		return nil, err
	}
	made := &collectInvoices{TestWalletStore: st}
	mw := testwallet.New(testwallet.Config{Store: made, MasterKey: key}).For(merchantID)
	now := time.Now().UTC().Truncate(time.Microsecond)
	var last gateway.CheckoutSession
	for done := 0; done < n; {
		var b sqlite.Bulk
		for ; done < n && len(b.Sessions) < seedBatch; done++ {
			s := gateway.CheckoutSession{
				ID: gateway.NewID(gateway.PrefixSession), MerchantID: merchantID, Mode: gateway.ModeTest,
				Status: gateway.StatusPending, AmountCents: 5000, Currency: "usd", CustomerEmail: "buyer@example.com",
				SuccessURL: "https://store.example/success", CancelURL: "https://store.example/cart",
				Metadata:   map[string]string{"order_id": "ORD-" + gateway.RandomString(6)},
				AmountSats: 76924, ExchangeRate: "65000.00",
				CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(55 * time.Minute),
			}
			inv, err := mw.CreateInvoice(ctx, gateway.InvoiceRequest{AmountMsat: 76924000, ExpiresAt: s.ExpiresAt,
				Memo: "Bench Store — checkout " + s.ID, SessionID: s.ID})
			if err != nil {
				return nil, err
			}
			s.PaymentRequest, s.PaymentHash = inv.PaymentRequest, inv.PaymentHash
			b.Sessions = append(b.Sessions, s)
			last = s
		}
		b.TestInvoices, made.invoices = made.invoices, nil
		if err := st.BulkInsert(ctx, b); err != nil {
			return nil, err
		}
	}
	return &last, nil
}

// collectInvoices keeps the test invoices the wallet makes for BulkInsert
// instead of storing each in its own transaction.
type collectInvoices struct {
	gateway.TestWalletStore
	invoices []gateway.TestInvoice
}

func (c *collectInvoices) InsertTestInvoice(_ context.Context, inv gateway.TestInvoice) error {
	c.invoices = append(c.invoices, inv)
	return nil
}

// benchWatch measures what waiting for payments costs: a gateway holding
// --pending open invoices beside one holding none, each after its start-up
// reconciliation — resident memory, goroutines, and CPU while idle — then
// pays one seeded invoice from another process (`satsrail testwallet pay`)
// and times until the session reads completed.
func benchWatch(ctx context.Context, c *benchConfig, progress func(loadtest.Result)) error {
	for _, n := range []int{0, c.pending} {
		dir := filepath.Join(c.workDir, fmt.Sprintf("watch-%d", n))
		key, merchantID, err := benchMerchant(ctx, c, dir)
		if err != nil {
			return err
		}
		var paid *gateway.CheckoutSession
		if n > 0 {
			if paid, err = seedPending(ctx, dir, merchantID, n); err != nil {
				return fmt.Errorf("seed %d pending sessions: %w", n, err)
			}
		}
		p, err := startGateway(ctx, c, dir, fmt.Sprintf("watch-%d", n))
		if err != nil {
			return err
		}
		r := loadtest.Result{Scenario: "watch", Target: "satsrail", Clients: 0}
		r.Process, err = watchProcess(ctx, p, n, c.idle)
		if err == nil && paid != nil {
			r.Stats, err = payFromCLI(ctx, p.url, key, dir, paid)
		}
		p.stop()
		if err != nil {
			return fmt.Errorf("watch %d: %w", n, err)
		}
		progress(r)
	}
	return nil
}

// watchProcess waits for the gateway's first reconciliation, lets it idle,
// and reads its resource use.
func watchProcess(ctx context.Context, p *child, pending int, idle time.Duration) (*loadtest.Process, error) {
	deadline := time.Now().Add(10 * time.Minute)
	for {
		m, err := scrapeMetrics(ctx, p.url)
		if err != nil {
			return nil, err
		}
		if m["satsrail_reconcile_runs_total"] >= 1 {
			break
		}
		if time.Now().After(deadline) {
			return nil, errors.New("no reconciliation finished within 10 minutes")
		}
		time.Sleep(200 * time.Millisecond)
	}
	pid := p.cmd.Process.Pid
	before, err := loadtest.CPUTime(pid)
	if err != nil {
		return nil, err
	}
	time.Sleep(idle)
	after, err := loadtest.CPUTime(pid)
	if err != nil {
		return nil, err
	}
	proc, err := loadtest.ReadProcess(pid)
	if err != nil {
		return nil, err
	}
	m, err := scrapeMetrics(ctx, p.url)
	if err != nil {
		return nil, err
	}
	proc.Pending = pending
	proc.Goroutines = int(m["go_goroutines"])
	proc.IdleSeconds = idle.Seconds()
	proc.IdleCPUPercent = math.Round(float64(after-before)/float64(idle)*1000) / 10
	return proc, nil
}

// payFromCLI pays invoice with `satsrail testwallet pay` (another process,
// as a customer's wallet is) and times until the session reads completed.
func payFromCLI(ctx context.Context, base, key, dir string, sess *gateway.CheckoutSession) (loadtest.Stats, error) {
	cl := &loadtest.Client{BaseURL: base, SecretKey: key, HTTP: http.DefaultClient}
	start := time.Now()
	if _, err := runChild(ctx, "testwallet", "pay", "--data-dir", dir, sess.PaymentRequest); err != nil {
		return loadtest.Stats{}, err
	}
	for time.Since(start) < time.Minute {
		s, err := cl.Status(ctx, sess.ID)
		if err != nil {
			return loadtest.Stats{}, err
		}
		if s == "completed" {
			ms := float64(time.Since(start).Microseconds()) / 1000
			return loadtest.Stats{Requests: 1, Seconds: ms / 1000, P50: ms, P90: ms, P99: ms, Max: ms}, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return loadtest.Stats{}, errors.New("the paid session did not complete within a minute")
}

// scrapeMetrics reads the gateway's /metrics as name → value (the first sample of
// each name).
func scrapeMetrics(ctx context.Context, base string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		name, rest, ok := strings.Cut(line, " ")
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name = name[:i]
			_, rest, ok = strings.Cut(line, "} ")
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64); ok && err == nil {
			if _, seen := out[name]; !seen {
				out[name] = v
			}
		}
	}
	return out, sc.Err()
}
