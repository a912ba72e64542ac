package main

import "net/http"

// listOrders is the shop's order book: every order, its status and, once
// paid, the webhook event that said so. (A real shop puts this behind a
// sign-in; the example shows it to everyone.)
func (a *App) listOrders(w http.ResponseWriter, r *http.Request) {
	lines, _ := a.shop.Cart(a.cartID(w, r, false))
	a.render(w, http.StatusOK, "orders", map[string]any{"Title": "Orders", "Orders": a.shop.Orders(), "CartCount": count(lines)}, false)
}
