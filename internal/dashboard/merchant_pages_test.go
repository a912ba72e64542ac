package dashboard

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

const xssName = `<script>alert("x")</script>`

// uploadLogo posts a multipart logo form as a browser would.
func (b *browser) uploadLogo(file []byte, name string) *resp {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf_token", b.csrf())
	fw, _ := mw.CreateFormFile("logo", name)
	fw.Write(file)
	mw.Close()
	req, _ := http.NewRequest("POST", b.e.url+"/dashboard/settings/logo", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", b.e.url)
	return b.do(req)
}

func scopeOf(m *gateway.Merchant) gateway.Scope {
	return gateway.Scope{MerchantID: m.ID, Mode: gateway.ModeTest}
}

func TestProductsPages(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	m := e.merchant("Alpha Shop")
	owner, _ := e.user("owner@alpha.example", m.ID, gateway.RoleOwner)

	owner.get("/dashboard/products").want(t, 200)
	if !strings.Contains(owner.last, "No products yet") {
		t.Errorf("empty state missing:\n%.1500s", owner.last)
	}

	// Bad input: the domain's field messages, the values typed shown back escaped.
	r := owner.post("/dashboard/products", url.Values{"name": {xssName}, "price": {"12.505"}, "success_url": {"javascript:alert(1)"}}).want(t, 422)
	if strings.Contains(r.body, xssName) || !strings.Contains(r.body, "&lt;script&gt;") || !strings.Contains(r.body, "Price (e.g. 12.50) must be an amount like 12.50") {
		t.Errorf("422 page:\n%s", r.body)
	}
	r = owner.post("/dashboard/products", url.Values{"name": {" "}, "price": {"3"}, "success_url": {"ftp://x"}}).want(t, 422)
	for _, msg := range []string{"is required", "must be an absolute http or https URL"} {
		if !strings.Contains(r.body, msg) {
			t.Errorf("422 page lacks %q", msg)
		}
	}

	owner.post("/dashboard/products", url.Values{"name": {"Mug " + xssName}, "price": {"12.50"}, "thank_you_message": {"Enjoy"}}).want(t, 303)
	list, err := e.svc.ListProducts(ctx, scopeOf(m), gateway.ProductFilter{})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("products: %v %v", list, err)
	}
	p := list.Items[0]
	if p.PriceCents != 1250 || p.Currency != "usd" || p.ThankYouMessage != "Enjoy" || p.Name != "Mug "+xssName {
		t.Errorf("created %+v", p)
	}
	r = owner.get("/dashboard/products").want(t, 200)
	link := e.url + "/pay/" + p.ID
	for _, want := range []string{link, `data-copy="` + link + `"`, "/pay/" + p.ID + "/qr.svg?download=1", "/pay/" + p.ID + "/qr.png?download=1", "$12.50", "Mug &lt;script&gt;"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("list lacks %q", want)
		}
	}
	if strings.Contains(r.body, xssName) {
		t.Error("list renders the product name unescaped")
	}

	page := owner.get("/dashboard/products/"+p.ID).want(t, 200)
	if !strings.Contains(page.body, `<img class="linkqr" src="/pay/`+p.ID+`/qr.svg"`) || !strings.Contains(page.body, `value="12.50"`) {
		t.Errorf("product page:\n%s", page.body)
	}
	owner.post("/dashboard/products/"+p.ID, url.Values{"name": {"Mug"}, "price": {"9"}, "currency": {"usd"}, "status": {"active"},
		"description": {""}, "slug": {"mug"}, "image_url": {""}, "sku": {""}, "success_url": {"https://alpha.example/done"}, "thank_you_message": {""}}).want(t, 303)
	got, _ := e.svc.GetProduct(ctx, scopeOf(m), p.ID)
	if got.Name != "Mug" || got.PriceCents != 900 || got.Slug != "mug" || got.SuccessURL != "https://alpha.example/done" || got.ThankYouMessage != "" {
		t.Errorf("updated %+v", got)
	}
	r = owner.post("/dashboard/products/"+p.ID, url.Values{"name": {"Mug"}, "price": {"-1"}, "status": {"gone"}}).want(t, 422)
	if !strings.Contains(r.body, "must be an amount") {
		t.Errorf("bad edit:\n%.3000s", r.body)
	}

	owner.post("/dashboard/products/"+p.ID+"/archive", nil).want(t, 303)
	if got, _ := e.svc.GetProduct(ctx, scopeOf(m), p.ID); got.Status != gateway.ProductArchived {
		t.Errorf("archive: status %s", got.Status)
	}
	if r := owner.get("/dashboard/products/" + p.ID); !strings.Contains(r.body, "This product is archived") {
		t.Error("archived product page does not say so")
	}

	// Another merchant's product is 404 and is left alone.
	other := e.merchant("Bravo Shop")
	name, price := "Bravo Mug", int64(100)
	bp, err := e.svc.CreateProduct(ctx, scopeOf(other), gateway.ProductParams{Name: &name, PriceCents: &price})
	if err != nil {
		t.Fatal(err)
	}
	owner.get("/dashboard/products/"+bp.ID).want(t, 404)
	owner.post("/dashboard/products/"+bp.ID+"/archive", nil).want(t, 404)
	if got, _ := e.svc.GetProduct(ctx, scopeOf(other), bp.ID); got.Status != gateway.ProductActive {
		t.Error("another merchant's product was archived")
	}
}

