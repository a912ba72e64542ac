package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// invoiceClaimTTL is how long one node may hold a session's invoice claim;
// a node that died while making the invoice loses it after this.
const invoiceClaimTTL = 30 * time.Second

// invoiceExpirySlack is how far an invoice's expiry may be from the session's
// expires_at: BOLT11 times have one-second resolution.
const invoiceExpirySlack = 2 * time.Second

// ReconcileGrace is how long after expiry a session's invoice is still looked
// up: a payment settling in flight at expiry still completes it.
const ReconcileGrace = time.Hour

var errClaimed = errors.New("invoice is being made by another request")
var errNoChange = errors.New("no change")

// ErrInvoiceMismatch means a wallet returned an invoice that is not what was
// asked for; it is never shown or stored.
var ErrInvoiceMismatch = errors.New("wallet returned an invoice that does not match the request")

// unableToInvoice is what customers and merchants see when no invoice can be made.
func unableToInvoice(cause error) error {
	return fmt.Errorf("%w: %w", &Error{Code: CodeWalletUnavailable, Message: "Unable to generate invoice: the merchant's Lightning wallet did not provide a valid invoice. Try again shortly."}, cause)
}

// CheckoutPage returns the session behind a hosted-page token and its
// merchant, expiring the session first if its time is up. A suspended
// merchant's session comes back with merchant_suspended: its page says the
// shop is unavailable and makes no invoice.
func (s *Service) CheckoutPage(ctx context.Context, token string) (*CheckoutSession, *Merchant, error) {
	sess, err := s.GetCheckoutSession(ctx, Scope{}, token)
	if err != nil {
		return nil, nil, err
	}
	m, err := s.store.GetMerchant(ctx, sess.MerchantID)
	if err != nil {
		return nil, nil, err
	}
	if m.Suspended() {
		return sess, m, errMerchantSuspended()
	}
	return sess, m, nil
}

// EnsureInvoice gives a pending session its Lightning invoice, made once on
// the wallet of the session's mode, however many page loads ask at once on
// however many nodes. Sessions that already have one, or are no longer
// pending, are returned as they are.
func (s *Service) EnsureInvoice(ctx context.Context, id string) (*CheckoutSession, error) {
	if !lookupable(id) {
		return nil, fmt.Errorf("checkout session: %w", ErrNotFound)
	}
	v, err := s.flight.do(id, func() (any, error) { return s.ensureInvoice(ctx, id) })
	if err != nil {
		return nil, err
	}
	return v.(*CheckoutSession), nil
}

// InvoiceOf returns sess, just read, with its invoice: as it is when it has
// one or is no longer pending — no second read — else by EnsureInvoice.
func (s *Service) InvoiceOf(ctx context.Context, sess *CheckoutSession) (*CheckoutSession, error) {
	if sess.PaymentRequest != "" || sess.Status != StatusPending {
		return sess, nil
	}
	return s.EnsureInvoice(ctx, sess.ID)
}

