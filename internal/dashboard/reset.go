package dashboard

import (
	"errors"
	"net/http"

	"github.com/satsrail/satsrail/internal/dashboard/form"
	"github.com/satsrail/satsrail/internal/gateway"
)

type resetData struct {
	Form  *form.Form
	Mail  bool // reset links can be emailed
	Sent  bool
	Token string
}

// resetLimit caps reset requests per client address and per email a minute.
const resetLimit = 5

// resetShow asks for the email to send a reset link to (with mail
// configured); without mail it says how an operator resets a password.
func (h *Handler) resetShow(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	return h.render(w, r, v, "reset", resetData{Form: form.New(), Mail: h.mail != nil})
}

// resetRequest emails a reset link if the email has an account, and
// answers the same whether or not it has.
func (h *Handler) resetRequest(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	if h.mail == nil {
		return gateway.ErrNotFound
	}
	email := r.PostForm.Get("email")
	err := h.throttle(r, "reset-ip:"+clientIP(r), resetLimit)
	if err == nil {
		err = h.throttle(r, "reset-email:"+gateway.NormalizeEmail(email), resetLimit)
	}
	if err != nil {
		return err
	}
	token, u, err := h.acc.PasswordResetToken(r.Context(), email)
	switch {
	case errors.Is(err, gateway.ErrNotFound):
	case err != nil:
		return err
	default:
		if err := h.mail.PasswordReset(r.Context(), u.Email, h.apiBase(r)+"/dashboard/reset/"+token); err != nil {
			h.log.WarnContext(r.Context(), "password reset email not sent", "user_id", u.ID, "err", err)
		}
	}
	return h.render(w, r, v, "reset", resetData{Form: form.New(), Mail: true, Sent: true})
}

// resetForm is the page of a reset link: choose a new password.
func (h *Handler) resetForm(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	if err := h.throttle(r, "reset-ip:"+clientIP(r), resetLimit*6); err != nil {
		return err
	}
	if _, err := h.acc.CheckResetToken(r.Context(), r.PathValue("token")); err != nil {
		return err
	}
	return h.render(w, r, v, "reset_password", resetData{Form: form.New(), Token: r.PathValue("token")})
}

// resetPassword sets the new password and signs the user out everywhere.
func (h *Handler) resetPassword(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	if err := h.throttle(r, "reset-ip:"+clientIP(r), resetLimit*6); err != nil {
		return err
	}
	token := r.PathValue("token")
	if err := h.acc.ResetPasswordWithToken(r.Context(), token, r.PostForm.Get("password"), client(r)); err != nil {
		fm, ok := form.FromError(r.PostForm, err)
		if !ok {
			return err
		}
		return h.renderStatus(w, r, v, http.StatusUnprocessableEntity, "reset_password", resetData{Form: fm, Token: token})
	}
	if v.SignedIn() {
		h.cookies.Clear(w)
	}
	http.Redirect(w, r, "/dashboard/signin?notice=password_reset", http.StatusSeeOther)
	return nil
}
