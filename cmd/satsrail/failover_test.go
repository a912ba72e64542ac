package main

import (
	"bufio"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/regtest"
)

// streamHolders scrapes a node's /metrics for the wallets whose settlement
// stream it holds (satsrail_wallet_stream_up ... 1).
func streamHolders(t *testing.T, g *gatewayProc) []string {
	t.Helper()
	res, err := http.Get(g.url + "/metrics")
	if err != nil {
		return nil
	}
	defer res.Body.Close()
	var held []string
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "satsrail_wallet_stream_up{") && strings.HasSuffix(line, " 1") {
			i := strings.Index(line, `wallet_id="`)
			id := line[i+11:]
			held = append(held, id[:strings.Index(id, `"`)])
		}
	}
	return held
}

// TestWalletStreamFailover: two nodes on one PostgreSQL; exactly one holds
// the merchant LND's settlement stream; when it is SIGKILLed the other takes
// the stream over, and a payment made after that completes through it.
func TestWalletStreamFailover(t *testing.T) {
	net := regtest.Start(t)
	url := freshDatabase(t)
	os.Setenv("SATSRAIL_MASTER_KEY", strings.Repeat("cd", 32))
	t.Cleanup(func() { os.Unsetenv("SATSRAIL_MASTER_KEY") })
	out := cli(t, "merchant", "create", "--database-url", url, "--name", "F", "--email", "f@example.com", "--json")
	sk := out[strings.Index(out, `"sk_test":"`)+11:]
	sk = sk[:strings.Index(sk, `"`)]
	args := []string{"--database-url", url, "--fixed-rates", "usd=65000"}
	a := start(t, append(args, "--data-dir", t.TempDir())...)
	b := start(t, append(args, "--data-dir", t.TempDir())...)
	if status, body := call(t, "PUT", a.url+"/api/v1/wallet", sk, map[string]any{"wallet": map[string]any{
		"type": "lnd", "connection_string": net.Merchant.LNDConnect(net.Merchant.InvoiceMacaroon)}}); status != 200 {
		t.Fatalf("connect: %d %v", status, body)
	}
	var holder, other *gatewayProc
	deadline := time.Now().Add(30 * time.Second)
	for holder == nil {
		ha, hb := streamHolders(t, a), streamHolders(t, b)
		switch {
		case len(ha) == 1 && len(hb) == 1:
			t.Fatalf("both nodes hold the stream")
		case len(ha) == 1:
			holder, other = a, b
		case len(hb) == 1:
			holder, other = b, a
		}
		if time.Now().After(deadline) {
			t.Fatal("no node took the wallet stream")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Periodic reconciliation is off (the default) and both nodes swept at
	// start, before this session existed, so only the stream can complete it.
	_, s := call(t, "POST", other.url+"/api/v1/checkout_sessions", sk, seedBody)
	id := s["id"].(string)
	page(t, other.url+"/checkout/"+id)
	_, s = call(t, "GET", other.url+"/api/v1/checkout_sessions/"+id, sk, nil)
	bolt11 := s["payment_request"].(string)

	killed := time.Now()
	holder.cmd.Process.Kill()
	holder.cmd.Wait()
	for len(streamHolders(t, other)) != 1 {
		if time.Since(killed) > 45*time.Second {
			t.Fatal("the surviving node did not take the stream over within 45s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	failover := time.Since(killed)
	if err := net.Pay(bolt11); err != nil {
		t.Fatalf("pay: %v", err)
	}
	waitStatus(t, other.url+"/api/v1", sk, id, "completed")
	t.Logf("wallet stream failover after SIGKILL of its holder: %s (lease 15s, renewal every 5s)", failover.Round(time.Millisecond))
}