func (s *Service) ensureInvoice(ctx context.Context, id string) (*CheckoutSession, error) {
	for attempt := 0; ; attempt++ {
		sess, err := s.GetCheckoutSession(ctx, Scope{}, id)
		if err != nil {
			return nil, err
		}
		if sess.PaymentRequest != "" || sess.Status != StatusPending {
			return sess, nil
		}
		claimed := false
		sess, err = s.store.UpdateCheckoutSession(ctx, Scope{}, id, func(cs *CheckoutSession) (SessionChange, error) {
			now := s.Now()
			switch {
			case cs.PaymentRequest != "" || cs.Status != StatusPending:
				return SessionChange{}, errNoChange
			case !cs.InvoiceClaimedAt.IsZero() && now.Sub(cs.InvoiceClaimedAt) < invoiceClaimTTL:
				return SessionChange{}, errClaimed
			}
			cs.InvoiceClaimedAt = now
			claimed = true
			return SessionChange{}, nil
		})
		switch {
		case errors.Is(err, errNoChange):
			continue
		case errors.Is(err, errClaimed):
			// Another node is making it: wait for it.
			if attempt >= 300 {
				return nil, unableToInvoice(errClaimed)
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
			continue
		case err != nil:
			return nil, err
		}
		if !claimed {
			return sess, nil
		}
		return s.makeInvoice(ctx, sess)
	}
}

// makeInvoice prices the session, asks the wallet for the invoice, checks
// what came back, and fixes it on the session (releasing the claim).
func (s *Service) makeInvoice(ctx context.Context, sess *CheckoutSession) (*CheckoutSession, error) {
	inv, rate, sats, err := s.requestInvoice(ctx, sess)
	if err != nil {
		// Release the claim so the next page load can try again.
		_, rerr := s.store.UpdateCheckoutSession(ctx, Scope{}, sess.ID, func(cs *CheckoutSession) (SessionChange, error) {
			cs.InvoiceClaimedAt = time.Time{}
			return SessionChange{}, nil
		})
		return nil, errors.Join(err, rerr)
	}
	out, err := s.store.UpdateCheckoutSession(ctx, Scope{}, sess.ID, func(cs *CheckoutSession) (SessionChange, error) {
		cs.InvoiceClaimedAt = time.Time{}
		if cs.PaymentRequest != "" {
			return SessionChange{}, nil // a stale claim was taken over; keep the first
		}
		cs.AmountSats = sats
		cs.ExchangeRate = rate
		cs.PaymentRequest = inv.PaymentRequest
		cs.PaymentHash = inv.PaymentHash
		cs.InvoiceRef = inv.LookupRef
		cs.UpdatedAt = s.Now()
		return SessionChange{}, nil
	})
	if err != nil {
		return nil, err
	}
	s.hub.notify(out.ID)
	if s.cfg.OnInvoice != nil && out.PaymentHash == inv.PaymentHash {
		s.cfg.OnInvoice(out)
	}
	return out, nil
}

func (s *Service) requestInvoice(ctx context.Context, sess *CheckoutSession) (Invoice, string, Sats, error) {
	if s.wallets == nil || s.decode == nil {
		return Invoice{}, "", 0, Errorf(CodeWalletUnavailable, "No Lightning wallet is configured.")
	}
	rate, err := s.rates.Rate(ctx, sess.Currency)
	if err != nil {
		return Invoice{}, "", 0, err
	}
	sats, err := FiatToSats(sess.AmountCents, sess.Currency, rate.BTCPrice)
	if err != nil {
		return Invoice{}, "", 0, err
	}
	w, err := s.wallets.Wallet(ctx, sess.Scope())
	if err != nil {
		return Invoice{}, "", 0, err
	}
	m, err := s.store.GetMerchant(ctx, sess.MerchantID)
	if err != nil {
		return Invoice{}, "", 0, err
	}
	req := InvoiceRequest{
		AmountMsat: MilliSat(sats) * 1000,
		Memo:       fmt.Sprintf("%s — checkout %s", m.Name, sess.ID),
		ExpiresAt:  sess.ExpiresAt,
		SessionID:  sess.ID,
	}
	inv, err := w.CreateInvoice(ctx, req)
	if err != nil {
		return Invoice{}, "", 0, unableToInvoice(err)
	}
	if err := s.checkInvoice(req, inv, w); err != nil {
		return Invoice{}, "", 0, unableToInvoice(err)
	}
	return inv, rate.BTCPrice.StringFixed(2), sats, nil
}

// checkInvoice decodes the BOLT11 a wallet returned and holds it to the
// request: amount, payment hash, network and expiry (SPEC §4). The expiry
// must be the session's, or, for a wallet that cannot choose it, at least
// the session's: a later one is harmless, for the page never shows the
// invoice after the session expired and its lookups go on for
// ReconcileGrace after that.
func (s *Service) checkInvoice(req InvoiceRequest, inv Invoice, w Wallet) error {
	network := w.Network()
	d, err := s.decode(inv.PaymentRequest)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvoiceMismatch, err)
	}
	var problems []string
	if d.AmountMsat != req.AmountMsat {
		problems = append(problems, fmt.Sprintf("amount %d msat, asked %d", d.AmountMsat, req.AmountMsat))
	}
	if d.PaymentHash != inv.PaymentHash || len(d.PaymentHash) != 64 {
		problems = append(problems, "payment hash differs from the one the wallet reported")
	}
	if d.Network != network {
		problems = append(problems, fmt.Sprintf("network %s, want %s", d.Network, network))
	}
	fixed, _ := UnwrapWallet(w).(FixedExpiryWallet)
	if diff := d.ExpiresAt.Sub(req.ExpiresAt); (diff > invoiceExpirySlack && (fixed == nil || !fixed.InvoiceExpiryFixed())) || diff < -invoiceExpirySlack {
		problems = append(problems, fmt.Sprintf("expires %s, want %s", d.ExpiresAt.Format(time.RFC3339), req.ExpiresAt.Format(time.RFC3339)))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %v", ErrInvoiceMismatch, problems)
	}
	return nil
}

