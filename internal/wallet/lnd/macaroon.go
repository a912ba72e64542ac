package lnd

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// BakeCommand is how a merchant makes the macaroon satsrail wants.
const BakeCommand = "lncli bakemacaroon invoices:read invoices:write --save_to satsrail.macaroon"

// ErrNotReceiveOnly is wrapped by CheckReceiveOnly's refusals of a macaroon
// that grants more than making and reading invoices.
var ErrNotReceiveOnly = errors.New("lnd: the macaroon grants more than invoices")

// allowed are the permissions a receive-only macaroon may hold, as
// entity:action. invoices:write also settles and cancels hold invoices,
// which moves no money of the merchant's.
var allowed = []string{"invoices:read", "invoices:write", "info:read"}

// allowedURIs are the single-method permissions (entity "uri") that a
// receive-only macaroon may hold: making, reading and streaming invoices,
// and the node's public info.
var allowedURIs = []string{
	"/lnrpc.Lightning/AddInvoice",
	"/lnrpc.Lightning/LookupInvoice",
	"/lnrpc.Lightning/ListInvoices",
	"/lnrpc.Lightning/SubscribeInvoices",
	"/lnrpc.Lightning/GetInfo",
	"/invoicesrpc.Invoices/LookupInvoiceV2",
	"/invoicesrpc.Invoices/SubscribeSingleInvoice",
}

// CheckReceiveOnly decodes an lnd macaroon and refuses it unless all it
// grants is making and reading invoices (invoices:read, invoices:write, or
// the matching uri:/lnrpc.Lightning/… permissions) plus, optionally,
// info:read. An admin or readonly macaroon, and lnd's own invoice.macaroon
// (which also grants on-chain reads and new addresses), are refused with an
// error wrapping ErrNotReceiveOnly that says how to bake the right one.
// Caveats only narrow a macaroon, so they are not looked at.
func CheckReceiveOnly(mac []byte) error {
	ops, err := macaroonOps(mac)
	if err != nil {
		return err
	}
	var extra []string
	create, lookup := false, false
	for _, p := range ops {
		entity, action, _ := strings.Cut(p, ":")
		switch {
		case entity == "uri" && slices.Contains(allowedURIs, action):
			create = create || action == "/lnrpc.Lightning/AddInvoice"
			lookup = lookup || action == "/lnrpc.Lightning/LookupInvoice"
		case slices.Contains(allowed, p):
			create = create || p == "invoices:write"
			lookup = lookup || p == "invoices:read"
		default:
			extra = append(extra, p)
		}
	}
	if len(extra) > 0 {
		return fmt.Errorf("%w: it also grants %s, which satsrail must not hold; "+
			"bake an invoice-only macaroon with `%s` and use that one",
			ErrNotReceiveOnly, strings.Join(extra, ", "), BakeCommand)
	}
	if !create || !lookup {
		return fmt.Errorf("lnd: the macaroon cannot both make and look up invoices (it grants %s); "+
			"bake one with `%s`", strings.Join(ops, ", "), BakeCommand)
	}
	return nil
}

