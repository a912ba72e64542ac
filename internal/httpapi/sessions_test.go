package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCreateCheckoutSessionSeedFlow(t *testing.T) {
	e := setup(t)
	r := e.do("POST", "/api/v1/checkout_sessions", e.a.sk(), sessionBody())
	if r.status != http.StatusCreated {
		t.Fatalf("%d %s", r.status, r.body)
	}
	// The seed's four fields come first, in the seed's order.
	var keys []string
	dec := json.NewDecoder(strings.NewReader(string(r.body)))
	dec.Token()
	for len(keys) < 4 {
		tok, _ := dec.Token()
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		dec.Decode(&skip)
	}
	if diff := cmp.Diff([]string{"checkout_url", "token", "status", "expires_at"}, keys); diff != "" {
		t.Errorf("first fields (-want +got):\n%s", diff)
	}
	s := r.obj(t)
	id := s["id"].(string)
	want := map[string]any{
		"checkout_url": "https://pay.example.com/checkout/" + id, "token": id, "status": "pending",
		"expires_at": "2026-03-01T12:15:00Z", "object": "checkout_session", "livemode": false,
		"amount_cents": 5000.0, "currency": "usd", "amount_sats": nil, "exchange_rate": nil,
		"payment_request": nil, "payment_hash": nil, "customer_email": "buyer@example.com",
		"success_url": "https://store.com/success", "cancel_url": "https://store.com/cart",
		"metadata": map[string]any{"order_id": "ORD-1234"}, "created_at": "2026-03-01T12:00:00Z",
		"completed_at": nil, "transaction_id": nil, "locale": nil,
	}
	for k, v := range want {
		if !cmp.Equal(s[k], v) {
			t.Errorf("%s = %#v, want %#v", k, s[k], v)
		}
	}
	if !strings.HasPrefix(id, "cs_") || len(id) < 23 {
		t.Errorf("id %q", id)
	}
	g := e.do("GET", "/api/v1/checkout_sessions/"+id, e.a.sk(), nil)
	if g.status != 200 || !cmp.Equal(g.obj(t), s) {
		t.Errorf("GET differs from create:\n%s\n%s", g.body, r.body)
	}
}