func TestParseMinor(t *testing.T) {
	for _, tc := range []struct {
		in, cur string
		want    int64
		ok      bool
	}{
		{"12.50", "usd", 1250, true}, {"12.5", "usd", 1250, true}, {"12", "usd", 1200, true}, {"1,250.00", "eur", 125000, true},
		{"500", "jpy", 500, true}, {"0", "usd", 0, true},
		{"12.505", "usd", 0, false}, {"5.5", "jpy", 0, false}, {"-1", "usd", 0, false}, {"", "usd", 0, false},
		{"1e3", "usd", 0, false}, {"12.", "usd", 0, false}, {"9999999999999", "usd", 0, false},
	} {
		got, ok := parseMinor(tc.in, tc.cur)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseMinor(%q, %s) = %d, %v; want %d, %v", tc.in, tc.cur, got, ok, tc.want, tc.ok)
		}
	}
}

func TestSettingsPage(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	m := e.merchant("Alpha Shop")
	owner, _ := e.user("owner@alpha.example", m.ID, gateway.RoleOwner)
	owner.get("/dashboard/settings").want(t, 200)

	valid := url.Values{"name": {"Alpha Coffee"}, "support_email": {"help@alpha.example"}, "checkout_ttl_minutes": {"30"},
		"success_url": {""}, "thank_you_message": {"Thanks " + xssName}, "allowed_origins": {"https://alpha.example\r\n\r\nhttp://localhost:3000\n"}}
	owner.post("/dashboard/settings", valid).want(t, 303)
	got, _ := e.svc.GetMerchant(ctx, m.ID)
	if got.Name != "Alpha Coffee" || got.SupportEmail != "help@alpha.example" || got.CheckoutTTL.Minutes() != 30 ||
		got.ThankYouMessage != "Thanks "+xssName || strings.Join(got.AllowedOrigins, " ") != "https://alpha.example http://localhost:3000" {
		t.Errorf("saved %+v", got)
	}
	r := owner.get("/dashboard/settings").want(t, 200)
	if strings.Contains(r.body, xssName) || !strings.Contains(r.body, "Thanks &lt;script&gt;") || !strings.Contains(r.body, `value="30"`) {
		t.Errorf("settings page does not show the values escaped:\n%s", r.body)
	}

	bad := url.Values{"name": {""}, "support_email": {"nope"}, "checkout_ttl_minutes": {"3"}, "success_url": {"x"},
		"thank_you_message": {""}, "allowed_origins": {"https://ok.example\nhttps://shop.example/cart\nhttp://plain.example"}}
	r = owner.post("/dashboard/settings", bad).want(t, 422)
	for _, msg := range []string{"is required", "must be a valid email address", "must be between 5 and 60 minutes",
		"must be an absolute http or https URL", "line 2: must be an origin", "line 3: must use https"} {
		if !strings.Contains(r.body, msg) {
			t.Errorf("422 page lacks %q", msg)
		}
	}
	if after, _ := e.svc.GetMerchant(ctx, m.ID); after.Name != "Alpha Coffee" {
		t.Error("a refused form changed the settings")
	}

	// Logo: a PNG is kept and shown; SVG and oversize files are refused with a message.
	var img bytes.Buffer
	png.Encode(&img, image.NewGray(image.Rect(0, 0, 40, 20)))
	owner.uploadLogo(img.Bytes(), "logo.png").want(t, 303)
	got, _ = e.svc.GetMerchant(ctx, m.ID)
	if got.LogoID == "" {
		t.Fatal("logo not stored")
	}
	if r := owner.get("/dashboard/settings"); !strings.Contains(r.body, `src="/logos/`+got.LogoID+`"`) {
		t.Error("settings page does not show the logo")
	}
	r = owner.uploadLogo([]byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "x.svg").want(t, 422)
	if !strings.Contains(r.body, "must be a PNG, JPEG, WebP or GIF image") {
		t.Errorf("svg upload:\n%.3000s", r.body)
	}
	r = owner.uploadLogo(append(img.Bytes(), make([]byte, gateway.MaxLogoBytes)...), "big.png").want(t, 422)
	if !strings.Contains(r.body, "must be at most 256 KiB") {
		t.Errorf("big upload:\n%.3000s", r.body)
	}
	if after, _ := e.svc.GetMerchant(ctx, m.ID); after.LogoID != got.LogoID {
		t.Error("a refused upload replaced the logo")
	}
	owner.post("/dashboard/settings/logo/delete", nil).want(t, 303)
	if after, _ := e.svc.GetMerchant(ctx, m.ID); after.LogoID != "" {
		t.Error("logo not removed")
	}

	// A manager may not change settings.
	manager, _ := e.user("manager@alpha.example", m.ID, gateway.RoleManager)
	manager.post("/dashboard/settings", valid).want(t, 403)
}

