package cln

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/satsrail/satsrail/internal/wallet/walletkit"
)

// CreateRuneCommand makes a rune the gateway accepts: one that may only make
// and read invoices (and read the node's info), on the node itself. The
// methods are alternatives of a single restriction (OR); further
// restrictions, such as `["rate=60"]`, may be added (AND).
const CreateRuneCommand = `lightning-cli createrune restrictions='[["method=invoice","method=listinvoices","method=waitanyinvoice","method=waitinvoice","method=getinfo"]]'`

// ErrNotReceiveOnly means a rune allows more than receiving payments.
var ErrNotReceiveOnly = errors.New("cln: the rune is not receive-only")

// receiveMethods are the RPC methods a receive-only rune may allow: making,
// reading and waiting for invoices, reading node info and decoding. None
// moves funds or changes channels.
var receiveMethods = []string{
	"invoice", "listinvoices", "waitanyinvoice", "waitinvoice", "getinfo", "wait", "decode", "decodepay",
}

// Rune is a decoded Core Lightning rune: its restrictions, all of which
// must pass (AND), each a list of alternatives of which one must (OR).
type Rune struct {
	UniqueID     string
	Restrictions [][]Alternative
}

// Alternative is one condition of a rune restriction, e.g. method=invoice:
// field "method", condition '=', value "invoice".
type Alternative struct {
	Field     string
	Condition byte
	Value     string
}

func (a Alternative) String() string { return a.Field + string(a.Condition) + a.Value }

// conditions are the condition characters a rune alternative may use
// (ccan/rune): missing, equal, not equal, begins, ends, contains, int
// less, int greater, lexically before, after, and comment (always passes).
const conditions = "!=/^$~<>{}#"

// DecodeRune decodes a rune as Core Lightning prints it: base64url (padding
// optional) of a 32-byte SHA-256 state followed by its restrictions as text,
// restrictions separated by '&', alternatives by '|', '\' escaping either.
// The hash cannot be checked without the node's secret; the node does that.
func DecodeRune(s string) (Rune, error) {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(strings.TrimSpace(s), "="))
	if err != nil || len(raw) < 32 {
		return Rune{}, errors.New("cln: the rune is not a rune (base64url of a hash and restrictions, as createrune prints it)")
	}
	text := string(raw[32:])
	if strings.IndexByte(text, 0) >= 0 {
		return Rune{}, errors.New("cln: the rune's restrictions are not text")
	}
	var r Rune
	for len(text) > 0 {
		var restr []Alternative
		for more := true; more; {
			var alt Alternative
			i := strings.IndexFunc(text, func(c rune) bool { return c < unicode.MaxASCII && unicode.IsPunct(c) && c != '_' || isSymbol(c) })
			if i < 0 || !strings.ContainsRune(conditions, rune(text[i])) {
				return Rune{}, fmt.Errorf("cln: the rune has a restriction without a valid condition near %q", walletkit.Clip(text))
			}
			alt.Field, alt.Condition, text = text[:i], text[i], text[i+1:]
			var value strings.Builder
			more = false
		value:
			for len(text) > 0 {
				c := text[0]
				text = text[1:]
				switch c {
				case '|':
					more = true
					break value
				case '&':
					break value
				case '\\':
					if len(text) == 0 {
						return Rune{}, errors.New("cln: the rune ends in an escape")
					}
					c, text = text[0], text[1:]
				}
				value.WriteByte(c)
			}
			alt.Value = value.String()
			restr = append(restr, alt)
		}
		r.Restrictions = append(r.Restrictions, restr)
	}
	// The first restriction, `=<id>` (or `=<id>-<version>`), is the unique id
	// createrune gives every rune.
	if len(r.Restrictions) > 0 && len(r.Restrictions[0]) == 1 && r.Restrictions[0][0].Field == "" && r.Restrictions[0][0].Condition == '=' {
		r.UniqueID = r.Restrictions[0][0].Value
		r.Restrictions = r.Restrictions[1:]
	}
	return r, nil
}

// isSymbol reports the ASCII punctuation Go's unicode.IsPunct leaves to
// unicode.IsSymbol (C's ispunct, which ccan/rune uses, has both).
func isSymbol(c rune) bool { return c < unicode.MaxASCII && unicode.IsSymbol(c) }

// CheckReceiveOnly refuses a rune that could do more than receive: it must
// have a restriction whose every alternative is `method=` one of the
// invoice and read-only methods (receiveMethods). An unrestricted rune, one
// limited by other fields only, or one whose method restriction lets any
// other method through (`method/pay`, `method^list`, `method=pay`, a
// comment) is refused with ErrNotReceiveOnly and how to make a good one.
func CheckReceiveOnly(s string) error {
	r, err := DecodeRune(s)
	if err != nil {
		return err
	}
	var loose []string
	for _, restr := range r.Restrictions {
		limits, mentionsMethod := true, false
		for _, alt := range restr {
			if alt.Field == "method" {
				mentionsMethod = true
			}
			if alt.Field != "method" || alt.Condition != '=' || !slices.Contains(receiveMethods, alt.Value) {
				limits = false
			}
		}
		if limits {
			return nil
		}
		if mentionsMethod {
			var alts []string
			for _, alt := range restr {
				alts = append(alts, alt.String())
			}
			loose = append(loose, strings.Join(alts, " or "))
		}
	}
	why := "it has no method restriction, so it can call any method, pay and withdraw included"
	if len(loose) > 0 {
		why = fmt.Sprintf("its method restrictions (%s) let methods other than %s through, such as pay, xpay or withdraw",
			strings.Join(loose, "; "), strings.Join(receiveMethods, ", "))
	}
	return fmt.Errorf("%w: %s; make one that can only receive with %s", ErrNotReceiveOnly, why, CreateRuneCommand)
}
