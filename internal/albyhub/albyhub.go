// Package albyhub runs the real Alby Hub — the NIP-47 wallet service
// SatsRail itself onboards merchants with — for tests: on its LND backend
// (a regtest node), talking to a given Nostr relay, set up, unlocked and
// given app connections through its HTTP API as its web UI does.
//
// The binary comes from $SATSRAIL_ALBYHUB_BIN or from scripts/albyhub,
// which builds it once per machine from the Go module proxy. A missing
// binary fails the test: it never skips.
//
// It is a test helper, not test code, so that any package's tests can
// import it; nothing else should.
package albyhub

import (
	"bytes"
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
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Version is the Alby Hub release scripts/albyhub builds.
const Version = "v1.23.0"

// password unlocks the test hub (its encryption key for stored secrets).
const password = "satsrail-test-unlock"

// LND is how the hub reaches its lnd node: gRPC, TLS certificate and the
// admin macaroon (Alby Hub manages the node, so it needs all of it).
type LND struct {
	GRPCAddr     string // host:port of lnd's gRPC
	CertFile     string
	MacaroonFile string
}

// Hub is a running (or stopped) Alby Hub.
type Hub struct {
	// URL is its HTTP API, http://127.0.0.1:port.
	URL string
	// Dir is its WORK_DIR (database, logs).
	Dir string

	bin    string
	env    []string
	port   string
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
	out    *os.File
	token  string
	http   *http.Client
}

// App is an app connection made in the hub.
type App struct {
	PairingURI   string // nostr+walletconnect://…, holding the secret
	WalletPubKey string // the key the hub answers this connection with
}

// Start sets up and starts a hub for t on lnd, publishing to relay (a
// ws:// URL), and stops it when t ends; when t failed its directory is
// kept and its log path reported.
func Start(t testing.TB, relay string, lnd LND) *Hub {
	t.Helper()
	bin, err := Binary(t.Context())
	if err != nil {
		t.Fatalf("albyhub: %v", err)
	}
	dir, err := os.MkdirTemp("", "satsrail-albyhub-")
	if err != nil {
		t.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	h := &Hub{URL: "http://127.0.0.1:" + port, Dir: dir, bin: bin, port: port, http: &http.Client{Timeout: 30 * time.Second}}
	h.env = append(os.Environ(),
		"WORK_DIR="+dir,
		"PORT="+port,
		"RELAY="+relay,
		"NETWORK=regtest",
		"LN_BACKEND_TYPE=LND",
		"LND_ADDRESS="+lnd.GRPCAddr,
		"LND_CERT_FILE="+lnd.CertFile,
		"LND_MACAROON_FILE="+lnd.MacaroonFile,
		"LOG_TO_FILE=false",
		"LOG_LEVEL=4",
		// Nothing here reaches the internet: keep the hub from trying.
		"SEND_EVENTS_TO_ALBY=false",
		"AUTO_LINK_ALBY_ACCOUNT=false",
		"MEMPOOL_API=http://127.0.0.1:9/api",
		"BOLTZ_API=http://127.0.0.1:9",
		"LDK_ESPLORA_SERVER=http://127.0.0.1:9",
	)
	t.Cleanup(func() {
		h.Stop()
		if t.Failed() {
			t.Logf("albyhub: kept %s (log %s)", dir, h.logPath())
			return
		}
		os.RemoveAll(dir)
	})
	if err := h.start(t.Context()); err != nil {
		t.Fatalf("albyhub: %v (log %s)", err, h.logPath())
	}
	if err := h.post(t.Context(), "/api/setup", map[string]any{"backendType": "LND", "unlockPassword": password}, nil); err != nil {
		t.Fatalf("albyhub: setup: %v", err)
	}
	if err := h.unlock(t.Context()); err != nil {
		t.Fatalf("albyhub: %v (log %s)", err, h.logPath())
	}
	return h
}

func (h *Hub) logPath() string { return filepath.Join(h.Dir, "albyhub.out") }

// start runs the process and waits for its HTTP API.
func (h *Hub) start(ctx context.Context) error {
	out, err := os.OpenFile(h.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(h.bin)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = h.Dir, h.env, out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		out.Close()
		return err
	}
	exited := make(chan struct{})
	h.cmd, h.out, h.exited = cmd, out, exited
	go func() { cmd.Wait(); close(exited) }()
	return poll(ctx, time.Minute, func() (bool, error) {
		select {
		case <-exited:
			return false, errors.New("the hub exited at start")
		default:
		}
		var info struct{}
		return h.get(ctx, "/api/info", &info) == nil, nil
	})
}

// unlock starts the hub's node connection and its NWC service with the
// unlock password (POST /api/start) and waits until it runs.
func (h *Hub) unlock(ctx context.Context) error {
	var tok struct {
		Token string `json:"token"`
	}
	if err := h.post(ctx, "/api/start", map[string]any{"unlockPassword": password}, &tok); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	h.token = tok.Token
	return poll(ctx, 2*time.Minute, func() (bool, error) {
		var info struct {
			Running      bool   `json:"running"`
			StartupError string `json:"startupError"`
		}
		if err := h.get(ctx, "/api/info", &info); err != nil {
			return false, nil
		}
		if info.StartupError != "" {
			return false, fmt.Errorf("the hub did not start: %s", info.StartupError)
		}
		return info.Running, nil
	})
}

// CreateApp makes an app connection with scopes (Alby Hub's names:
// make_invoice, lookup_invoice, get_info, notifications, pay_invoice, …)
// and returns its pairing URI.
func (h *Hub) CreateApp(t testing.TB, name string, scopes ...string) App {
	t.Helper()
	var resp struct {
		PairingURI   string `json:"pairingUri"`
		WalletPubkey string `json:"walletPubkey"`
	}
	if err := h.post(t.Context(), "/api/apps", map[string]any{"name": name, "scopes": scopes}, &resp); err != nil {
		t.Fatalf("albyhub: create app: %v", err)
	}
	if !strings.HasPrefix(resp.PairingURI, "nostr+walletconnect://") {
		t.Fatalf("albyhub: create app: pairing URI %.30q…", resp.PairingURI)
	}
	return App{PairingURI: resp.PairingURI, WalletPubKey: resp.WalletPubkey}
}

// MakeInvoice makes an invoice through the hub's own HTTP API (no Nostr
// on the way): the baseline for what the NWC path adds.
func (h *Hub) MakeInvoice(ctx context.Context, msat uint64, description string) error {
	return h.post(ctx, "/api/invoices", map[string]any{"amountMsat": msat, "description": description}, nil)
}

// Stop kills the hub (a wallet service gone to sleep); Restart brings it
// back.
func (h *Hub) Stop() {
	if h.cmd == nil {
		return
	}
	syscall.Kill(-h.cmd.Process.Pid, syscall.SIGKILL)
	<-h.exited
	h.cmd = nil
	h.out.Close()
}

// Restart starts a stopped hub on its data and unlocks it.
func (h *Hub) Restart(t testing.TB) {
	t.Helper()
	if err := h.start(t.Context()); err != nil {
		t.Fatalf("albyhub: restart: %v (log %s)", err, h.logPath())
	}
	if err := h.unlock(t.Context()); err != nil {
		t.Fatalf("albyhub: restart: %v (log %s)", err, h.logPath())
	}
}

func (h *Hub) get(ctx context.Context, path string, out any) error {
	return h.do(ctx, http.MethodGet, path, nil, out)
}

func (h *Hub) post(ctx context.Context, path string, in, out any) error {
	return h.do(ctx, http.MethodPost, path, in, out)
}

func (h *Hub) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, h.URL+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if h.token != "" {
		req.Header.Set("Authorization", "Bearer "+h.token)
	}
	resp, err := h.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(b))
	}
	if out != nil && len(b) > 0 {
		return json.Unmarshal(b, out)
	}
	return nil
}

