package regtest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/lightningnetwork/lnd/zpay32"
)

const (
	// ChannelCapacitySat is the size of the customer's channel to the
	// merchant, all of it the customer's: room for hundreds of payments
	// of 100,000 sats.
	ChannelCapacitySat = 50_000_000
	// matureBlocks is how many blocks the customer mines to itself before
	// opening the channel: coinbase outputs mature after 100.
	matureBlocks = 101
	// announceBlocks confirms the channel deep enough to be announced.
	announceBlocks = 6
	pollInterval   = 100 * time.Millisecond
	payTimeout     = time.Minute
)

// Network is a running regtest network: btcd, the merchant's lnd and the
// customer's lnd, with an active channel from the customer to the merchant.
type Network struct {
	Merchant *Node // "alice", who receives
	Customer *Node // "bob", who pays
	// Btcd is the chain backend of both nodes. Blocks are mined by a
	// second btcd, its only peer, paying the customer.
	Btcd *Btcd
	Dir  string // everything the daemons write
	// StartupTime is how long New took, from nothing to a first payment.
	StartupTime time.Duration

	miner    *Btcd
	logf     func(format string, args ...any) // for start-up only
	stopOnce sync.Once
}

// Start brings up a network for t and stops it when t and its subtests are
// done. It fails t when the binaries cannot be had or the network does not
// come up. When t has failed, the directory with the daemons' logs is kept
// and its path logged.
func Start(t testing.TB) *Network {
	t.Helper()
	n, err := New(t.Context(), t.Logf)
	if err != nil {
		t.Fatalf("regtest: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			n.Stop()
			n.logPaths(t.Logf)
			return
		}
		if err := n.Close(); err != nil {
			t.Errorf("regtest: %v", err)
		}
	})
	return n
}

// New brings up a network, for callers without a testing.TB (TestMain); ctx
// bounds only the start-up. The caller must Close (or Stop) it. logf, which
// may be nil, receives progress messages.
func New(ctx context.Context, logf func(format string, args ...any)) (n *Network, err error) {
	begin := time.Now()
	if logf == nil {
		logf = func(string, ...any) {}
	}
	bin, err := Binaries(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "satsrail-regtest-")
	if err != nil {
		return nil, err
	}
	net := &Network{
		Dir:      dir,
		Btcd:     newBtcd(filepath.Join(dir, "btcd"), bin),
		miner:    newBtcd(filepath.Join(dir, "miner"), bin),
		Merchant: newNode("alice", filepath.Join(dir, "alice"), bin),
		Customer: newNode("bob", filepath.Join(dir, "bob"), bin),
		logf:     logf,
	}
	n = net
	defer func() {
		if err != nil {
			// Not n: a failed return has set it to nil.
			net.Stop()
			net.logPaths(logf)
			err = fmt.Errorf("regtest network in %s (kept): %w", dir, err)
		}
	}()
	for _, d := range []string{n.Btcd.Dir, n.miner.Dir, n.Merchant.Dir, n.Customer.Dir} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return nil, err
		}
	}
	if err := n.bringUp(ctx, begin); err != nil {
		return nil, err
	}
	n.StartupTime = time.Since(begin)
	logf("regtest: network up in %s (%s)", n.StartupTime.Round(time.Millisecond), dir)
	return n, nil
}

