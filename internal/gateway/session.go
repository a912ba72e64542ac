package gateway

import (
	"fmt"
	"strings"
	"time"

	"github.com/satsrail/satsrail/internal/currency"
)

// SessionStatus is where a checkout session is in its life.
type SessionStatus string

// The session lifecycle: pending → completed | expired | cancelled, and
// expired or cancelled → completed when a settled payment arrives anyway (a
// settled invoice always wins, SPEC §4).
const (
	StatusPending   SessionStatus = "pending"
	StatusCompleted SessionStatus = "completed"
	StatusExpired   SessionStatus = "expired"
	StatusCancelled SessionStatus = "cancelled"
)

// Valid reports whether s is a known status.
func (s SessionStatus) Valid() bool {
	switch s {
	case StatusPending, StatusCompleted, StatusExpired, StatusCancelled:
		return true
	}
	return false
}

// ErrIllegalTransition is wrapped by every refused status change.
var ErrIllegalTransition = fmt.Errorf("illegal checkout session transition")

// LineItem is one line of what the customer pays for.
type LineItem struct {
	ProductID       string // empty for ad-hoc items
	Name            string
	UnitAmountCents Cents
	Quantity        int64
}

// Amount is the line's total.
func (li LineItem) Amount() Cents { return li.UnitAmountCents * Cents(li.Quantity) }

// CheckoutSession is one attempt to collect one amount. Its ID is also the
// token in the hosted page URL.
type CheckoutSession struct {
	ID            string
	MerchantID    string
	Mode          Mode
	Status        SessionStatus
	AmountCents   Cents
	Currency      string
	LineItems     []LineItem
	CustomerEmail string
	CustomerName  string
	SuccessURL    string
	CancelURL     string
	Metadata      map[string]string

	// Locale is the language of the hosted page (one of Locales), or ""
	// to follow the customer's browser (Accept-Language).
	Locale string

	// Fixed once the invoice is made (zero values until then).
	AmountSats     Sats
	ExchangeRate   string
	PaymentRequest string
	PaymentHash    string
	// InvoiceRef is the wallet's LookupRef of the invoice (see Invoice).
	InvoiceRef string
	// InvoiceClaimedAt is set while one node makes the session's invoice,
	// so concurrent page loads anywhere make exactly one.
	InvoiceClaimedAt time.Time

	TransactionID string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	ExpiresAt     time.Time
	CompletedAt   time.Time
	ExpiredAt     time.Time
	CancelledAt   time.Time
}

// Scope returns the session's data scope.
func (s *CheckoutSession) Scope() Scope { return Scope{MerchantID: s.MerchantID, Mode: s.Mode} }

// Transition moves the session to status to at time now. It is the only code
// that changes Status; every illegal move returns an error wrapping
// ErrIllegalTransition.
func (s *CheckoutSession) Transition(to SessionStatus, now time.Time) error {
	ok := false
	switch s.Status {
	case StatusPending:
		ok = to == StatusCompleted || to == StatusExpired || to == StatusCancelled
	case StatusExpired, StatusCancelled:
		// A settled invoice always wins: the money is the merchant's.
		ok = to == StatusCompleted
	}
	if !ok {
		return fmt.Errorf("%w: %s → %s", ErrIllegalTransition, s.Status, to)
	}
	s.Status = to
	s.UpdatedAt = now
	switch to {
	case StatusCompleted:
		s.CompletedAt = now
	case StatusExpired:
		s.ExpiredAt = now
	case StatusCancelled:
		s.CancelledAt = now
	}
	return nil
}

// CheckoutSessionParams is what a merchant sends to create a session. Nil
// pointers are absent fields.
type CheckoutSessionParams struct {
	AmountCents   *int64
	Currency      *string
	CustomerEmail *string
	CustomerName  *string
	Locale        *string
	SuccessURL    *string
	CancelURL     *string
	Metadata      map[string]any
	LineItems     []LineItemParams
}

// LineItemParams is one requested line: a product reference or an ad-hoc item.
type LineItemParams struct {
	ProductID       *string
	Name            *string
	UnitAmountCents *int64
	Quantity        *int64
}

// Limits on session input.
const (
	MaxLineItems        = 100
	MaxLineItemQuantity = 1_000_000
	MaxNameLen          = 200
)

// productLookup resolves a line item's product; the Service passes the store.
type productLookup func(idOrSlug string) (*Product, error)

