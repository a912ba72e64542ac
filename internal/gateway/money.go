package gateway

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"

	"github.com/satsrail/satsrail/internal/currency"
)

// Cents is an amount of fiat in the currency's minor unit, the ISO 4217
// exponent of the currency deciding what that is: cents for usd (2 decimals),
// yen for jpy (0), fils for kwd (3). 500 jpy is ¥500; 1500 kwd is KD 1.500.
type Cents int64

// Sats is an amount of bitcoin in satoshis.
type Sats int64

// MilliSat is an amount of bitcoin in thousandths of a satoshi, as Lightning
// wallets report it.
type MilliSat int64

// Sats rounds a msat amount down to whole satoshis.
func (m MilliSat) Sats() Sats { return Sats(m / 1000) }

// Currencies returns every fiat currency satsrail knows — the active ISO 4217
// currencies — lower case and sorted. Which of them can be priced depends on
// the RateSource.
func Currencies() []string { return currency.Codes() }

// CurrencyExponent reports the minor-unit exponent of a known lower-case
// currency code (ISO 4217: 2 for usd, 0 for jpy, 3 for kwd).
func CurrencyExponent(code string) (int, bool) { return currency.Exponent(code) }

// FormatMinor renders an amount in minor units as a decimal string in major
// units: FormatMinor(5000, "usd") == "50.00", FormatMinor(500, "jpy") == "500".
func FormatMinor(amount Cents, code string) string {
	exp, _ := currency.Exponent(code)
	if exp == 0 {
		return fmt.Sprintf("%d", amount)
	}
	neg := amount < 0
	if neg {
		amount = -amount
	}
	div := Cents(1)
	for range exp {
		div *= 10
	}
	s := fmt.Sprintf("%d.%0*d", amount/div, exp, amount%div)
	if neg {
		s = "-" + s
	}
	return s
}

// Decimal is an exact decimal number kept as its canonical string, for prices
// and rates: never a float in storage or JSON.
type Decimal struct{ r *big.Rat }

var decimalRE = regexp.MustCompile(`^-?[0-9]{1,30}(\.[0-9]{1,30})?$`)

// ParseDecimal parses a plain decimal string such as "64123.45". It refuses
// exponents, signs other than a leading '-', and anything that is not a number.
func ParseDecimal(s string) (Decimal, error) {
	t := strings.TrimSpace(s)
	if !decimalRE.MatchString(t) {
		return Decimal{}, fmt.Errorf("invalid decimal %q", s)
	}
	r, ok := new(big.Rat).SetString(t)
	if !ok {
		return Decimal{}, fmt.Errorf("invalid decimal %q", s)
	}
	return Decimal{r: r}, nil
}

// DecimalFromRat wraps a big.Rat (which is copied).
func DecimalFromRat(r *big.Rat) Decimal { return Decimal{r: new(big.Rat).Set(r)} }

// IsZero reports whether d is zero or unset.
func (d Decimal) IsZero() bool { return d.r == nil || d.r.Sign() == 0 }

// Sign returns -1, 0 or +1.
func (d Decimal) Sign() int {
	if d.r == nil {
		return 0
	}
	return d.r.Sign()
}

// Rat returns a copy of d as a big.Rat.
func (d Decimal) Rat() *big.Rat {
	if d.r == nil {
		return new(big.Rat)
	}
	return new(big.Rat).Set(d.r)
}

// StringFixed renders d rounded half-up to places decimals.
func (d Decimal) StringFixed(places int) string {
	if d.r == nil {
		return new(big.Rat).FloatString(places)
	}
	return d.r.FloatString(places)
}

// String renders d with up to 8 decimals and no trailing zeros.
func (d Decimal) String() string {
	s := d.StringFixed(8)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// Cmp compares d and e.
func (d Decimal) Cmp(e Decimal) int { return d.Rat().Cmp(e.Rat()) }

// SatsPerUnit returns how many satoshis one major unit of fiat buys at a BTC
// price of price (1e8 / price).
func SatsPerUnit(price Decimal) Decimal {
	if price.Sign() <= 0 {
		return Decimal{}
	}
	return Decimal{r: new(big.Rat).Quo(big.NewRat(100_000_000, 1), price.r)}
}

// FiatToSats converts amount (minor units of currency) to satoshis at a BTC
// price of price (major units per BTC), rounding up to a whole satoshi so the
// merchant never receives less than asked.
func FiatToSats(amount Cents, code string, price Decimal) (Sats, error) {
	exp, ok := currency.Exponent(code)
	if !ok {
		return 0, fmt.Errorf("unknown currency %q", code)
	}
	if price.Sign() <= 0 {
		return 0, fmt.Errorf("price must be positive")
	}
	// sats = amount / 10^exp * 1e8 / price
	num := new(big.Int).Mul(big.NewInt(int64(amount)), big.NewInt(100_000_000))
	num.Mul(num, price.r.Denom())
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil)
	den.Mul(den, price.r.Num())
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if m.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() {
		return 0, fmt.Errorf("amount too large")
	}
	return Sats(q.Int64()), nil
}
