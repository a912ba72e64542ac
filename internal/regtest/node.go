package regtest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Node is one lnd node of the network.
type Node struct {
	Name    string // "alice" (merchant) or "bob" (customer)
	Dir     string // its --lnddir
	RESTURL string // https://127.0.0.1:port
	RPCAddr string // gRPC host:port, for lncli
	P2PAddr string
	PubKey  string // hex identity key
	// TLSCertPEM is lnd's self-signed certificate (Dir/tls.cert).
	TLSCertPEM []byte
	// AdminMacaroon is lnd's admin.macaroon: it can do anything.
	AdminMacaroon []byte
	// InvoiceMacaroon is baked with
	// `lncli bakemacaroon invoices:read invoices:write`: what a merchant
	// gives the gateway.
	InvoiceMacaroon []byte
	LogPath         string // lnd's output; its own log is under Dir/logs

	bin  string
	args []string
	proc *process
	http *http.Client // trusts TLSCertPEM; timeouts per request
}

func newNode(name, dir, bin string) *Node {
	return &Node{Name: name, Dir: dir, LogPath: filepath.Join(dir, "lnd.out"), bin: bin}
}

// LNDConnect returns the node's lndconnect URI with macaroon, naming the
// REST port: lndconnect://127.0.0.1:port?cert=…&macaroon=…, both base64url
// without padding, the certificate as DER.
func (n *Node) LNDConnect(macaroon []byte) string {
	u := url.URL{Scheme: "lndconnect", Host: strings.TrimPrefix(n.RESTURL, "https://")}
	q := url.Values{}
	if b, _ := pem.Decode(n.TLSCertPEM); b != nil {
		q.Set("cert", base64.RawURLEncoding.EncodeToString(b.Bytes))
	}
	q.Set("macaroon", base64.RawURLEncoding.EncodeToString(macaroon))
	u.RawQuery = q.Encode()
	return u.String()
}

// MacaroonFile reads one of the macaroons lnd made itself: "admin",
// "readonly" or "invoice" (which grants more than InvoiceMacaroon: on-chain
// reads and new addresses).
func (n *Node) MacaroonFile(name string) ([]byte, error) {
	return os.ReadFile(n.macaroonPath(name))
}

func (n *Node) macaroonPath(name string) string {
	return filepath.Join(n.Dir, "data", "chain", "bitcoin", "regtest", name+".macaroon")
}

// Lncli runs lncli against the node with the admin macaroon and returns
// its standard output.
func (n *Node) Lncli(ctx context.Context, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	base := []string{"--network=regtest", "--lnddir=" + n.Dir, "--rpcserver=" + n.RPCAddr}
	cmd := exec.CommandContext(ctx, filepath.Join(n.bin, "lncli"), append(base, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s: lncli %s: %w: %s", n.Name, args[0], err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out, nil
}

// BakeMacaroon bakes a macaroon with the given permissions, as
// `lncli bakemacaroon` takes them: "invoices:read", "info:read",
// "uri:/lnrpc.Lightning/AddInvoice", …
func (n *Node) BakeMacaroon(ctx context.Context, permissions ...string) ([]byte, error) {
	f, err := os.CreateTemp(n.Dir, "baked-*.macaroon")
	if err != nil {
		return nil, err
	}
	f.Close()
	defer os.Remove(f.Name())
	args := append([]string{"bakemacaroon", "--save_to=" + f.Name()}, permissions...)
	if _, err := n.Lncli(ctx, args...); err != nil {
		return nil, err
	}
	return os.ReadFile(f.Name())
}

// RESTError is a non-2xx answer of lnd's REST API.
type RESTError struct {
	Status  int    // HTTP status
	Code    int    // gRPC status code
	Message string // lnd's message
}

func (e *RESTError) Error() string {
	return fmt.Sprintf("HTTP %d: %s (grpc code %d)", e.Status, e.Message, e.Code)
}

// REST calls the node's REST API with macaroon (nil: the admin macaroon),
// sending in as JSON unless nil and decoding the answer into out unless nil.
func (n *Node) REST(ctx context.Context, macaroon []byte, method, path string, in, out any) error {
	resp, err := n.send(ctx, macaroon, method, path, in)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s: %s %s: %w", n.Name, method, path, err)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s: %s %s: decode %.200s: %w", n.Name, method, path, body, err)
	}
	return nil
}

// send makes a request and checks the status; the caller closes the body.
func (n *Node) send(ctx context.Context, macaroon []byte, method, path string, in any) (*http.Response, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, n.RESTURL+path, body)
	if err != nil {
		return nil, err
	}
	if macaroon == nil {
		macaroon = n.AdminMacaroon
	}
	req.Header.Set("Grpc-Metadata-macaroon", hex.EncodeToString(macaroon))
	resp, err := n.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %s %s: %w", n.Name, method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		e := &RESTError{Status: resp.StatusCode, Message: string(b)}
		var msg struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		}
		if json.Unmarshal(b, &msg) == nil && msg.Message != "" {
			e.Code, e.Message = msg.Code, msg.Message
		}
		return nil, fmt.Errorf("%s: %s %s: %w", n.Name, method, path, e)
	}
	return resp, nil
}

