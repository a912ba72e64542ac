package cln

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/wallet/walletkit"
)

const (
	// DefaultTimeout bounds each request but the settlement long-poll.
	DefaultTimeout = 30 * time.Second
	// DefaultWaitTimeout is how long each waitanyinvoice long-poll asks the
	// node to wait before it answers "timed out" and is asked again.
	DefaultWaitTimeout = 50 * time.Second
	// TestMemo is the description of the connection test's invoice.
	TestMemo = "satsrail connection test"
	// LabelPrefix starts the label of every invoice the gateway makes.
	LabelPrefix = "satsrail-"
	testExpiry  = time.Minute
	// maxMemo is the longest description a BOLT11 tagged field holds.
	maxMemo = 639
	// maxBody bounds the answers read whole.
	maxBody = 1 << 20
)

// Core Lightning JSON-RPC error codes the client branches on
// (doc/schemas: invoice, waitanyinvoice; clnrest's rune checks).
const (
	codeDuplicateLabel = 900
	codeWaitTimeout    = 904
	codeMissingRune    = 1501
	codeRuneRefused    = 1502
	codeUnknownMethod  = -32601
)

// Config is how to reach one node's clnrest plugin. Zero fields take
// defaults.
type Config struct {
	// RESTURL is clnrest's endpoint, https://host:port (clnrest-port,
	// often 3010).
	RESTURL string
	// Rune authorizes each call (the Rune header); New refuses one that
	// can do more than receive (CheckReceiveOnly).
	Rune string
	// TLSCertPEM pins clnrest's certificate authority (ca.pem in
	// clnrest-certs, by default the node's network directory), or its
	// server.pem; empty trusts the system roots, for a node behind a
	// CA-signed certificate.
	TLSCertPEM []byte
	// Network is the chain the node's invoices are for ("mainnet",
	// "testnet", "signet", "regtest"); empty learns it from getinfo or
	// the first invoice made.
	Network string
	// Timeout bounds each request but the long-poll; DefaultTimeout when
	// zero. WaitTimeout is each long-poll's wait; DefaultWaitTimeout when
	// zero.
	Timeout     time.Duration
	WaitTimeout time.Duration
	// DialContext, when set, makes every connection to the node (the
	// gateway's SSRF guard); nil dials directly.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Client is a gateway.Wallet on one Core Lightning node through clnrest.
// It is safe for concurrent use.
type Client struct {
	base        *url.URL
	rune        string
	http        *http.Client
	wait        *http.Client // the same transport, timed out after the long-poll
	waitTimeout time.Duration
	network     *walletkit.Network
}

var (
	_ gateway.Wallet               = (*Client)(nil)
	_ gateway.ConnectionTester     = (*Client)(nil)
	_ gateway.SettlementSubscriber = (*Client)(nil)
	_ gateway.CursorSeeder         = (*Client)(nil)
)

// New returns a client for cfg. It checks the configuration and the rune's
// restrictions but makes no request; see Test.
func New(cfg Config) (*Client, error) {
	base, err := ParseRESTURL(cfg.RESTURL)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(cfg.Rune) == "" {
		return nil, errors.New("cln: a rune is required")
	}
	if err := CheckReceiveOnly(cfg.Rune); err != nil {
		return nil, err
	}
	switch cfg.Network {
	case "", "mainnet", "testnet", "signet", "regtest":
	default:
		return nil, fmt.Errorf("cln: unknown network %q", cfg.Network)
	}
	tlsConfig, err := pinnedTLS(cfg.TLSCertPEM)
	if err != nil {
		return nil, err
	}
	transport := walletkit.Transport(cfg.DialContext, tlsConfig)
	timeout := cmp.Or(cfg.Timeout, DefaultTimeout)
	wait := cmp.Or(cfg.WaitTimeout, DefaultWaitTimeout)
	return &Client{
		base:        base,
		rune:        strings.TrimSpace(cfg.Rune),
		http:        &http.Client{Transport: transport, Timeout: timeout, CheckRedirect: walletkit.NoRedirect},
		wait:        &http.Client{Transport: transport, Timeout: wait + timeout, CheckRedirect: walletkit.NoRedirect},
		waitTimeout: wait,
		network:     walletkit.NewNetwork(cfg.Network),
	}, nil
}

// ParseRESTURL checks an https://host:port URL. clnrest has no default
// port, and plain HTTP is refused: the rune would travel in the clear and
// a man in the middle could hand out invoices of his own.
func ParseRESTURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(s), "/"))
	if err != nil {
		return nil, fmt.Errorf("cln: REST URL: %w", err)
	}
	if u.Scheme != "https" {
		return nil, errors.New("cln: the REST URL must be https://host:port (clnrest-protocol https, its default)")
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		// Not quoted: it may hold a secret.
		return nil, errors.New("cln: the REST URL must be just https://host:port")
	}
	if u.Port() == "" {
		return nil, errors.New("cln: the REST URL needs clnrest's port (clnrest-port, often 3010)")
	}
	u.Path = ""
	return u, nil
}

