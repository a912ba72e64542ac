package httpapi_test

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/httpapi"
)

// FuzzCreateCheckoutSession: no client input makes the API answer 5xx (503
// aside, which means no price) or break the error envelope. The seeds run in
// every `go test`; `go test -fuzz FuzzCreateCheckoutSession` explores more.
func FuzzCreateCheckoutSession(f *testing.F) {
	for _, seed := range []string{
		`{"checkout_session":{"amount_cents":5000,"success_url":"https://a.b/s","cancel_url":"https://a.b/c"}}`,
		`{"checkout_session":{"amount_cents":9223372036854775807,"success_url":"https://a.b/s","cancel_url":"https://a.b/c"}}`,
		`{"checkout_session":{"line_items":[{"name":"x","unit_amount_cents":1099511627776,"quantity":1000000}],"success_url":"https://a.b/s","cancel_url":"https://a.b/c"}}`,
		`{"checkout_session":{"amount_cents":1,"currency":"\u0000","success_url":"http://[::1]:80/","cancel_url":"http://%zz"}}`,
		`{"checkout_session":{"metadata":{"\ud800":"x"},"customer_email":"@"}}`,
		`{"checkout_session":{"line_items":[{"product_id":"../../etc"},{"product_id":""}]}}`,
		`{"checkout_session":[]}`, `null`, `"x"`, `{"checkout_session":{"amount_cents":1e400}}`, "\xff\xfe", `{`,
	} {
		f.Add(seed)
	}
	e := setup(f)
	f.Fuzz(func(t *testing.T, body string) {
		e.t = t
		r := e.do("POST", "/api/v1/checkout_sessions", e.a.sk(), body)
		if r.status >= 500 && r.status != http.StatusServiceUnavailable {
			t.Fatalf("%d for %q: %s", r.status, body, r.body)
		}
	})
}

// FuzzIdempotencyKey sends a create twice under any Idempotency-Key the
// HTTP client can send, with any body. Beyond never answering 5xx: a first
// 201 is replayed the second time (200, Idempotent-Replayed: true, the same
// body); a first refusal is refused again the same way; a key that is not
// text or longer than 255 bytes is 422 idempotency_error naming the header
// before anything is stored.
func FuzzIdempotencyKey(f *testing.F) {
	for _, s := range []struct{ key, body string }{
		{"order-1234", `{"product":{"name":"Mug","price_cents":1500}}`},
		{"clé", `{"product":{"name":"Mug","price_cents":1500}}`},
		{"k\xff", `{"product":{"name":"Mug","price_cents":1500}}`},
		{strings.Repeat("k", 256), `{"product":{"name":"Mug","price_cents":1500}}`},
		{"k\u0085", `{"product":{"name":"Mug"}}`},
		{"same", `{"product":{"name":"Mug","price_cents":1500,"name":"Cup"}}`},
		{" padded ", `{"product":{"name":"a\u0000","price_cents":1}}`},
	} {
		f.Add(s.key, s.body)
	}
	e := setup(f, options{rateLimit: 1 << 30})
	n := 0
	f.Fuzz(func(t *testing.T, key, body string) {
		e.t = t
		n++
		// Each input gets keys of its own: an earlier input's record under
		// the same key would make this one a mismatch, rightly.
		key = key + "#" + strconv.Itoa(n)
		req := func() (*http.Response, []byte, bool) {
			r, err := http.NewRequest("POST", e.url+"/api/v1/products", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			r.Header.Set("Authorization", "Bearer "+e.a.sk())
			r.Header["Idempotency-Key"] = []string{key}
			res, err := http.DefaultClient.Do(r)
			if err != nil {
				return nil, nil, false // a header value the client will not send
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res, b, true
		}
		first, b1, ok := req()
		if !ok {
			return
		}
		second, b2, _ := req()
		if first.StatusCode >= 500 || second.StatusCode >= 500 {
			t.Fatalf("key %q body %q: %d then %d: %s", key, body, first.StatusCode, second.StatusCode, b2)
		}
		k := strings.TrimSpace(key) // as net/http reads the header
		if gateway.TextProblem(k, false) != "" || len(k) > httpapi.MaxIdempotencyKeyLen {
			if first.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(b1), `"idempotency_error"`) ||
				!strings.Contains(string(b1), `"field":"Idempotency-Key"`) {
				t.Fatalf("key %q: %d %s", key, first.StatusCode, b1)
			}
			return
		}
		switch {
		case first.StatusCode == http.StatusCreated:
			if second.StatusCode != http.StatusOK || second.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(b1, b2) {
				t.Fatalf("key %q: 201 then %d %q:\n%s\n%s", key, second.StatusCode, second.Header.Get("Idempotent-Replayed"), b1, b2)
			}
		case second.StatusCode != first.StatusCode:
			t.Fatalf("key %q body %q: %d then %d", key, body, first.StatusCode, second.StatusCode)
		}
	})
}
