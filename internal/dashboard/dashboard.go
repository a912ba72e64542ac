package dashboard

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/satsrail/satsrail/internal/accesslog"
	"github.com/satsrail/satsrail/internal/dashboard/session"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/ratelimit"
)

// Limiter counts requests per key per minute (ratelimit.Memory, or a shared
// one across nodes).
type Limiter interface {
	Allow(ctx context.Context, key string, limit int, now time.Time) (ratelimit.Decision, error)
}

// Config configures the dashboard; zero fields mean defaults.
type Config struct {
	Accounts *gateway.Accounts
	Logger   *slog.Logger
	// PublicURL is the gateway's public base URL. When it is https the
	// cookies are Secure and __Host- prefixed; its origin is the one
	// state-changing requests must come from.
	PublicURL string
	Limiter   Limiter
	// SignInPerAccount and SignInPerIP cap sign-in attempts per minute for
	// one email and for one client address (defaults 5 and 20).
	SignInPerAccount int
	SignInPerIP      int
	// Observe, if set, is told of every request by route pattern.
	Observe accesslog.Observe
	// Mail, if set, sends invite and password reset links by email;
	// without it invite links are only shown and passwords are reset by
	// the CLI.
	Mail Mailer
	// Readiness reports each dependency's state, as /readyz does, for the
	// operator's page: a nil error is ready. Nil: the page shows none.
	Readiness func(ctx context.Context) map[string]error
}

// Mailer sends the dashboard's emails (internal/mail).
type Mailer interface {
	Invite(ctx context.Context, to, merchantName, role, link string) error
	PasswordReset(ctx context.Context, to, link string) error
}

// Handler serves /dashboard and its static assets.
type Handler struct {
	acc       *gateway.Accounts
	svc       *gateway.Service
	log       *slog.Logger
	publicURL string
	origin    string // scheme://host of PublicURL, "" when unknown
	cookies   session.Cookies
	limiter   Limiter
	perAcct   int
	perIP     int
	observe   accesslog.Observe
	mail      Mailer
	mux       *http.ServeMux
	pages     *pages
	table     []route
	readiness func(ctx context.Context) map[string]error
}

// New builds the dashboard handler and its routes.
func New(cfg Config) *Handler {
	h := &Handler{
		acc:       cfg.Accounts,
		svc:       cfg.Accounts.Service(),
		log:       cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler)),
		publicURL: strings.TrimRight(cfg.PublicURL, "/"),
		limiter:   cfg.Limiter,
		perAcct:   cmp.Or(cfg.SignInPerAccount, 5),
		perIP:     cmp.Or(cfg.SignInPerIP, 20),
		observe:   cfg.Observe,
		mail:      cfg.Mail,
		mux:       http.NewServeMux(),
		pages:     loadPages(),
		readiness: cfg.Readiness,
	}
	if u, err := url.Parse(h.publicURL); err == nil && u.Host != "" {
		h.origin = u.Scheme + "://" + u.Host
		h.cookies.Secure = u.Scheme == "https"
	}
	if h.limiter == nil {
		h.limiter = ratelimit.NewMemory()
	}
	h.table = h.routes()
	for _, rt := range h.table {
		h.mux.Handle(rt.Method+" "+rt.Path, h.wrap(rt))
	}
	h.mux.HandleFunc("GET /static/dashboard/{file}", h.pages.serveAsset)
	h.mux.HandleFunc("GET /dashboard/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/dashboard", http.StatusMovedPermanently)
	})
	return h
}

// ServeHTTP sets the security headers of every dashboard response, recovers
// panics, and ends each request with one access-log line by route pattern.
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
	hdr.Set("Content-Security-Policy", csp)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "same-origin")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Cross-Origin-Opener-Policy", "same-origin")
	hdr.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	if h.cookies.Secure {
		hdr.Set("Strict-Transport-Security", "max-age=31536000")
	}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.log.ErrorContext(r.Context(), "panic in dashboard handler", "request_id", rid, "panic", v, "route", pattern)
			h.renderError(w, r, nil, http.StatusInternalServerError, "Something went wrong on our side.")
		}
	}()
	if pattern == "" {
		h.renderError(w, r, nil, http.StatusNotFound, "There is no such page.")
		return
	}
	h.mux.ServeHTTP(w, r)
}

// csp is the dashboard's Content-Security-Policy: everything from this
// origin only, no inline script or style, no plugins, no framing, forms
// only to us, and Trusted Types so no script can write HTML from strings.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types 'none'"

// wrap is the middleware of one route, in order: the CSRF check of
// state-changing requests (before anything is read or written), the
// viewer (who is signed in, which merchant and mode they see), the access
// rule of the route, the fresh-credential rule, the text rule (notText),
// then the page.
func (h *Handler) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		v, err := h.viewer(w, r)
		if err != nil {
			h.fail(w, r, nil, err)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if !h.csrfOK(r, v) {
				h.renderError(w, r, v, http.StatusForbidden,
					"This form expired or came from another site, so nothing was changed. Go back, reload the page and try again.")
				return
			}
		}
		switch {
		case rt.Access == Public:
		case !v.SignedIn():
			h.toSignIn(w, r)
			return
		case rt.Access == Operator && !v.User.Operator:
			h.renderError(w, r, v, http.StatusForbidden, "This page is for the instance's operators.")
			return
		case rt.Access == Member && v.Membership == nil:
			h.renderError(w, r, v, http.StatusForbidden, "You are not a member of any merchant yet. Ask an owner for an invite.")
			return
		case rt.Access == Member && !v.Can(rt.Perm):
			h.renderError(w, r, v, http.StatusForbidden, "Your role ("+string(v.Membership.Role)+") cannot use this page. Ask an owner.")
			return
		}
		if rt.Fresh && !v.Fresh {
			h.toReauth(w, r)
			return
		}
		if err := notText(rt, r); err != nil {
			h.fail(w, r, v, err)
			return
		}
		if err := rt.Handle(w, r, v); err != nil {
			h.fail(w, r, v, err)
		}
	})
}

