package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// endpoint is one API call used by the table-driven auth and isolation tests.
type endpoint struct {
	method, path string
	body         any
	pkAllowed    bool
}

// endpoints lists every merchant endpoint with ids from merchant a's test mode.
func (e *env) endpoints() []endpoint {
	sess := e.createSession(e.a, e.a.sk())
	paid := e.createSession(e.a, e.a.sk())
	tx := e.settle(paid, strings.Repeat("cd", 32), e.clock.Now())
	r := e.do("POST", "/api/v1/products", e.a.sk(), map[string]any{"product": map[string]any{"name": "Mug", "price_cents": 1200}})
	if r.status != http.StatusCreated {
		e.t.Fatalf("create product: %d %s", r.status, r.body)
	}
	prod := r.obj(e.t)["id"].(string)
	return []endpoint{
		{"POST", "/checkout_sessions", sessionBody(), true},
		{"GET", "/checkout_sessions", nil, false},
		{"GET", "/checkout_sessions/" + sess, nil, false},
		{"POST", "/checkout_sessions/" + sess + "/expire", nil, false},
		{"GET", "/products", nil, false},
		{"POST", "/products", map[string]any{"product": map[string]any{"name": "Tea", "price_cents": 300}}, false},
		{"GET", "/products/" + prod, nil, false},
		{"PATCH", "/products/" + prod, map[string]any{"product": map[string]any{"name": "Big mug"}}, false},
		{"DELETE", "/products/" + prod, nil, false},
		{"GET", "/transactions", nil, false},
		{"GET", "/transactions/" + tx, nil, false},
		{"GET", "/rates", nil, true},
		{"GET", "/merchant", nil, false},
	}
}

func TestAuthOnEveryEndpoint(t *testing.T) {
	e := setup(t)
	e.allowStore(e.a)
	for _, ep := range e.endpoints() {
		for _, base := range []string{"/api/v1", "/api/v1/m"} {
			path := base + ep.path
			t.Run(ep.method+" "+path, func(t *testing.T) {
				for _, key := range []string{"", "sk_test_nope", "garbage", "sk_live_" + strings.Repeat("x", 32)} {
					r := e.do(ep.method, path, key, ep.body)
					if r.status != http.StatusUnauthorized || r.errCode(t) != "unauthorized" {
						t.Errorf("key %q: %d %s, want 401 unauthorized", key, r.status, r.body)
					}
				}
				r := e.do(ep.method, path, e.a.pk(), ep.body)
				if ep.pkAllowed {
					if r.status >= 400 {
						t.Errorf("publishable key refused: %d %s", r.status, r.body)
					}
				} else if r.status != http.StatusForbidden || r.errCode(t) != "permission_denied" {
					t.Errorf("publishable key: %d %s, want 403 permission_denied", r.status, r.body)
				}
			})
		}
	}
}

func TestRevokedKeyIsUnauthorized(t *testing.T) {
	e := setup(t)
	old := e.a.sk()
	if _, err := e.svc.RollKey(t.Context(), e.a.id, "sk_test"); err != nil {
		t.Fatal(err)
	}
	if r := e.do("GET", "/api/v1/merchant", old, nil); r.status != http.StatusUnauthorized {
		t.Fatalf("rolled key: %d, want 401", r.status)
	}
}

// TestIsolation: another merchant's objects, and the other mode's, are 404.
func TestIsolation(t *testing.T) {
	e := setup(t)
	for _, ep := range e.endpoints() {
		if !strings.Contains(strings.TrimPrefix(ep.path, "/"), "/") {
			continue // collection routes: covered by TestListIsolation
		}
		for name, key := range map[string]string{"other merchant": e.b.sk(), "live mode": e.a.keys["sk_live"]} {
			t.Run(fmt.Sprintf("%s %s as %s", ep.method, ep.path, name), func(t *testing.T) {
				r := e.do(ep.method, "/api/v1"+ep.path, key, ep.body)
				if r.status != http.StatusNotFound || r.errCode(t) != "not_found" {
					t.Errorf("%d %s, want 404 not_found", r.status, r.body)
				}
			})
		}
	}
}

func TestListIsolation(t *testing.T) {
	e := setup(t)
	e.endpoints() // fills merchant a's test mode
	for _, path := range []string{"/api/v1/checkout_sessions", "/api/v1/products", "/api/v1/transactions"} {
		for name, key := range map[string]string{"other merchant": e.b.sk(), "live mode": e.a.keys["sk_live"], "owner": e.a.sk()} {
			r := e.do("GET", path, key, nil)
			n := len(r.obj(t)["data"].([]any))
			if (name == "owner") != (n > 0) {
				t.Errorf("GET %s as %s: %d objects", path, name, n)
			}
		}
	}
}

