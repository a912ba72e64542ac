package dashboard

import (
	"net/http"

	"github.com/satsrail/satsrail/internal/dashboard/form"
	"github.com/satsrail/satsrail/internal/gateway"
)

type reauthData struct {
	Form *form.Form
	Next string
}

// reauthLimit caps password confirmations per user per minute.
const reauthLimit = 5

// reauthShow asks for the password (or a TOTP code) before a sensitive page
// or action: revealing or rolling a secret key, changing a wallet, adding a
// member.
func (h *Handler) reauthShow(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	return h.render(w, r, v, "reauth", reauthData{Form: form.New(), Next: localPath(r.URL.Query().Get("next"), "/dashboard")})
}

// reauthSubmit checks it and marks the session fresh for a few minutes.
func (h *Handler) reauthSubmit(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	f := r.PostForm
	next := localPath(f.Get("next"), "/dashboard")
	err := h.throttle(r, "reauth:"+v.User.ID, reauthLimit)
	if err == nil {
		_, err = h.acc.Reauthenticate(r.Context(), v.Actor(), f.Get("password"), f.Get("code"))
	}
	if err != nil {
		fm, ok := form.FromError(f, err)
		if !ok {
			return err
		}
		status := http.StatusUnprocessableEntity
		if gateway.ErrorCode(err) == gateway.CodeRateLimited {
			status = http.StatusTooManyRequests
		}
		return h.renderStatus(w, r, v, status, "reauth", reauthData{Form: fm, Next: next})
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}
