// Package storetest is the conformance suite every gateway.Store must pass
// unchanged, run against a real database by each store's own tests:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) gateway.Store { ... a fresh, empty, migrated store ... })
//	}
//
// Times in the suite are UTC at microsecond precision, the precision every
// store must keep. Ids that tie on created_at differ only in lower-case ASCII
// letters and digits, so byte order and any sane collation agree.
package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/satsrail/satsrail/internal/gateway"
)

// Run runs the suite. open must return a fresh, empty, migrated store for
// each call and arrange its cleanup with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) gateway.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, f *fixture)
	}{
		{"Merchants", testMerchants},
		{"APIKeys", testAPIKeys},
		{"MerchantSettings", testMerchantSettings},
		{"MerchantLogo", testMerchantLogo},
		{"KeyUsage", testKeyUsage},
		{"ProductByID", testProductByID},
		{"SessionRoundTrip", testSessionRoundTrip},
		{"ListSessions", testListSessions},
		{"ListDefaultPageSize", testListDefaultPageSize},
		{"UpdateSession", testUpdateSession},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"DueSessions", testDueSessions},
		{"InvoiceClaim", testInvoiceClaim},
		{"SessionByPaymentHash", testSessionByPaymentHash},
		{"ReconcilableSessions", testReconcilableSessions},
		{"Products", testProducts},
		{"ListProducts", testListProducts},
		{"Transactions", testTransactions},
		{"ListTotalsAcrossDays", testListTotalsAcrossDays},
		{"Events", testEvents},
		{"ScopeIsolation", testScopeIsolation},
		{"Idempotency", testIdempotency},
		{"IdempotentCreate", testIdempotentCreate},
		{"TestWalletKeys", testTestWalletKeys},
		{"TestInvoices", testTestInvoices},
		{"DueTestInvoices", testDueTestInvoices},
		{"TestSettlements", testTestSettlements},
		{"WebhookEndpoints", testWebhookEndpoints},
		{"ListWebhookEndpoints", testListWebhookEndpoints},
		{"WebhookFanOut", testWebhookFanOut},
		{"InsertEvent", testInsertEvent},
		{"ListEvents", testListEvents},
		{"EventCommitOrder", testEventCommitOrder},
		{"EventCatchUpUnderConcurrency", testEventCatchUpUnderConcurrency},
		{"WebhookScopeIsolation", testWebhookScopeIsolation},
		{"ClaimDueDeliveries", testClaimDueDeliveries},
		{"ClaimSkipsGoneEndpoints", testClaimSkipsGoneEndpoints},
		{"ConcurrentClaims", testConcurrentClaims},
		{"ClaimPerEndpointCap", testClaimPerEndpointCap},
		{"RecordDeliveryAttempt", testRecordDeliveryAttempt},
		{"Redeliver", testRedeliver},
		{"DeleteWebhookEndpointDeliveries", testDeleteWebhookEndpointDeliveries},
		{"ListDeliveries", testListDeliveries},
		{"ListEventDeliveries", testListEventDeliveries},
		{"WalletConnections", testWalletConnections},
		{"WalletStreamLease", testWalletStreamLease},
		{"RevenueRollup", testRevenueRollup},
		{"RevenueConcurrentSettlement", testRevenueConcurrentSettlement},
		{"SearchSessions", testSearchSessions},
		{"ExportTransactions", testExportTransactions},
		{"DeliveriesForEvents", testDeliveriesForEvents},
		{"LatestDeliveries", testLatestDeliveries},
		{"Users", testUsers},
		{"CreateAccount", testCreateAccount},
		{"Memberships", testMemberships},
		{"UserSessions", testUserSessions},
		{"Invites", testInvites},
		{"AuditLog", testAuditLog},
		{"ListAPIKeys", testListAPIKeys},
		{"PruneDeliveryAttempts", testPruneDeliveryAttempts},
		{"ForgetCustomer", testForgetCustomer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, setup(t, open))
		})
	}
}

// t0 is the suite's "now": UTC, microsecond precision.
var t0 = time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC)

// at returns t0 plus n minutes.
func at(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }

// fixture is one test's store with two merchants and their keys in it.
type fixture struct {
	ctx   context.Context
	store gateway.Store

	merchant gateway.Merchant // owns scope and otherMode
	other    gateway.Merchant // owns otherMerchant
	keys     map[gateway.KeyType]gateway.APIKey

	scope         gateway.Scope // where each test works
	otherMode     gateway.Scope // same merchant, live mode
	otherMerchant gateway.Scope // another merchant, test mode
}

