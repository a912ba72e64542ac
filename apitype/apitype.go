// Package apitype is satsrail's public wire contract: the JSON shapes of
// requests, responses and errors of the merchant API (SPEC §2–§4, §7). It
// imports only the standard library, so merchants' Go code can use it.
package apitype

import (
	"encoding/json"
	"time"
)

// ErrorBody is the one error envelope: {"error": {...}}.
type ErrorBody struct {
	Error Error `json:"error"`
	// CheckoutSession is set on 410 checkout_expired so the merchant can still
	// read the session.
	CheckoutSession *CheckoutSession `json:"checkout_session,omitempty"`
}

// Error describes what went wrong.
type Error struct {
	Code      string        `json:"code"`
	Message   string        `json:"message"`
	Details   []ErrorDetail `json:"details,omitempty"`
	RequestID string        `json:"request_id"`
}

// ErrorDetail names one broken field.
type ErrorDetail struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// List is a page of objects.
type List[T any] struct {
	Object  string   `json:"object"` // "list"
	Data    []T      `json:"data"`
	HasMore bool     `json:"has_more"`
	Meta    ListMeta `json:"meta"`
}

// ListMeta is the page arithmetic of a List.
type ListMeta struct {
	CurrentPage int `json:"current_page"`
	PerPage     int `json:"per_page"`
	TotalCount  int `json:"total_count"`
	TotalPages  int `json:"total_pages"`
}

// CheckoutSessionCreate is the body of POST /checkout_sessions.
type CheckoutSessionCreate struct {
	CheckoutSession *CheckoutSessionParams `json:"checkout_session"`
}

// CheckoutSessionParams are the fields a merchant sends.
type CheckoutSessionParams struct {
	AmountCents   *int64                   `json:"amount_cents,omitempty"`
	Currency      *string                  `json:"currency,omitempty"`
	CustomerEmail *string                  `json:"customer_email,omitempty"`
	CustomerName  *string                  `json:"customer_name,omitempty"`
	SuccessURL    *string                  `json:"success_url,omitempty"`
	CancelURL     *string                  `json:"cancel_url,omitempty"`
	Metadata      map[string]any           `json:"metadata,omitempty"`
	LineItems     []CheckoutLineItemParams `json:"line_items,omitempty"`
	// Locale is the hosted page's language (a BCP 47 tag such as "pt-BR");
	// absent to follow the customer's browser.
	Locale *string `json:"locale,omitempty"`
}

// CheckoutLineItemParams is one line: a product or an ad-hoc item.
type CheckoutLineItemParams struct {
	ProductID       *string `json:"product_id,omitempty"`
	Name            *string `json:"name,omitempty"`
	UnitAmountCents *int64  `json:"unit_amount_cents,omitempty"`
	Quantity        *int64  `json:"quantity,omitempty"`
}

// CheckoutSession is the session object. The seed's four fields come first.
type CheckoutSession struct {
	CheckoutURL    string            `json:"checkout_url"`
	Token          string            `json:"token"`
	Status         string            `json:"status"`
	ExpiresAt      time.Time         `json:"expires_at"`
	ID             string            `json:"id"`
	Object         string            `json:"object"` // "checkout_session"
	Livemode       bool              `json:"livemode"`
	AmountCents    int64             `json:"amount_cents"`
	Currency       string            `json:"currency"`
	AmountSats     *int64            `json:"amount_sats"`
	ExchangeRate   *string           `json:"exchange_rate"`
	PaymentRequest *string           `json:"payment_request"`
	PaymentHash    *string           `json:"payment_hash"`
	LineItems      []LineItem        `json:"line_items"`
	CustomerEmail  *string           `json:"customer_email"`
	CustomerName   *string           `json:"customer_name"`
	SuccessURL     string            `json:"success_url"`
	CancelURL      string            `json:"cancel_url"`
	Metadata       map[string]string `json:"metadata"`
	CreatedAt      time.Time         `json:"created_at"`
	CompletedAt    *time.Time        `json:"completed_at"`
	ExpiredAt      *time.Time        `json:"expired_at"`
	CancelledAt    *time.Time        `json:"cancelled_at"`
	TransactionID  *string           `json:"transaction_id"`
	// Locale is the hosted page's language; null when it follows the
	// customer's browser.
	Locale *string `json:"locale"`
}

// LineItem is one line of a session.
type LineItem struct {
	ProductID       *string `json:"product_id"`
	Name            string  `json:"name"`
	UnitAmountCents int64   `json:"unit_amount_cents"`
	Quantity        int64   `json:"quantity"`
	AmountCents     int64   `json:"amount_cents"`
}

// ProductWrite is the body of POST /products and PATCH /products/{id}.
type ProductWrite struct {
	Product *ProductParams `json:"product"`
}

