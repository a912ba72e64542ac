package httpapi_test

import (
	"net/http"
	"slices"
	"testing"
)

// TestStrictBodies: a key given twice, a control character or bytes that
// are not UTF-8 anywhere in a body are 422 naming the field, on every
// engine, before anything is stored.
func TestStrictBodies(t *testing.T) {
	e := setup(t, options{})
	const urls = `"success_url":"https://a.b/s","cancel_url":"https://a.b/c"`
	for _, tc := range []struct {
		name, body string
		field      string
	}{
		{"NUL in customer_name", `{"checkout_session":{"amount_cents":5000,` + urls + `,"customer_name":"a\u0000b"}}`, "checkout_session.customer_name"},
		{"NUL in a metadata value", `{"checkout_session":{"amount_cents":5000,` + urls + `,"metadata":{"k":"\u0000"}}}`, "checkout_session.metadata.k"},
		{"NUL in a metadata key", `{"checkout_session":{"amount_cents":5000,` + urls + `,"metadata":{"k\u0000":"v"}}}`, "checkout_session.metadata"},
		{"escape in a line item name", `{"checkout_session":{` + urls + `,"line_items":[{"name":"ok","unit_amount_cents":1,"quantity":1},{"name":"\u001b[31m","unit_amount_cents":1,"quantity":1}]}}`, "checkout_session.line_items[1].name"},
		{"DEL", `{"checkout_session":{"amount_cents":5000,` + urls + `,"customer_name":"\u007f"}}`, "checkout_session.customer_name"},
		{"C1 control", `{"checkout_session":{"amount_cents":5000,` + urls + `,"customer_name":"\u0085"}}`, "checkout_session.customer_name"},
		{"duplicate key", `{"checkout_session":{"amount_cents":5000,"amount_cents":1,` + urls + `}}`, "checkout_session.amount_cents"},
		{"duplicate wrapper", `{"checkout_session":{"amount_cents":5000,` + urls + `},"checkout_session":{}}`, "checkout_session"},
		{"duplicate metadata key", `{"checkout_session":{"amount_cents":5000,` + urls + `,"metadata":{"a":"1","b":"2","a":"3"}}}`, "checkout_session.metadata.a"},
		{"duplicate in an array element", `{"checkout_session":{` + urls + `,"line_items":[{"name":"x","name":"y","unit_amount_cents":1,"quantity":1}]}}`, "checkout_session.line_items[0].name"},
		{"duplicate by escape", `{"checkout_session":{"amount_cents":5000,"amount_\u0063ents":1,` + urls + `}}`, "checkout_session.amount_cents"},
		{"duplicate empty key", `{"checkout_session":{"amount_cents":5000,` + urls + `,"metadata":{"":"1","":"2"}}}`, "checkout_session.metadata."},
		{"not UTF-8", "{\"checkout_session\":{\"amount_cents\":5000," + urls + ",\"customer_name\":\"a\xffb\"}}", "checkout_session.customer_name"},
		{"NUL in a second key", `{"checkout_session":{"amount_cents":5000,` + urls + `,"metadata":{"a":"1","b\u0000":"v"}}}`, "checkout_session.metadata"},
		{"a surrogate pair repeats its character", `{"checkout_session":{"amount_cents":5000,` + urls + `,"metadata":{"\ud83d\ude42":"1","🙂":"2"}}}`, "checkout_session.metadata.🙂"},
		{"lone surrogates repeat U+FFFD", `{"checkout_session":{"amount_cents":5000,` + urls + `,"metadata":{"\ud800":"1","\udbff":"2"}}}`, "checkout_session.metadata.�"},
		{"not UTF-8 in a key", "{\"checkout_session\":{\"amount_cents\":5000," + urls + ",\"metadata\":{\"\xc3\":\"v\"}}}", "checkout_session.metadata"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", "/api/v1/checkout_sessions", e.a.sk(), tc.body)
			if r.status != http.StatusUnprocessableEntity || r.errCode(t) != "validation_error" {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if got := r.detailFields(t); !slices.Equal(got, []string{tc.field}) {
				t.Errorf("fields %q, want [%q]: %s", got, tc.field, r.body)
			}
		})
	}
	if r := e.do("GET", "/api/v1/checkout_sessions", e.a.sk(), nil); r.status != 200 || len(r.obj(t)["data"].([]any)) != 0 {
		t.Errorf("a refused body left a session: %d %s", r.status, r.body)
	}

	// Free text keeps tab, line feed and carriage return, and every other
	// character; the same key in two objects is not a repeat.
	r := e.do("POST", "/api/v1/checkout_sessions", e.a.sk(),
		`{"checkout_session":{"amount_cents":5000,`+urls+`,"customer_name":"Zoë\tA.\r\nB 🙂","metadata":{"name":"x","note":"a\nb"},"line_items":null}}`)
	if r.status != http.StatusCreated {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if got := r.obj(t)["customer_name"]; got != "Zoë\tA.\r\nB 🙂" {
		t.Errorf("customer_name %q", got)
	}
	// An empty key is not a known field either, and the error still names
	// a field (the corpus entry of FuzzCreateCheckoutSession that found it).
	r = e.do("POST", "/api/v1/checkout_sessions", e.a.sk(), `{"checkout_session":{"":1}}`)
	if r.status != http.StatusUnprocessableEntity || !slices.Equal(r.detailFields(t), []string{"body"}) {
		t.Errorf("empty key: %d %s", r.status, r.body)
	}
	r = e.do("POST", "/api/v1/products", e.a.sk(), `{"product":{"name":"Mug","price_cents":100,"description":"a\u0000"}}`)
	if r.status != http.StatusUnprocessableEntity || !slices.Equal(r.detailFields(t), []string{"product.description"}) {
		t.Errorf("product: %d %s", r.status, r.body)
	}
}

// TestStrictPathsAndQueries: an id, cursor or filter that no store could
// hold is 422 naming it, on every engine; a well-formed unknown id stays 404.
func TestStrictPathsAndQueries(t *testing.T) {
	e := setup(t, options{})
	for _, tc := range []struct {
		method, path, field string
	}{
		{"GET", "/api/v1/checkout_sessions/cs_%00abc", "id"},
		{"GET", "/api/v1/checkout_sessions/cs_%FFabc", "id"},
		{"POST", "/api/v1/checkout_sessions/cs_%01/expire", "id"},
		{"GET", "/api/v1/products/prod_%00", "id"},
		{"PATCH", "/api/v1/products/prod_%0A", "id"},
		{"DELETE", "/api/v1/webhooks/we_%00", "id"},
		{"GET", "/api/v1/webhooks/we_%00/deliveries", "id"},
		{"GET", "/api/v1/transactions/txn_%C3", "id"},
		{"GET", "/api/v1/events/evt_%7F", "id"},
		{"POST", "/api/v1/webhook_deliveries/whd_%00/redeliver", "id"},
		{"POST", "/checkout/cs_%00x/simulate_payment", "id"},
		{"GET", "/api/v1/checkout_sessions?starting_after=cs_%00", "starting_after"},
		{"GET", "/api/v1/products?name=a%00", "name"},
		{"GET", "/api/v1/products?q[name_cont]=%FF", "q[name_cont]"},
		{"GET", "/api/v1/products?sku=%09", "sku"},
		{"GET", "/api/v1/transactions?payment_hash=%00", "payment_hash"},
		{"GET", "/api/v1/checkout_sessions?status=%00", "status"},
		{"GET", "/api/v1/events?starting_after=evt_%00", "starting_after"},
		{"GET", "/api/v1/rates?currency=u%00sd", "currency"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			body := ""
			if tc.method == "PATCH" {
				body = `{"product":{"name":"x"}}`
			}
			var r resp
			if body != "" {
				r = e.do(tc.method, tc.path, e.a.sk(), body)
			} else {
				r = e.do(tc.method, tc.path, e.a.sk(), nil)
			}
			if r.status != http.StatusUnprocessableEntity || r.errCode(t) != "validation_error" {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if got := r.detailFields(t); !slices.Equal(got, []string{tc.field}) {
				t.Errorf("fields %q, want [%q]", got, tc.field)
			}
		})
	}
	if r := e.do("GET", "/api/v1/checkout_sessions/cs_abc", e.a.sk(), nil); r.status != http.StatusNotFound {
		t.Errorf("unknown id: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/products?name=%C3%A9", e.a.sk(), nil); r.status != http.StatusOK {
		t.Errorf("UTF-8 filter: %d %s", r.status, r.body)
	}
}

// TestStrictIdempotencyKey: a key that is not text is refused before it is
// stored (PostgreSQL refuses bytes that are not UTF-8).
func TestStrictIdempotencyKey(t *testing.T) {
	e := setup(t, options{})
	r := e.do("POST", "/api/v1/checkout_sessions", e.a.sk(), sessionBody(), "Idempotency-Key", "k\xff")
	if r.status != http.StatusUnprocessableEntity || r.errCode(t) != "idempotency_error" ||
		!slices.Equal(r.detailFields(t), []string{"Idempotency-Key"}) {
		t.Fatalf("%d %s", r.status, r.body)
	}
	r = e.do("POST", "/api/v1/products", e.a.sk(), `{"product":{"name":"Mug","price_cents":100}}`, "Idempotency-Key", "\xc3")
	if r.status != http.StatusUnprocessableEntity || r.errCode(t) != "idempotency_error" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/checkout_sessions", e.a.sk(), sessionBody(), "Idempotency-Key", "clé-1"); r.status != http.StatusCreated {
		t.Fatalf("UTF-8 key: %d %s", r.status, r.body)
	}
}
