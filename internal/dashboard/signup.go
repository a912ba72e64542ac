package dashboard

import (
	"net/http"

	"github.com/satsrail/satsrail/internal/dashboard/form"
	"github.com/satsrail/satsrail/internal/gateway"
)

type signUpData struct {
	Form     *form.Form
	FirstRun bool
	Closed   bool
}

// signUpLimit caps sign-ups per client address per minute.
const signUpLimit = 10

// signUpShow is the sign-up form: the first-run sign-up of an instance
// without users (its user becomes the operator), or anyone's under
// --signup open; otherwise a page saying sign-up is closed.
func (h *Handler) signUpShow(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	if v.SignedIn() {
		http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
		return nil
	}
	allowed, first, err := h.acc.CanSignUp(r.Context())
	if err != nil {
		return err
	}
	status := http.StatusOK
	if !allowed {
		status = http.StatusForbidden
	}
	return h.renderStatus(w, r, v, status, "signup", signUpData{Form: form.New(), FirstRun: first, Closed: !allowed})
}

type signedUpData struct {
	Merchant *gateway.Merchant
	Email    string
	Operator bool
	Keys     []shownKey
}

// shownKey is a key secret shown once.
type shownKey struct {
	Type   gateway.KeyType
	Secret string
}

// signUpSubmit creates the user, its merchant and the four keys, signs the
// user in, and shows the secret keys once: they are stored only as hashes.
func (h *Handler) signUpSubmit(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	if v.SignedIn() {
		http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
		return nil
	}
	if err := h.throttle(r, "signup-ip:"+clientIP(r), signUpLimit); err != nil {
		return err
	}
	f := r.PostForm
	res, err := h.acc.SignUp(r.Context(), gateway.SignUpParams{
		Email: f.Get("email"), Password: f.Get("password"), BusinessName: f.Get("business_name"), Client: client(r)})
	if err != nil {
		fm, ok := form.FromError(f, err)
		if !ok {
			return err
		}
		_, first, _ := h.acc.CanSignUp(r.Context())
		status := http.StatusUnprocessableEntity
		if gateway.ErrorCode(err) == gateway.CodePermissionDenied {
			status = http.StatusForbidden
		}
		return h.renderStatus(w, r, v, status, "signup", signUpData{Form: fm, FirstRun: first, Closed: status == http.StatusForbidden})
	}
	h.cookies.SetToken(w, res.Token, res.Session.ExpiresAt)
	d := signedUpData{Merchant: res.Merchant, Email: res.User.Email, Operator: res.User.Operator}
	for _, kt := range gateway.KeyTypes {
		d.Keys = append(d.Keys, shownKey{Type: kt, Secret: res.Secrets[kt]})
	}
	return h.renderStatus(w, r, v, http.StatusCreated, "signed_up", d)
}
