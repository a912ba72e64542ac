package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/satsrail/satsrail/apitype"
	"github.com/satsrail/satsrail/client"
)

// The tools' inputs. Their JSON schemas are inferred from these structs: a
// field without omitempty is required, and the jsonschema tag is its
// description. Unknown arguments are refused.

type idInput struct {
	ID string `json:"id" jsonschema:"the checkout session's id (cs_...), also called its token or checkout_id"`
}

type lineItemInput struct {
	ProductID       string `json:"product_id,omitempty" jsonschema:"a product's id (prod_...); its name and price are used"`
	Name            string `json:"name,omitempty" jsonschema:"an ad-hoc item's name (with unit_amount_cents, instead of product_id)"`
	UnitAmountCents int64  `json:"unit_amount_cents,omitempty" jsonschema:"an ad-hoc item's unit price in minor units"`
	Quantity        int64  `json:"quantity,omitempty" jsonschema:"how many (default 1)"`
}

type createSessionInput struct {
	AmountCents   int64             `json:"amount_cents,omitempty" jsonschema:"amount in the currency's minor units (5000 is 50.00 USD); required unless line_items are given"`
	Currency      string            `json:"currency,omitempty" jsonschema:"lower-case currency code such as usd or eur (default usd)"`
	SuccessURL    string            `json:"success_url" jsonschema:"absolute http(s) URL the customer is sent to after paying (checkout_id is added to its query)"`
	CancelURL     string            `json:"cancel_url" jsonschema:"absolute http(s) URL the customer is sent to on cancel"`
	CustomerEmail string            `json:"customer_email,omitempty" jsonschema:"the customer's email address"`
	CustomerName  string            `json:"customer_name,omitempty" jsonschema:"the customer's name"`
	Metadata      map[string]string `json:"metadata,omitempty" jsonschema:"up to 50 string key/value pairs kept with the session, e.g. order_id"`
	LineItems     []lineItemInput   `json:"line_items,omitempty" jsonschema:"the items bought; their sum is the amount"`
	// IdempotencyKey lets an agent retry a create safely.
	IdempotencyKey string `json:"idempotency_key,omitempty" jsonschema:"a key (up to 255 characters) that makes a repeated call return the first call's session instead of creating another"`
}

type pageInput struct {
	Page          int    `json:"page,omitempty" jsonschema:"page number, from 1"`
	PerPage       int    `json:"per_page,omitempty" jsonschema:"objects per page, 1 to 100 (default 25)"`
	StartingAfter string `json:"starting_after,omitempty" jsonschema:"the id of the last object of the previous page (cursor paging)"`
	CreatedAfter  string `json:"created_after,omitempty" jsonschema:"only objects created after this RFC 3339 time"`
	CreatedBefore string `json:"created_before,omitempty" jsonschema:"only objects created before this RFC 3339 time"`
}

func (p pageInput) params() (client.PageParams, client.CreatedRange, error) {
	var r client.CreatedRange
	for _, b := range []struct {
		name, v string
		dst     *time.Time
	}{{"created_after", p.CreatedAfter, &r.CreatedAfter}, {"created_before", p.CreatedBefore, &r.CreatedBefore}} {
		if b.v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, b.v)
		if err != nil {
			return client.PageParams{}, r, fmt.Errorf("%s must be an RFC 3339 time such as 2026-01-31T12:00:00Z", b.name)
		}
		*b.dst = t
	}
	return client.PageParams{Page: p.Page, PerPage: p.PerPage, StartingAfter: p.StartingAfter}, r, nil
}

type listSessionsInput struct {
	pageInput
	Status string `json:"status,omitempty" jsonschema:"pending, completed, expired or cancelled"`
}

type listProductsInput struct {
	pageInput
	Status string `json:"status,omitempty" jsonschema:"active or archived"`
	Name   string `json:"name,omitempty" jsonschema:"only products whose name contains this"`
}