// stream sends a request whose answer is newline-delimited JSON messages
// {"result": …} or {"error": …} and calls fn with each result until fn
// returns true, an error arrives or the stream ends.
func (n *Node) stream(ctx context.Context, method, path string, in any, fn func(json.RawMessage) (bool, error)) error {
	resp, err := n.send(ctx, nil, method, path, in)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(bufio.NewReader(resp.Body))
	for {
		var msg struct {
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := dec.Decode(&msg); err != nil {
			return fmt.Errorf("%s: %s %s: stream: %w", n.Name, method, path, err)
		}
		if msg.Error != nil {
			return fmt.Errorf("%s: %s %s: %w", n.Name, method, path,
				&RESTError{Status: http.StatusOK, Code: msg.Error.Code, Message: msg.Error.Message})
		}
		if done, err := fn(msg.Result); done || err != nil {
			return err
		}
	}
}

// lndInfo is the part of GetInfo the network waits on.
type lndInfo struct {
	IdentityPubkey    string `json:"identity_pubkey"`
	BlockHeight       int64  `json:"block_height"`
	SyncedToChain     bool   `json:"synced_to_chain"`
	NumActiveChannels int    `json:"num_active_channels"`
}

func (n *Node) info(ctx context.Context) (lndInfo, error) {
	var info lndInfo
	err := n.REST(ctx, nil, http.MethodGet, "/v1/getinfo", nil, &info)
	return info, err
}

// lndArgs are lnd's flags, after shared/reference/lightning-backends.md §10.2.
func (n *Node) lndArgs(b *Btcd) []string {
	return []string{
		"--lnddir=" + n.Dir,
		"--bitcoin.regtest",
		"--bitcoin.node=btcd",
		"--btcd.rpchost=" + b.RPCAddr,
		"--btcd.rpcuser=" + b.RPCUser,
		"--btcd.rpcpass=" + b.RPCPass,
		"--btcd.rpccert=" + b.CertPath,
		"--noseedbackup",
		"--nobootstrap",
		"--accept-keysend",
		"--bitcoin.defaultchanconfs=1",
		"--rpclisten=" + n.RPCAddr,
		"--restlisten=" + strings.TrimPrefix(n.RESTURL, "https://"),
		"--listen=" + n.P2PAddr,
		"--externalip=" + n.P2PAddr,
		"--tlsextradomain=localhost",
		"--trickledelay=50",
		"--alias=" + n.Name,
		// Channels over 0.16 BTC, so one channel carries hundreds of
		// test payments.
		"--protocol.wumbo-channels",
		// lntest's value: the default 500ms delays every graph write.
		"--db.batch-commit-interval=10ms",
	}
}

// start starts lnd on new free ports, retrying when one is taken, and
// waits until its REST API answers.
func (n *Node) start(ctx context.Context, b *Btcd) error {
	for attempt := 0; ; attempt++ {
		ports, err := freePorts(3)
		if err != nil {
			return err
		}
		n.RPCAddr, n.RESTURL, n.P2PAddr = ports[0], "https://"+ports[1], ports[2]
		n.args = n.lndArgs(b)
		err = n.run(ctx)
		if errors.Is(err, errPortTaken) && attempt < 3 {
			continue
		}
		return err
	}
}

// run starts lnd with its arguments and waits until its REST API answers
// GetInfo with the admin macaroon. On a first start lnd makes its wallet,
// TLS certificate and macaroons on the way.
func (n *Node) run(ctx context.Context) error {
	p, err := startProcess(n.Name, filepath.Join(n.bin, "lnd"), n.LogPath, n.args...)
	if err != nil {
		return err
	}
	n.proc = p
	var last error
	err = poll(ctx, 90*time.Second, func() (bool, error) {
		if p.exited() {
			return false, p.exitError()
		}
		if n.http == nil {
			if last = n.loadCredentials(); last != nil {
				return false, nil
			}
		}
		info, err := n.info(ctx)
		if err != nil {
			last = err
			return false, nil
		}
		n.PubKey = info.IdentityPubkey
		return true, nil
	})
	if err != nil {
		n.stop(ctx)
		return fmt.Errorf("%s: waiting for REST (last: %v): %w", n.Name, last, err)
	}
	return nil
}

// loadCredentials reads the TLS certificate and the admin macaroon once
// lnd has written them.
func (n *Node) loadCredentials() error {
	mac, err := n.MacaroonFile("admin")
	if err != nil {
		return err
	}
	cert, err := os.ReadFile(filepath.Join(n.Dir, "tls.cert"))
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(cert) {
		return errors.New("tls.cert not complete yet")
	}
	n.TLSCertPEM, n.AdminMacaroon = cert, mac
	n.http = &http.Client{
		Timeout: time.Minute,
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: pool},
			TLSHandshakeTimeout: 10 * time.Second,
		},
	}
	return nil
}

// stop asks lnd to stop (lncli stop) and waits for it to exit, killing it
// if it does not in time.
func (n *Node) stop(ctx context.Context) {
	if n.proc == nil || n.proc.exited() {
		return
	}
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if n.http == nil || n.REST(stopCtx, nil, http.MethodPost, "/v1/stop", struct{}{}, nil) != nil {
		n.proc.signal(syscall.SIGTERM)
	}
	n.proc.wait(30 * time.Second)
	if n.http != nil {
		n.http.CloseIdleConnections()
	}
}

// channel is the part of a channel the network waits on.
type channel struct {
	Active       bool   `json:"active"`
	RemotePubkey string `json:"remote_pubkey"`
	LocalBalance int64  `json:"local_balance,string"`
}

// activeChannelWith reports whether the node has an active channel with peer.
func (n *Node) activeChannelWith(ctx context.Context, peer string) (bool, error) {
	var resp struct {
		Channels []channel `json:"channels"`
	}
	if err := n.REST(ctx, nil, http.MethodGet, "/v1/channels", nil, &resp); err != nil {
		return false, err
	}
	for _, c := range resp.Channels {
		if c.RemotePubkey == peer && c.Active {
			return true, nil
		}
	}
	return false, nil
}
