package lnd

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/satsrail/satsrail/internal/bolt11"
	"github.com/satsrail/satsrail/internal/gateway"
)

const (
	// DefaultTimeout bounds each request but the settlement stream.
	DefaultTimeout = 30 * time.Second
	// TestMemo is the description of the connection test's invoice.
	TestMemo = "satsrail connection test"
	// testExpiry is how long the connection test's invoice stays payable.
	testExpiry = time.Minute
	// maxMemo is the longest description a BOLT11 tagged field holds:
	// 1023 groups of 5 bits. lnd refuses longer memos.
	maxMemo = 639
	// maxBody bounds the answers read whole (one invoice is a few KiB).
	maxBody = 1 << 20
)

// Config is how to reach one lnd node. Zero fields take defaults.
type Config struct {
	// RESTURL is lnd's REST endpoint, https://host:port (8080 by default).
	RESTURL string
	// Macaroon is the binary macaroon; New refuses one that can do more
	// than make and read invoices (CheckReceiveOnly).
	Macaroon []byte
	// TLSCertPEM pins lnd's (usually self-signed) certificate; empty
	// trusts the system's roots, for nodes behind a CA-signed certificate.
	TLSCertPEM []byte
	// Network is the chain the node's invoices are for ("mainnet",
	// "testnet", "signet", "regtest"); empty learns it from the first
	// invoice made.
	Network string
	// Timeout bounds each request but the settlement stream;
	// DefaultTimeout when zero.
	Timeout time.Duration
	// DialContext, when set, makes every connection to the node (the
	// gateway's SSRF guard); nil dials directly.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Client is a gateway.Wallet on one lnd node. It is safe for concurrent use.
type Client struct {
	base     *url.URL
	macaroon string // hex, as the header carries it
	http     *http.Client
	stream   *http.Client // the same transport without an overall timeout

	mu      sync.Mutex
	network string
}

var (
	_ gateway.Wallet               = (*Client)(nil)
	_ gateway.ConnectionTester     = (*Client)(nil)
	_ gateway.SettlementSubscriber = (*Client)(nil)
)

// New returns a client for cfg. It checks the configuration and the
// macaroon's permissions but makes no request; see Test.
func New(cfg Config) (*Client, error) {
	base, err := parseRESTURL(cfg.RESTURL)
	if err != nil {
		return nil, err
	}
	if len(cfg.Macaroon) == 0 {
		return nil, errors.New("lnd: a macaroon is required")
	}
	if err := CheckReceiveOnly(cfg.Macaroon); err != nil {
		return nil, err
	}
	switch cfg.Network {
	case "", "mainnet", "testnet", "signet", "regtest":
	default:
		return nil, fmt.Errorf("lnd: unknown network %q", cfg.Network)
	}
	tlsConfig, err := pinnedTLS(cfg.TLSCertPEM, base.Hostname())
	if err != nil {
		return nil, err
	}
	dial := cfg.DialContext
	if dial == nil {
		dial = (&net.Dialer{
			Timeout: 15 * time.Second,
			// The settlement stream has no heartbeat; keepalives at least
			// notice a peer that vanished.
			KeepAlive: 30 * time.Second,
		}).DialContext
	}
	transport := &http.Transport{
		Proxy:               nil, // the node is the merchant's: never through an environment proxy
		DialContext:         dial,
		TLSClientConfig:     tlsConfig,
		TLSHandshakeTimeout: 15 * time.Second,
		ForceAttemptHTTP2:   true,
		IdleConnTimeout:     90 * time.Second,
		MaxIdleConnsPerHost: 8,
	}
	// Never follow a redirect: the macaroon header would go along.
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{
		base:     base,
		macaroon: hex.EncodeToString(cfg.Macaroon),
		http: &http.Client{
			Transport:     transport,
			Timeout:       cmp.Or(cfg.Timeout, DefaultTimeout),
			CheckRedirect: noRedirect,
		},
		stream:  &http.Client{Transport: transport, CheckRedirect: noRedirect},
		network: cfg.Network,
	}, nil
}

// parseRESTURL checks an https://host[:port] URL, adding lnd's default
// REST port when none is given.
func parseRESTURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(s), "/"))
	if err != nil {
		return nil, fmt.Errorf("lnd: REST URL: %w", err)
	}
	if u.Scheme != "https" {
		return nil, fmt.Errorf("lnd: REST URL %q: want https://host:port (lnd serves REST over TLS)", s)
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		// Not quoted: it may hold a password.
		return nil, errors.New("lnd: the REST URL must be just https://host:port")
	}
	if u.Port() == "" {
		u.Host = net.JoinHostPort(u.Hostname(), "8080")
	}
	return u, nil
}

