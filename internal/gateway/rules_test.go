package gateway

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestTransition(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	all := []SessionStatus{StatusPending, StatusCompleted, StatusExpired, StatusCancelled}
	legal := map[[2]SessionStatus]bool{
		{StatusPending, StatusCompleted}: true,
		{StatusPending, StatusExpired}:   true,
		{StatusPending, StatusCancelled}: true,
		// A settled invoice always wins, even after expiry (SPEC §4).
		{StatusExpired, StatusCompleted}:   true,
		{StatusCancelled, StatusCompleted}: true,
	}
	for _, from := range all {
		for _, to := range all {
			t.Run(fmt.Sprintf("%s→%s", from, to), func(t *testing.T) {
				s := &CheckoutSession{Status: from}
				err := s.Transition(to, now)
				if legal[[2]SessionStatus{from, to}] {
					if err != nil || s.Status != to || !s.UpdatedAt.Equal(now) {
						t.Fatalf("legal move refused: %v %+v", err, s)
					}
					stamp := map[SessionStatus]time.Time{StatusCompleted: s.CompletedAt, StatusExpired: s.ExpiredAt, StatusCancelled: s.CancelledAt}[to]
					if !stamp.Equal(now) {
						t.Errorf("%s time not set", to)
					}
					return
				}
				if !errors.Is(err, ErrIllegalTransition) || s.Status != from {
					t.Fatalf("illegal move: err %v, status %s", err, s.Status)
				}
			})
		}
	}
}

func TestFiatToSats(t *testing.T) {
	tests := []struct {
		amount   Cents
		currency string
		price    string
		want     Sats
	}{
		{5000, "usd", "65000", 76924},    // 76923.07… rounds up
		{6500, "usd", "65000", 100000},   // exact
		{1, "usd", "65000", 16},          // 15.38… → 16
		{5000, "eur", "60000.50", 83333}, // 83332.63… → 83333
		{1000, "jpy", "10000000", 10000}, // jpy has no minor unit
		// ISO 4217 exponents other than 2: 0 (jpy, vnd, xof), 3 (kwd, bhd).
		{500, "jpy", "15000000", 3334},       // ¥500: 3333.33… → 3334
		{1500, "kwd", "30000", 5000},         // KD 1.500, exact
		{1, "kwd", "30000", 4},               // 1 fils = KD 0.001: 3.33… → 4
		{1250, "bhd", "37000.125", 3379},     // BD 1.250: 3378.36… → 3379
		{1999, "brl", "550000", 3635},        // R$ 19.99: 3634.54… → 3635
		{250000, "vnd", "2500000000", 10000}, // ₫250,000, exact
		{10000, "xof", "60000000", 16667},    // 10,000 F CFA: 16666.6… → 16667
		{100_000_000, "usd", "0.01", 0},      // overflow guard below
	}
	for _, tt := range tests[:len(tests)-1] {
		p, err := ParseDecimal(tt.price)
		if err != nil {
			t.Fatal(err)
		}
		got, err := FiatToSats(tt.amount, tt.currency, p)
		if err != nil || got != tt.want {
			t.Errorf("FiatToSats(%d %s @ %s) = %d, %v; want %d", tt.amount, tt.currency, tt.price, got, err, tt.want)
		}
	}
	tiny, _ := ParseDecimal("0.000000001")
	if _, err := FiatToSats(1<<60, "usd", tiny); err == nil {
		t.Error("overflow not reported")
	}
	if _, err := FiatToSats(1, "xyz", tiny); err == nil {
		t.Error("unknown currency accepted")
	}
	if _, err := FiatToSats(1, "usd", Decimal{}); err == nil {
		t.Error("zero price accepted")
	}
}

func TestDecimal(t *testing.T) {
	for _, bad := range []string{"", "abc", "1e5", "1/2", "+5", "1.2.3", "0x10", "1_000"} {
		if _, err := ParseDecimal(bad); err == nil {
			t.Errorf("ParseDecimal(%q) accepted", bad)
		}
	}
	d, err := ParseDecimal("64123.455")
	if err != nil || d.StringFixed(2) != "64123.46" || d.String() != "64123.455" {
		t.Fatalf("%v %s %s", err, d.StringFixed(2), d)
	}
	if got := SatsPerUnit(d).StringFixed(2); got != "1559.49" {
		t.Errorf("SatsPerUnit = %s", got)
	}
	for _, tt := range []struct {
		c    Cents
		cur  string
		want string
	}{{5000, "usd", "50.00"}, {5, "eur", "0.05"}, {-150, "usd", "-1.50"}, {500, "jpy", "500"},
		{1500, "kwd", "1.500"}, {1, "bhd", "0.001"}, {1999, "brl", "19.99"}, {250000, "vnd", "250000"}, {12345, "uyw", "1.2345"}} {
		if got := FormatMinor(tt.c, tt.cur); got != tt.want {
			t.Errorf("FormatMinor(%d, %s) = %s, want %s", tt.c, tt.cur, got, tt.want)
		}
	}
}

