package main

import (
	"crypto/rand"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Item is one thing the shop sells. Prices are in cents of Currency.
type Item struct {
	Slug        string
	Name        string
	Description string
	PriceCents  int64
	// PayButton marks the product whose page also shows the gateway's
	// pay.js "Pay with Bitcoin" button (a one-click buy, without the cart).
	PayButton bool
}

// Currency is the shop's one currency.
const Currency = "usd"

// catalog is what the shop sells, in the order the front page shows it.
var catalog = []Item{
	{Slug: "sticker-pack", Name: "Lightning sticker pack", Description: "Six weatherproof stickers with the lightning bolt.", PriceCents: 300, PayButton: true},
	{Slug: "satoshi-mug", Name: "Satoshi mug", Description: "Stoneware, 350 ml, dishwasher safe.", PriceCents: 1250},
	{Slug: "node-tee", Name: "Node runner T-shirt", Description: "Organic cotton, printed in Lisbon.", PriceCents: 2400},
	{Slug: "wallet-sleeve", Name: "Hardware wallet sleeve", Description: "Felt sleeve for a signing device.", PriceCents: 875},
}

// itemBySlug finds an item of the catalog.
func itemBySlug(slug string) (Item, bool) {
	i := slices.IndexFunc(catalog, func(it Item) bool { return it.Slug == slug })
	if i < 0 {
		return Item{}, false
	}
	return catalog[i], true
}

// maxQuantity bounds one line of a cart.
const maxQuantity = 20

// Line is an item and how many of it.
type Line struct {
	Item     Item
	Quantity int64
}

// Total is the line's price.
func (l Line) Total() int64 { return l.Item.PriceCents * l.Quantity }

// Order statuses. An order is paid only when the gateway's signed webhook
// says so; the success page reads the session from the API but never
// changes an order.
const (
	OrderPending   = "pending"
	OrderPaid      = "paid"
	OrderExpired   = "expired"
	OrderCancelled = "cancelled"
)

// Order is a checkout the shop started (from the cart), or a payment made
// with the pay.js button that the shop learnt of by webhook.
type Order struct {
	ID         string
	Lines      []Line
	TotalCents int64
	Currency   string
	// CheckoutID is the gateway's checkout session ("cs_...").
	CheckoutID string
	Status     string
	CreatedAt  time.Time
	// PaidAt, PaidByEvent and TransactionID are set by the checkout.completed
	// webhook that marked the order paid.
	PaidAt        time.Time
	PaidByEvent   string
	TransactionID string
	// Source is "cart" or "pay.js button".
	Source string
}

// Shop is the shop's state: carts and orders, in memory (an example: a real
// shop keeps them in its database, with the event ids it has handled in a
// table with a unique key).
type Shop struct {
	mu     sync.Mutex
	carts  map[string]map[string]int64 // cart id → slug → quantity
	orders map[string]*Order           // by id
	bySess map[string]*Order           // by checkout session id
	seen   map[string]bool             // webhook event ids already handled
	now    func() time.Time
	newID  func(prefix string) string
}

// NewShop returns an empty shop.
func NewShop() *Shop {
	return &Shop{
		carts:  map[string]map[string]int64{},
		orders: map[string]*Order{},
		bySess: map[string]*Order{},
		seen:   map[string]bool{},
		now:    time.Now,
		newID:  randomID,
	}
}

// randomID is prefix_ and 22 random characters.
func randomID(prefix string) string {
	return prefix + "_" + rand.Text()[:22]
}

// NewCart returns the id of a new, empty cart.
func (s *Shop) NewCart() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.newID("cart")
	s.carts[id] = map[string]int64{}
	return id
}

// HasCart reports whether id is a cart of this shop.
func (s *Shop) HasCart(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.carts[id]
	return ok
}

// Add puts qty more of slug in the cart.
func (s *Shop) Add(cart, slug string, qty int64) error {
	if _, ok := itemBySlug(slug); !ok {
		return fmt.Errorf("no such item %q", slug)
	}
	if qty < 1 || qty > maxQuantity {
		return fmt.Errorf("quantity must be 1 to %d", maxQuantity)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.carts[cart]
	if !ok {
		return fmt.Errorf("no such cart")
	}
	c[slug] = min(c[slug]+qty, maxQuantity)
	return nil
}

// Remove takes slug out of the cart.
func (s *Shop) Remove(cart, slug string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.carts[cart], slug)
}

