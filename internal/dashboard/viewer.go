package dashboard

import (
	"errors"
	"net/http"
	"slices"

	"github.com/satsrail/satsrail/internal/dashboard/session"
	"github.com/satsrail/satsrail/internal/gateway"
)

// Viewer is who is looking at a page: every handler gets one (never nil).
// Signed out, only CSRF is set. Signed in, User and Session are; Membership
// is the merchant in view and the viewer's role there (nil for a user with
// no merchant); Mode is live or test, one mode per page.
type Viewer struct {
	User        *gateway.User
	Session     *gateway.UserSession
	Membership  *gateway.Membership
	Memberships []gateway.Membership
	Mode        gateway.Mode
	// Fresh: the password (or a TOTP code) was proved in this session
	// within the last few minutes, so sensitive actions may go ahead.
	Fresh bool
	// CSRF is the token every form of the page posts as csrf_token.
	CSRF   string
	Client gateway.Client

	csrfSecret string
}

// SignedIn reports whether a user is signed in.
func (v *Viewer) SignedIn() bool { return v != nil && v.User != nil }

// Scope is the merchant and mode in view: pass it to every gateway.Service
// call, so a page sees that merchant's data in that mode only. It is the
// zero Scope when there is no merchant in view (Member routes always have
// one).
func (v *Viewer) Scope() gateway.Scope {
	if v.Membership == nil {
		return gateway.Scope{}
	}
	return gateway.Scope{MerchantID: v.Membership.MerchantID, Mode: v.Mode}
}

// MerchantID is the merchant in view, or "".
func (v *Viewer) MerchantID() string { return v.Scope().MerchantID }

// Role is the viewer's role in the merchant in view, or "".
func (v *Viewer) Role() gateway.Role {
	if v.Membership == nil {
		return ""
	}
	return v.Membership.Role
}

// Can reports whether the viewer's role in the merchant in view has
// permission p (gateway.Role.Can, the one permission table).
func (v *Viewer) Can(p gateway.Permission) bool {
	return v.Membership != nil && v.Membership.Role.Can(p)
}

// Test reports whether the page shows test-mode data.
func (v *Viewer) Test() bool { return v.Mode != gateway.ModeLive }

// Actor is the viewer as the domain's audit log knows it.
func (v *Viewer) Actor() gateway.Actor {
	return gateway.Actor{User: v.User, Session: v.Session, Client: v.Client}
}

// viewer reads the request's session cookie. No cookie, or one whose
// session is revoked, expired or idle, is a signed-out viewer (with a
// pre-session CSRF secret); a user's merchant in view is checked against
// the memberships on every request, so a removed member loses access at once.
func (h *Handler) viewer(w http.ResponseWriter, r *http.Request) (*Viewer, error) {
	v := &Viewer{Mode: gateway.ModeTest, Client: client(r)}
	token := h.cookies.Token(r)
	if token != "" {
		s, u, err := h.acc.Authenticate(r.Context(), token)
		switch {
		case errors.Is(err, gateway.ErrUnauthorized):
			h.cookies.Clear(w)
		case err != nil:
			return nil, err
		default:
			v.User, v.Session, v.Mode, v.csrfSecret = u, s, s.Mode, token
		}
	}
	if v.User == nil {
		v.csrfSecret = h.cookies.PreSession(w, r)
		v.CSRF = session.CSRFToken(v.csrfSecret)
		return v, nil
	}
	v.CSRF = session.CSRFToken(v.csrfSecret)
	v.Fresh = h.acc.Fresh(v.Session)
	ms, err := h.acc.Memberships(r.Context(), v.User.ID)
	if err != nil {
		return nil, err
	}
	v.Memberships = ms
	if i := slices.IndexFunc(ms, func(m gateway.Membership) bool { return m.MerchantID == v.Session.MerchantID }); i >= 0 {
		v.Membership = &ms[i]
	} else if len(ms) > 0 {
		v.Membership = &ms[0]
	}
	return v, nil
}
