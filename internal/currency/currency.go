package currency

import "strings"

// Currency is one ISO 4217 currency.
type Currency struct {
	Code     string // lower case, "usd"
	Name     string // ISO's English name, "US Dollar"
	Number   int    // ISO numeric code, 840
	Exponent int    // decimal places of the minor unit: 0, 2, 3 (4 for UYW)
}

// Lookup returns the currency with the lower-case code.
func Lookup(code string) (Currency, bool) {
	c, ok := table[code]
	return c, ok
}

// Exponent reports the minor-unit exponent of the lower-case code: 2 for
// "usd", 0 for "jpy", 3 for "kwd".
func Exponent(code string) (int, bool) {
	c, ok := table[code]
	return c.Exponent, ok
}

// Known reports whether code (lower case) is an active ISO 4217 currency.
func Known(code string) bool {
	_, ok := table[code]
	return ok
}

// Normalize returns code trimmed and in lower case, and whether that is an
// active ISO 4217 currency: "BRL", " brl " and "Brl" all give "brl".
func Normalize(code string) (string, bool) {
	c := strings.ToLower(strings.TrimSpace(code))
	return c, Known(c)
}

// Codes returns every currency code, lower case and sorted.
func Codes() []string { return append([]string(nil), codes...) }
