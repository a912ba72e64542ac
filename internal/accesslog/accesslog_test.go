package accesslog

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRouteAndMethod(t *testing.T) {
	for pattern, want := range map[string]string{
		"GET /checkout/{token}": "/checkout/{token}",
		"/static/checkout/":     "/static/checkout/",
		"":                      Unmatched,
	} {
		if got := Route(pattern); got != want {
			t.Errorf("Route(%q) = %q, want %q", pattern, got, want)
		}
	}
	if got := Method(httptest.NewRequest("BREW", "/", nil)); got != "OTHER" {
		t.Errorf("Method(BREW) = %q", got)
	}
	if got := Method(httptest.NewRequest("PATCH", "/", nil)); got != "PATCH" {
		t.Errorf("Method(PATCH) = %q", got)
	}
}

func TestWriter(t *testing.T) {
	rec := httptest.NewRecorder()
	w := NewWriter(rec)
	if w.Status() != 200 {
		t.Fatalf("nothing written: %d", w.Status())
	}
	w.WriteHeader(http.StatusTeapot)
	w.WriteHeader(http.StatusOK) // superfluous: the first status stands
	if w.Status() != http.StatusTeapot {
		t.Fatalf("status %d", w.Status())
	}
	// Server-sent events flush through it.
	sse := NewWriter(httptest.NewRecorder())
	if err := http.NewResponseController(sse).Flush(); err != nil || sse.Status() != 200 {
		t.Fatalf("flush: %v, status %d", err, sse.Status())
	}
}
