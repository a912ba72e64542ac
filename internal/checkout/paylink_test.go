package checkout_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/satsrail/satsrail/internal/checkout"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/i18n"
)

func str(s string) *string { return &s }

// product creates a product of the env's merchant in mode.
func (e *env) product(mode gateway.Mode, p gateway.ProductParams) *gateway.Product {
	e.t.Helper()
	if p.PriceCents == nil {
		n := int64(1250)
		p.PriceCents = &n
	}
	prod, err := e.svc.CreateProduct(context.Background(), gateway.Scope{MerchantID: e.mid, Mode: mode}, p)
	if err != nil {
		e.t.Fatal(err)
	}
	return prod
}

func TestPaymentLink(t *testing.T) {
	e := setup(t)
	mug := e.product(gateway.ModeTest, gateway.ProductParams{Name: str("Enamel Mug")})
	link := e.url + "/pay/" + mug.ID

	var seen []string
	for range 2 {
		r := e.fetch("GET", "/pay/"+mug.ID)
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.url, "/checkout/cs_") || r.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("visit: %d Location %q", r.status, r.url)
		}
		seen = append(seen, strings.TrimPrefix(r.url, "/checkout/"))
	}
	if seen[0] == seen[1] {
		t.Error("two visits share one session; each must get a fresh one")
	}
	s := e.get(seen[0])
	if s.Mode != gateway.ModeTest || s.MerchantID != e.mid || s.AmountCents != 1250 || len(s.LineItems) != 1 ||
		s.LineItems[0].ProductID != mug.ID || s.LineItems[0].Quantity != 1 || s.Metadata["payment_link"] != mug.ID {
		t.Errorf("session %+v", s)
	}
	if s.SuccessURL != link+"/thanks" || s.CancelURL != link {
		t.Errorf("success %q cancel %q, want the thank-you page and the link", s.SuccessURL, s.CancelURL)
	}
	page := e.fetch("GET", "/checkout/"+s.ID)
	contains(t, page.body, "Enamel Mug", "Simulate payment")

	t.Run("success URL: product's, else merchant's, else the thank-you page", func(t *testing.T) {
		if _, err := e.svc.UpdateMerchantSettings(t.Context(), e.mid, gateway.MerchantSettings{SuccessURL: str("https://alice.example/thanks")}); err != nil {
			t.Fatal(err)
		}
		own := e.product(gateway.ModeTest, gateway.ProductParams{Name: str("Own"), SuccessURL: str("https://alice.example/own")})
		for prod, want := range map[string]string{mug.ID: "https://alice.example/thanks", own.ID: "https://alice.example/own"} {
			r := e.fetch("GET", "/pay/"+prod)
			if got := e.get(strings.TrimPrefix(r.url, "/checkout/")).SuccessURL; got != want {
				t.Errorf("%s: success_url %q, want %q", prod, got, want)
			}
		}
		if _, err := e.svc.UpdateMerchantSettings(t.Context(), e.mid, gateway.MerchantSettings{SuccessURL: str("")}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a live product's link makes a live session", func(t *testing.T) {
		live := e.product(gateway.ModeLive, gateway.ProductParams{Name: str("Live Mug")})
		r := e.fetch("GET", "/pay/"+live.ID)
		if r.status != http.StatusSeeOther {
			t.Fatalf("%d", r.status)
		}
		if got := e.get(strings.TrimPrefix(r.url, "/checkout/")); got.Mode != gateway.ModeLive {
			t.Errorf("mode %s", got.Mode)
		}
	})

	t.Run("unknown, archived, a slug: 404 Product not found", func(t *testing.T) {
		old := e.product(gateway.ModeTest, gateway.ProductParams{Name: str("Old"), Status: str("archived")})
		for _, path := range []string{"/pay/prod_doesnotexist0000000000", "/pay/" + old.ID, "/pay/" + mug.Slug, "/pay/%3Cscript%3E"} {
			r := e.fetch("GET", path)
			if r.status != http.StatusNotFound || !strings.Contains(r.body, "<h1 class=\"problem\">Product not found</h1>") ||
				!strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
				t.Errorf("%s: %d %s", path, r.status, r.body)
			}
		}
	})

	t.Run("HEAD makes no session", func(t *testing.T) {
		before := sessionCount(t, e)
		if r := e.fetch("HEAD", "/pay/"+mug.ID); r.status != http.StatusOK {
			t.Errorf("HEAD: %d", r.status)
		}
		if r := e.fetch("HEAD", "/pay/prod_nothing"); r.status != http.StatusNotFound {
			t.Errorf("HEAD unknown: %d", r.status)
		}
		if after := sessionCount(t, e); after != before {
			t.Errorf("HEAD made %d sessions", after-before)
		}
	})
}

