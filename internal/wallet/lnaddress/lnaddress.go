// Package lnaddress is a receive-only gateway.Wallet on a Lightning Address
// (LUD-16): name@domain is an LNURL-pay endpoint (LUD-06) whose callback
// makes an invoice of the amount asked, and whose LUD-21 verify URL says
// whether it was paid. No credential is involved, so nothing can spend.
//
// The LNURL service is a third party to the gateway: every invoice it
// returns is decoded and held to the request (amount, description hash =
// sha256 of the metadata, network, an expiry that covers the session), and
// a settlement is believed only with a preimage that hashes to the invoice's
// payment hash. An address whose callback offers no verify URL is refused:
// its payments could not be detected.
package lnaddress

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
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

const (
	// DefaultTimeout bounds each request.
	DefaultTimeout = 20 * time.Second
	// expirySlack is BOLT11's one-second resolution, both ends.
	expirySlack = 2 * time.Second
)

// ErrNoVerify means the address's LNURL service offers no LUD-21 verify
// URL, so payments to it cannot be detected.
var ErrNoVerify = errors.New("lightning address: the address's LNURL service gives no LUD-21 verify URL with its invoices, " +
	"so payments to it cannot be detected; use an address of a service that supports LUD-21 (LNbits, Alby, BTCPay, …) or connect the wallet itself")

// Config is one Lightning Address.
type Config struct {
	// Address is name@domain.
	Address string
	// Network is the chain its invoices are for; empty learns it from the
	// first invoice.
	Network string
	// Timeout bounds each request (DefaultTimeout when zero).
	Timeout time.Duration
	// DialContext, when set, makes every connection (the gateway's SSRF
	// guard): the address's domain, its callback and verify hosts.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Client is a gateway.Wallet on one Lightning Address. It is safe for
// concurrent use.
type Client struct {
	name, domain string
	http         *http.Client

	mu      sync.Mutex
	network *walletkit.Network // learnt from the first invoice, then held to
	verify  map[string]string  // payment hash → verify URL, of invoices made by this client
}

var (
	_ gateway.Wallet            = (*Client)(nil)
	_ gateway.ConnectionTester  = (*Client)(nil)
	_ gateway.InvoicePoller     = (*Client)(nil)
	_ gateway.InvoiceRefLooker  = (*Client)(nil)
	_ gateway.FixedExpiryWallet = (*Client)(nil)
)

// ParseAddress splits name@domain, checking both parts (LUD-16: the name is
// a-z0-9-_.+, the domain a host name with an optional port).
func ParseAddress(s string) (name, domain string, err error) {
	s = strings.TrimSpace(s)
	name, domain, ok := strings.Cut(s, "@")
	if !ok || name == "" || domain == "" {
		return "", "", errors.New("lightning address: want name@domain")
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.+", r)) {
			return "", "", errors.New("lightning address: the name may hold only a-z, 0-9, -, _, . and + (LUD-16)")
		}
	}
	u, err := url.Parse("https://" + domain)
	if err != nil || u.Host != domain || u.Hostname() == "" || u.User != nil {
		return "", "", errors.New("lightning address: the domain is not a host name")
	}
	return name, strings.ToLower(domain), nil
}

// New returns a client for cfg; it makes no request (see Test).
func New(cfg Config) (*Client, error) {
	name, domain, err := ParseAddress(cfg.Address)
	if err != nil {
		return nil, err
	}
	switch cfg.Network {
	case "", "mainnet", "testnet", "signet", "regtest":
	default:
		return nil, fmt.Errorf("lightning address: unknown network %q", cfg.Network)
	}
	// Providers may redirect the well-known URL to where they serve it;
	// no credential goes along, and never to plain http on the internet.
	client := walletnet.NewClient(cfg.DialContext, cmp.Or(cfg.Timeout, DefaultTimeout), true)
	return &Client{name: name, domain: domain, http: client, network: walletkit.NewNetwork(cfg.Network), verify: map[string]string{}}, nil
}

// PollHost is the address's domain: its invoices are looked up there.
func (c *Client) PollHost() string { return c.domain }

