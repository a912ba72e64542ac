package dashboard

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/satsrail/satsrail/internal/dashboard/form"
	"github.com/satsrail/satsrail/internal/gateway"
)

// Settings: the merchant's business name, support email, default checkout
// lifetime, what payment links do after payment, the allowed origins, and
// the logo. The same Service methods as PATCH /merchant and PUT
// /merchant/logo, so the same rules and field messages.

type settingsData struct {
	M       *gateway.Merchant
	Form    *form.Form
	Logo    *form.Form // the upload form's error
	Default int        // the gateway's default checkout lifetime, minutes
}

// settingsShow shows the settings form filled with the merchant's values.
func (h *Handler) settingsShow(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	m, err := h.svc.GetMerchant(r.Context(), v.MerchantID())
	if err != nil {
		return err
	}
	return h.render(w, r, v, "settings", h.settingsPage(m, settingsValues(m), form.New()))
}

func (h *Handler) settingsPage(m *gateway.Merchant, f, logo *form.Form) settingsData {
	return settingsData{M: m, Form: f, Logo: logo, Default: int(h.svc.DefaultCheckoutTTL() / time.Minute)}
}

// settingsUpdate takes the settings form.
func (h *Handler) settingsUpdate(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	f := r.PostForm
	in, err := settingsForm(f)
	var m *gateway.Merchant
	if err == nil {
		m, err = h.svc.UpdateMerchantSettings(r.Context(), v.MerchantID(), in)
	}
	if err != nil {
		fm, ok := settingsFormError(f, err)
		if !ok {
			return err
		}
		if m, err = h.svc.GetMerchant(r.Context(), v.MerchantID()); err != nil {
			return err
		}
		return h.renderStatus(w, r, v, http.StatusUnprocessableEntity, "settings", h.settingsPage(m, fm, form.New()))
	}
	http.Redirect(w, r, "/dashboard/settings?notice=saved", http.StatusSeeOther)
	return nil
}

// logoUpload takes the logo form (multipart, parsed by the CSRF check with
// the dashboard's MaxUpload cap); the image is checked by the domain like
// an API upload.
func (h *Handler) logoUpload(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	err := errors.New("no file")
	var data []byte
	if file, _, ferr := r.FormFile("logo"); ferr == nil {
		data, err = io.ReadAll(io.LimitReader(file, gateway.MaxLogoBytes+1))
		file.Close()
	}
	if err != nil {
		err = &gateway.Error{Code: gateway.CodeValidation, Message: "The request has invalid fields.",
			Fields: []gateway.FieldError{{Field: "logo", Message: "is required: choose an image file"}}}
	} else {
		_, err = h.svc.SetMerchantLogo(r.Context(), v.MerchantID(), data)
	}
	if err != nil {
		if gateway.ErrorCode(err) == gateway.CodeRequestTooLarge {
			err = &gateway.Error{Code: gateway.CodeValidation, Message: "The logo is too large.",
				Fields: []gateway.FieldError{{Field: "logo", Message: "must be at most 256 KiB"}}}
		}
		fm, ok := form.FromError(url.Values{}, err)
		if !ok {
			return err
		}
		m, gerr := h.svc.GetMerchant(r.Context(), v.MerchantID())
		if gerr != nil {
			return gerr
		}
		return h.renderStatus(w, r, v, http.StatusUnprocessableEntity, "settings", h.settingsPage(m, settingsValues(m), fm))
	}
	http.Redirect(w, r, "/dashboard/settings?notice=saved", http.StatusSeeOther)
	return nil
}

// logoDelete removes the logo.
func (h *Handler) logoDelete(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	if _, err := h.svc.DeleteMerchantLogo(r.Context(), v.MerchantID()); err != nil {
		return err
	}
	http.Redirect(w, r, "/dashboard/settings?notice=saved", http.StatusSeeOther)
	return nil
}

// settingsForm reads the form: every field is sent (the form shows them
// all), the lifetime in minutes (empty: the gateway's default), the
// allowed origins one per line.
func settingsForm(f url.Values) (gateway.MerchantSettings, error) {
	get := func(name string) *string { s := f.Get(name); return &s }
	in := gateway.MerchantSettings{Name: get("name"), SupportEmail: get("support_email"),
		SuccessURL: get("success_url"), ThankYouMessage: get("thank_you_message")}
	ttl := time.Duration(0)
	if s := strings.TrimSpace(f.Get("checkout_ttl_minutes")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 24*60 {
			return in, &gateway.Error{Code: gateway.CodeValidation, Message: "The request has invalid fields.",
				Fields: []gateway.FieldError{{Field: "checkout_ttl_minutes", Message: "must be a whole number of minutes between 5 and 60"}}}
		}
		ttl = time.Duration(n) * time.Minute
	}
	in.CheckoutTTL = &ttl
	origins := []string{}
	for _, line := range strings.Split(f.Get("allowed_origins"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			origins = append(origins, line)
		}
	}
	in.AllowedOrigins = &origins
	return in, nil
}

var originField = regexp.MustCompile(`^allowed_origins\[(\d+)\]$`)

// settingsFormError is form.FromError with the domain's field names made
// the form's: checkout_ttl_seconds is the minutes field, and
// allowed_origins[i] the textarea, naming the line.
func settingsFormError(f url.Values, err error) (*form.Form, bool) {
	fm, ok := form.FromError(f, err)
	if !ok {
		return nil, false
	}
	if msg, has := fm.Errors["checkout_ttl_seconds"]; has {
		fm.Errors["checkout_ttl_minutes"] = "must be between 5 and 60 minutes (" + msg + ")"
	}
	var lines []string
	for field, msg := range fm.Errors {
		if m := originField.FindStringSubmatch(field); m != nil {
			n, _ := strconv.Atoi(m[1])
			lines = append(lines, "line "+strconv.Itoa(n+1)+": "+msg)
		}
	}
	if len(lines) > 0 {
		slices.Sort(lines)
		fm.Errors["allowed_origins"] = strings.Join(lines, "; ")
	}
	return fm, true
}

// settingsValues fills the form with m as it is.
func settingsValues(m *gateway.Merchant) *form.Form {
	f := form.New()
	f.Values.Set("name", m.Name)
	f.Values.Set("support_email", m.SupportEmail)
	if m.CheckoutTTL > 0 {
		f.Values.Set("checkout_ttl_minutes", strconv.Itoa(int(m.CheckoutTTL/time.Minute)))
	}
	f.Values.Set("success_url", m.SuccessURL)
	f.Values.Set("thank_you_message", m.ThankYouMessage)
	f.Values.Set("allowed_origins", strings.Join(m.AllowedOrigins, "\n"))
	return f
}