// SettleByHash is what any settlement hint leads to: find the session of the
// payment hash and reconcile it against its wallet.
func (s *Service) SettleByHash(ctx context.Context, paymentHash string) (*CheckoutSession, error) {
	sess, err := s.store.GetCheckoutSessionByPaymentHash(ctx, paymentHash)
	if err != nil {
		return nil, err
	}
	return s.ReconcileSession(ctx, sess)
}

// ReconcileSession looks the session's invoice up in its wallet — the lookup
// is the truth — and completes the session if the invoice is settled.
func (s *Service) ReconcileSession(ctx context.Context, sess *CheckoutSession) (*CheckoutSession, error) {
	if sess.Status == StatusCompleted || sess.PaymentHash == "" {
		return sess, nil
	}
	w, err := s.wallets.Wallet(ctx, sess.Scope())
	if err != nil {
		return nil, err
	}
	inv, err := LookupSessionInvoice(ctx, w, sess.PaymentHash, sess.InvoiceRef)
	if err != nil {
		return nil, walletFailed("look up invoice of "+sess.ID, err)
	}
	if inv.State != InvoiceSettled {
		return sess, nil
	}
	return s.applySettlement(ctx, sess.ID, inv)
}

// ErrUnderpaid means a settled amount was below the invoice amount; such a
// payment never completes a session.
var ErrUnderpaid = errors.New("settled amount is below the invoice amount")

// applySettlement completes a session from a settled invoice exactly once:
// in one database transaction the session becomes completed, one
// transaction row (unique on the payment hash) and one checkout.completed
// event are written. A session already completed is returned unchanged.
func (s *Service) applySettlement(ctx context.Context, id string, inv Invoice) (*CheckoutSession, error) {
	out, err := s.store.UpdateCheckoutSession(ctx, Scope{}, id, func(cs *CheckoutSession) (SessionChange, error) {
		if cs.Status == StatusCompleted {
			return SessionChange{}, errNoChange
		}
		if cs.PaymentHash != inv.PaymentHash {
			return SessionChange{}, fmt.Errorf("settlement for %s does not match session %s", inv.PaymentHash, cs.ID)
		}
		if err := checkPreimage(inv.Preimage, inv.PaymentHash); err != nil {
			return SessionChange{}, err
		}
		if inv.AmountPaidMsat < MilliSat(cs.AmountSats)*1000 {
			return SessionChange{}, fmt.Errorf("%w: %s paid %d msat of %d", ErrUnderpaid, cs.ID, inv.AmountPaidMsat, int64(cs.AmountSats)*1000)
		}
		now := s.Now()
		if err := cs.Transition(StatusCompleted, now); err != nil {
			return SessionChange{}, err
		}
		settled := inv.SettledAt
		if settled.IsZero() {
			settled = now
		}
		tx := &Transaction{
			ID: NewID(PrefixTransaction), MerchantID: cs.MerchantID, Mode: cs.Mode, CheckoutSessionID: cs.ID,
			Status: TxSettled, PaymentHash: inv.PaymentHash, Preimage: inv.Preimage,
			AmountMsat: inv.AmountPaidMsat, AmountSats: inv.AmountPaidMsat.Sats(), AmountCents: cs.AmountCents,
			Currency: cs.Currency, ExchangeRate: cs.ExchangeRate,
			SettledAt: settled.UTC().Truncate(time.Microsecond), CreatedAt: now,
		}
		cs.TransactionID = tx.ID
		ev, err := sessionEvent(EventCheckoutCompleted, cs, tx, now)
		if err != nil {
			return SessionChange{}, err
		}
		return SessionChange{Events: []Event{ev}, Transaction: tx}, nil
	})
	if errors.Is(err, errNoChange) {
		return s.store.GetCheckoutSession(ctx, Scope{}, id)
	}
	if errors.Is(err, ErrConflict) {
		// The payment hash is already on the ledger: another writer won.
		return s.store.GetCheckoutSession(ctx, Scope{}, id)
	}
	if err != nil {
		return nil, err
	}
	s.hub.notify(id)
	s.wakeDeliveries()
	s.observeSession("completed", out.Mode)
	if s.cfg.OnSettle != nil {
		s.cfg.OnSettle(settlePath(ctx), out.Mode)
	}
	return out, nil
}