// TestCreateCheckoutSessionValidation has one row per rule of SPEC §4; each
// broken field gets exactly one details entry.
func TestCreateCheckoutSessionValidation(t *testing.T) {
	e := setup(t)
	many := map[string]any{}
	for i := range 51 {
		many[fmt.Sprint("k", i)] = "v"
	}
	set := func(k string, v any) func(map[string]any) { return func(m map[string]any) { m[k] = v } }
	del := func(k string) func(map[string]any) { return func(m map[string]any) { delete(m, k) } }
	tests := []struct {
		name   string
		body   any
		status int
		fields []string
	}{
		{"missing amount", sessionBody(del("amount_cents")), 422, []string{"amount_cents"}},
		{"zero amount", sessionBody(set("amount_cents", 0)), 422, []string{"amount_cents"}},
		{"negative amount", sessionBody(set("amount_cents", -5)), 422, []string{"amount_cents"}},
		{"amount over max", sessionBody(set("amount_cents", 100_000_001)), 422, []string{"amount_cents"}},
		{"fractional amount", sessionBody(set("amount_cents", 10.5)), 422, []string{"checkout_session.amount_cents"}},
		{"amount as string", sessionBody(set("amount_cents", "5000")), 422, []string{"checkout_session.amount_cents"}},
		{"unknown currency", sessionBody(set("currency", "xyz")), 422, []string{"currency"}},
		{"unpriced currency", sessionBody(set("currency", "gbp")), 422, []string{"currency"}},
		{"missing success_url", sessionBody(del("success_url")), 422, []string{"success_url"}},
		{"relative success_url", sessionBody(set("success_url", "/done")), 422, []string{"success_url"}},
		{"ftp cancel_url", sessionBody(set("cancel_url", "ftp://store.com/cart")), 422, []string{"cancel_url"}},
		{"javascript cancel_url", sessionBody(set("cancel_url", "javascript:alert(1)")), 422, []string{"cancel_url"}},
		{"both urls missing", sessionBody(del("success_url"), del("cancel_url")), 422, []string{"success_url", "cancel_url"}},
		{"bad email", sessionBody(set("customer_email", "not-an-email")), 422, []string{"customer_email"}},
		{"email with name", sessionBody(set("customer_email", "Bob <bob@example.com>")), 422, []string{"customer_email"}},
		{"too many metadata keys", sessionBody(set("metadata", many)), 422, []string{"metadata"}},
		{"metadata key too long", sessionBody(set("metadata", map[string]any{strings.Repeat("k", 41): "v"})), 422, []string{"metadata." + strings.Repeat("k", 41)}},
		{"metadata value too long", sessionBody(set("metadata", map[string]any{"note": strings.Repeat("v", 501)})), 422, []string{"metadata.note"}},
		{"metadata object value", sessionBody(set("metadata", map[string]any{"nested": map[string]any{"a": 1}})), 422, []string{"metadata.nested"}},
		{"metadata not an object", sessionBody(set("metadata", "x")), 422, []string{"checkout_session.metadata"}},
		{"line items disagree", sessionBody(set("line_items", []any{map[string]any{"name": "Mug", "unit_amount_cents": 1000, "quantity": 2}})), 422, []string{"amount_cents"}},
		{"line item quantity 0", sessionBody(del("amount_cents"), set("line_items", []any{map[string]any{"name": "Mug", "unit_amount_cents": 1000, "quantity": 0}})), 422, []string{"line_items[0].quantity"}},
		{"line item without name", sessionBody(del("amount_cents"), set("line_items", []any{map[string]any{"unit_amount_cents": 1000}})), 422, []string{"line_items[0].name"}},
		{"line item unknown product", sessionBody(del("amount_cents"), set("line_items", []any{map[string]any{"product_id": "prod_nope"}})), 422, []string{"line_items[0].product_id"}},
		{"line item unknown field", sessionBody(set("line_items", []any{map[string]any{"name": "Mug", "price": 1}})), 422, []string{"price"}},
		{"unknown locale", sessionBody(set("locale", "klingon")), 422, []string{"locale"}},
		{"Traditional Chinese locale", sessionBody(set("locale", "zh-TW")), 422, []string{"locale"}},
		{"locale not a string", sessionBody(set("locale", 5)), 422, []string{"checkout_session.locale"}},
		{"unknown field", sessionBody(set("colour", "red")), 422, []string{"colour"}},
		{"unwrapped body", map[string]any{"amount_cents": 5000}, 422, []string{"amount_cents"}},
		{"wrapper missing", map[string]any{}, 422, []string{"checkout_session"}},
		{"wrapper null", map[string]any{"checkout_session": nil}, 422, []string{"checkout_session"}},
		{"malformed JSON", `{"checkout_session": {`, 422, []string{"body"}},
		{"not JSON", `amount=5000`, 422, []string{"body"}},
		{"empty body", ``, 422, []string{"body"}},
		{"two objects", `{"checkout_session": {}} {}`, 422, []string{"body"}},
		{"array body", `[]`, 422, []string{"body"}},
		{"body over 64 KiB", sessionBody(set("customer_name", strings.Repeat("x", 65<<10))), 413, nil},
		{"everything wrong", sessionBody(set("amount_cents", 0), set("currency", "xyz"), del("success_url"), set("customer_email", "x")), 422,
			[]string{"currency", "amount_cents", "customer_email", "success_url"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("POST", "/api/v1/checkout_sessions", e.a.sk(), tt.body)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.status == 422 {
				if r.errCode(t) != "validation_error" {
					t.Errorf("code %q", r.errCode(t))
				}
				got := r.detailFields(t)
				if !cmp.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(tt.fields))) {
					t.Errorf("detail fields %v, want %v: %s", got, tt.fields, r.body)
				}
			}
			if tt.status == 413 && r.errCode(t) != "request_too_large" {
				t.Errorf("code %q", r.errCode(t))
			}
		})
	}
	if l := e.do("GET", "/api/v1/checkout_sessions", e.a.sk(), nil).obj(t); l["meta"].(map[string]any)["total_count"] != 0.0 {
		t.Errorf("a refused request stored a session: %v", l["meta"])
	}
}

