// Package dashboard serves the merchant dashboard under /dashboard:
// server-rendered html/template pages, embedded assets with content-hashed
// names, a strict Content-Security-Policy (no inline script or style), and
// every core form working without JavaScript. It is one client of the same
// domain rules as the API: pages call gateway.Service and gateway.Accounts,
// never a rule of their own.
//
// # Layout of the package (Miniflux's shape)
//
//	routes.go          the one table of every dashboard URL
//	dashboard.go       Handler, the middleware (CSRF, viewer, access, fresh), errors
//	viewer.go          Viewer: who is signed in, which merchant and mode, role
//	render.go          templates, template functions, assets, navigation, notices
//	session/           the cookies and the CSRF token
//	form/              a form's values and field errors, for re-showing it
//	<page>.go          one small file per page: its handlers (show + submit)
//	templates/layout.html, partials.html   the layout and shared partials
//	templates/pages/<page>.html            one template per page
//	templates/<section>_partials.html      partials shared by one section's pages (webhooks)
//	assets/            dashboard.css, dashboard.js
//
// # Adding a page
//
// Say "Products", listed at /dashboard/products and created by a form.
//
// 1. The handler file, products.go (products_edit.go, ... as it grows). A
// handler is a handlerFunc: it gets the Viewer and returns an error.
//
//	type productsData struct {
//		Products []gateway.Product
//		Form     *form.Form
//	}
//
//	// productsShow lists the merchant's products in the mode in view.
//	func (h *Handler) productsShow(w http.ResponseWriter, r *http.Request, v *Viewer) error {
//		list, err := h.svc.ListProducts(r.Context(), v.Scope(), gateway.ProductFilter{})
//		if err != nil {
//			return err // 404 for gateway.ErrNotFound, logged 500 for the unexpected
//		}
//		return h.render(w, r, v, "products", productsData{Products: list.Items, Form: form.New()})
//	}
//
//	// productCreate takes the new-product form.
//	func (h *Handler) productCreate(w http.ResponseWriter, r *http.Request, v *Viewer) error {
//		f := r.PostForm // already parsed (and its CSRF token checked) by the middleware
//		_, err := h.svc.CreateProduct(r.Context(), v.Scope(), gateway.ProductParams{Name: f.Get("name")})
//		if err != nil {
//			fm, ok := form.FromError(f, err) // the domain's field errors, as the API returns them
//			if !ok {
//				return err
//			}
//			return h.renderStatus(w, r, v, http.StatusUnprocessableEntity, "products", productsData{Form: fm})
//		}
//		http.Redirect(w, r, "/dashboard/products?notice=saved", http.StatusSeeOther) // Post/Redirect/Get
//		return nil
//	}
//
// 2. The template, templates/pages/products.html, defining "title" and
// "content" (the layout around it draws the header, the live/test switch and
// banner, the navigation and the notice):
//
//	{{define "title"}}Products{{end}}
//	{{define "content"}}<h1>Products</h1>
//	{{range .Data.Products}}<p>{{.Name}} — {{money .PriceCents .Currency}}</p>{{else}}<p class="empty">No products yet.</p>{{end}}
//	{{template "formerror" .Data.Form}}
//	<form method="post" action="/dashboard/products">{{template "csrf" .}}
//	{{template "field" (field .Data.Form "name" "Name" "text" "off")}}
//	<button type="submit" class="primary">Create</button>
//	</form>{{end}}
//
// In a template, . is the page: .V is the Viewer (.V.Test, .V.Role, .V.Can,
// .V.CSRF, .V.Membership.MerchantName), .Data is what the handler passed.
// Every value is escaped by html/template; never convert merchant or customer
// data to template.HTML. Functions: asset, when (a time: UTC, the viewer's
// zone with JavaScript), money, sats, digits, field. Partials: "csrf" (the
// page), "formerror" (a *form.Form), "field" (see above), "secret" (a
// string shown once, with a copy button). Every POST form carries
// {{template "csrf" .}}. Wrap each table in <div class="tablewrap"
// tabindex="0">, so a wide table scrolls inside its box on a phone and the
// page never scrolls sideways (the browser test checks every page at 390
// px); the tabindex lets a keyboard scroll it. Classes for the
// rest: card, narrow, empty (an empty state: say what to do next), hint,
// warning, notice, num (right-aligned figures), button primary / danger.
//
// 3. The route lines, in routes.go:
//
//	{Method: "GET", Path: "/dashboard/products", Access: Member, Perm: gateway.PermManageProducts, Handle: h.productsShow},
//	{Method: "POST", Path: "/dashboard/products", Access: Member, Perm: gateway.PermManageProducts, Handle: h.productCreate},
//
// A GET route whose path is in navItems (render.go) puts the page in the
// navigation for the roles that have its permission; a new section adds its
// navItems line. A path parameter ({product_id}) needs a sample for the
// security tests: add it to paramSamples in security_test.go — Own, an
// object of merchant A (so the role tests reach the page: 200 for roles with
// the permission, 403 for the others), and Other, one of merchant B (the page
// must answer 404 and change nothing) — made in newSecFixture. A POST route
// whose refusal should be tested with a valid form adds it to formSamples;
// a GET page that needs a query adds it to sampleQuery. A page that renders
// merchant or customer text gets the xss payload in TestEscaping's data.
//
// # The rules every page follows
//
//   - Scope: a Member route always has a merchant in view. Read and write
//     only through v.Scope() (merchant and mode): another merchant's id is
//     then gateway.ErrNotFound, which renders 404, and each page shows one
//     mode's data only. v.MerchantID() is the merchant alone (for
//     merchant-wide objects such as keys and members).
//   - Permissions: the route's Perm is checked before the handler runs (403
//     otherwise). gateway.Role.Can is the one permission table; to show or
//     hide a button by role use {{if .V.Can "manage_wallet"}} or
//     v.Can(gateway.PermManageWallet).
//   - Fresh credentials: a route with Fresh: true (revealing or rolling a
//     secret, changing a wallet, adding a member) runs only if the password
//     or a TOTP code was proved in the last few minutes; otherwise the
//     browser is sent to /dashboard/reauth and back. Record such actions in
//     the audit log: h.acc.Record(ctx, v.Actor(), v.MerchantID(),
//     gateway.AuditWalletChanged, "lnd").
//   - CSRF: the middleware refuses (403, nothing done) every non-GET
//     request without this session's token or from another origin, before
//     the handler runs. Handlers read r.PostForm, never r.Form (no query
//     string values in a change). GET handlers change nothing.
//   - Errors: return them. Form errors re-render the form with
//     form.FromError and 422; Post/Redirect/Get with ?notice=<key> (a fixed
//     list in render.go) after a change.
//   - Secrets are shown once, in the response that made them, never logged
//     and never put in a URL.
package dashboard
