package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// version reads the credentials version.
func (f *fixture) version(t *testing.T) int64 {
	t.Helper()
	v, err := f.store.CredentialsVersion(f.ctx)
	noErr(t, "CredentialsVersion", err)
	return v
}

func testMerchantSettings(t *testing.T, f *fixture) {
	t.Run("every setting round-trips and changes the credentials version", func(t *testing.T) {
		before := f.version(t)
		want := f.merchant
		want.Name, want.SupportEmail = "Alpha Coffee Roasters", "help@alpha.example"
		want.CheckoutTTL = 30 * time.Minute
		want.SuccessURL, want.ThankYouMessage = "https://alpha.example/thanks?a=1&b=2", "Merci ! <b>not bold</b>"
		want.AllowedOrigins = []string{"https://alpha.example", "https://shop.alpha.example:8443", "http://localhost:3000"}
		want.UpdatedAt = at(5)
		got, err := f.store.UpdateMerchant(f.ctx, f.merchant.ID, func(m *gateway.Merchant) error {
			diff(t, "merchant given to fn", &f.merchant, m)
			*m = want
			return nil
		})
		noErr(t, "UpdateMerchant", err)
		diff(t, "merchant returned", &want, got)
		read, err := f.store.GetMerchant(f.ctx, f.merchant.ID)
		noErr(t, "GetMerchant", err)
		diff(t, "merchant read back", &want, read)
		if read.AllowedOrigins == nil {
			t.Error("AllowedOrigins read back nil, want the list")
		}
		p, err := f.store.PrincipalByKeyHash(f.ctx, f.keys["sk_test"].Hash)
		noErr(t, "PrincipalByKeyHash", err)
		diff(t, "principal's merchant", &want, &p.Merchant)
		if after := f.version(t); after == before {
			t.Errorf("CredentialsVersion = %d after a merchant update, as before", after)
		}
	})

	t.Run("no origins reads back as an empty list", func(t *testing.T) {
		got, err := f.store.UpdateMerchant(f.ctx, f.other.ID, func(m *gateway.Merchant) error {
			m.AllowedOrigins = nil
			return nil
		})
		noErr(t, "UpdateMerchant", err)
		read, err := f.store.GetMerchant(f.ctx, got.ID)
		noErr(t, "GetMerchant", err)
		if read.AllowedOrigins == nil || len(read.AllowedOrigins) != 0 {
			t.Errorf("AllowedOrigins = %#v, want an empty non-nil list", read.AllowedOrigins)
		}
	})

	t.Run("fn's error is returned unchanged and nothing is written", func(t *testing.T) {
		before, err := f.store.GetMerchant(f.ctx, f.other.ID)
		noErr(t, "GetMerchant", err)
		refuse := errors.New("refused")
		_, err = f.store.UpdateMerchant(f.ctx, f.other.ID, func(m *gateway.Merchant) error {
			m.Name = "Changed"
			return refuse
		})
		if err != refuse {
			t.Errorf("UpdateMerchant err = %v, want fn's error itself", err)
		}
		after, err := f.store.GetMerchant(f.ctx, f.other.ID)
		noErr(t, "GetMerchant", err)
		diff(t, "merchant after refused update", before, after)
	})

	t.Run("unknown merchant", func(t *testing.T) {
		_, err := f.store.UpdateMerchant(f.ctx, "mer_nobody", func(*gateway.Merchant) error { return nil })
		wantErr(t, "UpdateMerchant", err, gateway.ErrNotFound)
	})

	t.Run("suspension is seen through the key", func(t *testing.T) {
		before := f.version(t)
		_, err := f.store.UpdateMerchant(f.ctx, f.other.ID, func(m *gateway.Merchant) error {
			m.Status, m.UpdatedAt = gateway.MerchantSuspended, at(6)
			return nil
		})
		noErr(t, "UpdateMerchant(suspend)", err)
		if after := f.version(t); after == before {
			t.Errorf("CredentialsVersion = %d after a suspension, as before", after)
		}
		k := apiKey(f.other.ID, "sk_test", "1", f.other.CreatedAt)
		p, err := f.store.PrincipalByKeyHash(f.ctx, k.Hash)
		noErr(t, "PrincipalByKeyHash", err)
		if p.Merchant.Status != gateway.MerchantSuspended {
			t.Errorf("principal's merchant status = %q, want suspended", p.Merchant.Status)
		}
		ms, err := f.store.ListMerchants(f.ctx)
		noErr(t, "ListMerchants", err)
		for _, m := range ms {
			if m.ID == f.other.ID && m.Status != gateway.MerchantSuspended {
				t.Errorf("listed status = %q, want suspended", m.Status)
			}
		}
	})
}

