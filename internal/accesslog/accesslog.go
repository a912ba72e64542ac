// Package accesslog ends every HTTP request the same way: one log line and
// one observation (for metrics), both by the route's pattern, never by the
// raw path, so no checkout token, id or query string reaches a label or a
// log. Headers and bodies are never looked at. It is std-only, so handlers
// need no metrics library.
package accesslog

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Observe is told of each finished request: its route pattern without the
// method (e.g. "/api/v1/checkout_sessions/{id}"), the method, the status
// and how long it took.
type Observe func(route, method string, code int, d time.Duration)

// Unmatched is the route of requests no pattern matched (404s, 405s), so
// unknown paths never become labels.
const Unmatched = "unmatched"

// Route turns a ServeMux pattern ("GET /checkout/{token}") into the route
// label ("/checkout/{token}"); an empty pattern is Unmatched.
func Route(pattern string) string {
	if pattern == "" {
		return Unmatched
	}
	if _, path, ok := strings.Cut(pattern, " "); ok {
		return path
	}
	return pattern
}

// Method is r's method, or "OTHER" for one no route serves, so clients
// cannot invent label values.
func Method(r *http.Request) string {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return r.Method
	}
	return "OTHER"
}

// Writer remembers the status a handler writes. It unwraps for
// http.ResponseController, so flushing and deadlines (server-sent events)
// still work through it.
type Writer struct {
	http.ResponseWriter
	status int
}

// NewWriter wraps w.
func NewWriter(w http.ResponseWriter) *Writer { return &Writer{ResponseWriter: w} }

// WriteHeader records the first final status.
func (w *Writer) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200.
func (w *Writer) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// FlushError flushes the underlying writer (an implicit 200 if nothing was
// written yet).
func (w *Writer) FlushError() error {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *Writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Status is the status written so far (200 if the handler wrote nothing).
func (w *Writer) Status() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// Entry is one finished request.
type Entry struct {
	RequestID string
	Route     string // from Route: a pattern, never a raw path
	Method    string // from Method
	Status    int
	Duration  time.Duration
	ClientIP  string
	// Quiet logs the line at Debug instead of Info (health probes).
	Quiet bool
}

// Done observes e (if observe is set) and logs it as one line.
func Done(ctx context.Context, log *slog.Logger, observe Observe, e Entry) {
	if observe != nil {
		observe(e.Route, e.Method, e.Status, e.Duration)
	}
	level := slog.LevelInfo
	if e.Quiet {
		level = slog.LevelDebug
	}
	log.LogAttrs(ctx, level, "http request",
		slog.String("request_id", e.RequestID),
		slog.String("method", e.Method),
		slog.String("route", e.Route),
		slog.Int("status", e.Status),
		slog.Float64("duration_ms", float64(e.Duration.Microseconds())/1000),
		slog.String("client_ip", e.ClientIP),
	)
}
