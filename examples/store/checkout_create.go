package main

import (
	"net/http"

	"github.com/satsrail/satsrail/apitype"
	"github.com/satsrail/satsrail/client"
)

// createCheckout is "Checkout with Bitcoin": the cart becomes an order, the
// shop's server creates the order's checkout session with its secret key,
// and the customer is sent to the gateway's hosted checkout page. The
// gateway sends the customer back to /success?checkout_id=cs_... once paid,
// or to the cart when they cancel.
func (a *App) createCheckout(w http.ResponseWriter, r *http.Request) {
	cart := a.cartID(w, r, false)
	order, err := a.shop.PlaceOrder(cart)
	if err != nil {
		a.fail(w, http.StatusUnprocessableEntity, "Your cart is empty.")
		return
	}
	items := make([]apitype.CheckoutLineItemParams, 0, len(order.Lines))
	for _, l := range order.Lines {
		items = append(items, apitype.CheckoutLineItemParams{
			Name:            client.String(l.Item.Name),
			UnitAmountCents: client.Int64(l.Item.PriceCents),
			Quantity:        client.Int64(l.Quantity),
		})
	}
	// The order id as the Idempotency-Key: however often this request is
	// retried (by the SDK, or by a reload), the order gets one session.
	sess, err := a.sr.CreateCheckoutSession(r.Context(), &apitype.CheckoutSessionParams{
		Currency:   client.String(order.Currency),
		LineItems:  items,
		SuccessURL: client.String(a.urlJoin("/success")),
		CancelURL:  client.String(a.urlJoin("/cart") + "?cancelled=1"),
		Metadata:   map[string]any{"order_id": order.ID},
	}, client.WithIdempotencyKey("order-"+order.ID))
	if err != nil {
		a.log.ErrorContext(r.Context(), "creating the checkout session", "order", order.ID, "err", err)
		a.fail(w, http.StatusBadGateway, "The payment could not be started. Please try again in a moment.")
		return
	}
	a.shop.Attach(order.ID, sess.ID)
	a.log.InfoContext(r.Context(), "checkout session created", "order", order.ID, "checkout_id", sess.ID)
	http.Redirect(w, r, sess.CheckoutURL, http.StatusSeeOther)
}