func testMerchantLogo(t *testing.T, f *fixture) {
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0, 1, 2, 0xff}, 300)...)
	first := &gateway.MerchantLogo{ID: "aa" + string(bytes.Repeat([]byte("0"), 62)), MerchantID: f.merchant.ID,
		ContentType: "image/png", Data: png, Width: 64, Height: 32, CreatedAt: at(1)}
	second := &gateway.MerchantLogo{ID: "bb" + string(bytes.Repeat([]byte("0"), 62)), MerchantID: f.merchant.ID,
		ContentType: "image/webp", Data: []byte("RIFF....WEBPVP8 "), Width: 10, Height: 10, CreatedAt: at(2)}

	t.Run("set stores the bytes and points the merchant at them", func(t *testing.T) {
		before := f.version(t)
		m, err := f.store.SetMerchantLogo(f.ctx, f.merchant.ID, first, at(1))
		noErr(t, "SetMerchantLogo", err)
		if m.LogoID != first.ID || !m.UpdatedAt.Equal(at(1)) {
			t.Errorf("merchant LogoID %q UpdatedAt %v, want %q %v", m.LogoID, m.UpdatedAt, first.ID, at(1))
		}
		read, err := f.store.GetMerchant(f.ctx, f.merchant.ID)
		noErr(t, "GetMerchant", err)
		diff(t, "merchant read back", m, read)
		got, err := f.store.GetMerchantLogo(f.ctx, first.ID)
		noErr(t, "GetMerchantLogo", err)
		diff(t, "logo", first, got)
		wantUTC(t, "logo", got.CreatedAt)
		if after := f.version(t); after == before {
			t.Error("CredentialsVersion unchanged by a logo: principals would keep the old LogoID")
		}
	})

	t.Run("a new logo replaces the old", func(t *testing.T) {
		_, err := f.store.SetMerchantLogo(f.ctx, f.merchant.ID, second, at(2))
		noErr(t, "SetMerchantLogo", err)
		_, err = f.store.GetMerchantLogo(f.ctx, first.ID)
		wantErr(t, "GetMerchantLogo(replaced)", err, gateway.ErrNotFound)
		got, err := f.store.GetMerchantLogo(f.ctx, second.ID)
		noErr(t, "GetMerchantLogo", err)
		diff(t, "logo", second, got)
	})

	t.Run("two merchants may upload the same image", func(t *testing.T) {
		same := *second
		same.MerchantID = f.other.ID
		_, err := f.store.SetMerchantLogo(f.ctx, f.other.ID, &same, at(3))
		noErr(t, "SetMerchantLogo(other merchant, same bytes)", err)
		got, err := f.store.GetMerchantLogo(f.ctx, second.ID)
		noErr(t, "GetMerchantLogo", err)
		if !bytes.Equal(got.Data, second.Data) {
			t.Error("logo bytes differ")
		}
	})

	t.Run("nil removes it", func(t *testing.T) {
		m, err := f.store.SetMerchantLogo(f.ctx, f.other.ID, nil, at(4))
		noErr(t, "SetMerchantLogo(nil)", err)
		if m.LogoID != "" {
			t.Errorf("LogoID = %q after removal", m.LogoID)
		}
		// The first merchant's copy of the same bytes stays.
		_, err = f.store.GetMerchantLogo(f.ctx, second.ID)
		noErr(t, "GetMerchantLogo(the other merchant's copy)", err)
		_, err = f.store.SetMerchantLogo(f.ctx, f.merchant.ID, nil, at(5))
		noErr(t, "SetMerchantLogo(nil)", err)
		_, err = f.store.GetMerchantLogo(f.ctx, second.ID)
		wantErr(t, "GetMerchantLogo(removed)", err, gateway.ErrNotFound)
	})

	t.Run("unknown merchant or logo", func(t *testing.T) {
		_, err := f.store.SetMerchantLogo(f.ctx, "mer_nobody", first, at(6))
		wantErr(t, "SetMerchantLogo", err, gateway.ErrNotFound)
		_, err = f.store.GetMerchantLogo(f.ctx, first.ID)
		wantErr(t, "GetMerchantLogo(of the refused merchant)", err, gateway.ErrNotFound)
	})
}

