package nwc

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip04"
	"github.com/nbd-wtf/go-nostr/nip44"

	"github.com/satsrail/satsrail/internal/bolt11"
	"github.com/satsrail/satsrail/internal/gateway"
)

// NIP-47 event kinds.
const (
	KindInfo              = 13194 // the wallet's capabilities (replaceable: relays keep it)
	KindRequest           = 23194
	KindResponse          = 23195
	KindNotificationNIP04 = 23196
	KindNotificationNIP44 = 23197
)

const (
	encryptionNIP44      = "nip44_v2"
	encryptionNIP04      = "nip04"
	notificationReceived = "payment_received"
	errorCodeNotFound    = "NOT_FOUND"
	methodGetInfo        = "get_info"
	methodMakeInvoice    = "make_invoice"
	methodLookupInvoice  = "lookup_invoice"
)

const (
	// DefaultTimeout bounds each request to the wallet service: a wallet
	// that is asleep (Alby Hub offline) never answers.
	DefaultTimeout = 20 * time.Second
	// TestMemo is the description of the connection test's invoice.
	TestMemo = "satsrail connection test"
	// testExpiry is how long the connection test's invoice stays payable.
	testExpiry = time.Minute
	// maxMemo is the longest description a BOLT11 tagged field holds.
	maxMemo = 639
	// defaultMaxBackoff caps the wait before redialling a relay.
	defaultMaxBackoff = 30 * time.Second
	// defaultLinger is how long an unused relay connection stays open: a
	// checkout page's make_invoice is followed by lookups.
	defaultLinger = 2 * time.Minute
	// seenLimit bounds the notification hashes remembered to drop repeats
	// (each arrives once per encryption and once per relay).
	seenLimit = 4096
)

// spendMethods are the NIP-47 methods that move money out of the wallet,
// or (create_connection) make connections that can.
var spendMethods = []string{"pay_invoice", "pay_keysend", "multi_pay_invoice", "multi_pay_keysend", "create_connection"}

// ErrNotReceiveOnly means the connection can spend: the gateway refuses
// to hold it.
var ErrNotReceiveOnly = errors.New("nwc: this connection can spend")

// HowToReceiveOnly tells a merchant how to make a connection the gateway
// accepts.
const HowToReceiveOnly = `make a receive-only connection: in Alby Hub, App Connections → Add connection, ` +
	`choose "Read Only" (Receive payments and view history), or Custom with only ` +
	`"Create invoices", "Lookup status of invoices", "Read your node info" and "Receive wallet notifications" ` +
	`(make_invoice, lookup_invoice, get_info, notifications); never "Send payments"`

// Config is how to reach one wallet service.
type Config struct {
	Connection
	// DialContext makes every relay connection (the gateway's SSRF guard);
	// nil dials directly.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// Timeout bounds each request; DefaultTimeout when zero.
	Timeout time.Duration
	// MaxBackoff caps the wait before redialling a relay (30s when zero).
	MaxBackoff time.Duration
	// Linger is how long an unused relay connection stays open (2 minutes
	// when zero).
	Linger time.Duration
	Logger *slog.Logger
}

// Client is a gateway.Wallet on a NIP-47 wallet service. It is safe for
// concurrent use. It holds relay connections only while it is used.
type Client struct {
	wallet   string // the wallet service's public key
	secret   string
	pub      string // ours, derived from secret
	relays   []*relay
	timeout  time.Duration
	log      *slog.Logger
	conv44   [32]byte
	shared04 []byte

	connectMu sync.Mutex // one connect at a time
	mu        sync.Mutex
	info      *walletInfo // nil until connected
}

// walletInfo is what the client learnt at connect.
type walletInfo struct {
	encryption    string
	network       string
	methods       []string
	notifications []string
}

var (
	_ gateway.Wallet               = (*Client)(nil)
	_ gateway.ConnectionTester     = (*Client)(nil)
	_ gateway.SettlementSubscriber = (*Client)(nil)
	_ gateway.LiveSubscriber       = (*Client)(nil)
)