func TestCreateWithLineItems(t *testing.T) {
	e := setup(t)
	p := e.do("POST", "/api/v1/products", e.a.sk(), map[string]any{"product": map[string]any{"name": "Coffee Beans", "price_cents": 1800}}).obj(t)
	r := e.do("POST", "/api/v1/checkout_sessions", e.a.sk(), sessionBody(func(m map[string]any) {
		delete(m, "amount_cents")
		m["line_items"] = []any{
			map[string]any{"product_id": p["slug"], "quantity": 2},
			map[string]any{"name": "Shipping", "unit_amount_cents": 499},
		}
	}))
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	s := r.obj(t)
	if s["amount_cents"] != 4099.0 {
		t.Errorf("amount_cents %v, want 4099", s["amount_cents"])
	}
	items := s["line_items"].([]any)
	first := items[0].(map[string]any)
	if len(items) != 2 || first["product_id"] != p["id"] || first["name"] != "Coffee Beans" || first["amount_cents"] != 3600.0 || items[1].(map[string]any)["quantity"] != 1.0 {
		t.Errorf("line_items %s", r.body)
	}
	// A matching explicit amount is accepted.
	if r := e.do("POST", "/api/v1/checkout_sessions", e.a.sk(), sessionBody(func(m map[string]any) {
		m["amount_cents"] = 1800
		m["line_items"] = []any{map[string]any{"product_id": p["id"]}}
	})); r.status != 201 {
		t.Errorf("matching amount: %d %s", r.status, r.body)
	}
	// An archived product can't be sold.
	e.do("PATCH", "/api/v1/products/"+p["id"].(string), e.a.sk(), map[string]any{"product": map[string]any{"status": "archived"}})
	if r := e.do("POST", "/api/v1/checkout_sessions", e.a.sk(), sessionBody(func(m map[string]any) {
		delete(m, "amount_cents")
		m["line_items"] = []any{map[string]any{"product_id": p["id"]}}
	})); r.status != 422 {
		t.Errorf("archived product: %d %s", r.status, r.body)
	}
}

func TestMetadataValuesBecomeStrings(t *testing.T) {
	e := setup(t)
	r := e.do("POST", "/api/v1/checkout_sessions", e.a.sk(), sessionBody(func(m map[string]any) {
		m["metadata"] = map[string]any{"order": 1234, "gift": true, "ref": "A-1"}
	}))
	got := r.obj(t)["metadata"]
	want := map[string]any{"order": "1234", "gift": "true", "ref": "A-1"}
	if r.status != 201 || !cmp.Equal(got, want) {
		t.Fatalf("%d metadata %v", r.status, got)
	}
}

func TestExpireAndGone(t *testing.T) {
	e := setup(t)
	id := e.createSession(e.a, e.a.sk())
	r := e.do("POST", "/api/v1/checkout_sessions/"+id+"/expire", e.a.sk(), nil)
	if r.status != 200 || r.obj(t)["status"] != "expired" || r.obj(t)["expired_at"] == nil {
		t.Fatalf("expire: %d %s", r.status, r.body)
	}
	for _, tc := range []struct{ method, path string }{
		{"GET", "/api/v1/checkout_sessions/" + id},
		{"POST", "/api/v1/checkout_sessions/" + id + "/expire"},
	} {
		g := e.do(tc.method, tc.path, e.a.sk(), nil)
		body := g.obj(t)
		cs, _ := body["checkout_session"].(map[string]any)
		if g.status != 410 || g.errCode(t) != "checkout_expired" || cs["id"] != id || cs["status"] != "expired" {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, g.status, g.body)
		}
	}
	evs, err := e.store.ListEventsForObject(context.Background(), e.svcScope(e.a), id)
	if err != nil || len(evs) != 1 || evs[0].Type != "checkout.expired" {
		t.Fatalf("events %v %v", evs, err)
	}
	var ev map[string]any
	json.Unmarshal(evs[0].Body, &ev)
	if ev["event"] != "checkout.expired" || ev["checkout_id"] != id || ev["id"] != evs[0].ID || ev["livemode"] != false || ev["amount_usd"] != "50.00" {
		t.Errorf("event body %s", evs[0].Body)
	}
	// A completed session can't be expired.
	paid := e.createSession(e.a, e.a.sk())
	e.settle(paid, strings.Repeat("ef", 32), e.clock.Now())
	if r := e.do("POST", "/api/v1/checkout_sessions/"+paid+"/expire", e.a.sk(), nil); r.status != 422 {
		t.Errorf("expire completed: %d %s", r.status, r.body)
	}
}