// InvoiceExpiryFixed reports that the LNURL service, not the gateway,
// chooses the invoices' expiry.
func (c *Client) InvoiceExpiryFixed() bool { return true }

// Network returns the chain of the address's invoices ("" until known).
func (c *Client) Network() string { return c.network.Get() }

// wellKnown is the address's LNURL-pay endpoint (LUD-16): http only for a
// loopback or onion domain.
func (c *Client) wellKnown() string {
	scheme, host := "https", c.domain
	if h, _, err := net.SplitHostPort(c.domain); err == nil {
		host = h
	}
	if walletnet.Local(host) {
		scheme = "http"
	}
	return scheme + "://" + c.domain + "/.well-known/lnurlp/" + c.name
}

// payRequest is the LUD-06 answer of the well-known endpoint.
type payRequest struct {
	Tag            string `json:"tag"`
	Callback       string `json:"callback"`
	MinSendable    int64  `json:"minSendable"`
	MaxSendable    int64  `json:"maxSendable"`
	Metadata       string `json:"metadata"`
	CommentAllowed int    `json:"commentAllowed"`
	Status         string `json:"status"`
}

// payRequest fetches and checks the address's pay parameters.
func (c *Client) payRequest(ctx context.Context) (payRequest, error) {
	var pr payRequest
	if err := c.get(ctx, c.wellKnown(), &pr); err != nil {
		return pr, fmt.Errorf("lightning address %s@%s: %w", c.name, c.domain, err)
	}
	switch {
	case strings.EqualFold(pr.Status, "ERROR"):
		return pr, fmt.Errorf("lightning address %s@%s: the service answered with an error (is the address right?)", c.name, c.domain)
	case pr.Tag != "payRequest":
		return pr, fmt.Errorf("lightning address %s@%s: not an LNURL-pay endpoint (tag %q)", c.name, c.domain, truncate(pr.Tag))
	case pr.MinSendable <= 0 || pr.MaxSendable < pr.MinSendable:
		return pr, fmt.Errorf("lightning address %s@%s: bad sendable range %d–%d msat", c.name, c.domain, pr.MinSendable, pr.MaxSendable)
	}
	var md []json.RawMessage
	if err := json.Unmarshal([]byte(pr.Metadata), &md); err != nil {
		return pr, fmt.Errorf("lightning address %s@%s: the metadata is not a JSON array (LUD-06)", c.name, c.domain)
	}
	u, err := url.Parse(pr.Callback)
	if err != nil || u.Host == "" {
		return pr, fmt.Errorf("lightning address %s@%s: the callback is not a URL", c.name, c.domain)
	}
	if err := walletnet.CheckURL(u, false); err != nil {
		return pr, err
	}
	return pr, nil
}

