package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// newTestShop is a shop with a fixed clock and counting ids.
func newTestShop() *Shop {
	s := NewShop()
	n := 0
	s.now = func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }
	s.newID = func(prefix string) string { n++; return fmt.Sprintf("%s_%d", prefix, n) }
	return s
}

func TestCart(t *testing.T) {
	s := newTestShop()
	cart := s.NewCart()
	for _, c := range []struct {
		slug string
		qty  int64
		bad  string
	}{
		{"satoshi-mug", 2, ""},
		{"node-tee", 1, ""},
		{"satoshi-mug", 1, ""},
		{"no-such-thing", 1, "no such item"},
		{"node-tee", 0, "quantity must be"},
		{"node-tee", maxQuantity + 1, "quantity must be"},
	} {
		err := s.Add(cart, c.slug, c.qty)
		if c.bad == "" && err != nil || c.bad != "" && (err == nil || !strings.Contains(err.Error(), c.bad)) {
			t.Errorf("Add(%s, %d) = %v, want error %q", c.slug, c.qty, err, c.bad)
		}
	}
	if err := s.Add("cart_unknown", "node-tee", 1); err == nil {
		t.Error("Add to an unknown cart worked")
	}
	lines, total := s.Cart(cart)
	if len(lines) != 2 || lines[0].Item.Slug != "satoshi-mug" || lines[0].Quantity != 3 || lines[1].Quantity != 1 || total != 3*1250+2400 {
		t.Fatalf("cart = %+v, total %d", lines, total)
	}
	// A line never exceeds the most one may order.
	s.Add(cart, "node-tee", maxQuantity)
	if lines, _ := s.Cart(cart); lines[1].Quantity != maxQuantity {
		t.Errorf("quantity %d, want the cap %d", lines[1].Quantity, maxQuantity)
	}
	s.Remove(cart, "node-tee")
	if lines, total := s.Cart(cart); len(lines) != 1 || total != 3*1250 {
		t.Errorf("after removing: %+v, %d", lines, total)
	}
}

// placed is a shop with one pending order of $49.00 paid by session cs_1.
func placed(t *testing.T) (*Shop, Order) {
	t.Helper()
	s := newTestShop()
	cart := s.NewCart()
	s.Add(cart, "satoshi-mug", 2)
	s.Add(cart, "node-tee", 1)
	o, err := s.PlaceOrder(cart)
	if err != nil {
		t.Fatal(err)
	}
	if lines, _ := s.Cart(cart); len(lines) != 0 {
		t.Errorf("the cart was not emptied: %+v", lines)
	}
	if _, err := s.PlaceOrder(cart); err == nil {
		t.Error("an empty cart became an order")
	}
	s.Attach(o.ID, "cs_1")
	got, ok := s.OrderByCheckout("cs_1")
	if !ok || got.ID != o.ID || got.TotalCents != 4900 || got.Status != OrderPending {
		t.Fatalf("OrderByCheckout = %+v, %v", got, ok)
	}
	return s, got
}

func TestApplyMarksPaidOncePerEvent(t *testing.T) {
	s, o := placed(t)
	at := time.Date(2026, 3, 1, 12, 5, 0, 0, time.UTC)
	pay := Payment{EventID: "evt_1", Type: "checkout.completed", CheckoutID: "cs_1", OrderID: o.ID,
		AmountCents: 4900, Currency: "usd", TransactionID: "txn_1", At: at}
	if got, err := s.Apply(pay); err != nil || got != Applied {
		t.Fatalf("first delivery: %q, %v", got, err)
	}
	// The same event again (a retry): handled once.
	if got, err := s.Apply(pay); err != nil || got != Duplicate {
		t.Fatalf("second delivery: %q, %v, want duplicate", got, err)
	}
	after, _ := s.OrderByCheckout("cs_1")
	if after.Status != OrderPaid || after.PaidByEvent != "evt_1" || after.TransactionID != "txn_1" || !after.PaidAt.Equal(at) {
		t.Errorf("order after the webhook: %+v", after)
	}
	// A later expiry of the paid session changes nothing.
	if got, _ := s.Apply(Payment{EventID: "evt_2", Type: "checkout.expired", CheckoutID: "cs_1"}); got != Ignored {
		t.Errorf("expiry of a paid order: %q", got)
	}
	if after, _ := s.OrderByCheckout("cs_1"); after.Status != OrderPaid {
		t.Errorf("a paid order became %s", after.Status)
	}
}

func TestApplyRefusesWhatIsNotTheOrdersPayment(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*Payment)
		want string
	}{
		{"another amount", func(p *Payment) { p.AmountCents = 100 }, "costs 4900"},
		{"another currency", func(p *Payment) { p.Currency = "eur" }, "costs 4900 usd"},
		{"another order's id", func(p *Payment) { p.OrderID = "ord_99" }, "names order ord_99"},
		{"no event id", func(p *Payment) { p.EventID = "" }, "no id"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, o := placed(t)
			p := Payment{EventID: "evt_1", Type: "checkout.completed", CheckoutID: "cs_1", OrderID: o.ID, AmountCents: 4900, Currency: "usd"}
			c.edit(&p)
			if _, err := s.Apply(p); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Apply = %v, want an error with %q", err, c.want)
			}
			if after, _ := s.OrderByCheckout("cs_1"); after.Status != OrderPending {
				t.Errorf("the order became %s", after.Status)
			}
		})
	}
}

func TestApplyClosesAndRecords(t *testing.T) {
	s, _ := placed(t)
	if got, _ := s.Apply(Payment{EventID: "evt_1", Type: "checkout.cancelled", CheckoutID: "cs_1"}); got != Applied {
		t.Errorf("cancel: %q", got)
	}
	if o, _ := s.OrderByCheckout("cs_1"); o.Status != OrderCancelled {
		t.Errorf("after cancel: %s", o.Status)
	}
	// A test event, and events of sessions the shop never saw that are
	// not payments, change nothing.
	for _, p := range []Payment{{EventID: "evt_2", Type: "webhook.test"}, {EventID: "evt_3", Type: "checkout.expired", CheckoutID: "cs_other"}} {
		if got, err := s.Apply(p); err != nil || got != Ignored {
			t.Errorf("%s: %q, %v", p.Type, got, err)
		}
	}
	if n := len(s.Orders()); n != 1 {
		t.Errorf("%d orders, want 1", n)
	}
	// A payment the shop did not start (the pay.js button) becomes an order.
	if got, err := s.Apply(Payment{EventID: "evt_4", Type: "checkout.completed", CheckoutID: "cs_payjs", AmountCents: 300, Currency: "usd", TransactionID: "txn_9",
		At: time.Date(2026, 3, 1, 13, 0, 0, 0, time.UTC)}); err != nil || got != Applied {
		t.Fatalf("pay.js payment: %q, %v", got, err)
	}
	orders := s.Orders()
	if len(orders) != 2 || orders[0].CheckoutID != "cs_payjs" || orders[0].Status != OrderPaid || orders[0].Source != "pay.js button" || orders[0].TotalCents != 300 {
		t.Errorf("orders = %+v", orders)
	}
}
