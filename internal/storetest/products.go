package storetest

import (
	"errors"
	"testing"

	"github.com/satsrail/satsrail/internal/gateway"
)

func testProducts(t *testing.T, f *fixture) {
	mug := product(f.scope, "prod_mug", "Enamel Mug", at(0))
	mug.SKU, mug.ExternalRef = "MUG-1", "shopify-991"
	bare := &gateway.Product{ID: "prod_bare", MerchantID: f.scope.MerchantID, Mode: f.scope.Mode, Name: "Bare",
		PriceCents: 0, Currency: "usd", Slug: "bare", Status: gateway.ProductActive, CreatedAt: at(1), UpdatedAt: at(1)}
	f.createProduct(t, mug)
	f.createProduct(t, bare)

	t.Run("get by id or slug returns every field", func(t *testing.T) {
		for _, want := range []*gateway.Product{mug, bare} {
			for _, key := range []string{want.ID, want.Slug} {
				got, err := f.store.GetProduct(f.ctx, f.scope, key)
				noErr(t, "GetProduct("+key+")", err)
				diff(t, "product", want, got)
				wantUTC(t, "product", got.CreatedAt, got.UpdatedAt)
			}
		}
	})

	t.Run("unknown id or slug", func(t *testing.T) {
		_, err := f.store.GetProduct(f.ctx, f.scope, "no-such-thing")
		wantErr(t, "GetProduct", err, gateway.ErrNotFound)
	})

	t.Run("an id wins over another product's slug", func(t *testing.T) {
		p := product(f.scope, "prod_shadow", "Shadow", at(2))
		p.Slug = mug.ID
		f.createProduct(t, p)
		got, err := f.store.GetProduct(f.ctx, f.scope, mug.ID)
		noErr(t, "GetProduct", err)
		diff(t, "product", mug, got)
	})

	t.Run("duplicate id is a conflict", func(t *testing.T) {
		p := product(f.scope, mug.ID, "Another", at(2))
		wantErr(t, "CreateProduct", f.store.CreateProduct(f.ctx, p), gateway.ErrConflict)
	})

	t.Run("a slug is unique within its scope only", func(t *testing.T) {
		p := product(f.scope, "prod_mug2", "Enamel Mug", at(2))
		wantErr(t, "CreateProduct(same slug, same scope)", f.store.CreateProduct(f.ctx, p), gateway.ErrConflict)
		for i, scope := range []gateway.Scope{f.otherMode, f.otherMerchant} {
			p := product(scope, []string{"prod_mugLive", "prod_mugOther"}[i], "Enamel Mug", at(2))
			noErr(t, "CreateProduct(same slug, other scope)", f.store.CreateProduct(f.ctx, p))
			got, err := f.store.GetProduct(f.ctx, scope, p.Slug)
			noErr(t, "GetProduct", err)
			diff(t, "product", p, got)
		}
	})

	t.Run("update saves every field, by id or slug", func(t *testing.T) {
		p := product(f.scope, "prod_upd", "Tea Towel", at(3))
		f.createProduct(t, p)
		want := *p
		want.Name, want.Description, want.PriceCents, want.Currency = "Linen Tea Towel", "", 1800, "eur"
		want.Slug, want.ImageURL, want.Status, want.SKU, want.ExternalRef = "linen-towel", "", gateway.ProductArchived, "TT-9", "ext-9"
		want.Metadata, want.UpdatedAt = map[string]string{"material": "linen"}, at(4)

		got, err := f.store.UpdateProduct(f.ctx, f.scope, p.Slug, func(p *gateway.Product) error {
			id, merchant, mode, created := p.ID, p.MerchantID, p.Mode, p.CreatedAt
			*p = want
			p.ID, p.MerchantID, p.Mode, p.CreatedAt = id, merchant, mode, created
			return nil
		})
		noErr(t, "UpdateProduct", err)
		diff(t, "returned product", &want, got)
		stored, err := f.store.GetProduct(f.ctx, f.scope, "linen-towel")
		noErr(t, "GetProduct(new slug)", err)
		diff(t, "stored product", &want, stored)
		_, err = f.store.GetProduct(f.ctx, f.scope, "tea-towel")
		wantErr(t, "GetProduct(old slug)", err, gateway.ErrNotFound)

		got, err = f.store.UpdateProduct(f.ctx, f.scope, p.ID, func(p *gateway.Product) error {
			p.Status = gateway.ProductActive
			return nil
		})
		noErr(t, "UpdateProduct(by id)", err)
		want.Status = gateway.ProductActive
		diff(t, "product updated by id", &want, got)
	})

	t.Run("update to a slug in use is a conflict and saves nothing", func(t *testing.T) {
		_, err := f.store.UpdateProduct(f.ctx, f.scope, bare.ID, func(p *gateway.Product) error {
			p.Name, p.Slug = "Renamed", mug.Slug
			return nil
		})
		wantErr(t, "UpdateProduct", err, gateway.ErrConflict)
		got, err := f.store.GetProduct(f.ctx, f.scope, bare.ID)
		noErr(t, "GetProduct", err)
		diff(t, "product after conflict", bare, got)
	})

	t.Run("fn's error comes back unchanged and nothing is saved", func(t *testing.T) {
		errNo := errors.New("no")
		_, err := f.store.UpdateProduct(f.ctx, f.scope, mug.ID, func(p *gateway.Product) error {
			p.Name = "Changed"
			return errNo
		})
		if !errors.Is(err, errNo) || err.Error() != errNo.Error() {
			t.Errorf("err = %v, want fn's error unchanged", err)
		}
		got, err := f.store.GetProduct(f.ctx, f.scope, mug.ID)
		noErr(t, "GetProduct", err)
		diff(t, "product after refused update", mug, got)
	})

	t.Run("update of an unknown product", func(t *testing.T) {
		_, err := f.store.UpdateProduct(f.ctx, f.scope, "prod_nothing", func(*gateway.Product) error {
			t.Error("fn called for an unknown product")
			return nil
		})
		wantErr(t, "UpdateProduct", err, gateway.ErrNotFound)
	})

	t.Run("delete removes a product no session names", func(t *testing.T) {
		p := product(f.scope, "prod_gone", "Gone Soon", at(5))
		f.createProduct(t, p)
		// A session naming another product does not keep this one.
		s := session(f.scope, "cs_names_mug", at(5))
		s.LineItems = []gateway.LineItem{{ProductID: mug.ID, Name: mug.Name, UnitAmountCents: mug.PriceCents, Quantity: 1}}
		f.createSession(t, s)

		archived, err := f.store.DeleteProduct(f.ctx, f.scope, p.Slug, at(6))
		noErr(t, "DeleteProduct", err)
		if archived {
			t.Error("archived = true, want false")
		}
		_, err = f.store.GetProduct(f.ctx, f.scope, p.ID)
		wantErr(t, "GetProduct(deleted)", err, gateway.ErrNotFound)
	})

	t.Run("delete archives a product a session names", func(t *testing.T) {
		p := product(f.scope, "prod_kept", "Kept", at(5))
		f.createProduct(t, p)
		s := session(f.scope, "cs_names_kept", at(5))
		s.LineItems = []gateway.LineItem{
			{Name: "Ad hoc", UnitAmountCents: 100, Quantity: 1},
			{ProductID: p.ID, Name: p.Name, UnitAmountCents: p.PriceCents, Quantity: 2},
			{ProductID: p.ID, Name: p.Name, UnitAmountCents: p.PriceCents, Quantity: 1},
		}
		f.createSession(t, s)

		archived, err := f.store.DeleteProduct(f.ctx, f.scope, p.ID, at(7))
		noErr(t, "DeleteProduct", err)
		if !archived {
			t.Error("archived = false, want true")
		}
		want := *p
		want.Status, want.UpdatedAt = gateway.ProductArchived, at(7)
		got, err := f.store.GetProduct(f.ctx, f.scope, p.ID)
		noErr(t, "GetProduct(archived)", err)
		diff(t, "archived product", &want, got)
	})

	t.Run("delete archives a product a session came to name by update", func(t *testing.T) {
		p := product(f.scope, "prod_later", "Later", at(5))
		f.createProduct(t, p)
		s := session(f.scope, "cs_names_later", at(5))
		f.createSession(t, s)
		_, err := f.store.UpdateCheckoutSession(f.ctx, f.scope, s.ID, func(s *gateway.CheckoutSession) (gateway.SessionChange, error) {
			s.LineItems = append(s.LineItems, gateway.LineItem{ProductID: p.ID, Name: p.Name, UnitAmountCents: p.PriceCents, Quantity: 1})
			return gateway.SessionChange{}, nil
		})
		noErr(t, "UpdateCheckoutSession", err)
		archived, err := f.store.DeleteProduct(f.ctx, f.scope, p.ID, at(7))
		noErr(t, "DeleteProduct", err)
		if !archived {
			t.Error("archived = false, want true")
		}
	})

	t.Run("delete of an unknown product", func(t *testing.T) {
		_, err := f.store.DeleteProduct(f.ctx, f.scope, "prod_nothing", at(7))
		wantErr(t, "DeleteProduct", err, gateway.ErrNotFound)
	})
}

