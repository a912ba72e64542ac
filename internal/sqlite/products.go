package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

const productColumns = "id, merchant_id, mode, name, description, price_cents, currency, slug, image_url, status, " +
	"sku, external_ref, metadata, success_url, thank_you_message, created_at, updated_at"

func productArgs(p *gateway.Product) []any {
	return []any{p.ID, p.MerchantID, p.Mode, p.Name, p.Description, p.PriceCents, p.Currency, p.Slug, p.ImageURL, p.Status,
		p.SKU, p.ExternalRef, metadataCol(p.Metadata), p.SuccessURL, p.ThankYouMessage, timeCol(p.CreatedAt), timeCol(p.UpdatedAt)}
}

func productDests(p *gateway.Product) []any {
	return []any{&p.ID, &p.MerchantID, &p.Mode, &p.Name, &p.Description, &p.PriceCents, &p.Currency, &p.Slug, &p.ImageURL, &p.Status,
		&p.SKU, &p.ExternalRef, (*metadataCol)(&p.Metadata), &p.SuccessURL, &p.ThankYouMessage, (*timeCol)(&p.CreatedAt), (*timeCol)(&p.UpdatedAt)}
}

var (
	scanProduct   = scanner(productDests)
	insertProduct = insertSQL("products", productColumns)
	updateProduct = updateSQL("products", productColumns)
	productList   = listQuery[gateway.Product]{table: "products", columns: productColumns, scan: scanProduct}
)

// CreateProduct stores a new product; a slug already used in its scope is a
// conflict.
func (s *Store) CreateProduct(ctx context.Context, p *gateway.Product) error {
	_, err := s.writer.ExecContext(ctx, insertProduct, productArgs(p)...)
	return mapErr(err, "create product %s", p.ID)
}

// GetProduct finds a product in scope by id, or by slug when no id matches.
func (s *Store) GetProduct(ctx context.Context, scope gateway.Scope, idOrSlug string) (*gateway.Product, error) {
	p, err := getProduct(ctx, s.reader, scope, idOrSlug)
	if err != nil {
		return nil, mapErr(err, "get product %s", idOrSlug)
	}
	return &p, nil
}

func getProduct(ctx context.Context, q querier, scope gateway.Scope, idOrSlug string) (gateway.Product, error) {
	return scanProduct(q.QueryRowContext(ctx, "SELECT "+productColumns+` FROM products
		WHERE merchant_id = ? AND mode = ? AND (id = ? OR slug = ?)
		ORDER BY id = ? DESC LIMIT 1`, scope.MerchantID, scope.Mode, idOrSlug, idOrSlug, idOrSlug))
}

// ListProducts returns one page of the products in scope that match f.
func (s *Store) ListProducts(ctx context.Context, scope gateway.Scope, f gateway.ProductFilter) (gateway.List[gateway.Product], error) {
	c := scoped(scope)
	c.add(f.Status != "", "status = ?", f.Status)
	// Both sides folded by Unicode, as PostgreSQL's ILIKE does (fold.go).
	c.add(f.NameContains != "", `satsrail_lower(name) LIKE satsrail_lower(?) ESCAPE '\'`, "%"+escapeLike(f.NameContains)+"%")
	c.add(f.SKU != "", "sku = ?", f.SKU)
	c.add(f.ExternalRef != "", "external_ref = ?", f.ExternalRef)
	c.created(f.Created)
	l, err := productList.run(ctx, s, scope, c, f.Page)
	return l, mapErr(err, "list products")
}

// escapeLike makes s match itself literally inside a LIKE pattern that
// declares ESCAPE '\'.
var escapeLike = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace

// UpdateProduct applies fn to the product and saves it, in one transaction.
func (s *Store) UpdateProduct(ctx context.Context, scope gateway.Scope, idOrSlug string, fn func(*gateway.Product) error) (*gateway.Product, error) {
	var p gateway.Product
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		if p, err = getProduct(ctx, tx, scope, idOrSlug); err != nil {
			return err
		}
		before := p
		if err := fn(&p); err != nil {
			return passThrough{err}
		}
		if p.ID != before.ID || p.MerchantID != before.MerchantID || p.Mode != before.Mode {
			return fmt.Errorf("the update changed the product's id, merchant or mode")
		}
		_, err = tx.ExecContext(ctx, updateProduct, append(productArgs(&p), before.ID)...)
		return err
	})
	if err != nil {
		return nil, unwrapCallback(err, "update product %s", idOrSlug)
	}
	return &p, nil
}

// DeleteProduct deletes a product that no checkout session names, or else
// archives it at now and reports archived.
func (s *Store) DeleteProduct(ctx context.Context, scope gateway.Scope, idOrSlug string, now time.Time) (archived bool, err error) {
	err = s.write(ctx, func(tx *sql.Tx) error {
		p, err := getProduct(ctx, tx, scope, idOrSlug)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM checkout_session_products WHERE product_id = ?)", p.ID).
			Scan(&archived); err != nil {
			return err
		}
		if archived {
			_, err = tx.ExecContext(ctx, "UPDATE products SET status = ?, updated_at = ? WHERE id = ?", gateway.ProductArchived, timeCol(now), p.ID)
		} else {
			_, err = tx.ExecContext(ctx, "DELETE FROM products WHERE id = ?", p.ID)
		}
		return err
	})
	return archived, mapErr(err, "delete product %s", idOrSlug)
}