// Network returns the chain of the node's invoices, or "" until learnt.
func (c *Client) Network() string { return c.network.Get() }

// checkNetwork learns the network once and refuses any other.
func (c *Client) checkNetwork(network, what string) error {
	if err := c.network.Check(network, what); err != nil {
		return fmt.Errorf("cln: %w", err)
	}
	return nil
}

// msat is an amount in millisatoshi as Core Lightning writes it: a number
// since v23.x, a string ending in "msat" before.
type msat int64

func (m *msat) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	s = strings.TrimSuffix(s, "msat")
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("cln: amount %s: %w", b, err)
	}
	*m = msat(n)
	return nil
}

// invoice is one entry of listinvoices (and the answer of waitanyinvoice).
type invoice struct {
	Label              string `json:"label"`
	Bolt11             string `json:"bolt11"`
	PaymentHash        string `json:"payment_hash"`
	AmountMsat         *msat  `json:"amount_msat"`
	Status             string `json:"status"` // unpaid, paid, expired
	PayIndex           uint64 `json:"pay_index"`
	AmountReceivedMsat *msat  `json:"amount_received_msat"`
	PaidAt             int64  `json:"paid_at"`
	PaymentPreimage    string `json:"payment_preimage"`
	ExpiresAt          int64  `json:"expires_at"`
}

// CreateInvoice makes an invoice of req.AmountMsat expiring at
// req.ExpiresAt (rounded up to the second after the current one). Its
// label is unique (Core Lightning refuses a reused one): the session id and
// random digits, so every call makes a new invoice. The invoice the node
// returns is decoded and checked against what was asked.
func (c *Client) CreateInvoice(ctx context.Context, req gateway.InvoiceRequest) (gateway.Invoice, error) {
	if req.AmountMsat <= 0 {
		return gateway.Invoice{}, fmt.Errorf("cln: invoice amount must be positive, got %d msat", req.AmountMsat)
	}
	expiry, err := walletkit.ExpirySeconds(time.Now(), req.ExpiresAt)
	if err != nil {
		return gateway.Invoice{}, fmt.Errorf("cln: %w", err)
	}
	body := map[string]any{
		"amount_msat": int64(req.AmountMsat),
		"label":       label(req.SessionID),
		"description": memo(req.Memo),
		"expiry":      expiry,
	}
	var resp struct {
		Bolt11      string `json:"bolt11"`
		PaymentHash string `json:"payment_hash"`
	}
	if err := c.call(ctx, c.http, "invoice", body, &resp); err != nil {
		return gateway.Invoice{}, fmt.Errorf("cln: create invoice: %w", err)
	}
	inv, err := c.network.CheckCreated(resp.Bolt11, resp.PaymentHash, req.AmountMsat)
	if err != nil {
		return gateway.Invoice{}, fmt.Errorf("cln: %w", err)
	}
	return inv, nil
}

