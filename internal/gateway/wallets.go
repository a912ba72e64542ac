package gateway

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// PrefixWallet prefixes wallet connection ids.
const PrefixWallet = "wal_"

// WalletConnection is a merchant mode's connected Lightning wallet. Its
// credentials are stored sealed; they can create and look up invoices, never
// spend.
type WalletConnection struct {
	ID         string
	MerchantID string
	Mode       Mode
	Type       string // "lnd"
	Network    string // learnt from the connection test's invoice
	Config     []byte // sealed backend configuration (credentials)
	// SettleIndex is the backend's settlement cursor (LND settle_index)
	// up to which every settlement has been applied.
	SettleIndex   uint64
	LastInvoiceAt time.Time
	LastError     string
	LastErrorAt   time.Time
	StreamAlive   bool
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// StreamOwner is the node holding the settlement stream until
	// StreamLeaseUntil; on many nodes exactly one holds each wallet's.
	StreamOwner      string
	StreamLeaseUntil time.Time
}

// Scope returns the connection's data scope.
func (w *WalletConnection) Scope() Scope { return Scope{MerchantID: w.MerchantID, Mode: w.Mode} }

// WalletStore persists wallet connections.
type WalletStore interface {
	// PutWalletConnection stores w as its scope's wallet, replacing any other.
	PutWalletConnection(ctx context.Context, w *WalletConnection) error
	GetWalletConnection(ctx context.Context, scope Scope) (*WalletConnection, error)
	DeleteWalletConnection(ctx context.Context, scope Scope) error
	// ListWalletConnections lists every connection of every merchant.
	ListWalletConnections(ctx context.Context) ([]WalletConnection, error)
	// UpdateWalletHealth applies fn to connection id (ErrNotFound if gone).
	UpdateWalletHealth(ctx context.Context, id string, fn func(*WalletConnection)) error
	// ClaimWalletStream gives node the settlement-stream lease of
	// connection id until until, if it is free, lapsed at now, or already
	// node's, and reports whether node holds it.
	ClaimWalletStream(ctx context.Context, id, node string, now, until time.Time) (bool, error)
}

// WalletParams is what a merchant sends to connect a wallet: a connection
// string, or its parts (each backend says which it takes).
type WalletParams struct {
	Type             string
	ConnectionString string
	RESTURL          string // lnd, cln
	URL              string // phoenixd, lnbits
	Macaroon         string // lnd
	TLSCert          string // lnd, cln: the certificate to pin
	Rune             string // cln
	Password         string // phoenixd
	APIKey           string // lnbits
	Address          string // lightning_address
	// Mode is the mode the wallet is connected for, set by the Service:
	// which hosts a backend may reach can depend on it.
	Mode Mode
}

// WalletBackends builds wallets of each type from their configuration.
type WalletBackends interface {
	// Configure checks params and returns the configuration to store;
	// bad or spend-capable credentials are a *Error with CodeValidation.
	Configure(p WalletParams) (config []byte, err error)
	// Open builds the wallet of a stored configuration for mode.
	Open(typ string, mode Mode, config []byte) (Wallet, error)
}

// ConnectionTester is the optional interface of wallets that can prove a
// connection end to end (make a small invoice and look it up).
type ConnectionTester interface {
	Test(ctx context.Context) (network string, err error)
}

// SettlementSubscriber is the optional interface of wallets that stream
// settlements from a cursor. Settlements are hints: each leads to a lookup.
// SubscribeSettled calls live (unless nil) once the subscription is in
// place on the node — never while it is only being attempted — so that a
// wallet's health shows its stream alive only while it truly is.
type SettlementSubscriber interface {
	SubscribeSettled(ctx context.Context, settleIndex uint64, live func(), fn func(paymentHash string, settleIndex uint64) error) error
}

// CursorSeeder is the optional interface of a SettlementSubscriber whose
// cursor 0 means "from the node's first settlement ever" (Core Lightning's
// pay_index), not "from now" (LND's settle_index): ConnectWallet starts a
// newly connected wallet's cursor at the node's latest settlement instead,
// so its stream does not replay the node's whole history.
type CursorSeeder interface {
	SettlementCursor(ctx context.Context) (uint64, error)
}

// InvoicePoller is the optional interface of wallets that cannot stream
// settlements (LNbits, LNDhub, a Lightning Address): each of their open
// invoices is looked up on a schedule while its checkout may be paid.
// PollHost names the host those lookups go to, so that lookups of every
// merchant on one host share one rate limit.
type InvoicePoller interface {
	PollHost() string
}

// InvoiceRefLooker is the optional interface of wallets that need the
// invoice's LookupRef, besides its hash, to look it up again.
type InvoiceRefLooker interface {
	LookupInvoiceRef(ctx context.Context, paymentHash, ref string) (Invoice, error)
}

