// Package httpapi serves satsrail's merchant JSON API: one routes() table,
// authentication, rate limits, idempotency, and the one place (writeError)
// that turns errors into HTTP statuses.
package httpapi

import (
	"cmp"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/satsrail/satsrail/internal/accesslog"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/ratelimit"
)

// Limiter counts requests per key per minute. ratelimit.Memory is one; a
// shared one serves many nodes.
type Limiter interface {
	Allow(ctx context.Context, key string, limit int, now time.Time) (ratelimit.Decision, error)
}

// Config configures the API server; zero fields mean defaults.
type Config struct {
	Service *gateway.Service
	Logger  *slog.Logger
	// PublicURL is the base of checkout_url, e.g. "https://pay.example.com".
	PublicURL string
	Limiter   Limiter
	// PublicRateLimit is the per-IP limit per minute on unauthenticated
	// requests (default 120).
	PublicRateLimit int
	// MaxBodyBytes caps request bodies (default 64 KiB).
	MaxBodyBytes int64
	// Readiness reports each dependency's state for /readyz: a nil error
	// is ready. Nil means always ready.
	Readiness func(ctx context.Context) map[string]error
	// Observe, if set, is told of every request by route pattern (never
	// the raw path), method, status and duration: the metrics hook.
	Observe accesslog.Observe
}

// Server is the HTTP API.
type Server struct {
	svc       *gateway.Service
	log       *slog.Logger
	publicURL string
	limiter   Limiter
	ipLimit   int
	maxBody   int64
	mux       *http.ServeMux
	patterns  []string
	readiness func(ctx context.Context) map[string]error
	observe   accesslog.Observe
}

// New builds the server and its routes.
func New(cfg Config) *Server {
	s := &Server{
		svc:       cfg.Service,
		log:       cmp.Or(cfg.Logger, slog.New(slog.NewTextHandler(io.Discard, nil))),
		publicURL: strings.TrimRight(cfg.PublicURL, "/"),
		limiter:   cfg.Limiter,
		ipLimit:   cmp.Or(cfg.PublicRateLimit, 120),
		maxBody:   cmp.Or(cfg.MaxBodyBytes, 64<<10),
		mux:       http.NewServeMux(),
		readiness: cfg.Readiness,
		observe:   cfg.Observe,
	}
	if s.limiter == nil {
		s.limiter = ratelimit.NewMemory()
	}
	s.routes()
	return s
}

// ServeHTTP gives every request a Request-Id, recovers panics, answers
// unknown routes and methods in the JSON error shape, and ends each request
// with one access-log line and one observation, by route pattern.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rid := gateway.NewID(gateway.PrefixRequest)
	w.Header().Set("Request-Id", rid)
	r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, rid))
	_, pattern := s.mux.Handler(r)
	aw := accesslog.NewWriter(w)
	w = aw
	defer func() {
		route := accesslog.Route(pattern)
		accesslog.Done(r.Context(), s.log, s.observe, accesslog.Entry{
			RequestID: rid, Route: route, Method: accesslog.Method(r), Status: aw.Status(),
			Duration: time.Since(start), ClientIP: clientIP(r), Quiet: route == "/healthz" || route == "/readyz",
		})
	}()
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "panic in handler", "request_id", rid, "panic", v, "path", r.URL.Path)
			s.writeError(w, r, gateway.Errorf(gateway.CodeInternal, "panic"))
		}
	}()
	if pattern == "" {
		s.noRoute(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

type requestIDKey struct{}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// noRoute answers 405 when the path exists for another method, else 404.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := s.mux.Handler(probe); p != "" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 && r.Method != http.MethodOptions {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		s.writeError(w, r, &gateway.Error{Code: codeMethodNotAllowed,
			Message: r.Method + " is not allowed here; use " + strings.Join(allowed, ", ") + "."})
		return
	}
	s.writeError(w, r, &gateway.Error{Code: gateway.CodeNotFound, Message: "No such route: " + r.Method + " " + r.URL.Path})
}

// codeMethodNotAllowed is an HTTP-level code the domain never produces.
const codeMethodNotAllowed gateway.Code = "method_not_allowed"
