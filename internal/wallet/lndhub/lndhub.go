// Package lndhub is a gateway.Wallet on an LNDhub account (the BlueWallet
// protocol, lndhub.go): lndhub://login:password@https://host. An LNDhub is
// custodial by design — the hub's operator holds the account's funds — so
// it is safe for a merchant only on a hub the merchant runs or trusts.
//
// Invoices are made with POST /addinvoice and polled with
// GET /checkpayment/{hash}; a paid one is settled only with its preimage,
// which lndhub.go gives at GET /v2/invoices/{hash} (the classic BlueWallet
// LndHub never reveals it, and is refused at connect time).
package lndhub

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
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/satsrail/satsrail/internal/bolt11"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/wallet/walletkit"
	"github.com/satsrail/satsrail/internal/wallet/walletnet"
)

// DefaultTimeout bounds each request.
const DefaultTimeout = 20 * time.Second

// Custodial is the warning every LNDhub connection carries.
const Custodial = "LNDhub accounts are custodial: the hub's operator holds the funds received. Use a hub you run or trust."

// ErrNoPreimage means the hub does not reveal its invoices' preimages, so
// no payment to it could be proven.
var ErrNoPreimage = errors.New("lndhub: the hub does not give the preimage of paid invoices (GET /v2/invoices/{hash}, lndhub.go), " +
	"so payments to it cannot be proven; use an lndhub.go hub (Alby's) or connect the node itself")

// Config is one LNDhub account.
type Config struct {
	// URL is the hub, https://host[:port][/prefix].
	URL             string
	Login, Password string
	// Network is the chain of its invoices; empty learns it from the first.
	Network string
	Timeout time.Duration
	// DialContext, when set, makes every connection (the SSRF guard).
	DialContext walletnet.Dialer
}

// ParseURI splits lndhub://login:password@https://host into its parts.
func ParseURI(s string) (Config, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "lndhub://")
	if !ok {
		return Config{}, errors.New("lndhub: want lndhub://login:password@https://host")
	}
	i := strings.LastIndex(rest, "@http")
	if i < 0 {
		return Config{}, errors.New("lndhub: want lndhub://login:password@https://host (the hub's URL after @)")
	}
	login, password, ok := strings.Cut(rest[:i], ":")
	if !ok || login == "" || password == "" {
		return Config{}, errors.New("lndhub: the login and password are missing (lndhub://login:password@https://host)")
	}
	return Config{URL: rest[i+1:], Login: login, Password: password}, nil
}

// Client is a gateway.Wallet on one LNDhub account; safe for concurrent use.
type Client struct {
	base            *url.URL
	login, password string
	http            *http.Client

	mu      sync.Mutex
	network *walletkit.Network // learnt from the first invoice, then held to
	access  string             // bearer token, "" until authenticated
	refresh string
}

var (
	_ gateway.Wallet            = (*Client)(nil)
	_ gateway.ConnectionTester  = (*Client)(nil)
	_ gateway.InvoicePoller     = (*Client)(nil)
	_ gateway.FixedExpiryWallet = (*Client)(nil)
)

// New returns a client for cfg; it makes no request (see Test).
func New(cfg Config) (*Client, error) {
	base, err := walletnet.ParseBase(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("lndhub: URL: %w", err)
	}
	if cfg.Login == "" || cfg.Password == "" {
		return nil, errors.New("lndhub: login and password are required")
	}
	switch cfg.Network {
	case "", "mainnet", "testnet", "signet", "regtest":
	default:
		return nil, fmt.Errorf("lndhub: unknown network %q", cfg.Network)
	}
	return &Client{base: base, login: cfg.Login, password: cfg.Password, network: walletkit.NewNetwork(cfg.Network),
		http: walletnet.NewClient(cfg.DialContext, cmp.Or(cfg.Timeout, DefaultTimeout), false)}, nil
}

// PollHost is the hub's host.
func (c *Client) PollHost() string { return c.base.Host }

// InvoiceExpiryFixed: /addinvoice takes no expiry (hubs give a day).
func (c *Client) InvoiceExpiryFixed() bool { return true }

// Network returns the chain of the account's invoices ("" until known).
func (c *Client) Network() string { return c.network.Get() }

