// Package apiconv turns domain objects into their API wire form
// (apitype), for every place that shows them as the API does: the JSON API
// itself and the dashboard's "JSON" views. std and the project only.
package apiconv

import (
	"time"

	"github.com/satsrail/satsrail/apitype"
	"github.com/satsrail/satsrail/internal/gateway"
)

// OptString is s, or nil (JSON null) when it is empty.
func OptString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// OptTime is t, or nil (JSON null) when it is zero.
func OptTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// StringMap is m, or an empty map (JSON {}) when it is nil.
func StringMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// CheckoutSession is cs as the API shows it; publicURL is the gateway's
// public base URL, which its checkout_url starts with.
func CheckoutSession(cs *gateway.CheckoutSession, publicURL string) apitype.CheckoutSession {
	out := apitype.CheckoutSession{
		CheckoutURL:    publicURL + "/checkout/" + cs.ID,
		Token:          cs.ID,
		Status:         string(cs.Status),
		ExpiresAt:      cs.ExpiresAt,
		ID:             cs.ID,
		Object:         "checkout_session",
		Livemode:       cs.Mode.Live(),
		AmountCents:    int64(cs.AmountCents),
		Currency:       cs.Currency,
		ExchangeRate:   OptString(cs.ExchangeRate),
		PaymentRequest: OptString(cs.PaymentRequest),
		PaymentHash:    OptString(cs.PaymentHash),
		LineItems:      []apitype.LineItem{},
		CustomerEmail:  OptString(cs.CustomerEmail),
		CustomerName:   OptString(cs.CustomerName),
		SuccessURL:     cs.SuccessURL,
		CancelURL:      cs.CancelURL,
		Metadata:       StringMap(cs.Metadata),
		CreatedAt:      cs.CreatedAt,
		CompletedAt:    OptTime(cs.CompletedAt),
		ExpiredAt:      OptTime(cs.ExpiredAt),
		CancelledAt:    OptTime(cs.CancelledAt),
		TransactionID:  OptString(cs.TransactionID),
		Locale:         OptString(cs.Locale),
	}
	if cs.AmountSats != 0 {
		sats := int64(cs.AmountSats)
		out.AmountSats = &sats
	}
	for _, li := range cs.LineItems {
		out.LineItems = append(out.LineItems, apitype.LineItem{
			ProductID: OptString(li.ProductID), Name: li.Name, UnitAmountCents: int64(li.UnitAmountCents),
			Quantity: li.Quantity, AmountCents: int64(li.Amount()),
		})
	}
	return out
}

// Transaction is t as the API shows it.
func Transaction(t *gateway.Transaction) apitype.Transaction {
	return apitype.Transaction{
		ID: t.ID, Object: "transaction", Livemode: t.Mode.Live(), Status: string(t.Status),
		CheckoutSessionID: t.CheckoutSessionID, PaymentHash: t.PaymentHash, Preimage: t.Preimage,
		AmountMsat: int64(t.AmountMsat), AmountSats: int64(t.AmountSats), AmountCents: int64(t.AmountCents),
		Currency: t.Currency, ExchangeRate: t.ExchangeRate, SettledAt: t.SettledAt, CreatedAt: t.CreatedAt,
	}
}