func TestOperatorPage(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	a, b := e.merchant("Alpha"), e.merchant("Bravo Shop")
	evil := "Alpha " + xssName
	if _, err := e.svc.UpdateMerchantSettings(ctx, a.ID, gateway.MerchantSettings{Name: &evil}); err != nil {
		t.Fatal(err)
	}
	opsShop := e.merchant("Operator Shop")
	if _, err := e.acc.CreateUser(ctx, gateway.CreateUserParams{Email: "ops@instance.example", Password: testPassword,
		MerchantID: opsShop.ID, Role: "owner", Operator: true}); err != nil {
		t.Fatal(err)
	}
	ops := e.browser()
	ops.signIn("ops@instance.example", testPassword).want(t, 303)
	r := ops.get("/dashboard/operator").want(t, 200)
	if !strings.Contains(r.body, "Alpha &lt;script&gt;") || strings.Contains(r.body, xssName) || !strings.Contains(r.body, b.ID) {
		t.Errorf("operator page:\n%s", r.body)
	}

	ops.post("/dashboard/operator/suspend", url.Values{"merchant_id": {b.ID}}).want(t, 303)
	if got, _ := e.svc.GetMerchant(ctx, b.ID); got.Status != gateway.MerchantSuspended {
		t.Fatalf("status %s", got.Status)
	}
	if r := ops.get("/dashboard/operator"); !strings.Contains(r.body, "Reactivate <span class=\"visually-hidden\">Bravo Shop") {
		t.Error("a suspended merchant has no reactivate button")
	}
	audit, err := e.acc.AuditLog(ctx, b.ID, time.Time{}, 10)
	if err != nil || len(audit) == 0 || audit[0].Action != gateway.AuditMerchantSuspended {
		t.Errorf("audit %v %v", audit, err)
	}
	ops.post("/dashboard/operator/reactivate", url.Values{"merchant_id": {b.ID}}).want(t, 303)
	if got, _ := e.svc.GetMerchant(ctx, b.ID); got.Status != gateway.MerchantActive {
		t.Errorf("status %s after reactivation", got.Status)
	}
	ops.post("/dashboard/operator/suspend", url.Values{"merchant_id": {"mer_nobody"}}).want(t, 404)
	ops.post("/dashboard/operator/suspend", nil).want(t, 404)

	// A merchant's owner who is not an operator is refused and changes nothing.
	owner, _ := e.user("owner@alpha.example", a.ID, gateway.RoleOwner)
	owner.get("/dashboard/operator").want(t, 403)
	owner.post("/dashboard/operator/suspend", url.Values{"merchant_id": {b.ID}}).want(t, 403)
	if got, _ := e.svc.GetMerchant(ctx, b.ID); got.Status != gateway.MerchantActive {
		t.Error("a non-operator suspended a merchant")
	}
}

// TestKeysLastUsed: the keys page shows when each key was last used, as
// the nodes flushed it (to within a minute), and "never" before.
func TestKeysLastUsed(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	m, secrets, err := e.svc.CreateMerchant(ctx, gateway.MerchantParams{Name: "Alpha", Email: "a@alpha.example"})
	if err != nil {
		t.Fatal(err)
	}
	owner, _ := e.user("owner@alpha.example", m.ID, gateway.RoleOwner)
	if r := owner.get("/dashboard/keys").want(t, 200); strings.Count(r.body, "<td>never</td>") != 4 {
		t.Errorf("unused keys: want four \"never\":\n%s", r.body)
	}
	if _, err := e.svc.Authenticate(ctx, secrets["sk_test"]); err != nil {
		t.Fatal(err)
	}
	if n, err := e.svc.FlushKeyUsage(ctx); err != nil || n != 1 {
		t.Fatalf("flush: %d %v", n, err)
	}
	r := owner.get("/dashboard/keys").want(t, 200)
	if strings.Count(r.body, "<td>never</td>") != 3 || !strings.Contains(r.body, `<td><time datetime="`) {
		t.Errorf("after one key's use:\n%s", r.body)
	}
}