// ProductParams are a product's writable fields.
type ProductParams struct {
	Name        *string        `json:"name,omitempty"`
	Description *string        `json:"description,omitempty"`
	PriceCents  *int64         `json:"price_cents,omitempty"`
	Currency    *string        `json:"currency,omitempty"`
	Slug        *string        `json:"slug,omitempty"`
	ImageURL    *string        `json:"image_url,omitempty"`
	Status      *string        `json:"status,omitempty"`
	SKU         *string        `json:"sku,omitempty"`
	ExternalRef *string        `json:"external_ref,omitempty"`
	Metadata    map[string]any `json:"metadata,omitempty"`
	// SuccessURL and ThankYouMessage: what the payment link does after
	// payment ("" falls back to the merchant's defaults).
	SuccessURL      *string `json:"success_url,omitempty"`
	ThankYouMessage *string `json:"thank_you_message,omitempty"`
}

// Product is the product object.
type Product struct {
	ID          string            `json:"id"`
	Object      string            `json:"object"` // "product"
	Livemode    bool              `json:"livemode"`
	Name        string            `json:"name"`
	Description *string           `json:"description"`
	PriceCents  int64             `json:"price_cents"`
	Currency    string            `json:"currency"`
	Slug        string            `json:"slug"`
	ImageURL    *string           `json:"image_url"`
	Status      string            `json:"status"`
	SKU         *string           `json:"sku"`
	ExternalRef *string           `json:"external_ref"`
	Metadata    map[string]string `json:"metadata"`
	// PaymentLinkURL is the product's payment link, /pay/{id}: payable
	// while the product is active.
	PaymentLinkURL  string    `json:"payment_link_url"`
	SuccessURL      *string   `json:"success_url"`
	ThankYouMessage *string   `json:"thank_you_message"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// Transaction is one settled Lightning payment.
type Transaction struct {
	ID                string    `json:"id"`
	Object            string    `json:"object"` // "transaction"
	Livemode          bool      `json:"livemode"`
	Status            string    `json:"status"`
	CheckoutSessionID string    `json:"checkout_session_id"`
	PaymentHash       string    `json:"payment_hash"`
	Preimage          string    `json:"preimage"`
	AmountMsat        int64     `json:"amount_msat"`
	AmountSats        int64     `json:"amount_sats"`
	AmountCents       int64     `json:"amount_cents"`
	Currency          string    `json:"currency"`
	ExchangeRate      string    `json:"exchange_rate"`
	SettledAt         time.Time `json:"settled_at"`
	CreatedAt         time.Time `json:"created_at"`
}

// Rate is the answer of GET /rates.
type Rate struct {
	Object      string       `json:"object"` // "rate"
	Currency    string       `json:"currency"`
	BTCPrice    string       `json:"btc_price"`
	SatsPerUnit string       `json:"sats_per_unit"`
	Source      string       `json:"source"`
	Sources     []RateSource `json:"sources"`
	// SourcesAgreed is how many providers' quotes the price was made from
	// (len(Sources)); 1 means a single source priced it, 0 a fixed rate.
	SourcesAgreed int `json:"sources_agreed"`
	// SourcesFresh is how many fresh quotes there were, those dropped as
	// outliers included.
	SourcesFresh int       `json:"sources_fresh"`
	FetchedAt    time.Time `json:"fetched_at"`
	Note         string    `json:"note,omitempty"`
}

// RateSource is one provider's price behind a Rate.
type RateSource struct {
	Name      string    `json:"name"`
	Price     string    `json:"price"`
	FetchedAt time.Time `json:"fetched_at"`
}

// Merchant is the merchant object of GET /merchant.
type Merchant struct {
	ID                 string    `json:"id"`
	Object             string    `json:"object"` // "merchant"
	Name               string    `json:"name"`
	Email              string    `json:"email"`
	Status             string    `json:"status"`
	Livemode           bool      `json:"livemode"`
	RateLimitPerMinute int       `json:"rate_limit_per_minute"`
	CheckoutTTLSeconds int       `json:"checkout_ttl_seconds"`
	SupportEmail       *string   `json:"support_email"`
	SuccessURL         *string   `json:"success_url"`
	ThankYouMessage    *string   `json:"thank_you_message"`
	AllowedOrigins     []string  `json:"allowed_origins"`
	LogoURL            *string   `json:"logo_url"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
}

// MerchantWrite is the body of PATCH /merchant.
type MerchantWrite struct {
	Merchant *MerchantParams `json:"merchant"`
}

// MerchantParams are the settings a merchant changes itself; absent fields
// stay as they are, "" clears an optional text.
type MerchantParams struct {
	Name         *string `json:"name,omitempty"`
	SupportEmail *string `json:"support_email,omitempty"`
	// CheckoutTTLSeconds is 300 to 3600, or 0 for the gateway's default.
	CheckoutTTLSeconds *int64 `json:"checkout_ttl_seconds,omitempty"`
	// SuccessURL and ThankYouMessage are the payment links' defaults.
	SuccessURL      *string `json:"success_url,omitempty"`
	ThankYouMessage *string `json:"thank_you_message,omitempty"`
	// AllowedOrigins replaces the list; [] empties it.
	AllowedOrigins *[]string `json:"allowed_origins,omitempty"`
}

