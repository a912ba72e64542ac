// Package form carries a dashboard form's values and its field-level errors
// back into the page that shows it. The errors are the domain's
// (*gateway.Error Fields), the same messages the API returns: the dashboard
// validates nothing the domain does not.
package form

import (
	"errors"
	"net/url"

	"github.com/satsrail/satsrail/internal/gateway"
)

// Form is a submitted form: what was typed (so the page can show it again)
// and what is wrong with it.
type Form struct {
	Values  url.Values
	Message string            // the error's message, above the form
	Errors  map[string]string // field name → message
}

// New returns an empty form (a page shown for the first time).
func New() *Form { return &Form{Values: url.Values{}, Errors: map[string]string{}} }

// FromError returns the form of values with err's field errors, and true
// when err is a validation (or other caller-fixable) error a page should show
// in its form; any other error is false, for the error page.
func FromError(values url.Values, err error) (*Form, bool) {
	var e *gateway.Error
	if !errors.As(err, &e) {
		return nil, false
	}
	switch e.Code {
	case gateway.CodeValidation, gateway.CodeUnauthorized, gateway.CodePermissionDenied, gateway.CodeRateLimited:
	default:
		return nil, false
	}
	f := &Form{Values: values, Message: e.Message, Errors: map[string]string{}}
	for _, fe := range e.Fields {
		if _, dup := f.Errors[fe.Field]; !dup {
			f.Errors[fe.Field] = fe.Message
		}
	}
	return f, true
}

// Value returns the submitted value of field. Password fields are never
// echoed: pages leave them out.
func (f *Form) Value(field string) string {
	if f == nil || f.Values == nil {
		return ""
	}
	return f.Values.Get(field)
}

// Error returns the message for field, or "".
func (f *Form) Error(field string) string {
	if f == nil {
		return ""
	}
	return f.Errors[field]
}

// Failed reports whether the form has an error to show.
func (f *Form) Failed() bool { return f != nil && (f.Message != "" || len(f.Errors) > 0) }
