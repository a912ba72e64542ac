package testwallet_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// memStore is an in-memory gateway.TestWalletStore with the documented
// semantics, so these tests do not depend on a database engine.
type memStore struct {
	mu       sync.Mutex
	keys     map[string][]byte
	invoices map[string]gateway.TestInvoice
	settled  []gateway.Settlement // in the order paid
}

var _ gateway.TestWalletStore = (*memStore)(nil)

func newMemStore() *memStore {
	return &memStore{keys: make(map[string][]byte), invoices: make(map[string]gateway.TestInvoice)}
}

func (s *memStore) TestWalletKey(_ context.Context, merchantID string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[merchantID]
	if !ok {
		return nil, fmt.Errorf("test wallet key of %s: %w", merchantID, gateway.ErrNotFound)
	}
	return bytes.Clone(k), nil
}

func (s *memStore) PutTestWalletKey(_ context.Context, merchantID string, sealed []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.keys[merchantID]; ok {
		return bytes.Clone(k), nil
	}
	s.keys[merchantID] = bytes.Clone(sealed)
	return bytes.Clone(sealed), nil
}

func (s *memStore) InsertTestInvoice(_ context.Context, inv gateway.TestInvoice) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.invoices[inv.PaymentHash]; ok {
		return gateway.ErrConflict
	}
	s.invoices[inv.PaymentHash] = inv
	return nil
}

func (s *memStore) GetTestInvoice(_ context.Context, paymentHash string) (*gateway.TestInvoice, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inv, ok := s.invoices[paymentHash]
	if !ok {
		return nil, fmt.Errorf("test invoice %s: %w", paymentHash, gateway.ErrNotFound)
	}
	return &inv, nil
}

func (s *memStore) PayTestInvoice(_ context.Context, paymentHash string, amount gateway.MilliSat, at time.Time) (*gateway.TestInvoice, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inv, ok := s.invoices[paymentHash]
	if !ok {
		return nil, fmt.Errorf("test invoice %s: %w", paymentHash, gateway.ErrNotFound)
	}
	if inv.SettledAt.IsZero() {
		inv.AmountPaidMsat = amount
		inv.SettledAt = at
		s.invoices[paymentHash] = inv
		s.settled = append(s.settled, gateway.Settlement{Seq: int64(len(s.settled) + 1), PaymentHash: paymentHash})
	}
	return &inv, nil
}

func (s *memStore) LastTestSettlement(context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int64(len(s.settled)), nil
}

func (s *memStore) TestSettlementsAfter(_ context.Context, seq int64, limit int) ([]gateway.Settlement, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.settled[min(max(seq, 0), int64(len(s.settled))):])
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (s *memStore) DueTestInvoices(_ context.Context, createdBefore, now time.Time, limit int) ([]gateway.TestInvoice, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var due []gateway.TestInvoice
	for _, inv := range s.invoices {
		if inv.SettledAt.IsZero() && inv.ExpiresAt.After(now) && !inv.CreatedAt.After(createdBefore) {
			due = append(due, inv)
		}
	}
	slices.SortFunc(due, func(a, b gateway.TestInvoice) int { return a.CreatedAt.Compare(b.CreatedAt) })
	if len(due) > limit {
		due = due[:limit]
	}
	return due, nil
}

// sealedKey returns the stored sealed key of a merchant.
func (s *memStore) sealedKey(merchantID string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.keys[merchantID])
}

func (s *memStore) keyCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.keys)
}
