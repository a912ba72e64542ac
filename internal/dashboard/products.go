package dashboard

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/satsrail/satsrail/internal/dashboard/form"
	"github.com/satsrail/satsrail/internal/gateway"
)

// Products and their payment links (SPEC §11): list, create, edit,
// archive, each active product's link with a copy button and its QR code
// to download. Every change goes through the same Service methods as
// POST/PATCH /products, so the form shows the API's field messages.

type productsData struct {
	Products []productRow
	Form     *form.Form
	Status   string // the list's filter: "", "active" or "archived"
	Page     int
	HasMore  bool
	// Prev and Next are the neighbouring page numbers.
	Prev, Next int
}

type productRow struct {
	P    gateway.Product
	Link string
}

type productData struct {
	P    gateway.Product
	Link string
	Form *form.Form
}

// productsPerPage is how many products one page of the list shows.
const productsPerPage = 50

// productsShow lists the products of the mode in view, newest first.
func (h *Handler) productsShow(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	return h.renderProducts(w, r, v, http.StatusOK, form.New())
}

func (h *Handler) renderProducts(w http.ResponseWriter, r *http.Request, v *Viewer, status int, f *form.Form) error {
	q := r.URL.Query()
	d := productsData{Form: f, Page: 1}
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 1 && n < 1_000_000 {
		d.Page = n
	}
	filter := gateway.ProductFilter{Page: gateway.Page{Page: d.Page, PerPage: productsPerPage}}
	switch s := q.Get("status"); s {
	case "active", "archived":
		d.Status, filter.Status = s, gateway.ProductStatus(s)
	}
	list, err := h.svc.ListProducts(r.Context(), v.Scope(), filter)
	if err != nil {
		return err
	}
	d.HasMore, d.Prev, d.Next = list.HasMore, d.Page-1, d.Page+1
	for _, p := range list.Items {
		d.Products = append(d.Products, productRow{P: p, Link: h.linkURL(r, p.ID)})
	}
	return h.renderStatus(w, r, v, status, "products", d)
}

// productCreate takes the new-product form.
func (h *Handler) productCreate(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	f := r.PostForm
	in, err := productForm(f, true)
	if err == nil {
		_, err = h.svc.CreateProduct(r.Context(), v.Scope(), in)
	}
	if err != nil {
		fm, ok := productFormError(f, err)
		if !ok {
			return err
		}
		return h.renderProducts(w, r, v, http.StatusUnprocessableEntity, fm)
	}
	http.Redirect(w, r, "/dashboard/products?notice=saved", http.StatusSeeOther)
	return nil
}

// productEdit shows one product: its edit form, payment link and QR code.
func (h *Handler) productEdit(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	p, err := h.svc.GetProduct(r.Context(), v.Scope(), r.PathValue("product_id"))
	if err != nil {
		return err
	}
	return h.render(w, r, v, "product", productData{P: *p, Link: h.linkURL(r, p.ID), Form: productValues(p)})
}

// productUpdate takes the edit form.
func (h *Handler) productUpdate(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	ctx, id, f := r.Context(), r.PathValue("product_id"), r.PostForm
	p, err := h.svc.GetProduct(ctx, v.Scope(), id)
	if err != nil {
		return err
	}
	in, err := productForm(f, false)
	if err == nil {
		_, err = h.svc.UpdateProduct(ctx, v.Scope(), p.ID, in)
	}
	if err != nil {
		fm, ok := productFormError(f, err)
		if !ok {
			return err
		}
		return h.renderStatus(w, r, v, http.StatusUnprocessableEntity, "product", productData{P: *p, Link: h.linkURL(r, p.ID), Form: fm})
	}
	http.Redirect(w, r, "/dashboard/products/"+url.PathEscape(p.ID)+"?notice=saved", http.StatusSeeOther)
	return nil
}

