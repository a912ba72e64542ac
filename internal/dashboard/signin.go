package dashboard

import (
	"net/http"

	"github.com/satsrail/satsrail/internal/dashboard/form"
	"github.com/satsrail/satsrail/internal/gateway"
)

type signInData struct {
	Form *form.Form
	Next string
}

// signInShow is the sign-in form; an instance without users sends its first
// visitor to the first-run sign-up instead.
func (h *Handler) signInShow(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	next := localPath(r.URL.Query().Get("next"), "")
	if v.SignedIn() {
		http.Redirect(w, r, localPath(next, "/dashboard"), http.StatusSeeOther)
		return nil
	}
	first, err := h.acc.FirstRun(r.Context())
	if err != nil {
		return err
	}
	if first {
		http.Redirect(w, r, "/dashboard/signup", http.StatusSeeOther)
		return nil
	}
	return h.render(w, r, v, "signin", signInData{Form: form.New(), Next: next})
}

// signInSubmit checks the credentials. It is throttled per client address
// and per email (known or not, so the limit says nothing about which emails
// exist), and every failure is the same 401 with the same message.
func (h *Handler) signInSubmit(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	f := r.PostForm
	next := localPath(f.Get("next"), "")
	err := h.throttle(r, "signin-ip:"+clientIP(r), h.perIP)
	if err == nil {
		err = h.throttle(r, "signin-account:"+gateway.NormalizeEmail(f.Get("email")), h.perAcct)
	}
	var token string
	var s *gateway.UserSession
	if err == nil {
		token, s, err = h.acc.SignIn(r.Context(), gateway.SignInParams{
			Email: f.Get("email"), Password: f.Get("password"), Code: f.Get("code"), Client: client(r)})
	}
	if err != nil {
		status := http.StatusUnauthorized
		if gateway.ErrorCode(err) == gateway.CodeRateLimited {
			status = http.StatusTooManyRequests
		} else if gateway.ErrorCode(err) != gateway.CodeUnauthorized {
			return err
		}
		fm := &form.Form{Values: f, Message: err.(*gateway.Error).Message}
		return h.renderStatus(w, r, v, status, "signin", signInData{Form: fm, Next: next})
	}
	h.cookies.SetToken(w, token, s.ExpiresAt)
	http.Redirect(w, r, localPath(next, "/dashboard"), http.StatusSeeOther)
	return nil
}

// signOut ends this browser's session.
func (h *Handler) signOut(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	if err := h.acc.SignOut(r.Context(), v.Actor()); err != nil {
		return err
	}
	h.cookies.Clear(w)
	http.Redirect(w, r, "/dashboard/signin?notice=signed_out", http.StatusSeeOther)
	return nil
}