// settlePathKey marks a context with how a settlement was found, for the
// OnSettle hook: Reconcile and SimulatePaymentFor set it; a bare
// SettleByHash is a wallet's hint.
type settlePathKey struct{}

func settlePath(ctx context.Context) string {
	if p, ok := ctx.Value(settlePathKey{}).(string); ok {
		return p
	}
	return "hint"
}

// walletFailed reports a wallet error as wallet_unavailable, whatever the
// wallet said, so no backend's error leaks through as a 404 or a 500.
func walletFailed(what string, err error) error {
	return fmt.Errorf("%w: %s: %w", Errorf(CodeWalletUnavailable, "The merchant's Lightning wallet did not answer as expected; try again shortly."), what, err)
}

func checkPreimage(preimage, hash string) error {
	p, err := hex.DecodeString(preimage)
	if err != nil || len(p) != 32 {
		return fmt.Errorf("settled invoice %s has no valid preimage", hash)
	}
	sum := sha256.Sum256(p)
	if hex.EncodeToString(sum[:]) != hash {
		return fmt.Errorf("preimage of %s does not hash to it", hash)
	}
	return nil
}

// Reconcile looks up every session that has an invoice and is pending (or
// expired or cancelled within ReconcileGrace) and completes the settled
// ones: one wallet lookup per session, of every merchant. It runs where the
// settlement feeds may have missed something — at start (a payment made
// while the gateway was down) — and periodically only if the operator asks.
// It returns how many it completed.
func (s *Service) Reconcile(ctx context.Context) (completed int, err error) {
	return s.ReconcileScope(ctx, Scope{})
}

// ReconcileScope is Reconcile for the sessions of one scope only, those one
// wallet connection serves: when that wallet's settlement stream
// reconnects, only its sessions can have been missed, and a whole sweep
// would cost a lookup per session in every other merchant's wallet too.
// The zero Scope is every scope, as Reconcile.
func (s *Service) ReconcileScope(ctx context.Context, scope Scope) (completed int, err error) {
	if s.cfg.OnReconcile != nil {
		defer func() { s.cfg.OnReconcile(completed, err) }()
	}
	ctx = context.WithValue(ctx, settlePathKey{}, "reconcile")
	after := ""
	var errs []error
	for {
		batch, err := s.store.ReconcilableSessions(ctx, scope, s.Now().Add(-ReconcileGrace), after, 100)
		if err != nil {
			return completed, err
		}
		for i := range batch {
			out, err := s.ReconcileSession(ctx, &batch[i])
			switch {
			case err != nil:
				if len(errs) < 10 {
					errs = append(errs, err)
				}
			case out.Status == StatusCompleted:
				completed++
			}
		}
		if len(batch) < 100 {
			return completed, errors.Join(errs...)
		}
		after = batch[len(batch)-1].ID
	}
}