// productArchive archives a product: its payment link stops working (404
// "Product not found"), its past sessions and transactions stay. The edit
// form's status field brings it back.
func (h *Handler) productArchive(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	archived := string(gateway.ProductArchived)
	p, err := h.svc.UpdateProduct(r.Context(), v.Scope(), r.PathValue("product_id"), gateway.ProductParams{Status: &archived})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/dashboard/products/"+url.PathEscape(p.ID)+"?notice=saved", http.StatusSeeOther)
	return nil
}

// linkURL is a product's payment link on this gateway.
func (h *Handler) linkURL(r *http.Request, productID string) string {
	base := h.publicURL
	if base == "" {
		base = requestOrigin(r)
	}
	return strings.TrimRight(base, "/") + "/pay/" + productID
}

// productForm reads the product form into params. Every text field is
// sent as typed (an empty optional field clears it, as in the API); the
// price is typed in major units ("12.50") and becomes price_cents here.
// create leaves out what was not filled, for the domain's defaults.
func productForm(f url.Values, create bool) (gateway.ProductParams, error) {
	var in gateway.ProductParams
	text := func(name string) *string {
		if _, ok := f[name]; !ok || (create && strings.TrimSpace(f.Get(name)) == "") {
			return nil
		}
		s := strings.TrimSpace(f.Get(name))
		return &s
	}
	in.Name, in.Description, in.Slug, in.ImageURL = text("name"), text("description"), text("slug"), text("image_url")
	in.SKU, in.SuccessURL, in.ThankYouMessage = text("sku"), text("success_url"), text("thank_you_message")
	in.Currency, in.Status = text("currency"), text("status")
	if create && in.Name == nil {
		empty := ""
		in.Name = &empty // the domain says "is required"
	}
	if raw, ok := f["price"]; ok || create {
		cur := strings.TrimSpace(f.Get("currency"))
		if cur == "" {
			cur = "usd"
		}
		s := ""
		if ok {
			s = strings.TrimSpace(raw[0])
		}
		cents, good := parseMinor(s, cur)
		if !good {
			return in, &gateway.Error{Code: gateway.CodeValidation, Message: "The request has invalid fields.",
				Fields: []gateway.FieldError{{Field: "price", Message: "must be an amount like 12.50"}}}
		}
		in.PriceCents = &cents
	}
	return in, nil
}

// parseMinor reads an amount typed in major units ("12.5", "1,250.00",
// "500" yen) as minor units of currency, refusing more decimals than the
// currency has, negatives and anything else.
func parseMinor(s, currency string) (int64, bool) {
	exp, ok := gateway.CurrencyExponent(strings.ToLower(strings.TrimSpace(currency)))
	if !ok {
		exp = 2 // the domain reports the currency itself
	}
	s = strings.ReplaceAll(s, ",", "")
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" && frac == "" || len(frac) > exp || (dot && frac == "") || len(whole) > 12 {
		return 0, false
	}
	n := int64(0)
	for _, r := range whole + frac + strings.Repeat("0", exp-len(frac)) {
		if r < '0' || r > '9' {
			return 0, false
		}
		n = n*10 + int64(r-'0')
	}
	return n, true
}

// productFormError is form.FromError with the domain's price_cents named
// as the form's price field.
func productFormError(f url.Values, err error) (*form.Form, bool) {
	fm, ok := form.FromError(f, err)
	if ok {
		if msg, has := fm.Errors["price_cents"]; has {
			fm.Errors["price"] = msg
		}
	}
	return fm, ok
}

// productValues fills the edit form with p as it is.
func productValues(p *gateway.Product) *form.Form {
	f := form.New()
	for k, v := range map[string]string{
		"name": p.Name, "description": p.Description, "price": gateway.FormatMinor(p.PriceCents, p.Currency),
		"currency": p.Currency, "slug": p.Slug, "image_url": p.ImageURL, "sku": p.SKU, "status": string(p.Status),
		"success_url": p.SuccessURL, "thank_you_message": p.ThankYouMessage,
	} {
		f.Values.Set(k, v)
	}
	return f
}