// label is a fresh invoice label naming the session.
func label(sessionID string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return LabelPrefix + cmp.Or(sessionID, "test") + "-" + hex.EncodeToString(b)
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
// paid invoice, after checking that it hashes to the payment hash.
func (c *Client) LookupInvoice(ctx context.Context, paymentHash string) (gateway.Invoice, error) {
	hash := strings.ToLower(paymentHash)
	if !walletkit.IsHash(hash) {
		return gateway.Invoice{}, fmt.Errorf("cln: invoice %q: not a payment hash: %w", walletkit.Clip(paymentHash), gateway.ErrNotFound)
	}
	var resp struct {
		Invoices []invoice `json:"invoices"`
	}
	if err := c.call(ctx, c.http, "listinvoices", map[string]any{"payment_hash": hash}, &resp); err != nil {
		return gateway.Invoice{}, fmt.Errorf("cln: look up invoice %s: %w", hash, err)
	}
	switch len(resp.Invoices) {
	case 0:
		return gateway.Invoice{}, fmt.Errorf("cln: invoice %s: %w", hash, gateway.ErrNotFound)
	case 1:
	default:
		return gateway.Invoice{}, fmt.Errorf("cln: the node lists %d invoices for hash %s", len(resp.Invoices), hash)
	}
	return toGateway(resp.Invoices[0], hash)
}

// toGateway translates a listinvoices entry asked for by hash.
func toGateway(inv invoice, hash string) (gateway.Invoice, error) {
	if inv.PaymentHash != hash {
		return gateway.Invoice{}, fmt.Errorf("cln: asked for invoice %s, the node answered with %q", hash, walletkit.Clip(inv.PaymentHash))
	}
	out := gateway.Invoice{PaymentHash: hash, PaymentRequest: inv.Bolt11}
	if inv.AmountMsat != nil {
		out.AmountMsat = gateway.MilliSat(*inv.AmountMsat)
	}
	switch inv.Status {
	case "unpaid":
		out.State = gateway.InvoiceOpen
	case "expired":
		out.State = gateway.InvoiceCanceled
	case "paid":
		pre, err := hex.DecodeString(inv.PaymentPreimage)
		if sum := sha256.Sum256(pre); err != nil || hex.EncodeToString(sum[:]) != hash {
			return gateway.Invoice{}, fmt.Errorf("cln: paid invoice %s: the preimage does not match the hash", hash)
		}
		if inv.AmountReceivedMsat == nil {
			return gateway.Invoice{}, fmt.Errorf("cln: paid invoice %s has no amount_received_msat", hash)
		}
		out.State = gateway.InvoiceSettled
		out.AmountPaidMsat = gateway.MilliSat(*inv.AmountReceivedMsat)
		out.Preimage = inv.PaymentPreimage
		out.SettledAt = time.Unix(inv.PaidAt, 0).UTC()
	default:
		return gateway.Invoice{}, fmt.Errorf("cln: invoice %s in unknown status %q", hash, walletkit.Clip(inv.Status))
	}
	return out, nil
}

// networks maps getinfo's network names to the gateway's.
var networks = map[string]string{
	"bitcoin": "mainnet", "testnet": "testnet", "testnet4": "testnet", "signet": "signet", "regtest": "regtest",
}

// Test proves the connection end to end: it reads the node's network
// (getinfo, when the rune allows it), makes a 1-sat invoice expiring in a
// minute and looks it up. Errors say what to fix.
func (c *Client) Test(ctx context.Context) (network string, err error) {
	var info struct {
		Network string `json:"network"`
	}
	err = c.call(ctx, c.http, "getinfo", map[string]any{}, &info)
	switch e := (*apiError)(nil); {
	case err == nil:
		n, ok := networks[info.Network]
		if !ok {
			return "", fmt.Errorf("cln: the node is on network %q, which the gateway does not take", walletkit.Clip(info.Network))
		}
		if err := c.checkNetwork(n, "the node"); err != nil {
			return "", err
		}
	case errors.As(err, &e) && e.runeRefused():
		// A rune without getinfo: the invoice says the network.
	default:
		return "", fmt.Errorf("cln: getinfo: %w", err)
	}
	inv, err := c.CreateInvoice(ctx, gateway.InvoiceRequest{AmountMsat: 1000, Memo: TestMemo, ExpiresAt: time.Now().Add(testExpiry)})
	if err != nil {
		return "", err
	}
	got, err := c.LookupInvoice(ctx, inv.PaymentHash)
	if err != nil {
		return "", err
	}
	if got.PaymentRequest != inv.PaymentRequest || got.State != gateway.InvoiceOpen {
		return "", fmt.Errorf("cln: the test invoice %s reads back as %s", inv.PaymentHash, got.State)
	}
	return c.Network(), nil
}

// waitAny calls waitanyinvoice: the paid invoice with the lowest pay_index
// above lastPayIndex, once there is one, or ok false after timeout.
func (c *Client) waitAny(ctx context.Context, lastPayIndex uint64, timeout time.Duration) (inv invoice, ok bool, err error) {
	err = c.call(ctx, c.wait, "waitanyinvoice",
		map[string]any{"lastpay_index": lastPayIndex, "timeout": int64(timeout / time.Second)}, &inv)
	if e := (*apiError)(nil); errors.As(err, &e) && e.Code == codeWaitTimeout {
		return invoice{}, false, nil
	}
	if err != nil {
		return invoice{}, false, err
	}
	if inv.Status != "paid" || inv.PayIndex <= lastPayIndex || !walletkit.IsHash(inv.PaymentHash) {
		return invoice{}, false, fmt.Errorf("cln: waitanyinvoice after %d answered pay_index %d, status %q", lastPayIndex, inv.PayIndex, walletkit.Clip(inv.Status))
	}
	return inv, true, nil
}

// SettlementCursor returns the node's highest pay_index (0 before its first
// payment): where a newly connected wallet's cursor starts, for from 0
// waitanyinvoice would replay every payment the node ever received. It
// searches with waitanyinvoice timeout 0, which answers at once with the
// lowest pay_index above the one given, or "timed out" when there is none:
// a few calls (logarithmic in the index) with the rune's own methods, where
// listing every invoice could be megabytes.
func (c *Client) SettlementCursor(ctx context.Context) (uint64, error) {
	above := func(i uint64) (uint64, bool, error) {
		inv, ok, err := c.waitAny(ctx, i, 0)
		return inv.PayIndex, ok, err
	}
	// lo is a pay_index that exists (or 0); none exists above hi.
	lo, ok, err := above(0)
	if err != nil || !ok {
		return 0, err
	}
	hi := uint64(0)
	for probe := 2 * lo; hi == 0; probe = 2 * lo {
		p, ok, err := above(probe)
		switch {
		case err != nil:
			return 0, err
		case ok:
			lo = p
		default:
			hi = probe
		}
	}
	for lo < hi {
		mid := lo + (hi-lo)/2
		p, ok, err := above(mid)
		switch {
		case err != nil:
			return 0, err
		case ok:
			lo = p
		default:
			hi = mid
		}
	}
	return lo, nil
}

// SubscribeSettled long-polls waitanyinvoice from payIndex and calls fn
// with the payment hash (hex) and pay_index of each invoice paid after it,
// in order, including those paid while nobody was waiting (the node
// replays them one per call). Each poll waits at most WaitTimeout and is
// then asked again. It returns fn's error, ctx's, or the node's; the
// caller reconnects with backoff from the last index it has applied.
//
// payIndex 0 replays every payment the node ever received: start a new
// connection at SettlementCursor.
//
// The first call waits not at all, so that live (unless nil) is called as
// soon as the node has answered once: from then on no payment is missed.
func (c *Client) SubscribeSettled(ctx context.Context, payIndex uint64, live func(), fn func(paymentHash string, payIndex uint64) error) error {
	wait := time.Duration(0)
	for {
		inv, ok, err := c.waitAny(ctx, payIndex, wait)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			return fmt.Errorf("cln: waitanyinvoice: %w", err)
		}
		if live != nil {
			live()
			live = nil
		}
		wait = c.waitTimeout
		if !ok {
			continue
		}
		payIndex = inv.PayIndex
		if err := fn(inv.PaymentHash, payIndex); err != nil {
			return err
		}
	}
}

