// Package lnbits is a gateway.Wallet on one LNbits wallet through its REST
// API with the wallet's invoice/read key (X-Api-Key): invoices are made with
// POST /api/v1/payments (out=false) and looked up with
// GET /api/v1/payments/{hash}. LNbits has no settlement cursor, so the
// gateway polls each open invoice (gateway.InvoicePoller); its websocket
// only hints at payments, for anyone may broadcast on it.
//
// The admin key, which can spend, is refused: LNbits's GET /api/v1/wallet
// gives the wallet's id only to the admin key.
package lnbits

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/satsrail/satsrail/internal/bolt11"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/wallet/walletkit"
	"github.com/satsrail/satsrail/internal/wallet/walletnet"
)

// DefaultTimeout bounds each request but the websocket.
const DefaultTimeout = 20 * time.Second

// maxMemo keeps the description inside what a BOLT11 field holds.
const maxMemo = 639

// ErrAdminKey means the key given is the wallet's admin key.
var ErrAdminKey = errors.New("lnbits: this is the wallet's admin key, which can spend its funds; " +
	"connect the Invoice/read key instead (LNbits: open the wallet → \"Node URL, API keys and API docs\" → Invoice/read key)")

// Config is one LNbits wallet.
type Config struct {
	// URL is the LNbits server, https://host[:port][/prefix].
	URL string
	// APIKey is the wallet's invoice/read key.
	APIKey string
	// Network is the chain of its invoices; empty learns it from the first.
	Network string
	// Timeout bounds each request (DefaultTimeout when zero).
	Timeout time.Duration
	// DialContext, when set, makes every connection (the SSRF guard).
	DialContext walletnet.Dialer
}

// Client is a gateway.Wallet on one LNbits wallet; safe for concurrent use.
type Client struct {
	base *url.URL
	key  string
	http *http.Client
	dial walletnet.Dialer

	mu      sync.Mutex
	network *walletkit.Network // learnt from the first invoice, then held to
}

var (
	_ gateway.Wallet           = (*Client)(nil)
	_ gateway.ConnectionTester = (*Client)(nil)
	_ gateway.InvoicePoller    = (*Client)(nil)
	_ gateway.PaymentHinter    = (*Client)(nil)
)

// New returns a client for cfg; it makes no request (see Test).
func New(cfg Config) (*Client, error) {
	base, err := walletnet.ParseBase(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("lnbits: URL: %w", err)
	}
	key := strings.TrimSpace(cfg.APIKey)
	if b, err := hex.DecodeString(key); err != nil || len(b) < 16 {
		return nil, errors.New("lnbits: the API key must be the wallet's hex Invoice/read key")
	}
	switch cfg.Network {
	case "", "mainnet", "testnet", "signet", "regtest":
	default:
		return nil, fmt.Errorf("lnbits: unknown network %q", cfg.Network)
	}
	return &Client{base: base, key: key, dial: cfg.DialContext,
		http: walletnet.NewClient(cfg.DialContext, cmp.Or(cfg.Timeout, DefaultTimeout), false), network: walletkit.NewNetwork(cfg.Network)}, nil
}

// PollHost is the LNbits server's host.
func (c *Client) PollHost() string { return c.base.Host }

// Network returns the chain of the wallet's invoices ("" until known).
func (c *Client) Network() string { return c.network.Get() }

// payment is LNbits's Payment object, as much of it as is read. Older
// servers name the invoice payment_request only.
type payment struct {
	PaymentHash    string `json:"payment_hash"`
	CheckingID     string `json:"checking_id"`
	Bolt11         string `json:"bolt11"`
	PaymentRequest string `json:"payment_request"`
	Amount         int64  `json:"amount"` // msat, positive for incoming
	Status         string `json:"status"`
	Preimage       string `json:"preimage"`
	Time           any    `json:"time"`
}

func (p payment) invoice() string { return cmp.Or(p.Bolt11, p.PaymentRequest) }

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	return walletnet.Do(ctx, c.http, method, c.base.String()+path, http.Header{"X-Api-Key": {c.key}}, in, out)
}