func TestValidators(t *testing.T) {
	for s, want := range map[string]bool{
		"buyer@example.com": true, "a.b+c@shop.co.uk": true, "": false, "buyer": false, "buyer@localhost": false,
		"Bob <bob@example.com>": false, "a b@example.com": false, "a@.com": false, "a@example.": false,
	} {
		if got := validEmail(s); got != want {
			t.Errorf("validEmail(%q) = %v", s, got)
		}
	}
	for s, want := range map[string]bool{
		"https://store.com/x?y=1": true, "http://127.0.0.1:8080/ok": true, "/relative": false, "ftp://x.com": false,
		"javascript:alert(1)": false, "https://": false, "https://user:pw@x.com": false, "https://x.com/" + strings.Repeat("a", 2100): false,
	} {
		if got := validHTTPURL(s); got != want {
			t.Errorf("validHTTPURL(%q) = %v", s, got)
		}
	}
	for name, want := range map[string]string{"Café Latte 2": "cafe-latte-2", "  --Hello,  World!-- ": "hello-world", "☕": "product", "ÜBER": "uber"} {
		if got := Slugify(name); got != want {
			t.Errorf("Slugify(%q) = %q, want %q", name, got, want)
		}
	}
	if kind, mode, ok := ParseKeyType("sk_live"); !ok || kind != KeySecret || mode != ModeLive {
		t.Error("sk_live")
	}
	for _, bad := range []string{"sk", "sk_prod", "xk_live", "pk_test_x"} {
		if _, _, ok := ParseKeyType(bad); ok {
			t.Errorf("ParseKeyType(%q) accepted", bad)
		}
	}
}

func TestMetadataRules(t *testing.T) {
	var fe fieldErrors
	got := validateMetadata(&fe, "metadata", map[string]any{"n": jsonNumber("12"), "b": false, "s": "x"})
	if len(fe) != 0 || got["n"] != "12" || got["b"] != "false" || got["s"] != "x" {
		t.Fatalf("%v %v", got, fe)
	}
	fe = nil
	validateMetadata(&fe, "metadata", map[string]any{"": "x", "ok": nil, "arr": []any{1}})
	if len(fe) != 3 {
		t.Fatalf("want 3 field errors, got %v", fe)
	}
}

type jsonNumber string

func (n jsonNumber) String() string { return string(n) }

func TestMerchantValidate(t *testing.T) {
	ok := Merchant{Name: "Shop", Email: "a@b.co", Status: MerchantActive}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	ok.Status = MerchantSuspended
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := Merchant{Name: " ", Email: "nope", RateLimitPerMinute: -1, CheckoutTTL: 4 * time.Minute, Status: "paused"}
	var e *Error
	if err := bad.Validate(); !errors.As(err, &e) || len(e.Fields) != 5 {
		t.Fatalf("%v", err)
	}
}

func TestAPIKeys(t *testing.T) {
	k, secret := NewAPIKey("mer_1", KeySecret, ModeTest, time.Now())
	if !strings.HasPrefix(secret, "sk_test_") || len(secret) != 40 || k.Type() != "sk_test" || k.Last4 != secret[36:] {
		t.Fatalf("%q %+v", secret, k)
	}
	if string(k.Hash) != string(HashKey(secret)) || strings.Contains(string(k.Hash), secret) {
		t.Fatal("hash")
	}
	_, other := NewAPIKey("mer_1", KeySecret, ModeTest, time.Now())
	if other == secret {
		t.Fatal("keys repeat")
	}
}

// TestCheckCurrency: a code in any case is normalised to lower case; one
// that is not ISO 4217, or that no rate source prices, is a field error.
func TestCheckCurrency(t *testing.T) {
	priced := func(c string) bool { return c == "brl" || c == "jpy" || c == "kwd" }
	tests := []struct {
		in, want string
		ok       bool
		msg      string
	}{
		{"brl", "brl", true, ""}, {"BRL", "brl", true, ""}, {"Jpy", "jpy", true, ""}, {" KWD ", "kwd", true, ""},
		{"xyz", "", false, "must be an ISO 4217 currency code"}, {"btc", "", false, "must be an ISO 4217 currency code"},
		{"", "", false, "must be an ISO 4217 currency code"}, {"usd", "", false, "usd is not quoted by any configured rate provider"},
		{"CLF", "", false, "must be an ISO 4217 currency code"}, // a fund, not a currency to price in
	}
	for _, tt := range tests {
		var fe fieldErrors
		got, ok := checkCurrency(&fe, "currency", tt.in, priced)
		if got != tt.want || ok != tt.ok {
			t.Errorf("checkCurrency(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		if !tt.ok && (len(fe) != 1 || fe[0].Field != "currency" || !strings.Contains(fe[0].Message, tt.msg)) {
			t.Errorf("checkCurrency(%q) errors %+v; want one on currency saying %q", tt.in, fe, tt.msg)
		}
	}
}