func sessionCount(t *testing.T, e *env) int {
	t.Helper()
	l, err := e.svc.ListCheckoutSessions(t.Context(), gateway.Scope{MerchantID: e.mid, Mode: gateway.ModeTest}, gateway.SessionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return l.TotalCount
}

func TestPaymentLinkEscapesAndThanks(t *testing.T) {
	e := setup(t)
	xss := `<script>alert("x")</script>`
	p := e.product(gateway.ModeTest, gateway.ProductParams{Name: str("Mug " + xss), ThankYouMessage: str("Enjoy! " + xss)})
	r := e.fetch("GET", "/pay/"+p.ID)
	token := strings.TrimPrefix(r.url, "/checkout/")
	page := e.fetch("GET", r.url)
	if strings.Contains(page.body, xss) || !strings.Contains(page.body, "Mug &lt;script&gt;") {
		t.Errorf("hosted page does not escape the product name:\n%s", page.body)
	}

	thanks := e.fetch("GET", "/pay/"+p.ID+"/thanks?checkout_id="+token)
	if thanks.status != 200 || strings.Contains(thanks.body, "Paid ✓") || !strings.Contains(thanks.body, "We have not received this payment") {
		t.Errorf("unpaid thank-you page: %d\n%s", thanks.status, thanks.body)
	}
	if _, err := e.svc.SimulatePaymentFor(t.Context(), token); err != nil {
		t.Fatal(err)
	}
	thanks = e.fetch("GET", "/pay/"+p.ID+"/thanks?checkout_id="+token)
	if !strings.Contains(thanks.body, "Paid ✓") || !strings.Contains(thanks.body, "Enjoy! &lt;script&gt;") || strings.Contains(thanks.body, xss) {
		t.Errorf("paid thank-you page:\n%s", thanks.body)
	}
	if csp := thanks.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("thank-you page CSP %q", csp)
	}
	// Another product's completed session is not a payment of this one.
	other := e.product(gateway.ModeTest, gateway.ProductParams{Name: str("Other")})
	if b := e.fetch("GET", "/pay/"+other.ID+"/thanks?checkout_id="+token).body; strings.Contains(b, "Paid ✓") {
		t.Error("a forged checkout_id says paid")
	}
}

func TestPaymentLinkRateLimit(t *testing.T) {
	e := setup(t)
	p := e.product(gateway.ModeTest, gateway.ProductParams{Name: str("Mug")})
	pages := checkout.New(checkout.Config{Service: e.svc, RateLimit: 2})
	srv := httptest.NewServer(pages)
	t.Cleanup(srv.Close)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for i, want := range []int{303, 303, 429} {
		res, err := c.Get(srv.URL + "/pay/" + p.ID)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("visit %d: %d, want %d", i, res.StatusCode, want)
		}
		if want == 429 && res.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
		if want == 303 && !strings.HasPrefix(res.Header.Get("Location"), "/checkout/cs_") {
			t.Errorf("Location %q", res.Header.Get("Location"))
		}
	}
}