// CancelCheckout is the customer's cancel link: a pending session becomes
// cancelled with its checkout.cancelled event. Other sessions are returned
// as they are.
func (s *Service) CancelCheckout(ctx context.Context, id string) (*CheckoutSession, error) {
	if !lookupable(id) {
		return nil, fmt.Errorf("checkout session: %w", ErrNotFound)
	}
	out, err := s.store.UpdateCheckoutSession(ctx, Scope{}, id, func(cs *CheckoutSession) (SessionChange, error) {
		if cs.Status != StatusPending {
			return SessionChange{}, errNoChange
		}
		now := s.Now()
		if err := cs.Transition(StatusCancelled, now); err != nil {
			return SessionChange{}, err
		}
		ev, err := sessionEvent(EventCheckoutCancelled, cs, nil, now)
		if err != nil {
			return SessionChange{}, err
		}
		return SessionChange{Events: []Event{ev}}, nil
	})
	if errors.Is(err, errNoChange) {
		return s.store.GetCheckoutSession(ctx, Scope{}, id)
	}
	if err == nil {
		s.hub.notify(id)
		s.wakeDeliveries()
		s.observeSession("cancelled", out.Mode)
	}
	return out, err
}

// SimulatePayment pays a test-mode session's invoice with the test wallet
// and settles it, as POST /checkout/{token}/simulate_payment does. Only a
// test secret key may; a session of another merchant or mode is not found.
func (s *Service) SimulatePayment(ctx context.Context, p *Principal, id string) (*CheckoutSession, error) {
	if p.Key.Mode != ModeTest || p.Key.Kind != KeySecret {
		return nil, Errorf(CodePermissionDenied, "Simulating a payment needs a test-mode secret key (sk_test_...).")
	}
	sess, err := s.GetCheckoutSession(ctx, p.Scope(), id)
	if err != nil {
		return nil, err
	}
	return s.simulatePayment(ctx, sess)
}

// SimulatePaymentFor pays a test-mode session by token, as the hosted page's
// "Simulate payment" button does.
func (s *Service) SimulatePaymentFor(ctx context.Context, id string) (*CheckoutSession, error) {
	sess, err := s.GetCheckoutSession(ctx, Scope{}, id)
	if err != nil {
		return nil, err
	}
	return s.simulatePayment(ctx, sess)
}

// simulatePayment pays sess, just read, with the test wallet.
func (s *Service) simulatePayment(ctx context.Context, sess *CheckoutSession) (*CheckoutSession, error) {
	sess, err := s.InvoiceOf(ctx, sess)
	if err != nil {
		return nil, err
	}
	if sess.Mode != ModeTest {
		return nil, Errorf(CodePermissionDenied, "Payments can only be simulated in test mode.")
	}
	switch sess.Status {
	case StatusCompleted:
		return sess, nil
	case StatusExpired:
		return nil, Errorf(CodeCheckoutExpired, "Checkout session %s has expired.", sess.ID)
	case StatusCancelled:
		return nil, &Error{Code: CodeValidation, Message: "The checkout session was cancelled.",
			Fields: []FieldError{{Field: "status", Message: "must be pending"}}}
	}
	w, err := s.wallets.Wallet(ctx, sess.Scope())
	if err != nil {
		return nil, err
	}
	sim, ok := UnwrapWallet(w).(PaymentSimulator)
	if !ok {
		return nil, Errorf(CodePermissionDenied, "This test mode is connected to a real wallet; pay the invoice with a wallet instead.")
	}
	if err := sim.SimulatePayment(ctx, sess.PaymentHash); err != nil {
		return nil, walletFailed("simulate payment of "+sess.ID, err)
	}
	return s.SettleByHash(context.WithValue(ctx, settlePathKey{}, "simulate"), sess.PaymentHash)
}

// WatchSession returns a channel that receives a value whenever this
// process changes the session, and a function to stop watching. Other nodes'
// changes are not seen: watchers also re-read the store now and then.
func (s *Service) WatchSession(id string) (<-chan struct{}, func()) { return s.hub.watch(id) }