type createProductInput struct {
	Name        string            `json:"name" jsonschema:"the product's name"`
	PriceCents  int64             `json:"price_cents" jsonschema:"price in the currency's minor units (450 is 4.50 USD)"`
	Currency    string            `json:"currency,omitempty" jsonschema:"lower-case currency code (default usd)"`
	Description string            `json:"description,omitempty" jsonschema:"a description shown to customers"`
	Slug        string            `json:"slug,omitempty" jsonschema:"URL-safe name (default: made from the name)"`
	ImageURL    string            `json:"image_url,omitempty" jsonschema:"absolute https URL of an image"`
	SKU         string            `json:"sku,omitempty" jsonschema:"the merchant's stock-keeping unit"`
	ExternalRef string            `json:"external_ref,omitempty" jsonschema:"the merchant's own reference"`
	Metadata    map[string]string `json:"metadata,omitempty" jsonschema:"string key/value pairs kept with the product"`
}

type listTransactionsInput struct {
	pageInput
	CheckoutSessionID string `json:"checkout_session_id,omitempty" jsonschema:"only the transaction of this checkout session"`
	PaymentHash       string `json:"payment_hash,omitempty" jsonschema:"only the transaction with this Lightning payment hash"`
}

type ratesInput struct {
	Currency string `json:"currency,omitempty" jsonschema:"lower-case currency code (default usd)"`
}

type noInput struct{}

