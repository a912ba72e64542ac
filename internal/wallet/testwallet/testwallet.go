package testwallet

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/lightningnetwork/lnd/lnwire"
	"github.com/lightningnetwork/lnd/zpay32"

	"github.com/satsrail/satsrail/internal/bolt11"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/secretbox"
)

// Network is the chain of every test wallet invoice.
const Network = "regtest"

// DefaultDescription is the description of invoices requested without a memo.
const DefaultDescription = "satsrail test invoice"

const (
	defaultInterval = 250 * time.Millisecond
	hintBuffer      = 1024
	autopayBatch    = 100
	autopayBatches  = 10
	// finalCLTVDelta is the min_final_cltv_expiry of every invoice, lnd's
	// usual value.
	finalCLTVDelta = 80
	// maxDescription is the longest description a BOLT11 tagged field holds:
	// 1023 groups of 5 bits.
	maxDescription = 639
)

// ErrExpired is returned when paying an invoice whose expiry has passed.
var ErrExpired = errors.New("testwallet: invoice expired")

// Config configures a Wallet. Zero fields take the documented defaults.
type Config struct {
	Store gateway.TestWalletStore
	// MasterKey seals the node keys in the Store; 32 bytes. Sealer, when
	// set, seals them instead (the gateway's keyring, which follows a
	// rotation of the master key).
	MasterKey []byte
	Sealer    gateway.Sealer
	// Now defaults to time.Now().UTC() truncated to microseconds.
	Now func() time.Time
	// AutopayAfter, when positive, makes Run pay every invoice this long
	// after its creation.
	AutopayAfter time.Duration
	// Interval is how often Run looks for invoices to autopay; default 250ms.
	Interval time.Duration
	Logger   *slog.Logger
}

// Wallet is the test wallet of every merchant. It is safe for concurrent use.
type Wallet struct {
	store        gateway.TestWalletStore
	sealer       gateway.Sealer
	now          func() time.Time
	autopayAfter time.Duration
	interval     time.Duration
	log          *slog.Logger
	hints        chan string

	keys sync.Map // merchant id → *btcec.PrivateKey, opened
}

