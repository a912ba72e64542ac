package phoenixd

import (
	"cmp"
	"context"
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
	"unicode/utf16"

	"github.com/coder/websocket"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/wallet/walletkit"
)

const (
	// DefaultTimeout bounds each request but the websocket.
	DefaultTimeout = 30 * time.Second
	// DefaultPort is phoenixd's --http-bind-port default.
	DefaultPort = "9740"
	// TestMemo is the description of the connection test's invoice.
	TestMemo = "satsrail connection test"
	// maxDescription is phoenixd's limit on a description, in UTF-16
	// code units (Kotlin's String.length).
	maxDescription = 128
	testExpiry     = time.Minute
	maxBody        = 1 << 20
	// pingEvery is how often the websocket is pinged: phoenixd pings too,
	// but a connection that died silently is only noticed by a ping of
	// ours going unanswered.
	pingEvery = 30 * time.Second
)

// ErrFullAccess means the password is phoenixd's full-access one
// (http-password), which can pay.
var ErrFullAccess = errors.New("phoenixd: this is the full-access password (http-password), which can pay; " +
	"give http-password-limited-access from ~/.phoenix/phoenix.conf instead: it can only make and read invoices")

// Config is how to reach one phoenixd. Zero fields take defaults.
type Config struct {
	// URL is phoenixd's HTTP API, http://host:9740, or https:// behind a
	// TLS proxy.
	URL string
	// Password is http-password-limited-access from phoenix.conf.
	Password string
	// Network is the chain ("mainnet", "testnet", "signet", "regtest");
	// empty learns it from getinfo or the first invoice.
	Network string
	// Timeout bounds each request but the websocket; DefaultTimeout when
	// zero.
	Timeout time.Duration
	// DialContext, when set, makes every connection (the gateway's SSRF
	// guard); nil dials directly.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Client is a gateway.Wallet on one phoenixd. It is safe for concurrent use.
type Client struct {
	base     *url.URL
	password string
	http     *http.Client
	stream   *http.Client // no overall timeout: the websocket lasts
	network  *walletkit.Network
}

var (
	_ gateway.Wallet               = (*Client)(nil)
	_ gateway.ConnectionTester     = (*Client)(nil)
	_ gateway.SettlementSubscriber = (*Client)(nil)
)

// New returns a client for cfg; it makes no request (see Test).
func New(cfg Config) (*Client, error) {
	base, err := ParseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.Password == "" {
		return nil, errors.New("phoenixd: a password (http-password-limited-access) is required")
	}
	switch cfg.Network {
	case "", "mainnet", "testnet", "signet", "regtest":
	default:
		return nil, fmt.Errorf("phoenixd: unknown network %q", cfg.Network)
	}
	transport := walletkit.Transport(cfg.DialContext, nil)
	return &Client{
		base:     base,
		password: cfg.Password,
		http:     &http.Client{Transport: transport, Timeout: cmp.Or(cfg.Timeout, DefaultTimeout), CheckRedirect: walletkit.NoRedirect},
		stream:   &http.Client{Transport: transport, CheckRedirect: walletkit.NoRedirect},
		network:  walletkit.NewNetwork(cfg.Network),
	}, nil
}

// ParseURL checks an http(s)://host[:port] URL, adding phoenixd's default
// port to an http URL without one.
func ParseURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(s), "/"))
	if err != nil {
		return nil, fmt.Errorf("phoenixd: URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, errors.New("phoenixd: the URL must be http://host:9740 (or https:// behind a TLS proxy)")
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		// Not quoted: it may hold a password.
		return nil, errors.New("phoenixd: the URL must be just http(s)://host:port")
	}
	if u.Port() == "" && u.Scheme == "http" {
		u.Host = net.JoinHostPort(u.Hostname(), DefaultPort)
	}
	u.Path = ""
	return u, nil
}

// Network returns the chain of the node's invoices, or "" until learnt.
func (c *Client) Network() string { return c.network.Get() }

