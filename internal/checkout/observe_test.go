package checkout_test

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/checkout"
	"github.com/satsrail/satsrail/internal/gateway"
)

// TestObservePages: page requests are observed and logged by pattern; the
// session token in the path never reaches a label or the log.
func TestObservePages(t *testing.T) {
	e := setup(t)
	sess := e.session(gateway.ModeTest)
	var got []string
	var logs bytes.Buffer
	pages := checkout.New(checkout.Config{Service: e.svc, Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
		Observe: func(route, method string, code int, _ time.Duration) {
			got = append(got, method+" "+route+" "+strconv.Itoa(code))
		}})
	for _, target := range []string{"/checkout/" + sess.ID, "/checkout/" + sess.ID + "/status", "/checkout/cs_unknown", "/static/checkout/nope.css"} {
		rec := httptest.NewRecorder()
		pages.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		if !strings.HasPrefix(rec.Header().Get("Request-Id"), "req_") {
			t.Errorf("%s: no Request-Id", target)
		}
	}
	want := []string{"GET /checkout/{token} 200", "GET /checkout/{token}/status 200", "GET /checkout/{token} 404", "GET /static/checkout/ 404"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("observed %q, want %q", got, want)
	}
	if n := strings.Count(logs.String(), `"msg":"http request"`); n != 4 {
		t.Errorf("%d access lines, want 4:\n%s", n, logs.String())
	}
	for _, leak := range []string{sess.ID, "cs_unknown", "nope.css"} {
		if strings.Contains(logs.String(), leak) {
			t.Errorf("log shows %q:\n%s", leak, logs.String())
		}
	}
}
