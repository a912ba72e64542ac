package checkout

import (
	"net/http"
	"net/url"

	"github.com/satsrail/satsrail/internal/i18n"
)

// The pages customers see speak their language (internal/i18n): ?locale=
// when the customer picked one on the page (an unknown one is English),
// else the session's locale set by the merchant, else the browser's
// Accept-Language, else English. The picker is a list of plain links, so
// it works without JavaScript and under the strict CSP.

// langLink is one entry of the language picker.
type langLink struct {
	Tag, Name, Href string
	Current         bool
}

// localize chooses d's language for request r and builds the picker's
// links: the same URL with ?locale=<tag>, its other parameters kept (the
// thank-you page's checkout_id). It is called once per page, before
// rendering.
func (h *Handler) localize(r *http.Request, d *pageData) {
	session := ""
	if d.Session != nil {
		session = d.Session.Locale
	}
	query := r.URL.Query()
	d.L = i18n.Choose(query.Get("locale"), session, r.Header.Get("Accept-Language"))
	d.LocaleQuery = localeQuery(r)
	d.Remaining = d.L.Digits(d.Remaining) // the countdown, m:ss in the language's digits
	for _, l := range i18n.All() {
		query.Set("locale", l.Tag)
		d.Langs = append(d.Langs, langLink{Tag: l.Tag, Name: l.Name, Href: "?" + query.Encode(), Current: l == d.L})
	}
}

// localeQuery is "?locale=<tag>" when the customer picked a language on
// the page, for the redirects and forms that lead back to it.
func localeQuery(r *http.Request) string {
	l := r.URL.Query().Get("locale")
	if l == "" {
		return ""
	}
	if m, ok := i18n.Match(l); ok {
		l = m.Tag
	} else {
		l = i18n.Default().Tag
	}
	return "?" + url.Values{"locale": {l}}.Encode()
}

// language is the customer's language for an answer that is not a page
// (the plain-text 429 and 403s, the payment link's QR label): ?locale=,
// else the session's locale (session, "" for none), else Accept-Language.
// It sets Content-Language and Vary to match.
func language(w http.ResponseWriter, r *http.Request, session string) *i18n.Locale {
	l := i18n.Choose(r.URL.Query().Get("locale"), session, r.Header.Get("Accept-Language"))
	w.Header().Set("Content-Language", l.Tag)
	w.Header().Add("Vary", "Accept-Language")
	return l
}
