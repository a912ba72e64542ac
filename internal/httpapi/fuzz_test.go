package httpapi_test

import (
	"net/http"
	"testing"
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
