package httpapi_test

import (
	"bytes"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/satsrail/satsrail/internal/gateway"
)

func merchantBody(fields map[string]any) map[string]any { return map[string]any{"merchant": fields} }

func TestPatchMerchant(t *testing.T) {
	e := setup(t)
	before := e.do("GET", "/api/v1/merchant", e.a.sk(), nil).obj(t)
	if before["support_email"] != nil || before["logo_url"] != nil || !cmp.Equal(before["allowed_origins"], []any{}) {
		t.Fatalf("new merchant: %v", before)
	}

	r := e.do("PATCH", "/api/v1/merchant", e.a.sk(), merchantBody(map[string]any{
		"name": "Alice's Café", "support_email": "help@alice.example", "checkout_ttl_seconds": 1800,
		"success_url": "https://alice.example/thanks", "thank_you_message": "Merci !",
		"allowed_origins": []string{"https://Alice.example:443", "http://localhost:3000"},
	}))
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	m := r.obj(t)
	want := map[string]any{"name": "Alice's Café", "support_email": "help@alice.example", "checkout_ttl_seconds": 1800.0,
		"success_url": "https://alice.example/thanks", "thank_you_message": "Merci !",
		"allowed_origins": []any{"https://alice.example", "http://localhost:3000"}}
	for k, v := range want {
		if !cmp.Equal(m[k], v) {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	// GET shows the same, also to a test key of the other mode.
	if g := e.do("GET", "/api/v1/m/merchant", e.a.keys["sk_live"], nil).obj(t); !cmp.Equal(g["allowed_origins"], want["allowed_origins"]) || g["name"] != want["name"] {
		t.Errorf("GET after PATCH: %v", g)
	}
	// The new TTL applies to new sessions.
	cs := e.do("POST", "/api/v1/checkout_sessions", e.a.sk(), sessionBody()).obj(t)
	if cs["expires_at"] != e.clock.Now().Add(30*60e9).Format("2006-01-02T15:04:05Z") {
		t.Errorf("session expires_at %v with a 30 min TTL", cs["expires_at"])
	}
	// Clearing and resetting.
	r = e.do("PATCH", "/api/v1/merchant", e.a.sk(), merchantBody(map[string]any{"support_email": "", "checkout_ttl_seconds": 0, "allowed_origins": []string{}}))
	if m := r.obj(t); r.status != 200 || m["support_email"] != nil || m["checkout_ttl_seconds"] != 900.0 || !cmp.Equal(m["allowed_origins"], []any{}) || m["success_url"] == nil {
		t.Errorf("clear: %d %s", r.status, r.body)
	}

	for _, tc := range []struct {
		name   string
		body   any
		fields []string
	}{
		{"unknown field", merchantBody(map[string]any{"email": "x@y.example"}), []string{"email"}},
		{"not wrapped", map[string]any{"name": "x"}, []string{"name"}},
		{"wrapper missing", map[string]any{}, []string{"merchant"}},
		{"every field broken", merchantBody(map[string]any{"name": " ", "support_email": "nope", "checkout_ttl_seconds": 60,
			"success_url": "ftp://x", "thank_you_message": strings.Repeat("x", 1001),
			"allowed_origins": []string{"https://ok.example", "http://shop.example", "https://shop.example/cart"}}),
			[]string{"name", "support_email", "checkout_ttl_seconds", "success_url", "thank_you_message", "allowed_origins[1]", "allowed_origins[2]"}},
		{"negative ttl", merchantBody(map[string]any{"checkout_ttl_seconds": -5}), []string{"checkout_ttl_seconds"}},
		{"origins not a list", merchantBody(map[string]any{"allowed_origins": "https://a.example"}), []string{"merchant.allowed_origins"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("PATCH", "/api/v1/merchant", e.a.sk(), tc.body)
			if r.status != 422 || r.errCode(t) != "validation_error" || !cmp.Equal(r.detailFields(t), tc.fields) {
				t.Errorf("%d %s, want 422 naming %v", r.status, r.body, tc.fields)
			}
		})
	}
	if got := e.do("GET", "/api/v1/merchant", e.a.sk(), nil).obj(t); got["name"] != "Alice's Café" {
		t.Errorf("a refused patch changed the merchant: %v", got)
	}
	if r := e.do("PATCH", "/api/v1/merchant", e.a.pk(), merchantBody(map[string]any{"name": "x"})); r.status != 403 || r.errCode(t) != "permission_denied" {
		t.Errorf("pk: %d %s", r.status, r.body)
	}
	// Merchant b is untouched.
	if got := e.do("GET", "/api/v1/merchant", e.b.sk(), nil).obj(t); got["name"] != "Bob's Shop" || got["support_email"] != nil {
		t.Errorf("other merchant: %v", got)
	}
}

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestMerchantLogo(t *testing.T) {
	e := setup(t)
	img := pngOf(t, 200, 80)
	r := e.do("PUT", "/api/v1/merchant/logo", e.a.sk(), img, "Content-Type", "image/png")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	url, _ := r.obj(t)["logo_url"].(string)
	if !strings.HasPrefix(url, "https://pay.example.com/logos/") || len(url) != len("https://pay.example.com/logos/")+64 {
		t.Fatalf("logo_url %q", url)
	}
	l, err := e.svc.Logo(t.Context(), strings.TrimPrefix(url, "https://pay.example.com/logos/"))
	if err != nil || !bytes.Equal(l.Data, img) || l.ContentType != "image/png" {
		t.Fatalf("stored logo: %v %v", l, err)
	}
	if g := e.do("GET", "/api/v1/merchant", e.a.sk(), nil).obj(t); g["logo_url"] != url {
		t.Errorf("GET logo_url %v", g["logo_url"])
	}

	for _, tc := range []struct {
		name   string
		body   []byte
		status int
		code   string
	}{
		{"over 256 KiB", append(pngOf(t, 10, 10), make([]byte, gateway.MaxLogoBytes)...), 413, "request_too_large"},
		{"not an image", []byte("hello, world"), 422, "validation_error"},
		{"SVG (can carry script)", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>`), 422, "validation_error"},
		{"HTML named image/png", []byte("<html><script>alert(1)</script></html>"), 422, "validation_error"},
		{"too large a canvas", pngOf(t, gateway.MaxLogoDimension+1, 1), 422, "validation_error"},
		{"empty", []byte{}, 422, "validation_error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("PUT", "/api/v1/merchant/logo", e.a.sk(), tc.body, "Content-Type", "image/png")
			if r.status != tc.status || r.errCode(t) != tc.code {
				t.Errorf("%d %s, want %d %s", r.status, r.body, tc.status, tc.code)
			}
		})
	}
	if g := e.do("GET", "/api/v1/merchant", e.a.sk(), nil).obj(t); g["logo_url"] != url {
		t.Errorf("a refused upload changed the logo: %v", g["logo_url"])
	}
	if r := e.do("PUT", "/api/v1/merchant/logo", e.a.pk(), img); r.status != 403 {
		t.Errorf("pk: %d", r.status)
	}
	if r := e.do("DELETE", "/api/v1/merchant/logo", e.a.sk(), nil); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if g := e.do("GET", "/api/v1/merchant", e.a.sk(), nil).obj(t); g["logo_url"] != nil {
		t.Errorf("after delete logo_url %v", g["logo_url"])
	}
	if r := e.do("DELETE", "/api/v1/merchant/logo", e.a.sk(), nil); r.status != 204 {
		t.Errorf("second delete: %d", r.status)
	}
}

func TestSuspendedMerchant(t *testing.T) {
	e := setup(t)
	if _, err := e.svc.SuspendMerchant(t.Context(), e.a.id); err != nil {
		t.Fatal(err)
	}
	for kt, key := range e.a.keys {
		for _, rt := range []struct{ method, path string }{
			{"GET", "/api/v1/rates"}, {"POST", "/api/v1/checkout_sessions"}, {"GET", "/api/v1/m/merchant"}, {"GET", "/api/v1/products"},
		} {
			var body any
			if rt.method == "POST" {
				body = sessionBody()
			}
			r := e.do(rt.method, rt.path, key, body)
			if r.status != 403 || r.errCode(t) != "merchant_suspended" {
				t.Errorf("%s %s %s: %d %s", kt, rt.method, rt.path, r.status, r.body)
			}
		}
	}
	// Another merchant is not affected.
	if r := e.do("GET", "/api/v1/merchant", e.b.sk(), nil); r.status != 200 {
		t.Errorf("other merchant: %d", r.status)
	}
	if _, err := e.svc.ReactivateMerchant(t.Context(), e.a.id); err != nil {
		t.Fatal(err)
	}
	if r := e.do("GET", "/api/v1/merchant", e.a.sk(), nil); r.status != 200 || r.obj(t)["status"] != "active" {
		t.Errorf("after reactivation: %d %s", r.status, r.body)
	}
}

func TestProductAfterPaymentFields(t *testing.T) {
	e := setup(t)
	r := e.do("POST", "/api/v1/products", e.a.sk(), product(map[string]any{"name": "Mug", "price_cents": 900,
		"success_url": "https://alice.example/mug/thanks", "thank_you_message": "Enjoy your mug"}))
	p := r.obj(t)
	if r.status != 201 || p["success_url"] != "https://alice.example/mug/thanks" || p["thank_you_message"] != "Enjoy your mug" ||
		p["payment_link_url"] != "https://pay.example.com/pay/"+p["id"].(string) {
		t.Fatalf("%d %s", r.status, r.body)
	}
	r = e.do("PATCH", "/api/v1/products/mug", e.a.sk(), product(map[string]any{"success_url": "", "thank_you_message": "x"}))
	if p := r.obj(t); r.status != 200 || p["success_url"] != nil || p["thank_you_message"] != "x" {
		t.Errorf("patch: %d %s", r.status, r.body)
	}
	r = e.do("PATCH", "/api/v1/products/mug", e.a.sk(), product(map[string]any{"success_url": "javascript:alert(1)"}))
	if r.status != 422 || !cmp.Equal(r.detailFields(t), []string{"success_url"}) {
		t.Errorf("bad success_url: %d %s", r.status, r.body)
	}
}
