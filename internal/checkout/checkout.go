// Package checkout serves the hosted checkout page (SPEC §5): server-rendered
// HTML that works without JavaScript for the essentials, with a QR code as
// inline SVG, live status by server-sent events (and JSON polling as a
// fallback), a strict Content-Security-Policy and no third-party host. It and
// the payment-link pages speak the customer's language (locale.go,
// internal/i18n).
//
// It also serves pay.js (/js/pay.js), the button merchants put on their own
// pages: the hosted page may be framed only by the merchant's allowed
// origins, and tells the embedding page what happened by postMessage to
// that origin only (payjs.go, assets/pay.js, assets/checkout.js).
package checkout

import (
	"cmp"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/satsrail/satsrail/internal/accesslog"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/i18n"
	"github.com/satsrail/satsrail/internal/ratelimit"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// Limiter counts requests per key per minute.
type Limiter interface {
	Allow(ctx context.Context, key string, limit int, now time.Time) (ratelimit.Decision, error)
}

// Config configures the page handler; zero fields mean defaults.
type Config struct {
	Service *gateway.Service
	Logger  *slog.Logger
	Limiter Limiter
	// RateLimit is the per-IP limit per minute on checkout routes (default 300:
	// one customer's page, stream and polling stay far below it).
	RateLimit int
	// PollEvery is how often an event stream re-reads the session, to see
	// changes made by other nodes (default 2s).
	PollEvery time.Duration
	// Observe, if set, is told of every request by route pattern (never
	// the path with its token), method, status and duration.
	Observe accesslog.Observe
	// PublicURL is the gateway's base URL, e.g. "https://pay.example.com":
	// payment links' sessions return to pages under it and their QR codes
	// encode it. Empty: the URL each request came in on.
	PublicURL string
}

// Handler serves /checkout/....
type Handler struct {
	svc       *gateway.Service
	log       *slog.Logger
	limiter   Limiter
	limit     int
	pollEvery time.Duration
	tmpl      *template.Template
	mux       *http.ServeMux
	observe   accesslog.Observe
	closing   chan struct{} // closed by CloseStreams
	closeOnce sync.Once
	qrs       *qrCache
	publicURL string
}

// qrCacheSize is how many invoices' QR codes are kept (~12 KiB each).
const qrCacheSize = 2048

// New builds the handler.
func New(cfg Config) *Handler {
	h := &Handler{
		svc:       cfg.Service,
		log:       cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler)),
		limiter:   cfg.Limiter,
		limit:     cmp.Or(cfg.RateLimit, 300),
		pollEvery: cmp.Or(cfg.PollEvery, 2*time.Second),
		mux:       http.NewServeMux(),
		closing:   make(chan struct{}),
		observe:   cfg.Observe,
		qrs:       newQRCache(qrCacheSize),
		publicURL: strings.TrimRight(cfg.PublicURL, "/"),
	}
	if h.limiter == nil {
		h.limiter = ratelimit.NewMemory()
	}
	h.tmpl = template.Must(template.New("").Funcs(template.FuncMap{
		"upper": strings.ToUpper,
		"page": func(title string, d *pageData) map[string]any {
			return map[string]any{"Title": d.L.T(title, "merchant", d.Merchant), "Test": d.Test, "Refresh": d.Refresh, "L": d.L}
		},
	}).ParseFS(templateFS, "templates/*.html"))
	assets, _ := fs.Sub(assetFS, "assets")
	static := http.StripPrefix("/static/checkout/", http.FileServerFS(assets))
	h.mux.Handle("GET /static/checkout/", cacheFor(static, 24*time.Hour))
	h.mux.HandleFunc("GET /checkout/{token}", h.page)
	h.mux.HandleFunc("GET /checkout/{token}/status", h.status)
	h.mux.HandleFunc("GET /checkout/{token}/events", h.events)
	h.mux.HandleFunc("GET /checkout/{token}/qr", h.qr)
	h.mux.HandleFunc("POST /checkout/{token}/cancel", h.cancel)
	h.mux.HandleFunc("POST /checkout/{token}/simulate", h.simulate)
	h.mux.HandleFunc("GET /logos/{id}", h.logo)
	h.mux.HandleFunc("GET /js/pay.js", h.payJS)
	h.mux.HandleFunc("GET /pay/{id}", h.payLink)
	h.mux.HandleFunc("GET /pay/{id}/thanks", h.thanks)
	h.mux.HandleFunc("GET /pay/{id}/qr.svg", h.linkQR)
	h.mux.HandleFunc("GET /pay/{id}/qr.png", h.linkQR)
	return h
}

