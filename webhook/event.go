package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Event types (SPEC §8), the values of Event.Type and of HeaderEvent.
const (
	// EventCheckoutCompleted means the session was paid; the event carries the preimage.
	EventCheckoutCompleted = "checkout.completed"
	// EventCheckoutExpired means the session's time ran out unpaid.
	EventCheckoutExpired = "checkout.expired"
	// EventCheckoutCancelled means the session was cancelled unpaid.
	EventCheckoutCancelled = "checkout.cancelled"
	// EventWebhookTest is a test delivery sent from the API or the dashboard.
	EventWebhookTest = "webhook.test"
)

// Event is the decoded body of a webhook delivery. The body holds the seed's
// webhook fields plus identity; fields the server leaves out decode to their
// zero value, and fields this version does not know are ignored.
type Event struct {
	// ID is the event's id ("evt_..."), the same on every attempt; deduplicate on it.
	ID string `json:"id"`
	// Type is what happened, one of the Event* constants.
	Type string `json:"event"`
	// Livemode is false for test-mode events.
	Livemode bool `json:"livemode"`
	// CheckoutID is the checkout session the event is about ("cs_...").
	CheckoutID string `json:"checkout_id"`
	// PaymentHash is the hex payment hash of the session's Lightning invoice,
	// empty if no invoice was created.
	PaymentHash string `json:"payment_hash,omitempty"`
	// Preimage is the hex preimage proving payment; set on checkout.completed.
	Preimage string `json:"preimage,omitempty"`
	// AmountSats is the invoice amount in satoshis, zero if no invoice was created.
	AmountSats int64 `json:"amount_sats,omitempty"`
	// AmountMsat is the amount received in millisatoshis; set on checkout.completed.
	AmountMsat int64 `json:"amount_msat,omitempty"`
	// AmountUSD is the price as a decimal string ("50.00") when the currency
	// is usd, and empty otherwise (the body carries null).
	AmountUSD string `json:"amount_usd,omitempty"`
	// AmountCents is the price in the minor units of Currency.
	AmountCents int64 `json:"amount_cents"`
	// Currency is the lower-case ISO 4217 code of the price, such as "usd".
	Currency string `json:"currency"`
	// Metadata is the merchant's metadata of the checkout session.
	Metadata map[string]string `json:"metadata"`
	// Timestamp is when the event happened (not when it was delivered).
	Timestamp time.Time `json:"timestamp"`
	// Status is the session's status after the event, such as "completed".
	Status string `json:"status,omitempty"`
	// TransactionID is the transaction ("tx_...") that paid the session; set on checkout.completed.
	TransactionID string `json:"transaction_id,omitempty"`

	// Raw is the body exactly as received, for fields this version does not know.
	Raw json.RawMessage `json:"-"`
}

// Options tune ConstructEventWithOptions. The zero value of each field means
// its default.
type Options struct {
	// Secrets are the endpoint's secrets; a delivery signed with any of them is
	// accepted. Hold both the old and the new secret while rotating.
	Secrets []string
	// Tolerance is how far the V2 timestamp may be from Now; DefaultTolerance if zero.
	Tolerance time.Duration
	// Now is the clock; time.Now if nil.
	Now func() time.Time
	// RequireV2 rejects deliveries that carry only the seed signature, with
	// ErrNoSignature. Every satsrail server signs both schemes, so set it
	// unless you also receive from senders that sign only the seed scheme:
	// without it, a captured delivery stripped of its V2 headers can be
	// replayed, since the seed signature carries no timestamp.
	RequireV2 bool
}

// ConstructEvent verifies a delivery's signature and decodes its body.
// body must be the request body exactly as received, h its headers.
//
// If h has HeaderSignatureV2, that signature is checked with DefaultTolerance
// against time.Now and the seed header is ignored, so a bad V2 signature is
// never rescued by a good seed one; if h also has HeaderTimestamp it must
// equal the V2 signature's t, else ErrInvalidHeader. Otherwise h must have
// HeaderSignature. With neither header it returns ErrNoSignature. See
// ConstructEventWithOptions to set the clock, the tolerance, or to require V2.
func ConstructEvent(body []byte, h http.Header, secrets ...string) (Event, error) {
	return ConstructEventWithOptions(body, h, Options{Secrets: secrets})
}

// ConstructEventWithOptions is ConstructEvent with a clock, a tolerance and
// a switch to refuse seed-only deliveries.
func ConstructEventWithOptions(body []byte, h http.Header, opts Options) (Event, error) {
	if err := verifyHeaders(body, h, opts); err != nil {
		return Event{}, err
	}
	var e Event
	if err := json.Unmarshal(body, &e); err != nil {
		return Event{}, fmt.Errorf("webhook: decode event: %w", err)
	}
	e.Raw = bytes.Clone(body)
	return e, nil
}

func verifyHeaders(body []byte, h http.Header, opts Options) error {
	if v2 := h.Get(HeaderSignatureV2); v2 != "" {
		sig, err := parseV2(v2)
		if err != nil {
			return err
		}
		if ts := h.Get(HeaderTimestamp); ts != "" {
			t, err := parseUnix(ts)
			if err != nil {
				return fmt.Errorf("%w: %s: %v", ErrInvalidHeader, HeaderTimestamp, err)
			}
			if t != sig.t {
				return fmt.Errorf("%w: %s is %d but %s has t=%d", ErrInvalidHeader, HeaderTimestamp, t, HeaderSignatureV2, sig.t)
			}
		}
		var now time.Time
		if opts.Now != nil {
			now = opts.Now()
		}
		return sig.verify(body, now, opts.Tolerance, opts.Secrets)
	}
	if opts.RequireV2 {
		return fmt.Errorf("%w: %s required", ErrNoSignature, HeaderSignatureV2)
	}
	return Verify(body, h.Get(HeaderSignature), opts.Secrets...)
}
