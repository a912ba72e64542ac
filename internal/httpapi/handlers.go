package httpapi

import (
	"net/http"
	"strings"

	"github.com/satsrail/satsrail/apitype"
	"github.com/satsrail/satsrail/internal/gateway"
)

// --- checkout sessions ---

func (s *Server) createCheckoutSession(c *call) (int, any, error) {
	var in apitype.CheckoutSessionCreate
	if err := decode(c, &in); err != nil {
		return 0, nil, err
	}
	if in.CheckoutSession == nil {
		return 0, nil, invalid("checkout_session", `is required: wrap the fields as {"checkout_session": {...}}`)
	}
	p := in.CheckoutSession
	params := gateway.CheckoutSessionParams{
		AmountCents: p.AmountCents, Currency: p.Currency, CustomerEmail: p.CustomerEmail, CustomerName: p.CustomerName,
		SuccessURL: p.SuccessURL, CancelURL: p.CancelURL, Metadata: p.Metadata, Locale: p.Locale,
	}
	for _, li := range p.LineItems {
		params.LineItems = append(params.LineItems, gateway.LineItemParams{
			ProductID: li.ProductID, Name: li.Name, UnitAmountCents: li.UnitAmountCents, Quantity: li.Quantity,
		})
	}
	sess, err := s.svc.CreateCheckoutSession(c.r.Context(), c.p, params)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, s.toSession(sess), nil
}

func (s *Server) listCheckoutSessions(c *call) (int, any, error) {
	q := newListQuery(c)
	f := gateway.SessionFilter{
		Status:  gateway.SessionStatus(q.oneOf([]string{"pending", "completed", "expired", "cancelled"}, "status", "q[status_eq]")),
		Created: q.created(),
		Page:    q.page(),
	}
	if err := q.done(); err != nil {
		return 0, nil, err
	}
	l, err := s.svc.ListCheckoutSessions(c.r.Context(), c.scope, f)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toList(l, f.Page, s.toSession), nil
}

func (s *Server) getCheckoutSession(c *call) (int, any, error) {
	sess, err := s.svc.GetCheckoutSession(c.r.Context(), c.scope, c.r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	if sess.Status == gateway.StatusExpired {
		return s.expiredBody(c, sess)
	}
	return http.StatusOK, s.toSession(sess), nil
}

// expiredBody is the 410 of SPEC §4: the error envelope with the session in it.
func (s *Server) expiredBody(c *call, sess *gateway.CheckoutSession) (int, any, error) {
	status, body := s.errorBody(c.r, gateway.Errorf(gateway.CodeCheckoutExpired,
		"Checkout session %s expired at %s; create a new checkout session.", sess.ID, sess.ExpiredAt.Format("2006-01-02T15:04:05Z07:00")))
	cs := s.toSession(sess)
	body.CheckoutSession = &cs
	return status, body, nil
}

func (s *Server) expireCheckoutSession(c *call) (int, any, error) {
	ctx, id := c.r.Context(), c.r.PathValue("id")
	sess, err := s.svc.GetCheckoutSession(ctx, c.scope, id)
	if err != nil {
		return 0, nil, err
	}
	if sess.Status == gateway.StatusExpired {
		return s.expiredBody(c, sess)
	}
	sess, err = s.svc.ExpireCheckoutSession(ctx, c.scope, id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.toSession(sess), nil
}

// --- products ---

func productParams(p *apitype.ProductParams) gateway.ProductParams {
	return gateway.ProductParams{
		Name: p.Name, Description: p.Description, PriceCents: p.PriceCents, Currency: p.Currency, Slug: p.Slug,
		ImageURL: p.ImageURL, Status: p.Status, SKU: p.SKU, ExternalRef: p.ExternalRef,
		Metadata: p.Metadata, HasMetadata: p.Metadata != nil,
		SuccessURL: p.SuccessURL, ThankYouMessage: p.ThankYouMessage,
	}
}

func decodeProduct(c *call) (*apitype.ProductParams, error) {
	var in apitype.ProductWrite
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if in.Product == nil {
		return nil, invalid("product", `is required: wrap the fields as {"product": {...}}`)
	}
	return in.Product, nil
}

func (s *Server) createProduct(c *call) (int, any, error) {
	in, err := decodeProduct(c)
	if err != nil {
		return 0, nil, err
	}
	p, err := s.svc.CreateProduct(c.r.Context(), c.scope, productParams(in))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, s.toProduct(p), nil
}

func (s *Server) listProducts(c *call) (int, any, error) {
	q := newListQuery(c)
	f := gateway.ProductFilter{
		Status:  gateway.ProductStatus(q.oneOf([]string{"active", "archived"}, "status", "q[status_eq]")),
		Created: q.created(),
		Page:    q.page(),
	}
	f.NameContains, _ = q.str("name", "q[name_cont]")
	f.SKU, _ = q.str("sku", "q[sku_eq]")
	f.ExternalRef, _ = q.str("external_ref", "q[external_ref_eq]")
	if err := q.done(); err != nil {
		return 0, nil, err
	}
	l, err := s.svc.ListProducts(c.r.Context(), c.scope, f)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toList(l, f.Page, s.toProduct), nil
}

func (s *Server) getProduct(c *call) (int, any, error) {
	p, err := s.svc.GetProduct(c.r.Context(), c.scope, c.r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.toProduct(p), nil
}

func (s *Server) updateProduct(c *call) (int, any, error) {
	in, err := decodeProduct(c)
	if err != nil {
		return 0, nil, err
	}
	p, err := s.svc.UpdateProduct(c.r.Context(), c.scope, c.r.PathValue("id"), productParams(in))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.toProduct(p), nil
}

func (s *Server) deleteProduct(c *call) (int, any, error) {
	if _, err := s.svc.DeleteProduct(c.r.Context(), c.scope, c.r.PathValue("id")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// --- transactions ---

func (s *Server) listTransactions(c *call) (int, any, error) {
	q := newListQuery(c)
	f := gateway.TransactionFilter{
		Status:  gateway.TransactionStatus(q.oneOf([]string{"settled"}, "status", "q[status_eq]")),
		Created: q.created(),
		Page:    q.page(),
	}
	f.CheckoutSessionID, _ = q.str("checkout_session_id", "q[checkout_session_id_eq]")
	f.PaymentHash, _ = q.str("payment_hash", "q[payment_hash_eq]")
	if err := q.done(); err != nil {
		return 0, nil, err
	}
	l, err := s.svc.ListTransactions(c.r.Context(), c.scope, f)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toList(l, f.Page, toTransaction), nil
}

func (s *Server) getTransaction(c *call) (int, any, error) {
	t, err := s.svc.GetTransaction(c.r.Context(), c.scope, c.r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toTransaction(t), nil
}

// --- rates and merchant ---

func (s *Server) getRate(c *call) (int, any, error) {
	q := newListQuery(c)
	cur, _ := q.str("currency")
	if err := q.done(); err != nil {
		return 0, nil, err
	}
	if cur == "" {
		cur = "usd"
	}
	r, err := s.svc.Rate(c.r.Context(), strings.TrimSpace(cur))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toRate(r), nil
}

func (s *Server) getMerchant(c *call) (int, any, error) {
	m, err := s.svc.GetMerchant(c.r.Context(), c.p.Merchant.ID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.toMerchant(m, c.p.Key.Mode), nil
}

// simulatePayment pays a test-mode session with the test wallet (SPEC §9):
// a test secret key only; another merchant's session is 404.
func (s *Server) simulatePayment(c *call) (int, any, error) {
	sess, err := s.svc.SimulatePayment(c.r.Context(), c.p, c.r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.toSession(sess), nil
}