func testListProducts(t *testing.T, f *fixture) {
	for _, p := range []struct {
		id, name, sku, ext string
		created            int
		status             gateway.ProductStatus
	}{
		{"prod_p1", "Café Latte", "LAT-1", "ext-1", 1, gateway.ProductActive},
		{"prod_p2", "100% Cotton Tee", "TEE", "", 2, gateway.ProductArchived},
		{"prod_p3", "1000 Cotton Cloths", "SOCK", "", 3, gateway.ProductActive},
		{"prod_p4", "cotton_candy", "TEE", "ext-1", 4, gateway.ProductActive},
		{"prod_p5", "Espresso", "", "ext-5", 5, gateway.ProductActive},
	} {
		prod := product(f.scope, p.id, p.name, at(p.created))
		prod.SKU, prod.ExternalRef, prod.Status = p.sku, p.ext, p.status
		f.createProduct(t, prod)
	}
	f.createProduct(t, product(f.otherMode, "prod_x", "Cotton Live", at(6)))
	f.createProduct(t, product(f.otherMerchant, "prod_y", "Cotton Other", at(7)))

	tests := []struct {
		name      string
		filter    gateway.ProductFilter
		wantIDs   []string
		wantMore  bool
		wantTotal int
	}{
		{"everything", gateway.ProductFilter{}, []string{"prod_p5", "prod_p4", "prod_p3", "prod_p2", "prod_p1"}, false, 5},
		{"second page", gateway.ProductFilter{Page: gateway.Page{Page: 2, PerPage: 2}}, []string{"prod_p3", "prod_p2"}, true, 5},
		{"starting after", gateway.ProductFilter{Page: gateway.Page{PerPage: 2, StartingAfter: "prod_p2"}}, []string{"prod_p1"}, false, 5},
		{"active", gateway.ProductFilter{Status: gateway.ProductActive}, []string{"prod_p5", "prod_p4", "prod_p3", "prod_p1"}, false, 4},
		{"archived", gateway.ProductFilter{Status: gateway.ProductArchived}, []string{"prod_p2"}, false, 1},
		{"name ignores case", gateway.ProductFilter{NameContains: "COTTON"}, []string{"prod_p4", "prod_p3", "prod_p2"}, false, 3},
		{"name with a non-ASCII letter", gateway.ProductFilter{NameContains: "fé L"}, []string{"prod_p1"}, false, 1},
		// Unicode letters ignore case too, on both engines (FuzzEnginesAgree
		// found SQLite folding ASCII only).
		{"name: a non-ASCII letter ignores case", gateway.ProductFilter{NameContains: "CAFÉ"}, []string{"prod_p1"}, false, 1},
		{"name: % is literal", gateway.ProductFilter{NameContains: "0%"}, []string{"prod_p2"}, false, 1},
		{"name: _ is literal", gateway.ProductFilter{NameContains: "on_c"}, []string{"prod_p4"}, false, 1},
		{"name with no match", gateway.ProductFilter{NameContains: "tea"}, nil, false, 0},
		{"sku", gateway.ProductFilter{SKU: "TEE"}, []string{"prod_p4", "prod_p2"}, false, 2},
		{"external ref", gateway.ProductFilter{ExternalRef: "ext-1"}, []string{"prod_p4", "prod_p1"}, false, 2},
		{"created range", gateway.ProductFilter{Created: gateway.TimeRange{From: at(2), To: at(4)}}, []string{"prod_p4", "prod_p3", "prod_p2"}, false, 3},
		{"filters combine", gateway.ProductFilter{Status: gateway.ProductActive, NameContains: "cotton", SKU: "TEE"}, []string{"prod_p4"}, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.store.ListProducts(f.ctx, f.scope, tt.filter)
			noErr(t, "ListProducts", err)
			checkList(t, got, productID, tt.wantIDs, tt.wantMore, tt.wantTotal)
		})
	}

	t.Run("items are whole products", func(t *testing.T) {
		got, err := f.store.ListProducts(f.ctx, f.otherMode, gateway.ProductFilter{})
		noErr(t, "ListProducts", err)
		diff(t, "products", []gateway.Product{*product(f.otherMode, "prod_x", "Cotton Live", at(6))}, got.Items)
	})

	t.Run("starting after a product outside the list", func(t *testing.T) {
		_, err := f.store.ListProducts(f.ctx, f.scope, gateway.ProductFilter{Page: gateway.Page{StartingAfter: "prod_x"}})
		wantCursorError(t, "ListProducts", err)
	})
}
