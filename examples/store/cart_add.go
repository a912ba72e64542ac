package main

import (
	"net/http"
	"strconv"
)

// addToCart takes the product form: slug and quantity (1 when absent).
func (a *App) addToCart(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		a.fail(w, http.StatusBadRequest, "The form could not be read.")
		return
	}
	qty := int64(1)
	if q := r.PostForm.Get("quantity"); q != "" {
		n, err := strconv.ParseInt(q, 10, 64)
		if err != nil {
			a.fail(w, http.StatusUnprocessableEntity, "The quantity must be a whole number.")
			return
		}
		qty = n
	}
	if err := a.shop.Add(a.cartID(w, r, true), r.PostForm.Get("slug"), qty); err != nil {
		a.fail(w, http.StatusUnprocessableEntity, "That cannot go in the cart: "+err.Error()+".")
		return
	}
	http.Redirect(w, r, "/cart", http.StatusSeeOther)
}