// CreateInvoice asks the address's service for an invoice of
// req.AmountMsat, with the memo as the LUD-12 comment when the service takes
// one, and checks it: its amount, its description hash (sha256 of the
// metadata), its network, an expiry at or after req.ExpiresAt, and a
// verify URL. The verify URL comes back as the invoice's LookupRef.
func (c *Client) CreateInvoice(ctx context.Context, req gateway.InvoiceRequest) (gateway.Invoice, error) {
	if req.AmountMsat <= 0 {
		return gateway.Invoice{}, fmt.Errorf("lightning address: invoice amount must be positive, got %d msat", req.AmountMsat)
	}
	pr, err := c.payRequest(ctx)
	if err != nil {
		return gateway.Invoice{}, err
	}
	amt := int64(req.AmountMsat)
	if amt < pr.MinSendable || amt > pr.MaxSendable {
		return gateway.Invoice{}, fmt.Errorf("lightning address: %d msat is outside what the address takes (%d–%d msat)", amt, pr.MinSendable, pr.MaxSendable)
	}
	cb, _ := url.Parse(pr.Callback)
	q := cb.Query()
	q.Set("amount", strconv.FormatInt(amt, 10))
	if pr.CommentAllowed > 0 && req.Memo != "" {
		q.Set("comment", cutRunes(req.Memo, pr.CommentAllowed))
	}
	cb.RawQuery = q.Encode()
	var resp struct {
		PR     string `json:"pr"`
		Verify string `json:"verify"`
		Status string `json:"status"`
	}
	if err := c.get(ctx, cb.String(), &resp); err != nil {
		return gateway.Invoice{}, fmt.Errorf("lightning address: callback: %w", err)
	}
	if strings.EqualFold(resp.Status, "ERROR") || resp.PR == "" {
		return gateway.Invoice{}, errors.New("lightning address: the service refused to make an invoice")
	}
	if resp.Verify == "" {
		return gateway.Invoice{}, ErrNoVerify
	}
	vu, err := url.Parse(resp.Verify)
	if err != nil || vu.Host == "" {
		return gateway.Invoice{}, errors.New("lightning address: the verify URL is not a URL")
	}
	if err := walletnet.CheckURL(vu, false); err != nil {
		return gateway.Invoice{}, err
	}
	d, err := bolt11.Decode(resp.PR)
	if err != nil {
		return gateway.Invoice{}, fmt.Errorf("lightning address: the service returned an invalid invoice: %w", err)
	}
	sum := sha256.Sum256([]byte(pr.Metadata))
	switch {
	case d.AmountMsat != req.AmountMsat:
		return gateway.Invoice{}, fmt.Errorf("lightning address: the service returned an invoice of %d msat, not %d", d.AmountMsat, req.AmountMsat)
	case d.DescriptionHash != hex.EncodeToString(sum[:]):
		return gateway.Invoice{}, errors.New("lightning address: the invoice's description hash is not sha256 of the address's metadata (LUD-06)")
	case !req.ExpiresAt.IsZero() && d.ExpiresAt.Before(req.ExpiresAt.Add(-expirySlack)):
		return gateway.Invoice{}, fmt.Errorf("lightning address: the invoice expires at %s, before the checkout (%s)",
			d.ExpiresAt.Format(time.RFC3339), req.ExpiresAt.Format(time.RFC3339))
	}
	if err := c.network.Check(d.Network, "lightning address: the service's invoice"); err != nil {
		return gateway.Invoice{}, err
	}
	c.mu.Lock()
	c.verify[d.PaymentHash] = resp.Verify
	c.mu.Unlock()
	return gateway.Invoice{PaymentHash: d.PaymentHash, PaymentRequest: resp.PR, AmountMsat: d.AmountMsat,
		State: gateway.InvoiceOpen, LookupRef: resp.Verify}, nil
}

// LookupInvoice looks up an invoice this client made; others need their
// verify URL (LookupInvoiceRef) and are gateway.ErrNotFound here.
func (c *Client) LookupInvoice(ctx context.Context, paymentHash string) (gateway.Invoice, error) {
	c.mu.Lock()
	ref, ok := c.verify[strings.ToLower(paymentHash)]
	c.mu.Unlock()
	if !ok {
		return gateway.Invoice{}, fmt.Errorf("lightning address: invoice %s: no verify URL known: %w", truncate(paymentHash), gateway.ErrNotFound)
	}
	return c.LookupInvoiceRef(ctx, paymentHash, ref)
}