// New returns a client for cfg. It checks the configuration but connects
// to nothing; the first use connects (get_info) and refuses a connection
// that can spend.
func New(cfg Config) (*Client, error) {
	if !nostr.IsValidPublicKey(cfg.WalletPubKey) {
		return nil, errors.New("nwc: the wallet public key is not a public key (64 hex characters)")
	}
	if err := checkSecret(cfg.Secret); err != nil {
		return nil, err
	}
	if len(cfg.Relays) == 0 {
		return nil, errors.New("nwc: no relay")
	}
	pub, err := nostr.GetPublicKey(cfg.Secret)
	if err != nil {
		return nil, errors.New("nwc: the secret is not a valid key") // never the key itself
	}
	conv, err := nip44.GenerateConversationKey(cfg.WalletPubKey, cfg.Secret)
	if err != nil {
		return nil, errors.New("nwc: the wallet public key is not a valid key")
	}
	shared, err := nip04.ComputeSharedSecret(cfg.WalletPubKey, cfg.Secret)
	if err != nil {
		return nil, errors.New("nwc: the wallet public key is not a valid key")
	}
	c := &Client{
		wallet:   cfg.WalletPubKey,
		secret:   cfg.Secret,
		pub:      pub,
		timeout:  cmp.Or(cfg.Timeout, DefaultTimeout),
		log:      cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler)),
		conv44:   conv,
		shared04: shared,
	}
	dial := cfg.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	httpClient := &http.Client{
		Transport: &http.Transport{
			Proxy:               nil, // the relays are the merchant's choice: never through an environment proxy
			DialContext:         dial,
			TLSHandshakeTimeout: 15 * time.Second,
		},
		// A websocket handshake is never redirected elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	for _, u := range cfg.Relays {
		if _, err := checkRelayURL(u); err != nil {
			return nil, err
		}
		c.relays = append(c.relays, newRelay(u, dialer(u, httpClient), c.log,
			cmp.Or(cfg.MaxBackoff, defaultMaxBackoff), cmp.Or(cfg.Linger, defaultLinger)))
	}
	return c, nil
}

// PubKey returns the client's public key: the one the wallet service knows
// this connection by.
func (c *Client) PubKey() string { return c.pub }

// Network returns the wallet's chain as get_info reported it, or "" before
// the client connected.
func (c *Client) Network() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.info == nil {
		return ""
	}
	return c.info.network
}

// Encryption returns the encryption the client uses ("nip44_v2" or
// "nip04"), or "" before it connected.
func (c *Client) Encryption() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.info == nil {
		return ""
	}
	return c.info.encryption
}

// acquire marks every relay in use; the returned func releases them.
func (c *Client) acquire() func() {
	for _, r := range c.relays {
		r.acquire()
	}
	return func() {
		for _, r := range c.relays {
			r.release()
		}
	}
}