// hubError is LNDhub's error shape, sent with 200 by the classic hub and
// with 4xx by lndhub.go.
type hubError struct {
	Error   bool   `json:"error"`
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// badAuth is LNDhub's code for a missing or expired token.
const badAuth = 1

// auth gets a token: from the refresh token when there is one, else from
// the login and password.
func (c *Client) auth(ctx context.Context) error {
	c.mu.Lock()
	refresh := c.refresh
	c.mu.Unlock()
	var out struct {
		hubError
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if refresh != "" {
		err := walletnet.Do(ctx, c.http, http.MethodPost, c.base.String()+"/auth?type=refresh_token", nil,
			map[string]string{"refresh_token": refresh}, &out)
		if err == nil && !out.Error && out.AccessToken != "" {
			c.setTokens(out.AccessToken, out.RefreshToken)
			return nil
		}
	}
	out.hubError = hubError{}
	err := walletnet.Do(ctx, c.http, http.MethodPost, c.base.String()+"/auth?type=auth", nil,
		map[string]string{"login": c.login, "password": c.password}, &out)
	var se *walletnet.StatusError
	switch {
	case errors.As(err, &se) && (se.Status == http.StatusUnauthorized || se.Status == http.StatusBadRequest):
		return errors.New("lndhub: the hub refused the login and password")
	case err != nil:
		return fmt.Errorf("lndhub: authenticate: %w", err)
	case out.Error || out.AccessToken == "":
		return errors.New("lndhub: the hub refused the login and password")
	}
	c.setTokens(out.AccessToken, out.RefreshToken)
	return nil
}

func (c *Client) setTokens(access, refresh string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.access, c.refresh = access, cmp.Or(refresh, c.refresh)
}

// do calls the hub with the account's token, authenticating first and once
// more when the hub says the token is bad. It returns LNDhub errors sent
// with 200 as *hubErr.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	for attempt := 0; ; attempt++ {
		c.mu.Lock()
		token := c.access
		c.mu.Unlock()
		if token == "" {
			if err := c.auth(ctx); err != nil {
				return err
			}
			continue
		}
		var raw map[string]any
		err := walletnet.Do(ctx, c.http, method, c.base.String()+path, http.Header{"Authorization": {"Bearer " + token}}, in, &raw)
		var se *walletnet.StatusError
		unauthorized := errors.As(err, &se) && se.Status == http.StatusUnauthorized
		if err == nil {
			if e, ok := raw["error"].(bool); ok && e {
				code, _ := raw["code"].(float64)
				if int(code) == badAuth {
					unauthorized = true
				} else {
					return &hubErr{code: int(code)}
				}
			}
		}
		if unauthorized && attempt == 0 {
			c.mu.Lock()
			c.access = "" // the refresh token may still be good
			c.mu.Unlock()
			if err := c.auth(ctx); err != nil {
				return err
			}
			continue
		}
		if unauthorized {
			return errors.New("lndhub: the hub refused the account's token")
		}
		if err != nil {
			return err
		}
		return remarshal(raw, out)
	}
}

// hubErr is an LNDhub error answer; its message is not quoted.
type hubErr struct{ code int }

func (e *hubErr) Error() string { return "the hub answered with error code " + strconv.Itoa(e.code) }

// CreateInvoice makes an invoice of req.AmountMsat, which must be whole
// satoshis, and checks it. The hub chooses the expiry (a day); the gateway
// holds it to cover the session.
func (c *Client) CreateInvoice(ctx context.Context, req gateway.InvoiceRequest) (gateway.Invoice, error) {
	if req.AmountMsat <= 0 || req.AmountMsat%1000 != 0 {
		return gateway.Invoice{}, fmt.Errorf("lndhub: invoice amount must be a positive whole number of satoshis, got %d msat", req.AmountMsat)
	}
	var out struct {
		PaymentRequest string `json:"payment_request"`
		PayReq         string `json:"pay_req"`
	}
	body := map[string]string{"amt": strconv.FormatInt(int64(req.AmountMsat/1000), 10), "memo": req.Memo}
	if err := c.do(ctx, http.MethodPost, "/addinvoice", body, &out); err != nil {
		return gateway.Invoice{}, fmt.Errorf("lndhub: create invoice: %w", err)
	}
	// r_hash comes as hex, base64 or a Buffer's JSON depending on the hub:
	// the invoice itself says its hash.
	pr := cmp.Or(out.PaymentRequest, out.PayReq)
	d, err := bolt11.Decode(pr)
	if err != nil {
		return gateway.Invoice{}, fmt.Errorf("lndhub: the hub returned an invalid invoice: %w", err)
	}
	if d.AmountMsat != req.AmountMsat {
		return gateway.Invoice{}, fmt.Errorf("lndhub: the hub returned an invoice of %d msat, not %d", d.AmountMsat, req.AmountMsat)
	}
	if err := c.network.Check(d.Network, "lndhub: the hub's invoice"); err != nil {
		return gateway.Invoice{}, err
	}
	return gateway.Invoice{PaymentHash: d.PaymentHash, PaymentRequest: pr, AmountMsat: d.AmountMsat, State: gateway.InvoiceOpen}, nil
}

