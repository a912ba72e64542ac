package gateway

import (
	"context"
	"time"
)

// Clock tells the time; tests inject a fixed or stepping one.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock, in UTC at microsecond precision so every
// store round-trips times exactly.
type SystemClock struct{}

// Now returns the current UTC time truncated to microseconds.
func (SystemClock) Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Rate is a BTC price in one fiat currency with its provenance.
type Rate struct {
	Currency  string
	BTCPrice  Decimal // major units of Currency per BTC
	Source    string  // "median", "fixed", or a provider name
	Sources   []Quote // the quotes the price was made from: they agreed
	Fresh     int     // fresh quotes there were, Sources plus the outliers dropped
	FetchedAt time.Time
	Note      string // why a fallback was used, if it was
}

// Quote is one provider's price.
type Quote struct {
	Provider  string
	Currency  string
	Price     Decimal
	FetchedAt time.Time
}

// RateSource answers the current BTC price. It returns an error wrapping
// ErrRateUnavailable when it has no trustworthy price (none fresher than
// MaxRateAge), and reports which currencies it can price at all.
type RateSource interface {
	Rate(ctx context.Context, currency string) (Rate, error)
	Supports(currency string) bool
}

// MaxRateAge is the oldest price ever used (SPEC §7).
const MaxRateAge = 10 * time.Minute

// Page asks for one page of a list, newest first. StartingAfter, when set,
// takes precedence over Page: the list continues after that object's id.
type Page struct {
	Page          int
	PerPage       int
	StartingAfter string
}

// List is one page of results with the total count under the filter.
type List[T any] struct {
	Items      []T
	HasMore    bool
	TotalCount int
}

// TimeRange bounds created_at; zero ends are open. Both ends are inclusive.
type TimeRange struct {
	From time.Time
	To   time.Time
}

// SessionFilter filters checkout session lists.
type SessionFilter struct {
	Status  SessionStatus
	Created TimeRange
	// OrderID keeps the sessions whose metadata order_id is exactly this.
	OrderID string
	// CustomerEmail keeps the sessions of this customer email, matched
	// ignoring the case of ASCII letters (as both engines can index it).
	CustomerEmail string
	Page
}

// ProductFilter filters product lists.
type ProductFilter struct {
	Status       ProductStatus
	NameContains string
	SKU          string
	ExternalRef  string
	Created      TimeRange
	Page
}

// TransactionFilter filters transaction lists.
type TransactionFilter struct {
	Status            TransactionStatus
	CheckoutSessionID string
	PaymentHash       string
	Created           TimeRange
	Page
}

// SessionChange is what an update function decided: the events to record
// (each with its deliveries to the merchant's subscribed endpoints) and the
// transaction to insert, all in the same database transaction as the session
// row.
type SessionChange struct {
	Events      []Event
	Transaction *Transaction
}

// IdempotencyCompletion is the record of a request run under an
// Idempotency-Key, stored finished — with its response — in the same
// transaction as the object it created. Such a request begins no record: its
// whole effect is that one transaction, so the key's uniqueness in the store
// is what stops a duplicate (ErrIdempotencyKeyTaken), on one node or many.
type IdempotencyCompletion struct {
	APIKeyID    string
	Key         string
	RequestHash []byte
	CreatedAt   time.Time
	// An existing record of the key is replaced only if it was created
	// before ExpiredBefore (its retention is over), or is unfinished and was
	// created before StaleBefore (its request died with its node).
	ExpiredBefore, StaleBefore time.Time
	Status                     int
	Body                       []byte
}

// WithIdempotentResponse marks ctx as a request under an Idempotency-Key:
// respond renders the response of the object the request creates, which the
// store then saves in the same transaction as the object.
func WithIdempotentResponse(ctx context.Context, respond func(obj any) (*IdempotencyCompletion, error)) context.Context {
	return context.WithValue(ctx, idempotentKey{}, respond)
}

type idempotentKey struct{}

