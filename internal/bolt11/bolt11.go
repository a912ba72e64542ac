package bolt11

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/lightningnetwork/lnd/zpay32"

	"github.com/satsrail/satsrail/internal/gateway"
)

// ErrInvalid is wrapped by every error Decode returns.
var ErrInvalid = errors.New("bolt11: invalid invoice")

// Decode is the gateway's InvoiceDecoder.
var _ gateway.InvoiceDecoder = Decode

// networks maps human-readable prefixes to networks. Longer prefixes come
// first, since "lnbc" is a prefix of "lnbcrt" and "lntb" of "lntbs".
var networks = []struct {
	prefix string
	name   string
	params *chaincfg.Params
}{
	{"lnbcrt", "regtest", &chaincfg.RegressionNetParams},
	{"lntbs", "signet", &chaincfg.SigNetParams},
	{"lntb", "testnet", &chaincfg.TestNet3Params},
	{"lnbc", "mainnet", &chaincfg.MainNetParams},
}

// Normalize trims white space and an optional "lightning:" URI scheme (any
// case) from s and lower-cases an all-upper-case invoice, as QR codes carry
// them. A mixed-case invoice is left as is, for bech32 forbids it.
func Normalize(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= len("lightning:") && strings.EqualFold(s[:len("lightning:")], "lightning:") {
		s = s[len("lightning:"):]
	}
	if s == strings.ToUpper(s) {
		s = strings.ToLower(s)
	}
	return s
}

// Decode decodes a BOLT11 invoice on mainnet, testnet, signet or regtest,
// verifying its checksum and signature and recovering the payee's key.
// Upper-case invoices and a "lightning:" prefix are accepted. An invoice that
// commits to a description hash instead of a description has an empty
// Description. Every error wraps ErrInvalid.
//
// An invoice without a payee field ('n') is signed by whichever key its
// signature recovers to, so a tampered invoice with a valid checksum decodes
// with a different Payee; callers that know the payee should compare it.
func Decode(s string) (gateway.DecodedInvoice, error) {
	s = Normalize(s)
	if s == "" {
		return gateway.DecodedInvoice{}, fmt.Errorf("%w: empty", ErrInvalid)
	}
	if s != strings.ToLower(s) {
		return gateway.DecodedInvoice{}, fmt.Errorf("%w: mixed upper and lower case", ErrInvalid)
	}
	// The human-readable part ends at the last '1'; the amount follows the
	// network prefix inside it.
	sep := strings.LastIndexByte(s, '1')
	if sep < 0 {
		return gateway.DecodedInvoice{}, fmt.Errorf("%w: no bech32 separator", ErrInvalid)
	}
	hrp := s[:sep]
	for _, n := range networks {
		if !strings.HasPrefix(hrp, n.prefix) {
			continue
		}
		inv, err := zpay32.Decode(s, n.params)
		if err != nil {
			return gateway.DecodedInvoice{}, fmt.Errorf("%w: %s invoice: %w", ErrInvalid, n.name, err)
		}
		return decoded(n.name, inv)
	}
	if len(hrp) > 12 {
		hrp = hrp[:12] + "…"
	}
	return gateway.DecodedInvoice{}, fmt.Errorf("%w: unknown prefix %q (want lnbc, lntb, lntbs or lnbcrt)", ErrInvalid, hrp)
}

func decoded(network string, inv *zpay32.Invoice) (gateway.DecodedInvoice, error) {
	// zpay32 fills these for every invoice it returns; check anyway rather
	// than panic on a nil pointer should that change.
	if inv.PaymentHash == nil || inv.Destination == nil {
		return gateway.DecodedInvoice{}, fmt.Errorf("%w: no payment hash or payee", ErrInvalid)
	}
	d := gateway.DecodedInvoice{
		Network:     network,
		PaymentHash: hex.EncodeToString(inv.PaymentHash[:]),
		CreatedAt:   inv.Timestamp.UTC(),
		Payee:       hex.EncodeToString(inv.Destination.SerializeCompressed()),
	}
	// Expiry is zpay32's default of one hour when the invoice has none. A
	// huge expiry overflows zpay32's time.Duration.
	expiry := inv.Expiry()
	if expiry < 0 {
		return gateway.DecodedInvoice{}, fmt.Errorf("%w: expiry overflows", ErrInvalid)
	}
	d.ExpiresAt = d.CreatedAt.Add(expiry)
	if inv.MilliSat != nil {
		d.AmountMsat = gateway.MilliSat(*inv.MilliSat)
		if d.AmountMsat < 0 {
			return gateway.DecodedInvoice{}, fmt.Errorf("%w: amount overflows", ErrInvalid)
		}
	}
	if inv.Description != nil {
		d.Description = *inv.Description
	}
	if inv.DescriptionHash != nil {
		d.DescriptionHash = hex.EncodeToString(inv.DescriptionHash[:])
	}
	return d, nil
}
