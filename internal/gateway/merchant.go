package gateway

import (
	"crypto/sha256"
	"strings"
	"time"
)

// Mode separates a merchant's live data from its test data; the two never mix.
type Mode string

// The two modes.
const (
	ModeLive Mode = "live"
	ModeTest Mode = "test"
)

// Live reports whether m is live mode.
func (m Mode) Live() bool { return m == ModeLive }

// Scope is the slice of data one API key may see: one merchant, one mode.
type Scope struct {
	MerchantID string
	Mode       Mode
}

// Merchant is one business. Zero RateLimitPerMinute and CheckoutTTL mean "use
// the gateway's defaults".
type Merchant struct {
	ID                 string
	Name               string
	Email              string
	Status             string // MerchantActive or MerchantSuspended
	RateLimitPerMinute int
	CheckoutTTL        time.Duration

	// Settings the merchant changes itself (PATCH /merchant).
	SupportEmail string // shown to customers; "" for none
	// SuccessURL and ThankYouMessage are what a payment link does after
	// payment unless its product says otherwise: redirect to SuccessURL,
	// else show ThankYouMessage on the gateway's thank-you page.
	SuccessURL      string
	ThankYouMessage string
	// AllowedOrigins are the origins (scheme://host[:port]) the merchant's
	// own pages are served from: where pay.js may send customers back to and
	// which may frame the hosted page.
	AllowedOrigins []string
	// LogoID names the uploaded logo (the hex SHA-256 of its bytes, so its
	// URL changes with its content and can be cached for ever); "" for none.
	LogoID string

	CreatedAt time.Time
	UpdatedAt time.Time
}

// Merchant statuses. A suspended merchant's keys are refused with
// merchant_suspended and its hosted pages say the shop is unavailable;
// nothing of its data changes, so reactivating it restores everything.
const (
	MerchantActive    = "active"
	MerchantSuspended = "suspended"
)

// Suspended reports whether the operator has suspended the merchant.
func (m *Merchant) Suspended() bool { return m.Status == MerchantSuspended }

// Limits on per-merchant overrides.
const (
	MinCheckoutTTL = 5 * time.Minute
	MaxCheckoutTTL = 60 * time.Minute
)

// Validate checks a merchant before it is stored.
func (m *Merchant) Validate() error {
	var fe fieldErrors
	if strings.TrimSpace(m.Name) == "" {
		fe.add("name", "is required")
	} else if len(m.Name) > 200 {
		fe.add("name", "must be at most 200 characters")
	}
	if !validEmail(m.Email) {
		fe.add("email", "must be a valid email address")
	}
	if m.RateLimitPerMinute < 0 {
		fe.add("rate_limit_per_minute", "must not be negative")
	}
	if m.CheckoutTTL != 0 && (m.CheckoutTTL < MinCheckoutTTL || m.CheckoutTTL > MaxCheckoutTTL) {
		fe.add("checkout_ttl", "must be between 5 and 60 minutes")
	}
	if m.Status != MerchantActive && m.Status != MerchantSuspended {
		fe.add("status", "must be active or suspended")
	}
	return fe.err()
}

// KeyKind is publishable (pk) or secret (sk).
type KeyKind string

// The two key kinds.
const (
	KeyPublishable KeyKind = "pk"
	KeySecret      KeyKind = "sk"
)

// KeyType names a key kind in a mode, as its prefix does: "sk_live", "pk_test".
type KeyType string

// The four key types every merchant has.
var KeyTypes = []KeyType{"pk_live", "sk_live", "pk_test", "sk_test"}

// ParseKeyType splits "sk_live" into its kind and mode.
func ParseKeyType(s string) (KeyKind, Mode, bool) {
	kind, mode, ok := strings.Cut(s, "_")
	if !ok || (kind != "pk" && kind != "sk") || (mode != "live" && mode != "test") {
		return "", "", false
	}
	return KeyKind(kind), Mode(mode), true
}

// APIKey is a stored API key: only the hash of the secret is kept.
type APIKey struct {
	ID         string
	MerchantID string
	Kind       KeyKind
	Mode       Mode
	Hash       []byte // SHA-256 of the whole key string
	Last4      string
	// PublishableSealed is the whole key of a publishable (pk) key sealed
	// with the master key, so the dashboard can show it (a pk is public by
	// design, yet no key is stored in clear). Nil for secret keys, which
	// are never stored, and when the key was made without a Sealer.
	PublishableSealed []byte
	CreatedAt         time.Time
	RevokedAt         time.Time // zero while active
	// LastUsedAt is when the key last authenticated a request, to the
	// minute (zero: never); only ListAPIKeys fills it.
	LastUsedAt time.Time
}

// Type returns the key's type, e.g. "sk_test".
func (k *APIKey) Type() KeyType { return KeyType(string(k.Kind) + "_" + string(k.Mode)) }

// HashKey hashes an API key for storage and lookup. Keys carry 143 random bits,
// so a fast hash is enough: there is nothing to brute-force.
func HashKey(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// NewAPIKey mints a key of the given type for a merchant and returns the
// stored form and the secret, which is shown once and never stored.
func NewAPIKey(merchantID string, kind KeyKind, mode Mode, now time.Time) (APIKey, string) {
	secret := string(kind) + "_" + string(mode) + "_" + RandomString(32)
	return APIKey{
		ID:         NewID(PrefixAPIKey),
		MerchantID: merchantID,
		Kind:       kind,
		Mode:       mode,
		Hash:       HashKey(secret),
		Last4:      secret[len(secret)-4:],
		CreatedAt:  now,
	}, secret
}

// Principal is who a request acts for: a merchant through one of its keys.
type Principal struct {
	Merchant Merchant
	Key      APIKey
}

// Scope returns the data scope of the principal's key.
func (p *Principal) Scope() Scope { return Scope{MerchantID: p.Merchant.ID, Mode: p.Key.Mode} }
