package gateway

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Config configures a Service; zero fields mean the defaults.
type Config struct {
	Store Store
	Rates RateSource
	Clock Clock // default SystemClock

	// CheckoutTTL is how long a session stays payable unless the merchant
	// overrides it (default 15 minutes).
	CheckoutTTL time.Duration
	// MaxAmountCents caps a session's amount in minor units (default 100,000,000).
	MaxAmountCents Cents
	// IdempotencyTTL is how long Idempotency-Keys are kept (default 24 h).
	IdempotencyTTL time.Duration
	// KeyRecheck is how long the principals of API keys seen are trusted
	// before the store is asked whether any key or merchant changed
	// (default DefaultKeyRecheck; negative: on every request).
	KeyRecheck time.Duration

	// Wallets finds each merchant mode's wallet; Decode checks the invoices
	// they return. Both are needed for payments.
	Wallets WalletResolver
	Decode  InvoiceDecoder

	// Sealer seals webhook secrets; GuardURL refuses webhook URLs (SSRF).
	Sealer   Sealer
	GuardURL URLGuard
	// Backends build connected wallets (lnd, ...).
	Backends WalletBackends

	// Observer hooks, for metrics; nil ones are skipped. Each is called
	// after its change committed, once per change, on the node that made it.
	//
	// OnSession is told of sessions created, completed, expired and
	// cancelled (event is that word).
	OnSession func(event string, mode Mode)
	// OnSettle is told how each completing payment was found: "hint" (a
	// wallet's hint or stream), "reconcile" (the sweep) or "simulate".
	OnSettle func(path string, mode Mode)
	// OnReconcile is told of each finished reconciliation sweep and how many
	// sessions it completed.
	OnReconcile func(completed int, err error)
	// OnInvoice is told of each invoice made for a session, once it is
	// stored: a polling wallet's poller starts looking it up at once
	// instead of at its next refresh.
	OnInvoice func(sess *CheckoutSession)
}

// Defaults.
const (
	DefaultCheckoutTTL    = 15 * time.Minute
	DefaultMaxAmountCents = Cents(100_000_000)
	DefaultIdempotencyTTL = 24 * time.Hour
	DefaultRateLimit      = 600
)

// Service applies satsrail's rules through the ports. It starts no goroutines.
type Service struct {
	store   Store
	rates   RateSource
	clock   Clock
	wallets WalletResolver
	decode  InvoiceDecoder
	cfg     Config
	hub     hub
	flight  flight
	keys    *keyCache
	usage   keyUsage
	// deliveries wakes the delivery worker when new deliveries exist.
	deliveries chan struct{}
	// walletsChanged wakes the settlement stream watchers.
	walletsChanged chan struct{}
}

// NewService returns a Service for cfg.
func NewService(cfg Config) *Service {
	cfg.Clock = cmp.Or[Clock](cfg.Clock, SystemClock{})
	cfg.CheckoutTTL = cmp.Or(cfg.CheckoutTTL, DefaultCheckoutTTL)
	cfg.MaxAmountCents = cmp.Or(cfg.MaxAmountCents, DefaultMaxAmountCents)
	cfg.IdempotencyTTL = cmp.Or(cfg.IdempotencyTTL, DefaultIdempotencyTTL)
	return &Service{store: cfg.Store, rates: cfg.Rates, clock: cfg.Clock, wallets: cfg.Wallets, decode: cfg.Decode, cfg: cfg,
		keys: newKeyCache(cfg.KeyRecheck), deliveries: make(chan struct{}, 1), walletsChanged: make(chan struct{}, 1)}
}

// Now is the service's clock reading (UTC, microseconds).
func (s *Service) Now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

// Store returns the service's store, for workers and commands that need it.
func (s *Service) Store() Store { return s.store }

// MerchantParams creates a merchant.
type MerchantParams struct {
	Name               string
	Email              string
	RateLimitPerMinute int
	CheckoutTTL        time.Duration
}

// CreateMerchant creates a merchant with its four keys and returns the key
// secrets by type. The secrets exist only in this return value.
func (s *Service) CreateMerchant(ctx context.Context, p MerchantParams) (*Merchant, map[KeyType]string, error) {
	m, keys, secrets, err := s.newMerchant(p)
	if err != nil {
		return nil, nil, err
	}
	if err := s.store.CreateMerchant(ctx, m, keys); err != nil {
		return nil, nil, fmt.Errorf("create merchant: %w", err)
	}
	return m, secrets, nil
}

