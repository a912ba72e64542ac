package client

import (
	"context"
	"iter"
	"net/http"
	"net/url"

	"github.com/satsrail/satsrail/apitype"
)

const api = "/api/v1"

func path(parts ...string) string {
	p := api
	for i, s := range parts {
		if i%2 == 1 {
			s = url.PathEscape(s) // an id
		}
		p += "/" + s
	}
	return p
}

// call is do for a JSON answer of type T.
func call[T any](ctx context.Context, c *Client, r request, opts []CallOption) (*T, error) {
	out := new(T)
	if err := c.do(ctx, r, out, opts); err != nil {
		return nil, err
	}
	return out, nil
}

// --- checkout sessions ---

// CreateCheckoutSession creates a checkout session (POST /checkout_sessions);
// send the customer to its CheckoutURL. A publishable key may call it too.
func (c *Client) CreateCheckoutSession(ctx context.Context, p *apitype.CheckoutSessionParams, opts ...CallOption) (*apitype.CheckoutSession, error) {
	return call[apitype.CheckoutSession](ctx, c, request{method: http.MethodPost, path: path("checkout_sessions"),
		body: apitype.CheckoutSessionCreate{CheckoutSession: orNew(p)}}, opts)
}

// GetCheckoutSession reads a session, e.g. to verify on the success page
// that it is completed. An expired session is a *Error with code
// CodeCheckoutExpired (410) whose CheckoutSession holds it.
func (c *Client) GetCheckoutSession(ctx context.Context, id string, opts ...CallOption) (*apitype.CheckoutSession, error) {
	return call[apitype.CheckoutSession](ctx, c, request{method: http.MethodGet, path: path("checkout_sessions", id)}, opts)
}

// ExpireCheckoutSession expires a pending session now, so it can no longer
// be paid.
func (c *Client) ExpireCheckoutSession(ctx context.Context, id string, opts ...CallOption) (*apitype.CheckoutSession, error) {
	return call[apitype.CheckoutSession](ctx, c, request{method: http.MethodPost, path: path("checkout_sessions", id) + "/expire"}, opts)
}

// ListCheckoutSessions returns one page of sessions, newest first.
func (c *Client) ListCheckoutSessions(ctx context.Context, p *CheckoutSessionListParams, opts ...CallOption) (*apitype.List[apitype.CheckoutSession], error) {
	return c.listSessions(ctx, p.values(), opts)
}

// AllCheckoutSessions iterates over every session p selects, page by page.
func (c *Client) AllCheckoutSessions(ctx context.Context, p *CheckoutSessionListParams, opts ...CallOption) iter.Seq2[apitype.CheckoutSession, error] {
	return all(ctx, p.values(), func(ctx context.Context, q url.Values) (*apitype.List[apitype.CheckoutSession], error) {
		return c.listSessions(ctx, q, opts)
	}, func(s *apitype.CheckoutSession) string { return s.ID })
}

func (c *Client) listSessions(ctx context.Context, q url.Values, opts []CallOption) (*apitype.List[apitype.CheckoutSession], error) {
	return call[apitype.List[apitype.CheckoutSession]](ctx, c, request{method: http.MethodGet, path: path("checkout_sessions"), query: q}, opts)
}

// SimulatePayment pays a test-mode session with the gateway's test wallet,
// as the hosted page's "Simulate payment" button does. It needs a test
// secret key.
func (c *Client) SimulatePayment(ctx context.Context, id string, opts ...CallOption) (*apitype.CheckoutSession, error) {
	return call[apitype.CheckoutSession](ctx, c, request{method: http.MethodPost,
		path: "/checkout/" + url.PathEscape(id) + "/simulate_payment"}, opts)
}

// --- products ---

// CreateProduct creates a product (POST /products).
func (c *Client) CreateProduct(ctx context.Context, p *apitype.ProductParams, opts ...CallOption) (*apitype.Product, error) {
	return call[apitype.Product](ctx, c, request{method: http.MethodPost, path: path("products"),
		body: apitype.ProductWrite{Product: orNew(p)}}, opts)
}

// GetProduct reads a product by id or slug.
func (c *Client) GetProduct(ctx context.Context, idOrSlug string, opts ...CallOption) (*apitype.Product, error) {
	return call[apitype.Product](ctx, c, request{method: http.MethodGet, path: path("products", idOrSlug)}, opts)
}