// ServeHTTP applies the per-IP limit and the security headers to every
// checkout route (the hosted pages, payment links and logos), and ends each request with one access-log line and one
// observation, by route pattern: the token in the path is never logged.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rid := gateway.NewID(gateway.PrefixRequest)
	_, pattern := h.mux.Handler(r)
	aw := accesslog.NewWriter(w)
	w = aw
	defer func() {
		accesslog.Done(r.Context(), h.log, h.observe, accesslog.Entry{
			RequestID: rid, Route: accesslog.Route(pattern), Method: accesslog.Method(r), Status: aw.Status(),
			Duration: time.Since(start), ClientIP: clientIP(r),
		})
	}()
	hdr := w.Header()
	hdr.Set("Request-Id", rid)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Frame-Options", "DENY")
	d, err := h.limiter.Allow(r.Context(), "page:"+clientIP(r), h.limit, h.svc.Now())
	if err != nil {
		h.log.WarnContext(r.Context(), "rate limiter failed; allowing request", "err", err)
	} else if !d.Allowed {
		retry := max(1, int((d.Reset+time.Second-1)/time.Second))
		hdr.Set("Retry-After", strconv.Itoa(retry))
		l := language(w, r, "")
		http.Error(w, l.T("too_many_requests", "seconds", l.Digits(strconv.Itoa(retry))), http.StatusTooManyRequests)
		return
	}
	if r.Method == http.MethodPost && !sameOrigin(r) {
		http.Error(w, language(w, r, "").T("cross_site_refused"), http.StatusForbidden)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// pageData is what the templates render.
type pageData struct {
	Merchant string
	// Logo is the path of the merchant's logo ("" for none): same origin,
	// as the CSP's img-src 'self' wants.
	Logo         string
	SupportEmail string
	Session      *gateway.CheckoutSession
	Test         bool
	QR           template.HTML
	SuccessURL   string
	ExpiresAt    string
	Remaining    string
	Problem      string
	Status       int
	Token        string
	LineItems    []gateway.LineItem
	AmountSats   int64
	RetryAfter   int
	Refresh      int // seconds between reloads for browsers without JavaScript
	// Frame are the origins that may frame the page (the merchant's
	// allowed origins for the session's mode); none: no one may.
	Frame []string
	// Parent is the embedding page's origin when pay.js opened the page
	// (?embed=<origin>) and the merchant allowed that origin: the page's
	// script tells it what happened by postMessage, to that origin only.
	Parent string

	// The payment links' thank-you page.
	Product string
	Paid    bool
	Message string
	Link    string

	// The page's language, chosen by localize; Langs is the language
	// picker's links, LocaleQuery "?locale=<tag>" when the customer chose
	// one on the page (kept by the page's own forms), When a localized time.
	L           *i18n.Locale
	Langs       []langLink
	LocaleQuery string
	When        string
}

// csp is the page's Content-Security-Policy: nothing from other hosts, no
// inline script or style, forms only to us (and the redirect to cancel_url),
// framed only by the origins in frame (the merchant's allowed origins, for
// pay.js's overlay), else by no one.
func csp(cancelURL string, frame []string) string {
	ancestors := "'none'"
	if len(frame) > 0 {
		ancestors = strings.Join(frame, " ")
	}
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
		"form-action 'self' " + origin(cancelURL) + "; base-uri 'none'; frame-ancestors " + ancestors
}

// setCSP sets the page's CSP; a page its merchant lets be framed drops the
// blanket X-Frame-Options: DENY (ServeHTTP), which frame-ancestors replaces.
func setCSP(w http.ResponseWriter, cancelURL string, frame []string) {
	w.Header().Set("Content-Security-Policy", csp(cancelURL, frame))
	if len(frame) > 0 {
		w.Header().Del("X-Frame-Options")
	}
}

func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sess, m, err := h.svc.CheckoutPage(ctx, r.PathValue("token"))
	if gateway.ErrorCode(err) == gateway.CodeMerchantSuspended {
		h.fail(w, r, &pageData{Merchant: m.Name, Test: !sess.Mode.Live()}, err)
		return
	}
	if err != nil {
		h.fail(w, r, nil, err)
		return
	}
	frame, parent := m.FrameAncestors(sess.Mode), m.EmbedOrigin(r.URL.Query().Get("embed"), sess.Mode)
	if s, err := h.svc.InvoiceOf(ctx, sess); err != nil {
		h.fail(w, r, &pageData{Merchant: m.Name, Logo: logoPath(m), Session: sess, Test: !sess.Mode.Live(), Token: sess.ID,
			Frame: frame, Parent: parent}, err)
		return
	} else {
		sess = s
	}
	d := &pageData{
		Merchant: m.Name, Logo: logoPath(m), SupportEmail: m.SupportEmail,
		Session: sess, Test: !sess.Mode.Live(), Token: sess.ID, LineItems: sess.LineItems,
		SuccessURL: h.successURL(r, sess), AmountSats: int64(sess.AmountSats),
		ExpiresAt: sess.ExpiresAt.Format(time.RFC3339),
		Remaining: remaining(sess.ExpiresAt.Sub(h.svc.Now())),
		Frame:     frame, Parent: parent,
	}
	h.localize(r, d)
	setCSP(w, sess.CancelURL, frame)
	w.Header().Set("Cache-Control", "no-store")
	switch sess.Status {
	case gateway.StatusExpired:
		d.Status = http.StatusGone
		d.When = d.L.DateTime(sess.ExpiresAt)
		h.render(w, r, "expired.html", d)
	case gateway.StatusCompleted:
		d.When = d.L.DateTime(sess.CompletedAt)
		h.render(w, r, "paid.html", d)
	case gateway.StatusCancelled:
		h.render(w, r, "cancelled.html", d)
	default:
		qr, err := h.qrs.svg(sess.PaymentRequest)
		if err != nil {
			h.fail(w, r, d, err)
			return
		}
		d.QR = template.HTML(labelQR(qr, d.L.T("qr_label"))) // generated by qrSVG from numbers only, the label escaped
		d.Refresh = 5
		h.render(w, r, "pay.html", d)
	}
}

