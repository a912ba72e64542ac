package main

import "net/http"

// showCatalog is the front page: every item, each with "Add to cart".
func (a *App) showCatalog(w http.ResponseWriter, r *http.Request) {
	lines, _ := a.shop.Cart(a.cartID(w, r, false))
	a.render(w, http.StatusOK, "catalog", map[string]any{"Title": "Shop", "Items": catalog, "CartCount": count(lines)}, false)
}

// count is how many things the cart holds.
func count(lines []Line) int64 {
	var n int64
	for _, l := range lines {
		n += l.Quantity
	}
	return n
}