// UpdateProduct changes the fields p sets (PATCH /products/{id}).
func (c *Client) UpdateProduct(ctx context.Context, idOrSlug string, p *apitype.ProductParams, opts ...CallOption) (*apitype.Product, error) {
	return call[apitype.Product](ctx, c, request{method: http.MethodPatch, path: path("products", idOrSlug),
		body: apitype.ProductWrite{Product: orNew(p)}}, opts)
}

// DeleteProduct deletes a product, or archives it if sessions refer to it.
func (c *Client) DeleteProduct(ctx context.Context, idOrSlug string, opts ...CallOption) error {
	return c.do(ctx, request{method: http.MethodDelete, path: path("products", idOrSlug)}, nil, opts)
}

// ListProducts returns one page of products, newest first.
func (c *Client) ListProducts(ctx context.Context, p *ProductListParams, opts ...CallOption) (*apitype.List[apitype.Product], error) {
	return c.listProducts(ctx, p.values(), opts)
}

// AllProducts iterates over every product p selects, page by page.
func (c *Client) AllProducts(ctx context.Context, p *ProductListParams, opts ...CallOption) iter.Seq2[apitype.Product, error] {
	return all(ctx, p.values(), func(ctx context.Context, q url.Values) (*apitype.List[apitype.Product], error) {
		return c.listProducts(ctx, q, opts)
	}, func(p *apitype.Product) string { return p.ID })
}

func (c *Client) listProducts(ctx context.Context, q url.Values, opts []CallOption) (*apitype.List[apitype.Product], error) {
	return call[apitype.List[apitype.Product]](ctx, c, request{method: http.MethodGet, path: path("products"), query: q}, opts)
}

// --- transactions ---

// GetTransaction reads one settled payment.
func (c *Client) GetTransaction(ctx context.Context, id string, opts ...CallOption) (*apitype.Transaction, error) {
	return call[apitype.Transaction](ctx, c, request{method: http.MethodGet, path: path("transactions", id)}, opts)
}

// ListTransactions returns one page of transactions, newest first.
func (c *Client) ListTransactions(ctx context.Context, p *TransactionListParams, opts ...CallOption) (*apitype.List[apitype.Transaction], error) {
	return c.listTransactions(ctx, p.values(), opts)
}

// AllTransactions iterates over every transaction p selects, page by page.
func (c *Client) AllTransactions(ctx context.Context, p *TransactionListParams, opts ...CallOption) iter.Seq2[apitype.Transaction, error] {
	return all(ctx, p.values(), func(ctx context.Context, q url.Values) (*apitype.List[apitype.Transaction], error) {
		return c.listTransactions(ctx, q, opts)
	}, func(t *apitype.Transaction) string { return t.ID })
}

func (c *Client) listTransactions(ctx context.Context, q url.Values, opts []CallOption) (*apitype.List[apitype.Transaction], error) {
	return call[apitype.List[apitype.Transaction]](ctx, c, request{method: http.MethodGet, path: path("transactions"), query: q}, opts)
}

// --- rates and merchant ---

// GetRate reads the BTC price in currency ("" is usd). A publishable key
// may call it too.
func (c *Client) GetRate(ctx context.Context, currency string, opts ...CallOption) (*apitype.Rate, error) {
	q := url.Values{}
	setIf(q, "currency", currency)
	return call[apitype.Rate](ctx, c, request{method: http.MethodGet, path: path("rates"), query: q}, opts)
}

// GetMerchant reads the key's merchant.
func (c *Client) GetMerchant(ctx context.Context, opts ...CallOption) (*apitype.Merchant, error) {
	return call[apitype.Merchant](ctx, c, request{method: http.MethodGet, path: path("merchant")}, opts)
}

// UpdateMerchant changes the settings p sets (PATCH /merchant).
func (c *Client) UpdateMerchant(ctx context.Context, p *apitype.MerchantParams, opts ...CallOption) (*apitype.Merchant, error) {
	return call[apitype.Merchant](ctx, c, request{method: http.MethodPatch, path: path("merchant"),
		body: apitype.MerchantWrite{Merchant: orNew(p)}}, opts)
}

// SetMerchantLogo uploads the logo shown on the hosted page: a PNG, JPEG,
// GIF or WebP image (PUT /merchant/logo).
func (c *Client) SetMerchantLogo(ctx context.Context, image []byte, opts ...CallOption) (*apitype.Merchant, error) {
	return call[apitype.Merchant](ctx, c, request{method: http.MethodPut, path: path("merchant") + "/logo",
		raw: image, contentType: http.DetectContentType(image)}, opts)
}