// bringUp follows shared/reference/lightning-backends.md §10.2 but for
// one thing: btcd mines only to its --miningaddr, which must be an lnd
// address, so §10.2 restarts btcd once the customer's lnd can give one.
// lnd then takes 5 s to reconnect (its RPC client's retry interval). Here a
// second btcd, started with that address and the first as its only peer,
// mines instead, and the nodes' backend never goes away.
func (n *Network) bringUp(ctx context.Context, begin time.Time) error {
	step := func(what string) {
		n.logf("regtest: %-32s %6s", what, time.Since(begin).Round(time.Millisecond))
	}
	if err := n.Btcd.start(ctx); err != nil {
		return err
	}
	step("btcd up")

	// Both nodes start together; lnd's start is mostly waiting.
	errs := make(chan error, 2)
	for _, node := range []*Node{n.Merchant, n.Customer} {
		go func() { errs <- node.start(ctx, n.Btcd) }()
	}
	err := errors.Join(<-errs, <-errs)
	if err != nil {
		return err
	}
	step("lnd nodes answer")

	var addr struct {
		Address string `json:"address"`
	}
	if err := n.Customer.REST(ctx, nil, http.MethodGet, "/v1/newaddress?type=WITNESS_PUBKEY_HASH", nil, &addr); err != nil {
		return err
	}
	n.miner.miningAddr, n.miner.connect = addr.Address, n.Btcd.P2PAddr
	if err := n.miner.start(ctx); err != nil {
		return fmt.Errorf("miner: %w", err)
	}
	if err := poll(ctx, 30*time.Second, func() (bool, error) {
		var peers []json.RawMessage
		err := n.miner.call(ctx, "getpeerinfo", nil, &peers)
		return len(peers) > 0, err
	}); err != nil {
		return fmt.Errorf("miner: connect to btcd: %w", err)
	}
	step("miner up, paying customer")
	if err := n.mine(ctx, matureBlocks); err != nil {
		return err
	}
	if err := poll(ctx, time.Minute, func() (bool, error) {
		var bal struct {
			Confirmed int64 `json:"confirmed_balance,string"`
		}
		err := n.Customer.REST(ctx, nil, http.MethodGet, "/v1/balance/blockchain", nil, &bal)
		return err == nil && bal.Confirmed > ChannelCapacitySat, nil
	}); err != nil {
		return fmt.Errorf("customer funds: %w", err)
	}
	step("customer funded")

	if err := n.openChannel(ctx); err != nil {
		return err
	}
	step("channel open")
	if err := n.waitCanPay(ctx); err != nil {
		return err
	}
	step("probe payment settled")
	n.Merchant.InvoiceMacaroon, err = n.Merchant.BakeMacaroon(ctx, "invoices:read", "invoices:write")
	if err != nil {
		return err
	}
	n.Customer.InvoiceMacaroon, err = n.Customer.BakeMacaroon(ctx, "invoices:read", "invoices:write")
	return err
}