// Cart lists the cart's lines in catalog order, and their total.
func (s *Shop) Cart(cart string) ([]Line, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.linesLocked(cart)
}

func (s *Shop) linesLocked(cart string) ([]Line, int64) {
	var lines []Line
	var total int64
	for _, it := range catalog {
		if q := s.carts[cart][it.Slug]; q > 0 {
			l := Line{Item: it, Quantity: q}
			lines = append(lines, l)
			total += l.Total()
		}
	}
	return lines, total
}

// PlaceOrder turns the cart into a pending order and empties the cart. The
// caller then creates the order's checkout session and records it with
// Attach.
func (s *Shop) PlaceOrder(cart string) (*Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	lines, total := s.linesLocked(cart)
	if len(lines) == 0 {
		return nil, fmt.Errorf("the cart is empty")
	}
	o := &Order{ID: s.newID("ord"), Lines: lines, TotalCents: total, Currency: Currency,
		Status: OrderPending, CreatedAt: s.now().UTC(), Source: "cart"}
	s.orders[o.ID] = o
	clear(s.carts[cart])
	return o, nil
}

// Attach records the checkout session made for an order.
func (s *Shop) Attach(orderID, checkoutID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.orders[orderID]; o != nil {
		o.CheckoutID = checkoutID
		s.bySess[checkoutID] = o
	}
}

// OrderByCheckout returns a copy of the order paid by the checkout session.
func (s *Shop) OrderByCheckout(checkoutID string) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.bySess[checkoutID]
	if !ok {
		return Order{}, false
	}
	return *o, true
}

// Orders lists copies of every order, newest first.
func (s *Shop) Orders() []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Order, 0, len(s.orders))
	for _, o := range s.orders {
		out = append(out, *o)
	}
	slices.SortFunc(out, func(a, b Order) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmpString(b.ID, a.ID)
	})
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Payment is what a verified checkout.completed (or expired, cancelled)
// event says, as the webhook handler passes it on.
type Payment struct {
	EventID       string
	Type          string // the event type
	CheckoutID    string
	OrderID       string // the session's metadata order_id, if the shop made it
	AmountCents   int64
	Currency      string
	TransactionID string
	At            time.Time
}

// Outcomes of Apply.
const (
	Applied   = "applied"   // the order changed
	Duplicate = "duplicate" // this event id was handled before
	Ignored   = "ignored"   // nothing to do (not about an order of ours, or already final)
)

// Apply handles one verified webhook event exactly once per event id: a
// checkout.completed marks its order paid (when the amount and currency are
// the order's), an expired or cancelled event closes a pending order. A
// completed session the shop did not start (the pay.js button) becomes an
// order of its own.
func (s *Shop) Apply(p Payment) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.EventID == "" {
		return "", fmt.Errorf("the event has no id")
	}
	if s.seen[p.EventID] {
		return Duplicate, nil
	}
	o := s.bySess[p.CheckoutID]
	if o != nil && p.OrderID != "" && p.OrderID != o.ID {
		return "", fmt.Errorf("session %s is order %s's, but the event names order %s", p.CheckoutID, o.ID, p.OrderID)
	}
	outcome := Ignored
	switch p.Type {
	case "checkout.completed":
		if o == nil {
			o = &Order{ID: s.newID("ord"), TotalCents: p.AmountCents, Currency: p.Currency, CheckoutID: p.CheckoutID,
				Status: OrderPending, CreatedAt: p.At.UTC(), Source: "pay.js button"}
			s.orders[o.ID], s.bySess[p.CheckoutID] = o, o
		}
		if p.AmountCents != o.TotalCents || p.Currency != o.Currency {
			return "", fmt.Errorf("session %s paid %d %s, but order %s costs %d %s", p.CheckoutID, p.AmountCents, p.Currency, o.ID, o.TotalCents, o.Currency)
		}
		if o.Status != OrderPaid {
			o.Status, o.PaidAt, o.PaidByEvent, o.TransactionID = OrderPaid, p.At.UTC(), p.EventID, p.TransactionID
			outcome = Applied
		}
	case "checkout.expired", "checkout.cancelled":
		if o != nil && o.Status == OrderPending {
			o.Status = OrderExpired
			if p.Type == "checkout.cancelled" {
				o.Status = OrderCancelled
			}
			outcome = Applied
		}
	}
	s.seen[p.EventID] = true
	return outcome, nil
}