// LookupInvoiceRef asks the invoice's LUD-21 verify URL whether it is
// paid. The answer must be about this payment hash, and a settlement must
// come with a preimage that hashes to it; an unknown invoice is
// gateway.ErrNotFound.
func (c *Client) LookupInvoiceRef(ctx context.Context, paymentHash, ref string) (gateway.Invoice, error) {
	hash := strings.ToLower(paymentHash)
	if b, err := hex.DecodeString(hash); err != nil || len(b) != sha256.Size {
		return gateway.Invoice{}, fmt.Errorf("lightning address: %q is not a payment hash: %w", truncate(paymentHash), gateway.ErrNotFound)
	}
	u, err := url.Parse(ref)
	if err != nil || u.Host == "" {
		return gateway.Invoice{}, errors.New("lightning address: the stored verify URL is not a URL")
	}
	if err := walletnet.CheckURL(u, false); err != nil {
		return gateway.Invoice{}, err
	}
	var v struct {
		Status   string  `json:"status"`
		Reason   string  `json:"reason"`
		Settled  bool    `json:"settled"`
		Preimage *string `json:"preimage"`
		PR       string  `json:"pr"`
	}
	err = c.get(ctx, ref, &v)
	if e := (*walletnet.StatusError)(nil); errors.As(err, &e) && e.Status == http.StatusNotFound {
		return gateway.Invoice{}, fmt.Errorf("lightning address: invoice %s: %w", hash, gateway.ErrNotFound)
	}
	if err != nil {
		return gateway.Invoice{}, fmt.Errorf("lightning address: verify %s: %w", hash, err)
	}
	if strings.EqualFold(v.Status, "ERROR") {
		if strings.Contains(strings.ToLower(v.Reason), "not found") {
			return gateway.Invoice{}, fmt.Errorf("lightning address: invoice %s: %w", hash, gateway.ErrNotFound)
		}
		return gateway.Invoice{}, fmt.Errorf("lightning address: verify %s: the service answered with an error", hash)
	}
	d, err := bolt11.Decode(v.PR)
	if err != nil || d.PaymentHash != hash {
		return gateway.Invoice{}, fmt.Errorf("lightning address: the verify answer for %s is about another invoice", hash)
	}
	out := gateway.Invoice{PaymentHash: hash, PaymentRequest: v.PR, AmountMsat: d.AmountMsat, State: gateway.InvoiceOpen}
	if !v.Settled {
		return out, nil
	}
	pre := ""
	if v.Preimage != nil {
		pre = strings.ToLower(*v.Preimage)
	}
	p, err := hex.DecodeString(pre)
	if sum := sha256.Sum256(p); err != nil || len(p) != 32 || hex.EncodeToString(sum[:]) != hash {
		return gateway.Invoice{}, fmt.Errorf("lightning address: invoice %s is said to be settled without a preimage that hashes to it", hash)
	}
	// LUD-21 tells neither the amount received nor when: a payment settles
	// an invoice of its amount (or more), now is when it was seen.
	out.State, out.Preimage, out.AmountPaidMsat, out.SettledAt = gateway.InvoiceSettled, pre, d.AmountMsat, time.Now().UTC()
	return out, nil
}

// Test proves the address end to end: it asks for an invoice of the least
// amount the address takes (at least 1 sat) and verifies it, and returns
// the network.
func (c *Client) Test(ctx context.Context) (string, error) {
	pr, err := c.payRequest(ctx)
	if err != nil {
		return "", err
	}
	amt := max((pr.MinSendable+999)/1000*1000, 1000)
	if amt > pr.MaxSendable {
		return "", fmt.Errorf("lightning address: it takes no whole-satoshi amount (%d–%d msat)", pr.MinSendable, pr.MaxSendable)
	}
	inv, err := c.CreateInvoice(ctx, gateway.InvoiceRequest{AmountMsat: gateway.MilliSat(amt), Memo: "satsrail connection test"})
	if err != nil {
		return "", err
	}
	got, err := c.LookupInvoiceRef(ctx, inv.PaymentHash, inv.LookupRef)
	if err != nil {
		return "", err
	}
	if got.State != gateway.InvoiceOpen {
		return "", fmt.Errorf("lightning address: the test invoice reads back as %s", got.State)
	}
	return c.Network(), nil
}

// get fetches rawURL as JSON into out. LNURL errors are {"status":
// "ERROR"}, usually with 200, sometimes with another status: those are
// decoded too, so callers see the status (never the reason's text in an
// error).
func (c *Client) get(ctx context.Context, rawURL string, out any) error {
	err := walletnet.Do(ctx, c.http, http.MethodGet, rawURL, nil, nil, out)
	var se *walletnet.StatusError
	if errors.As(err, &se) && se.Status != http.StatusNotFound {
		var e struct{ Status string }
		if json.Unmarshal(se.Body, &e) == nil && strings.EqualFold(e.Status, "ERROR") {
			return json.Unmarshal(se.Body, out)
		}
	}
	return err
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

func cutRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		r = r[:n]
	}
	return string(r)
}
