package present

import "testing"

func TestFormats(t *testing.T) {
	for got, want := range map[string]string{
		GroupDigits(0): "0", GroupDigits(999): "999", GroupDigits(1000): "1,000", GroupDigits(-1234567): "-1,234,567",
		Sats(1): "1 sat", Sats(21000000): "21,000,000 sats",
		Money(5000, "usd"): "$50.00", Money(500, "jpy"): "¥500", Money(5000, "chf"): "CHF 50.00",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
