package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"

	"github.com/satsrail/satsrail/internal/gateway"
)

//go:embed locales/*.json
var catalogueFS embed.FS

// Locale is one language the pages speak, with its messages and formats.
type Locale struct {
	// Tag is the canonical BCP 47 tag, one of gateway.Locales(): "pt-BR".
	Tag string
	// Name is the language's name in itself: "Português (Brasil)".
	Name string
	// Dir is the writing direction for <html dir>: "ltr" or "rtl".
	Dir string

	lang    language.Tag
	msgs    map[string]string
	printer *message.Printer
	months  []string
	digits  [10]string // the locale's digits 0-9 (Arabic-Indic for ar)
	decimal string     // the decimal mark
}

// names are the languages' own names, for the language picker.
var names = map[string]string{
	"en": "English", "es": "Español", "pt-BR": "Português (Brasil)", "fr": "Français", "de": "Deutsch",
	"it": "Italiano", "nl": "Nederlands", "ja": "日本語", "zh-Hans": "简体中文", "hi": "हिन्दी",
	"sw": "Kiswahili", "ar": "العربية", "id": "Bahasa Indonesia",
}

// rtl are the languages written right to left.
var rtl = map[string]bool{"ar": true}

var (
	all     []*Locale
	byTag   map[string]*Locale
	matcher language.Matcher
)

func init() {
	var err error
	all, err = load()
	if err != nil {
		panic(err) // the catalogues are embedded: a broken one is a build error, caught by the tests
	}
	byTag = map[string]*Locale{}
	tags := make([]language.Tag, len(all))
	for i, l := range all {
		byTag[l.Tag] = l
		tags[i] = l.lang
	}
	matcher = language.NewMatcher(tags)
}

// load reads the catalogue of each of gateway.Locales().
func load() ([]*Locale, error) {
	var out []*Locale
	for _, tag := range gateway.Locales() {
		b, err := catalogueFS.ReadFile("locales/" + tag + ".json")
		if err != nil {
			return nil, fmt.Errorf("i18n: no catalogue for %s: %w", tag, err)
		}
		l := &Locale{Tag: tag, Name: names[tag], Dir: "ltr", lang: language.MustParse(tag)}
		if rtl[tag] {
			l.Dir = "rtl"
		}
		if err := json.Unmarshal(b, &l.msgs); err != nil {
			return nil, fmt.Errorf("i18n: catalogue %s: %w", tag, err)
		}
		l.printer = message.NewPrinter(l.lang)
		l.months = strings.Split(l.msgs["months"], "|")
		if len(l.months) != 12 {
			return nil, fmt.Errorf("i18n: catalogue %s: months has %d names, want 12", tag, len(l.months))
		}
		for d := range 10 {
			l.digits[d] = l.printer.Sprint(number.Decimal(d))
		}
		// The decimal mark is what stands between the digits of 1.5.
		half := l.printer.Sprint(number.Decimal(1.5, number.Scale(1)))
		l.decimal = strings.TrimSuffix(strings.TrimPrefix(half, l.digits[1]), l.digits[5])
		out = append(out, l)
	}
	return out, nil
}

// All returns every locale, English first, in the order of gateway.Locales().
func All() []*Locale { return all }

// Default is English, the fallback.
func Default() *Locale { return all[0] }

// Get returns the locale of a canonical tag, nil for any other string.
func Get(tag string) *Locale { return byTag[tag] }

// maxHeader bounds the Accept-Language header parsed: browsers send well
// under 200 bytes; a longer one is cut, not parsed at length.
const maxHeader = 512

// Match maps one tag (a ?locale= or a session's locale) to the locale that
// can stand in for it: the same language in any region ("pt-PT" → pt-BR,
// "es-MX" → es, "zh-CN" → zh-Hans). ok is false for an ill-formed tag or a
// language the pages do not speak (Traditional Chinese included).
func Match(tag string) (*Locale, bool) {
	if l := byTag[tag]; l != nil {
		return l, true
	}
	if len(tag) > 35 {
		return Default(), false
	}
	t, err := language.Parse(strings.ReplaceAll(tag, "_", "-"))
	if err != nil {
		return Default(), false
	}
	if i, ok := match(t); ok {
		return all[i], true
	}
	return Default(), false
}

// match is the index of the locale that can stand in for t: the matcher's
// choice when it is sure of it (High: the same language and script) and of
// the same language (the matcher offers English, its default, for some
// languages it knows nothing of).
func match(t language.Tag) (int, bool) {
	_, i, conf := matcher.Match(t)
	if conf < language.High {
		return 0, false
	}
	got, _ := all[i].lang.Base()
	want, _ := t.Base()
	return i, got == want
}

// Accept picks the locale for an Accept-Language header, honouring its
// q-values and falling back from a region to its language; English when
// nothing in it is spoken here.
func Accept(header string) *Locale {
	if len(header) > maxHeader {
		header = header[:maxHeader]
		if i := strings.LastIndexByte(header, ','); i > 0 {
			header = header[:i]
		}
	}
	prefs, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(prefs) == 0 {
		return Default()
	}
	// Each preference in the browser's order; the first one spoken here
	// wins, so "zh-TW, ja;q=0.5" is Japanese, not Simplified Chinese.
	for _, p := range prefs {
		if i, ok := match(p); ok {
			return all[i]
		}
	}
	return Default()
}

// Choose is the page's language: ?locale= when given (an unknown one is
// English, not an error), else the session's locale, else the browser's
// Accept-Language, else English.
func Choose(query, session, acceptLanguage string) *Locale {
	if query != "" {
		l, _ := Match(query)
		return l
	}
	if l := byTag[session]; l != nil {
		return l
	}
	return Accept(acceptLanguage)
}

// T is the message key, with each {name} replaced by its value from kv
// (name, value pairs). A missing key falls back to English; placeholders
// not in kv are left as they are (see Split). In a right-to-left language
// each value is a bidi isolate (FSI … PDI), so a shop's Latin name or an
// amount keeps its own direction without reordering the sentence around it.
func (l *Locale) T(key string, kv ...string) string {
	msg, ok := l.msgs[key]
	if !ok {
		msg = all[0].msgs[key]
	}
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1]
		if l.Dir == "rtl" {
			v = "\u2068" + v + "\u2069"
		}
		msg = strings.ReplaceAll(msg, "{"+kv[i]+"}", v)
	}
	return msg
}

// Split is message key cut around the placeholder {name}, for templates
// that put markup there (a link, a <time>): before and after.
func (l *Locale) Split(key, name string, kv ...string) []string {
	before, after, _ := strings.Cut(l.T(key, kv...), "{"+name+"}")
	return []string{before, after}
}

// Keys returns the message keys of l's catalogue.
func (l *Locale) Keys() []string {
	keys := make([]string, 0, len(l.msgs))
	for k := range l.msgs {
		keys = append(keys, k)
	}
	return keys
}