func TestPaymentLinkQR(t *testing.T) {
	e := setup(t)
	p := e.product(gateway.ModeTest, gateway.ProductParams{Name: str("Mug")})
	svg := e.fetch("GET", "/pay/"+p.ID+"/qr.svg")
	if svg.status != 200 || svg.header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(svg.body, "<svg") ||
		!strings.Contains(svg.body, "QR code of the payment link "+e.url+"/pay/"+p.ID) {
		t.Errorf("svg: %d %q %.200s", svg.status, svg.header.Get("Content-Type"), svg.body)
	}
	pngR := e.fetch("GET", "/pay/"+p.ID+"/qr.png?download=1")
	if pngR.status != 200 || pngR.header.Get("Content-Type") != "image/png" ||
		pngR.header.Get("Content-Disposition") != `attachment; filename="pay-`+p.ID+`.png"` {
		t.Fatalf("png: %d %v", pngR.status, pngR.header)
	}
	img, err := png.Decode(strings.NewReader(pngR.body))
	if err != nil || img.Bounds().Dx() != 512 {
		t.Errorf("png decodes to %v, %v", img.Bounds(), err)
	}
	if _, err := e.svc.UpdateProduct(t.Context(), p.Scope(), p.ID, gateway.ProductParams{Status: str("archived")}); err != nil {
		t.Fatal(err)
	}
	if r := e.fetch("GET", "/pay/"+p.ID+"/qr.svg"); r.status != 404 {
		t.Errorf("QR of an archived product: %d", r.status)
	}
}

func TestSuspendedShop(t *testing.T) {
	e := setup(t)
	p := e.product(gateway.ModeTest, gateway.ProductParams{Name: str("Mug")})
	s := e.session(gateway.ModeTest)
	if _, err := e.svc.SuspendMerchant(t.Context(), e.mid); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/checkout/" + s.ID, "/pay/" + p.ID} {
		r := e.fetch("GET", path)
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "This shop is unavailable") ||
			!strings.Contains(r.body, "Alice&#39;s Coffee &amp; Co cannot take payments") || strings.Contains(r.body, "lnbcrt") {
			t.Errorf("%s: %d\n%s", path, r.status, r.body)
		}
	}
	if r := e.fetch("GET", "/checkout/"+s.ID+"/status"); r.status != http.StatusForbidden || !strings.Contains(r.body, "merchant_suspended") {
		t.Errorf("status: %d %s", r.status, r.body)
	}
	if got := e.get(s.ID); got.PaymentRequest != "" {
		t.Error("a suspended shop's page made an invoice")
	}
	if _, err := e.svc.ReactivateMerchant(t.Context(), e.mid); err != nil {
		t.Fatal(err)
	}
	if r := e.fetch("GET", "/checkout/"+s.ID); r.status != 200 || !strings.Contains(r.body, "Simulate payment") {
		t.Errorf("after reactivation: %d", r.status)
	}
}

func TestLogoOnHostedPage(t *testing.T) {
	e := setup(t)
	var buf bytes.Buffer
	if err := png.Encode(&buf, image1x1()); err != nil {
		t.Fatal(err)
	}
	m, err := e.svc.SetMerchantLogo(t.Context(), e.mid, buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UpdateMerchantSettings(t.Context(), e.mid, gateway.MerchantSettings{SupportEmail: str("help@alice.example")}); err != nil {
		t.Fatal(err)
	}
	s := e.session(gateway.ModeTest)
	page := e.fetch("GET", "/checkout/"+s.ID)
	contains(t, page.body, `<img class="logo" src="/logos/`+m.LogoID+`" alt="">`, `href="mailto:help@alice.example"`)
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self'") {
		t.Errorf("CSP %q does not allow the same-origin logo", csp)
	}
	l := e.fetch("GET", "/logos/"+m.LogoID)
	if l.status != 200 || l.body != buf.String() || l.header.Get("Content-Type") != "image/png" ||
		l.header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(l.header.Get("Cache-Control"), "max-age=31536000") ||
		!strings.Contains(l.header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("logo: %d %v", l.status, l.header)
	}
	for _, id := range []string{strings.Repeat("0", 64), strings.Repeat("Z", 64), m.LogoID[:10]} {
		if r := e.fetch("GET", "/logos/"+id); r.status != 404 {
			t.Errorf("/logos/%s: %d", id, r.status)
		}
	}
}

