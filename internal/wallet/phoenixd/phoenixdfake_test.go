package phoenixd_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestFakeTraps checks that the fake phoenixd answers as phoenixd does
// where naive clients break (reference §6, §12; phoenixd's Api.kt), so the
// client's tests against it mean something.
func TestFakeTraps(t *testing.T) {
	s := newSetup(t)
	do := func(method, path, user, password, contentType, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, s.fake.URL+path, strings.NewReader(body))
		if password != "" {
			req.SetBasicAuth(user, password)
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	const form = "application/x-www-form-urlencoded"
	lim := s.fake.LimitedPassword
	good := url.Values{"amountSat": {"5"}, "description": {"traps"}, "externalId": {"cs_trap"}}.Encode()
	for _, c := range []struct {
		name                         string
		method, path, user, password string
		contentType, body            string
		status                       int
		text                         string
	}{
		{"any user name", "GET", "/getinfo", "whoever", lim, "", "", 200, `"chain":"regtest"`},
		{"no password", "GET", "/getinfo", "", "", "", "", 401, "Invalid authentication"},
		{"wrong password", "GET", "/getinfo", "", "nope", "", "", 401, "Invalid authentication"},
		{"limited cannot pay", "POST", "/payinvoice", "", lim, form, "invoice=lnbc1", 401, "Invalid authentication"},
		{"full gets past the password", "POST", "/lnurlauth", "", s.fake.FullPassword, form, "", 400, "lnurl"},
		{"unknown endpoint", "GET", "/nosuch", "", lim, "", "", 404, "Unknown endpoint"},
		{"unknown payment", "GET", "/payments/incoming/" + strings.Repeat("ab", 32), "", lim, "", "", 404, "Not found"},
		{"JSON is not a form", "POST", "/createinvoice", "", lim, "application/json", `{"amountSat":5,"description":"x"}`, 400, "description"},
		{"128 characters at most", "POST", "/createinvoice", "", lim, form, "description=" + strings.Repeat("x", 129), 400, "too long"},
		{"whole satoshis", "POST", "/createinvoice", "", lim, form, "amountSat=1.5&description=x", 400, "amountSat"},
		{"a form", "POST", "/createinvoice", "", lim, form, good, 200, `"serialized":"lnbcrt50n1`},
	} {
		status, body := do(c.method, c.path, c.user, c.password, c.contentType, c.body)
		if status != c.status || !strings.Contains(body, c.text) {
			t.Errorf("%s: %d %q, want %d with %q", c.name, status, body, c.status, c.text)
		}
	}
	// The preimage is there before the invoice is paid.
	_, created := do("POST", "/createinvoice", "", lim, form, good)
	var inv struct{ PaymentHash string }
	json.Unmarshal([]byte(created), &inv)
	_, body := do("GET", "/payments/incoming/"+inv.PaymentHash, "", lim, "", "")
	var p map[string]any
	json.Unmarshal([]byte(body), &p)
	if p["isPaid"] != false || len(p["preimage"].(string)) != 64 || p["externalId"] != "cs_trap" || p["requestedSat"] != 5.0 {
		t.Errorf("unpaid incoming payment: %v", p)
	}
}