// New returns a Wallet. It starts nothing; see Run.
func New(cfg Config) *Wallet {
	w := &Wallet{
		store:        cfg.Store,
		sealer:       cfg.Sealer,
		autopayAfter: cfg.AutopayAfter,
		interval:     cmp.Or(cfg.Interval, defaultInterval),
		log:          cfg.Logger,
		hints:        make(chan string, hintBuffer),
	}
	if now := cfg.Now; now != nil {
		w.now = func() time.Time { return now().UTC() }
	} else {
		w.now = func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	if w.sealer == nil {
		w.sealer = keySealer(cfg.MasterKey)
	}
	return w
}

// keySealer seals with one master key.
type keySealer []byte

func (k keySealer) Seal(p []byte) ([]byte, error) { return secretbox.Seal(k, p) }
func (k keySealer) Open(s []byte) ([]byte, error) { return secretbox.Open(k, s) }

// Hints delivers the payment hash of every invoice this process pays, for
// the payment watcher to look up at once. A hash is dropped when the channel
// is full; the settlement feed has every payment anyway.
func (w *Wallet) Hints() <-chan string { return w.hints }

var _ gateway.SettlementFeed = (*Wallet)(nil)

// LastSettlement returns the number of the latest payment of any test
// invoice, made by any process sharing the store.
func (w *Wallet) LastSettlement(ctx context.Context) (int64, error) {
	seq, err := w.store.LastTestSettlement(ctx)
	if err != nil {
		return 0, fmt.Errorf("testwallet: last settlement: %w", err)
	}
	return seq, nil
}

// SettlementsAfter lists the payments of test invoices numbered after seq,
// made by any process sharing the store (this one, the `satsrail testwallet
// pay` command, other nodes), in order, at most limit: one query, however
// many invoices are open.
func (w *Wallet) SettlementsAfter(ctx context.Context, seq int64, limit int) ([]gateway.Settlement, error) {
	out, err := w.store.TestSettlementsAfter(ctx, seq, limit)
	if err != nil {
		return nil, fmt.Errorf("testwallet: settlements after %d: %w", seq, err)
	}
	return out, nil
}

// For returns the test wallet of one merchant.
func (w *Wallet) For(merchantID string) *MerchantWallet {
	return &MerchantWallet{w: w, merchantID: merchantID}
}

// Pay pays a test invoice of any merchant, given its BOLT11 string, as a
// customer would: amountMsat, or the invoice amount when amountMsat is 0.
// Paying a paid invoice does nothing. Lower and higher amounts are recorded
// as paid, so tests can make underpayments and overpayments.
func (w *Wallet) Pay(ctx context.Context, invoice string, amountMsat gateway.MilliSat) error {
	if amountMsat < 0 {
		return fmt.Errorf("testwallet: negative amount %d msat", amountMsat)
	}
	d, err := bolt11.Decode(invoice)
	if err != nil {
		return fmt.Errorf("testwallet: pay: %w", err)
	}
	if d.Network != Network {
		return fmt.Errorf("testwallet: pay: a %s invoice is not a test wallet invoice (%s): %w",
			d.Network, Network, gateway.ErrNotFound)
	}
	inv, err := w.store.GetTestInvoice(ctx, d.PaymentHash)
	if err != nil {
		return fmt.Errorf("testwallet: pay invoice %s: %w", d.PaymentHash, err)
	}
	if inv.PaymentRequest != bolt11.Normalize(invoice) {
		// Same hash, another invoice: not one this wallet made.
		return fmt.Errorf("testwallet: pay invoice %s: not made by this test wallet: %w", d.PaymentHash, gateway.ErrNotFound)
	}
	return w.pay(ctx, inv, amountMsat, w.now())
}

// pay records a payment of amount (0: in full) at now and announces it.
func (w *Wallet) pay(ctx context.Context, inv *gateway.TestInvoice, amount gateway.MilliSat, now time.Time) error {
	if !inv.SettledAt.IsZero() {
		return nil
	}
	if !now.Before(inv.ExpiresAt) {
		return fmt.Errorf("%w: %s expired at %s", ErrExpired, inv.PaymentHash, inv.ExpiresAt.Format(time.RFC3339))
	}
	if amount == 0 {
		amount = inv.AmountMsat
	}
	paid, err := w.store.PayTestInvoice(ctx, inv.PaymentHash, amount, now)
	if err != nil {
		return fmt.Errorf("testwallet: pay invoice %s: %w", inv.PaymentHash, err)
	}
	// A concurrent payer may have been first; a second hint is harmless.
	w.log.InfoContext(ctx, "test invoice paid", "merchant_id", paid.MerchantID,
		"payment_hash", paid.PaymentHash, "amount_paid_msat", int64(paid.AmountPaidMsat))
	select {
	case w.hints <- paid.PaymentHash:
	default:
		w.log.WarnContext(ctx, "test wallet hint dropped, channel full", "payment_hash", paid.PaymentHash)
	}
	return nil
}

// Run pays due invoices every Interval when AutopayAfter is set, and
// otherwise only waits. It returns nil when ctx is done.
func (w *Wallet) Run(ctx context.Context) error {
	if w.autopayAfter <= 0 {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		if err := w.autopay(ctx); err != nil && ctx.Err() == nil {
			w.log.ErrorContext(ctx, "test wallet autopay", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// autopay pays in full every unpaid, unexpired invoice created at least
// AutopayAfter ago, in batches; a backlog beyond autopayBatches batches
// waits for the next tick.
func (w *Wallet) autopay(ctx context.Context) error {
	for range autopayBatches {
		now := w.now()
		due, err := w.store.DueTestInvoices(ctx, now.Add(-w.autopayAfter), now, autopayBatch)
		if err != nil {
			return fmt.Errorf("testwallet: due invoices: %w", err)
		}
		for i := range due {
			if err := w.pay(ctx, &due[i], 0, now); err != nil {
				return err
			}
		}
		if len(due) < autopayBatch {
			return nil
		}
	}
	return nil
}

// nodeKey returns the merchant's node key, making and storing one on first
// use. Concurrent first uses, in this process or others, agree on the key
// the store kept.
func (w *Wallet) nodeKey(ctx context.Context, merchantID string) (*btcec.PrivateKey, error) {
	if k, ok := w.keys.Load(merchantID); ok {
		return k.(*btcec.PrivateKey), nil
	}
	if merchantID == "" {
		return nil, errors.New("testwallet: no merchant")
	}
	sealed, err := w.store.TestWalletKey(ctx, merchantID)
	if errors.Is(err, gateway.ErrNotFound) {
		sealed, err = w.newNodeKey(ctx, merchantID)
	}
	if err != nil {
		return nil, fmt.Errorf("testwallet: node key of merchant %s: %w", merchantID, err)
	}
	raw, err := w.sealer.Open(sealed)
	if err != nil {
		return nil, fmt.Errorf("testwallet: open node key of merchant %s (is this the master key it was sealed with?): %w",
			merchantID, err)
	}
	defer clear(raw)
	if len(raw) != btcec.PrivKeyBytesLen {
		return nil, fmt.Errorf("testwallet: node key of merchant %s is %d bytes", merchantID, len(raw))
	}
	key, _ := btcec.PrivKeyFromBytes(raw)
	k, _ := w.keys.LoadOrStore(merchantID, key)
	return k.(*btcec.PrivateKey), nil
}

// newNodeKey makes a node key, seals it and stores it unless another caller
// stored one first, and returns the stored sealed key.
func (w *Wallet) newNodeKey(ctx context.Context, merchantID string) ([]byte, error) {
	key, err := btcec.NewPrivateKey()
	if err != nil {
		return nil, err
	}
	raw := key.Serialize()
	defer clear(raw)
	sealed, err := w.sealer.Seal(raw)
	if err != nil {
		return nil, err
	}
	stored, err := w.store.PutTestWalletKey(ctx, merchantID, sealed)
	if err != nil {
		return nil, err
	}
	w.log.InfoContext(ctx, "test wallet node key created", "merchant_id", merchantID)
	return stored, nil
}

// MerchantWallet is one merchant's test wallet: a gateway.Wallet and a
// gateway.PaymentSimulator that sees only that merchant's invoices.
type MerchantWallet struct {
	w          *Wallet
	merchantID string
}

var (
	_ gateway.Wallet           = (*MerchantWallet)(nil)
	_ gateway.PaymentSimulator = (*MerchantWallet)(nil)
)

// Network returns "regtest".
func (m *MerchantWallet) Network() string { return Network }

// CreateInvoice mints a signed regtest invoice for req.AmountMsat that
// expires at req.ExpiresAt, rounded up to the second after the invoice's
// timestamp (BOLT11 counts whole seconds).
func (m *MerchantWallet) CreateInvoice(ctx context.Context, req gateway.InvoiceRequest) (gateway.Invoice, error) {
	if req.AmountMsat <= 0 {
		return gateway.Invoice{}, fmt.Errorf("testwallet: invoice amount must be positive, got %d msat", req.AmountMsat)
	}
	now := m.w.now()
	if !req.ExpiresAt.After(now) {
		return gateway.Invoice{}, fmt.Errorf("testwallet: invoice expiry %s is not after now (%s)",
			req.ExpiresAt.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano))
	}
	key, err := m.w.nodeKey(ctx, m.merchantID)
	if err != nil {
		return gateway.Invoice{}, err
	}

	var preimage, paymentAddr [32]byte
	rand.Read(preimage[:]) // crypto/rand.Read never fails
	rand.Read(paymentAddr[:])
	hash := sha256.Sum256(preimage[:])
	timestamp := now.Truncate(time.Second)
	expiry := ceilSeconds(req.ExpiresAt.Sub(timestamp))
	features := lnwire.NewFeatureVector(lnwire.NewRawFeatureVector(
		lnwire.TLVOnionPayloadRequired, lnwire.PaymentAddrRequired), lnwire.Features)
	inv, err := zpay32.NewInvoice(&chaincfg.RegressionNetParams, hash, timestamp,
		zpay32.Amount(lnwire.MilliSatoshi(req.AmountMsat)),
		zpay32.Description(description(req.Memo)),
		zpay32.Expiry(expiry),
		zpay32.CLTVExpiry(finalCLTVDelta),
		zpay32.PaymentAddr(paymentAddr),
		zpay32.Features(features),
	)
	if err != nil {
		return gateway.Invoice{}, fmt.Errorf("testwallet: new invoice: %w", err)
	}
	pr, err := inv.Encode(zpay32.MessageSigner{SignCompact: func(msg []byte) ([]byte, error) {
		return ecdsa.SignCompact(key, chainhash.HashB(msg), true), nil
	}})
	if err != nil {
		return gateway.Invoice{}, fmt.Errorf("testwallet: encode invoice: %w", err)
	}

	ti := gateway.TestInvoice{
		PaymentHash:    hex.EncodeToString(hash[:]),
		MerchantID:     m.merchantID,
		Preimage:       hex.EncodeToString(preimage[:]),
		PaymentRequest: pr,
		AmountMsat:     req.AmountMsat,
		CreatedAt:      now,
		ExpiresAt:      timestamp.Add(expiry),
	}
	if err := m.w.store.InsertTestInvoice(ctx, ti); err != nil {
		return gateway.Invoice{}, fmt.Errorf("testwallet: store invoice: %w", err)
	}
	m.w.log.DebugContext(ctx, "test invoice created", "merchant_id", m.merchantID,
		"payment_hash", ti.PaymentHash, "amount_msat", int64(ti.AmountMsat), "session_id", req.SessionID)
	return gateway.Invoice{
		PaymentHash:    ti.PaymentHash,
		PaymentRequest: ti.PaymentRequest,
		AmountMsat:     ti.AmountMsat,
		State:          gateway.InvoiceOpen,
	}, nil
}

// ceilSeconds rounds d up to a whole number of seconds.
func ceilSeconds(d time.Duration) time.Duration {
	return (d + time.Second - 1) / time.Second * time.Second
}

// description is the invoice description for memo: the default when empty,
// cut on a character boundary to what a BOLT11 field holds.
func description(memo string) string {
	if memo == "" {
		return DefaultDescription
	}
	if len(memo) <= maxDescription {
		return memo
	}
	cut := maxDescription
	for cut > 0 && !utf8.RuneStart(memo[cut]) {
		cut--
	}
	return memo[:cut]
}

// LookupInvoice reports the merchant's invoice with this payment hash. The
// preimage is revealed only once it is settled. An invoice of another
// merchant is gateway.ErrNotFound.
func (m *MerchantWallet) LookupInvoice(ctx context.Context, paymentHash string) (gateway.Invoice, error) {
	inv, err := m.get(ctx, paymentHash)
	if err != nil {
		return gateway.Invoice{}, err
	}
	out := gateway.Invoice{
		PaymentHash:    inv.PaymentHash,
		PaymentRequest: inv.PaymentRequest,
		AmountMsat:     inv.AmountMsat,
		State:          gateway.InvoiceOpen,
	}
	switch {
	case !inv.SettledAt.IsZero():
		out.State = gateway.InvoiceSettled
		out.AmountPaidMsat = inv.AmountPaidMsat
		out.Preimage = inv.Preimage
		out.SettledAt = inv.SettledAt
	case !m.w.now().Before(inv.ExpiresAt):
		out.State = gateway.InvoiceCanceled
	}
	return out, nil
}

// SimulatePayment pays the merchant's invoice in full, as if a customer had.
// Paying a paid invoice does nothing; an expired one is ErrExpired.
func (m *MerchantWallet) SimulatePayment(ctx context.Context, paymentHash string) error {
	inv, err := m.get(ctx, paymentHash)
	if err != nil {
		return err
	}
	return m.w.pay(ctx, inv, 0, m.w.now())
}

// get loads an invoice of this merchant.
func (m *MerchantWallet) get(ctx context.Context, paymentHash string) (*gateway.TestInvoice, error) {
	hash := strings.ToLower(paymentHash)
	inv, err := m.w.store.GetTestInvoice(ctx, hash)
	if err != nil {
		return nil, fmt.Errorf("testwallet: invoice %s: %w", hash, err)
	}
	if inv.MerchantID != m.merchantID {
		return nil, fmt.Errorf("testwallet: invoice %s: %w", hash, gateway.ErrNotFound)
	}
	return inv, nil
}
