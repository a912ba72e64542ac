package i18n

import (
	"encoding/json"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// TestCatalogues: one catalogue per language of gateway.Locales() and no
// other; each has exactly English's keys, no empty message, and the same
// {placeholders} as English in each message (a translation that drops
// {merchant} or invents {shop} fails here, not on a customer's screen).
func TestCatalogues(t *testing.T) {
	files, err := fs.Glob(catalogueFS, "locales/*.json")
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, f := range files {
		tags = append(tags, strings.TrimSuffix(strings.TrimPrefix(f, "locales/"), ".json"))
	}
	want := gateway.Locales()
	slices.Sort(tags)
	slices.Sort(want)
	if !slices.Equal(tags, want) {
		t.Fatalf("catalogues %v, gateway.Locales() %v", tags, want)
	}
	if len(want) < 13 {
		t.Fatalf("%d languages, the issue asks for at least 13", len(want))
	}
	en := read(t, "en")
	for _, tag := range want {
		msgs := read(t, tag)
		for k, v := range en {
			got, ok := msgs[k]
			switch {
			case !ok:
				t.Errorf("%s lacks %q", tag, k)
			case strings.TrimSpace(got) == "":
				t.Errorf("%s: %q is empty", tag, k)
			case k == "datetime" || k == "money":
				// Patterns: their own tokens, in the language's order.
				for _, p := range placeholders(got) {
					if !slices.Contains(patternTokens[k], p) {
						t.Errorf("%s: %q has %s, not one of %v", tag, k, p, patternTokens[k])
					}
				}
			case !slices.Equal(placeholders(got), placeholders(v)):
				t.Errorf("%s: %q has placeholders %v, English has %v", tag, k, placeholders(got), placeholders(v))
			}
		}
		for k := range msgs {
			if _, ok := en[k]; !ok {
				t.Errorf("%s has %q, which English lacks", tag, k)
			}
		}
		if tag != "en" && msgs["waiting"] == en["waiting"] {
			t.Errorf("%s: %q is not translated", tag, "waiting")
		}
	}
}

// TestKeyParityCheckCanFail: the comparison above does see a missing and an
// extra key (the control for TestCatalogues).
func TestKeyParityCheckCanFail(t *testing.T) {
	en := read(t, "en")
	broken := map[string]string{}
	for k, v := range en {
		broken[k] = v
	}
	delete(broken, "copy_invoice")
	broken["extra"] = "x"
	var missing, extra []string
	for k := range en {
		if _, ok := broken[k]; !ok {
			missing = append(missing, k)
		}
	}
	for k := range broken {
		if _, ok := en[k]; !ok {
			extra = append(extra, k)
		}
	}
	if !slices.Equal(missing, []string{"copy_invoice"}) || !slices.Equal(extra, []string{"extra"}) {
		t.Fatalf("missing %v extra %v", missing, extra)
	}
}

func read(t *testing.T, tag string) map[string]string {
	t.Helper()
	b, err := catalogueFS.ReadFile("locales/" + tag + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", tag, err)
	}
	return m
}

var patternTokens = map[string][]string{
	"datetime": {"{d}", "{m}", "{month}", "{yyyy}", "{HH}", "{mm}"},
	"money":    {"{symbol}", "{amount}"},
}

var rePlaceholder = regexp.MustCompile(`\{[a-zA-Z]+\}`)

func placeholders(s string) []string {
	p := rePlaceholder.FindAllString(s, -1)
	slices.Sort(p)
	return p
}

// TestAccept: Accept-Language with q-values, region and script fallback,
// and English for what is not spoken here.
func TestAccept(t *testing.T) {
	for header, want := range map[string]string{
		"":                                   "en",
		"*":                                  "en",
		"de":                                 "de",
		"de-CH,de;q=0.9":                     "de",
		"pt-PT":                              "pt-BR",
		"pt":                                 "pt-BR",
		"pt-BR,pt;q=0.9,en;q=0.8":            "pt-BR",
		"zh-CN":                              "zh-Hans",
		"zh-Hans":                            "zh-Hans",
		"zh-SG,zh;q=0.9":                     "zh-Hans",
		"zh-TW":                              "en", // Traditional Chinese is not spoken here
		"zh-TW,ja;q=0.5":                     "ja",
		"fr-CA;q=0.9,de;q=1":                 "de", // q-values, not order
		"en;q=0.1,es;q=0.9":                  "es",
		"xx,yy;q=0.5":                        "en",
		"nb,da;q=0.9,sw;q=0.2":               "sw",
		"ar-EG,ar;q=0.9":                     "ar",
		"hi-IN":                              "hi",
		"in":                                 "id", // the deprecated code of Indonesian
		"id-ID,id;q=0.9,en-US;q=0.8":         "id",
		"es-419,es;q=0.9":                    "es",
		"ja-JP":                              "ja",
		"nl-BE":                              "nl",
		"it-CH":                              "it",
		"sw-KE":                              "sw",
		"garbage;;q=x":                       "en",
		strings.Repeat("xx-YY,", 200) + "fr": "en", // cut at 512 bytes: the fr is never read
	} {
		if got := Accept(header).Tag; got != want {
			t.Errorf("Accept(%.40q) = %s, want %s", header, got, want)
		}
	}
}

// TestChoose: ?locale= beats the session's locale, which beats the browser;
// an unknown ?locale= is English.
func TestChoose(t *testing.T) {
	for _, c := range []struct{ query, session, accept, want string }{
		{"", "", "fr", "fr"},
		{"", "ja", "fr", "ja"},
		{"ar", "ja", "fr", "ar"},
		{"pt-pt", "", "fr", "pt-BR"},
		{"klingon", "ja", "fr", "en"},
		{"zh-TW", "", "fr", "en"},
		{"", "", "", "en"},
	} {
		if got := Choose(c.query, c.session, c.accept).Tag; got != c.want {
			t.Errorf("Choose(%q, %q, %q) = %s, want %s", c.query, c.session, c.accept, got, c.want)
		}
	}
}

// TestMatchAgreesWithGateway: the API's check of a session locale
// (gateway.CanonicalLocale, std only) and the page's matching agree.
func TestMatchAgreesWithGateway(t *testing.T) {
	for _, in := range []string{"en", "EN", "en-GB", "es-MX", "es-419", "pt", "pt-PT", "pt-BR", "pt_br", "fr-CA", "de-AT", "it-CH",
		"nl-BE", "ja-JP", "ja_JP", "zh", "zh-CN", "zh_Hant_TW", "zh-Hans", "zh-Hans-SG", "zh-TW", "zh-Hant", "zh-HK", "hi-IN", "sw-TZ", "ar", "ar-SA",
		"id", "in", "xx", "nb", "tlh", "e", "", "en-", "1234", "sr-Latn"} {
		g, gok := gateway.CanonicalLocale(in)
		l, lok := Match(in)
		if gok != lok || gok && g != l.Tag {
			t.Errorf("%q: gateway says %q %v, the page %q %v", in, g, gok, l.Tag, lok)
		}
	}
}

func TestMoney(t *testing.T) {
	for _, c := range []struct {
		tag      string
		minor    gateway.Cents
		currency string
		want     string
	}{
		{"en", 5000, "usd", "$50.00"},
		{"en", 123456789, "usd", "$1,234,567.89"},
		{"en", 500, "jpy", "¥500"},
		{"en", 5000, "chf", "CHF\u00a050.00"}, // a letter symbol keeps its distance
		{"de", 123456789, "eur", "1.234.567,89\u00a0€"},
		{"fr", 123456789, "eur", "1\u00a0234\u00a0567,89\u00a0€"},
		{"es", 5000, "usd", "50,00\u00a0US$"},
		{"pt-BR", 5000, "usd", "US$\u00a050,00"},
		{"pt-BR", 123456, "brl", "R$\u00a01.234,56"},
		{"nl", 5000, "eur", "€\u00a050,00"},
		{"ja", 500, "jpy", "￥500"},
		{"zh-Hans", 5000, "usd", "US$50.00"},
		{"hi", 12345678900, "inr", "₹12,34,56,789.00"},
		{"ar", 5000, "usd", "٥٠٫٠٠\u00a0\u2068US$\u2069"}, // isolated: not shown as "$US"
		{"id", 5000, "usd", "US$50,00"},
		{"sw", 5000, "usd", "US$\u00a050.00"},
		// Any ISO currency, exponent from the amount's minor units: KWD has 3
		// decimals, exact from an integer.
		{"en", 1234567, "kwd", "KWD\u00a01,234.567"},
		{"de", 1, "kwd", "0,001\u00a0KWD"},
		{"en", 5, "usd", "$0.05"},
		{"en", -5000, "usd", "$-50.00"},
	} {
		if got := Get(c.tag).Money(c.minor, c.currency); got != c.want {
			t.Errorf("%s Money(%d, %s) = %q, want %q", c.tag, c.minor, c.currency, got, c.want)
		}
	}
}

func TestNumbersAndTimes(t *testing.T) {
	at := time.Date(2026, 12, 6, 9, 5, 0, 0, time.FixedZone("X", 3600))
	for _, c := range []struct{ tag, sats, rate, when, left string }{
		{"en", "76,924 sats", "65,000.00", "6 December 2026, 08:05 UTC", "14:59"},
		{"de", "76.924 sats", "65.000,00", "6. Dezember 2026, 08:05 UTC", "14:59"},
		{"fr", "76\u00a0924 sats", "65\u00a0000,00", "6 décembre 2026 à 08:05 UTC", "14:59"},
		{"ja", "76,924 sats", "65,000.00", "2026年12月6日 08:05 UTC", "14:59"},
		{"hi", "76,924 sats", "65,000.00", "6 दिसंबर 2026, 08:05 UTC", "14:59"},
		{"ar", "٧٦٬٩٢٤ ساتوشي", "٦٥٬٠٠٠٫٠٠", "٦ ديسمبر ٢٠٢٦، ٠٨:٠٥ UTC", "١٤:٥٩"},
		{"sw", "sats 76,924", "65,000.00", "6 Desemba 2026, 08:05 UTC", "14:59"},
	} {
		l := Get(c.tag)
		if got := l.Sats(76924); got != c.sats {
			t.Errorf("%s Sats = %q, want %q", c.tag, got, c.sats)
		}
		if got := l.Rate("65000.00"); got != c.rate {
			t.Errorf("%s Rate = %q, want %q", c.tag, got, c.rate)
		}
		if got := l.DateTime(at); got != c.when {
			t.Errorf("%s DateTime = %q, want %q", c.tag, got, c.when)
		}
		if got := l.Digits("14:59"); got != c.left {
			t.Errorf("%s Digits = %q, want %q", c.tag, got, c.left)
		}
	}
	if got := Get("ar").DigitSet(); got != "٠١٢٣٤٥٦٧٨٩" {
		t.Errorf("ar digits %q", got)
	}
}

func TestMessages(t *testing.T) {
	en := Default()
	if got := en.T("cancel_return", "merchant", "Alice"); got != "Cancel and return to Alice" {
		t.Errorf("T = %q", got)
	}
	if got := Get("ar").T("return_to", "merchant", "Alice"); got != "العودة إلى \u2068Alice\u2069" {
		t.Errorf("ar T = %q: the shop's name is not isolated", got)
	}
	if got := en.Split("expires_in", "time"); !slices.Equal(got, []string{"expires in ", ""}) {
		t.Errorf("Split = %q", got)
	}
	if got := Get("zh-Hans").Split("expires_in", "time"); !slices.Equal(got, []string{"", " 后过期"}) {
		t.Errorf("zh Split = %q", got)
	}
	if got := en.T("no_such_key"); got != "" {
		t.Errorf("unknown key gave %q", got)
	}
	if Get("ar").Dir != "rtl" || Get("en").Dir != "ltr" || Get("xx") != nil {
		t.Error("directions or Get wrong")
	}
	for _, l := range All() {
		if l.Name == "" {
			t.Errorf("%s has no name", l.Tag)
		}
	}
}