func TestExpiryByTime(t *testing.T) {
	e := setup(t)
	id := e.createSession(e.a, e.a.sk())
	lazy := e.createSession(e.a, e.a.sk())
	e.clock.Advance(15*time.Minute - time.Second)
	if n, err := e.svc.ExpireDue(context.Background()); err != nil || n != 0 {
		t.Fatalf("before expires_at: %d %v", n, err)
	}
	if r := e.do("GET", "/api/v1/checkout_sessions/"+lazy, e.a.sk(), nil); r.status != 200 {
		t.Fatalf("before expiry: %d", r.status)
	}
	e.clock.Advance(time.Second)
	// A read at expires_at expires the session even before the worker runs.
	if r := e.do("GET", "/api/v1/checkout_sessions/"+lazy, e.a.sk(), nil); r.status != 410 {
		t.Fatalf("at expires_at: %d %s", r.status, r.body)
	}
	n, err := e.svc.ExpireDue(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("worker expired %d (%v), want 1", n, err)
	}
	if n, _ := e.svc.ExpireDue(context.Background()); n != 0 {
		t.Fatalf("second run expired %d more", n)
	}
	for _, s := range []string{id, lazy} {
		evs, _ := e.store.ListEventsForObject(context.Background(), e.svcScope(e.a), s)
		if len(evs) != 1 {
			t.Errorf("%s: %d events, want exactly one checkout.expired", s, len(evs))
		}
	}
}