// FixedExpiryWallet is the optional interface of wallets that cannot choose
// an invoice's expiry (a Lightning Address: the LNURL service sets it). Their
// invoices must stay payable at least until the session expires, and may
// stay payable longer; every other wallet's must expire with the session.
type FixedExpiryWallet interface {
	InvoiceExpiryFixed() bool
}

// PaymentHinter is the optional interface of polling wallets that can hear
// early that an invoice may be paid (LNbits's websocket). A hint is never
// proof — anyone may be able to send one — it only moves the invoice's next
// lookup forward. PaymentHints calls fn for each hint until ctx is done or
// the connection fails, and returns why it stopped.
type PaymentHinter interface {
	PaymentHints(ctx context.Context, fn func(paymentHash string)) error
}

// LookupSessionInvoice looks up a session's invoice in its wallet: by hash
// and stored ref for wallets that need one, by hash alone otherwise.
func LookupSessionInvoice(ctx context.Context, w Wallet, paymentHash, ref string) (Invoice, error) {
	if l, ok := UnwrapWallet(w).(InvoiceRefLooker); ok && ref != "" {
		return l.LookupInvoiceRef(ctx, paymentHash, ref)
	}
	return w.LookupInvoice(ctx, paymentHash)
}

// LiveSubscriber is the optional interface of settlement streams without a
// cursor (NWC notifications, which relays do not keep): nothing settled
// before a subscription is live is ever delivered, so the stream's holder
// reconciles the wallet's open sessions each time live is called — once
// the subscription receives every settlement from then on — rather than
// resuming from a cursor.
type LiveSubscriber interface {
	SubscribeLive(ctx context.Context, live func(), fn func(paymentHash string) error) error
}

// Wallets resolves each scope's wallet: its connected wallet, or in test
// mode the built-in test wallet when none is connected. It implements
// WalletResolver and caches opened wallets.
type Wallets struct {
	Store    WalletStore
	Backends WalletBackends
	Sealer   Sealer
	// TestWallet is test mode's default wallet for a merchant.
	TestWallet func(merchantID string) Wallet
	Now        func() time.Time

	mu    sync.Mutex
	cache map[string]Wallet // by connection id + update time
}

// Wallet implements WalletResolver.
func (ws *Wallets) Wallet(ctx context.Context, scope Scope) (Wallet, error) {
	conn, err := ws.Store.GetWalletConnection(ctx, scope)
	switch {
	case errors.Is(err, ErrNotFound):
		if scope.Mode == ModeTest && ws.TestWallet != nil {
			return ws.TestWallet(scope.MerchantID), nil
		}
		return nil, Errorf(CodeWalletUnavailable, "No Lightning wallet is connected for %s mode; connect one with PUT /api/v1/wallet.", scope.Mode)
	case err != nil:
		return nil, err
	}
	return ws.Open(conn)
}

// Open returns the wallet of a connection, opened once per version of it.
func (ws *Wallets) Open(conn *WalletConnection) (Wallet, error) {
	key := conn.ID + "@" + conn.UpdatedAt.String()
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if w, ok := ws.cache[key]; ok {
		return w, nil
	}
	cfg, err := ws.Sealer.Open(conn.Config)
	if err != nil {
		return nil, fmt.Errorf("open wallet %s: %w", conn.ID, err)
	}
	w, err := ws.Backends.Open(conn.Type, conn.Mode, cfg)
	if err != nil {
		return nil, fmt.Errorf("open wallet %s: %w", conn.ID, err)
	}
	w = &trackedWallet{Wallet: w, id: conn.ID, ws: ws}
	if ws.cache == nil {
		ws.cache = map[string]Wallet{}
	}
	for k := range ws.cache { // drop older versions of this connection
		if len(k) > len(conn.ID) && k[:len(conn.ID)+1] == conn.ID+"@" {
			delete(ws.cache, k)
		}
	}
	ws.cache[key] = w
	return w, nil
}

// trackedWallet records a connected wallet's health as it is used.
type trackedWallet struct {
	Wallet
	id string
	ws *Wallets
}

func (t *trackedWallet) CreateInvoice(ctx context.Context, req InvoiceRequest) (Invoice, error) {
	inv, err := t.Wallet.CreateInvoice(ctx, req)
	now := time.Now().UTC()
	if t.ws.Now != nil {
		now = t.ws.Now()
	}
	_ = t.ws.Store.UpdateWalletHealth(context.WithoutCancel(ctx), t.id, func(c *WalletConnection) {
		if err != nil {
			c.LastError, c.LastErrorAt = err.Error(), now
			return
		}
		c.LastInvoiceAt = now
	})
	return inv, err
}

// Unwrap gives access to the backend's optional interfaces.
func (t *trackedWallet) Unwrap() Wallet { return t.Wallet }

// UnwrapWallet finds the backend behind wrappers, to reach its optional
// interfaces (PaymentSimulator, ConnectionTester, SettlementSubscriber).
func UnwrapWallet(w Wallet) Wallet {
	for {
		u, ok := w.(interface{ Unwrap() Wallet })
		if !ok {
			return w
		}
		w = u.Unwrap()
	}
}

