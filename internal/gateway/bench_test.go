package gateway

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// benchSessionParams is a create-checkout-session request as httpapi decodes
// it (numbers as json.Number): three line items, one of them a product
// reference, and a few metadata keys.
func benchSessionParams() CheckoutSessionParams {
	ptr := func(s string) *string { return &s }
	num := func(n int64) *int64 { return &n }
	return CheckoutSessionParams{
		AmountCents:   num(2*450 + 1250 + 3*199),
		Currency:      ptr("usd"),
		CustomerEmail: ptr("buyer@example.com"),
		CustomerName:  ptr("Ada Lovelace"),
		SuccessURL:    ptr("https://shop.example.com/orders/1234/thanks?session={CHECKOUT_SESSION_ID}"),
		CancelURL:     ptr("https://shop.example.com/cart"),
		Metadata: map[string]any{
			"order_id": "ORD-1234",
			"customer": "cus_42",
			"items":    json.Number("6"),
			"gift":     false,
		},
		LineItems: []LineItemParams{
			{Name: ptr("Flat white"), UnitAmountCents: num(450), Quantity: num(2)},
			{ProductID: ptr("prod_beans")},
			{Name: ptr("Croissant"), UnitAmountCents: num(199), Quantity: num(3)},
		},
	}
}

func BenchmarkBuildSession(b *testing.B) {
	p := benchSessionParams()
	priced := func(c string) bool { return c == "usd" || c == "eur" }
	beans := &Product{ID: "prod_beans", Name: "Beans 250 g", PriceCents: 1250, Currency: "usd", Status: ProductActive}
	lookup := func(id string) (*Product, error) {
		if id != beans.ID {
			return nil, ErrNotFound
		}
		return beans, nil
	}
	b.ReportAllocs()
	var s *CheckoutSession
	var err error
	for b.Loop() {
		s, err = buildSession(p, 1_000_000_00, priced, lookup)
	}
	if err != nil {
		b.Fatal(err)
	}
	if s.AmountCents != 2747 || len(s.LineItems) != 3 || s.LineItems[1].Name != "Beans 250 g" || s.Metadata["items"] != "6" {
		b.Fatalf("buildSession = %+v", s)
	}
}

// BenchmarkBuildSessionInvalid is the same request with every line broken,
// the path a misbehaving client hammers.
func BenchmarkBuildSessionInvalid(b *testing.B) {
	p := benchSessionParams()
	bad := int64(-1)
	for i := range p.LineItems {
		p.LineItems[i] = LineItemParams{Quantity: &bad}
	}
	email := "not an email"
	p.CustomerEmail = &email
	b.ReportAllocs()
	var err error
	for b.Loop() {
		_, err = buildSession(p, 1_000_000_00, func(string) bool { return true }, nil)
	}
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeValidation || len(e.Fields) < 7 {
		b.Fatalf("err = %v", err)
	}
}

func BenchmarkParseDecimal(b *testing.B) {
	b.ReportAllocs()
	var d Decimal
	var err error
	for b.Loop() {
		d, err = ParseDecimal("64123.455")
	}
	if err != nil || d.String() != "64123.455" {
		b.Fatalf("ParseDecimal = %s, %v", d, err)
	}
}

func BenchmarkFiatToSats(b *testing.B) {
	price, err := ParseDecimal("60000.50")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var got Sats
	for b.Loop() {
		got, err = FiatToSats(5000, "eur", price)
	}
	if err != nil || got != 83333 {
		b.Fatalf("FiatToSats = %d, %v; want 83333", got, err)
	}
}

// BenchmarkDecimalStringFixed is what requestInvoice does with a rate besides
// FiatToSats: render it for the session's ExchangeRate.
func BenchmarkDecimalStringFixed(b *testing.B) {
	price, err := ParseDecimal("64000.015")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var s string
	for b.Loop() {
		s = price.StringFixed(2)
	}
	if s != "64000.02" {
		b.Fatalf("StringFixed(2) = %s", s)
	}
}

func BenchmarkTransition(b *testing.B) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b.Run("legal", func(b *testing.B) {
		s := &CheckoutSession{}
		b.ReportAllocs()
		var err error
		for b.Loop() {
			s.Status = StatusPending
			err = s.Transition(StatusCompleted, now)
		}
		if err != nil || s.Status != StatusCompleted || !s.CompletedAt.Equal(now) {
			b.Fatalf("Transition: %v %+v", err, s)
		}
	})
	b.Run("illegal", func(b *testing.B) {
		s := &CheckoutSession{Status: StatusCompleted}
		b.ReportAllocs()
		var err error
		for b.Loop() {
			err = s.Transition(StatusExpired, now)
		}
		if !errors.Is(err, ErrIllegalTransition) || s.Status != StatusCompleted {
			b.Fatalf("Transition: %v %+v", err, s)
		}
	})
}

func BenchmarkHashKey(b *testing.B) {
	_, secret := NewAPIKey("mer_1", KeySecret, ModeTest, time.Now())
	want := HashKey(secret)
	b.ReportAllocs()
	var h []byte
	for b.Loop() {
		h = HashKey(secret)
	}
	if len(h) != 32 || string(h) != string(want) {
		b.Fatalf("HashKey = %x", h)
	}
}

func BenchmarkNewID(b *testing.B) {
	b.ReportAllocs()
	var id string
	for b.Loop() {
		id = NewID(PrefixSession)
	}
	if len(id) != len(PrefixSession)+idLen || !strings.HasPrefix(id, PrefixSession) || strings.Trim(id[3:], base62) != "" {
		b.Fatalf("NewID = %q", id)
	}
}

// BenchmarkSessionEventCompleted builds the checkout.completed outbox row as
// applySettlement does, inside the store's write transaction.
func BenchmarkSessionEventCompleted(b *testing.B) {
	now := time.Date(2026, 1, 15, 10, 2, 30, 0, time.UTC)
	const hash = "5f1c2a5f1c2a5f1c2a5f1c2a5f1c2a5f1c2a5f1c2a5f1c2a5f1c2a5f1c2a5f1c"
	s := &CheckoutSession{
		ID: NewID(PrefixSession), MerchantID: NewID(PrefixMerchant), Mode: ModeTest, Status: StatusCompleted,
		AmountCents: 2747, Currency: "usd", AmountSats: 4292, ExchangeRate: "64000.02", PaymentHash: hash,
		Metadata: map[string]string{"order_id": "ORD-1234", "customer": "cus_42", "items": "6", "gift": "false"},
	}
	tx := &Transaction{
		ID: NewID(PrefixTransaction), MerchantID: s.MerchantID, Mode: s.Mode, CheckoutSessionID: s.ID,
		Status: TxSettled, PaymentHash: hash, Preimage: strings.Repeat("9d", 32),
		AmountMsat: 4_292_000, AmountSats: 4292, AmountCents: 2747, Currency: "usd",
		SettledAt: now, CreatedAt: now,
	}
	b.ReportAllocs()
	var ev Event
	var err error
	for b.Loop() {
		ev, err = sessionEvent(EventCheckoutCompleted, s, tx, now)
	}
	if err != nil {
		b.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(ev.Body, &body); err != nil {
		b.Fatal(err)
	}
	if ev.Type != EventCheckoutCompleted || body["id"] != ev.ID || body["amount_usd"] != "27.47" ||
		body["transaction_id"] != tx.ID || body["amount_msat"] != 4_292_000.0 {
		b.Fatalf("event %+v body %s", ev, ev.Body)
	}
}