// pinnedTLS trusts only certPEM when given, and the system roots otherwise.
//
// lnd's certificate is self-signed: when the node presents exactly the
// pinned certificate, the host name is not checked, for nodes are reached by
// names lnd did not put in it (an onion address, a Docker or LAN name) and
// the pin already names the one key that may answer. Any other certificate
// must chain to the pinned one and name host, as usual.
func pinnedTLS(certPEM []byte, host string) (*tls.Config, error) {
	if len(bytes.TrimSpace(certPEM)) == 0 {
		return &tls.Config{MinVersion: tls.VersionTLS12}, nil
	}
	var pinned []*x509.Certificate
	for rest := certPEM; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if c, err := x509.ParseCertificate(b.Bytes); err == nil && b.Type == "CERTIFICATE" {
			pinned = append(pinned, c)
		}
	}
	if len(pinned) == 0 {
		return nil, errors.New("lnd: the TLS certificate is not PEM (-----BEGIN CERTIFICATE-----, lnd's tls.cert)")
	}
	pool := x509.NewCertPool()
	for _, c := range pinned {
		pool.AddCert(c)
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		RootCAs:    pool,
		// Verification happens in VerifyConnection.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("lnd: no TLS certificate presented")
			}
			leaf := cs.PeerCertificates[0]
			for _, c := range pinned {
				if leaf.Equal(c) {
					return nil
				}
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := leaf.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, DNSName: host})
			if err != nil {
				return fmt.Errorf("lnd: the node's TLS certificate is not the pinned one "+
					"(did lnd make a new tls.cert? then reconnect with the new one): %w", err)
			}
			return nil
		},
	}, nil
}

// Network returns the chain of the node's invoices, or "" until the first
// invoice made by a client whose Config left it empty.
func (c *Client) Network() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.network
}

// checkNetwork learns the network from the first invoice and refuses
// invoices for another one.
func (c *Client) checkNetwork(network string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.network == "" {
		c.network = network
	}
	if network != c.network {
		return fmt.Errorf("lnd: the node made a %s invoice; this wallet is on %s", network, c.network)
	}
	return nil
}

// invoice is lnrpc.Invoice as lnd's REST API renders it: int64s as
// strings, bytes as base64 ([]byte decodes it).
type invoice struct {
	RHash          []byte `json:"r_hash"`
	RPreimage      []byte `json:"r_preimage"`
	PaymentRequest string `json:"payment_request"`
	ValueMsat      int64  `json:"value_msat,string"`
	AmtPaidMsat    int64  `json:"amt_paid_msat,string"`
	State          string `json:"state"`
	SettleDate     int64  `json:"settle_date,string"`
	SettleIndex    uint64 `json:"settle_index,string"`
}

// CreateInvoice makes an invoice of req.AmountMsat on the node, expiring at
// req.ExpiresAt (rounded up to the second after the current one: BOLT11
// counts whole seconds from its timestamp), with route hints for private
// channels. The invoice lnd returns is decoded and checked against what was
// asked: a node is trusted with the merchant's money, not with the
// gateway's bookkeeping.
func (c *Client) CreateInvoice(ctx context.Context, req gateway.InvoiceRequest) (gateway.Invoice, error) {
	if req.AmountMsat <= 0 {
		return gateway.Invoice{}, fmt.Errorf("lnd: invoice amount must be positive, got %d msat", req.AmountMsat)
	}
	now := time.Now().Truncate(time.Second)
	expiry := req.ExpiresAt.Sub(now)
	if expiry <= 0 {
		return gateway.Invoice{}, fmt.Errorf("lnd: invoice expiry %s is not in the future",
			req.ExpiresAt.Format(time.RFC3339Nano))
	}
	body := map[string]any{
		"value_msat": strconv.FormatInt(int64(req.AmountMsat), 10),
		"memo":       memo(req.Memo),
		"expiry":     strconv.FormatInt(int64((expiry+time.Second-1)/time.Second), 10),
		"private":    true,
	}
	var resp struct {
		RHash          []byte `json:"r_hash"`
		PaymentRequest string `json:"payment_request"`
	}
	if err := c.do(ctx, http.MethodPost, "/v1/invoices", body, &resp); err != nil {
		return gateway.Invoice{}, fmt.Errorf("lnd: create invoice: %w", err)
	}
	hash := hex.EncodeToString(resp.RHash)
	d, err := bolt11.Decode(resp.PaymentRequest)
	if err != nil {
		return gateway.Invoice{}, fmt.Errorf("lnd: the node returned an invalid invoice: %w", err)
	}
	switch {
	case len(resp.RHash) != sha256.Size || d.PaymentHash != hash:
		return gateway.Invoice{}, fmt.Errorf("lnd: the node returned an invoice for hash %s, not its r_hash %s",
			d.PaymentHash, hash)
	case d.AmountMsat != req.AmountMsat:
		return gateway.Invoice{}, fmt.Errorf("lnd: the node returned an invoice of %d msat, not %d",
			d.AmountMsat, req.AmountMsat)
	}
	if err := c.checkNetwork(d.Network); err != nil {
		return gateway.Invoice{}, err
	}
	return gateway.Invoice{
		PaymentHash:    hash,
		PaymentRequest: resp.PaymentRequest,
		AmountMsat:     req.AmountMsat,
		State:          gateway.InvoiceOpen,
	}, nil
}