// connect learns the wallet's encryption (its info event) and its network
// and methods (get_info), once or, with refresh, again, and refuses a
// connection that can spend or cannot serve the gateway: from then on the
// client refuses every request until a connect succeeds.
func (c *Client) connect(ctx context.Context, refresh bool) (*walletInfo, error) {
	c.connectMu.Lock()
	defer c.connectMu.Unlock()
	c.mu.Lock()
	info := c.info
	c.mu.Unlock()
	if info != nil && !refresh {
		return info, nil
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	enc, err := c.encryption(ctx)
	if err != nil {
		return nil, err
	}
	var res struct {
		Network       string   `json:"network"`
		Methods       []string `json:"methods"`
		Notifications []string `json:"notifications"`
	}
	if err := c.call(ctx, enc, methodGetInfo, struct{}{}, &res); err != nil {
		return nil, err
	}
	info = &walletInfo{encryption: enc, methods: res.Methods, notifications: res.Notifications}
	if err := checkMethods(res.Methods, res.Notifications); err != nil {
		c.mu.Lock()
		c.info = nil // permissions changed since: refuse until they change back
		c.mu.Unlock()
		return nil, err
	}
	switch res.Network {
	case "mainnet", "testnet", "signet", "regtest":
		info.network = res.Network
	case "bitcoin": // some implementations name mainnet so
		info.network = "mainnet"
	case "":
		return nil, errors.New(`nwc: get_info does not say the wallet's network: grant the connection "Read your node info" (get_info)`)
	default:
		return nil, fmt.Errorf("nwc: get_info reports the unknown network %q", res.Network)
	}
	c.mu.Lock()
	c.info = info
	c.mu.Unlock()
	return info, nil
}

// checkMethods refuses a connection that can spend, and one that cannot
// make and look up invoices or notify payments.
func checkMethods(methods, notifications []string) error {
	var spend []string
	for _, m := range spendMethods {
		if slices.Contains(methods, m) {
			spend = append(spend, m)
		}
	}
	if len(spend) > 0 {
		return fmt.Errorf("%w (it grants %s): %s", ErrNotReceiveOnly, strings.Join(spend, ", "), HowToReceiveOnly)
	}
	for _, m := range []string{methodMakeInvoice, methodLookupInvoice} {
		if !slices.Contains(methods, m) {
			return fmt.Errorf("nwc: the connection does not grant %s: %s", m, HowToReceiveOnly)
		}
	}
	if !slices.Contains(notifications, notificationReceived) {
		// Without notifications, payments are found only by
		// reconciliation, long after the customer paid.
		return fmt.Errorf("nwc: the connection does not send payment_received notifications: %s", HowToReceiveOnly)
	}
	return nil
}

// encryption reads the wallet's info event: NIP-44 when its encryption tag
// offers nip44_v2, NIP-04 otherwise (a wallet without the tag, or without
// an info event, predates NIP-44).
func (c *Client) encryption(ctx context.Context) (string, error) {
	release := c.acquire()
	defer release()
	filter := nostr.Filter{Kinds: []int{KindInfo}, Authors: []string{c.wallet}, Limit: 1}
	type answer struct {
		ev  *nostr.Event
		err error
	}
	answers := make(chan answer, len(c.relays))
	for _, r := range c.relays {
		go func() {
			s, err := r.subscribe(ctx, filter)
			if err != nil {
				answers <- answer{err: err}
				return
			}
			defer r.unsubscribe(s)
			// Stored events come before EOSE: they are all buffered.
			var best *nostr.Event
			for {
				select {
				case ev := <-s.events:
					if c.fromWallet(ev, KindInfo) && (best == nil || ev.CreatedAt > best.CreatedAt) {
						best = ev
					}
					continue
				default:
				}
				break
			}
			answers <- answer{ev: best}
		}()
	}
	var errs []error
	for range c.relays {
		a := <-answers
		switch {
		case a.err != nil:
			errs = append(errs, a.err)
		case a.ev != nil:
			for t := range a.ev.Tags.FindAll("encryption") {
				if slices.Contains(strings.Fields(t.Value()), encryptionNIP44) {
					return encryptionNIP44, nil
				}
			}
			return encryptionNIP04, nil
		}
	}
	if len(errs) == len(c.relays) {
		return "", fmt.Errorf("nwc: no relay answered: %w", errors.Join(errs...))
	}
	return encryptionNIP04, nil
}

// fromWallet checks that ev is a genuine event of kind from the wallet
// service: relays are not trusted to check signatures.
func (c *Client) fromWallet(ev *nostr.Event, kind int) bool {
	if ev == nil || ev.Kind != kind || ev.PubKey != c.wallet || !ev.CheckID() {
		return false
	}
	ok, err := ev.CheckSignature()
	return err == nil && ok
}

// toUs checks that ev is addressed to this client.
func (c *Client) toUs(ev *nostr.Event) bool {
	for t := range ev.Tags.FindAll("p") {
		if t.Value() == c.pub {
			return true
		}
	}
	return false
}

func (c *Client) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok && time.Until(d) <= c.timeout {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, c.timeout, fmt.Errorf("no answer within %s: is the wallet service (Alby Hub) running and online?", c.timeout))
}

// WalletError is an error a wallet service answered (NIP-47 error codes).
// Its message is the wallet's code and our own words: the remote text is
// not repeated.
type WalletError struct {
	Method string
	Code   string
}

