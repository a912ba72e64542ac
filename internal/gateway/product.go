package gateway

import (
	"regexp"
	"strings"
	"time"
)

// ProductStatus is active or archived.
type ProductStatus string

// Product statuses.
const (
	ProductActive   ProductStatus = "active"
	ProductArchived ProductStatus = "archived"
)

// Product is something a merchant sells; sessions can reference it by id or slug.
type Product struct {
	ID          string
	MerchantID  string
	Mode        Mode
	Name        string
	Description string
	PriceCents  Cents
	Currency    string
	Slug        string
	ImageURL    string
	Status      ProductStatus
	SKU         string
	ExternalRef string
	Metadata    map[string]string
	// SuccessURL and ThankYouMessage say what the product's payment link
	// does after payment; "" falls back to the merchant's defaults.
	SuccessURL      string
	ThankYouMessage string
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// ProductParams creates (all required fields set) or patches (only set fields
// change) a product.
type ProductParams struct {
	Name        *string
	Description *string
	PriceCents  *int64
	Currency    *string
	Slug        *string
	ImageURL    *string
	Status      *string
	SKU         *string
	ExternalRef *string
	Metadata    map[string]any
	HasMetadata bool
	// "" clears either, back to the merchant's default.
	SuccessURL      *string
	ThankYouMessage *string
}

var slugRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$`)

// Slugify makes a URL-safe slug from a name: "Café Latte 2" → "cafe-latte-2".
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case strings.ContainsRune("àáâãäå", r):
			b.WriteByte('a')
			dash = false
		case strings.ContainsRune("èéêë", r):
			b.WriteByte('e')
			dash = false
		case strings.ContainsRune("ìíîï", r):
			b.WriteByte('i')
			dash = false
		case strings.ContainsRune("òóôõöø", r):
			b.WriteByte('o')
			dash = false
		case strings.ContainsRune("ùúûü", r):
			b.WriteByte('u')
			dash = false
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
		if b.Len() >= 56 {
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		s = "product"
	}
	return s
}

// applyProduct validates params onto p. create means every required field must
// be present.
func applyProduct(p *Product, in ProductParams, create bool, maxAmount Cents, priced func(string) bool) error {
	var fe fieldErrors
	if in.Name != nil || create {
		switch {
		case in.Name == nil || strings.TrimSpace(*in.Name) == "":
			fe.add("name", "is required")
		case len(*in.Name) > MaxNameLen:
			fe.add("name", "must be at most %d characters", MaxNameLen)
		default:
			p.Name = *in.Name
		}
	}
	if in.Description != nil {
		if len(*in.Description) > 5000 {
			fe.add("description", "must be at most 5000 characters")
		} else {
			p.Description = *in.Description
		}
	}
	if in.PriceCents != nil || create {
		switch {
		case in.PriceCents == nil:
			fe.add("price_cents", "is required")
		case *in.PriceCents < 0:
			fe.add("price_cents", "must not be negative")
		case Cents(*in.PriceCents) > maxAmount:
			fe.add("price_cents", "must be at most %d", maxAmount)
		default:
			p.PriceCents = Cents(*in.PriceCents)
		}
	}
	if in.Currency != nil {
		if c, ok := checkCurrency(&fe, "currency", *in.Currency, priced); ok {
			p.Currency = c
		}
	} else if create {
		p.Currency = "usd"
	}
	if in.Slug != nil {
		if !slugRE.MatchString(*in.Slug) || strings.HasPrefix(*in.Slug, PrefixProduct) {
			fe.add("slug", "must be 1 to 64 lower-case letters, digits and dashes, not starting with %q", PrefixProduct)
		} else {
			p.Slug = *in.Slug
		}
	}
	if in.ImageURL != nil {
		if *in.ImageURL != "" && !validHTTPURL(*in.ImageURL) {
			fe.add("image_url", "must be an absolute http or https URL")
		} else {
			p.ImageURL = *in.ImageURL
		}
	}
	if in.Status != nil {
		switch s := ProductStatus(*in.Status); s {
		case ProductActive, ProductArchived:
			p.Status = s
		default:
			fe.add("status", "must be active or archived")
		}
	} else if create {
		p.Status = ProductActive
	}
	for _, f := range []struct {
		name string
		v    *string
		dst  *string
	}{{"sku", in.SKU, &p.SKU}, {"external_ref", in.ExternalRef, &p.ExternalRef}} {
		if f.v == nil {
			continue
		}
		if len(*f.v) > 200 {
			fe.add(f.name, "must be at most 200 characters")
		} else {
			*f.dst = *f.v
		}
	}
	if in.SuccessURL != nil {
		p.SuccessURL = checkSuccessURL(&fe, "success_url", *in.SuccessURL, p.SuccessURL)
	}
	if in.ThankYouMessage != nil {
		p.ThankYouMessage = checkThankYou(&fe, "thank_you_message", *in.ThankYouMessage, p.ThankYouMessage)
	}
	if in.HasMetadata || create {
		p.Metadata = validateMetadata(&fe, "metadata", in.Metadata)
	}
	return fe.err()
}
