package main

import "net/http"

// removeFromCart takes one item out of the cart.
func (a *App) removeFromCart(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		a.fail(w, http.StatusBadRequest, "The form could not be read.")
		return
	}
	if cart := a.cartID(w, r, false); cart != "" {
		a.shop.Remove(cart, r.PostForm.Get("slug"))
	}
	http.Redirect(w, r, "/cart", http.StatusSeeOther)
}