// newMerchant is the rule of a new merchant, whoever stores it (the CLI,
// a dashboard sign-up): validated, active, with its four keys, whose secrets
// are returned by type and exist only in that return value.
func (s *Service) newMerchant(p MerchantParams) (*Merchant, []APIKey, map[KeyType]string, error) {
	now := s.Now()
	m := &Merchant{
		ID: NewID(PrefixMerchant), Name: strings.TrimSpace(p.Name), Email: strings.TrimSpace(p.Email),
		Status: MerchantActive, RateLimitPerMinute: p.RateLimitPerMinute, CheckoutTTL: p.CheckoutTTL,
		CreatedAt: now, UpdatedAt: now,
	}
	if err := m.Validate(); err != nil {
		return nil, nil, nil, err
	}
	secrets := make(map[KeyType]string, len(KeyTypes))
	var keys []APIKey
	for _, kt := range KeyTypes {
		kind, mode, _ := ParseKeyType(string(kt))
		k, secret := NewAPIKey(m.ID, kind, mode, now)
		if err := s.sealPublishable(&k, secret); err != nil {
			return nil, nil, nil, err
		}
		keys = append(keys, k)
		secrets[kt] = secret
	}
	return m, keys, secrets, nil
}

// ListMerchants lists every merchant, oldest first.
func (s *Service) ListMerchants(ctx context.Context) ([]Merchant, error) {
	return s.store.ListMerchants(ctx)
}

// GetMerchant returns one merchant.
func (s *Service) GetMerchant(ctx context.Context, id string) (*Merchant, error) {
	return s.store.GetMerchant(ctx, id)
}

// RollKey replaces the merchant's key of type kt with a new one, revoking the
// old at once, and returns the new secret.
func (s *Service) RollKey(ctx context.Context, merchantID string, kt KeyType) (string, error) {
	kind, mode, ok := ParseKeyType(string(kt))
	if !ok {
		return "", &Error{Code: CodeValidation, Message: "unknown key type",
			Fields: []FieldError{{Field: "key_type", Message: "must be one of pk_live, sk_live, pk_test, sk_test"}}}
	}
	k, secret := NewAPIKey(merchantID, kind, mode, s.Now())
	if err := s.sealPublishable(&k, secret); err != nil {
		return "", err
	}
	if err := s.store.ReplaceAPIKey(ctx, k); err != nil {
		return "", fmt.Errorf("roll key: %w", err)
	}
	s.keys.reset()
	return secret, nil
}

// sealPublishable keeps a publishable key's whole value sealed beside it,
// for the dashboard to show, when the service has a Sealer.
func (s *Service) sealPublishable(k *APIKey, secret string) error {
	if k.Kind != KeyPublishable || s.cfg.Sealer == nil {
		return nil
	}
	sealed, err := s.cfg.Sealer.Seal([]byte(secret))
	if err != nil {
		return fmt.Errorf("seal publishable key: %w", err)
	}
	k.PublishableSealed = sealed
	return nil
}

// Authenticate resolves a bearer secret to its principal. Anything that is not
// an active key is ErrUnauthorized, with no hint of why; an active key of a
// suspended merchant is merchant_suspended (403), so its developers learn
// why their integration stopped. Each success notes the key's use in
// memory (FlushKeyUsage writes it): no request writes to the store.
func (s *Service) Authenticate(ctx context.Context, secret string) (*Principal, error) {
	unauthorized := &Error{Code: CodeUnauthorized, Message: "Invalid or missing API key. Send Authorization: Bearer sk_live_... (or sk_test_...)."}
	if _, _, ok := ParseKeyType(keyTypePrefix(secret)); !ok || len(secret) > 200 {
		return nil, unauthorized
	}
	hash := HashKey(secret)
	version, err := s.keys.current(ctx, s.store.CredentialsVersion)
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	p, ok := s.keys.get(hash)
	if !ok {
		p, err = s.store.PrincipalByKeyHash(ctx, hash)
		if errors.Is(err, ErrNotFound) {
			return nil, unauthorized
		}
		if err != nil {
			return nil, fmt.Errorf("authenticate: %w", err)
		}
		s.keys.put(hash, *p, version)
	}
	// A suspended merchant's key is still a use of the key: the operator
	// sees the integration calling.
	s.usage.note(p.Key.ID, s.clock.Now())
	if p.Merchant.Status != MerchantActive {
		return nil, errMerchantSuspended()
	}
	return p, nil
}

// keyTypePrefix returns "sk_live" of "sk_live_abc...".
func keyTypePrefix(secret string) string {
	if len(secret) < 8 {
		return ""
	}
	return secret[:7]
}

// RateLimitPerMinute is the merchant's API rate limit.
func (s *Service) RateLimitPerMinute(m *Merchant) int {
	return cmp.Or(m.RateLimitPerMinute, DefaultRateLimit)
}