// v2Invoice is lndhub.go's GET /v2/invoices/{hash}.
type v2Invoice struct {
	PaymentHash     string    `json:"payment_hash"`
	PaymentRequest  string    `json:"payment_request"`
	PaymentPreimage string    `json:"payment_preimage"`
	Amount          int64     `json:"amount"` // sat
	IsPaid          bool      `json:"is_paid"`
	SettledAt       time.Time `json:"settled_at"`
}

// LookupInvoice asks /checkpayment whether the invoice is paid; a paid one
// is read from /v2/invoices for its preimage, which must hash to it. An
// invoice the hub does not know for this account is gateway.ErrNotFound.
func (c *Client) LookupInvoice(ctx context.Context, paymentHash string) (gateway.Invoice, error) {
	hash := strings.ToLower(paymentHash)
	if b, err := hex.DecodeString(hash); err != nil || len(b) != sha256.Size {
		return gateway.Invoice{}, fmt.Errorf("lndhub: %.64q is not a payment hash: %w", paymentHash, gateway.ErrNotFound)
	}
	var chk struct {
		Paid bool `json:"paid"`
	}
	err := c.do(ctx, http.MethodGet, "/checkpayment/"+hash, nil, &chk)
	var he *hubErr
	var se *walletnet.StatusError
	if errors.As(err, &he) || errors.As(err, &se) && (se.Status == http.StatusBadRequest || se.Status == http.StatusNotFound) {
		// lndhub.go answers an invoice of another account, or none, with
		// 400 "bad arguments".
		return gateway.Invoice{}, fmt.Errorf("lndhub: invoice %s: %w", hash, gateway.ErrNotFound)
	}
	if err != nil {
		return gateway.Invoice{}, fmt.Errorf("lndhub: check invoice %s: %w", hash, err)
	}
	inv, err := c.v2Invoice(ctx, hash)
	if err != nil {
		return gateway.Invoice{}, err
	}
	d, err := bolt11.Decode(inv.PaymentRequest)
	if err != nil || d.PaymentHash != hash {
		return gateway.Invoice{}, fmt.Errorf("lndhub: the answer for invoice %s is about another invoice", hash)
	}
	out := gateway.Invoice{PaymentHash: hash, PaymentRequest: inv.PaymentRequest, AmountMsat: d.AmountMsat, State: gateway.InvoiceOpen}
	if !chk.Paid && !inv.IsPaid {
		return out, nil
	}
	pre := strings.ToLower(inv.PaymentPreimage)
	p, err := hex.DecodeString(pre)
	if sum := sha256.Sum256(p); err != nil || len(p) != 32 || hex.EncodeToString(sum[:]) != hash {
		return gateway.Invoice{}, fmt.Errorf("lndhub: invoice %s is said to be paid without a preimage that hashes to it", hash)
	}
	out.State, out.Preimage = gateway.InvoiceSettled, pre
	out.AmountPaidMsat = gateway.MilliSat(max(inv.Amount*1000, int64(d.AmountMsat)))
	out.SettledAt = inv.SettledAt.UTC()
	if out.SettledAt.IsZero() {
		out.SettledAt = time.Now().UTC()
	}
	return out, nil
}

func (c *Client) v2Invoice(ctx context.Context, hash string) (v2Invoice, error) {
	var inv v2Invoice
	err := c.do(ctx, http.MethodGet, "/v2/invoices/"+hash, nil, &inv)
	var se *walletnet.StatusError
	if errors.As(err, &se) && se.Status == http.StatusNotFound {
		return inv, ErrNoPreimage
	}
	if err != nil {
		return inv, fmt.Errorf("lndhub: read invoice %s: %w", hash, err)
	}
	return inv, nil
}

// Test proves the account: it authenticates, makes a 1-sat invoice and
// reads it back through both APIs (a hub without /v2/invoices cannot prove
// payments and is refused). It returns the network.
func (c *Client) Test(ctx context.Context) (string, error) {
	inv, err := c.CreateInvoice(ctx, gateway.InvoiceRequest{AmountMsat: 1000, Memo: "satsrail connection test"})
	if err != nil {
		return "", err
	}
	got, err := c.LookupInvoice(ctx, inv.PaymentHash)
	if err != nil {
		return "", err
	}
	if got.State != gateway.InvoiceOpen || got.PaymentRequest != inv.PaymentRequest {
		return "", fmt.Errorf("lndhub: the test invoice reads back as %s", got.State)
	}
	return c.Network(), nil
}

// remarshal decodes a JSON object already read as raw into out.
func remarshal(raw map[string]any, out any) error {
	if out == nil {
		return nil
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, out); err != nil {
		return errors.New("the answer is not the JSON expected")
	}
	return nil
}