func (c *Client) checkNetwork(network, what string) error {
	if err := c.network.Check(network, what); err != nil {
		return fmt.Errorf("phoenixd: %w", err)
	}
	return nil
}

// CreateInvoice makes an invoice of req.AmountMsat, which must be whole
// satoshis (phoenixd takes nothing finer), expiring at req.ExpiresAt
// (rounded up to the second after the current one), with the session as
// its externalId. The invoice is decoded and checked against what was
// asked.
func (c *Client) CreateInvoice(ctx context.Context, req gateway.InvoiceRequest) (gateway.Invoice, error) {
	if req.AmountMsat <= 0 {
		return gateway.Invoice{}, fmt.Errorf("phoenixd: invoice amount must be positive, got %d msat", req.AmountMsat)
	}
	if req.AmountMsat%1000 != 0 {
		return gateway.Invoice{}, fmt.Errorf("phoenixd: invoice amount %d msat is not whole satoshis, the only unit phoenixd takes", req.AmountMsat)
	}
	expiry, err := walletkit.ExpirySeconds(time.Now(), req.ExpiresAt)
	if err != nil {
		return gateway.Invoice{}, fmt.Errorf("phoenixd: %w", err)
	}
	form := url.Values{
		"amountSat":     {strconv.FormatInt(int64(req.AmountMsat)/1000, 10)},
		"description":   {description(req.Memo)},
		"expirySeconds": {strconv.FormatInt(expiry, 10)},
	}
	if req.SessionID != "" {
		form.Set("externalId", req.SessionID)
	}
	var resp struct {
		AmountSat   int64  `json:"amountSat"`
		PaymentHash string `json:"paymentHash"`
		Serialized  string `json:"serialized"`
	}
	if err := c.do(ctx, http.MethodPost, "/createinvoice", form, &resp); err != nil {
		return gateway.Invoice{}, fmt.Errorf("phoenixd: create invoice: %w", err)
	}
	inv, err := c.network.CheckCreated(resp.Serialized, resp.PaymentHash, req.AmountMsat)
	if err != nil {
		return gateway.Invoice{}, fmt.Errorf("phoenixd: %w", err)
	}
	return inv, nil
}

// description cuts m to phoenixd's 128 UTF-16 code units, on a character
// boundary.
func description(m string) string {
	n := 0
	for i, r := range m {
		n += len(utf16.Encode([]rune{r}))
		if n > maxDescription {
			return m[:i]
		}
	}
	return m
}

// incoming is phoenixd's IncomingPayment. Its preimage is there from the
// start, paid or not: only isPaid says the invoice was paid.
type incoming struct {
	PaymentHash  string `json:"paymentHash"`
	Preimage     string `json:"preimage"`
	Invoice      string `json:"invoice"`
	IsPaid       bool   `json:"isPaid"`
	IsExpired    bool   `json:"isExpired"`
	RequestedSat *int64 `json:"requestedSat"`
	ReceivedSat  int64  `json:"receivedSat"`
	Fees         int64  `json:"fees"` // msat
	CompletedAt  *int64 `json:"completedAt"`
}