func ptr[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

func boolp(b bool) *bool { return &b }

func anyMap(m map[string]string) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// result is the tools' common ending: the object as structured content (and
// its JSON as text), or the API's error as a tool error.
func result[T any](v *T, err error) (*mcp.CallToolResult, any, error) {
	if err != nil {
		return nil, nil, toolError(err)
	}
	return nil, v, nil
}

// toolError is what the agent reads of a failed call: the API's code,
// message and field details, and the request id to quote.
func toolError(err error) error {
	var apiErr *client.Error
	if !errors.As(err, &apiErr) {
		return err
	}
	msg := fmt.Sprintf("%s (HTTP %d): %s", apiErr.Code, apiErr.StatusCode, apiErr.Message)
	if apiErr.Code == "" {
		msg = fmt.Sprintf("HTTP %d: %s", apiErr.StatusCode, apiErr.Message)
	}
	for _, d := range apiErr.Details {
		msg += fmt.Sprintf("\n- %s: %s", d.Field, d.Message)
	}
	if apiErr.RequestID != "" {
		msg += "\nrequest_id: " + apiErr.RequestID
	}
	return errors.New(msg)
}

func readOnly() *mcp.ToolAnnotations { return &mcp.ToolAnnotations{ReadOnlyHint: true} }

func addTools(s *mcp.Server, c *client.Client) {
	mcp.AddTool(s, &mcp.Tool{Name: "create_checkout_session", Title: "Create a checkout session",
		Description: "Create a checkout session: a Lightning payment of an amount (or of line items) that the customer pays at its checkout_url. Returns the session, status pending.",
		Annotations: &mcp.ToolAnnotations{OpenWorldHint: boolp(false)}},
		func(ctx context.Context, _ *mcp.CallToolRequest, in createSessionInput) (*mcp.CallToolResult, any, error) {
			p := &apitype.CheckoutSessionParams{AmountCents: ptr(in.AmountCents), Currency: ptr(in.Currency),
				SuccessURL: ptr(in.SuccessURL), CancelURL: ptr(in.CancelURL), CustomerEmail: ptr(in.CustomerEmail),
				CustomerName: ptr(in.CustomerName), Metadata: anyMap(in.Metadata)}
			for _, li := range in.LineItems {
				p.LineItems = append(p.LineItems, apitype.CheckoutLineItemParams{ProductID: ptr(li.ProductID), Name: ptr(li.Name),
					UnitAmountCents: ptr(li.UnitAmountCents), Quantity: ptr(li.Quantity)})
			}
			var opts []client.CallOption
			if in.IdempotencyKey != "" {
				opts = append(opts, client.WithIdempotencyKey(in.IdempotencyKey))
			}
			return result(c.CreateCheckoutSession(ctx, p, opts...))
		})

	mcp.AddTool(s, &mcp.Tool{Name: "get_checkout_session", Title: "Get a checkout session",
		Description: "Read a checkout session by id, e.g. to verify that it is completed (paid). An expired session is returned with status expired.",
		Annotations: readOnly()},
		func(ctx context.Context, _ *mcp.CallToolRequest, in idInput) (*mcp.CallToolResult, any, error) {
			sess, err := c.GetCheckoutSession(ctx, in.ID)
			var apiErr *client.Error
			if errors.As(err, &apiErr) && apiErr.CheckoutSession != nil {
				return nil, apiErr.CheckoutSession, nil // 410: the expired session itself
			}
			return result(sess, err)
		})

	mcp.AddTool(s, &mcp.Tool{Name: "list_checkout_sessions", Title: "List checkout sessions",
		Description: "List checkout sessions, newest first, one page at a time (has_more says whether another page follows).",
		Annotations: readOnly()},
		func(ctx context.Context, _ *mcp.CallToolRequest, in listSessionsInput) (*mcp.CallToolResult, any, error) {
			pp, cr, err := in.params()
			if err != nil {
				return nil, nil, err
			}
			return result(c.ListCheckoutSessions(ctx, &client.CheckoutSessionListParams{PageParams: pp, CreatedRange: cr, Status: in.Status}))
		})

	mcp.AddTool(s, &mcp.Tool{Name: "expire_checkout_session", Title: "Expire a checkout session",
		Description: "Expire a pending checkout session now, so it can no longer be paid.",
		Annotations: &mcp.ToolAnnotations{DestructiveHint: boolp(true), IdempotentHint: true, OpenWorldHint: boolp(false)}},
		func(ctx context.Context, _ *mcp.CallToolRequest, in idInput) (*mcp.CallToolResult, any, error) {
			return result(c.ExpireCheckoutSession(ctx, in.ID))
		})

	mcp.AddTool(s, &mcp.Tool{Name: "list_products", Title: "List products",
		Description: "List the merchant's products, newest first, one page at a time.",
		Annotations: readOnly()},
		func(ctx context.Context, _ *mcp.CallToolRequest, in listProductsInput) (*mcp.CallToolResult, any, error) {
			pp, cr, err := in.params()
			if err != nil {
				return nil, nil, err
			}
			return result(c.ListProducts(ctx, &client.ProductListParams{PageParams: pp, CreatedRange: cr, Status: in.Status, Name: in.Name}))
		})

	mcp.AddTool(s, &mcp.Tool{Name: "create_product", Title: "Create a product",
		Description: "Create a product with a name and a price; it gets a payment link (payment_link_url).",
		Annotations: &mcp.ToolAnnotations{OpenWorldHint: boolp(false)}},
		func(ctx context.Context, _ *mcp.CallToolRequest, in createProductInput) (*mcp.CallToolResult, any, error) {
			return result(c.CreateProduct(ctx, &apitype.ProductParams{Name: ptr(in.Name), PriceCents: &in.PriceCents,
				Currency: ptr(in.Currency), Description: ptr(in.Description), Slug: ptr(in.Slug), ImageURL: ptr(in.ImageURL),
				SKU: ptr(in.SKU), ExternalRef: ptr(in.ExternalRef), Metadata: anyMap(in.Metadata)}))
		})

	mcp.AddTool(s, &mcp.Tool{Name: "list_transactions", Title: "List transactions",
		Description: "List settled Lightning payments, newest first, one page at a time.",
		Annotations: readOnly()},
		func(ctx context.Context, _ *mcp.CallToolRequest, in listTransactionsInput) (*mcp.CallToolResult, any, error) {
			pp, cr, err := in.params()
			if err != nil {
				return nil, nil, err
			}
			return result(c.ListTransactions(ctx, &client.TransactionListParams{PageParams: pp, CreatedRange: cr,
				CheckoutSessionID: in.CheckoutSessionID, PaymentHash: in.PaymentHash}))
		})

	mcp.AddTool(s, &mcp.Tool{Name: "get_rates", Title: "Get the BTC price",
		Description: "Read the current BTC price in a currency and how many sats one unit buys.",
		Annotations: readOnly()},
		func(ctx context.Context, _ *mcp.CallToolRequest, in ratesInput) (*mcp.CallToolResult, any, error) {
			return result(c.GetRate(ctx, in.Currency))
		})

	mcp.AddTool(s, &mcp.Tool{Name: "get_merchant", Title: "Get the merchant",
		Description: "Read the merchant account this key belongs to: name, mode (livemode), checkout settings.",
		Annotations: readOnly()},
		func(ctx context.Context, _ *mcp.CallToolRequest, _ noInput) (*mcp.CallToolResult, any, error) {
			return result(c.GetMerchant(ctx))
		})
}