func (s *Service) checkoutTTL(m *Merchant) time.Duration {
	return cmp.Or(m.CheckoutTTL, s.cfg.CheckoutTTL)
}

// CreateCheckoutSession validates params and stores a pending session. It
// refuses early (503 rate_unavailable) when the currency cannot be priced
// right now, since the hosted page could not make an invoice either.
//
// A publishable key's session must return to the merchant's allowed origins
// (checkReturnOrigins).
func (s *Service) CreateCheckoutSession(ctx context.Context, p *Principal, params CheckoutSessionParams) (*CheckoutSession, error) {
	var check func(*CheckoutSession) error
	if p.Key.Kind == KeyPublishable {
		check = func(sess *CheckoutSession) error { return checkReturnOrigins(&p.Merchant, p.Key.Mode, sess) }
	}
	return s.createSession(ctx, &p.Merchant, p.Scope(), params, check)
}

// createSession creates a session for merchant m in scope; check, if not
// nil, may refuse the validated session before anything else is done.
func (s *Service) createSession(ctx context.Context, m *Merchant, scope Scope, params CheckoutSessionParams, check func(*CheckoutSession) error) (*CheckoutSession, error) {
	lookup := func(idOrSlug string) (*Product, error) { return s.store.GetProduct(ctx, scope, idOrSlug) }
	sess, err := buildSession(params, s.cfg.MaxAmountCents, s.rates.Supports, lookup)
	if err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(sess); err != nil {
			return nil, err
		}
	}
	if _, err := s.rates.Rate(ctx, sess.Currency); err != nil {
		return nil, err
	}
	now := s.Now()
	sess.ID = NewID(PrefixSession)
	sess.MerchantID, sess.Mode = scope.MerchantID, scope.Mode
	sess.CreatedAt, sess.UpdatedAt = now, now
	sess.ExpiresAt = now.Add(s.checkoutTTL(m))
	done, err := idempotentCompletion(ctx, sess)
	if err != nil {
		return nil, err
	}
	if err := s.store.CreateCheckoutSession(ctx, sess, done); err != nil {
		return nil, fmt.Errorf("create checkout session: %w", err)
	}
	s.observeSession("created", sess.Mode)
	return sess, nil
}

// observeSession calls the OnSession hook, if any.
func (s *Service) observeSession(event string, mode Mode) {
	if s.cfg.OnSession != nil {
		s.cfg.OnSession(event, mode)
	}
}

// GetCheckoutSession returns a session, expiring it first if its time is up
// and the worker has not got to it yet, so a read never shows a stale status.
func (s *Service) GetCheckoutSession(ctx context.Context, scope Scope, id string) (*CheckoutSession, error) {
	if !lookupable(id) { // the hosted page's token, straight from its URL
		return nil, fmt.Errorf("checkout session: %w", ErrNotFound)
	}
	sess, err := s.store.GetCheckoutSession(ctx, scope, id)
	if err != nil {
		return nil, err
	}
	if sess.Status == StatusPending && !s.Now().Before(sess.ExpiresAt) {
		return s.expire(ctx, scope, id)
	}
	return sess, nil
}

// ListCheckoutSessions lists sessions in scope.
func (s *Service) ListCheckoutSessions(ctx context.Context, scope Scope, f SessionFilter) (List[CheckoutSession], error) {
	return s.store.ListCheckoutSessions(ctx, scope, f)
}

// ExpireCheckoutSession expires a pending session now, at the merchant's
// request. An already expired session is returned as it is; a completed or
// cancelled one cannot be expired.
func (s *Service) ExpireCheckoutSession(ctx context.Context, scope Scope, id string) (*CheckoutSession, error) {
	return s.expire(ctx, scope, id)
}

// ExpireDue expires every pending session whose time is up and returns how
// many it expired. Safe to run on many nodes at once: each session moves once.
func (s *Service) ExpireDue(ctx context.Context) (int, error) {
	n := 0
	for {
		ids, err := s.store.DueSessions(ctx, s.Now(), 100)
		if err != nil {
			return n, err
		}
		for _, id := range ids {
			sess, err := s.expire(ctx, Scope{}, id)
			if err != nil {
				return n, err
			}
			if sess.Status == StatusExpired {
				n++
			}
		}
		if len(ids) < 100 {
			return n, nil
		}
	}
}

