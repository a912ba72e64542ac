package present

import "testing"

func TestFormats(t *testing.T) {
	for got, want := range map[string]string{
		GroupDigits(0): "0", GroupDigits(999): "999", GroupDigits(1000): "1,000", GroupDigits(-1234567): "-1,234,567",
		Sats(1): "1 sat", Sats(21000000): "21,000,000 sats",
		Money(5000, "usd"): "$50.00", Money(500, "jpy"): "¥500", Money(5000, "chf"): "CHF 50.00",
		// Every ISO 4217 exponent: 3 (kwd), 0 (xof, vnd), 2 (brl).
		Money(1500, "kwd"): "KWD 1.500", Money(2500, "xof"): "XOF 2500", Money(1999, "brl"): "BRL 19.99", Money(250000, "vnd"): "VND 250000",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
