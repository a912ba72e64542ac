package dashboard

import (
	"cmp"
	"net/http"

	"github.com/satsrail/satsrail/internal/gateway"
)

// switchView changes the merchant in view and/or the mode (live or test),
// from the header's forms, and returns to the page it came from.
func (h *Handler) switchView(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	f := r.PostForm
	merchantID := cmp.Or(f.Get("merchant_id"), v.MerchantID())
	mode := gateway.Mode(cmp.Or(f.Get("mode"), string(v.Mode)))
	if merchantID == "" {
		return gateway.ErrNotFound
	}
	if _, err := h.acc.SwitchView(r.Context(), v.Actor(), merchantID, mode); err != nil {
		return err
	}
	http.Redirect(w, r, localPath(f.Get("next"), "/dashboard"), http.StatusSeeOther)
	return nil
}
