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

// TestDocumentedRunes decodes and judges the runes Core Lightning's
// createrune documentation prints (doc/schemas/createrune.json): none of
// them is receive-only.
func TestDocumentedRunes(t *testing.T) {
	r, err := cln.DecodeRune("tU-RLjMiDpY2U0o3W1oFowar36RFGpWloPbW9-RuZdo9MyZpZD0wMjRiOWExZmE4ZTAwNmYxZTM5MzdmNjVmNjZjNDA4ZTZkYThlMWNhNzI4ZWE0MzIyMmE3MzgxZGYxY2M0NDk2MDUmbWV0aG9kPWxpc3RwZWVycyZwbnVtPTEmcG5hbWVpZF4wMjRiOWExZmE4ZTAwNmYxZTM5M3xwYXJyMF4wMjRiOWExZmE4ZTAwNmYxZTM5MyZ0aW1lPDE2NTY5MjA1MzgmcmF0ZT0y")
	if err != nil {
		t.Fatal(err)
	}
	// lightning-cli decode says: =3&id=024b…&method=listpeers&pnum=1&pnameid^024b…|parr0^024b…&time<1656920538&rate=2
	want := cln.Rune{UniqueID: "3", Restrictions: [][]cln.Alternative{
		{{Field: "id", Condition: '=', Value: "024b9a1fa8e006f1e3937f65f66c408e6da8e1ca728ea43222a7381df1cc449605"}},
		{{Field: "method", Condition: '=', Value: "listpeers"}},
		{{Field: "pnum", Condition: '=', Value: "1"}},
		{{Field: "pnameid", Condition: '^', Value: "024b9a1fa8e006f1e393"}, {Field: "parr0", Condition: '^', Value: "024b9a1fa8e006f1e393"}},
		{{Field: "time", Condition: '<', Value: "1656920538"}},
		{{Field: "rate", Condition: '=', Value: "2"}},
	}}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("DecodeRune (-want +got):\n%s", diff)
	}
	for name, s := range map[string]string{
		"unrestricted":            "7cKJyALVY0_LLVV-AB9oetXjipOdyt0EhOuYrSS42fM9MA==",
		"readonly (no padding)":   "0VIVf0M4jMlGNIwNM3sTpBextINe4_VBGZnBMM82kR49MCZtZXRob2RebGlzdHxtZXRob2ReZ2V0fG1ldGhvZD1zdW1tYXJ5Jm1ldGhvZC9saXN0ZGF0YXN0b3Jl",
		"pay below 10000 msat":    "a0noy2CAu8-s2xSgJuBW09hqB_YsqLkwIDy5qkftGMk9MiZtZXRob2Q9cGF5JnBuYW1lYW1vdW50bXNhdDwxMDAwMA==",
		"listpeers for one peer":  "UcVH186Z5ldtHgscIaNAZ_fdUstCR6OCwiVV7CPx_q09MSZpZF4wMzgxOTRiNWYzMmJkZjBhYTU5OCZtZXRob2Q9bGlzdHBlZXJz",
		"readonly plus some pays": "s9ADu3o6N8KvZLDJ6dnsSnaXKUtlr0_fDEzbI6TYCsw9NSZtZXRob2RebGlzdHxtZXRob2ReZ2V0fG1ldGhvZD1zdW1tYXJ5fG1ldGhvZD1wYXl8bWV0aG9kPXhwYXkmbWV0aG9kL2xpc3RkYXRhc3RvcmUmbWV0aG9kL3BheXxwZXI9MWRheSZtZXRob2QvcGF5fHBuYW1lYW1vdW50X21zYXQ8MTAwMDAwMDAxJm1ldGhvZC94cGF5fHBlcj0xZGF5Jm1ldGhvZC94cGF5fHBuYW1lYW1vdW50X21zYXQ8MTAwMDAwMDAx",
	} {
		if err := cln.CheckReceiveOnly(s); !errors.Is(err, cln.ErrNotReceiveOnly) {
			t.Errorf("%s: CheckReceiveOnly = %v, want ErrNotReceiveOnly", name, err)
		}
	}
}
