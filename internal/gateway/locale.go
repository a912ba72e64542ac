package gateway

import "strings"

// locales are the languages the hosted checkout speaks, as BCP 47 tags,
// English first (the fallback). internal/i18n holds one message catalogue
// for each, and its tests fail when the two lists differ.
var locales = []string{"en", "es", "pt-BR", "fr", "de", "it", "nl", "ja", "zh-Hans", "hi", "sw", "ar", "id"}

// Locales returns the tags of the languages the hosted checkout speaks.
func Locales() []string { return append([]string(nil), locales...) }

// CanonicalLocale maps what a merchant sends as a session's locale to one
// of Locales: the tag itself in any case ("PT-br", "pt_BR"), or a tag of a
// language the page speaks in another region or script it can stand in for
// ("es-MX" → "es", "pt-PT" and "pt" → "pt-BR", "zh-CN" → "zh-Hans"). It
// refuses what is not a well-formed tag and languages the page does not
// speak, Traditional Chinese included. It agrees with the hosted page's
// matching of Accept-Language (internal/i18n tests that).
func CanonicalLocale(s string) (string, bool) {
	s = strings.ReplaceAll(s, "_", "-")
	if len(s) == 0 || len(s) > 35 {
		return "", false
	}
	parts := strings.Split(s, "-")
	for i, p := range parts {
		if !tagPart(p, i == 0) {
			return "", false
		}
	}
	for _, l := range locales {
		if strings.EqualFold(l, s) {
			return l, true
		}
	}
	lang := strings.ToLower(parts[0])
	switch lang {
	case "in": // the deprecated code of Indonesian
		lang = "id"
	case "zh":
		for _, p := range parts[1:] {
			switch strings.ToLower(p) {
			case "hant", "tw", "hk", "mo":
				return "", false
			}
		}
		return "zh-Hans", true
	}
	for _, l := range locales {
		if l == lang || strings.HasPrefix(l, lang+"-") {
			return l, true
		}
	}
	return "", false
}

// tagPart reports whether p is a well-formed BCP 47 subtag: the language
// (2 or 3 letters) first, then 1 to 8 letters or digits each.
func tagPart(p string, first bool) bool {
	if first && (len(p) < 2 || len(p) > 3) || len(p) < 1 || len(p) > 8 {
		return false
	}
	for _, r := range p {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !letter && (first || r < '0' || r > '9') {
			return false
		}
	}
	return true
}