// openChannel connects the customer to the merchant, opens the channel and
// confirms it.
func (n *Network) openChannel(ctx context.Context) error {
	pub, err := hex.DecodeString(n.Merchant.PubKey)
	if err != nil {
		return fmt.Errorf("merchant pubkey: %w", err)
	}
	connect := map[string]any{"addr": map[string]any{"pubkey": n.Merchant.PubKey, "host": n.Merchant.P2PAddr}}
	open := map[string]any{
		"node_pubkey":          base64.StdEncoding.EncodeToString(pub),
		"local_funding_amount": fmt.Sprint(ChannelCapacitySat),
	}
	var last error
	// Right after start the wallet or the peer may not be ready yet.
	err = poll(ctx, time.Minute, func() (bool, error) {
		err := n.Customer.REST(ctx, nil, http.MethodPost, "/v1/peers", connect, nil)
		if err != nil && !strings.Contains(err.Error(), "already connected") {
			last = err
			return false, nil
		}
		if last = n.Customer.REST(ctx, nil, http.MethodPost, "/v1/channels", open, nil); last != nil {
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("open channel (last: %v): %w", last, err)
	}
	// The funding transaction is in btcd's mempool once OpenChannelSync
	// answers; check rather than mine an empty block.
	if err := poll(ctx, 30*time.Second, func() (bool, error) {
		txids, err := n.Btcd.mempool(ctx)
		return len(txids) > 0, err
	}); err != nil {
		return fmt.Errorf("funding transaction: %w", err)
	}
	return n.mine(ctx, announceBlocks)
}

// waitCanPay waits until the channel is active on both sides and then
// until a first payment from the customer to the merchant goes through:
// an active channel on the merchant's side does not yet mean the customer
// can use it (§10.3).
func (n *Network) waitCanPay(ctx context.Context) error {
	for _, pair := range [][2]*Node{{n.Merchant, n.Customer}, {n.Customer, n.Merchant}} {
		var last error
		if err := poll(ctx, time.Minute, func() (bool, error) {
			ok, err := pair[0].activeChannelWith(ctx, pair[1].PubKey)
			last = err
			return ok, nil
		}); err != nil {
			return fmt.Errorf("%s: channel with %s not active (last: %v): %w", pair[0].Name, pair[1].Name, last, err)
		}
	}
	var inv struct {
		PaymentRequest string `json:"payment_request"`
	}
	probe := map[string]any{"value": "1", "memo": "regtest probe", "expiry": "120"}
	if err := n.Merchant.REST(ctx, nil, http.MethodPost, "/v1/invoices", probe, &inv); err != nil {
		return fmt.Errorf("probe invoice: %w", err)
	}
	var last error
	if err := poll(ctx, time.Minute, func() (bool, error) {
		last = n.pay(ctx, map[string]any{"payment_request": inv.PaymentRequest})
		return last == nil, nil
	}); err != nil {
		return fmt.Errorf("probe payment (last: %v): %w", last, err)
	}
	return nil
}

// Mine mines blocks, confirming every transaction in btcd's mempool, and
// waits until both nodes have seen them.
func (n *Network) Mine(blocks int) error {
	return n.mine(context.Background(), blocks)
}

func (n *Network) mine(ctx context.Context, blocks int) error {
	// Transactions reach the miner from btcd by relay, 100ms at a time.
	var missing []string
	if err := poll(ctx, 30*time.Second, func() (bool, error) {
		want, err := n.Btcd.mempool(ctx)
		if err != nil {
			return false, err
		}
		have, err := n.miner.mempool(ctx)
		if err != nil {
			return false, err
		}
		missing = slices.DeleteFunc(want, func(txid string) bool { return slices.Contains(have, txid) })
		return len(missing) == 0, nil
	}); err != nil {
		return fmt.Errorf("miner lacks transactions %v: %w", missing, err)
	}
	height, err := n.miner.generate(ctx, blocks)
	if err != nil {
		return err
	}
	for _, node := range []*Node{n.Merchant, n.Customer} {
		if err := node.waitSynced(ctx, height); err != nil {
			return err
		}
	}
	return nil
}

// waitSynced waits until the node is synced to the chain at height or above.
func (node *Node) waitSynced(ctx context.Context, height int64) error {
	var last lndInfo
	err := poll(ctx, time.Minute, func() (bool, error) {
		info, err := node.info(ctx)
		if err != nil {
			return false, nil
		}
		last = info
		return info.SyncedToChain && info.BlockHeight >= height, nil
	})
	if err != nil {
		return fmt.Errorf("%s: not synced to height %d (at %d, synced %t): %w",
			node.Name, height, last.BlockHeight, last.SyncedToChain, err)
	}
	return nil
}

// Pay pays a BOLT11 invoice from the customer's node and returns once the
// payment succeeded or failed.
func (n *Network) Pay(bolt11 string) error {
	return n.pay(context.Background(), map[string]any{"payment_request": bolt11})
}

// PayAmount pays msat for a BOLT11 invoice from the customer's node: the
// amount of an amountless invoice, or more or less than an invoice's own
// amount (sent to its payee, hash and payment address, as a wallet that
// lets its user overpay would).
func (n *Network) PayAmount(bolt11 string, msat int64) error {
	inv, err := zpay32.Decode(bolt11, &chaincfg.RegressionNetParams)
	if err != nil {
		return fmt.Errorf("regtest: pay: %w", err)
	}
	switch {
	case inv.MilliSat == nil:
		return n.pay(context.Background(), map[string]any{"payment_request": bolt11, "amt_msat": fmt.Sprint(msat)})
	case int64(*inv.MilliSat) == msat:
		return n.Pay(bolt11)
	}
	req := map[string]any{
		"dest":             base64.StdEncoding.EncodeToString(inv.Destination.SerializeCompressed()),
		"amt_msat":         fmt.Sprint(msat),
		"payment_hash":     base64.StdEncoding.EncodeToString(inv.PaymentHash[:]),
		"final_cltv_delta": inv.MinFinalCLTVExpiry(),
	}
	if addr, ok := inv.PaymentAddr.UnwrapOr([32]byte{}), inv.PaymentAddr.IsSome(); ok {
		req["payment_addr"] = base64.StdEncoding.EncodeToString(addr[:])
	}
	if inv.Features != nil {
		var bits []int
		for bit := range inv.Features.Features() {
			bits = append(bits, int(bit))
		}
		req["dest_features"] = bits
	}
	return n.pay(context.Background(), req)
}

// pay sends a routerrpc SendPaymentV2 request from the customer and waits
// for its outcome.
func (n *Network) pay(ctx context.Context, req map[string]any) error {
	ctx, cancel := context.WithTimeout(ctx, payTimeout)
	defer cancel()
	req["timeout_seconds"] = int(payTimeout / time.Second / 2)
	req["fee_limit_sat"] = "1000"
	req["no_inflight_updates"] = true
	var outcome error
	err := n.Customer.stream(ctx, http.MethodPost, "/v2/router/send", req, func(raw json.RawMessage) (bool, error) {
		var p struct {
			Status        string `json:"status"`
			FailureReason string `json:"failure_reason"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			return false, err
		}
		switch p.Status {
		case "SUCCEEDED":
			return true, nil
		case "FAILED":
			outcome = fmt.Errorf("regtest: payment failed: %s", p.FailureReason)
			return true, nil
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("regtest: pay: %w", err)
	}
	return outcome
}

// StopMerchant stops the merchant's lnd (lncli stop), keeping its data.
func (n *Network) StopMerchant(t testing.TB) {
	t.Helper()
	n.Merchant.stop(context.Background())
}

// StartMerchant starts the merchant's lnd again with the same directory and
// ports, and waits until its REST API answers, it is synced and the channel
// is usable by the customer again.
func (n *Network) StartMerchant(t testing.TB) {
	t.Helper()
	begin := time.Now()
	if err := n.startMerchant(context.Background()); err != nil {
		n.logPaths(t.Logf)
		t.Fatalf("regtest: start merchant: %v", err)
	}
	t.Logf("regtest: merchant back in %s", time.Since(begin).Round(time.Millisecond))
}

func (n *Network) startMerchant(ctx context.Context) error {
	if n.Merchant.proc != nil && !n.Merchant.proc.exited() {
		return errors.New("merchant is running")
	}
	if err := n.Merchant.run(ctx); err != nil {
		return err
	}
	height, err := n.Btcd.height(ctx)
	if err != nil {
		return err
	}
	if err := n.Merchant.waitSynced(ctx, height); err != nil {
		return err
	}
	return n.waitCanPay(ctx)
}

// RestartMerchant stops and starts the merchant's lnd.
func (n *Network) RestartMerchant(t testing.TB) {
	t.Helper()
	n.StopMerchant(t)
	n.StartMerchant(t)
}

// Stop stops both nodes (lncli stop), then btcd: stopping btcd first leaves
// lnd hanging in its shutdown (§10.3). The directory stays. Stop is safe to
// call more than once.
func (n *Network) Stop() {
	n.stopOnce.Do(func() {
		var wg sync.WaitGroup
		for _, node := range []*Node{n.Merchant, n.Customer} {
			if node != nil {
				wg.Go(func() { node.stop(context.Background()) })
			}
		}
		wg.Wait()
		for _, b := range []*Btcd{n.miner, n.Btcd} {
			if b != nil {
				wg.Go(b.stop)
			}
		}
		wg.Wait()
	})
}

// Close stops the network and removes its directory.
func (n *Network) Close() error {
	n.Stop()
	return os.RemoveAll(n.Dir)
}

// logPaths logs where the daemons' logs are.
func (n *Network) logPaths(logf func(format string, args ...any)) {
	logf("regtest: logs kept in %s:", n.Dir)
	for _, b := range []*Btcd{n.Btcd, n.miner} {
		logf("regtest:   %-5s %s, %s", filepath.Base(b.Dir), b.LogPath, filepath.Join(b.Dir, "logs", "regtest", "btcd.log"))
	}
	for _, node := range []*Node{n.Merchant, n.Customer} {
		logf("regtest:   %-5s %s, %s", node.Name, node.LogPath,
			filepath.Join(node.Dir, "logs", "bitcoin", "regtest", "lnd.log"))
	}
}

// Binaries returns the directory holding btcd, lnd and lncli:
// $SATSRAIL_REGTEST_BIN, or what scripts/regtest-binaries prints (building
// them first if this machine has not yet).
func Binaries(ctx context.Context) (string, error) {
	if dir := os.Getenv("SATSRAIL_REGTEST_BIN"); dir != "" {
		return dir, checkBinaries(dir)
	}
	root, err := repoRoot()
	if err != nil {
		return "", fmt.Errorf("find scripts/regtest-binaries (or set SATSRAIL_REGTEST_BIN): %w", err)
	}
	cmd := exec.CommandContext(ctx, filepath.Join(root, "scripts", "regtest-binaries"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("scripts/regtest-binaries: %w\n%s", err, stderr.Bytes())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	dir := strings.TrimSpace(lines[len(lines)-1])
	return dir, checkBinaries(dir)
}

func checkBinaries(dir string) error {
	for _, b := range []string{"btcd", "lnd", "lncli"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return fmt.Errorf("regtest binaries in %s: %w", dir, err)
		}
	}
	return nil
}

// repoRoot finds the module root from the working directory (a package
// directory under go test), or else from this source file.
func repoRoot() (string, error) {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		starts = append(starts, filepath.Dir(file))
	}
	for _, dir := range starts {
		for {
			if _, err := os.Stat(filepath.Join(dir, "scripts", "regtest-binaries")); err == nil {
				if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
					return dir, nil
				}
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", errors.New("no go.mod with scripts/regtest-binaries above the working directory")
}

// poll calls cond every pollInterval until it returns true or an error, ctx
// ends or timeout passes.
func poll(ctx context.Context, timeout time.Duration, cond func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		ok, err := cond()
		if ok || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("gave up after %s: %w", timeout, context.Cause(ctx))
		case <-t.C:
		}
	}
}