// apiError is a clnrest error answer: {"code": …, "message": …}. Only the
// code and status are kept: the node's text is not repeated to merchants.
type apiError struct {
	Status int `json:"-"`
	Code   int `json:"code"`
}

func (e *apiError) runeRefused() bool {
	return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
}

func (e *apiError) Error() string {
	var why string
	switch {
	case e.Code == codeMissingRune:
		why = "the node wants a rune (Rune header)"
	case e.Code == codeRuneRefused || e.runeRefused():
		why = "the node refused the rune (not one of this node's, revoked, or not allowing this method; make one with " + CreateRuneCommand + ")"
	case e.Code == codeUnknownMethod || e.Status == http.StatusNotFound:
		why = "no such clnrest method (is rest_url clnrest's port?)"
	case e.Code == codeDuplicateLabel:
		why = "the invoice label is already taken"
	case e.Code == codeWaitTimeout:
		why = "timed out waiting"
	case e.Code != 0:
		why = fmt.Sprintf("Core Lightning error %d", e.Code)
	default:
		why = http.StatusText(e.Status)
	}
	return fmt.Sprintf("HTTP %d: %s", e.Status, why)
}

// call calls an RPC method through clnrest: POST /v1/<method> with the
// params as a JSON object and the rune; success is 201 with the result.
func (c *Client) call(ctx context.Context, client *http.Client, method string, params, out any) error {
	b, err := json.Marshal(params)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base.String()+"/v1/"+method, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Rune", c.rune)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err // *url.Error: names the URL, never the header
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		e := &apiError{Status: resp.StatusCode}
		_ = json.Unmarshal(body, e)
		return e
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("unexpected answer from %s (is rest_url clnrest's?)", method)
	}
	return nil
}