func image1x1() image.Image { return image.NewGray(image.Rect(0, 0, 1, 1)) }

// TestPaymentLinkThanksKeepsLocale: the language a customer picked
// (?locale=, on the link or on the hosted page) goes on to the gateway's
// thank-you page after paying, in the page's link and script and in the
// status JSON; a merchant's own success URL gets only checkout_id.
func TestPaymentLinkThanksKeepsLocale(t *testing.T) {
	e := setup(t)
	mug := e.product(gateway.ModeTest, gateway.ProductParams{Name: str("Enamel Mug")})
	visit := e.fetch("GET", "/pay/"+mug.ID+"?locale=de")
	token := strings.TrimPrefix(strings.TrimSuffix(visit.url, "?locale=de"), "/checkout/")
	thanks := e.url + "/pay/" + mug.ID + "/thanks?checkout_id=" + token
	if page := e.fetch("GET", visit.url); !strings.Contains(page.body, `data-success="`+esc(thanks+"&locale=de")+`"`) {
		t.Errorf("hosted page in German: data-success is not the German thank-you page\n%s", page.body)
	}
	// Picked on the hosted page after the link: the latest choice wins.
	if page := e.fetch("GET", "/checkout/"+token+"?locale=ja"); !strings.Contains(page.body, `data-success="`+esc(thanks+"&locale=ja")+`"`) {
		t.Errorf("hosted page in Japanese: data-success is not the Japanese thank-you page")
	}
	// No choice: the thank-you page follows Accept-Language, as before.
	if page := e.fetch("GET", "/checkout/"+token); !strings.Contains(page.body, `data-success="`+esc(thanks)+`"`) {
		t.Errorf("hosted page without ?locale=: data-success is not the plain thank-you page")
	}
	var st struct {
		Status      string `json:"status"`
		RedirectURL string `json:"redirect_url"`
	}
	sim := e.fetch("POST", "/checkout/"+token+"/simulate?locale=de", "Origin", e.url, "Accept", "application/json")
	if err := json.Unmarshal([]byte(sim.body), &st); err != nil || st.Status != "completed" || st.RedirectURL != thanks+"&locale=de" {
		t.Fatalf("simulate: %d %s", sim.status, sim.body)
	}
	paid := e.fetch("GET", "/checkout/"+token+"?locale=de")
	if !strings.Contains(paid.body, `href="`+esc(thanks+"&locale=de")+`"`) {
		t.Errorf("paid page: no link to the German thank-you page\n%s", paid.body)
	}
	r := e.fetch("GET", strings.TrimPrefix(st.RedirectURL, e.url), "Accept-Language", "fr")
	if r.header.Get("Content-Language") != "de" || !strings.Contains(r.body, esc(i18n.Get("de").T("paid"))) {
		t.Errorf("thank-you page: %s, want German and paid\n%s", r.header.Get("Content-Language"), r.body)
	}

	// A merchant's success URL is left as the merchant set it.
	if _, err := e.svc.UpdateMerchantSettings(t.Context(), e.mid, gateway.MerchantSettings{SuccessURL: str("https://alice.example/thanks")}); err != nil {
		t.Fatal(err)
	}
	own := strings.TrimPrefix(e.fetch("GET", "/pay/"+mug.ID+"?locale=de").url, "/checkout/")
	if page := e.fetch("GET", "/checkout/"+own); !strings.Contains(page.body, `data-success="`+esc("https://alice.example/thanks?checkout_id="+strings.TrimSuffix(own, "?locale=de"))+`"`) {
		t.Errorf("merchant's success URL changed:\n%s", page.body)
	}
}
