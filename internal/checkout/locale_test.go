package checkout_test

import (
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/satsrail/satsrail/internal/checkout"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/i18n"
)

// TestPageInEveryLanguage renders the pending and the paid page in each
// language (golden files testdata/pending-<tag>.html and paid-<tag>.html):
// <html lang dir>, Content-Language, the language's own messages, amounts,
// sats and times formatted for it, the picker marking it, and not one
// English message left behind.
func TestPageInEveryLanguage(t *testing.T) {
	e := setup(t)
	s := e.session(gateway.ModeTest, lineItems)
	e.fetch("GET", "/checkout/"+s.ID) // makes the invoice
	pend := e.get(s.ID)
	for _, l := range i18n.All() {
		r := e.fetch("GET", "/checkout/"+s.ID+"?locale="+l.Tag)
		if r.status != 200 {
			t.Fatalf("%s: %d", l.Tag, r.status)
		}
		checkLanguage(t, l, r)
		contains(t, r.body, esc(l.T("waiting")), esc(l.Money(5000, "usd")), esc(l.Money(900, "usd")), esc(l.Sats(int64(pend.AmountSats))),
			esc(l.T("cancel_return", "merchant", "Alice's Coffee & Co")), `">`+l.Digits("15:00")+`</time>`,
			`data-t-copied="`+esc(l.T("copied"))+`"`, `data-digits="`+l.DigitSet()+`"`,
			`action="/checkout/`+s.ID+`/simulate?locale=`+l.Tag+`"`, `action="/checkout/`+s.ID+`/cancel?locale=`+l.Tag+`"`)
		golden(t, "pending-"+l.Tag+".html", r.body)
	}
	if _, err := e.svc.SimulatePaymentFor(t.Context(), s.ID); err != nil {
		t.Fatal(err)
	}
	paid := e.get(s.ID)
	for _, l := range i18n.All() {
		r := e.fetch("GET", "/checkout/"+s.ID+"?locale="+l.Tag)
		checkLanguage(t, l, r)
		contains(t, r.body, esc(l.T("paid")), esc(l.T("paid_at", "datetime", l.DateTime(paid.CompletedAt))))
		golden(t, "paid-"+l.Tag+".html", r.body)
	}
}

// TestOtherPagesInEveryLanguage: every other page customers see (expired,
// cancelled, not found, unavailable, a payment link's product-not-found,
// suspended and thank-you pages) speaks each language too.
func TestOtherPagesInEveryLanguage(t *testing.T) {
	e := setup(t)
	expired := e.session(gateway.ModeTest)
	e.clock.Advance(16 * 60e9)
	cancelled := e.session(gateway.ModeTest)
	if _, err := e.svc.CancelCheckout(t.Context(), cancelled.ID); err != nil {
		t.Fatal(err)
	}
	live := e.session(gateway.ModeLive) // no wallet: unavailable
	mug := e.product(gateway.ModeTest, gateway.ProductParams{Name: str("Enamel Mug")})
	token := strings.TrimPrefix(e.fetch("GET", "/pay/"+mug.ID).url, "/checkout/")
	for _, l := range i18n.All() {
		q := "?locale=" + l.Tag
		for path, want := range map[string][]string{
			"/checkout/" + expired.ID + q:   {l.T("expired_h"), l.T("expired_at", "datetime", l.DateTime(expired.ExpiresAt))},
			"/checkout/" + cancelled.ID + q: {l.T("cancelled_h"), l.T("return_to", "merchant", "Alice's Coffee & Co")},
			"/checkout/cs_nope" + q:         {l.T("notfound_p")},
			"/checkout/" + live.ID + q:      {l.T("title_unavailable"), l.T("unavailable_p", "seconds", l.Digits("10"))},
			"/pay/prod_nope" + q:            {l.T("product_notfound_p")},
			"/pay/" + mug.ID + "/thanks?checkout_id=" + token + "&locale=" + l.Tag: {l.T("not_received_h"), l.T("pay_for", "product", "Enamel Mug")},
		} {
			r := e.fetch("GET", path)
			checkLanguage(t, l, r)
			for _, w := range want {
				contains(t, r.body, esc(w))
			}
			// The picker keeps the page's other parameters.
			if strings.Contains(path, "/thanks") && !strings.Contains(r.body, `href="?checkout_id=`+token+`&amp;locale=ar"`) {
				t.Errorf("%s: the picker drops checkout_id", path)
			}
		}
	}
	if _, err := e.svc.SuspendMerchant(t.Context(), e.mid); err != nil {
		t.Fatal(err)
	}
	for _, l := range i18n.All() {
		r := e.fetch("GET", "/pay/"+mug.ID+"?locale="+l.Tag)
		checkLanguage(t, l, r)
		contains(t, r.body, esc(l.T("suspended_named", "merchant", "Alice's Coffee & Co")))
	}
}