// ConnectWallet checks, tests and stores a scope's wallet connection: the
// credentials must be receive-only, and a small invoice must be made and
// looked up through them, or the merchant gets a 422 that says why.
func (s *Service) ConnectWallet(ctx context.Context, scope Scope, p WalletParams) (*WalletConnection, error) {
	if s.cfg.Backends == nil {
		return nil, Errorf(CodeWalletUnavailable, "No wallet backends are configured.")
	}
	p.Mode = scope.Mode
	cfg, err := s.cfg.Backends.Configure(p)
	if err != nil {
		return nil, err
	}
	w, err := s.cfg.Backends.Open(p.Type, scope.Mode, cfg)
	if err != nil {
		return nil, &Error{Code: CodeValidation, Message: "The wallet connection is not usable: " + err.Error(),
			Fields: []FieldError{{Field: "wallet", Message: err.Error()}}}
	}
	network, err := testWallet(ctx, w)
	if err != nil {
		return nil, &Error{Code: CodeValidation, Message: "The wallet connection test failed: " + err.Error(),
			Fields: []FieldError{{Field: "wallet", Message: "connection test failed: " + err.Error()}}}
	}
	sealed, err := s.cfg.Sealer.Seal(cfg)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	conn := &WalletConnection{ID: NewID(PrefixWallet), MerchantID: scope.MerchantID, Mode: scope.Mode, Type: p.Type,
		Network: network, Config: sealed, LastInvoiceAt: now, CreatedAt: now, UpdatedAt: now}
	if old, err := s.store.GetWalletConnection(ctx, scope); err == nil && old.Type == conn.Type {
		// Reconnecting the same node keeps its settlement cursor.
		conn.SettleIndex = old.SettleIndex
	}
	if seeder, ok := UnwrapWallet(w).(CursorSeeder); ok && conn.SettleIndex == 0 {
		if conn.SettleIndex, err = seeder.SettlementCursor(ctx); err != nil {
			return nil, &Error{Code: CodeValidation, Message: "The wallet connection test failed: reading its settlement cursor: " + err.Error(),
				Fields: []FieldError{{Field: "wallet", Message: "reading its settlement cursor: " + err.Error()}}}
		}
	}
	if err := s.store.PutWalletConnection(ctx, conn); err != nil {
		return nil, err
	}
	s.wakeWallets()
	return conn, nil
}

// testWallet proves a connection: a tester's own test, or a 1-sat invoice
// made and looked up.
func testWallet(ctx context.Context, w Wallet) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if t, ok := UnwrapWallet(w).(ConnectionTester); ok {
		return t.Test(ctx)
	}
	inv, err := w.CreateInvoice(ctx, InvoiceRequest{AmountMsat: 1000, Memo: "satsrail connection test", ExpiresAt: time.Now().Add(time.Minute)})
	if err != nil {
		return "", err
	}
	if _, err := LookupSessionInvoice(ctx, w, inv.PaymentHash, inv.LookupRef); err != nil {
		return "", err
	}
	return w.Network(), nil
}

// GetWalletConnection returns the scope's connected wallet (ErrNotFound if
// none is connected).
func (s *Service) GetWalletConnection(ctx context.Context, scope Scope) (*WalletConnection, error) {
	return s.store.GetWalletConnection(ctx, scope)
}

// DisconnectWallet forgets the scope's wallet; test mode falls back to the
// built-in test wallet.
func (s *Service) DisconnectWallet(ctx context.Context, scope Scope) error {
	err := s.store.DeleteWalletConnection(ctx, scope)
	s.wakeWallets()
	return err
}

// TestWalletConnection re-runs the connection test of the scope's wallet.
func (s *Service) TestWalletConnection(ctx context.Context, scope Scope) (network string, latency time.Duration, err error) {
	if s.wallets == nil {
		return "", 0, Errorf(CodeWalletUnavailable, "No Lightning wallet is configured.")
	}
	w, err := s.wallets.Wallet(ctx, scope)
	if err != nil {
		return "", 0, err
	}
	start := time.Now()
	network, err = testWallet(ctx, w)
	latency = time.Since(start)
	if conn, cerr := s.store.GetWalletConnection(ctx, scope); cerr == nil {
		_ = s.store.UpdateWalletHealth(ctx, conn.ID, func(c *WalletConnection) {
			if err != nil {
				c.LastError, c.LastErrorAt = err.Error(), s.Now()
			} else {
				c.LastError = ""
			}
		})
	}
	if err != nil {
		return "", latency, walletFailed("connection test", err)
	}
	return network, latency, nil
}

// WalletsChanged receives a value when a wallet was connected or removed,
// so stream watchers can start or stop.
func (s *Service) WalletsChanged() <-chan struct{} { return s.walletsChanged }

func (s *Service) wakeWallets() {
	select {
	case s.walletsChanged <- struct{}{}:
	default:
	}
}
