package bolt11_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/lightningnetwork/lnd/lnwire"
	"github.com/lightningnetwork/lnd/zpay32"

	"github.com/satsrail/satsrail/internal/bolt11"
)

// FuzzDecode decodes any text as a BOLT11 invoice. Beyond not panicking:
// every error wraps ErrInvalid; an invoice that decodes names a known
// network, a 32-byte payment hash and a 33-byte compressed payee key, a
// non-negative amount and an expiry not before its creation; and the ways a
// QR code or a wallet may spell the same invoice (upper case, a
// "lightning:" prefix, white space) decode to the same thing.
func FuzzDecode(f *testing.F) {
	for _, p := range []*chaincfg.Params{&chaincfg.MainNetParams, &chaincfg.TestNet3Params, &chaincfg.SigNetParams, &chaincfg.RegressionNetParams} {
		f.Add(fuzzInvoice(f, p, zpay32.Amount(lnwire.MilliSatoshi(4_292_000)), zpay32.Description("Order #1234")))
		f.Add(fuzzInvoice(f, p, zpay32.DescriptionHash(sha256.Sum256([]byte("x"))), zpay32.Expiry(900*time.Second)))
	}
	f.Add(fuzzInvoice(f, &chaincfg.MainNetParams, zpay32.Description(""), zpay32.Expiry(1<<62)))
	for _, s := range []string{"", "lnbc1", "lightning:", "LNBC1PVJLUEZ", "lnbc1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq", "lnxx1abc", "1", "lnbcrt1\x00", "LnBc1xyz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := bolt11.Decode(s)
		if err != nil {
			if !errors.Is(err, bolt11.ErrInvalid) {
				t.Fatalf("Decode(%q): %v does not wrap ErrInvalid", s, err)
			}
			return
		}
		switch d.Network {
		case "mainnet", "testnet", "signet", "regtest":
		default:
			t.Fatalf("network %q", d.Network)
		}
		if h, err := hex.DecodeString(d.PaymentHash); err != nil || len(h) != 32 {
			t.Fatalf("payment hash %q", d.PaymentHash)
		}
		if k, err := hex.DecodeString(d.Payee); err != nil || len(k) != 33 || (k[0] != 2 && k[0] != 3) {
			t.Fatalf("payee %q", d.Payee)
		}
		if d.AmountMsat < 0 || d.ExpiresAt.Before(d.CreatedAt) {
			t.Fatalf("amount %d, created %s, expires %s", d.AmountMsat, d.CreatedAt, d.ExpiresAt)
		}
		n := bolt11.Normalize(s)
		for _, other := range []string{strings.ToUpper(n), "lightning:" + n, "LIGHTNING:" + strings.ToUpper(n), " \t" + n + "\r\n"} {
			if d2, err := bolt11.Decode(other); err != nil || d2 != d {
				t.Fatalf("Decode(%q) = %+v, %v; Decode(%q) = %+v", other, d2, err, s, d)
			}
		}
	})
}

// fuzzInvoice signs an invoice on params with a fresh node key.
func fuzzInvoice(f *testing.F, params *chaincfg.Params, opts ...func(*zpay32.Invoice)) string {
	f.Helper()
	key, err := btcec.NewPrivateKey()
	if err != nil {
		f.Fatal(err)
	}
	var preimage, addr [32]byte
	rand.Read(preimage[:])
	rand.Read(addr[:])
	fv := lnwire.NewFeatureVector(lnwire.NewRawFeatureVector(lnwire.TLVOnionPayloadRequired, lnwire.PaymentAddrRequired), lnwire.Features)
	opts = append([]func(*zpay32.Invoice){zpay32.PaymentAddr(addr), zpay32.Features(fv), zpay32.CLTVExpiry(80)}, opts...)
	inv, err := zpay32.NewInvoice(params, sha256.Sum256(preimage[:]), time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC), opts...)
	if err != nil {
		f.Fatal(err)
	}
	s, err := inv.Encode(zpay32.MessageSigner{SignCompact: func(m []byte) ([]byte, error) {
		return ecdsa.SignCompact(key, chainhash.HashB(m), true), nil
	}})
	if err != nil {
		f.Fatal(err)
	}
	return s
}