// Binary returns the Alby Hub binary: $SATSRAIL_ALBYHUB_BIN, or what
// scripts/albyhub prints (building it first if this machine has not yet).
func Binary(ctx context.Context) (string, error) {
	if bin := os.Getenv("SATSRAIL_ALBYHUB_BIN"); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			return "", fmt.Errorf("SATSRAIL_ALBYHUB_BIN: %w", err)
		}
		return bin, nil
	}
	root, err := repoRoot()
	if err != nil {
		return "", fmt.Errorf("find scripts/albyhub (or set SATSRAIL_ALBYHUB_BIN): %w", err)
	}
	cmd := exec.CommandContext(ctx, filepath.Join(root, "scripts", "albyhub"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("scripts/albyhub: %w\n%s", err, stderr.Bytes())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	bin := strings.TrimSpace(lines[len(lines)-1])
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("scripts/albyhub: %w", err)
	}
	return bin, nil
}

// repoRoot finds the module root from the working directory, or else from
// this source file.
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
			if _, err := os.Stat(filepath.Join(dir, "scripts", "albyhub")); err == nil {
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
	return "", errors.New("no go.mod with scripts/albyhub above the working directory")
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	return port, err
}

// poll calls cond every 100ms until it returns true or an error, or
// timeout passes.
func poll(ctx context.Context, timeout time.Duration, cond func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		ok, err := cond()
		if ok || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("gave up after %s", timeout)
		case <-t.C:
		}
	}
}