// LookupInvoice reports the invoice with this payment hash (hex); an
// unknown hash is gateway.ErrNotFound. The preimage is given only once the
// invoice is paid, after checking it against the hash.
func (c *Client) LookupInvoice(ctx context.Context, paymentHash string) (gateway.Invoice, error) {
	hash := strings.ToLower(paymentHash)
	if !walletkit.IsHash(hash) {
		return gateway.Invoice{}, fmt.Errorf("phoenixd: invoice %q: not a payment hash: %w", paymentHash, gateway.ErrNotFound)
	}
	var p incoming
	err := c.do(ctx, http.MethodGet, "/payments/incoming/"+hash, nil, &p)
	if e := (*apiError)(nil); errors.As(err, &e) && e.notFound {
		return gateway.Invoice{}, fmt.Errorf("phoenixd: invoice %s: %w", hash, gateway.ErrNotFound)
	}
	if err != nil {
		return gateway.Invoice{}, fmt.Errorf("phoenixd: look up invoice %s: %w", hash, err)
	}
	if p.PaymentHash != hash {
		return gateway.Invoice{}, fmt.Errorf("phoenixd: asked for invoice %s, the node answered with another", hash)
	}
	out := gateway.Invoice{PaymentHash: hash, PaymentRequest: p.Invoice}
	if p.RequestedSat != nil {
		out.AmountMsat = gateway.MilliSat(*p.RequestedSat) * 1000
	}
	switch {
	case p.IsPaid:
		pre, err := hex.DecodeString(p.Preimage)
		if sum := sha256.Sum256(pre); err != nil || hex.EncodeToString(sum[:]) != hash {
			return gateway.Invoice{}, fmt.Errorf("phoenixd: paid invoice %s: the preimage does not match the hash", hash)
		}
		out.State = gateway.InvoiceSettled
		out.Preimage = p.Preimage
		out.AmountPaidMsat = paid(p, out.AmountMsat)
		if p.CompletedAt != nil {
			out.SettledAt = time.UnixMilli(*p.CompletedAt).UTC()
		}
	case p.IsExpired:
		out.State = gateway.InvoiceCanceled
	default:
		out.State = gateway.InvoiceOpen
	}
	return out, nil
}

// paid is what the payer paid: phoenixd reports what the node kept —
// receivedSat, net of the fees (msat) its LSP took for on-the-fly
// liquidity, truncated to the satoshi. Net plus fees is the payment, less
// up to 999 msat of truncation; phoenixd accepts no payment below the
// invoice amount, so a shortfall smaller than a satoshi is that truncation.
func paid(p incoming, invoiced gateway.MilliSat) gateway.MilliSat {
	got := gateway.MilliSat(p.ReceivedSat*1000 + p.Fees)
	if short := invoiced - got; short > 0 && short < 1000 {
		return invoiced
	}
	return got
}

// networks maps getinfo's chain (lightning-kmp's chain name, lower-cased)
// to the gateway's names.
var networks = map[string]string{
	"mainnet": "mainnet", "testnet": "testnet", "testnet3": "testnet", "testnet4": "testnet", "signet": "signet", "regtest": "regtest",
}

// Test proves the connection end to end: it reads the node's chain
// (getinfo), refuses the full-access password (CheckLimitedAccess), makes
// a 1-sat invoice expiring in a minute and looks it up.
func (c *Client) Test(ctx context.Context) (network string, err error) {
	var info struct {
		Chain string `json:"chain"`
	}
	if err := c.do(ctx, http.MethodGet, "/getinfo", nil, &info); err != nil {
		return "", fmt.Errorf("phoenixd: getinfo: %w", err)
	}
	n, ok := networks[info.Chain]
	if !ok {
		return "", fmt.Errorf("phoenixd: the node is on chain %q, which the gateway does not take", walletkit.Clip(info.Chain))
	}
	if err := c.checkNetwork(n, "the node"); err != nil {
		return "", err
	}
	if err := c.CheckLimitedAccess(ctx); err != nil {
		return "", err
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
		return "", fmt.Errorf("phoenixd: the test invoice %s reads back as %s", inv.PaymentHash, got.State)
	}
	return c.Network(), nil
}

// CheckLimitedAccess tells the two passwords apart without acting: it asks
// POST /lnurlauth, a full-access-only endpoint (it signs a login, it moves
// no funds), with no lnurl. phoenixd checks the password before the
// parameters: the limited-access password gets 401, the full-access one
// gets past it and 400 for the missing parameter. Any other answer (an
// older phoenixd) cannot tell them apart and is let through.
func (c *Client) CheckLimitedAccess(ctx context.Context) error {
	err := c.do(ctx, http.MethodPost, "/lnurlauth", url.Values{}, nil)
	var e *apiError
	switch {
	case err == nil:
		return ErrFullAccess // it even answered: certainly not limited
	case !errors.As(err, &e):
		return fmt.Errorf("phoenixd: %w", err)
	case e.Status == http.StatusUnauthorized:
		return nil
	case e.Status == http.StatusBadRequest:
		return ErrFullAccess
	}
	return nil
}

