package cln_test

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/satsrail/satsrail/internal/wallet/cln"
)

// FuzzDecodeRune decodes any restrictions text as a rune. Beyond not
// panicking: the padded and unpadded spellings give the same answer; a
// rune that decodes, written back as text (values escaped as createrune
// escapes them), decodes to the same rune (round trip); CheckReceiveOnly
// accepts only runes that decode, and every restriction it relies on is
// method=<a receive method>; no error quotes the rune (a credential).
func FuzzDecodeRune(f *testing.F) {
	for _, s := range []string{
		`=7&method=invoice|method=listinvoices&pnamelabel^a\|b\&c\\d&rate=60`,
		`=0&method=invoice|method=listinvoices|method=waitanyinvoice|method=waitinvoice|method=getinfo`,
		`=1-2&method/pay`, `=1&method=pay`, `=1&#comment`, ``, `=`, `=&=x`, `a`, `a=b\`, `a=b&`, "a=b\x00",
		`method=invoice|id^02`, `time<1700000000&per=1sec`, `=1&method{invoice`, "é=1", `a_b=c`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		raw := append(make([]byte, 32), text...)
		padded, unpadded := base64.URLEncoding.EncodeToString(raw), base64.RawURLEncoding.EncodeToString(raw)
		r, err := cln.DecodeRune(padded)
		r2, err2 := cln.DecodeRune(unpadded)
		if (err == nil) != (err2 == nil) || !cmp.Equal(r, r2) {
			t.Fatalf("padded and unpadded disagree on %q: %+v %v / %+v %v", text, r, err, r2, err2)
		}
		recv := cln.CheckReceiveOnly(unpadded)
		if err != nil {
			if strings.Contains(err.Error(), unpadded) {
				t.Fatalf("the error quotes the rune: %v", err)
			}
			if recv == nil {
				t.Fatalf("CheckReceiveOnly accepts %q, which does not decode: %v", text, err)
			}
			return
		}
		again, err := cln.DecodeRune(base64.RawURLEncoding.EncodeToString(append(make([]byte, 32), runeText(r)...)))
		if err != nil || !cmp.Equal(again, r, cmpopts.EquateEmpty()) {
			t.Fatalf("round trip of %q through %q: %+v, %v; want %+v", text, runeText(r), again, err, r)
		}
		if recv == nil && !hasReceiveOnlyRestriction(r) {
			t.Fatalf("CheckReceiveOnly accepts %q: %+v", text, r)
		}
	})
}

// runeText writes r's restrictions as createrune does: the unique id
// first, '&' between restrictions, '|' between alternatives, '\' before a
// '|', '&' or '\' in a value.
func runeText(r cln.Rune) string {
	esc := strings.NewReplacer(`\`, `\\`, `|`, `\|`, `&`, `\&`)
	parts := []string{"=" + esc.Replace(r.UniqueID)}
	for _, restr := range r.Restrictions {
		var alts []string
		for _, a := range restr {
			alts = append(alts, a.Field+string(a.Condition)+esc.Replace(a.Value))
		}
		parts = append(parts, strings.Join(alts, "|"))
	}
	return strings.Join(parts, "&")
}

func hasReceiveOnlyRestriction(r cln.Rune) bool {
	receive := map[string]bool{"invoice": true, "listinvoices": true, "waitanyinvoice": true, "waitinvoice": true,
		"getinfo": true, "wait": true, "decode": true, "decodepay": true}
	for _, restr := range r.Restrictions {
		ok := len(restr) > 0
		for _, a := range restr {
			ok = ok && a.Field == "method" && a.Condition == '=' && receive[a.Value]
		}
		if ok {
			return true
		}
	}
	return false
}

// FuzzParseRESTURL: a URL that parses is https://host:port and nothing
// else, and parsing what it prints gives it again.
func FuzzParseRESTURL(f *testing.F) {
	for _, s := range []string{"https://node.example:3010", "https://[::1]:3010/", "http://h:1", "https://h", "https://u:p@h:1",
		"https://h:1/x", "https://h:1?rune=secret", " https://H:3010 ", "https://h:99999", "https://%zz:1", "https://:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := cln.ParseRESTURL(s)
		if err != nil {
			return
		}
		if u.Scheme != "https" || u.Host == "" || u.Port() == "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("ParseRESTURL(%q) = %q", s, u)
		}
		again, err := cln.ParseRESTURL(u.String())
		if err != nil || again.String() != u.String() {
			t.Fatalf("round trip of %q: %v, %v", u, again, err)
		}
		if _, err := url.Parse(u.String()); err != nil {
			t.Fatal(err)
		}
	})
}
