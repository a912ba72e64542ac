package bolt11_test

import (
	"crypto/sha256"
	"encoding/hex"
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
	"github.com/satsrail/satsrail/internal/gateway"
)

// benchInvoice signs a regtest invoice shaped like the ones lnd makes for a
// checkout (amount, memo, expiry, payment address, features, CLTV delta),
// with a fixed key and preimage so every run decodes the same bytes.
func benchInvoice(b *testing.B) (string, gateway.DecodedInvoice) {
	b.Helper()
	seed := sha256.Sum256([]byte("satsrail bolt11 benchmark node"))
	key, _ := btcec.PrivKeyFromBytes(seed[:])
	preimage := sha256.Sum256([]byte("preimage"))
	hash := sha256.Sum256(preimage[:])
	addr := sha256.Sum256([]byte("payment address"))
	fv := lnwire.NewFeatureVector(lnwire.NewRawFeatureVector(
		lnwire.TLVOnionPayloadRequired, lnwire.PaymentAddrRequired), lnwire.Features)
	const memo = "Coffee Shop — checkout cs_Ab3dEf6hIj9kLm2nOp5qRs8t"
	inv, err := zpay32.NewInvoice(&chaincfg.RegressionNetParams, hash, created,
		zpay32.Amount(4_292_000), zpay32.Description(memo), zpay32.Expiry(15*time.Minute),
		zpay32.PaymentAddr(addr), zpay32.Features(fv), zpay32.CLTVExpiry(80))
	if err != nil {
		b.Fatal(err)
	}
	s, err := inv.Encode(zpay32.MessageSigner{SignCompact: func(m []byte) ([]byte, error) {
		return ecdsa.SignCompact(key, chainhash.HashB(m), true), nil
	}})
	if err != nil {
		b.Fatal(err)
	}
	return s, gateway.DecodedInvoice{
		Network:     "regtest",
		PaymentHash: hex.EncodeToString(hash[:]),
		AmountMsat:  4_292_000,
		Description: memo,
		CreatedAt:   created,
		ExpiresAt:   created.Add(15 * time.Minute),
		Payee:       hex.EncodeToString(key.PubKey().SerializeCompressed()),
	}
}

// BenchmarkDecode is the check the gateway makes on every invoice a wallet
// returns: bech32, fields, and public key recovery from the signature.
func BenchmarkDecode(b *testing.B) {
	s, want := benchInvoice(b)
	if !strings.HasPrefix(s, "lnbcrt") {
		b.Fatalf("minted %q, want a regtest invoice", s)
	}
	b.ReportAllocs()
	var got gateway.DecodedInvoice
	var err error
	for b.Loop() {
		got, err = bolt11.Decode(s)
	}
	if err != nil {
		b.Fatal(err)
	}
	if got != want {
		b.Fatalf("Decode = %+v, want %+v", got, want)
	}
}