func (e *WalletError) Error() string {
	why := map[string]string{
		"RATE_LIMITED":           "the wallet service is rate limiting this connection",
		"NOT_IMPLEMENTED":        "the wallet service does not implement it",
		"RESTRICTED":             "the connection lacks the permission; " + HowToReceiveOnly,
		"UNAUTHORIZED":           "the wallet service does not know this connection (was it deleted?)",
		"QUOTA_EXCEEDED":         "the connection's quota is exceeded",
		"INTERNAL":               "the wallet service failed (is its node running?)",
		"NOT_FOUND":              "not found",
		"EXPIRED":                "the connection has expired",
		"UNSUPPORTED_ENCRYPTION": "the wallet service does not support the encryption used",
	}[e.Code]
	if why == "" {
		why = "the wallet service refused it"
	}
	return fmt.Sprintf("nwc: %s: %s (%s)", e.Method, why, e.Code)
}

// call sends one request and decodes its result into out. The response
// subscription is up on a relay (its EOSE received) before the request is
// published there; the first valid response from any relay wins.
func (c *Client) call(ctx context.Context, enc, method string, params, out any) error {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	release := c.acquire()
	defer release()
	deadline, _ := ctx.Deadline()
	payload, err := json.Marshal(struct {
		Method string `json:"method"`
		Params any    `json:"params"`
	}{method, params})
	if err != nil {
		return err
	}
	content, err := c.encrypt(enc, string(payload))
	if err != nil {
		return fmt.Errorf("nwc: encrypt %s: %w", method, err)
	}
	tags := nostr.Tags{
		{"p", c.wallet},
		// A wallet that wakes up after we stopped waiting must ignore it.
		{"expiration", strconv.FormatInt(deadline.Add(time.Second).Unix(), 10)},
	}
	if enc == encryptionNIP44 {
		tags = append(tags, nostr.Tag{"encryption", encryptionNIP44})
	}
	req := &nostr.Event{Kind: KindRequest, CreatedAt: nostr.Now(), Tags: tags, Content: content}
	if err := req.Sign(c.secret); err != nil {
		return errors.New("nwc: could not sign the request") // Sign's error quotes the key
	}
	filter := nostr.Filter{
		Kinds:   []int{KindResponse},
		Authors: []string{c.wallet},
		Tags:    nostr.TagMap{"e": {req.ID}, "p": {c.pub}},
	}
	responses := make(chan *nostr.Event, len(c.relays))
	failures := make(chan error, len(c.relays))
	for _, r := range c.relays {
		go func() {
			s, err := r.subscribe(ctx, filter)
			if err != nil {
				failures <- err
				return
			}
			defer r.unsubscribe(s)
			if err := r.publish(ctx, s.conn, req); err != nil {
				failures <- err
				return
			}
			for {
				select {
				case ev := <-s.events:
					if c.fromWallet(ev, KindResponse) && c.toUs(ev) && ev.Tags.FindWithValue("e", req.ID) != nil {
						responses <- ev
						return
					}
				case <-s.done:
					failures <- s.err
					return
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	var errs []error
	for {
		select {
		case ev := <-responses:
			return c.decodeResponse(ev, method, out)
		case err := <-failures:
			errs = append(errs, err)
			if len(errs) == len(c.relays) {
				return fmt.Errorf("nwc: %s: no relay carried the request: %w", method, errors.Join(errs...))
			}
		case <-ctx.Done():
			err := fmt.Errorf("nwc: %s: %w", method, context.Cause(ctx))
			if len(errs) > 0 {
				err = fmt.Errorf("%w; %w", err, errors.Join(errs...))
			}
			return err
		}
	}
}

func (c *Client) decodeResponse(ev *nostr.Event, method string, out any) error {
	plain, err := c.decrypt(ev.Content)
	if err != nil {
		return fmt.Errorf("nwc: %s: the response does not decrypt: %w", method, err)
	}
	var resp struct {
		ResultType string `json:"result_type"`
		Error      *struct {
			Code string `json:"code"`
		} `json:"error"`
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal([]byte(plain), &resp); err != nil {
		return fmt.Errorf("nwc: %s: the response is not NIP-47 JSON", method)
	}
	if resp.Error != nil && resp.Error.Code != "" {
		return &WalletError{Method: method, Code: resp.Error.Code}
	}
	if resp.ResultType != "" && resp.ResultType != method {
		return fmt.Errorf("nwc: %s: the wallet answered a %q", method, resp.ResultType)
	}
	if len(resp.Result) == 0 || string(resp.Result) == "null" {
		return fmt.Errorf("nwc: %s: the response has no result", method)
	}
	if err := json.Unmarshal(resp.Result, out); err != nil {
		return fmt.Errorf("nwc: %s: unexpected result: %w", method, err)
	}
	return nil
}

func (c *Client) encrypt(enc, plain string) (string, error) {
	if enc == encryptionNIP44 {
		return nip44.Encrypt(plain, c.conv44)
	}
	return nip04.Encrypt(plain, c.shared04)
}

// decrypt opens content in whichever encryption it is: NIP-04 payloads
// carry "?iv=", NIP-44 ones never do (base64 has no '?'). A wallet that
// cannot read our encryption answers in its own.
func (c *Client) decrypt(content string) (string, error) {
	if strings.Contains(content, "?iv=") {
		return nip04.Decrypt(content, c.shared04)
	}
	return nip44.Decrypt(content, c.conv44)
}

// transaction is a NIP-47 transaction (make_invoice, lookup_invoice,
// payment_received). Amounts are msat, times unix seconds.
type transaction struct {
	Type        string `json:"type"`
	State       string `json:"state"`
	Invoice     string `json:"invoice"`
	Preimage    string `json:"preimage"`
	PaymentHash string `json:"payment_hash"`
	Amount      int64  `json:"amount"`
	CreatedAt   int64  `json:"created_at"`
	ExpiresAt   *int64 `json:"expires_at"`
	SettledAt   *int64 `json:"settled_at"`
}

// CreateInvoice makes an invoice of req.AmountMsat expiring at
// req.ExpiresAt with make_invoice. The invoice is decoded and held to what
// was asked (hash, amount, network): the wallet is trusted with the
// merchant's money, not with the gateway's bookkeeping.
func (c *Client) CreateInvoice(ctx context.Context, req gateway.InvoiceRequest) (gateway.Invoice, error) {
	if req.AmountMsat <= 0 {
		return gateway.Invoice{}, fmt.Errorf("nwc: invoice amount must be positive, got %d msat", req.AmountMsat)
	}
	expiry := req.ExpiresAt.Sub(time.Now().Truncate(time.Second))
	if expiry <= 0 {
		return gateway.Invoice{}, fmt.Errorf("nwc: invoice expiry %s is not in the future", req.ExpiresAt.Format(time.RFC3339Nano))
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	info, err := c.connect(ctx, false)
	if err != nil {
		return gateway.Invoice{}, err
	}
	params := map[string]any{
		"amount":      int64(req.AmountMsat),
		"description": memo(req.Memo),
		"expiry":      int64((expiry + time.Second - 1) / time.Second),
	}
	var tx transaction
	if err := c.call(ctx, info.encryption, methodMakeInvoice, params, &tx); err != nil {
		return gateway.Invoice{}, err
	}
	d, err := bolt11.Decode(tx.Invoice)
	if err != nil {
		return gateway.Invoice{}, fmt.Errorf("nwc: the wallet returned an invalid invoice: %w", err)
	}
	switch {
	case tx.PaymentHash != "" && !strings.EqualFold(tx.PaymentHash, d.PaymentHash):
		return gateway.Invoice{}, fmt.Errorf("nwc: the wallet returned an invoice for hash %s, not its payment_hash %s", d.PaymentHash, tx.PaymentHash)
	case d.AmountMsat != req.AmountMsat:
		return gateway.Invoice{}, fmt.Errorf("nwc: the wallet returned an invoice of %d msat, not %d", d.AmountMsat, req.AmountMsat)
	case d.Network != info.network:
		return gateway.Invoice{}, fmt.Errorf("nwc: the wallet made a %s invoice; get_info said %s", d.Network, info.network)
	}
	return gateway.Invoice{
		PaymentHash:    d.PaymentHash,
		PaymentRequest: tx.Invoice,
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

// LookupInvoice reports the wallet's invoice with this payment hash (hex)
// by lookup_invoice. An unknown hash is gateway.ErrNotFound. An invoice
// reads settled only with a preimage that hashes to its payment hash.
func (c *Client) LookupInvoice(ctx context.Context, paymentHash string) (gateway.Invoice, error) {
	hash := strings.ToLower(paymentHash)
	if b, err := hex.DecodeString(hash); err != nil || len(b) != sha256.Size {
		return gateway.Invoice{}, fmt.Errorf("nwc: invoice %q: not a payment hash: %w", paymentHash, gateway.ErrNotFound)
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	info, err := c.connect(ctx, false)
	if err != nil {
		return gateway.Invoice{}, err
	}
	var tx transaction
	err = c.call(ctx, info.encryption, methodLookupInvoice, map[string]string{"payment_hash": hash}, &tx)
	if e := (*WalletError)(nil); errors.As(err, &e) && e.Code == errorCodeNotFound {
		return gateway.Invoice{}, fmt.Errorf("nwc: invoice %s: %w", hash, gateway.ErrNotFound)
	}
	if err != nil {
		return gateway.Invoice{}, err
	}
	if !strings.EqualFold(tx.PaymentHash, hash) {
		return gateway.Invoice{}, fmt.Errorf("nwc: asked for invoice %s, the wallet answered with %q", hash, tx.PaymentHash)
	}
	if tx.Type != "" && tx.Type != "incoming" {
		return gateway.Invoice{}, fmt.Errorf("nwc: invoice %s is an %s transaction, not an incoming one", hash, tx.Type)
	}
	out := gateway.Invoice{PaymentHash: hash, PaymentRequest: tx.Invoice, AmountMsat: gateway.MilliSat(tx.Amount)}
	if tx.Invoice != "" {
		d, err := bolt11.Decode(tx.Invoice)
		if err != nil || d.PaymentHash != hash {
			return gateway.Invoice{}, fmt.Errorf("nwc: the wallet's invoice for %s is not one for that hash", hash)
		}
		out.AmountMsat = d.AmountMsat
	}
	state := tx.State
	if state == "" { // wallets before the state field
		switch {
		case tx.SettledAt != nil && *tx.SettledAt > 0:
			state = "settled"
		case tx.ExpiresAt != nil && time.Unix(*tx.ExpiresAt, 0).Before(time.Now()):
			state = "expired"
		default:
			state = "pending"
		}
	}
	switch state {
	case "pending", "accepted": // accepted: a hold invoice's HTLCs are in, not yet settled
		out.State = gateway.InvoiceOpen
	case "expired", "failed":
		out.State = gateway.InvoiceCanceled
	case "settled":
		if !preimageMatches(tx.Preimage, hash) {
			return gateway.Invoice{}, fmt.Errorf("nwc: the wallet says invoice %s is settled without a preimage that hashes to it", hash)
		}
		out.State = gateway.InvoiceSettled
		out.Preimage = strings.ToLower(tx.Preimage)
		out.AmountPaidMsat = gateway.MilliSat(tx.Amount)
		if tx.SettledAt != nil {
			out.SettledAt = time.Unix(*tx.SettledAt, 0).UTC()
		} else {
			out.SettledAt = time.Now().UTC().Truncate(time.Second)
		}
	default:
		return gateway.Invoice{}, fmt.Errorf("nwc: invoice %s in unknown state %q", hash, state)
	}
	return out, nil
}

// preimageMatches reports whether preimage (hex) hashes to hash (hex).
func preimageMatches(preimage, hash string) bool {
	p, err := hex.DecodeString(preimage)
	if err != nil || len(p) != 32 {
		return false
	}
	sum := sha256.Sum256(p)
	return hex.EncodeToString(sum[:]) == strings.ToLower(hash)
}

// Test proves the connection end to end: get_info (network, and the
// receive-only check), then a 1-sat invoice expiring in a minute made and
// looked up. It returns the wallet's network. Errors say what to fix.
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
	if got.State != gateway.InvoiceOpen {
		return "", fmt.Errorf("nwc: the test invoice %s reads back as %s", inv.PaymentHash, got.State)
	}
	return c.Network(), nil
}

// SubscribeSettled is SubscribeLive for callers of the cursor interface:
// settleIndex is ignored (NIP-47 has no cursor) and fn always gets 0.
func (c *Client) SubscribeSettled(ctx context.Context, _ uint64, live func(), fn func(paymentHash string, settleIndex uint64) error) error {
	return c.SubscribeLive(ctx, live, func(hash string) error { return fn(hash, 0) })
}

// SubscribeLive listens on every relay for the wallet's payment_received
// notifications (kind 23197, NIP-44, and 23196, NIP-04) and calls fn with
// the payment hash of each whose preimage hashes to it; a notification
// that does not prove payment settles nothing. It calls live (unless nil)
// once the first relay subscription is up: from then on every
// notification the wallet sends through it arrives.
//
// Notifications are ephemeral: one sent while a relay connection was down
// is gone. So SubscribeLive returns an error as soon as a relay connection
// it listened on is lost (the caller reconciles open invoices with
// lookup_invoice, then subscribes again), and when no relay can be reached
// within the request timeout. Relays that come up later join.
func (c *Client) SubscribeLive(ctx context.Context, live func(), fn func(paymentHash string) error) error {
	// Each (re)subscription asks get_info again: a connection given
	// spending rights since is refused from then on.
	if _, err := c.connect(ctx, true); err != nil {
		return err
	}
	release := c.acquire()
	defer release()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	filter := nostr.Filter{
		Kinds:     []int{KindNotificationNIP44, KindNotificationNIP04},
		Authors:   []string{c.wallet},
		Tags:      nostr.TagMap{"p": {c.pub}},
		LimitZero: true, // live ones only: stored ones were reconciled
	}
	events := make(chan *nostr.Event)
	lost := make(chan error, len(c.relays))
	up := make(chan struct{}, len(c.relays))
	for _, r := range c.relays {
		go func() {
			s, err := r.subscribe(ctx, filter) // waits for the relay to connect
			if err != nil {
				if ctx.Err() == nil {
					lost <- err
				}
				return
			}
			defer r.unsubscribe(s)
			up <- struct{}{}
			for {
				select {
				case ev := <-s.events:
					select {
					case events <- ev:
					case <-ctx.Done():
						return
					}
				case <-s.done:
					lost <- s.err
					return
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	first := time.NewTimer(c.timeout)
	defer first.Stop()
	anyLive := false
	seen := map[string]bool{}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-up:
			if !anyLive && live != nil {
				live()
			}
			anyLive = true
		case <-first.C:
			if !anyLive {
				return fmt.Errorf("nwc: no relay reachable within %s", c.timeout)
			}
		case err := <-lost:
			return fmt.Errorf("nwc: notifications: %w", err)
		case ev := <-events:
			hash, ok := c.settlement(ev)
			if !ok || seen[hash] {
				continue
			}
			if len(seen) >= seenLimit {
				clear(seen)
			}
			seen[hash] = true
			if err := fn(hash); err != nil {
				return err
			}
		}
	}
}

// settlement returns the payment hash of a genuine payment_received
// notification that proves payment (its preimage hashes to its hash).
func (c *Client) settlement(ev *nostr.Event) (string, bool) {
	var plain string
	var err error
	switch {
	case !c.toUs(ev):
		return "", false
	case c.fromWallet(ev, KindNotificationNIP44):
		plain, err = nip44.Decrypt(ev.Content, c.conv44)
	case c.fromWallet(ev, KindNotificationNIP04):
		plain, err = nip04.Decrypt(ev.Content, c.shared04)
	default:
		c.log.Warn("nwc: dropped a notification not signed by the wallet service", "event_id", ev.ID, "kind", ev.Kind)
		return "", false
	}
	if err != nil {
		c.log.Warn("nwc: dropped a notification that does not decrypt", "event_id", ev.ID)
		return "", false
	}
	var n struct {
		Type         string      `json:"notification_type"`
		Notification transaction `json:"notification"`
	}
	if err := json.Unmarshal([]byte(plain), &n); err != nil {
		c.log.Warn("nwc: dropped a malformed notification", "event_id", ev.ID)
		return "", false
	}
	if n.Type != notificationReceived {
		return "", false // payment_sent and others: not ours to act on
	}
	hash := strings.ToLower(n.Notification.PaymentHash)
	if !preimageMatches(n.Notification.Preimage, hash) {
		c.log.Warn("nwc: dropped a payment_received notification whose preimage does not match its payment hash",
			"event_id", ev.ID, "payment_hash", hash)
		return "", false
	}
	return hash, true
}
