package main

import "net/http"

// showProduct is one item's page. The item marked PayButton also shows the
// gateway's pay.js button (when the shop has a publishable key): a buy of
// that one item without the cart, whose session pay.js creates in the
// browser and whose payment reaches the shop by webhook like any other.
func (a *App) showProduct(w http.ResponseWriter, r *http.Request) {
	it, ok := itemBySlug(r.PathValue("slug"))
	if !ok {
		a.fail(w, http.StatusNotFound, "There is no such product.")
		return
	}
	lines, _ := a.shop.Cart(a.cartID(w, r, false))
	payJS := it.PayButton && a.cfg.publishableKey != ""
	a.render(w, http.StatusOK, "product", map[string]any{
		"Title": it.Name, "Item": it, "CartCount": count(lines),
		"PayJS": payJS, "PayJSSrc": a.cfg.gatewayURL + "/js/pay.js", "PublishableKey": a.cfg.publishableKey,
	}, payJS)
}
