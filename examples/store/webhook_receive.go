package main

import (
	"fmt"
	"io"
	"net/http"

	"github.com/satsrail/satsrail/webhook"
)

// receiveWebhook takes the gateway's event deliveries. It verifies the
// signature over the exact body with package webhook (refusing unsigned,
// forged, stale or seed-only deliveries), then hands the event to the shop,
// which handles each event id once: the gateway retries until it gets a
// 2xx, so the same event can arrive more than once.
func (a *App) receiveWebhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	ev, err := webhook.ConstructEventWithOptions(body, r.Header, webhook.Options{Secrets: a.secrets, RequireV2: true})
	if err != nil {
		// Not from the gateway (or altered on the way): a 400, and nothing
		// changes.
		a.log.WarnContext(r.Context(), "webhook refused", "err", err)
		http.Error(w, "invalid signature", http.StatusBadRequest)
		return
	}
	outcome, err := a.shop.Apply(Payment{
		EventID: ev.ID, Type: ev.Type, CheckoutID: ev.CheckoutID, OrderID: ev.Metadata["order_id"],
		AmountCents: ev.AmountCents, Currency: ev.Currency, TransactionID: ev.TransactionID, At: ev.Timestamp,
	})
	if err != nil {
		// Signed by the gateway but not a payment of this order (another
		// amount, another order): never mark it paid. Acknowledged, so the
		// gateway does not retry what would fail again; logged to look at.
		a.log.ErrorContext(r.Context(), "webhook event not applied", "event", ev.ID, "err", err)
		outcome = "refused"
	} else {
		a.log.InfoContext(r.Context(), "webhook event", "event", ev.ID, "type", ev.Type, "checkout_id", ev.CheckoutID, "outcome", outcome)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, outcome)
}
