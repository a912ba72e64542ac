package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func product(fields map[string]any) map[string]any { return map[string]any{"product": fields} }

func TestProductsCRUD(t *testing.T) {
	e := setup(t)
	r := e.do("POST", "/api/v1/products", e.a.sk(), product(map[string]any{
		"name": "Café Latte", "price_cents": 450, "description": "Hot", "sku": "LAT-1", "external_ref": "ext_1",
		"image_url": "https://cdn.example.com/latte.png", "metadata": map[string]any{"size": "L"},
	}))
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	p := r.obj(t)
	id := p["id"].(string)
	if !strings.HasPrefix(id, "prod_") || p["slug"] != "cafe-latte" || p["status"] != "active" || p["currency"] != "usd" || p["object"] != "product" {
		t.Fatalf("created %s", r.body)
	}
	for _, ref := range []string{id, "cafe-latte"} {
		g := e.do("GET", "/api/v1/products/"+ref, e.a.sk(), nil)
		if g.status != 200 || !cmp.Equal(g.obj(t), p) {
			t.Errorf("GET %s: %d %s", ref, g.status, g.body)
		}
	}
	// Same name again: a unique slug is made.
	r2 := e.do("POST", "/api/v1/products", e.a.sk(), product(map[string]any{"name": "Café Latte", "price_cents": 500}))
	if s := r2.obj(t)["slug"].(string); r2.status != 201 || s == "cafe-latte" || !strings.HasPrefix(s, "cafe-latte-") {
		t.Errorf("second slug %q", s)
	}
	// An explicit slug that is taken is a 422.
	if r := e.do("POST", "/api/v1/products", e.a.sk(), product(map[string]any{"name": "X", "price_cents": 1, "slug": "cafe-latte"})); r.status != 422 || !cmp.Equal(r.detailFields(t), []string{"slug"}) {
		t.Errorf("taken slug: %d %s", r.status, r.body)
	}
	e.clock.Advance(time.Minute)
	u := e.do("PATCH", "/api/v1/products/cafe-latte", e.a.sk(), product(map[string]any{"price_cents": 475, "slug": "latte"}))
	up := u.obj(t)
	if u.status != 200 || up["price_cents"] != 475.0 || up["slug"] != "latte" || up["name"] != "Café Latte" || up["updated_at"] == p["updated_at"] || up["metadata"].(map[string]any)["size"] != "L" {
		t.Fatalf("patch: %d %s", u.status, u.body)
	}
	if r := e.do("PATCH", "/api/v1/products/latte", e.a.sk(), product(map[string]any{"price_cents": -1, "status": "gone"})); r.status != 422 || len(r.detailFields(t)) != 2 {
		t.Errorf("bad patch: %d %s", r.status, r.body)
	}
	if r := e.do("PATCH", "/api/v1/products/latte", e.a.sk(), map[string]any{"name": "x"}); r.status != 422 {
		t.Errorf("unwrapped patch: %d", r.status)
	}
	if d := e.do("DELETE", "/api/v1/products/latte", e.a.sk(), nil); d.status != 204 || len(d.body) != 0 {
		t.Fatalf("delete: %d %s", d.status, d.body)
	}
	if g := e.do("GET", "/api/v1/products/"+id, e.a.sk(), nil); g.status != 404 {
		t.Fatalf("after delete: %d", g.status)
	}
}

func TestProductValidation(t *testing.T) {
	e := setup(t)
	tests := []struct {
		name   string
		fields map[string]any
		want   []string
	}{
		{"empty", map[string]any{}, []string{"name", "price_cents"}},
		{"negative price", map[string]any{"name": "a", "price_cents": -1}, []string{"price_cents"}},
		{"bad currency", map[string]any{"name": "a", "price_cents": 1, "currency": "btc"}, []string{"currency"}},
		{"bad slug", map[string]any{"name": "a", "price_cents": 1, "slug": "Not A Slug"}, []string{"slug"}},
		{"slug like an id", map[string]any{"name": "a", "price_cents": 1, "slug": "prod_x"}, []string{"slug"}},
		{"bad image", map[string]any{"name": "a", "price_cents": 1, "image_url": "data:image/png;base64,AAAA"}, []string{"image_url"}},
		{"bad status", map[string]any{"name": "a", "price_cents": 1, "status": "deleted"}, []string{"status"}},
		{"unknown field", map[string]any{"name": "a", "price_cents": 1, "colour": "red"}, []string{"colour"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("POST", "/api/v1/products", e.a.sk(), product(tt.fields))
			if r.status != 422 || !cmp.Equal(r.detailFields(t), tt.want) {
				t.Errorf("%d %s, want 422 on %v", r.status, r.body, tt.want)
			}
		})
	}
}