func (s *Service) expire(ctx context.Context, scope Scope, id string) (*CheckoutSession, error) {
	moved := false // this call expired it (not an earlier one)
	out, err := s.store.UpdateCheckoutSession(ctx, scope, id, func(sess *CheckoutSession) (SessionChange, error) {
		moved = false
		switch sess.Status {
		case StatusExpired:
			return SessionChange{}, nil
		case StatusPending:
		default:
			return SessionChange{}, &Error{Code: CodeValidation,
				Message: fmt.Sprintf("Checkout session is %s; only a pending session can be expired.", sess.Status),
				Fields:  []FieldError{{Field: "status", Message: "must be pending"}}}
		}
		now := s.Now()
		if err := sess.Transition(StatusExpired, now); err != nil {
			return SessionChange{}, err
		}
		ev, err := sessionEvent(EventCheckoutExpired, sess, nil, now)
		if err != nil {
			return SessionChange{}, err
		}
		moved = true
		return SessionChange{Events: []Event{ev}}, nil
	})
	if err == nil && out.Status == StatusExpired {
		s.hub.notify(id)
		s.wakeDeliveries()
		if moved {
			s.observeSession("expired", out.Mode)
		}
	}
	return out, err
}

// Rate returns the current price of BTC in currency.
func (s *Service) Rate(ctx context.Context, currency string) (Rate, error) {
	var fe fieldErrors
	code, ok := checkCurrency(&fe, "currency", currency, s.rates.Supports)
	if !ok {
		return Rate{}, fe.err()
	}
	return s.rates.Rate(ctx, code)
}

// SupportsCurrency reports whether currency can be priced at all.
func (s *Service) SupportsCurrency(currency string) bool { return s.rates.Supports(currency) }

// CreateProduct validates and stores a product. Without a slug, one is made
// from the name and made unique with a suffix.
func (s *Service) CreateProduct(ctx context.Context, scope Scope, in ProductParams) (*Product, error) {
	now := s.Now()
	p := &Product{ID: NewID(PrefixProduct), MerchantID: scope.MerchantID, Mode: scope.Mode, CreatedAt: now, UpdatedAt: now}
	if err := applyProduct(p, in, true, s.cfg.MaxAmountCents, s.rates.Supports); err != nil {
		return nil, err
	}
	explicit := p.Slug != ""
	base := cmp.Or(p.Slug, Slugify(p.Name))
	p.Slug = base
	for attempt := 0; ; attempt++ {
		err := s.store.CreateProduct(ctx, p)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, ErrConflict) {
			return nil, fmt.Errorf("create product: %w", err)
		}
		if explicit {
			return nil, slugTaken()
		}
		if attempt == 5 {
			return nil, fmt.Errorf("create product: no free slug for %q: %w", base, err)
		}
		p.Slug = base + "-" + strings.ToLower(RandomString(6))
	}
}

func slugTaken() error {
	return &Error{Code: CodeValidation, Message: "The request has invalid fields.",
		Fields: []FieldError{{Field: "slug", Message: "is already used by another product"}}}
}

// GetProduct finds a product by id or slug.
func (s *Service) GetProduct(ctx context.Context, scope Scope, idOrSlug string) (*Product, error) {
	return s.store.GetProduct(ctx, scope, idOrSlug)
}

// ListProducts lists products in scope.
func (s *Service) ListProducts(ctx context.Context, scope Scope, f ProductFilter) (List[Product], error) {
	return s.store.ListProducts(ctx, scope, f)
}

// UpdateProduct applies a patch.
func (s *Service) UpdateProduct(ctx context.Context, scope Scope, idOrSlug string, in ProductParams) (*Product, error) {
	p, err := s.store.UpdateProduct(ctx, scope, idOrSlug, func(p *Product) error {
		if err := applyProduct(p, in, false, s.cfg.MaxAmountCents, s.rates.Supports); err != nil {
			return err
		}
		p.UpdatedAt = s.Now()
		return nil
	})
	if errors.Is(err, ErrConflict) {
		return nil, slugTaken()
	}
	return p, err
}

// DeleteProduct deletes a product, or archives it when sessions reference it.
func (s *Service) DeleteProduct(ctx context.Context, scope Scope, idOrSlug string) (archived bool, err error) {
	return s.store.DeleteProduct(ctx, scope, idOrSlug, s.Now())
}

// GetTransaction returns one transaction.
func (s *Service) GetTransaction(ctx context.Context, scope Scope, id string) (*Transaction, error) {
	return s.store.GetTransaction(ctx, scope, id)
}

// ListTransactions lists transactions in scope.
func (s *Service) ListTransactions(ctx context.Context, scope Scope, f TransactionFilter) (List[Transaction], error) {
	return s.store.ListTransactions(ctx, scope, f)
}

// IdempotencyTTL is how long Idempotency-Keys are honoured.
func (s *Service) IdempotencyTTL() time.Duration { return s.cfg.IdempotencyTTL }

// DefaultCheckoutTTL is the gateway-wide session lifetime.
func (s *Service) DefaultCheckoutTTL() time.Duration { return s.cfg.CheckoutTTL }