// SubscribeSettled listens on phoenixd's websocket and calls fn with the
// payment hash of each payment_received message, and index 0: phoenixd
// has no settlement cursor, and its messages are hints only — the caller
// settles each by lookup, and reconciles open invoices after a reconnect,
// for messages are not replayed. It returns fn's error, ctx's, or an error
// when the websocket ends.
func (c *Client) SubscribeSettled(ctx context.Context, _ uint64, live func(), fn func(paymentHash string, settleIndex uint64) error) error {
	if live == nil {
		live = func() {}
	}
	return c.SubscribeLive(ctx, live, func(hash string) error { return fn(hash, 0) })
}

// SubscribeLive is SubscribeSettled for a caller that reconciles instead of
// resuming from a cursor (gateway.LiveSubscriber): live is called once the
// websocket is open, from when on every payment_received reaches fn, so a
// sweep started then misses nothing that settled before.
func (c *Client) SubscribeLive(ctx context.Context, live func(), fn func(paymentHash string) error) error {
	u := *c.base
	u.Path = "/websocket"
	conn, resp, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{
		HTTPClient: c.stream,
		HTTPHeader: http.Header{"Authorization": {basicAuth(c.password)}},
	})
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusUnauthorized {
			return errors.New("phoenixd: websocket: the node refused the password")
		}
		return fmt.Errorf("phoenixd: websocket: %w", err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(64 << 10)
	live()
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		t := time.NewTicker(pingEvery)
		defer t.Stop()
		for {
			select {
			case <-pctx.Done():
				return
			case <-t.C:
			}
			ping, cancel := context.WithTimeout(pctx, 10*time.Second)
			err := conn.Ping(ping)
			cancel()
			if err != nil && pctx.Err() == nil {
				conn.CloseNow() // the read below ends with an error
				return
			}
		}
	}()
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("phoenixd: websocket: %w", err)
		}
		var msg struct {
			Type        string `json:"type"`
			PaymentHash string `json:"paymentHash"`
		}
		if json.Unmarshal(data, &msg) != nil || msg.Type != "payment_received" || !walletkit.IsHash(strings.ToLower(msg.PaymentHash)) {
			continue
		}
		if err := fn(strings.ToLower(msg.PaymentHash)); err != nil {
			return err
		}
	}
}

// basicAuth is phoenixd's HTTP Basic credential: any user name (phoenixd
// checks only the password), here empty.
func basicAuth(password string) string {
	r := &http.Request{Header: http.Header{}}
	r.SetBasicAuth("", password)
	return r.Header.Get("Authorization")
}

// apiError is a non-2xx answer. phoenixd answers in plain text; the text
// is not repeated to merchants, only what it means.
type apiError struct {
	Status   int
	notFound bool // 404 "Not found": no such payment (not "Unknown endpoint")
	what     string
}

func (e *apiError) Error() string {
	why := e.what
	if why == "" {
		why = http.StatusText(e.Status)
	}
	return fmt.Sprintf("HTTP %d: %s", e.Status, why)
}

// do sends a request (a form body for POST) and decodes a JSON answer into
// out unless nil.
func (c *Client) do(ctx context.Context, method, path string, form url.Values, out any) error {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", basicAuth(c.password))
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err // *url.Error: names the URL, never the header
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		e := &apiError{Status: resp.StatusCode}
		text := strings.TrimSpace(string(b))
		switch {
		case resp.StatusCode == http.StatusUnauthorized:
			e.what = "the node refused the password (give http-password-limited-access from phoenix.conf)"
		case resp.StatusCode == http.StatusNotFound && text == "Not found":
			e.notFound, e.what = true, "no such payment"
		case resp.StatusCode == http.StatusNotFound:
			e.what = "no such endpoint (is the URL phoenixd's?)"
		case resp.StatusCode == http.StatusBadRequest:
			e.what = "the node refused the request's parameters"
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("unexpected answer from %s (is the URL phoenixd's?)", path)
	}
	return nil
}