// toSignIn sends a signed-out browser to the sign-in page (the first-run
// sign-up on an instance without users), coming back to a GET page after.
func (h *Handler) toSignIn(w http.ResponseWriter, r *http.Request) {
	target := "/dashboard/signin"
	if r.Method == http.MethodGet && r.URL.Path != "/dashboard" {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// toReauth asks for the password again before a sensitive page or action.
// A GET comes back to itself; a POST goes back to the page it came from
// (its form is shown again, fresh).
func (h *Handler) toReauth(w http.ResponseWriter, r *http.Request) {
	next := r.URL.RequestURI()
	if r.Method != http.MethodGet {
		next = localPath(r.Header.Get("Referer"), "/dashboard")
	}
	http.Redirect(w, r, "/dashboard/reauth?next="+url.QueryEscape(next), http.StatusSeeOther)
}

// csrfOK is the CSRF rule of every state-changing request: it must come
// from this origin (Origin header, or Sec-Fetch-Site for browsers that send
// no Origin) and carry the synchronizer token of the browser's session (or,
// signed out, of its pre-session cookie) in the csrf_token field.
func (h *Handler) csrfOK(r *http.Request, v *Viewer) bool {
	if o := r.Header.Get("Origin"); o != "" {
		if o != h.origin && o != requestOrigin(r) {
			return false
		}
	} else if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	if mt == "multipart/form-data" {
		r.Body = http.MaxBytesReader(nil, r.Body, MaxUpload)
		err = r.ParseMultipartForm(MaxUpload)
	} else {
		r.Body = http.MaxBytesReader(nil, r.Body, maxForm)
		err = r.ParseForm()
	}
	if err != nil {
		return false
	}
	return session.ValidCSRF(v.csrfSecret, r.PostForm.Get("csrf_token"))
}

// maxForm caps a form body; dashboard forms are small.
const maxForm = 64 << 10

// MaxUpload caps a multipart form (a logo upload) as a whole; a page may
// check its file against a smaller limit of its own.
const MaxUpload = 2 << 20

// requestOrigin is the origin the browser addressed, for instances run
// without --public-url behind their listen address.
func requestOrigin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// fail renders err: a missing object (or another merchant's) is 404, a
// refusal 403, a signed-out request goes to sign-in, anything unexpected is a
// logged 500 that shows no internals.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, v *Viewer, err error) {
	var e *gateway.Error
	switch {
	case errors.Is(err, gateway.ErrNotFound):
		h.renderError(w, r, v, http.StatusNotFound, "There is no such page, or it belongs to another merchant.")
	case errors.Is(err, gateway.ErrUnauthorized):
		h.toSignIn(w, r)
	case errors.As(err, &e) && e.Code == gateway.CodePermissionDenied:
		h.renderError(w, r, v, http.StatusForbidden, e.Message)
	case errors.As(err, &e) && e.Code == gateway.CodeValidation:
		h.renderError(w, r, v, http.StatusUnprocessableEntity, e.Message)
	case errors.As(err, &e) && e.Code == gateway.CodeRateLimited:
		h.renderError(w, r, v, http.StatusTooManyRequests, e.Message)
	default:
		h.log.ErrorContext(r.Context(), "dashboard page failed", "path", r.URL.Path, "err", err)
		h.renderError(w, r, v, http.StatusInternalServerError, "Something went wrong on our side. Try again in a moment.")
	}
}

// throttle counts one attempt under key against limit per minute and returns
// a rate-limited error when it is over. A limiter failure lets the request
// through (and is logged): the password check still stands.
func (h *Handler) throttle(r *http.Request, key string, limit int) error {
	d, err := h.limiter.Allow(r.Context(), "dash:"+key, limit, h.svc.Now())
	if err != nil {
		h.log.WarnContext(r.Context(), "rate limiter failed; allowing request", "err", err)
		return nil
	}
	if !d.Allowed {
		retry := max(1, int((d.Reset+time.Second-1)/time.Second))
		return &gateway.Error{Code: gateway.CodeRateLimited,
			Message: "Too many attempts. Wait " + strconv.Itoa(retry) + " seconds and try again."}
	}
	return nil
}

// localPath returns raw's path and query if it is a dashboard path of this
// site, else def: redirects after sign-in never leave the dashboard.
func localPath(raw, def string) string {
	u, err := url.Parse(raw)
	if err != nil || raw == "" {
		return def
	}
	p := u.EscapedPath()
	if !strings.HasPrefix(p, "/dashboard") || strings.HasPrefix(p, "//") || strings.Contains(p, "\\") {
		return def
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// client is who a request comes from, for sessions and the audit log.
func client(r *http.Request) gateway.Client {
	return gateway.Client{IP: clientIP(r), UserAgent: r.UserAgent()}
}
