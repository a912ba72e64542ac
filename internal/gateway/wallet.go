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
	Payee       string // hex compressed public key
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
	PayTestInvoice(ctx context.Context, paymentHash string, amount MilliSat, at time.Time) (*TestInvoice, error)
	// DueTestInvoices lists unpaid, unexpired invoices created at or before t.
	DueTestInvoices(ctx context.Context, createdBefore, now time.Time, limit int) ([]TestInvoice, error)
}