func TestDeleteReferencedProductArchives(t *testing.T) {
	e := setup(t)
	p := e.do("POST", "/api/v1/products", e.a.sk(), product(map[string]any{"name": "Mug", "price_cents": 1200})).obj(t)
	r := e.do("POST", "/api/v1/checkout_sessions", e.a.sk(), sessionBody(func(m map[string]any) {
		delete(m, "amount_cents")
		m["line_items"] = []any{map[string]any{"product_id": p["id"]}}
	}))
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if d := e.do("DELETE", "/api/v1/products/mug", e.a.sk(), nil); d.status != 204 {
		t.Fatalf("delete: %d", d.status)
	}
	g := e.do("GET", "/api/v1/products/mug", e.a.sk(), nil)
	if g.status != 200 || g.obj(t)["status"] != "archived" {
		t.Fatalf("referenced product after delete: %d %s", g.status, g.body)
	}
}

func TestListProducts(t *testing.T) {
	e := setup(t)
	for i, name := range []string{"Green Tea", "Black Tea", "Coffee"} {
		e.do("POST", "/api/v1/products", e.a.sk(), product(map[string]any{"name": name, "price_cents": 100 * (i + 1), "sku": "S" + name[:1]}))
		e.clock.Advance(time.Minute)
	}
	e.do("PATCH", "/api/v1/products/coffee", e.a.sk(), product(map[string]any{"status": "archived"}))
	names := func(q string) []string {
		r := e.do("GET", "/api/v1/products"+q, e.a.sk(), nil)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", q, r.status, r.body)
		}
		var out []string
		for _, d := range r.obj(t)["data"].([]any) {
			out = append(out, d.(map[string]any)["name"].(string))
		}
		return out
	}
	cases := map[string][]string{
		"":                                    {"Coffee", "Black Tea", "Green Tea"},
		"?q[name_cont]=tea":                   {"Black Tea", "Green Tea"},
		"?name=TEA&per_page=1":                {"Black Tea"},
		"?status=archived":                    {"Coffee"},
		"?q[status_eq]=active":                {"Black Tea", "Green Tea"},
		"?q[sku_eq]=SG":                       {"Green Tea"},
		"?name=%25":                           nil,
		"?created_after=2026-03-01T12:00:30Z": {"Coffee", "Black Tea"},
	}
	for q, want := range cases {
		if got := names(q); !cmp.Equal(got, want) {
			t.Errorf("%s: %v, want %v", q, got, want)
		}
	}
}

func TestTransactions(t *testing.T) {
	e := setup(t)
	s1 := e.createSession(e.a, e.a.sk())
	s2 := e.createSession(e.a, e.a.sk())
	t0 := e.clock.Now()
	h1, h2 := strings.Repeat("11", 32), strings.Repeat("22", 32)
	tx1 := e.settle(s1, h1, t0.Add(time.Minute))
	tx2 := e.settle(s2, h2, t0.Add(2*time.Minute))

	g := e.do("GET", "/api/v1/transactions/"+tx1, e.a.sk(), nil)
	o := g.obj(t)
	if g.status != 200 || o["object"] != "transaction" || o["checkout_session_id"] != s1 || o["payment_hash"] != h1 || o["amount_msat"] != 7693000.0 || o["status"] != "settled" {
		t.Fatalf("%d %s", g.status, g.body)
	}
	s := e.do("GET", "/api/v1/checkout_sessions/"+s1, e.a.sk(), nil).obj(t)
	if s["status"] != "completed" || s["transaction_id"] != tx1 || s["payment_hash"] != h1 {
		t.Errorf("session after settlement: %v", s)
	}
	ids := func(q string) []string {
		r := e.do("GET", "/api/v1/transactions"+q, e.a.sk(), nil)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", q, r.status, r.body)
		}
		var out []string
		for _, d := range r.obj(t)["data"].([]any) {
			out = append(out, d.(map[string]any)["id"].(string))
		}
		return out
	}
	cases := map[string][]string{
		"":                                          {tx2, tx1},
		"?status=settled":                           {tx2, tx1},
		"?q[status_eq]=settled&per_page=1":          {tx2},
		"?checkout_session_id=" + s1:                {tx1},
		"?q[checkout_session_id_eq]=" + s2:          {tx2},
		"?payment_hash=" + h2:                       {tx2},
		"?q[payment_hash_eq]=" + h1:                 {tx1},
		"?payment_hash=" + strings.Repeat("00", 32): nil,
		"?created_after=" + t0.Add(time.Minute).Format(time.RFC3339):        {tx2},
		"?q[created_at_gteq]=" + t0.Add(time.Minute).Format(time.RFC3339):   {tx2, tx1},
		"?created_before=" + t0.Add(2*time.Minute).Format(time.RFC3339):     {tx1},
		"?q[created_at_lteq]=" + t0.Add(2*time.Minute).Format(time.RFC3339): {tx2, tx1},
		"?starting_after=" + tx2: {tx1},
	}
	for q, want := range cases {
		if got := ids(q); !cmp.Equal(got, want) {
			t.Errorf("%s: %v, want %v", q, got, want)
		}
	}
	for _, q := range []string{"?status=pending", "?created_before=soon", "?q[amount_eq]=1", "?per_page=x"} {
		if r := e.do("GET", "/api/v1/transactions"+q, e.a.sk(), nil); r.status != 422 {
			t.Errorf("%s: %d", q, r.status)
		}
	}
}