// memo cuts m on a character boundary to what a BOLT11 description holds.
func memo(m string) string {
	if len(m) <= maxMemo {
		return m
	}
	cut := maxMemo
	for cut > 0 && !utf8.RuneStart(m[cut]) {
		cut--
	}
	return m[:cut]
}

// LookupInvoice reports the node's invoice with this payment hash (hex).
// An unknown hash is gateway.ErrNotFound. The preimage is given only for a
// settled invoice, after checking that it hashes to the payment hash.
func (c *Client) LookupInvoice(ctx context.Context, paymentHash string) (gateway.Invoice, error) {
	hash := strings.ToLower(paymentHash)
	if b, err := hex.DecodeString(hash); err != nil || len(b) != sha256.Size {
		return gateway.Invoice{}, fmt.Errorf("lnd: invoice %q: not a payment hash: %w", paymentHash, gateway.ErrNotFound)
	}
	var inv invoice
	err := c.do(ctx, http.MethodGet, "/v1/invoice/"+hash, nil, &inv)
	if e := (*apiError)(nil); errors.As(err, &e) && e.notFound() {
		return gateway.Invoice{}, fmt.Errorf("lnd: invoice %s: %w", hash, gateway.ErrNotFound)
	}
	if err != nil {
		return gateway.Invoice{}, fmt.Errorf("lnd: look up invoice %s: %w", hash, err)
	}
	if hex.EncodeToString(inv.RHash) != hash {
		return gateway.Invoice{}, fmt.Errorf("lnd: asked for invoice %s, the node answered with %x", hash, inv.RHash)
	}
	out := gateway.Invoice{
		PaymentHash:    hash,
		PaymentRequest: inv.PaymentRequest,
		AmountMsat:     gateway.MilliSat(inv.ValueMsat),
	}
	switch inv.State {
	case "OPEN", "ACCEPTED": // ACCEPTED: a hold invoice's HTLCs are in, not yet settled
		out.State = gateway.InvoiceOpen
	case "CANCELED":
		out.State = gateway.InvoiceCanceled
	case "SETTLED":
		if sum := sha256.Sum256(inv.RPreimage); hex.EncodeToString(sum[:]) != hash {
			return gateway.Invoice{}, fmt.Errorf("lnd: settled invoice %s: the preimage does not match the hash", hash)
		}
		out.State = gateway.InvoiceSettled
		out.AmountPaidMsat = gateway.MilliSat(inv.AmtPaidMsat)
		out.Preimage = hex.EncodeToString(inv.RPreimage)
		out.SettledAt = time.Unix(inv.SettleDate, 0).UTC()
	default:
		return gateway.Invoice{}, fmt.Errorf("lnd: invoice %s in unknown state %q", hash, inv.State)
	}
	return out, nil
}

// Test proves the connection end to end: it makes a 1-sat invoice
// expiring in a minute and looks it up, and returns the node's network.
// Errors say what to fix.
func (c *Client) Test(ctx context.Context) (network string, err error) {
	inv, err := c.CreateInvoice(ctx, gateway.InvoiceRequest{
		AmountMsat: 1000,
		Memo:       TestMemo,
		ExpiresAt:  time.Now().Add(testExpiry),
	})
	if err != nil {
		return "", err
	}
	got, err := c.LookupInvoice(ctx, inv.PaymentHash)
	if err != nil {
		return "", err
	}
	if got.PaymentRequest != inv.PaymentRequest || got.State != gateway.InvoiceOpen {
		return "", fmt.Errorf("lnd: the test invoice %s reads back as %s %q", inv.PaymentHash, got.State, got.PaymentRequest)
	}
	return c.Network(), nil
}