// explain turns LNbits's error statuses into what to fix.
func explain(what string, err error) error {
	var se *walletnet.StatusError
	if errors.As(err, &se) {
		switch se.Status {
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("lnbits: %s: the API key was refused (HTTP %d): is it this wallet's Invoice/read key?", what, se.Status)
		case http.StatusNotFound:
			return fmt.Errorf("lnbits: %s: not found (HTTP 404): is the URL the LNbits server's?", what)
		}
	}
	return fmt.Errorf("lnbits: %s: %w", what, err)
}

// CreateInvoice makes an incoming payment (out=false: LNbits's default is
// an outgoing one) of req.AmountMsat, which must be whole satoshis, expiring
// at req.ExpiresAt, and checks the invoice returned.
func (c *Client) CreateInvoice(ctx context.Context, req gateway.InvoiceRequest) (gateway.Invoice, error) {
	if req.AmountMsat <= 0 || req.AmountMsat%1000 != 0 {
		return gateway.Invoice{}, fmt.Errorf("lnbits: invoice amount must be a positive whole number of satoshis, got %d msat", req.AmountMsat)
	}
	body := map[string]any{"out": false, "amount": int64(req.AmountMsat / 1000), "unit": "sat", "memo": cutMemo(req.Memo)}
	if !req.ExpiresAt.IsZero() {
		now := time.Now().Truncate(time.Second)
		expiry := req.ExpiresAt.Sub(now)
		if expiry <= 0 {
			return gateway.Invoice{}, errors.New("lnbits: invoice expiry is not in the future")
		}
		body["expiry"] = int64((expiry + time.Second - 1) / time.Second)
	}
	var p payment
	if err := c.do(ctx, http.MethodPost, "/api/v1/payments", body, &p); err != nil {
		return gateway.Invoice{}, explain("create invoice", err)
	}
	d, err := bolt11.Decode(p.invoice())
	if err != nil {
		return gateway.Invoice{}, fmt.Errorf("lnbits: the server returned an invalid invoice: %w", err)
	}
	hash := strings.ToLower(cmp.Or(p.PaymentHash, p.CheckingID))
	switch {
	case d.PaymentHash != hash:
		return gateway.Invoice{}, fmt.Errorf("lnbits: the server returned an invoice for hash %s, not its payment_hash %.64s", d.PaymentHash, hash)
	case d.AmountMsat != req.AmountMsat:
		return gateway.Invoice{}, fmt.Errorf("lnbits: the server returned an invoice of %d msat, not %d", d.AmountMsat, req.AmountMsat)
	}
	if err := c.network.Check(d.Network, "lnbits: the server's invoice"); err != nil {
		return gateway.Invoice{}, err
	}
	return gateway.Invoice{PaymentHash: hash, PaymentRequest: p.invoice(), AmountMsat: d.AmountMsat, State: gateway.InvoiceOpen}, nil
}

