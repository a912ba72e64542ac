package gateway

import "time"

// TransactionStatus of a ledger row; a transaction exists only once a payment
// settled, so "settled" is the only status today.
type TransactionStatus string

// TxSettled is the status of a settled payment.
const TxSettled TransactionStatus = "settled"

// Transaction is one settled Lightning payment: an immutable ledger row,
// unique on PaymentHash.
type Transaction struct {
	ID                string
	MerchantID        string
	Mode              Mode
	CheckoutSessionID string
	Status            TransactionStatus
	PaymentHash       string
	Preimage          string
	AmountMsat        MilliSat
	AmountSats        Sats
	AmountCents       Cents
	Currency          string
	ExchangeRate      string
	SettledAt         time.Time
	CreatedAt         time.Time
}