// TestLocaleChoice: ?locale= beats the session's locale, which beats
// Accept-Language; an unknown ?locale= is English; a payment link passes
// the customer's ?locale= on to the hosted page, and simulate keeps it.
func TestLocaleChoice(t *testing.T) {
	e := setup(t)
	plain := e.session(gateway.ModeTest)
	ja := e.session(gateway.ModeTest, func(p *gateway.CheckoutSessionParams) { p.Locale = str("ja") })
	for _, c := range []struct{ path, accept, want string }{
		{"/checkout/" + plain.ID, "", "en"},
		{"/checkout/" + plain.ID, "pt-PT,pt;q=0.9,en;q=0.5", "pt-BR"},
		{"/checkout/" + plain.ID, "zh-CN,zh;q=0.9", "zh-Hans"},
		{"/checkout/" + plain.ID, "fr-CA;q=0.5,ar;q=0.8", "ar"},
		{"/checkout/" + plain.ID, "tlh,xx", "en"},
		{"/checkout/" + plain.ID + "?locale=de", "fr", "de"},
		{"/checkout/" + plain.ID + "?locale=klingon", "fr", "en"},
		{"/checkout/" + plain.ID + "?locale=" + strings.Repeat("x", 4000), "fr", "en"},
		{"/checkout/" + ja.ID, "fr", "ja"},
		{"/checkout/" + ja.ID + "?locale=sw", "fr", "sw"},
		{"/checkout/cs_nope", "hi", "hi"},
	} {
		r := e.fetch("GET", c.path, "Accept-Language", c.accept)
		if got := r.header.Get("Content-Language"); got != c.want || !strings.Contains(r.body, `<html lang="`+c.want+`"`) {
			t.Errorf("%.60s with Accept-Language %q: %s, want %s", c.path, c.accept, got, c.want)
		}
		if !strings.Contains(r.header.Get("Vary"), "Accept-Language") {
			t.Errorf("%s: no Vary: Accept-Language", c.path)
		}
	}
	mug := e.product(gateway.ModeTest, gateway.ProductParams{Name: str("Enamel Mug")})
	if r := e.fetch("GET", "/pay/"+mug.ID+"?locale=pt-pt"); r.status != http.StatusSeeOther || !strings.HasSuffix(r.url, "?locale=pt-BR") {
		t.Errorf("payment link: %d %q", r.status, r.url)
	}
	if r := e.fetch("POST", "/checkout/"+plain.ID+"/simulate?locale=ar", "Origin", e.url); r.status != http.StatusSeeOther || r.url != "/checkout/"+plain.ID+"?locale=ar" {
		t.Errorf("simulate: %d %q", r.status, r.url)
	}
}

func lineItems(p *gateway.CheckoutSessionParams) {
	name, qty, unit := "Flat white", int64(2), int64(450)
	ship, one, shipCost := "Shipping", int64(1), int64(4100)
	p.LineItems = []gateway.LineItemParams{{Name: &name, Quantity: &qty, UnitAmountCents: &unit}, {Name: &ship, Quantity: &one, UnitAmountCents: &shipCost}}
}

func esc(s string) string { return html.EscapeString(s) }

var reHTMLTag = regexp.MustCompile(`<html lang="([^"]*)" dir="([^"]*)">`)

// checkLanguage: the page is in l (lang, dir, Content-Language, the picker)
// and shows no English message unless l is English.
func checkLanguage(t *testing.T, l *i18n.Locale, r resp) {
	t.Helper()
	m := reHTMLTag.FindStringSubmatch(r.body)
	if m == nil || m[1] != l.Tag || m[2] != l.Dir || r.header.Get("Content-Language") != l.Tag {
		t.Errorf("%s: page says %v, Content-Language %q", l.Tag, m, r.header.Get("Content-Language"))
	}
	if !strings.Contains(r.body, `lang="`+l.Tag+`" hreflang="`+l.Tag+`" aria-current="true">`+esc(l.Name)+`</a>`) {
		t.Errorf("%s: the picker does not mark the page's language", l.Tag)
	}
	if leaks := englishLeft(l, r.body); len(leaks) > 0 {
		t.Errorf("%s: English left on the page: %q", l.Tag, leaks)
	}
}

