package lnd_test

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/satsrail/satsrail/internal/wallet/lnd"
)

// fakeMacaroon encodes a v2 binary macaroon with lnd's identifier granting
// perms ("entity:action"), a location, a first-party caveat and a dummy
// signature: what lnd bakes, without a valid signature (which
// CheckReceiveOnly cannot check and does not need).
func fakeMacaroon(perms ...string) []byte {
	// MacaroonId{nonce = 1, storageId = 2, ops = 3 {entity = 1, actions = 2}}
	id := []byte{3}
	id = protoBytes(id, 1, []byte("0123456789abcdef"))
	id = protoBytes(id, 2, []byte("0"))
	for _, p := range perms {
		entity, action, _ := strings.Cut(p, ":")
		var op []byte
		op = protoBytes(op, 1, []byte(entity))
		op = protoBytes(op, 2, []byte(action))
		id = protoBytes(id, 3, op)
	}
	mac := []byte{2}
	mac = macField(mac, 1, []byte("lnd"))
	mac = macField(mac, 2, id)
	mac = append(mac, 0) // end of header
	mac = macField(mac, 2, []byte("time-before 2030-01-01T00:00:00Z"))
	mac = append(mac, 0) // end of caveat
	mac = append(mac, 0) // end of caveats
	return macField(mac, 6, make([]byte, 32))
}

func protoBytes(b []byte, field int, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(field)<<3|2)
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

func macField(b []byte, typ int, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(typ))
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

// adminPerms are the permissions of lnd's admin.macaroon.
var adminPerms = []string{
	"address:read", "address:write", "info:read", "info:write", "invoices:read", "invoices:write",
	"macaroon:generate", "macaroon:read", "macaroon:write", "message:read", "message:write",
	"offchain:read", "offchain:write", "onchain:read", "onchain:write", "peers:read", "peers:write",
	"signer:generate", "signer:read",
}

func TestCheckReceiveOnly(t *testing.T) {
	tests := []struct {
		name  string
		mac   []byte
		ok    bool
		extra string // the refusal names this permission and says how to bake
	}{
		{"baked invoices", fakeMacaroon("invoices:read", "invoices:write"), true, ""},
		{"with info:read", fakeMacaroon("invoices:read", "invoices:write", "info:read"), true, ""},
		{"uri scoped", fakeMacaroon("uri:/lnrpc.Lightning/AddInvoice", "uri:/lnrpc.Lightning/LookupInvoice",
			"uri:/lnrpc.Lightning/SubscribeInvoices"), true, ""},
		{"uri and entity", fakeMacaroon("invoices:write", "uri:/lnrpc.Lightning/LookupInvoice"), true, ""},
		{"admin", fakeMacaroon(adminPerms...), false, "offchain:write"},
		{"readonly", fakeMacaroon("info:read", "invoices:read", "offchain:read", "onchain:read", "peers:read"),
			false, "offchain:read"},
		{"lnd invoice.macaroon", fakeMacaroon("address:read", "address:write", "invoices:read", "invoices:write",
			"onchain:read"), false, "address:write"},
		{"uri pays", fakeMacaroon("invoices:read", "invoices:write", "uri:/lnrpc.Lightning/SendPaymentSync"),
			false, "uri:/lnrpc.Lightning/SendPaymentSync"},
		{"uri router", fakeMacaroon("invoices:read", "invoices:write", "uri:/routerrpc.Router/SendPaymentV2"),
			false, "uri:/routerrpc.Router/SendPaymentV2"},
		{"signer", fakeMacaroon("invoices:read", "invoices:write", "signer:generate"), false, "signer:generate"},
		{"bakes macaroons", fakeMacaroon("invoices:read", "invoices:write", "macaroon:generate"), false, "macaroon:generate"},
		{"info:write", fakeMacaroon("invoices:read", "invoices:write", "info:write"), false, "info:write"},
		{"read only invoices", fakeMacaroon("invoices:read"), false, ""},
		{"write only invoices", fakeMacaroon("invoices:write"), false, ""},
		{"no permissions", fakeMacaroon(), false, ""},
		{"empty", nil, false, ""},
		{"not a macaroon", []byte("hello"), false, ""},
		{"truncated", fakeMacaroon("invoices:read", "invoices:write")[:12], false, ""},
		{"bakery v2 identifier", func() []byte {
			m := fakeMacaroon("invoices:read", "invoices:write")
			m[bytesIndex(m, 3)] = 2 // the identifier's version byte
			return m
		}(), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := lnd.CheckReceiveOnly(tt.mac)
			if tt.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			if tt.extra == "" {
				return
			}
			if !errors.Is(err, lnd.ErrNotReceiveOnly) {
				t.Errorf("error %v does not wrap ErrNotReceiveOnly", err)
			}
			for _, want := range []string{tt.extra, "lncli bakemacaroon invoices:read invoices:write"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

// bytesIndex returns the index of the identifier's version byte: after the
// version, the location field (type, length, "lnd"), the identifier's type
// and length.
func bytesIndex(mac []byte, version byte) int {
	i := 1 + 2 + len("lnd") + 1
	_, n := binary.Uvarint(mac[i:])
	if mac[i+n] != version {
		panic("fakeMacaroon layout changed")
	}
	return i + n
}

func TestParseMacaroon(t *testing.T) {
	mac := fakeMacaroon("invoices:read", "invoices:write")
	for name, s := range map[string]string{
		"hex":                  hex.EncodeToString(mac),
		"upper hex":            strings.ToUpper(hex.EncodeToString(mac)),
		"std base64":           base64.StdEncoding.EncodeToString(mac),
		"raw std base64":       base64.RawStdEncoding.EncodeToString(mac),
		"url base64":           base64.URLEncoding.EncodeToString(mac),
		"raw url base64":       base64.RawURLEncoding.EncodeToString(mac),
		"hex with white space": " " + hex.EncodeToString(mac)[:40] + "\n" + hex.EncodeToString(mac)[40:] + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			got, err := lnd.ParseMacaroon(s)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(mac) {
				t.Errorf("got %x, want %x", got, mac)
			}
		})
	}
	for name, s := range map[string]string{
		"empty":             "  ",
		"garbage":           "not a macaroon!",
		"hex of something":  hex.EncodeToString([]byte("hello world")),
		"base64 of nothing": base64.StdEncoding.EncodeToString([]byte{2}),
	} {
		t.Run(name, func(t *testing.T) {
			if got, err := lnd.ParseMacaroon(s); err == nil {
				t.Errorf("ParseMacaroon(%q) = %x, want an error", s, got)
			}
		})
	}
}
