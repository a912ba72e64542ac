package main

import (
	"errors"
	"net/http"

	"github.com/satsrail/satsrail/apitype"
	"github.com/satsrail/satsrail/client"
)

// showSuccess is where the gateway sends the customer after paying:
// /success?checkout_id=cs_.... Anyone can open this URL with any id, so the
// page trusts nothing in it: it says "paid" only when the id is the session
// of one of the shop's orders and the gateway, asked server-side with the
// secret key, says that session is completed for the order's amount.
// Otherwise it says "not paid yet". The page never changes the order: the
// signed webhook does (webhook_receive.go).
func (a *App) showSuccess(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("checkout_id")
	data := map[string]any{"Title": "Not paid yet", "Paid": false}
	lines, _ := a.shop.Cart(a.cartID(w, r, false))
	data["CartCount"] = count(lines)
	order, ok := a.shop.OrderByCheckout(id)
	if !ok {
		// A forged or foreign id: not a session of ours.
		a.render(w, http.StatusOK, "success", data, false)
		return
	}
	data["Order"] = order
	sess, err := a.sr.GetCheckoutSession(r.Context(), id)
	var e *client.Error
	switch {
	case errors.As(err, &e) && e.CheckoutSession != nil:
		sess = e.CheckoutSession // 410: the session expired unpaid
	case err != nil:
		a.log.ErrorContext(r.Context(), "verifying the checkout session", "checkout_id", id, "err", err)
		data["Unverified"] = true
		a.render(w, http.StatusOK, "success", data, false)
		return
	}
	data["Session"] = sess
	if paid(sess, order) {
		data["Title"], data["Paid"] = "Paid", true
	}
	a.render(w, http.StatusOK, "success", data, false)
}

// paid is the server-side check: the session is completed and is the
// order's, for the order's amount.
func paid(s *apitype.CheckoutSession, o Order) bool {
	return s.Status == "completed" && s.ID == o.CheckoutID && s.Metadata["order_id"] == o.ID &&
		s.AmountCents == o.TotalCents && s.Currency == o.Currency
}
