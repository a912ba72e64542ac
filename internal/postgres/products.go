package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/satsrail/satsrail/internal/gateway"
)

const productColumns = "id, merchant_id, mode, name, description, price_cents, currency, slug, image_url, status, " +
	"sku, external_ref, metadata, success_url, thank_you_message, created_at, updated_at"

func productArgs(p *gateway.Product) []any {
	return []any{p.ID, p.MerchantID, p.Mode, p.Name, p.Description, p.PriceCents, p.Currency, p.Slug, p.ImageURL, p.Status,
		p.SKU, p.ExternalRef, metadataArg(p.Metadata), p.SuccessURL, p.ThankYouMessage, timeCol(p.CreatedAt), timeCol(p.UpdatedAt)}
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
	_, err := s.pool.Exec(ctx, insertProduct, productArgs(p)...)
	return mapErr(err, "create product %s", p.ID)
}

// GetProduct finds a product in scope by id, or by slug when no id matches.
func (s *Store) GetProduct(ctx context.Context, scope gateway.Scope, idOrSlug string) (*gateway.Product, error) {
	p, err := getProduct(ctx, s.pool, scope, idOrSlug, "")
	if err != nil {
		return nil, mapErr(err, "get product %s", idOrSlug)
	}
	return &p, nil
}

// getProduct loads a product by id, or by slug when no id matches, with an
// optional locking clause.
func getProduct(ctx context.Context, q querier, scope gateway.Scope, idOrSlug, lock string) (gateway.Product, error) {
	return scanProduct(q.QueryRow(ctx, "SELECT "+productColumns+` FROM products
		WHERE merchant_id = $1 AND mode = $2 AND (id = $3 OR slug = $3)
		ORDER BY id = $3 DESC LIMIT 1 `+lock, scope.MerchantID, scope.Mode, idOrSlug))
}

// ListProducts returns one page of the products in scope that match f.
func (s *Store) ListProducts(ctx context.Context, scope gateway.Scope, f gateway.ProductFilter) (gateway.List[gateway.Product], error) {
	c := scoped(scope)
	c.add(f.Status != "", "status = ?", f.Status)
	// ILIKE ignores case, of ASCII letters at least (SQLite's LIKE does no
	// more), whatever the database's locale.
	c.add(f.NameContains != "", `name ILIKE ? ESCAPE '\'`, "%"+escapeLike(f.NameContains)+"%")
	c.add(f.SKU != "", "sku = ?", f.SKU)
	c.add(f.ExternalRef != "", "external_ref = ?", f.ExternalRef)
	c.created(f.Created)
	l, err := productList.run(ctx, s, scope, c, f.Page)
	return l, mapErr(err, "list products")
}

// escapeLike makes s match itself literally inside a LIKE pattern that
// declares ESCAPE '\'.
var escapeLike = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace

// UpdateProduct applies fn to the product, locked, and saves it, in one
// transaction.
func (s *Store) UpdateProduct(ctx context.Context, scope gateway.Scope, idOrSlug string, fn func(*gateway.Product) error) (*gateway.Product, error) {
	var p gateway.Product
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		if p, err = getProduct(ctx, tx, scope, idOrSlug, "FOR UPDATE"); err != nil {
			return err
		}
		before := p
		if err := fn(&p); err != nil {
			return passThrough{err}
		}
		if p.ID != before.ID || p.MerchantID != before.MerchantID || p.Mode != before.Mode {
			return fmt.Errorf("the update changed the product's id, merchant or mode")
		}
		_, err = tx.Exec(ctx, updateProduct, append(productArgs(&p), before.ID)...)
		return err
	})
	if err != nil {
		return nil, unwrapCallback(err, "update product %s", idOrSlug)
	}
	return &p, nil
}

// DeleteProduct deletes a product that no checkout session names, or else
// archives it at now and reports archived. The product's row is locked
// before the sessions are looked at, and a session being created that names
// it locks it too (lockProducts), so a product is never deleted from under a
// session written at the same moment.
func (s *Store) DeleteProduct(ctx context.Context, scope gateway.Scope, idOrSlug string, now time.Time) (archived bool, err error) {
	err = s.tx(ctx, func(tx pgx.Tx) error {
		p, err := getProduct(ctx, tx, scope, idOrSlug, "FOR UPDATE")
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM checkout_session_products WHERE product_id = $1)", p.ID).
			Scan(&archived); err != nil {
			return err
		}
		if archived {
			_, err = tx.Exec(ctx, "UPDATE products SET status = $1, updated_at = $2 WHERE id = $3", gateway.ProductArchived, timeCol(now), p.ID)
		} else {
			_, err = tx.Exec(ctx, "DELETE FROM products WHERE id = $1", p.ID)
		}
		return err
	})
	return archived, mapErr(err, "delete product %s", idOrSlug)
}
