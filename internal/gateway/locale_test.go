package gateway

import (
	"errors"
	"testing"
)

func TestCanonicalLocale(t *testing.T) {
	for in, want := range map[string]string{
		"en": "en", "EN": "en", "pt-BR": "pt-BR", "pt-br": "pt-BR", "pt_BR": "pt-BR", "pt": "pt-BR", "pt-PT": "pt-BR",
		"es-MX": "es", "es-419": "es", "zh-Hans": "zh-Hans", "zh-hans-cn": "zh-Hans", "zh-CN": "zh-Hans", "zh": "zh-Hans",
		"ar-EG": "ar", "sw-KE": "sw", "id": "id", "in": "id", "ja-JP": "ja", "en-GB": "en",
		// Refused: not a tag, not a language the page speaks, Traditional Chinese.
		"": "", "xx": "", "nb": "", "english": "", "e": "", "zh-TW": "", "zh-Hant": "", "zh-HK": "", "pt--BR": "",
		"en-": "", "1en": "", "en-toolongsubtag": "", "fr-CA-<script>": "",
	} {
		got, ok := CanonicalLocale(in)
		if got != want || ok != (want != "") {
			t.Errorf("CanonicalLocale(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestSessionLocaleField(t *testing.T) {
	amount := int64(500)
	succ, canc := "https://s.example/ok", "https://s.example/no"
	priced := func(string) bool { return true }
	for in, want := range map[string]string{"": "", "ja": "ja", "PT-pt": "pt-BR"} {
		s, err := buildSession(CheckoutSessionParams{AmountCents: &amount, SuccessURL: &succ, CancelURL: &canc, Locale: &in}, 1<<40, priced, nil)
		if err != nil || s.Locale != want {
			t.Errorf("locale %q: got %q, %v; want %q", in, s.Locale, err, want)
		}
	}
	bad := "klingon"
	_, err := buildSession(CheckoutSessionParams{AmountCents: &amount, SuccessURL: &succ, CancelURL: &canc, Locale: &bad}, 1<<40, priced, nil)
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeValidation || len(e.Fields) != 1 || e.Fields[0].Field != "locale" {
		t.Fatalf("unknown locale: %v", err)
	}
}
