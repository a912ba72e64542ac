package gateway

import (
	"context"
	"time"
)

// InvoiceState is where a Lightning invoice is, as its wallet reports it.
type InvoiceState string

// Invoice states.
const (
	InvoiceOpen     InvoiceState = "open"
	InvoiceSettled  InvoiceState = "settled"
	InvoiceCanceled InvoiceState = "canceled" // cancelled or expired unpaid
)

// InvoiceRequest asks a wallet for an invoice.
type InvoiceRequest struct {
	AmountMsat MilliSat
	Memo       string
	// ExpiresAt is when the invoice must stop being payable (the session's
	// expires_at); wallets turn it into a relative expiry.
	ExpiresAt time.Time
	// SessionID is the checkout session, for wallets that can label invoices.
	SessionID string
}

// Invoice is a wallet's view of one invoice. The lookup is the truth about
// payment; streams are only hints to look up.
type Invoice struct {
	PaymentHash    string // hex
	PaymentRequest string // BOLT11
	AmountMsat     MilliSat
	State          InvoiceState
	AmountPaidMsat MilliSat
	Preimage       string // hex, once settled
	SettledAt      time.Time
	// LookupRef is what the wallet needs besides the payment hash to look
	// the invoice up again (a Lightning Address's LUD-21 verify URL); the
	// gateway stores it with the session and gives it back through
	// InvoiceRefLooker. Empty for wallets that look up by hash alone.
	LookupRef string
}

// Wallet is the port every Lightning backend implements: the merchant's own
// wallet, which receives payments. It never needs spending rights.
type Wallet interface {
	// Network names the chain the wallet's invoices must be for:
	// "mainnet", "testnet", "signet" or "regtest".
	Network() string
	CreateInvoice(ctx context.Context, req InvoiceRequest) (Invoice, error)
	// LookupInvoice answers ErrNotFound for an unknown hash.
	LookupInvoice(ctx context.Context, paymentHash string) (Invoice, error)
}

// PaymentSimulator is the optional interface of wallets that can pretend a
// customer paid (the built-in test wallet).
type PaymentSimulator interface {
	SimulatePayment(ctx context.Context, paymentHash string) error
}

// WalletResolver finds the wallet of a merchant's mode. It answers an error
// with CodeWalletUnavailable when the mode has no usable wallet.
type WalletResolver interface {
	Wallet(ctx context.Context, scope Scope) (Wallet, error)
}

// DecodedInvoice is what a BOLT11 string says about itself.
type DecodedInvoice struct {
	Network     string
	PaymentHash string // hex
	AmountMsat  MilliSat
	CreatedAt   time.Time
	ExpiresAt   time.Time
	Description string
	// DescriptionHash is the hex 'h' field of an invoice that commits to
	// a hash of its description (LNURL-pay's metadata) instead.
	DescriptionHash string
	Payee           string // hex compressed public key
}

// InvoiceDecoder decodes and verifies the signature of a BOLT11 invoice.
type InvoiceDecoder func(bolt11 string) (DecodedInvoice, error)

// TestInvoice is an invoice of the built-in test wallet.
type TestInvoice struct {
	PaymentHash    string
	MerchantID     string
	Preimage       string
	PaymentRequest string
	AmountMsat     MilliSat
	AmountPaidMsat MilliSat
	CreatedAt      time.Time
	ExpiresAt      time.Time
	SettledAt      time.Time // zero while unpaid
}

// Settlement is one entry of a SettlementFeed: an invoice that settled and
// its place in the order of settlements.
type Settlement struct {
	Seq         int64
	PaymentHash string
}

// SettlementFeed is the optional interface of a wallet that keeps its
// settlements in the order they happened, numbered upward, readable from any
// number: the built-in test wallet, whose payments are rows in the gateway's
// database. A watcher reads it from a cursor every second or so, one query a
// read however many invoices are open, and sees payments made by any process
// (the `satsrail testwallet pay` command, other nodes). Entries are hints:
// each leads to a lookup.
type SettlementFeed interface {
	// LastSettlement returns the number of the latest settlement, 0 before
	// the first.
	LastSettlement(ctx context.Context) (int64, error)
	// SettlementsAfter lists the settlements numbered after seq, in order,
	// at most limit. No settlement becomes visible before every one numbered
	// below it, so a reader whose cursor only moves forward misses none.
	SettlementsAfter(ctx context.Context, seq int64, limit int) ([]Settlement, error)
}

// TestWalletStore keeps the built-in test wallet's state in the gateway's
// database, so payments survive restarts and can be made while the gateway
// is down.
type TestWalletStore interface {
	// TestWalletKey returns the sealed node key of a merchant, or ErrNotFound.
	TestWalletKey(ctx context.Context, merchantID string) ([]byte, error)
	// PutTestWalletKey stores a sealed node key unless one exists, and
	// returns the stored one (which may be another caller's).
	PutTestWalletKey(ctx context.Context, merchantID string, sealed []byte) ([]byte, error)
	InsertTestInvoice(ctx context.Context, inv TestInvoice) error
	// GetTestInvoice returns ErrNotFound for an unknown hash.
	GetTestInvoice(ctx context.Context, paymentHash string) (*TestInvoice, error)
	// PayTestInvoice marks an unpaid invoice paid with amount at time at and
	// returns it; paying a paid invoice changes nothing and returns it as is.
	// Each payment it records gets the next settlement number (see
	// TestSettlementsAfter).
	PayTestInvoice(ctx context.Context, paymentHash string, amount MilliSat, at time.Time) (*TestInvoice, error)
	// LastTestSettlement returns the settlement number of the latest
	// payment PayTestInvoice recorded, 0 before the first.
	LastTestSettlement(ctx context.Context) (int64, error)
	// TestSettlementsAfter lists the payments PayTestInvoice recorded with
	// a settlement number above seq, in order, at most limit (≤ 0: no
	// limit): the test wallet's SettlementFeed. Numbers only grow, and no
	// payment is visible to a reader before every one numbered below it, so
	// a cursor that only moves forward misses none. Invoices inserted
	// already paid are not in it.
	TestSettlementsAfter(ctx context.Context, seq int64, limit int) ([]Settlement, error)
	// DueTestInvoices lists unpaid, unexpired invoices created at or before t.
	DueTestInvoices(ctx context.Context, createdBefore, now time.Time, limit int) ([]TestInvoice, error)
}
