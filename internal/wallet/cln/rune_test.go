package cln_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/satsrail/satsrail/internal/wallet/cln"
)

// rune encodes restrictions text as Core Lightning prints a rune: base64url
// of a 32-byte hash and the text, with padding.
func rune(text string) string {
	return base64.URLEncoding.EncodeToString(append(make([]byte, 32), text...))
}

func TestDecodeRune(t *testing.T) {
	r, err := cln.DecodeRune(rune(`=7&method=invoice|method=listinvoices&pnamelabel^a\|b\&c\\d&rate=60`))
	if err != nil {
		t.Fatal(err)
	}
	want := cln.Rune{UniqueID: "7", Restrictions: [][]cln.Alternative{
		{{Field: "method", Condition: '=', Value: "invoice"}, {Field: "method", Condition: '=', Value: "listinvoices"}},
		{{Field: "pnamelabel", Condition: '^', Value: `a|b&c\d`}},
		{{Field: "rate", Condition: '=', Value: "60"}},
	}}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("DecodeRune (-want +got):\n%s", diff)
	}
	// Without padding, as some tools copy it, it reads the same.
	r2, err := cln.DecodeRune(strings.TrimRight(rune(`=7&method=invoice|method=listinvoices&pnamelabel^a\|b\&c\\d&rate=60`), "="))
	if err != nil || !cmp.Equal(r, r2) {
		t.Errorf("unpadded: %+v, %v", r2, err)
	}
	for name, s := range map[string]string{
		"not base64":          "not a rune!",
		"too short":           base64.URLEncoding.EncodeToString(make([]byte, 20)),
		"no condition":        rune("=0&method"),
		"invalid condition":   rune("=0&method-invoice"),
		"ends in escape":      rune(`=0&method=invoice\`),
		"standard base64 alt": strings.ReplaceAll(strings.ReplaceAll(rune("=0&method=invoice??>>"), "-", "+"), "_", "/") + "*",
	} {
		if _, err := cln.DecodeRune(s); err == nil {
			t.Errorf("%s: DecodeRune(%q) accepted", name, s)
		}
	}
}

func TestCheckReceiveOnly(t *testing.T) {
	tests := []struct {
		name, text string
		ok         bool
	}{
		{"the documented rune", "=0&method=invoice|method=listinvoices|method=waitanyinvoice|method=waitinvoice|method=getinfo", true},
		{"with a rate limit", "=1&method=invoice|method=listinvoices|method=waitanyinvoice&rate=120", true},
		{"rate first", "=1&rate=120&method=invoice|method=waitanyinvoice", true},
		{"with a label pin", "=2&method=invoice|method=listinvoices&pnamelabel^satsrail-", true},
		{"with a version in the id", "=3-2&method=invoice", true},
		{"unrestricted", "=0", false},
		{"no unique id, unrestricted", "", false},
		{"only a rate", "=0&rate=60", false},
		{"allows pay", "=0&method=invoice|method=pay", false},
		{"allows xpay", "=0&method=invoice|method=listinvoices|method=xpay", false},
		{"allows withdraw", "=0&method=withdraw|method=invoice", false},
		{"blacklist", "=0&method/pay&method/xpay&method/withdraw", false},
		{"prefix", "=0&method^list|method=invoice", false},
		{"readonly shortcut", "=0&method^list|method^get|method=summary&method/listdatastore", false},
		{"comment alternative", "=0&method=invoice|#anything", false},
		{"param alternative", "=0&method=invoice|pnamelabel^satsrail-", false},
		{"missing-method alternative", "=0&method=invoice|method!", false},
		{"unknown method", "=0&method=invoice|method=delinvoice", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := cln.CheckReceiveOnly(rune(tt.text))
			if tt.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, cln.ErrNotReceiveOnly) {
				t.Fatalf("CheckReceiveOnly = %v, want ErrNotReceiveOnly", err)
			}
			if !strings.Contains(err.Error(), cln.CreateRuneCommand) {
				t.Errorf("error %q does not say how to make a receive-only rune", err)
			}
		})
	}
	if err := cln.CheckReceiveOnly("garbage"); err == nil || errors.Is(err, cln.ErrNotReceiveOnly) {
		t.Errorf("CheckReceiveOnly(garbage) = %v, want a decoding error", err)
	}
}