// buildSession validates params and returns the session to store, without
// its ID, times or owner. Every broken field gets one FieldError.
func buildSession(p CheckoutSessionParams, maxAmount Cents, priced func(currency string) bool, lookup productLookup) (*CheckoutSession, error) {
	var fe fieldErrors
	s := &CheckoutSession{Status: StatusPending, Currency: "usd"}

	if p.Currency != nil {
		if c, ok := checkCurrency(&fe, "currency", *p.Currency, priced); ok {
			s.Currency = c
		}
	}

	var sum Cents
	itemsOK := true
	if len(p.LineItems) > MaxLineItems {
		fe.add("line_items", "must have at most %d items", MaxLineItems)
		itemsOK = false
	}
	for i, li := range p.LineItems {
		if i >= MaxLineItems {
			break
		}
		f := fmt.Sprintf("line_items[%d]", i)
		item, ok := buildLineItem(&fe, f, li, s.Currency, lookup)
		if !ok {
			itemsOK = false
			continue
		}
		sum += item.Amount()
		if sum > maxAmount {
			sum = maxAmount + 1 // keep it from overflowing; reported below
		}
		s.LineItems = append(s.LineItems, item)
	}

	switch {
	case p.AmountCents == nil && len(p.LineItems) == 0:
		fe.add("amount_cents", "is required unless line_items are given")
	case p.AmountCents != nil && *p.AmountCents <= 0:
		fe.add("amount_cents", "must be greater than 0")
	case p.AmountCents != nil && Cents(*p.AmountCents) > maxAmount:
		fe.add("amount_cents", "must be at most %d", maxAmount)
	case len(p.LineItems) > 0 && itemsOK && sum > maxAmount:
		fe.add("line_items", "total must be at most %d", maxAmount)
	case len(p.LineItems) > 0 && itemsOK && sum <= 0:
		fe.add("line_items", "total must be greater than 0")
	case p.AmountCents != nil && len(p.LineItems) > 0 && itemsOK && Cents(*p.AmountCents) != sum:
		fe.add("amount_cents", "must equal the sum of line_items (%d)", sum)
	case p.AmountCents != nil:
		s.AmountCents = Cents(*p.AmountCents)
	default:
		s.AmountCents = sum
	}

	if p.CustomerEmail != nil && *p.CustomerEmail != "" {
		if !validEmail(*p.CustomerEmail) {
			fe.add("customer_email", "must be a valid email address")
		} else {
			s.CustomerEmail = *p.CustomerEmail
		}
	}
	if p.CustomerName != nil {
		if len(*p.CustomerName) > MaxNameLen {
			fe.add("customer_name", "must be at most %d characters", MaxNameLen)
		} else {
			s.CustomerName = *p.CustomerName
		}
	}
	if p.Locale != nil && *p.Locale != "" {
		if l, ok := CanonicalLocale(*p.Locale); ok {
			s.Locale = l
		} else {
			fe.add("locale", "must be one of %s", strings.Join(locales, ", "))
		}
	}
	for _, u := range []struct {
		field string
		v     *string
		dst   *string
	}{{"success_url", p.SuccessURL, &s.SuccessURL}, {"cancel_url", p.CancelURL, &s.CancelURL}} {
		switch {
		case u.v == nil || *u.v == "":
			fe.add(u.field, "is required")
		case !validHTTPURL(*u.v):
			fe.add(u.field, "must be an absolute http or https URL")
		default:
			*u.dst = *u.v
		}
	}
	s.Metadata = validateMetadata(&fe, "metadata", p.Metadata)
	if err := fe.err(); err != nil {
		return nil, err
	}
	return s, nil
}

func buildLineItem(fe *fieldErrors, f string, li LineItemParams, currency string, lookup productLookup) (LineItem, bool) {
	before := len(*fe)
	var item LineItem
	switch {
	case li.Quantity == nil:
		item.Quantity = 1
	case *li.Quantity < 1 || *li.Quantity > MaxLineItemQuantity:
		fe.add(f+".quantity", "must be between 1 and %d", MaxLineItemQuantity)
	default:
		item.Quantity = *li.Quantity
	}
	if li.ProductID != nil {
		if li.Name != nil || li.UnitAmountCents != nil {
			fe.add(f, "give either product_id or name and unit_amount_cents, not both")
			return item, false
		}
		prod, err := lookup(*li.ProductID)
		switch {
		case err != nil:
			fe.add(f+".product_id", "no such product")
		case prod.Status != ProductActive:
			fe.add(f+".product_id", "product is archived")
		case prod.Currency != currency:
			fe.add(f+".product_id", "product is priced in %s, not %s", prod.Currency, currency)
		default:
			item.ProductID = prod.ID
			item.Name = prod.Name
			item.UnitAmountCents = prod.PriceCents
		}
		return item, len(*fe) == before
	}
	switch {
	case li.Name == nil || strings.TrimSpace(*li.Name) == "":
		fe.add(f+".name", "is required unless product_id is given")
	case len(*li.Name) > MaxNameLen:
		fe.add(f+".name", "must be at most %d characters", MaxNameLen)
	default:
		item.Name = *li.Name
	}
	switch {
	case li.UnitAmountCents == nil:
		fe.add(f+".unit_amount_cents", "is required unless product_id is given")
	case *li.UnitAmountCents < 0 || *li.UnitAmountCents > 1<<40:
		fe.add(f+".unit_amount_cents", "must be between 0 and %d", int64(1)<<40)
	default:
		item.UnitAmountCents = Cents(*li.UnitAmountCents)
	}
	return item, len(*fe) == before
}

// checkCurrency accepts an ISO 4217 code in any case that the rate source
// can price, and returns it in lower case.
func checkCurrency(fe *fieldErrors, field, c string, priced func(string) bool) (string, bool) {
	code, known := currency.Normalize(c)
	switch {
	case !known:
		fe.add(field, "must be an ISO 4217 currency code such as usd, eur or brl")
	case !priced(code):
		fe.add(field, "%s is not quoted by any configured rate provider", code)
	default:
		return code, true
	}
	return "", false
}
