package gateway

import (
	"cmp"
	"context"
	"strings"
)

// Payment links (SPEC §11): every active product is payable at
// /pay/{product id}.
//
// The link names the product by its id, not its slug: slugs are unique only
// within one merchant and mode, so /pay/{slug} cannot say whose product it
// is, while a product id is unique on the whole instance and belongs to one
// merchant in one mode. That is also SatsRail's own form
// (https://satsrail.com/pay/prod_abc123def456). The session is made in the
// product's mode: a test product's link makes test sessions (the hosted page
// says so), a live product's link live ones — nothing in the URL a customer
// could change picks the mode.

// PaymentLinkURLs are the gateway's own pages a link's session returns to.
type PaymentLinkURLs struct {
	// Thanks is the gateway's thank-you page, used when neither the product
	// nor the merchant gives a success URL.
	Thanks string
	// Cancel is where "Cancel" leads: back to the link itself.
	Cancel string
}

// IsProductID reports whether s looks like a product id, so a payment
// link's path can be refused before any lookup.
func IsProductID(s string) bool {
	return strings.HasPrefix(s, PrefixProduct) && len(s) <= 64 && lookupable(s)
}

// PaymentLinkProduct returns the product behind a payment link and its
// merchant: an unknown id or an archived product is ErrNotFound, a
// suspended merchant's product merchant_suspended (with the product and
// merchant, for the page that says so).
func (s *Service) PaymentLinkProduct(ctx context.Context, productID string) (*Product, *Merchant, error) {
	if !IsProductID(productID) {
		return nil, nil, ErrNotFound
	}
	p, err := s.store.ProductByID(ctx, productID)
	if err != nil {
		return nil, nil, err
	}
	if p.Status != ProductActive {
		return nil, nil, ErrNotFound
	}
	m, err := s.store.GetMerchant(ctx, p.MerchantID)
	if err != nil {
		return nil, nil, err
	}
	if m.Suspended() {
		return p, m, errMerchantSuspended()
	}
	return p, m, nil
}

// CreatePaymentLinkSession creates a checkout session for one unit of the
// product behind a payment link, in the product's mode. After payment the
// customer goes to the product's success URL, else the merchant's default,
// else urls.Thanks; "Cancel" leads back to urls.Cancel. The merchant comes
// back too, for the page of any error (merchant_suspended names the shop).
func (s *Service) CreatePaymentLinkSession(ctx context.Context, productID string, urls PaymentLinkURLs) (*CheckoutSession, *Merchant, error) {
	p, m, err := s.PaymentLinkProduct(ctx, productID)
	if err != nil {
		return nil, m, err
	}
	success := cmp.Or(p.SuccessURL, m.SuccessURL, urls.Thanks)
	cancel := urls.Cancel
	one := int64(1)
	sess, err := s.createSession(ctx, m, p.Scope(), CheckoutSessionParams{
		Currency:   &p.Currency,
		SuccessURL: &success,
		CancelURL:  &cancel,
		LineItems:  []LineItemParams{{ProductID: &p.ID, Quantity: &one}},
		Metadata:   map[string]any{"payment_link": p.ID},
	}, nil)
	return sess, m, err
}

// ThankYou is what the gateway's thank-you page shows after a payment link
// was paid.
type ThankYou struct {
	Merchant *Merchant
	Product  *Product
	Session  *CheckoutSession
	// Paid is true when the session is the product's and completed; the
	// page says "paid" only then.
	Paid    bool
	Message string // the product's message, else the merchant's, else ""
}

// PaymentLinkThanks returns what the thank-you page of productID shows for
// session checkoutID. Archived products still thank: the customer paid.
func (s *Service) PaymentLinkThanks(ctx context.Context, productID, checkoutID string) (*ThankYou, error) {
	if !IsProductID(productID) {
		return nil, ErrNotFound
	}
	p, err := s.store.ProductByID(ctx, productID)
	if err != nil {
		return nil, err
	}
	m, err := s.store.GetMerchant(ctx, p.MerchantID)
	if err != nil {
		return nil, err
	}
	t := &ThankYou{Merchant: m, Product: p, Message: cmp.Or(p.ThankYouMessage, m.ThankYouMessage)}
	if checkoutID == "" {
		return t, nil
	}
	sess, err := s.GetCheckoutSession(ctx, p.Scope(), checkoutID)
	if err != nil {
		return t, nil // a forged or foreign checkout_id is just "not paid"
	}
	t.Session = sess
	for _, li := range sess.LineItems {
		if li.ProductID == p.ID && sess.Status == StatusCompleted {
			t.Paid = true
		}
	}
	return t, nil
}

// Scope returns the product's data scope.
func (p *Product) Scope() Scope { return Scope{MerchantID: p.MerchantID, Mode: p.Mode} }
