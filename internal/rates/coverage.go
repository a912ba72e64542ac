package rates

import (
	"sort"
	"strings"

	"github.com/satsrail/satsrail/internal/currency"
)

// currencySet is a provider's coverage: the ISO 4217 currencies among codes
// (space-separated, any case). Codes the ISO table does not know (withdrawn
// ones such as HRK, units such as XAU, tokens such as USDT) are left out, so a
// provider never offers what satsrail cannot price.
type currencySet map[string]bool

// leftOut lists the codes newCurrencySet left out, for the test that keeps
// the providers' lists to ISO codes (a typo would otherwise go unseen).
var leftOut []string

func newCurrencySet(codes string) currencySet {
	s := currencySet{}
	for _, c := range strings.Fields(codes) {
		if code, ok := currency.Normalize(c); ok {
			s[code] = true
		} else {
			leftOut = append(leftOut, c)
		}
	}
	return s
}

// sorted lists the set's codes.
func (s currencySet) sorted() []string {
	out := make([]string, 0, len(s))
	for c := range s {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}
