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
	"github.com/btcsuite/btcd/btcutil/bech32"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/google/go-cmp/cmp"
	"github.com/lightningnetwork/lnd/lnwire"
	"github.com/lightningnetwork/lnd/zpay32"

	"github.com/satsrail/satsrail/internal/bolt11"
	"github.com/satsrail/satsrail/internal/gateway"
)

// minted is an invoice made by the test and what it should decode to.
type minted struct {
	bolt11 string
	want   gateway.DecodedInvoice
}

var created = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)

// mint signs an invoice for params with a fresh node key.
func mint(t *testing.T, params *chaincfg.Params, opts ...func(*zpay32.Invoice)) (minted, *btcec.PrivateKey) {
	t.Helper()
	key, err := btcec.NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	var preimage, addr [32]byte
	rand.Read(preimage[:])
	rand.Read(addr[:])
	hash := sha256.Sum256(preimage[:])
	fv := lnwire.NewFeatureVector(lnwire.NewRawFeatureVector(
		lnwire.TLVOnionPayloadRequired, lnwire.PaymentAddrRequired), lnwire.Features)
	opts = append([]func(*zpay32.Invoice){zpay32.PaymentAddr(addr), zpay32.Features(fv), zpay32.CLTVExpiry(80)}, opts...)
	inv, err := zpay32.NewInvoice(params, hash, created, opts...)
	if err != nil {
		t.Fatal(err)
	}
	s, err := inv.Encode(zpay32.MessageSigner{SignCompact: func(m []byte) ([]byte, error) {
		return ecdsa.SignCompact(key, chainhash.HashB(m), true), nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := gateway.DecodedInvoice{
		PaymentHash: hex.EncodeToString(hash[:]),
		CreatedAt:   created,
		ExpiresAt:   created.Add(inv.Expiry()),
		Payee:       hex.EncodeToString(key.PubKey().SerializeCompressed()),
	}
	if inv.MilliSat != nil {
		want.AmountMsat = gateway.MilliSat(*inv.MilliSat)
	}
	if inv.Description != nil {
		want.Description = *inv.Description
	}
	return minted{bolt11: s, want: want}, key
}

func TestDecodeNetworks(t *testing.T) {
	tests := []struct {
		network string
		params  *chaincfg.Params
		prefix  string
	}{
		{"regtest", &chaincfg.RegressionNetParams, "lnbcrt"},
		{"signet", &chaincfg.SigNetParams, "lntbs"},
		{"testnet", &chaincfg.TestNet3Params, "lntb"},
		{"mainnet", &chaincfg.MainNetParams, "lnbc"},
	}
	amounts := []lnwire.MilliSatoshi{1, 21_000, 123_456_789, 2_100_000_000_000}
	for _, tt := range tests {
		for _, amt := range amounts {
			t.Run(tt.network+"/"+amt.String(), func(t *testing.T) {
				m, _ := mint(t, tt.params, zpay32.Amount(amt),
					zpay32.Description("order #42 — café"), zpay32.Expiry(15*time.Minute))
				if !strings.HasPrefix(m.bolt11, tt.prefix) {
					t.Fatalf("minted %q, want prefix %s", m.bolt11[:12], tt.prefix)
				}
				want := m.want
				want.Network = tt.network
				if want.AmountMsat != gateway.MilliSat(amt) || want.ExpiresAt != created.Add(15*time.Minute) {
					t.Fatalf("test setup: %+v", want)
				}
				for _, s := range []string{
					m.bolt11,
					strings.ToUpper(m.bolt11),
					"lightning:" + m.bolt11,
					"LIGHTNING:" + strings.ToUpper(m.bolt11),
					"lightning:" + strings.ToUpper(m.bolt11),
					" " + m.bolt11 + "\n",
				} {
					got, err := bolt11.Decode(s)
					if err != nil {
						t.Fatalf("Decode(%.20q…): %v", s, err)
					}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Fatalf("Decode(%.20q…) mismatch (-want +got):\n%s", s, diff)
					}
				}
			})
		}
	}
}

func TestDecodeNoAmountDefaultExpiry(t *testing.T) {
	m, _ := mint(t, &chaincfg.RegressionNetParams, zpay32.Description("donation"))
	got, err := bolt11.Decode(m.bolt11)
	if err != nil {
		t.Fatal(err)
	}
	if got.AmountMsat != 0 {
		t.Errorf("AmountMsat = %d, want 0", got.AmountMsat)
	}
	if want := created.Add(time.Hour); !got.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt = %v, want the default hour: %v", got.ExpiresAt, want)
	}
	if got.Description != "donation" || got.Network != "regtest" {
		t.Errorf("got %+v", got)
	}
}

func TestDecodeDescriptionHash(t *testing.T) {
	m, _ := mint(t, &chaincfg.MainNetParams, zpay32.Amount(1000), zpay32.DescriptionHash(sha256.Sum256([]byte("{}"))))
	got, err := bolt11.Decode(m.bolt11)
	if err != nil {
		t.Fatal(err)
	}
	if got.Description != "" {
		t.Errorf("Description = %q, want empty", got.Description)
	}
}

// reencode changes one 5-bit group of the data part and writes a valid
// checksum, so only the signature can tell.
func reencode(t *testing.T, s string, i int) string {
	t.Helper()
	hrp, data, err := bech32.DecodeNoLimit(s)
	if err != nil {
		t.Fatal(err)
	}
	data[i] ^= 1
	out, err := bech32.Encode(hrp, data)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDecodeTampered(t *testing.T) {
	m, key := mint(t, &chaincfg.RegressionNetParams, zpay32.Amount(5000), zpay32.Description("tamper me"))
	sep := strings.LastIndexByte(m.bolt11, '1')

	t.Run("flipped character", func(t *testing.T) {
		for _, i := range []int{sep + 1, sep + 10, len(m.bolt11) / 2, len(m.bolt11) - 1} {
			b := []byte(m.bolt11)
			if b[i] == 'q' {
				b[i] = 'p'
			} else {
				b[i] = 'q'
			}
			if _, err := bolt11.Decode(string(b)); !errors.Is(err, bolt11.ErrInvalid) {
				t.Errorf("flip at %d: err = %v, want ErrInvalid", i, err)
			}
		}
	})
	t.Run("amount changed", func(t *testing.T) {
		s := strings.Replace(m.bolt11, "lnbcrt50n1", "lnbcrt90n1", 1)
		if s == m.bolt11 {
			t.Fatalf("test setup: %s", m.bolt11[:12])
		}
		if _, err := bolt11.Decode(s); !errors.Is(err, bolt11.ErrInvalid) {
			t.Errorf("err = %v, want ErrInvalid", err)
		}
	})
	t.Run("valid checksum, no payee field", func(t *testing.T) {
		// Recovery yields some key; it is not the signer's.
		got, err := bolt11.Decode(reencode(t, m.bolt11, 3))
		if err == nil && got.Payee == m.want.Payee {
			t.Errorf("tampered invoice decoded with the signer as payee")
		}
	})
	t.Run("valid checksum, payee field", func(t *testing.T) {
		withN, _ := mintWithKey(t, key, zpay32.Amount(5000), zpay32.Description("tamper me"), zpay32.Destination(key.PubKey()))
		if _, err := bolt11.Decode(withN); err != nil {
			t.Fatalf("untampered: %v", err)
		}
		_, err := bolt11.Decode(reencode(t, withN, 3))
		if !errors.Is(err, bolt11.ErrInvalid) || !strings.Contains(err.Error(), "signature") {
			t.Errorf("err = %v, want an invalid signature", err)
		}
	})
}

func mintWithKey(t *testing.T, key *btcec.PrivateKey, opts ...func(*zpay32.Invoice)) (string, [32]byte) {
	t.Helper()
	var hash, addr [32]byte
	rand.Read(hash[:])
	rand.Read(addr[:])
	fv := lnwire.NewFeatureVector(lnwire.NewRawFeatureVector(lnwire.PaymentAddrRequired), lnwire.Features)
	opts = append([]func(*zpay32.Invoice){zpay32.PaymentAddr(addr), zpay32.Features(fv)}, opts...)
	inv, err := zpay32.NewInvoice(&chaincfg.RegressionNetParams, hash, created, opts...)
	if err != nil {
		t.Fatal(err)
	}
	s, err := inv.Encode(zpay32.MessageSigner{SignCompact: func(m []byte) ([]byte, error) {
		return ecdsa.SignCompact(key, chainhash.HashB(m), true), nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	return s, hash
}

func TestDecodeRefuses(t *testing.T) {
	reg, _ := mint(t, &chaincfg.RegressionNetParams, zpay32.Amount(1000), zpay32.Description("x"))
	sig, _ := mint(t, &chaincfg.SigNetParams, zpay32.Amount(1000), zpay32.Description("x"))
	sim, _ := mint(t, &chaincfg.SimNetParams, zpay32.Amount(1000), zpay32.Description("x"))
	// One upper-case letter in the data part.
	mixed := []byte(reg.bolt11)
	mixed[strings.IndexAny(reg.bolt11[10:], "acdefghjklmnpqrstuvwxyz")+10] &^= 0x20
	tests := map[string]string{
		"empty":                   "",
		"blank":                   "   ",
		"prefix only":             "lightning:",
		"garbage":                 "hello world",
		"no separator":            "lnbcrtqqqqqqqqqq",
		"too short":               "lnbc1qq",
		"bitcoin address":         "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
		"simnet prefix":           sim.bolt11,
		"unknown prefix":          "lnxy" + reg.bolt11[len("lnbcrt"):],
		"regtest made mainnet":    "lnbc" + reg.bolt11[len("lnbcrt"):],
		"signet made testnet":     "lntb" + sig.bolt11[len("lntbs"):],
		"mixed case":              string(mixed),
		"truncated":               reg.bolt11[:len(reg.bolt11)-10],
		"too long":                reg.bolt11[:20] + strings.Repeat("q", 8000),
		"bad character":           strings.Replace(reg.bolt11, "q", "b", 1),
		"double lightning prefix": "lightning:lightning:" + reg.bolt11,
	}
	for name, s := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := bolt11.Decode(s)
			if !errors.Is(err, bolt11.ErrInvalid) {
				t.Fatalf("Decode = %+v, %v; want ErrInvalid", got, err)
			}
		})
	}
}
