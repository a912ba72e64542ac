package httpapi

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// handler answers one API call with a status and a body to encode as JSON.
type handler func(c *call) (status int, body any, err error)

// call is one authenticated API request.
type call struct {
	w     http.ResponseWriter
	r     *http.Request
	p     *gateway.Principal
	scope gateway.Scope
	route route
}

// api wraps a route in the checks of SPEC §2, in the seed's order: validate
// the key, check rate limits, then (in the handler) validate the payload.
func (s *Server) api(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := s.svc.Now()
		p, err := s.svc.Authenticate(r.Context(), bearer(r))
		if err != nil {
			// Unauthenticated callers are limited per IP, which also slows
			// key guessing.
			if s.limit(w, r, "ip:"+clientIP(r), s.ipLimit, now) {
				s.writeError(w, r, err)
			}
			return
		}
		if !s.limit(w, r, "key:"+p.Key.ID, s.svc.RateLimitPerMinute(&p.Merchant), now) {
			return
		}
		if p.Key.Kind == gateway.KeyPublishable {
			if rt.access == secretKey {
				s.writeError(w, r, gateway.Errorf(gateway.CodePermissionDenied,
					"A publishable key may only create checkout sessions and read rates; use a secret key (sk_...) from your server."))
				return
			}
			// A browser's call (it sends Origin) is served, and readable
			// by the page, only from an origin the merchant allowed: a
			// publishable key copied onto another site is refused there.
			if origin := r.Header.Get("Origin"); origin != "" {
				if !p.Merchant.OriginAllowed(origin, p.Key.Mode) {
					why := "is not one of this merchant's allowed origins for " + string(p.Key.Mode) + " mode"
					if len(p.Merchant.AllowedOrigins) == 0 {
						why = "cannot use this key: a publishable key works in web pages only on the merchant's allowed origins, and this merchant has none"
					}
					s.writeError(w, r, gateway.Errorf(gateway.CodePermissionDenied,
						"Origin %.100q %s; add it to allowed_origins (PATCH /merchant or Dashboard → Settings).", origin, why))
					return
				}
				allowCORS(w, origin)
			}
		}
		r.Body = http.MaxBytesReader(w, r.Body, rt.bodyLimit(s.maxBody))
		c := &call{w: w, r: r, p: p, scope: p.Scope(), route: rt}
		// An id no store could hold (a NUL is an error on PostgreSQL, a
		// miss on SQLite) is refused here, the same on both.
		if msg := cleanText(r.PathValue("id")); msg != "" {
			s.writeError(w, r, invalid("id", msg))
			return
		}
		if key := r.Header.Get("Idempotency-Key"); key != "" && r.Method == http.MethodPost {
			s.idempotent(c, key, now)
			return
		}
		status, body, err := rt.handle(c)
		s.respond(w, r, status, body, err)
	})
}

// public wraps an unauthenticated route in the per-IP limit.
func (s *Server) public(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.limit(w, r, "ip:"+clientIP(r), s.ipLimit, s.svc.Now()) {
			return
		}
		status, body, err := h(&call{w: w, r: r})
		s.respond(w, r, status, body, err)
	})
}

func (s *Server) respond(w http.ResponseWriter, r *http.Request, status int, body any, err error) {
	switch {
	case err != nil:
		s.writeError(w, r, err)
	case status == 0:
		// the handler wrote the response itself
	case status == http.StatusNoContent:
		w.WriteHeader(status)
	default:
		writeJSON(w, status, body)
	}
}

// limit counts the request and sets the RateLimit-* headers; when the limit is
// reached it writes the 429 and returns false. A failing limiter lets the
// request through: rate limits protect the service, they must not stop it.
func (s *Server) limit(w http.ResponseWriter, r *http.Request, key string, limit int, now time.Time) bool {
	d, err := s.limiter.Allow(r.Context(), key, limit, now)
	if err != nil {
		s.log.WarnContext(r.Context(), "rate limiter failed; allowing request", "request_id", requestID(r.Context()), "err", err)
		return true
	}
	reset := int((d.Reset + time.Second - 1) / time.Second)
	h := w.Header()
	h.Set("RateLimit-Limit", strconv.Itoa(d.Limit))
	h.Set("RateLimit-Remaining", strconv.Itoa(d.Remaining))
	h.Set("RateLimit-Reset", strconv.Itoa(reset))
	if d.Allowed {
		return true
	}
	h.Set("Retry-After", strconv.Itoa(max(reset, 1)))
	s.writeError(w, r, gateway.Errorf(gateway.CodeRateLimited,
		"Too many requests: the limit is %d per minute. Retry after %d seconds.", d.Limit, max(reset, 1)))
	return false
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// allowCORS lets a browser page on origin read the answer to a publishable
// key's call; the caller has checked origin against the merchant's allowed
// origins.
func allowCORS(w http.ResponseWriter, origin string) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	h.Set("Access-Control-Expose-Headers", "Request-Id, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After, Idempotent-Replayed")
}

// preflight answers CORS preflight for POST /checkout_sessions. A preflight
// carries no key, so it cannot know the merchant: it lets the request be
// sent, and the request itself is refused (403, unreadable to the page)
// unless its Origin is one the key's merchant allowed.
func (s *Server) preflight(w http.ResponseWriter, r *http.Request) {
	if origin := r.Header.Get("Origin"); origin != "" && gateway.URLOrigin(origin) == origin {
		allowCORS(w, origin)
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "POST")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Idempotency-Key")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

// tooLarge reports whether err came from the body limit.
func tooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}