// DeleteMerchantLogo removes the logo.
func (c *Client) DeleteMerchantLogo(ctx context.Context, opts ...CallOption) error {
	return c.do(ctx, request{method: http.MethodDelete, path: path("merchant") + "/logo"}, nil, opts)
}

// --- webhooks and events ---

// CreateWebhook adds a webhook endpoint. Its Secret, for verifying
// deliveries with package webhook, is shown only in this answer.
func (c *Client) CreateWebhook(ctx context.Context, p *apitype.WebhookParams, opts ...CallOption) (*apitype.WebhookEndpoint, error) {
	return call[apitype.WebhookEndpoint](ctx, c, request{method: http.MethodPost, path: path("webhooks"),
		body: apitype.WebhookWrite{Webhook: orNew(p)}}, opts)
}

// GetWebhook reads a webhook endpoint (never its secret).
func (c *Client) GetWebhook(ctx context.Context, id string, opts ...CallOption) (*apitype.WebhookEndpoint, error) {
	return call[apitype.WebhookEndpoint](ctx, c, request{method: http.MethodGet, path: path("webhooks", id)}, opts)
}

// UpdateWebhook changes the fields p sets.
func (c *Client) UpdateWebhook(ctx context.Context, id string, p *apitype.WebhookParams, opts ...CallOption) (*apitype.WebhookEndpoint, error) {
	return call[apitype.WebhookEndpoint](ctx, c, request{method: http.MethodPatch, path: path("webhooks", id),
		body: apitype.WebhookWrite{Webhook: orNew(p)}}, opts)
}

// DeleteWebhook removes a webhook endpoint.
func (c *Client) DeleteWebhook(ctx context.Context, id string, opts ...CallOption) error {
	return c.do(ctx, request{method: http.MethodDelete, path: path("webhooks", id)}, nil, opts)
}

// RotateWebhookSecret gives the endpoint a new secret (in the answer); the
// old one keeps signing for a day beside it.
func (c *Client) RotateWebhookSecret(ctx context.Context, id string, opts ...CallOption) (*apitype.WebhookEndpoint, error) {
	return call[apitype.WebhookEndpoint](ctx, c, request{method: http.MethodPost, path: path("webhooks", id) + "/rotate_secret"}, opts)
}

// SendTestWebhook sends the endpoint a test event and returns it.
func (c *Client) SendTestWebhook(ctx context.Context, id string, opts ...CallOption) (*apitype.Event, error) {
	return call[apitype.Event](ctx, c, request{method: http.MethodPost, path: path("webhooks", id) + "/test"}, opts)
}

// ListWebhooks returns one page of webhook endpoints.
func (c *Client) ListWebhooks(ctx context.Context, p *PageParams, opts ...CallOption) (*apitype.List[apitype.WebhookEndpoint], error) {
	return c.listWebhooks(ctx, p.values(), opts)
}

// AllWebhooks iterates over every webhook endpoint, page by page.
func (c *Client) AllWebhooks(ctx context.Context, p *PageParams, opts ...CallOption) iter.Seq2[apitype.WebhookEndpoint, error] {
	return all(ctx, p.values(), func(ctx context.Context, q url.Values) (*apitype.List[apitype.WebhookEndpoint], error) {
		return c.listWebhooks(ctx, q, opts)
	}, func(w *apitype.WebhookEndpoint) string { return w.ID })
}

func (c *Client) listWebhooks(ctx context.Context, q url.Values, opts []CallOption) (*apitype.List[apitype.WebhookEndpoint], error) {
	return call[apitype.List[apitype.WebhookEndpoint]](ctx, c, request{method: http.MethodGet, path: path("webhooks"), query: q}, opts)
}

// ListWebhookDeliveries returns one page of an endpoint's deliveries, with
// their attempts.
func (c *Client) ListWebhookDeliveries(ctx context.Context, webhookID string, p *PageParams, opts ...CallOption) (*apitype.List[apitype.WebhookDelivery], error) {
	return c.listDeliveries(ctx, webhookID, p.values(), opts)
}