func TestMerchantCheckoutTTL(t *testing.T) {
	e := setup(t)
	m, keys, err := e.svc.CreateMerchant(context.Background(), gatewayMerchant("Quick", 5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	r := e.do("POST", "/api/v1/checkout_sessions", keys["sk_test"], sessionBody())
	if r.obj(t)["expires_at"] != "2026-03-01T12:05:00Z" {
		t.Fatalf("merchant %s ttl: %s", m.ID, r.body)
	}
}

func TestListCheckoutSessions(t *testing.T) {
	e := setup(t)
	var ids []string
	for range 5 {
		ids = append(ids, e.createSession(e.a, e.a.sk()))
		e.clock.Advance(time.Minute)
	}
	e.do("POST", "/api/v1/checkout_sessions/"+ids[1]+"/expire", e.a.sk(), nil)
	list := func(q string) ([]string, map[string]any, bool) {
		t.Helper()
		r := e.do("GET", "/api/v1/checkout_sessions"+q, e.a.sk(), nil)
		if r.status != 200 {
			t.Fatalf("GET %s: %d %s", q, r.status, r.body)
		}
		o := r.obj(t)
		var got []string
		for _, d := range o["data"].([]any) {
			got = append(got, d.(map[string]any)["id"].(string))
		}
		return got, o["meta"].(map[string]any), o["has_more"].(bool)
	}
	got, meta, more := list("")
	if !cmp.Equal(got, []string{ids[4], ids[3], ids[2], ids[1], ids[0]}) || meta["total_count"] != 5.0 || more {
		t.Errorf("newest first: %v %v", got, meta)
	}
	got, meta, more = list("?per_page=2&page=2")
	if !cmp.Equal(got, []string{ids[2], ids[1]}) || !more || meta["total_pages"] != 3.0 || meta["current_page"] != 2.0 || meta["per_page"] != 2.0 {
		t.Errorf("page 2: %v %v %v", got, meta, more)
	}
	if got, _, _ = list("?per_page=2&starting_after=" + ids[3]); !cmp.Equal(got, []string{ids[2], ids[1]}) {
		t.Errorf("starting_after: %v", got)
	}
	for _, q := range []string{"?status=expired", "?q[status_eq]=expired"} {
		if got, _, _ = list(q); !cmp.Equal(got, []string{ids[1]}) {
			t.Errorf("%s: %v", q, got)
		}
	}
	cases := map[string][]string{
		"?created_after=2026-03-01T12:02:00Z":       {ids[4], ids[3]},
		"?q[created_at_gteq]=2026-03-01T12:02:00Z":  {ids[4], ids[3], ids[2]},
		"?created_before=2026-03-01T12:02:00Z":      {ids[1], ids[0]},
		"?q[created_at_lteq]=2026-03-01T12:02:00Z":  {ids[2], ids[1], ids[0]},
		"?created_after=1772366400&status=pending":  {ids[4], ids[3], ids[2]},
		"?created_before=2026-03-01":                nil,
		"?q[created_at_gteq]=2026-03-01&per_page=1": {ids[4]},
	}
	for q, want := range cases {
		if got, _, _ := list(q); !cmp.Equal(got, want) {
			t.Errorf("%s: %v, want %v", q, got, want)
		}
	}
	for _, q := range []string{"?status=paid", "?q[status_eq]=done", "?created_after=yesterday", "?per_page=101", "?per_page=0", "?page=-1", "?colour=red", "?q[amount_gt]=5", "?starting_after=cs_nope"} {
		r := e.do("GET", "/api/v1/checkout_sessions"+q, e.a.sk(), nil)
		if r.status != 422 || len(r.detailFields(t)) != 1 {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
}

func TestRates(t *testing.T) {
	e := setup(t)
	r := e.do("GET", "/api/v1/rates", e.a.pk(), nil)
	o := r.obj(t)
	if r.status != 200 || o["btc_price"] != "65000.00" || o["sats_per_unit"] != "1538.46" || o["source"] != "fixed" || o["currency"] != "usd" || o["object"] != "rate" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if o := e.do("GET", "/api/v1/rates?currency=eur", e.a.sk(), nil).obj(t); o["btc_price"] != "60000.50" || o["currency"] != "eur" {
		t.Fatalf("eur: %v", o)
	}
	// A code in any case is the currency it names (ISO 4217 codes are upper
	// case; satsrail's are lower).
	for _, q := range []string{"?currency=USD", "?currency=Usd", "?currency=%20usd"} {
		if o := e.do("GET", "/api/v1/rates"+q, e.a.sk(), nil).obj(t); o["currency"] != "usd" || o["btc_price"] != "65000.00" {
			t.Errorf("%s: %v", q, o)
		}
	}
	for _, q := range []string{"?currency=xyz", "?currency=btc", "?currency=gbp", "?currency=us", "?cur=usd"} {
		if r := e.do("GET", "/api/v1/rates"+q, e.a.sk(), nil); r.status != 422 {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
}

func TestNoPriceMeans503(t *testing.T) {
	e := setup(t, options{noRates: true})
	for _, tc := range []struct {
		method, path string
		body         any
	}{{"GET", "/api/v1/rates", nil}, {"POST", "/api/v1/checkout_sessions", sessionBody()}} {
		r := e.do(tc.method, tc.path, e.a.sk(), tc.body)
		if r.status != 503 || r.errCode(t) != "rate_unavailable" {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, r.status, r.body)
		}
	}
}

// TestCheckoutSessionLocale: the session's locale is stored in its
// canonical form, returned by create, GET and the list, and null when
// none was given (the page then follows the customer's browser).
func TestCheckoutSessionLocale(t *testing.T) {
	e := setup(t)
	for give, want := range map[string]any{"pt_br": "pt-BR", "AR": "ar", "zh-CN": "zh-Hans", "es-MX": "es", "": nil} {
		body := sessionBody(func(m map[string]any) { m["locale"] = give })
		if give == "" {
			body = sessionBody()
		}
		r := e.do("POST", "/api/v1/checkout_sessions", e.a.sk(), body)
		if r.status != http.StatusCreated {
			t.Fatalf("locale %q: %d %s", give, r.status, r.body)
		}
		s := r.obj(t)
		if s["locale"] != want {
			t.Errorf("create with locale %q returned %#v, want %#v", give, s["locale"], want)
		}
		g := e.do("GET", "/api/v1/checkout_sessions/"+s["id"].(string), e.a.sk(), nil)
		if got := g.obj(t)["locale"]; got != want {
			t.Errorf("GET after locale %q: %#v, want %#v", give, got, want)
		}
	}
}