func setup(t *testing.T, open func(t *testing.T) gateway.Store) *fixture {
	t.Helper()
	f := &fixture{
		ctx:   t.Context(),
		store: open(t),
		merchant: gateway.Merchant{
			ID: "mer_alpha", Name: "Alpha Coffee", Email: "owner@alpha.example", Status: "active",
			RateLimitPerMinute: 120, CheckoutTTL: 15 * time.Minute, CreatedAt: at(-120), UpdatedAt: at(-90),
		},
		other: gateway.Merchant{
			ID: "mer_bravo", Name: "Bravo Books", Email: "owner@bravo.example", Status: "active",
			CreatedAt: at(-60), UpdatedAt: at(-60),
		},
		keys: map[gateway.KeyType]gateway.APIKey{},
	}
	f.scope = gateway.Scope{MerchantID: f.merchant.ID, Mode: gateway.ModeTest}
	f.otherMode = gateway.Scope{MerchantID: f.merchant.ID, Mode: gateway.ModeLive}
	f.otherMerchant = gateway.Scope{MerchantID: f.other.ID, Mode: gateway.ModeTest}

	var keys []gateway.APIKey
	for _, kt := range gateway.KeyTypes {
		k := apiKey(f.merchant.ID, kt, "1", f.merchant.CreatedAt)
		f.keys[kt] = k
		keys = append(keys, k)
	}
	if err := f.store.CreateMerchant(f.ctx, &f.merchant, keys); err != nil {
		t.Fatalf("CreateMerchant(%s): %v", f.merchant.ID, err)
	}
	if err := f.store.CreateMerchant(f.ctx, &f.other, []gateway.APIKey{apiKey(f.other.ID, "sk_test", "1", f.other.CreatedAt)}); err != nil {
		t.Fatalf("CreateMerchant(%s): %v", f.other.ID, err)
	}
	return f
}

// apiKey builds a key of type kt whose secret is determined by merchant, kt
// and gen, so tests can hash it again.
func apiKey(merchantID string, kt gateway.KeyType, gen string, created time.Time) gateway.APIKey {
	kind, mode, ok := gateway.ParseKeyType(string(kt))
	if !ok {
		panic("storetest: bad key type " + kt)
	}
	secret := keySecret(merchantID, kt, gen)
	return gateway.APIKey{
		ID:         "key_" + merchantID[len("mer_"):] + "_" + string(kt) + "_" + gen,
		MerchantID: merchantID,
		Kind:       kind,
		Mode:       mode,
		Hash:       gateway.HashKey(secret),
		Last4:      secret[len(secret)-4:],
		CreatedAt:  created,
	}
}

func keySecret(merchantID string, kt gateway.KeyType, gen string) string {
	return string(kt) + "_" + merchantID + "_generation" + gen + "abcd"
}

// session builds a pending session in scope with every creation field set.
func session(scope gateway.Scope, id string, created time.Time) *gateway.CheckoutSession {
	return &gateway.CheckoutSession{
		ID:          id,
		MerchantID:  scope.MerchantID,
		Mode:        scope.Mode,
		Status:      gateway.StatusPending,
		AmountCents: 5000,
		Currency:    "usd",
		LineItems: []gateway.LineItem{
			{Name: "Flat white", UnitAmountCents: 2000, Quantity: 2},
			{Name: "Croissant", UnitAmountCents: 1000, Quantity: 1},
		},
		CustomerEmail: "ada@example.com",
		CustomerName:  "Ada Lovelace",
		SuccessURL:    "https://shop.example/thanks?session=" + id,
		CancelURL:     "https://shop.example/cart",
		Metadata:      map[string]string{"order_id": "A-1001", "channel": "web"},
		CreatedAt:     created,
		UpdatedAt:     created,
		ExpiresAt:     created.Add(15 * time.Minute),
	}
}

func (f *fixture) createSession(t *testing.T, s *gateway.CheckoutSession) {
	t.Helper()
	if err := f.store.CreateCheckoutSession(f.ctx, s, nil); err != nil {
		t.Fatalf("CreateCheckoutSession(%s): %v", s.ID, err)
	}
}

// product builds an active product in scope.
func product(scope gateway.Scope, id, name string, created time.Time) *gateway.Product {
	return &gateway.Product{
		ID:          id,
		MerchantID:  scope.MerchantID,
		Mode:        scope.Mode,
		Name:        name,
		Description: "A fine " + name,
		PriceCents:  1250,
		Currency:    "usd",
		Slug:        gateway.Slugify(name),
		ImageURL:    "https://cdn.example/" + id + ".png",
		Status:      gateway.ProductActive,
		Metadata:    map[string]string{"colour": "blue"},
		CreatedAt:   created,
		UpdatedAt:   created,
	}
}

