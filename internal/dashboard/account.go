package dashboard

import (
	"net/http"

	"github.com/satsrail/satsrail/internal/dashboard/form"
	"github.com/satsrail/satsrail/internal/gateway"
)

type accountData struct {
	Sessions []gateway.UserSession
	Current  string
	TwoFA    bool
	Codes    int // recovery codes left
	Password *form.Form
}

// accountShow is the user's own security page: active sessions (revoke
// one, sign out everywhere), password, two-factor sign-in.
func (h *Handler) accountShow(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	return h.renderAccount(w, r, v, http.StatusOK, form.New())
}

func (h *Handler) renderAccount(w http.ResponseWriter, r *http.Request, v *Viewer, status int, pw *form.Form) error {
	ss, err := h.acc.Sessions(r.Context(), v.User.ID)
	if err != nil {
		return err
	}
	return h.renderStatus(w, r, v, status, "account", accountData{Sessions: ss, Current: v.Session.ID,
		TwoFA: v.User.TwoFactor(), Codes: len(v.User.RecoveryCodes), Password: pw})
}

// accountSessionRevoke signs out one of the user's sessions (another
// user's session id is a 404); a stolen cookie stops working at once.
func (h *Handler) accountSessionRevoke(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	id := r.PathValue("session_id")
	if err := h.acc.RevokeSession(r.Context(), v.Actor(), id); err != nil {
		return err
	}
	if id == v.Session.ID {
		h.cookies.Clear(w)
		http.Redirect(w, r, "/dashboard/signin?notice=signed_out", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/dashboard/account?notice=session_revoked", http.StatusSeeOther)
	return nil
}

// accountSignOutEverywhere revokes every session of the user, this one too.
func (h *Handler) accountSignOutEverywhere(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	if _, err := h.acc.SignOutEverywhere(r.Context(), v.Actor()); err != nil {
		return err
	}
	h.cookies.Clear(w)
	http.Redirect(w, r, "/dashboard/signin?notice=signed_out", http.StatusSeeOther)
	return nil
}

// accountPassword changes the password (the current one is asked) and
// signs out the user's other sessions.
func (h *Handler) accountPassword(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	f := r.PostForm
	if err := h.throttle(r, "reauth:"+v.User.ID, reauthLimit); err != nil {
		return err
	}
	if err := h.acc.ChangePassword(r.Context(), v.Actor(), f.Get("current_password"), f.Get("new_password")); err != nil {
		fm, ok := form.FromError(f, err)
		if !ok {
			return err
		}
		return h.renderAccount(w, r, v, http.StatusUnprocessableEntity, fm)
	}
	http.Redirect(w, r, "/dashboard/account?notice=password_changed", http.StatusSeeOther)
	return nil
}