// LookupInvoice reads GET /api/v1/payments/{hash}; an unknown hash is
// gateway.ErrNotFound. A paid invoice must come with a preimage that hashes
// to it.
func (c *Client) LookupInvoice(ctx context.Context, paymentHash string) (gateway.Invoice, error) {
	hash := strings.ToLower(paymentHash)
	if b, err := hex.DecodeString(hash); err != nil || len(b) != sha256.Size {
		return gateway.Invoice{}, fmt.Errorf("lnbits: %.64q is not a payment hash: %w", paymentHash, gateway.ErrNotFound)
	}
	var r struct {
		Paid     bool    `json:"paid"`
		Status   string  `json:"status"`
		Preimage string  `json:"preimage"`
		Details  payment `json:"details"`
	}
	err := c.do(ctx, http.MethodGet, "/api/v1/payments/"+hash, nil, &r)
	if e := (*walletnet.StatusError)(nil); errors.As(err, &e) && e.Status == http.StatusNotFound {
		return gateway.Invoice{}, fmt.Errorf("lnbits: invoice %s: %w", hash, gateway.ErrNotFound)
	}
	if err != nil {
		return gateway.Invoice{}, explain("look up invoice "+hash, err)
	}
	d, err := bolt11.Decode(r.Details.invoice())
	if err != nil || d.PaymentHash != hash {
		return gateway.Invoice{}, fmt.Errorf("lnbits: the answer for invoice %s is about another invoice", hash)
	}
	out := gateway.Invoice{PaymentHash: hash, PaymentRequest: r.Details.invoice(), AmountMsat: d.AmountMsat, State: gateway.InvoiceOpen}
	switch {
	case r.Paid:
		pre := strings.ToLower(cmp.Or(r.Preimage, r.Details.Preimage))
		p, err := hex.DecodeString(pre)
		if sum := sha256.Sum256(p); err != nil || len(p) != 32 || hex.EncodeToString(sum[:]) != hash {
			return gateway.Invoice{}, fmt.Errorf("lnbits: invoice %s is said to be paid without a preimage that hashes to it", hash)
		}
		// Payment.amount is what the wallet was credited, in msat.
		out.State, out.Preimage, out.AmountPaidMsat = gateway.InvoiceSettled, pre, gateway.MilliSat(r.Details.Amount)
		out.SettledAt = time.Now().UTC()
	case r.Status == "failed":
		out.State = gateway.InvoiceCanceled
	}
	return out, nil
}

// Test proves the connection: the key must not be the admin key, and a
// 1-sat invoice is made and looked up. It returns the network.
func (c *Client) Test(ctx context.Context) (string, error) {
	var w map[string]any
	if err := c.do(ctx, http.MethodGet, "/api/v1/wallet", nil, &w); err != nil {
		return "", explain("read the wallet", err)
	}
	// LNbits answers {"id", "name", "balance"} to the admin key and
	// {"name", "balance"} to the invoice key.
	if _, ok := w["id"]; ok {
		return "", ErrAdminKey
	}
	inv, err := c.CreateInvoice(ctx, gateway.InvoiceRequest{AmountMsat: 1000, Memo: "satsrail connection test", ExpiresAt: time.Now().Add(time.Minute)})
	if err != nil {
		return "", err
	}
	got, err := c.LookupInvoice(ctx, inv.PaymentHash)
	if err != nil {
		return "", err
	}
	if got.State != gateway.InvoiceOpen {
		return "", fmt.Errorf("lnbits: the test invoice reads back as %s", got.State)
	}
	return c.Network(), nil
}

// PaymentHints follows the wallet's websocket (/api/v1/ws/{invoice key})
// and calls fn with the payment hash of each payment message. Anyone can
// broadcast on that channel, so these are hints only.
func (c *Client) PaymentHints(ctx context.Context, fn func(paymentHash string)) error {
	u := *c.base
	u.Scheme = map[string]string{"https": "wss", "http": "ws"}[u.Scheme]
	u.Path += "/api/v1/ws/" + c.key
	hc := walletnet.NewClient(c.dial, 0, false)
	conn, _, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		return errors.New("lnbits: websocket: could not connect") // the URL holds the key
	}
	defer conn.CloseNow()
	conn.SetReadLimit(64 << 10)
	for {
		_, b, err := conn.Read(ctx)
		if err != nil {
			return fmt.Errorf("lnbits: websocket: %w", err)
		}
		var m struct {
			Payment *payment `json:"payment"`
		}
		if json.Unmarshal(b, &m) != nil || m.Payment == nil {
			continue
		}
		if h := strings.ToLower(cmp.Or(m.Payment.PaymentHash, m.Payment.CheckingID)); len(h) == 64 {
			fn(h)
		}
	}
}

func cutMemo(m string) string {
	r := []rune(m)
	for len(string(r)) > maxMemo {
		r = r[:len(r)-1]
	}
	return string(r)
}
