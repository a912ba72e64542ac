package currency_test

import (
	"encoding/xml"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/satsrail/satsrail/internal/currency"
)

// isoList reads list-one.xml on its own (not through gen), so a generator bug
// cannot hide behind itself.
func isoList(t *testing.T) (entries []struct {
	Code, MinorUnit string
	Fund            bool
}) {
	t.Helper()
	src, err := os.ReadFile("list-one.xml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Entries []struct {
			Name struct {
				IsFund string `xml:"IsFund,attr"`
			} `xml:"CcyNm"`
			Code  string `xml:"Ccy"`
			Minor string `xml:"CcyMnrUnts"`
		} `xml:"CcyTbl>CcyNtry"`
	}
	if err := xml.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	for _, e := range doc.Entries {
		entries = append(entries, struct {
			Code, MinorUnit string
			Fund            bool
		}{e.Code, e.Minor, e.Name.IsFund == "true"})
	}
	if len(entries) < 250 {
		t.Fatalf("list-one.xml has %d entries; the ISO list has about 280", len(entries))
	}
	return entries
}

// TestTableMatchesISOList checks every entry of the ISO list against the
// table: a currency with a numeric minor unit that is not a fund is in the
// table with exactly that exponent; every other code is absent.
func TestTableMatchesISOList(t *testing.T) {
	want := map[string]int{}
	for _, e := range isoList(t) {
		if e.Code == "" {
			continue // "No universal currency" (Antarctica, Palestine)
		}
		code := strings.ToLower(e.Code)
		exp, err := strconv.Atoi(e.MinorUnit)
		if e.Fund || err != nil {
			if currency.Known(code) {
				t.Errorf("%s (fund %v, minor unit %q) is in the table", e.Code, e.Fund, e.MinorUnit)
			}
			continue
		}
		want[code] = exp
	}
	for code, exp := range want {
		got, ok := currency.Exponent(code)
		if !ok || got != exp {
			t.Errorf("Exponent(%q) = %d, %v; the ISO list says %d", code, got, ok, exp)
		}
	}
	if got := len(currency.Codes()); got != len(want) {
		t.Errorf("the table has %d currencies, the ISO list %d", got, len(want))
	}
	if !slices.IsSorted(currency.Codes()) {
		t.Error("Codes() is not sorted")
	}
}

// TestExponents pins the exponents payments depend on, as ISO 4217 states
// them.
func TestExponents(t *testing.T) {
	tests := []struct {
		code string
		exp  int
		ok   bool
	}{
		{"usd", 2, true}, {"eur", 2, true}, {"brl", 2, true}, {"ars", 2, true}, {"ngn", 2, true},
		{"jpy", 0, true}, {"krw", 0, true}, {"vnd", 0, true}, {"clp", 0, true}, {"isk", 0, true},
		{"xof", 0, true}, {"xaf", 0, true}, {"pyg", 0, true}, {"ugx", 0, true},
		{"kwd", 3, true}, {"bhd", 3, true}, {"omr", 3, true}, {"jod", 3, true}, {"tnd", 3, true},
		{"iqd", 3, true}, {"lyd", 3, true},
		{"uyw", 4, true}, // Unidad Previsional, the one non-fund with 4
		// Not currencies a merchant prices in: funds, metals, units, test codes.
		{"clf", 0, false}, {"bov", 0, false}, {"usn", 0, false}, {"xau", 0, false},
		{"xdr", 0, false}, {"xts", 0, false}, {"xxx", 0, false},
		// Withdrawn or never ISO.
		{"hrk", 0, false}, {"vef", 0, false}, {"btc", 0, false}, {"sat", 0, false},
		// Upper case is not a key; Normalize first.
		{"USD", 0, false}, {"", 0, false},
	}
	for _, tt := range tests {
		got, ok := currency.Exponent(tt.code)
		if got != tt.exp || ok != tt.ok {
			t.Errorf("Exponent(%q) = %d, %v; want %d, %v", tt.code, got, ok, tt.exp, tt.ok)
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"brl", "brl", true}, {"BRL", "brl", true}, {"Brl", "brl", true}, {" kwd ", "kwd", true},
		{"JPY", "jpy", true}, {"xyz", "xyz", false}, {"BTC", "btc", false}, {"", "", false}, {"usdd", "usdd", false},
	}
	for _, tt := range tests {
		got, ok := currency.Normalize(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Normalize(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestLookup(t *testing.T) {
	c, ok := currency.Lookup("kwd")
	if !ok || c.Name != "Kuwaiti Dinar" || c.Number != 414 || c.Exponent != 3 || c.Code != "kwd" {
		t.Errorf("Lookup(kwd) = %+v, %v", c, ok)
	}
	if currency.Published == "" {
		t.Error("Published is empty")
	}
}
