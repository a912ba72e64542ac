// Package present formats values for people, the same way on every page of
// the dashboard (which is in English): money with its symbol, grouped
// digits, sats with their unit, times in UTC. std-only. The pages customers
// see format for their language with internal/i18n.
package present

import (
	"strconv"
	"strings"

	"github.com/satsrail/satsrail/internal/gateway"
)

// Money formats minor units for people: $50.00, €5.00, ¥500, CHF 50.00.
func Money(amount gateway.Cents, currency string) string {
	v := gateway.FormatMinor(amount, currency)
	switch currency {
	case "usd":
		return "$" + v
	case "eur":
		return "€" + v
	case "gbp":
		return "£" + v
	case "jpy":
		return "¥" + v
	case "cad":
		return "CA$" + v
	case "aud":
		return "A$" + v
	}
	return strings.ToUpper(currency) + " " + v
}

// GroupDigits writes 1234567 as 1,234,567.
func GroupDigits(n int64) string {
	if n < 0 {
		return "-" + GroupDigits(-n)
	}
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Sats writes an amount of sats grouped and with its unit: "12,345 sats".
func Sats(n int64) string {
	if n == 1 || n == -1 {
		return GroupDigits(n) + " sat"
	}
	return GroupDigits(n) + " sats"
}
