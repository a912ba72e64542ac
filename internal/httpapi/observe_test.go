package httpapi_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/satsrail/satsrail/internal/httpapi"
)

type observed struct {
	route, method string
	code          int
}

// TestObserveAndAccessLog: every request is observed and logged once by its
// route pattern, never by the raw path (ids, tokens) or query, and the log
// line carries the request id but no key.
func TestObserveAndAccessLog(t *testing.T) {
	e := setup(t)
	var got []observed
	var logs bytes.Buffer
	api := httpapi.New(httpapi.Config{
		Service: e.svc, PublicURL: "https://pay.example.com",
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Observe: func(route, method string, code int, d time.Duration) {
			if d < 0 {
				t.Errorf("negative duration %s", d)
			}
			got = append(got, observed{route, method, code})
		},
	})
	// ServeHTTP is called directly: the observation is made before it returns.
	serve := func(method, target, key string, body string) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		req.RemoteAddr = "203.0.113.7:5555"
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		return rec
	}

	rec := serve("POST", "/api/v1/checkout_sessions", e.a.sk(), `{"checkout_session":{"amount_cents":5000,"currency":"usd","success_url":"https://s.example/ok","cancel_url":"https://s.example/cart"}}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	var sess struct{ ID string }
	json.Unmarshal(rec.Body.Bytes(), &sess)
	createRID := rec.Header().Get("Request-Id")

	serve("GET", "/api/v1/checkout_sessions/"+sess.ID, e.a.sk(), "")
	serve("GET", "/api/v1/m/checkout_sessions/cs_doesnotexist?expand=secret_query", e.a.sk(), "")
	serve("GET", "/api/v1/checkout_sessions?limit=1&token=secret_query", "", "") // no key: 401
	serve("GET", "/no/such/path/cs_raw", e.a.sk(), "")
	serve("BREW", "/api/v1/checkout_sessions", e.a.sk(), "")
	serve("GET", "/healthz", "", "")

	want := []observed{
		{"/api/v1/checkout_sessions", "POST", 201},
		{"/api/v1/checkout_sessions/{id}", "GET", 200},
		{"/api/v1/m/checkout_sessions/{id}", "GET", 404},
		{"/api/v1/checkout_sessions", "GET", 401},
		{"unmatched", "GET", 404},
		{"unmatched", "OTHER", 405},
		{"/healthz", "GET", 200},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(observed{})); diff != "" {
		t.Errorf("observations (-want +got):\n%s", diff)
	}

	// One Info line per request except the health probe (Debug).
	var lines []map[string]any
	for line := range strings.Lines(logs.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %v\n%s", err, line)
		}
		if m["msg"] == "http request" {
			lines = append(lines, m)
		}
	}
	if len(lines) != len(want)-1 {
		t.Fatalf("%d access-log lines, want %d:\n%s", len(lines), len(want)-1, logs.String())
	}
	first := lines[0]
	if first["request_id"] != createRID || first["method"] != "POST" || first["route"] != "/api/v1/checkout_sessions" ||
		first["status"] != 201.0 || first["client_ip"] != "203.0.113.7" || first["duration_ms"] == nil || first["level"] != "INFO" {
		t.Errorf("access line: %v", first)
	}
	for _, secret := range []string{e.a.sk(), "Bearer", sess.ID, "cs_doesnotexist", "secret_query", "cs_raw"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log shows %q:\n%s", secret, logs.String())
		}
	}
}
