package i18n

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/currency"
	"golang.org/x/text/number"

	"github.com/satsrail/satsrail/internal/gateway"
)

// Number writes n grouped for the locale: 1,234,567 (en), 1.234.567 (de),
// 12,34,567 (hi), ١٬٢٣٤٬٥٦٧ (ar).
func (l *Locale) Number(n int64) string { return l.printer.Sprint(number.Decimal(n)) }

// Sats writes an amount of sats with its unit: "76,924 sats".
func (l *Locale) Sats(n int64) string {
	return strings.Replace(l.T("sats"), "{n}", l.Number(n), 1) // a number needs no bidi isolate
}

// Digits writes the ASCII digits of s in the locale's digits.
func (l *Locale) Digits(s string) string {
	if l.digits[0] == "0" {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteString(l.digits[r-'0'])
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// DigitSet is the locale's ten digits, for the page's script (the
// countdown writes its numbers with them).
func (l *Locale) DigitSet() string { return strings.Join(l.digits[:], "") }

// Money writes an amount given in the currency's minor units (an integer,
// exact end to end) for the locale: "$50.00" (en), "50,00 $" (de),
// "US$ 50,00" (pt-BR), "¥500" (ja), "٥٠٫٠٠ US$" (ar). The exponent is the
// gateway's ISO 4217 one when it knows the currency, else x/text's; the
// symbol is x/text's (CLDR) for the locale, its position the catalogue's.
func (l *Locale) Money(minor gateway.Cents, code string) string {
	lower := strings.ToLower(code)
	unit, err := currency.ParseISO(strings.ToUpper(code))
	scale, known := gateway.CurrencyExponent(lower)
	if !known {
		scale = 2
		if err == nil {
			scale, _ = currency.Standard.Rounding(unit)
		}
	}
	symbol := strings.ToUpper(code)
	if err == nil {
		symbol = l.printer.Sprint(currency.Symbol(unit))
	}
	neg := minor < 0
	if neg {
		minor = -minor
	}
	div := gateway.Cents(1)
	for range scale {
		div *= 10
	}
	amount := l.Number(int64(minor / div))
	if scale > 0 {
		frac := strconv.FormatInt(int64(minor%div), 10)
		amount += l.decimal + l.Digits(strings.Repeat("0", scale-len(frac))+frac)
	}
	if neg {
		amount = "-" + amount
	}
	if l.Dir == "rtl" {
		// The symbol keeps its own direction: "US$", not "$US", beside
		// Arabic digits (without the isolate "$" takes the paragraph's).
		symbol = "\u2068" + symbol + "\u2069"
	}
	return pattern(l.T("money"), symbol, amount)
}

// pattern fills a money pattern such as "{symbol}{amount}" or "{amount}
// {symbol}". Its space does not break; a symbol that ends (or starts) in a
// letter gets one against the digits even where the pattern has none, as
// CLDR's currency spacing says: "CHF 50.00", not "CHF50.00".
func pattern(p, symbol, amount string) string {
	const nbsp = "\u00a0"
	p = strings.ReplaceAll(p, " ", nbsp)
	if strings.Contains(p, "{symbol}{amount}") {
		if r, _ := utf8.DecodeLastRuneInString(symbol); unicode.IsLetter(r) {
			symbol += nbsp
		}
	} else if strings.Contains(p, "{amount}{symbol}") {
		if r, _ := utf8.DecodeRuneInString(symbol); unicode.IsLetter(r) {
			symbol = nbsp + symbol
		}
	}
	return strings.NewReplacer("{symbol}", symbol, "{amount}", amount).Replace(p)
}

// Rate writes an exchange rate kept as a decimal string ("65000.00") with
// the locale's grouping, decimal mark and digits, keeping every digit.
func (l *Locale) Rate(dec string) string {
	whole, frac, _ := strings.Cut(dec, ".")
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return dec
	}
	s := l.Number(n)
	if frac != "" {
		s += l.decimal + l.Digits(frac)
	}
	return s
}

// DateTime writes t in UTC with the catalogue's pattern, month names and
// the locale's digits: "6 December 2026, 14:32 UTC", "2026年12月6日 14:32 UTC".
func (l *Locale) DateTime(t time.Time) string {
	t = t.UTC()
	two := func(n int) string { return l.Digits(strconv.Itoa(n/10) + strconv.Itoa(n%10)) }
	return strings.NewReplacer(
		"{d}", l.Digits(strconv.Itoa(t.Day())),
		"{m}", l.Digits(strconv.Itoa(int(t.Month()))),
		"{month}", l.months[t.Month()-1],
		"{yyyy}", l.Digits(strconv.Itoa(t.Year())),
		"{HH}", two(t.Hour()),
		"{mm}", two(t.Minute()),
	).Replace(l.T("datetime"))
}