// macaroonOps returns the permissions of a binary (v2) lnd macaroon as
// entity:action strings. The macaroon's identifier is lnd's: a version
// byte 3 and a protobuf MacaroonId{nonce = 1, storageId = 2, ops = 3},
// each Op{entity = 1, actions = 2}.
func macaroonOps(mac []byte) ([]string, error) {
	id, err := macaroonID(mac)
	if err != nil {
		return nil, fmt.Errorf("lnd: not a macaroon (give the binary file or its hex or base64): %w", err)
	}
	if len(id) == 0 || id[0] != 3 {
		return nil, errors.New("lnd: not an lnd macaroon (its identifier is not lnd's version 3)")
	}
	var ops []string
	err = protoFields(id[1:], func(num uint64, data []byte) error {
		if num != 3 { // nonce and storage id
			return nil
		}
		var entity string
		var actions []string
		err := protoFields(data, func(num uint64, data []byte) error {
			if !utf8.Valid(data) {
				return errors.New("permission is not text")
			}
			switch num {
			case 1:
				entity = string(data)
			case 2:
				actions = append(actions, string(data))
			}
			return nil
		})
		for _, a := range actions {
			ops = append(ops, entity+":"+a)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("lnd: macaroon identifier: %w", err)
	}
	if len(ops) == 0 {
		return nil, errors.New("lnd: the macaroon grants no permissions")
	}
	return ops, nil
}

// Macaroon fields (libmacaroons' v2 binary format).
const (
	fieldEOS        = 0
	fieldLocation   = 1
	fieldIdentifier = 2
)

// macaroonID returns the identifier of a v2 binary macaroon: a version byte
// 2, then fields (type and length as varints) up to an end-of-section: an
// optional location and the identifier. Caveats and the signature follow.
func macaroonID(mac []byte) ([]byte, error) {
	if len(mac) == 0 || mac[0] != 2 {
		return nil, errors.New("not a version 2 binary macaroon")
	}
	data := mac[1:]
	for {
		typ, n := binary.Uvarint(data)
		if n <= 0 {
			return nil, errors.New("truncated")
		}
		data = data[n:]
		if typ == fieldEOS {
			return nil, errors.New("no identifier")
		}
		size, n := binary.Uvarint(data)
		if n <= 0 || size > uint64(len(data)-n) {
			return nil, errors.New("truncated")
		}
		value := data[n : n+int(size)]
		data = data[n+int(size):]
		switch typ {
		case fieldLocation:
		case fieldIdentifier:
			return value, nil
		default:
			return nil, fmt.Errorf("unexpected field %d before the identifier", typ)
		}
	}
}

// protoFields calls fn with each length-delimited field of a protobuf
// message, skipping varints and refusing other wire types (MacaroonId has
// no others).
func protoFields(msg []byte, fn func(num uint64, data []byte) error) error {
	for len(msg) > 0 {
		key, n := binary.Uvarint(msg)
		if n <= 0 {
			return errors.New("truncated protobuf")
		}
		msg = msg[n:]
		switch wire := key & 7; wire {
		case 0: // varint
			if _, n = binary.Uvarint(msg); n <= 0 {
				return errors.New("truncated protobuf")
			}
			msg = msg[n:]
		case 2: // length-delimited
			size, n := binary.Uvarint(msg)
			if n <= 0 || size > uint64(len(msg)-n) {
				return errors.New("truncated protobuf")
			}
			if err := fn(key>>3, msg[n:n+int(size)]); err != nil {
				return err
			}
			msg = msg[n+int(size):]
		default:
			return fmt.Errorf("unexpected protobuf wire type %d", wire)
		}
	}
	return nil
}

// ParseMacaroon decodes a macaroon given as text: hex (as lnd's REST header
// and `xxd -p` carry it) or base64, standard or URL alphabet, padded or
// not (as lndconnect carries it). White space around it is ignored.
func ParseMacaroon(s string) ([]byte, error) {
	s = strings.Join(strings.Fields(s), "")
	if s == "" {
		return nil, errors.New("lnd: empty macaroon")
	}
	// A v2 macaroon starts with the byte 2: "02…" in hex, "Ag…" in base64,
	// so the two cannot be confused.
	if b, err := hex.DecodeString(s); err == nil {
		return checkMacaroon(b)
	}
	raw := strings.TrimRight(s, "=")
	raw = strings.NewReplacer("+", "-", "/", "_").Replace(raw)
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return nil, errors.New("lnd: the macaroon is neither hex nor base64")
	}
	return checkMacaroon(b)
}

func checkMacaroon(b []byte) ([]byte, error) {
	if _, err := macaroonID(b); err != nil {
		return nil, fmt.Errorf("lnd: not a macaroon: %w", err)
	}
	return b, nil
}
