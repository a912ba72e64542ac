package lndsource

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/lightningnetwork/lnd/lnwire"
	"github.com/lightningnetwork/lnd/zpay32"
)

// Lie is how a fake configured to lie bends the invoice it hands out, so
// tests can check that the gateway never shows such an invoice.
type Lie string

// The lies a fake can tell about a new invoice.
const (
	Truth      Lie = ""
	LieAmount  Lie = "amount"  // the invoice asks 1 sat more than requested
	LieHash    Lie = "hash"    // the reported payment hash is another invoice's
	LieNetwork Lie = "network" // the invoice is for mainnet
	LieExpiry  Lie = "expiry"  // the invoice expires an hour later than requested
)

// Lied is a lying invoice: what the fake reports about it.
type Lied struct {
	Hash           string // the payment hash the fake reports
	PaymentRequest string
	Invoice        Invoice // the invoice made on lnd
}

// AddLyingInvoice makes an invoice as AddInvoice would and bends it by lie.
func (s *Source) AddLyingInvoice(ctx context.Context, lie Lie, msat int64, memo string, expiry time.Duration) (Lied, error) {
	switch lie {
	case LieAmount:
		msat += 1000
	case LieExpiry:
		expiry += time.Hour
	}
	inv, err := s.AddInvoice(ctx, msat, memo, expiry)
	if err != nil {
		return Lied{}, err
	}
	out := Lied{Hash: inv.Hash, PaymentRequest: inv.PaymentRequest, Invoice: inv}
	switch lie {
	case LieHash:
		other, err := s.AddInvoice(ctx, msat, memo, expiry)
		if err != nil {
			return Lied{}, err
		}
		out.PaymentRequest = other.PaymentRequest
	case LieNetwork:
		if out.PaymentRequest, err = mint(&chaincfg.MainNetParams, inv.Hash, msat, memo, expiry); err != nil {
			return Lied{}, err
		}
	case Truth, LieAmount, LieExpiry:
	default:
		return Lied{}, fmt.Errorf("lndsource: unknown lie %q", lie)
	}
	return out, nil
}

// mint signs an invoice for hash on another chain with a throwaway key.
func mint(params *chaincfg.Params, hash string, msat int64, memo string, expiry time.Duration) (string, error) {
	var h [32]byte
	if b, err := hex.DecodeString(hash); err != nil || len(b) != 32 {
		return "", fmt.Errorf("lndsource: hash %q", hash)
	} else {
		copy(h[:], b)
	}
	var secret [32]byte
	rand.Read(secret[:])
	inv, err := zpay32.NewInvoice(params, h, time.Now(), zpay32.Amount(lnwire.MilliSatoshi(msat)),
		zpay32.Description(memo), zpay32.Expiry(expiry), zpay32.PaymentAddr(secret))
	if err != nil {
		return "", err
	}
	key, err := btcec.NewPrivateKey()
	if err != nil {
		return "", err
	}
	return inv.Encode(zpay32.MessageSigner{SignCompact: func(msg []byte) ([]byte, error) {
		return ecdsa.SignCompact(key, chainhash.HashB(msg), true), nil
	}})
}