// MerchantCreated is what `satsrail merchant create --json` prints.
type MerchantCreated struct {
	MerchantID string            `json:"merchant_id"`
	Keys       map[string]string `json:"keys"`
}

// WebhookWrite is the body of POST /webhooks and PATCH /webhooks/{id}.
type WebhookWrite struct {
	Webhook *WebhookParams `json:"webhook"`
}

// WebhookParams are an endpoint's writable fields.
type WebhookParams struct {
	URL         *string  `json:"url,omitempty"`
	Description *string  `json:"description,omitempty"`
	Events      []string `json:"events,omitempty"`
	Active      *bool    `json:"active,omitempty"`
}

// WebhookEndpoint is the webhook endpoint object. Secret is present only in
// the answers of create and rotate_secret.
type WebhookEndpoint struct {
	ID                  string     `json:"id"`
	Object              string     `json:"object"` // "webhook_endpoint"
	Livemode            bool       `json:"livemode"`
	URL                 string     `json:"url"`
	Description         *string    `json:"description"`
	Events              []string   `json:"events"`
	Active              bool       `json:"active"`
	Secret              string     `json:"secret,omitempty"`
	PrevSecretExpiresAt *time.Time `json:"previous_secret_expires_at"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
}

// Event is the event object of GET /events; Data is the exact body every
// delivery of it sends.
type Event struct {
	ID        string          `json:"id"`
	Object    string          `json:"object"` // "event"
	Type      string          `json:"type"`
	Livemode  bool            `json:"livemode"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// WebhookDelivery is one event's delivery to one endpoint, with its attempts.
type WebhookDelivery struct {
	ID             string            `json:"id"`
	Object         string            `json:"object"` // "webhook_delivery"
	Livemode       bool              `json:"livemode"`
	EventID        string            `json:"event_id"`
	WebhookID      string            `json:"webhook_id"`
	Status         string            `json:"status"`
	Attempts       int               `json:"attempt_count"`
	NextAttemptAt  *time.Time        `json:"next_attempt_at"`
	LastAttemptAt  *time.Time        `json:"last_attempt_at"`
	LastStatusCode *int              `json:"last_status_code"`
	LastError      *string           `json:"last_error"`
	AttemptLog     []DeliveryAttempt `json:"attempts"`
	CreatedAt      time.Time         `json:"created_at"`
}

// DeliveryAttempt is the log of one POST.
type DeliveryAttempt struct {
	Attempt      int       `json:"attempt"`
	At           time.Time `json:"at"`
	StatusCode   *int      `json:"status_code"`
	LatencyMS    int64     `json:"latency_ms"`
	Error        *string   `json:"error"`
	ResponseBody string    `json:"response_body"`
}

// WalletWrite is the body of PUT /wallet.
type WalletWrite struct {
	Wallet *WalletParams `json:"wallet"`
}

// WalletParams connects a wallet: a connection string, or its parts.
type WalletParams struct {
	Type             string  `json:"type"`
	ConnectionString *string `json:"connection_string,omitempty"`
	RESTURL          *string `json:"rest_url,omitempty"`
	URL              *string `json:"url,omitempty"`
	Macaroon         *string `json:"macaroon,omitempty"`
	TLSCert          *string `json:"tls_cert,omitempty"`
	Rune             *string `json:"rune,omitempty"`
	Password         *string `json:"password,omitempty"`
	APIKey           *string `json:"api_key,omitempty"`
	Address          *string `json:"address,omitempty"`
}

// Wallet is a mode's wallet as the API shows it: never a credential.
type Wallet struct {
	ID        *string      `json:"id"` // null for the built-in test wallet
	Object    string       `json:"object"`
	Livemode  bool         `json:"livemode"`
	Type      string       `json:"type"`
	Network   string       `json:"network"`
	Status    string       `json:"status"` // "active" or "error"
	Health    WalletHealth `json:"health"`
	CreatedAt *time.Time   `json:"created_at"`
	UpdatedAt *time.Time   `json:"updated_at"`
}

// WalletHealth is what the gateway last saw of a wallet.
type WalletHealth struct {
	LastInvoiceAt *time.Time `json:"last_invoice_at"`
	StreamAlive   bool       `json:"stream_alive"`
	LastError     *string    `json:"last_error"`
	LastErrorAt   *time.Time `json:"last_error_at"`
}

// WalletTest is the answer of POST /wallet/test.
type WalletTest struct {
	Object    string `json:"object"` // "wallet_test"
	OK        bool   `json:"ok"`
	Network   string `json:"network"`
	LatencyMS int64  `json:"latency_ms"`
}
