package dashboard

import (
	"net/http"

	"github.com/satsrail/satsrail/internal/dashboard/form"
	"github.com/satsrail/satsrail/internal/gateway"
)

type teamData struct {
	Members []gateway.Membership
	Invites []gateway.Invite
	Self    string
}

// teamShow lists the merchant's members and pending invites (owners).
func (h *Handler) teamShow(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	ms, err := h.acc.Members(r.Context(), v.MerchantID())
	if err != nil {
		return err
	}
	invs, err := h.acc.Invites(r.Context(), v.MerchantID())
	if err != nil {
		return err
	}
	return h.render(w, r, v, "team", teamData{Members: ms, Invites: invs, Self: v.User.ID})
}

type inviteFormData struct {
	Form  *form.Form
	Roles []gateway.Role
	Link  string // the new invite's link, shown once
	Email string
	Role  gateway.Role
	Mail  bool // the link was also emailed
}

// teamInviteNew is the invite form.
func (h *Handler) teamInviteNew(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	return h.render(w, r, v, "team_invite", inviteFormData{Form: form.New(), Roles: gateway.Roles})
}

// teamInviteCreate makes a single-use invite and shows its link once (only
// its hash is kept); with mail configured it is emailed too.
func (h *Handler) teamInviteCreate(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	f := r.PostForm
	token, inv, err := h.acc.Invite(r.Context(), v.Actor(), v.MerchantID(), gateway.InviteParams{Email: f.Get("email"), Role: f.Get("role")})
	if err != nil {
		fm, ok := form.FromError(f, err)
		if !ok {
			return err
		}
		return h.renderStatus(w, r, v, http.StatusUnprocessableEntity, "team_invite", inviteFormData{Form: fm, Roles: gateway.Roles})
	}
	link := h.apiBase(r) + "/dashboard/invite/" + token
	d := inviteFormData{Form: form.New(), Roles: gateway.Roles, Link: link, Email: inv.Email, Role: inv.Role}
	if h.mail != nil {
		if err := h.mail.Invite(r.Context(), inv.Email, v.Membership.MerchantName, string(inv.Role), link); err != nil {
			h.log.WarnContext(r.Context(), "invite email not sent", "invite_id", inv.ID, "err", err)
		} else {
			d.Mail = true
		}
	}
	return h.render(w, r, v, "team_invite", d)
}

// teamInviteRevoke cancels a pending invite of the merchant in view.
func (h *Handler) teamInviteRevoke(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	if err := h.acc.RevokeInvite(r.Context(), v.Actor(), v.MerchantID(), r.PathValue("invite_id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/dashboard/team?notice=invite_revoked", http.StatusSeeOther)
	return nil
}

// teamMemberRemove removes a member of the merchant in view (never its
// last owner).
func (h *Handler) teamMemberRemove(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	if err := h.acc.RemoveMember(r.Context(), v.Actor(), v.MerchantID(), r.PathValue("user_id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/dashboard/team?notice=member_removed", http.StatusSeeOther)
	return nil
}
