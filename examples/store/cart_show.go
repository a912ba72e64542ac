package main

import "net/http"

// showCart lists the cart with its total and the "Checkout with Bitcoin"
// button.
func (a *App) showCart(w http.ResponseWriter, r *http.Request) {
	lines, total := a.shop.Cart(a.cartID(w, r, false))
	a.render(w, http.StatusOK, "cart", map[string]any{
		"Title": "Cart", "Lines": lines, "Total": total, "CartCount": count(lines),
		"Cancelled": r.URL.Query().Has("cancelled"),
	}, false)
}