func remaining(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int(d.Seconds())
	return strconv.Itoa(s/60) + ":" + strconv.Itoa(s%60/10) + strconv.Itoa(s%10)
}

// fail renders the page for an error: 404 for an unknown token, 403 "shop
// unavailable" for a suspended merchant, 503 with a retry when no invoice or
// price can be had, else 500.
//
// A suspension is 403, not 503: it is the operator's decision, not an
// outage, so nothing should promise a retry (503's Retry-After) or count
// it against the gateway's availability.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, d *pageData, err error) {
	if d == nil {
		d = &pageData{}
	}
	w.Header().Set("Cache-Control", "no-store")
	setCSP(w, "", d.Frame)
	switch gateway.ErrorCode(err) {
	case gateway.CodeNotFound:
		d.Status = http.StatusNotFound
		h.render(w, r, "notfound.html", d)
	case gateway.CodeMerchantSuspended:
		d.Status, d.Session, d.Refresh = http.StatusForbidden, nil, 0
		h.render(w, r, "suspended.html", d)
	case gateway.CodeWalletUnavailable, gateway.CodeRateUnavailable:
		h.log.WarnContext(r.Context(), "checkout page cannot make an invoice", "checkout_id", d.Token, "err", err)
		d.Status, d.RetryAfter, d.Refresh = http.StatusServiceUnavailable, 10, 10
		d.Problem = "title_unavailable"
		if gateway.ErrorCode(err) == gateway.CodeRateUnavailable {
			d.Problem = "problem_rate"
		}
		w.Header().Set("Retry-After", "10")
		h.render(w, r, "unavailable.html", d)
	default:
		h.log.ErrorContext(r.Context(), "checkout page failed", "checkout_id", d.Token, "err", err)
		d.Status, d.RetryAfter, d.Refresh, d.Problem = http.StatusInternalServerError, 10, 10, "problem_internal"
		h.render(w, r, "unavailable.html", d)
	}
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, name string, d *pageData) {
	if d.L == nil {
		h.localize(r, d)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", d.L.Tag)
	w.Header().Add("Vary", "Accept-Language")
	w.WriteHeader(cmp.Or(d.Status, http.StatusOK))
	if err := h.tmpl.ExecuteTemplate(w, name, d); err != nil {
		h.log.Error("render checkout page", "template", name, "err", err)
	}
}

// status is the JSON fallback for pages without event streams; like the
// page, it makes the invoice when it is first needed.
func (h *Handler) status(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sess, m, err := h.svc.CheckoutPage(ctx, r.PathValue("token"))
	if err == nil {
		// pay.js, back on the merchant's page from a redirect, confirms
		// the payment here: readable by the merchant's allowed origins.
		if o := r.Header.Get("Origin"); o != "" && m.EmbedOrigin(o, sess.Mode) != "" {
			w.Header().Set("Access-Control-Allow-Origin", o)
			w.Header().Add("Vary", "Origin")
		}
		sess, err = h.svc.InvoiceOf(ctx, sess)
	}
	if err != nil {
		code := gateway.ErrorCode(err)
		st := map[gateway.Code]int{gateway.CodeNotFound: 404, gateway.CodeMerchantSuspended: 403,
			gateway.CodeWalletUnavailable: 503, gateway.CodeRateUnavailable: 503}[code]
		if st == 0 {
			h.log.ErrorContext(ctx, "checkout status failed", "err", err)
			st, code = 500, gateway.CodeInternal
		}
		writeJSON(w, st, map[string]any{"error": map[string]string{"code": string(code), "message": publicMessage(err)}})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, statusOf(sess, h.svc.Now(), h.successURL(r, sess)))
}

func publicMessage(err error) string {
	var e *gateway.Error
	if errors.As(err, &e) && e.Code != gateway.CodeInternal {
		return e.Message
	}
	return "internal error"
}

// events streams the session's status as server-sent events: one at once,
// then one per change, until the session is final or its time is up.
func (h *Handler) events(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("token")
	sess, _, err := h.svc.CheckoutPage(ctx, id)
	if err != nil {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	changed, stop := h.svc.WatchSession(sess.ID)
	defer stop()
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{}) // streams outlive the server's write timeout
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	poll := time.NewTicker(h.pollEvery)
	defer poll.Stop()
	deadline := time.NewTimer(time.Until(sess.ExpiresAt) + 5*time.Second)
	defer deadline.Stop()
	last := ""
	for i := 0; ; i++ {
		if i > 0 {
			if sess, _, err = h.svc.CheckoutPage(ctx, id); err != nil {
				return
			}
		}
		b, _ := json.Marshal(statusOf(sess, h.svc.Now(), h.successURL(r, sess)))
		if string(b) != last {
			if _, err := io.WriteString(w, "event: status\ndata: "+string(b)+"\n\n"); err != nil {
				return
			}
			last = string(b)
		} else if i%8 == 0 {
			io.WriteString(w, ": keep-alive\n\n")
		}
		if err := rc.Flush(); err != nil {
			return
		}
		if sess.Status != gateway.StatusPending {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-h.closing:
			return // the server is shutting down; the page falls back to polling
		case <-changed:
		case <-poll.C:
		case <-deadline.C:
		}
	}
}

func (h *Handler) qr(w http.ResponseWriter, r *http.Request) {
	if _, _, err := h.svc.CheckoutPage(r.Context(), r.PathValue("token")); err != nil {
		http.Error(w, "no payable invoice", http.StatusNotFound)
		return
	}
	sess, err := h.svc.EnsureInvoice(r.Context(), r.PathValue("token"))
	if err != nil || sess.PaymentRequest == "" || sess.Status != gateway.StatusPending {
		http.Error(w, "no payable invoice", http.StatusNotFound)
		return
	}
	svg, err := h.qrs.svg(sess.PaymentRequest)
	if err != nil {
		http.Error(w, "qr failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "no-store")
	io.WriteString(w, svg)
}

// cancel is the customer's cancel link: a pending session becomes cancelled,
// and the customer goes back to the merchant's cancel_url.
func (h *Handler) cancel(w http.ResponseWriter, r *http.Request) {
	sess, err := h.svc.CancelCheckout(r.Context(), r.PathValue("token"))
	if err != nil {
		h.fail(w, r, nil, err)
		return
	}
	if sess.Status == gateway.StatusCompleted {
		http.Redirect(w, r, "/checkout/"+sess.ID+localeQuery(r), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, sess.CancelURL, http.StatusSeeOther)
}

// simulate is the test-mode page's "Simulate payment" button.
func (h *Handler) simulate(w http.ResponseWriter, r *http.Request) {
	sess, _, err := h.svc.CheckoutPage(r.Context(), r.PathValue("token"))
	if err == nil && sess.Mode.Live() {
		http.Error(w, language(w, r, sess.Locale).T("simulate_test_only"), http.StatusForbidden)
		return
	}
	if err == nil {
		sess, err = h.svc.SimulatePaymentFor(r.Context(), sess.ID)
	}
	if err != nil && gateway.ErrorCode(err) != gateway.CodeCheckoutExpired {
		h.fail(w, r, nil, err)
		return
	}
	if r.Header.Get("Accept") == "application/json" {
		writeJSON(w, http.StatusOK, statusOf(sess, h.svc.Now(), h.successURL(r, sess)))
		return
	}
	http.Redirect(w, r, "/checkout/"+r.PathValue("token")+localeQuery(r), http.StatusSeeOther)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func cacheFor(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(int(d.Seconds())))
		h.ServeHTTP(w, r)
	})
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// sameOrigin refuses form posts from other sites (no cookies are involved,
// but a cancel should only come from the page itself).
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return r.Header.Get("Sec-Fetch-Site") != "cross-site"
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

// CloseStreams ends every open event stream, for a server shutting down.
func (h *Handler) CloseStreams() { h.closeOnce.Do(func() { close(h.closing) }) }
