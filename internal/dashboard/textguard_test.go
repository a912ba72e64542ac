package dashboard

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/satsrail/satsrail/internal/gateway"
)

// TestNotText: a path id that is not text is an unknown object, a query or
// form value that is not text (or has a control character other than tab
// and newline) is a 422 naming the field, on every engine; nothing reaches
// the store (where PostgreSQL would fail on a NUL: a 500).
func TestNotText(t *testing.T) {
	e := setup(t)
	m := e.merchant("Alpha Shop")
	owner, _ := e.user("ada@example.com", m.ID, gateway.RoleOwner)
	for _, path := range []string{
		"/dashboard/sessions/cs_%00x", "/dashboard/sessions/cs_%FF", "/dashboard/products/prod_%00",
		"/dashboard/webhooks/endpoints/we_%1B", "/dashboard/webhooks/events/evt_%C3",
	} {
		r := owner.get(path).want(t, http.StatusNotFound)
		if !strings.Contains(r.body, "There is no such page") {
			t.Errorf("%s: %.300s", path, r.body)
		}
	}
	for _, path := range []string{"/dashboard/sessions?q=%00", "/dashboard/transactions?q=a%FF", "/dashboard/products?status=%00"} {
		owner.get(path).want(t, http.StatusUnprocessableEntity)
	}
	for _, tc := range []struct {
		field, value string
	}{{"name", "Mug\x00"}, {"description", "a\x1bb"}, {"sku", "\xff"}} {
		vals := url.Values{"name": {"Mug"}, "price": {"12.50"}, "currency": {"usd"}}
		vals.Set(tc.field, tc.value)
		r := owner.post("/dashboard/products", vals).want(t, http.StatusUnprocessableEntity)
		if !strings.Contains(r.body, "The field “"+tc.field+"”") {
			t.Errorf("%s: the field is not named: %.500s", tc.field, r.body)
		}
	}
	if ps, err := e.svc.ListProducts(t.Context(), gateway.Scope{MerchantID: m.ID, Mode: gateway.ModeTest}, gateway.ProductFilter{Page: gateway.Page{Page: 1, PerPage: 10}}); err != nil || len(ps.Items) != 0 {
		t.Errorf("a refused form made a product: %v %v", ps.Items, err)
	}
	// Tab and newlines stay free text's.
	owner.post("/dashboard/products", url.Values{"name": {"Mug"}, "price": {"12.50"}, "currency": {"usd"},
		"description": {"line one\r\n\tline two"}}).want(t, http.StatusSeeOther)

	// Signed out: the sign-in form's email is looked up, so it is text too;
	// a password is only hashed and is left to the password check.
	b := e.browser()
	b.post("/dashboard/signin", url.Values{"email": {"ada@example.com\x00"}, "password": {testPassword}}).
		want(t, http.StatusUnprocessableEntity)
	b.post("/dashboard/signin", url.Values{"email": {"ada@example.com"}, "password": {"x\x00"}}).want(t, http.StatusUnauthorized)
}