// AllWebhookDeliveries iterates over every delivery to an endpoint.
func (c *Client) AllWebhookDeliveries(ctx context.Context, webhookID string, p *PageParams, opts ...CallOption) iter.Seq2[apitype.WebhookDelivery, error] {
	return all(ctx, p.values(), func(ctx context.Context, q url.Values) (*apitype.List[apitype.WebhookDelivery], error) {
		return c.listDeliveries(ctx, webhookID, q, opts)
	}, func(d *apitype.WebhookDelivery) string { return d.ID })
}

func (c *Client) listDeliveries(ctx context.Context, webhookID string, q url.Values, opts []CallOption) (*apitype.List[apitype.WebhookDelivery], error) {
	return call[apitype.List[apitype.WebhookDelivery]](ctx, c, request{method: http.MethodGet,
		path: path("webhooks", webhookID) + "/deliveries", query: q}, opts)
}

// RedeliverWebhookDelivery sends a delivery's event again.
func (c *Client) RedeliverWebhookDelivery(ctx context.Context, deliveryID string, opts ...CallOption) (*apitype.WebhookDelivery, error) {
	return call[apitype.WebhookDelivery](ctx, c, request{method: http.MethodPost,
		path: path("webhook_deliveries", deliveryID) + "/redeliver"}, opts)
}

// GetEvent reads an event; its Data is the exact body its deliveries send.
func (c *Client) GetEvent(ctx context.Context, id string, opts ...CallOption) (*apitype.Event, error) {
	return call[apitype.Event](ctx, c, request{method: http.MethodGet, path: path("events", id)}, opts)
}

// ListEvents returns one page of events, newest first.
func (c *Client) ListEvents(ctx context.Context, p *EventListParams, opts ...CallOption) (*apitype.List[apitype.Event], error) {
	return c.listEvents(ctx, p.values(), opts)
}

// AllEvents iterates over every event p selects, page by page.
func (c *Client) AllEvents(ctx context.Context, p *EventListParams, opts ...CallOption) iter.Seq2[apitype.Event, error] {
	return all(ctx, p.values(), func(ctx context.Context, q url.Values) (*apitype.List[apitype.Event], error) {
		return c.listEvents(ctx, q, opts)
	}, func(e *apitype.Event) string { return e.ID })
}

func (c *Client) listEvents(ctx context.Context, q url.Values, opts []CallOption) (*apitype.List[apitype.Event], error) {
	return call[apitype.List[apitype.Event]](ctx, c, request{method: http.MethodGet, path: path("events"), query: q}, opts)
}

// --- wallet ---

// GetWallet reads the mode's wallet (test mode without one: the built-in
// test wallet). It never shows a credential.
func (c *Client) GetWallet(ctx context.Context, opts ...CallOption) (*apitype.Wallet, error) {
	return call[apitype.Wallet](ctx, c, request{method: http.MethodGet, path: path("wallet")}, opts)
}

// ListWallets is GetWallet as a list (the form SatsRail's SDKs use).
func (c *Client) ListWallets(ctx context.Context, opts ...CallOption) (*apitype.List[apitype.Wallet], error) {
	return call[apitype.List[apitype.Wallet]](ctx, c, request{method: http.MethodGet, path: path("wallets")}, opts)
}

// ConnectWallet connects the mode's wallet (PUT /wallet) once the gateway
// has made and looked up a small invoice through it.
func (c *Client) ConnectWallet(ctx context.Context, p *apitype.WalletParams, opts ...CallOption) (*apitype.Wallet, error) {
	return call[apitype.Wallet](ctx, c, request{method: http.MethodPut, path: path("wallet"),
		body: apitype.WalletWrite{Wallet: orNew(p)}}, opts)
}

// DisconnectWallet removes the mode's wallet connection.
func (c *Client) DisconnectWallet(ctx context.Context, opts ...CallOption) error {
	return c.do(ctx, request{method: http.MethodDelete, path: path("wallet")}, nil, opts)
}

// TestWallet makes and looks up a small invoice on the mode's wallet.
func (c *Client) TestWallet(ctx context.Context, opts ...CallOption) (*apitype.WalletTest, error) {
	return call[apitype.WalletTest](ctx, c, request{method: http.MethodPost, path: path("wallet") + "/test"}, opts)
}

// orNew returns p, or a new zero T for nil, so a nil params sends "{}" in
// its wrapper and the server names the missing fields.
func orNew[T any](p *T) *T {
	if p == nil {
		return new(T)
	}
	return p
}