// SubscribeSettled streams the node's settlements after settleIndex and
// calls fn with the payment hash (hex) and settle index of each, in order;
// invoices being added are ignored. settleIndex 0 streams only new
// settlements: lnd cannot replay its first one (reconcile open invoices
// with LookupInvoice instead). It returns fn's error, ctx's, or an error
// when the stream ends; the caller reconnects with backoff from the last
// index it has applied. Settle indexes may have gaps.
//
// It calls live (unless nil) once the subscription request has reached the
// node over a verified TLS connection: lnd sends nothing, not even the
// response headers, until the first event, so that is the earliest sign
// the stream is up. A node that cannot be reached never makes it live.
//
// Only ever pass indexes this node delivered: lnd silently skips live
// settlements at or below the cursor, so an index from another node (or
// from before the node was re-created) hides payments until it is passed.
func (c *Client) SubscribeSettled(ctx context.Context, settleIndex uint64, live func(),
	fn func(paymentHash string, settleIndex uint64) error) error {
	path := "/v1/invoices/subscribe"
	if settleIndex > 0 {
		path += "?settle_index=" + strconv.FormatUint(settleIndex, 10)
	}
	if live != nil {
		var once sync.Once
		ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
			WroteRequest: func(i httptrace.WroteRequestInfo) {
				if i.Err == nil {
					once.Do(live)
				}
			},
		})
	}
	// No overall timeout: the stream lives until ctx ends.
	resp, err := c.send(ctx, c.stream, http.MethodGet, path, nil)
	if err != nil {
		return fmt.Errorf("lnd: subscribe to invoices: %w", err)
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	for {
		var msg struct {
			Result *invoice  `json:"result"`
			Error  *apiError `json:"error"`
		}
		if err := dec.Decode(&msg); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, io.EOF) {
				return errors.New("lnd: the invoice stream ended")
			}
			return fmt.Errorf("lnd: invoice stream: %w", err)
		}
		switch {
		case msg.Error != nil && ctx.Err() != nil:
			return ctx.Err() // lnd reports our own cancellation as a stream error
		case msg.Error != nil:
			msg.Error.Status = resp.StatusCode
			return fmt.Errorf("lnd: invoice stream: %w", msg.Error)
		case msg.Result == nil || msg.Result.State != "SETTLED" || msg.Result.SettleIndex <= settleIndex:
			continue
		}
		if len(msg.Result.RHash) != sha256.Size {
			return fmt.Errorf("lnd: invoice stream: settlement %d has no payment hash", msg.Result.SettleIndex)
		}
		settleIndex = msg.Result.SettleIndex
		if err := fn(hex.EncodeToString(msg.Result.RHash), settleIndex); err != nil {
			return err
		}
	}
}

// apiError is lnd's error body, {"code": <gRPC code>, "message": "…"}.
type apiError struct {
	Status  int    `json:"-"` // HTTP status
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// gRPC status codes lnd's REST proxy reports.
const (
	grpcNotFound         = 5
	grpcPermissionDenied = 7
	grpcUnauthenticated  = 16
)

func (e *apiError) Error() string {
	msg := e.Message
	switch {
	case e.Code == grpcPermissionDenied || strings.Contains(msg, "permission denied"):
		msg += " (the macaroon lacks a permission; bake one with " + BakeCommand + ")"
	case e.Code == grpcUnauthenticated || strings.Contains(msg, "verification failed"):
		msg += " (the macaroon is not one of this node's)"
	case e.Status == http.StatusUnsupportedMediaType:
		// HTTP/2 to lnd's gRPC port: grpc-go refuses non-gRPC requests.
		msg = "this port speaks gRPC, not REST: use lnd's REST port (restlisten, 8080 by default)"
	}
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("HTTP %d: %s", e.Status, msg)
}

func (e *apiError) notFound() bool {
	return e.Status == http.StatusNotFound || e.Code == grpcNotFound
}

// do sends a request with in as its JSON body (unless nil) and decodes a
// successful answer into out.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	resp, err := c.send(ctx, c.http, method, path, in)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("unexpected answer from %s: %w", path, err)
	}
	return nil
}

// send sends a request and returns the response if its status is 2xx;
// otherwise an *apiError. The caller closes the body.
func (c *Client) send(ctx context.Context, client *http.Client, method, path string, in any) (*http.Response, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Grpc-Metadata-macaroon", c.macaroon)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err // *url.Error: names the URL, never the header
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	e := &apiError{Status: resp.StatusCode}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if json.Unmarshal(b, e) != nil || e.Message == "" {
		e.Message = strings.TrimSpace(string(b))
		if len(e.Message) > 200 {
			e.Message = e.Message[:200] + "…"
		}
	}
	return nil, e
}