func TestMerchant(t *testing.T) {
	e := setup(t)
	r := e.do("GET", "/api/v1/m/merchant", e.a.keys["sk_live"], nil)
	m := r.obj(t)
	if r.status != 200 || m["id"] != e.a.id || m["livemode"] != true || m["name"] != "Alice's Shop" || m["rate_limit_per_minute"] != 600.0 || m["checkout_ttl_seconds"] != 900.0 {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	e := setup(t)
	if r := e.do("GET", "/api/v1/nope", e.a.sk(), nil); r.status != 404 || r.errCode(t) != "not_found" {
		t.Errorf("unknown route: %d %s", r.status, r.body)
	}
	r := e.do("PUT", "/api/v1/checkout_sessions", e.a.sk(), nil)
	if r.status != 405 || r.errCode(t) != "method_not_allowed" || !strings.Contains(r.header.Get("Allow"), "POST") {
		t.Errorf("wrong method: %d %v %s", r.status, r.header, r.body)
	}
}

func TestCORSForPublishableKey(t *testing.T) {
	e := setup(t)
	e.allowStore(e.a)
	preflight := func(origin string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("OPTIONS", e.url+"/api/v1/checkout_sessions", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	// A preflight has no key, so it cannot know the merchant: it names the
	// asking origin (never *), and the request itself is checked.
	if res := preflight("https://store.com"); res.StatusCode != 204 || res.Header.Get("Access-Control-Allow-Origin") != "https://store.com" ||
		!strings.Contains(res.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Fatalf("preflight: %d %v", res.StatusCode, res.Header)
	}
	if res := preflight("https://store.com/path"); res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight for a non-origin: %v", res.Header)
	}

	// From an allowed origin: created, readable by that origin only.
	r := e.do("POST", "/api/v1/checkout_sessions", e.a.pk(), sessionBody(), "Origin", "https://store.com")
	if r.status != 201 || r.header.Get("Access-Control-Allow-Origin") != "https://store.com" || !strings.Contains(r.header.Get("Vary"), "Origin") {
		t.Fatalf("pk create from an allowed origin: %d %v", r.status, r.header)
	}
	// From any other origin: refused before anything is made, and unreadable there.
	for _, origin := range []string{"https://evil.example", "https://store.com.evil.example", "null", "http://store.com"} {
		r := e.do("POST", "/api/v1/checkout_sessions", e.a.pk(), sessionBody(), "Origin", origin)
		if r.status != 403 || r.errCode(t) != "permission_denied" || r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("pk create from %s: %d %v %s", origin, r.status, r.header, r.body)
		}
		if r := e.do("GET", "/api/v1/rates", e.a.pk(), nil, "Origin", origin); r.status != 403 || r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("pk rates from %s: %d %v", origin, r.status, r.header)
		}
	}
	// A merchant that allowed no origin is told so.
	if r := e.do("POST", "/api/v1/checkout_sessions", e.b.pk(), sessionBody(), "Origin", "https://store.com"); r.status != 403 ||
		!strings.Contains(string(r.body), "this merchant has none") || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("pk of a merchant without allowed origins: %d %v %s", r.status, r.header, r.body)
	}
	// Server to server (no Origin): no CORS headers; the URL rules still hold.
	if r := e.do("POST", "/api/v1/checkout_sessions", e.a.pk(), sessionBody()); r.status != 201 || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("pk create without Origin: %d %v", r.status, r.header)
	}
	if r := e.do("POST", "/api/v1/checkout_sessions", e.a.sk(), sessionBody(), "Origin", "https://store.com"); r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("secret-key responses must not be readable cross-origin")
	}
}

