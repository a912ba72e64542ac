package dashboard

import (
	"html/template"
	"net/http"

	"github.com/satsrail/satsrail/internal/dashboard/form"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/qrsvg"
)

type totpData struct {
	Form   *form.Form
	Enrol  *gateway.TOTPEnrolment
	QR     template.HTML
	Codes  []string // recovery codes, shown once after enabling
	Active bool
}

// totpEnrol offers a new authenticator secret as a QR code and as text.
func (h *Handler) totpEnrol(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	return h.renderTOTP(w, r, v, http.StatusOK, form.New(), "")
}

// renderTOTP shows the enrolment page with the secret of sealed, or a new
// one when sealed is "".
func (h *Handler) renderTOTP(w http.ResponseWriter, r *http.Request, v *Viewer, status int, f *form.Form, sealed string) error {
	if v.User.TwoFactor() {
		return h.renderStatus(w, r, v, status, "totp", totpData{Form: f, Active: true})
	}
	// After a wrong code, keep the secret the app already scanned.
	en, err := h.acc.ReopenTOTP(v.User, sealed)
	if sealed == "" || err != nil {
		if en, err = h.acc.BeginTOTP(v.User); err != nil {
			return err
		}
	}
	svg, err := qrsvg.Encode(en.URI, "QR code to add satsrail to an authenticator app")
	if err != nil {
		return err
	}
	return h.renderStatus(w, r, v, status, "totp", totpData{Form: f, Enrol: en, QR: template.HTML(svg)}) // numbers and an escaped label only
}

// totpEnable turns two-factor sign-in on once a code of the secret checks,
// and shows the recovery codes once.
func (h *Handler) totpEnable(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	f := r.PostForm
	codes, err := h.acc.EnableTOTP(r.Context(), v.Actor(), f.Get("secret"), f.Get("code"))
	if err != nil {
		fm, ok := form.FromError(f, err)
		if !ok {
			return err
		}
		return h.renderTOTP(w, r, v, http.StatusUnprocessableEntity, fm, f.Get("secret"))
	}
	return h.render(w, r, v, "totp", totpData{Form: form.New(), Codes: codes, Active: true})
}

// totpDisable turns two-factor sign-in off.
func (h *Handler) totpDisable(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	if err := h.acc.DisableTOTP(r.Context(), v.Actor()); err != nil {
		return err
	}
	http.Redirect(w, r, "/dashboard/account?notice=totp_disabled", http.StatusSeeOther)
	return nil
}
