package dashboard

import (
	"errors"
	"net/http"

	"github.com/satsrail/satsrail/internal/dashboard/form"
	"github.com/satsrail/satsrail/internal/gateway"
)

type inviteData struct {
	Form         *form.Form
	Invite       *gateway.Invite
	MerchantName string
	Token        string
	// HasAccount: an account with the invite's email exists, so its
	// holder signs in first rather than choosing a password.
	HasAccount bool
}

// inviteLimit caps invite link visits per client address per minute: the
// token is guessed by nobody (190 bits), but nothing should be tried fast.
const inviteLimit = 30

// inviteShow is the page of an invite link: join as the signed-in user, or
// create an account with the invite's email. Used, revoked, expired and
// unknown links are one 404.
func (h *Handler) inviteShow(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	if err := h.throttle(r, "invite-ip:"+clientIP(r), inviteLimit); err != nil {
		return err
	}
	d, err := h.inviteData(r, v)
	if err != nil {
		return err
	}
	return h.render(w, r, v, "invite", d)
}

func (h *Handler) inviteData(r *http.Request, v *Viewer) (*inviteData, error) {
	token := r.PathValue("token")
	inv, m, err := h.acc.PendingInvite(r.Context(), token)
	if err != nil {
		return nil, err
	}
	d := &inviteData{Form: form.New(), Invite: inv, MerchantName: m.Name, Token: token}
	if !v.SignedIn() {
		_, err := h.acc.Service().Store().GetUserByEmail(r.Context(), inv.Email)
		switch {
		case err == nil:
			d.HasAccount = true
		case !errors.Is(err, gateway.ErrNotFound):
			return nil, err
		}
	}
	return d, nil
}

// inviteAccept uses the invite.
func (h *Handler) inviteAccept(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	if err := h.throttle(r, "invite-ip:"+clientIP(r), inviteLimit); err != nil {
		return err
	}
	var act *gateway.Actor
	if v.SignedIn() {
		a := v.Actor()
		act = &a
	}
	token, s, err := h.acc.AcceptInvite(r.Context(), r.PathValue("token"), act, r.PostForm.Get("password"), client(r))
	if err != nil {
		fm, ok := form.FromError(r.PostForm, err)
		if !ok {
			return err
		}
		d, derr := h.inviteData(r, v)
		if derr != nil {
			return derr
		}
		d.Form = fm
		return h.renderStatus(w, r, v, http.StatusUnprocessableEntity, "invite", d)
	}
	if token != "" {
		h.cookies.SetToken(w, token, s.ExpiresAt)
	}
	http.Redirect(w, r, "/dashboard?notice=joined", http.StatusSeeOther)
	return nil
}
