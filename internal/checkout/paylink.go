package checkout

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/qrsvg"
)

// Payment links, their QR codes and thank-you page, and merchants' logos:
// public pages beside the hosted checkout, under the same per-IP limit and
// security headers (ServeHTTP). Why a link is /pay/{product id} is said in
// gateway/paylink.go.

// base is the gateway's public base URL: the configured one, else the URL
// this request came in on.
func (h *Handler) base(r *http.Request) string {
	if h.publicURL != "" {
		return h.publicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// LinkURL is the payment link of a product, under base.
func LinkURL(base, productID string) string {
	return strings.TrimRight(base, "/") + "/pay/" + productID
}

// payLink is a visit to a payment link: it creates a checkout session for
// the product and sends the customer to its hosted page (303, so a reload
// of that page does not make another session). HEAD only says whether the
// link works: link previews and checkers make no session.
func (h *Handler) payLink(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	w.Header().Set("Cache-Control", "no-store")
	if r.Method == http.MethodHead {
		_, _, err := h.svc.PaymentLinkProduct(r.Context(), id)
		h.linkFail(w, r, nil, err)
		return
	}
	link := LinkURL(h.base(r), id)
	sess, m, err := h.svc.CreatePaymentLinkSession(r.Context(), id, gateway.PaymentLinkURLs{Thanks: link + "/thanks", Cancel: link})
	if err != nil {
		d := &pageData{}
		if m != nil {
			d.Merchant, d.Logo = m.Name, logoPath(m)
		}
		h.linkFail(w, r, d, err)
		return
	}
	http.Redirect(w, r, "/checkout/"+sess.ID+localeQuery(r), http.StatusSeeOther)
}

// linkFail answers a payment link that cannot be paid: 404 "Product not
// found" for an unknown or archived product, the suspended page, or what
// the hosted page shows when no price or wallet is there. A nil err is a
// working link (HEAD).
func (h *Handler) linkFail(w http.ResponseWriter, r *http.Request, d *pageData, err error) {
	if err == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	if d == nil {
		d = &pageData{}
	}
	if gateway.ErrorCode(err) == gateway.CodeNotFound {
		w.Header().Set("Content-Security-Policy", csp("", nil))
		d.Status = http.StatusNotFound
		h.render(w, r, "product-notfound.html", d)
		return
	}
	h.fail(w, r, d, err)
}

// successURL is where the customer goes after paying s: success_url with
// checkout_id; when that is this gateway's thank-you page of the payment
// link s came from, the language the customer chose (?locale=) goes along,
// as it came along from the link to the hosted page. A merchant's own
// success URL gets only checkout_id.
func (h *Handler) successURL(r *http.Request, s *gateway.CheckoutSession) string {
	u := successURL(s)
	link := s.Metadata["payment_link"]
	if q := localeQuery(r); q != "" && link != "" && s.SuccessURL == LinkURL(h.base(r), link)+"/thanks" {
		u += "&" + q[1:]
	}
	return u
}

// thanks is the gateway's thank-you page for payment links without a
// success URL: it says "paid" only for a completed session of this
// product, and shows the product's (or merchant's) thank-you message.
func (h *Handler) thanks(w http.ResponseWriter, r *http.Request) {
	t, err := h.svc.PaymentLinkThanks(r.Context(), r.PathValue("id"), r.URL.Query().Get("checkout_id"))
	if err != nil {
		h.linkFail(w, r, nil, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", csp("", nil))
	d := &pageData{Merchant: t.Merchant.Name, Logo: logoPath(t.Merchant), SupportEmail: t.Merchant.SupportEmail,
		Test: !t.Product.Mode.Live(), Product: t.Product.Name, Paid: t.Paid, Message: t.Message, Link: "/pay/" + t.Product.ID}
	if t.Session == nil && r.URL.Query().Has("checkout_id") {
		// A checkout_id that names no session of this product is not
		// echoed into the language picker's links: a forged or malformed
		// one gets the same page as any other unknown one.
		r = withoutParam(r, "checkout_id")
	}
	h.render(w, r, "thanks.html", d)
}

// withoutParam returns r with the query parameter name removed.
func withoutParam(r *http.Request, name string) *http.Request {
	q := r.URL.Query()
	q.Del(name)
	u := *r.URL
	u.RawQuery = q.Encode()
	r2 := r.Clone(r.Context())
	r2.URL = &u
	return r2
}

// linkQR serves the QR code of a product's payment link, as SVG or PNG
// (qr.svg, qr.png); ?download=1 makes browsers save it as a file. The
// SVG's label for screen readers is in the customer's language (?locale=,
// else Accept-Language); the PNG has no words.
func (h *Handler) linkQR(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	l := language(w, r, "")
	if _, _, err := h.svc.PaymentLinkProduct(r.Context(), id); gateway.ErrorCode(err) == gateway.CodeNotFound {
		http.Error(w, l.T("title_product_notfound"), http.StatusNotFound)
		return
	} else if err != nil && gateway.ErrorCode(err) != gateway.CodeMerchantSuspended {
		h.log.ErrorContext(r.Context(), "payment link QR", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	link := LinkURL(h.base(r), id)
	png := strings.HasSuffix(r.URL.Path, ".png")
	var body []byte
	var err error
	if png {
		body, err = qrPNG(link, 512)
		w.Header().Set("Content-Type", "image/png")
	} else {
		var svg string
		svg, err = qrsvg.Encode(link, l.T("link_qr_label", "url", link))
		body = []byte(svg)
		w.Header().Set("Content-Type", "image/svg+xml")
	}
	if err != nil {
		h.log.ErrorContext(r.Context(), "payment link QR", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	if r.URL.Query().Get("download") == "1" {
		ext := map[bool]string{true: "png", false: "svg"}[png]
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="pay-%s.%s"`, safeName(id), ext))
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

// safeName keeps the letters, digits and underscores of s, for a file name.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return -1
	}, s)
}

// logo serves a merchant's uploaded logo by its content hash: the bytes
// as uploaded, under the type read from them when they were checked, with
// nosniff (ServeHTTP) and a CSP that runs nothing, cached for a year — a
// new logo has a new URL.
func (h *Handler) logo(w http.ResponseWriter, r *http.Request) {
	l, err := h.svc.Logo(r.Context(), r.PathValue("id"))
	if err != nil {
		if gateway.ErrorCode(err) != gateway.CodeNotFound {
			h.log.ErrorContext(r.Context(), "serve logo", "err", err)
		}
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", l.ContentType)
	hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
	hdr.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	hdr.Set("ETag", `"`+l.ID+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(l.Data))
}

// logoPath is the same-origin path of m's logo, "" without one.
func logoPath(m *gateway.Merchant) string {
	if m == nil || m.LogoID == "" {
		return ""
	}
	return "/logos/" + m.LogoID
}