// TestPublishableKeyReturnURLs: a publishable key's session returns
// customers only to the merchant's allowed origins (422 naming the field),
// and a merchant that allowed none gets a clear error, not an open redirect.
// A secret key is not held to it.
func TestPublishableKeyReturnURLs(t *testing.T) {
	e := setup(t)
	e.allowStore(e.a)
	cases := []struct {
		name   string
		key    string
		edit   func(m map[string]any)
		status int
		fields []string
		say    string
	}{
		{"allowed origin", e.a.pk(), func(map[string]any) {}, 201, nil, ""},
		{"foreign success_url", e.a.pk(), func(m map[string]any) { m["success_url"] = "https://evil.example/ok" }, 422, []string{"success_url"}, "https://evil.example is not one of the merchant's allowed origins"},
		{"foreign cancel_url", e.a.pk(), func(m map[string]any) { m["cancel_url"] = "https://store.com:8443/cart" }, 422, []string{"cancel_url"}, "allowed_origins"},
		{"merchant with no allowed origin", e.b.pk(), func(map[string]any) {}, 422, []string{"success_url", "cancel_url"}, "this merchant has none"},
		{"secret key may return anywhere", e.a.sk(), func(m map[string]any) { m["success_url"] = "https://evil.example/ok" }, 201, nil, ""},
		{"another merchant's product by slug", e.a.pk(), func(m map[string]any) {
			delete(m, "amount_cents")
			m["line_items"] = []any{map[string]any{"product_id": "bobs-tea"}}
		}, 422, []string{"line_items[0].product_id"}, "no such product"},
		{"amount over the limit", e.a.pk(), func(m map[string]any) { m["amount_cents"] = int64(1) << 50 }, 422, []string{"amount_cents"}, "at most"},
	}
	if r := e.do("POST", "/api/v1/products", e.b.sk(), map[string]any{"product": map[string]any{"name": "Tea", "slug": "bobs-tea", "price_cents": 500}}); r.status != 201 {
		t.Fatalf("bob's product: %d %s", r.status, r.body)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do("POST", "/api/v1/checkout_sessions", c.key, sessionBody(c.edit))
			if r.status != c.status {
				t.Fatalf("%d %s, want %d", r.status, r.body, c.status)
			}
			if c.status == 201 {
				return
			}
			if got := r.detailFields(t); !slices.Equal(got, c.fields) || r.errCode(t) != "validation_error" || !strings.Contains(string(r.body), c.say) {
				t.Errorf("%s: fields %q, want %q saying %q", r.body, got, c.fields, c.say)
			}
		})
	}
}

func TestRateLimitPerKey(t *testing.T) {
	e := setup(t, options{rateLimit: 3})
	for i := range 3 {
		r := e.do("GET", "/api/v1/merchant", e.a.sk(), nil)
		if r.status != 200 || r.header.Get("RateLimit-Limit") != "3" || r.header.Get("RateLimit-Remaining") != fmt.Sprint(2-i) || r.header.Get("RateLimit-Reset") != "60" {
			t.Fatalf("request %d: %d %v", i, r.status, r.header)
		}
	}
	r := e.do("GET", "/api/v1/merchant", e.a.sk(), nil)
	if r.status != 429 || r.errCode(t) != "rate_limited" || r.header.Get("Retry-After") != "60" || r.header.Get("RateLimit-Remaining") != "0" {
		t.Fatalf("over limit: %d %v %s", r.status, r.header, r.body)
	}
	// Limits are per key: the same merchant's other key, and other merchants, still pass.
	if r := e.do("GET", "/api/v1/merchant", e.a.keys["sk_live"], nil); r.status != 200 {
		t.Fatalf("other key of the same merchant: %d", r.status)
	}
	if r := e.do("GET", "/api/v1/merchant", e.b.sk(), nil); r.status != 200 || r.header.Get("RateLimit-Limit") != "600" {
		t.Fatalf("other merchant: %d %v", r.status, r.header)
	}
	e.clock.Advance(61 * time.Second)
	if r := e.do("GET", "/api/v1/merchant", e.a.sk(), nil); r.status != 200 {
		t.Fatalf("next minute: %d", r.status)
	}
}

func TestRateLimitPerIPWithoutKey(t *testing.T) {
	e := setup(t, options{publicRateLimit: 2})
	for i := range 2 {
		if r := e.do("GET", "/api/v1/merchant", "sk_test_guess"+fmt.Sprint(i), nil); r.status != 401 || r.header.Get("RateLimit-Limit") != "2" {
			t.Fatalf("guess %d: %d %v", i, r.status, r.header)
		}
	}
	if r := e.do("GET", "/api/v1/merchant", "sk_test_guess", nil); r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("third guess: %d", r.status)
	}
	if r := e.do("GET", "/api/v1/openapi.json", "", nil); r.status != 429 {
		t.Fatalf("public route shares the per-IP limit: %d", r.status)
	}
	if r := e.do("GET", "/api/v1/merchant", e.a.sk(), nil); r.status != 200 {
		t.Fatalf("a valid key is limited per key, not per IP: %d", r.status)
	}
}