// englishLeft returns the English messages (or their fixed parts around
// placeholders, 10 characters or more) that a page in l shows although l
// says them otherwise: a template with hard-coded English fails here.
func englishLeft(l *i18n.Locale, body string) []string {
	en := i18n.Default()
	if l == en {
		return nil
	}
	var out []string
	for _, k := range en.Keys() {
		if en.T(k) == l.T(k) || k == "months" || k == "money" || k == "datetime" {
			continue
		}
		for _, part := range regexp.MustCompile(`\{[a-z]+\}`).Split(en.T(k), -1) {
			if p := strings.TrimSpace(part); len(p) >= 10 && strings.Contains(body, esc(p)) && !strings.Contains(l.T(k), p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// TestPlainAnswersInEveryLanguage: what a customer may see that is not a
// page speaks the customer's language too: the per-IP limit's 429, the
// refused cross-site form, simulate on a live session (the session's
// locale), the payment link QR's label (?locale=, else Accept-Language).
func TestPlainAnswersInEveryLanguage(t *testing.T) {
	e := setup(t)
	live := e.session(gateway.ModeLive)
	liveJA := e.session(gateway.ModeLive, func(p *gateway.CheckoutSessionParams) { p.Locale = str("ja") })
	test := e.session(gateway.ModeTest)
	mug := e.product(gateway.ModeTest, gateway.ProductParams{Name: str("Enamel Mug")})
	link := e.url + "/pay/" + mug.ID
	limited := httptest.NewServer(checkout.New(checkout.Config{Service: e.svc, RateLimit: 1}))
	t.Cleanup(limited.Close)
	en := i18n.Default()
	plain := func(l *i18n.Locale, what string, r resp, status int, want string) {
		t.Helper()
		if r.status != status || r.body != want+"\n" || r.header.Get("Content-Language") != l.Tag ||
			!strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") || !strings.Contains(r.header.Get("Vary"), "Accept-Language") {
			t.Errorf("%s, %s: %d %q %v; want %d %q", l.Tag, what, r.status, r.body, r.header, status, want)
		}
	}
	for _, l := range i18n.All() {
		if l != en && (l.T("too_many_requests") == en.T("too_many_requests") || l.T("cross_site_refused") == en.T("cross_site_refused") ||
			l.T("simulate_test_only") == en.T("simulate_test_only") || l.T("link_qr_label") == en.T("link_qr_label")) {
			t.Errorf("%s: a plain answer is left in English", l.Tag)
		}
		q := "?locale=" + l.Tag
		for _, accept := range []string{"", "fr"} {
			pl := e.fetch("GET", "/pay/"+mug.ID+"/qr.svg"+q, "Accept-Language", accept)
			if !strings.Contains(pl.body, `aria-label="`+esc(l.T("link_qr_label", "url", link))+`"`) || pl.header.Get("Content-Language") != l.Tag ||
				!strings.Contains(pl.header.Get("Vary"), "Accept-Language") {
				t.Errorf("%s: QR label %.300s %v", l.Tag, pl.body, pl.header)
			}
		}
		plain(l, "cross-site", e.fetch("POST", "/checkout/"+test.ID+"/simulate"+q, "Origin", "https://evil.example"), 403, l.T("cross_site_refused"))
		plain(l, "simulate live", e.fetch("POST", "/checkout/"+live.ID+"/simulate"+q, "Origin", e.url), 403, l.T("simulate_test_only"))

		req, _ := http.NewRequest("GET", limited.URL+"/checkout/"+test.ID+q, nil)
		var r resp
		for range 2 { // the first is let through
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			r = resp{status: res.StatusCode, header: res.Header, body: string(b)}
		}
		plain(l, "429", r, 429, l.T("too_many_requests", "seconds", l.Digits(r.header.Get("Retry-After"))))
	}
	// Without ?locale=: the browser's language, and a session's own.
	de, ja := i18n.Get("de"), i18n.Get("ja")
	plain(de, "Accept-Language", e.fetch("POST", "/checkout/"+live.ID+"/simulate", "Origin", e.url, "Accept-Language", "de-AT,de;q=0.9"), 403, de.T("simulate_test_only"))
	plain(ja, "session locale", e.fetch("POST", "/checkout/"+liveJA.ID+"/simulate", "Origin", e.url, "Accept-Language", "de"), 403, ja.T("simulate_test_only"))
	plain(de, "cross-site, Accept-Language", e.fetch("POST", "/checkout/"+test.ID+"/cancel", "Origin", "https://evil.example", "Accept-Language", "de"), 403, de.T("cross_site_refused"))
	if r := e.fetch("GET", "/pay/"+mug.ID+"/qr.svg", "Accept-Language", "de"); !strings.Contains(r.body, esc(de.T("link_qr_label", "url", link))) {
		t.Errorf("QR label with Accept-Language: de: %.300s", r.body)
	}
}