func testKeyUsage(t *testing.T, f *fixture) {
	sk, pk := f.keys["sk_test"], f.keys["pk_live"]
	lastUsed := func(t *testing.T) map[string]time.Time {
		t.Helper()
		keys, err := f.store.ListAPIKeys(f.ctx, f.merchant.ID)
		noErr(t, "ListAPIKeys", err)
		out := map[string]time.Time{}
		for _, k := range keys {
			out[k.ID] = k.LastUsedAt
		}
		return out
	}

	t.Run("list shows the active keys, none used yet", func(t *testing.T) {
		keys, err := f.store.ListAPIKeys(f.ctx, f.merchant.ID)
		noErr(t, "ListAPIKeys", err)
		var types []gateway.KeyType
		for _, k := range keys {
			types = append(types, k.Type())
			if !k.LastUsedAt.IsZero() {
				t.Errorf("%s LastUsedAt = %v before any use", k.ID, k.LastUsedAt)
			}
			want := f.keys[k.Type()]
			diff(t, "listed key", &want, &k)
		}
		diff(t, "key types in order", []gateway.KeyType{"pk_live", "sk_live", "pk_test", "sk_test"}, types)
	})

	t.Run("usage is recorded, the later time wins, and no credentials change", func(t *testing.T) {
		before := f.version(t)
		noErr(t, "RecordKeyUsage", f.store.RecordKeyUsage(f.ctx, map[string]time.Time{sk.ID: at(10), pk.ID: at(11)}))
		// Another node flushes an older use afterwards: it must not win.
		noErr(t, "RecordKeyUsage", f.store.RecordKeyUsage(f.ctx, map[string]time.Time{sk.ID: at(9), pk.ID: at(12)}))
		got := lastUsed(t)
		if !got[sk.ID].Equal(at(10)) || !got[pk.ID].Equal(at(12)) {
			t.Errorf("last used sk %v pk %v, want %v %v", got[sk.ID], got[pk.ID], at(10), at(12))
		}
		wantUTC(t, "last used", got[sk.ID], got[pk.ID])
		if !got[f.keys["sk_live"].ID].IsZero() {
			t.Error("an unused key has a last use")
		}
		if after := f.version(t); after != before {
			t.Errorf("CredentialsVersion %d → %d by usage: every node's key cache would be emptied each minute", before, after)
		}
		noErr(t, "RecordKeyUsage(empty)", f.store.RecordKeyUsage(f.ctx, nil))
	})

	t.Run("a replaced key leaves the list", func(t *testing.T) {
		k := apiKey(f.merchant.ID, "sk_test", "2", at(20))
		noErr(t, "ReplaceAPIKey", f.store.ReplaceAPIKey(f.ctx, k))
		got := lastUsed(t)
		if _, ok := got[sk.ID]; ok {
			t.Error("the revoked key is still listed")
		}
		if _, ok := got[k.ID]; !ok || len(got) != 4 {
			t.Errorf("listed %v, want the new key among four", got)
		}
	})

	t.Run("many keys in one call", func(t *testing.T) {
		used := map[string]time.Time{}
		for i := range 6000 {
			used[fmt.Sprintf("key_bulk_%05d", i)] = at(30)
		}
		used[pk.ID] = at(31)
		noErr(t, "RecordKeyUsage(6001 keys)", f.store.RecordKeyUsage(f.ctx, used))
		if got := lastUsed(t); !got[pk.ID].Equal(at(31)) {
			t.Errorf("pk last used %v, want %v", got[pk.ID], at(31))
		}
	})

	t.Run("unknown merchant lists nothing", func(t *testing.T) {
		keys, err := f.store.ListAPIKeys(f.ctx, "mer_nobody")
		noErr(t, "ListAPIKeys", err)
		if len(keys) != 0 {
			t.Errorf("listed %d keys", len(keys))
		}
	})
}

func testProductByID(t *testing.T, f *fixture) {
	live := product(f.otherMode, "prod_live_link", "Live Link", at(0))
	live.SuccessURL, live.ThankYouMessage = "https://alpha.example/done", "Thanks & enjoy"
	test := product(f.otherMerchant, "prod_other_link", "Other Link", at(1))
	f.createProduct(t, live)
	f.createProduct(t, test)

	t.Run("any scope, every field", func(t *testing.T) {
		for _, want := range []*gateway.Product{live, test} {
			got, err := f.store.ProductByID(f.ctx, want.ID)
			noErr(t, "ProductByID", err)
			diff(t, "product", want, got)
		}
	})

	t.Run("after-payment fields are patched like any other", func(t *testing.T) {
		got, err := f.store.UpdateProduct(f.ctx, f.otherMode, live.ID, func(p *gateway.Product) error {
			p.SuccessURL, p.ThankYouMessage = "", "Merci"
			return nil
		})
		noErr(t, "UpdateProduct", err)
		read, err := f.store.GetProduct(f.ctx, f.otherMode, live.Slug)
		noErr(t, "GetProduct", err)
		diff(t, "product", got, read)
		if read.SuccessURL != "" || read.ThankYouMessage != "Merci" {
			t.Errorf("read back %q %q", read.SuccessURL, read.ThankYouMessage)
		}
	})

	t.Run("by id only: a slug is no link", func(t *testing.T) {
		_, err := f.store.ProductByID(f.ctx, live.Slug)
		wantErr(t, "ProductByID(slug)", err, gateway.ErrNotFound)
		_, err = f.store.ProductByID(f.ctx, "prod_nothing")
		wantErr(t, "ProductByID(unknown)", err, gateway.ErrNotFound)
	})
}