func (f *fixture) createProduct(t *testing.T, p *gateway.Product) {
	t.Helper()
	if err := f.store.CreateProduct(f.ctx, p); err != nil {
		t.Fatalf("CreateProduct(%s): %v", p.ID, err)
	}
}

// transaction builds the settled transaction of session s.
func transaction(s *gateway.CheckoutSession, id, hash string, settled time.Time) *gateway.Transaction {
	return &gateway.Transaction{
		ID:                id,
		MerchantID:        s.MerchantID,
		Mode:              s.Mode,
		CheckoutSessionID: s.ID,
		Status:            gateway.TxSettled,
		PaymentHash:       hash,
		Preimage:          "pre_" + hash,
		AmountMsat:        7_796_000,
		AmountSats:        7796,
		AmountCents:       s.AmountCents,
		Currency:          s.Currency,
		ExchangeRate:      "64123.45",
		SettledAt:         settled,
		CreatedAt:         settled,
	}
}

// event builds an event about object in scope.
func event(scope gateway.Scope, id string, typ gateway.EventType, object string, created time.Time) gateway.Event {
	return gateway.Event{
		ID:         id,
		MerchantID: scope.MerchantID,
		Mode:       scope.Mode,
		Type:       typ,
		ObjectID:   object,
		Body:       []byte(`{"id":"` + id + `","event":"` + string(typ) + `","checkout_id":"` + object + `"}`),
		CreatedAt:  created,
	}
}

// settle creates a pending session in scope and completes it at settled with
// a transaction and a checkout.completed event, as the payment watcher does.
// It returns the stored session and transaction.
func (f *fixture) settle(t *testing.T, scope gateway.Scope, sessionID, txID, hash string, settled time.Time) (*gateway.CheckoutSession, *gateway.Transaction) {
	t.Helper()
	s := session(scope, sessionID, settled.Add(-5*time.Minute))
	s.PaymentHash = hash
	f.createSession(t, s)
	tx := transaction(s, txID, hash, settled)
	got, err := f.store.UpdateCheckoutSession(f.ctx, scope, sessionID, func(s *gateway.CheckoutSession) (gateway.SessionChange, error) {
		if err := s.Transition(gateway.StatusCompleted, settled); err != nil {
			return gateway.SessionChange{}, err
		}
		s.TransactionID = tx.ID
		ev := event(scope, "evt_"+sessionID, gateway.EventCheckoutCompleted, sessionID, settled)
		return gateway.SessionChange{Events: []gateway.Event{ev}, Transaction: tx}, nil
	})
	if err != nil {
		t.Fatalf("settle %s: %v", sessionID, err)
	}
	return got, tx
}

// diff fails the test if want and got differ; nil and empty are equal.
func diff(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// wantErr fails the test unless errors.Is(err, target).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: err = %v, want %v", what, err, target)
	}
}

// noErr stops the test on an unexpected error.
func noErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wantCursorError fails the test unless err is the validation error for an
// unknown starting_after.
func wantCursorError(t *testing.T, what string, err error) {
	t.Helper()
	var e *gateway.Error
	if !errors.As(err, &e) {
		t.Errorf("%s: err = %v, want a *gateway.Error", what, err)
		return
	}
	diff(t, what, &gateway.Error{
		Code:    gateway.CodeValidation,
		Message: "starting_after does not name an object in this list",
		Fields:  []gateway.FieldError{{Field: "starting_after", Message: "no such object"}},
	}, e)
}

// checkList compares a page of a list by ids, HasMore and TotalCount.
func checkList[T any](t *testing.T, got gateway.List[T], id func(T) string, wantIDs []string, wantMore bool, wantTotal int) {
	t.Helper()
	var ids []string
	for _, item := range got.Items {
		ids = append(ids, id(item))
	}
	diff(t, "ids", wantIDs, ids)
	if got.HasMore != wantMore {
		t.Errorf("HasMore = %v, want %v", got.HasMore, wantMore)
	}
	if got.TotalCount != wantTotal {
		t.Errorf("TotalCount = %d, want %d", got.TotalCount, wantTotal)
	}
}

func sessionID(s gateway.CheckoutSession) string { return s.ID }
func productID(p gateway.Product) string         { return p.ID }
func txID(t gateway.Transaction) string          { return t.ID }
func eventID(e gateway.Event) string             { return e.ID }

// wantUTC fails the test unless every time is in UTC.
func wantUTC(t *testing.T, what string, times ...time.Time) {
	t.Helper()
	for i, tm := range times {
		if tm.Location() != time.UTC {
			t.Errorf("%s: time %d is in %v, want UTC", what, i, tm.Location())
		}
	}
}
