package regtest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Btcd is one btcd: the network's chain backend, which the lnd nodes use,
// or its miner.
type Btcd struct {
	RPCAddr  string // host:port of the JSON-RPC server (TLS)
	P2PAddr  string
	RPCUser  string
	RPCPass  string
	CertPath string // the RPC server's TLS certificate
	Dir      string
	LogPath  string // btcd's output; its own log is under Dir/logs

	bin        string
	miningAddr string // --miningaddr, for generate
	connect    string // --connect: the only peer, and no listening
	proc       *process
	http       *http.Client
}

func newBtcd(dir, bin string) *Btcd {
	return &Btcd{
		RPCUser:  "satsrail",
		RPCPass:  "regtest",
		CertPath: filepath.Join(dir, "rpc.cert"),
		Dir:      dir,
		LogPath:  filepath.Join(dir, "btcd.out"),
		bin:      bin,
	}
}

// start starts btcd on new free ports, retrying when one is taken.
func (b *Btcd) start(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		ports, err := freePorts(2)
		if err != nil {
			return err
		}
		b.RPCAddr, b.P2PAddr = ports[0], ports[1]
		err = b.run(ctx)
		if errors.Is(err, errPortTaken) && attempt < 3 {
			continue
		}
		return err
	}
}

// run starts btcd on its current ports and waits until its RPC answers.
func (b *Btcd) run(ctx context.Context) error {
	args := []string{
		"--regtest",
		"--datadir=" + filepath.Join(b.Dir, "data"),
		"--logdir=" + filepath.Join(b.Dir, "logs"),
		"--rpcuser=" + b.RPCUser,
		"--rpcpass=" + b.RPCPass,
		"--rpclisten=" + b.RPCAddr,
		"--rpccert=" + b.CertPath,
		"--rpckey=" + filepath.Join(b.Dir, "rpc.key"),
		"--txindex",
		"--nobanning",
		"--nostalldetect",
		"--trickleinterval=100ms",
	}
	if b.connect != "" {
		args = append(args, "--connect="+b.connect, "--nolisten")
	} else {
		args = append(args, "--listen="+b.P2PAddr)
	}
	if b.miningAddr != "" {
		args = append(args, "--miningaddr="+b.miningAddr)
	}
	p, err := startProcess("btcd", filepath.Join(b.bin, "btcd"), b.LogPath, args...)
	if err != nil {
		return err
	}
	b.proc = p
	err = poll(ctx, 30*time.Second, func() (bool, error) {
		if p.exited() {
			return false, p.exitError()
		}
		if b.http == nil {
			pem, err := os.ReadFile(b.CertPath)
			if err != nil {
				return false, nil // not written yet
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return false, nil // half written
			}
			b.http = &http.Client{
				Timeout:   30 * time.Second,
				Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
			}
		}
		_, err := b.height(ctx)
		return err == nil, nil
	})
	if err != nil {
		b.stop()
		return fmt.Errorf("btcd: %w", err)
	}
	return nil
}

// stop stops btcd, killing it if it does not stop in time.
func (b *Btcd) stop() {
	if b.proc == nil || b.proc.exited() {
		return
	}
	b.proc.signal(syscall.SIGTERM)
	b.proc.wait(15 * time.Second)
}

// generate mines n blocks and returns the new height.
func (b *Btcd) generate(ctx context.Context, n int) (int64, error) {
	if err := b.call(ctx, "generate", []any{n}, nil); err != nil {
		return 0, fmt.Errorf("btcd generate %d: %w", n, err)
	}
	height, err := b.height(ctx)
	if err != nil {
		return 0, fmt.Errorf("btcd getblockcount: %w", err)
	}
	return height, nil
}

// mempool returns the ids of the unconfirmed transactions.
func (b *Btcd) mempool(ctx context.Context) ([]string, error) {
	var txids []string
	err := b.call(ctx, "getrawmempool", nil, &txids)
	return txids, err
}

// height returns the height of the best chain.
func (b *Btcd) height(ctx context.Context) (int64, error) {
	var height int64
	err := b.call(ctx, "getblockcount", nil, &height)
	return height, err
}

// call makes one JSON-RPC 1.0 call.
func (b *Btcd) call(ctx context.Context, method string, params []any, result any) error {
	if params == nil {
		params = []any{}
	}
	body, err := json.Marshal(map[string]any{"jsonrpc": "1.0", "id": 1, "method": method, "params": params})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+b.RPCAddr, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.SetBasicAuth(b.RPCUser, b.RPCPass)
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var out struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return fmt.Errorf("%s: HTTP %d: %.200s", method, resp.StatusCode, raw)
	}
	if out.Error != nil {
		return fmt.Errorf("%s: %s (code %d)", method, out.Error.Message, out.Error.Code)
	}
	if result == nil {
		return nil
	}
	return json.Unmarshal(out.Result, result)
}