// idempotentCompletion renders the completion for obj if ctx asks for one.
func idempotentCompletion(ctx context.Context, obj any) (*IdempotencyCompletion, error) {
	respond, _ := ctx.Value(idempotentKey{}).(func(any) (*IdempotencyCompletion, error))
	if respond == nil {
		return nil, nil
	}
	return respond(obj)
}

// IdempotencyRecord is a stored Idempotency-Key and, once the request has
// finished, its response.
type IdempotencyRecord struct {
	APIKeyID    string
	Key         string
	RequestHash []byte
	Done        bool
	Status      int
	Body        []byte
	CreatedAt   time.Time
}

// Store is the persistence port. Every method that takes a Scope sees only
// that merchant's data in that mode: an object of another scope is
// ErrNotFound. Implementations pass storetest's conformance suite.
type Store interface {
	// Merchants and keys.
	CreateMerchant(ctx context.Context, m *Merchant, keys []APIKey) error
	GetMerchant(ctx context.Context, id string) (*Merchant, error)
	ListMerchants(ctx context.Context) ([]Merchant, error)
	// PrincipalByKeyHash finds the active key with this hash and its merchant.
	PrincipalByKeyHash(ctx context.Context, hash []byte) (*Principal, error)
	// ReplaceAPIKey revokes every active key of key's merchant, kind and mode
	// at key.CreatedAt and inserts key, atomically.
	ReplaceAPIKey(ctx context.Context, key APIKey) error
	// UpdateMerchant loads merchant id, calls fn with it inside one
	// database transaction that excludes concurrent updates of it, and
	// saves it if fn returns nil; fn's error is returned unchanged.
	UpdateMerchant(ctx context.Context, id string, fn func(*Merchant) error) (*Merchant, error)
	// SetMerchantLogo stores logo as merchant id's only logo and sets the
	// merchant's LogoID and UpdatedAt (now), or with a nil logo removes it,
	// in one transaction.
	SetMerchantLogo(ctx context.Context, id string, logo *MerchantLogo, now time.Time) (*Merchant, error)
	// GetMerchantLogo finds a stored logo by its id (content hash).
	GetMerchantLogo(ctx context.Context, logoID string) (*MerchantLogo, error)
	// ListAPIKeys lists the merchant's active keys by type with their
	// LastUsedAt.
	ListAPIKeys(ctx context.Context, merchantID string) ([]APIKey, error)
	// RecordKeyUsage sets each key's last use to the time given unless a
	// later one is stored, in one statement. It changes no credentials
	// version: it is not a change to a key.
	RecordKeyUsage(ctx context.Context, used map[string]time.Time) error
	// CredentialsVersion is a number that changes, in the same transaction,
	// with every change to an API key or a merchant by any writer (another
	// process, another node, SQL by hand): principals read while it stays
	// the same are still current.
	CredentialsVersion(ctx context.Context) (int64, error)

	// Checkout sessions.
	// CreateCheckoutSession stores a new session and, when done is not nil,
	// completes that in-progress Idempotency-Key record with the response in
	// the same transaction, so a crash can never leave the session created
	// but its key unanswered (a retry would create a second one).
	// With done, it also stores done's key record, finished, or writes
	// nothing and returns ErrIdempotencyKeyTaken when the key has a live one.
	CreateCheckoutSession(ctx context.Context, s *CheckoutSession, done *IdempotencyCompletion) error
	GetCheckoutSession(ctx context.Context, scope Scope, id string) (*CheckoutSession, error)
	ListCheckoutSessions(ctx context.Context, scope Scope, f SessionFilter) (List[CheckoutSession], error)
	// UpdateCheckoutSession loads session id (in any scope when scope is the
	// zero Scope), calls fn with it inside one database transaction that
	// excludes concurrent updates of the same session, and, if fn returns no
	// error, writes the session back with every event and the transaction of
	// the change. fn's error is returned unchanged and nothing is written.
	UpdateCheckoutSession(ctx context.Context, scope Scope, id string, fn func(*CheckoutSession) (SessionChange, error)) (*CheckoutSession, error)
	// DueSessions lists ids of pending sessions whose expires_at ≤ now, oldest first.
	DueSessions(ctx context.Context, now time.Time, limit int) ([]string, error)
	// GetCheckoutSessionByPaymentHash finds the session (in any scope) whose
	// invoice has this payment hash, or ErrNotFound.
	GetCheckoutSessionByPaymentHash(ctx context.Context, paymentHash string) (*CheckoutSession, error)
	// ReconcilableSessions lists the sessions of scope (of every scope when
	// scope is the zero Scope) that have an invoice and are pending, or
	// expired or cancelled at or after expiredSince, with id > afterID,
	// ordered by id, at most limit.
	ReconcilableSessions(ctx context.Context, scope Scope, expiredSince time.Time, afterID string, limit int) ([]CheckoutSession, error)

	// Products.
	CreateProduct(ctx context.Context, p *Product) error
	// ProductByID finds a product by id in any scope (for payment links).
	ProductByID(ctx context.Context, id string) (*Product, error)
	// GetProduct finds a product by id, or by slug when no id matches.
	GetProduct(ctx context.Context, scope Scope, idOrSlug string) (*Product, error)
	ListProducts(ctx context.Context, scope Scope, f ProductFilter) (List[Product], error)
	// UpdateProduct applies fn to the product inside a transaction and saves it.
	UpdateProduct(ctx context.Context, scope Scope, idOrSlug string, fn func(*Product) error) (*Product, error)
	// DeleteProduct deletes a product no session references, or archives it
	// (at now) and reports archived=true.
	DeleteProduct(ctx context.Context, scope Scope, idOrSlug string, now time.Time) (archived bool, err error)

	// Transactions.
	GetTransaction(ctx context.Context, scope Scope, id string) (*Transaction, error)
	ListTransactions(ctx context.Context, scope Scope, f TransactionFilter) (List[Transaction], error)

	// Events.
	ListEventsForObject(ctx context.Context, scope Scope, objectID string) ([]Event, error)

	// Idempotency keys.
	// BeginIdempotent records (keyID, key) as in progress and returns
	// (nil, nil), or returns the existing record if one is younger than
	// notBefore. Older records are replaced.
	BeginIdempotent(ctx context.Context, rec IdempotencyRecord, notBefore time.Time) (*IdempotencyRecord, error)
	// LookupIdempotent returns the record of (keyID, key) if one was created
	// at or after notBefore, else ErrNotFound. It writes nothing.
	LookupIdempotent(ctx context.Context, keyID, key string, notBefore time.Time) (*IdempotencyRecord, error)
	// CompleteIdempotent stores the response of an in-progress record.
	CompleteIdempotent(ctx context.Context, keyID, key string, status int, body []byte) error
	// AbortIdempotent forgets an in-progress record so the request can be retried.
	AbortIdempotent(ctx context.Context, keyID, key string) error
	// PurgeIdempotent deletes at most limit records created before t,
	// oldest first, and returns how many.
	PurgeIdempotent(ctx context.Context, t time.Time, limit int) (int, error)

	// ForgetCustomer erases a customer's email (matched without regard to
	// ASCII case) and the name stored beside it from every checkout session
	// of every merchant and mode, and from the stored copies of those
	// sessions: events' bodies and idempotent requests' stored replies. The
	// payments stay (amounts, statuses, transactions, metadata). One
	// transaction; it returns how many records of each kind it changed.
	ForgetCustomer(ctx context.Context, email string) (CustomerForgotten, error)

	// The built-in test wallet's state.
	TestWalletStore
	// Webhook endpoints, events and deliveries.
	WebhookStore
	// Connected wallets.
	WalletStore
	// The dashboard's reports.
	ReportStore
	// Dashboard users, memberships, sessions, invites and the audit log.
	AccountStore

	Close() error
}
