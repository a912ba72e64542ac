package dashboard

import (
	"net/http"
)

type overviewData struct {
	MerchantName string
	APIBase      string
}

// overview is the merchant's home page. This first version says what to do
// next (connect a wallet, create a first checkout); the revenue chart and
// the payment figures take its place (branch reporting).
func (h *Handler) overview(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	return h.render(w, r, v, "overview", overviewData{MerchantName: v.Membership.MerchantName, APIBase: h.apiBase(r)})
}

// apiBase is the gateway's public URL, for the curl examples pages show.
func (h *Handler) apiBase(r *http.Request) string {
	if h.publicURL != "" {
		return h.publicURL
	}
	return requestOrigin(r)
}
