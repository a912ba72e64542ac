package gateway

import (
	"encoding/json"
	"time"
)

// EventType names what happened.
type EventType string

// Event types (SPEC §8).
const (
	EventCheckoutCompleted EventType = "checkout.completed"
	EventCheckoutExpired   EventType = "checkout.expired"
	EventCheckoutCancelled EventType = "checkout.cancelled"
	EventWebhookTest       EventType = "webhook.test"
)

// Event is an outbox row: written in the same database transaction as the
// state change it reports, delivered to webhooks later. Body is the exact JSON
// every delivery sends; it never changes.
type Event struct {
	ID         string
	MerchantID string
	Mode       Mode
	Type       EventType
	ObjectID   string
	Body       []byte
	CreatedAt  time.Time
}

// sessionEvent builds the event for a session's status change. Its body holds
// the seed's webhook fields plus identity (SPEC §8).
func sessionEvent(t EventType, s *CheckoutSession, tx *Transaction, now time.Time) (Event, error) {
	id := NewID(PrefixEvent)
	body := map[string]any{
		"id":           id,
		"event":        string(t),
		"livemode":     s.Mode.Live(),
		"checkout_id":  s.ID,
		"amount_cents": int64(s.AmountCents),
		"currency":     s.Currency,
		"amount_usd":   nil,
		"metadata":     nonNilMap(s.Metadata),
		"timestamp":    now.UTC().Format(time.RFC3339),
		"status":       string(s.Status),
	}
	if s.Currency == "usd" {
		body["amount_usd"] = FormatMinor(s.AmountCents, "usd")
	}
	if s.PaymentHash != "" {
		body["payment_hash"] = s.PaymentHash
	}
	if s.AmountSats != 0 {
		body["amount_sats"] = int64(s.AmountSats)
	}
	if tx != nil {
		body["payment_hash"] = tx.PaymentHash
		body["preimage"] = tx.Preimage
		body["amount_sats"] = int64(tx.AmountSats)
		body["amount_msat"] = int64(tx.AmountMsat)
		body["transaction_id"] = tx.ID
	}
	b, err := json.Marshal(body)
	if err != nil {
		return Event{}, err
	}
	return Event{ID: id, MerchantID: s.MerchantID, Mode: s.Mode, Type: t, ObjectID: s.ID, Body: b, CreatedAt: now}, nil
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
