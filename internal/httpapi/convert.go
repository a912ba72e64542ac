package httpapi

import (
	"time"

	"github.com/satsrail/satsrail/apitype"
	"github.com/satsrail/satsrail/internal/gateway"
)

// Converters from domain objects to their wire form.

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func stringMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func (s *Server) toSession(cs *gateway.CheckoutSession) apitype.CheckoutSession {
	out := apitype.CheckoutSession{
		CheckoutURL:    s.publicURL + "/checkout/" + cs.ID,
		Token:          cs.ID,
		Status:         string(cs.Status),
		ExpiresAt:      cs.ExpiresAt,
		ID:             cs.ID,
		Object:         "checkout_session",
		Livemode:       cs.Mode.Live(),
		AmountCents:    int64(cs.AmountCents),
		Currency:       cs.Currency,
		ExchangeRate:   optString(cs.ExchangeRate),
		PaymentRequest: optString(cs.PaymentRequest),
		PaymentHash:    optString(cs.PaymentHash),
		LineItems:      []apitype.LineItem{},
		CustomerEmail:  optString(cs.CustomerEmail),
		CustomerName:   optString(cs.CustomerName),
		SuccessURL:     cs.SuccessURL,
		CancelURL:      cs.CancelURL,
		Metadata:       stringMap(cs.Metadata),
		CreatedAt:      cs.CreatedAt,
		CompletedAt:    optTime(cs.CompletedAt),
		ExpiredAt:      optTime(cs.ExpiredAt),
		CancelledAt:    optTime(cs.CancelledAt),
		TransactionID:  optString(cs.TransactionID),
	}
	if cs.AmountSats != 0 {
		sats := int64(cs.AmountSats)
		out.AmountSats = &sats
	}
	for _, li := range cs.LineItems {
		out.LineItems = append(out.LineItems, apitype.LineItem{
			ProductID: optString(li.ProductID), Name: li.Name, UnitAmountCents: int64(li.UnitAmountCents),
			Quantity: li.Quantity, AmountCents: int64(li.Amount()),
		})
	}
	return out
}

func (s *Server) toProduct(p *gateway.Product) apitype.Product {
	return apitype.Product{
		ID: p.ID, Object: "product", Livemode: p.Mode.Live(), Name: p.Name, Description: optString(p.Description),
		PriceCents: int64(p.PriceCents), Currency: p.Currency, Slug: p.Slug, ImageURL: optString(p.ImageURL),
		Status: string(p.Status), SKU: optString(p.SKU), ExternalRef: optString(p.ExternalRef),
		Metadata: stringMap(p.Metadata), PaymentLinkURL: s.publicURL + "/pay/" + p.ID,
		SuccessURL: optString(p.SuccessURL), ThankYouMessage: optString(p.ThankYouMessage),
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
	}
}

func toTransaction(t *gateway.Transaction) apitype.Transaction {
	return apitype.Transaction{
		ID: t.ID, Object: "transaction", Livemode: t.Mode.Live(), Status: string(t.Status),
		CheckoutSessionID: t.CheckoutSessionID, PaymentHash: t.PaymentHash, Preimage: t.Preimage,
		AmountMsat: int64(t.AmountMsat), AmountSats: int64(t.AmountSats), AmountCents: int64(t.AmountCents),
		Currency: t.Currency, ExchangeRate: t.ExchangeRate, SettledAt: t.SettledAt, CreatedAt: t.CreatedAt,
	}
}

func toRate(r gateway.Rate) apitype.Rate {
	out := apitype.Rate{
		Object: "rate", Currency: r.Currency, BTCPrice: r.BTCPrice.StringFixed(2),
		SatsPerUnit: gateway.SatsPerUnit(r.BTCPrice).StringFixed(2), Source: r.Source,
		Sources: []apitype.RateSource{}, FetchedAt: r.FetchedAt, Note: r.Note,
	}
	for _, q := range r.Sources {
		out.Sources = append(out.Sources, apitype.RateSource{Name: q.Provider, Price: q.Price.StringFixed(2), FetchedAt: q.FetchedAt})
	}
	return out
}

func (s *Server) toMerchant(m *gateway.Merchant, mode gateway.Mode) apitype.Merchant {
	ttl := m.CheckoutTTL
	if ttl == 0 {
		ttl = s.svc.DefaultCheckoutTTL()
	}
	return apitype.Merchant{
		ID: m.ID, Object: "merchant", Name: m.Name, Email: m.Email, Status: m.Status, Livemode: mode.Live(),
		RateLimitPerMinute: s.svc.RateLimitPerMinute(m), CheckoutTTLSeconds: int(ttl / time.Second),
		SupportEmail: optString(m.SupportEmail), SuccessURL: optString(m.SuccessURL),
		ThankYouMessage: optString(m.ThankYouMessage), AllowedOrigins: append([]string{}, m.AllowedOrigins...),
		LogoURL:   optString(s.logoURL(m)),
		CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt,
	}
}

// logoURL is where the gateway serves the merchant's logo, "" without one.
func (s *Server) logoURL(m *gateway.Merchant) string {
	if m.LogoID == "" {
		return ""
	}
	return s.publicURL + "/logos/" + m.LogoID
}

// toList wraps a page of domain objects in the list envelope.
func toList[T, W any](l gateway.List[T], p gateway.Page, conv func(*T) W) apitype.List[W] {
	out := apitype.List[W]{Object: "list", Data: make([]W, 0, len(l.Items)), HasMore: l.HasMore}
	for i := range l.Items {
		out.Data = append(out.Data, conv(&l.Items[i]))
	}
	out.Meta.CurrentPage, out.Meta.PerPage, out.Meta.TotalPages = listMeta(p, l.TotalCount)
	out.Meta.TotalCount = l.TotalCount
	return out
}
