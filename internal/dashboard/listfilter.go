package dashboard

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/satsrail/satsrail/internal/dashboard/form"
	"github.com/satsrail/satsrail/internal/gateway"
)

// listFilter is the filter form of the session and transaction lists, read
// from the query string (a GET form: it changes nothing, and a filtered
// list is a link one can keep). Dates are whole UTC days, both inclusive.
type listFilter struct {
	Status string
	From   string // YYYY-MM-DD
	To     string
	Q      string // the session search, or a session id for transactions
	After  string // the cursor: the last item of the previous page
	// Form holds the values as typed and each field's error.
	Form *form.Form

	created gateway.TimeRange
	err     error // the invalid fields, as the domain reports them
}

// dateLayout is how the filter's dates are written (an <input type=date>).
const dateLayout = "2006-01-02"

// readListFilter reads q; statuses are the values status may take.
func readListFilter(q url.Values, statuses []string) *listFilter {
	f := &listFilter{Status: q.Get("status"), From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to")),
		Q: strings.TrimSpace(q.Get("q")), After: q.Get("after")}
	vals := url.Values{"status": {f.Status}, "from": {f.From}, "to": {f.To}, "q": {f.Q}}
	var fields []gateway.FieldError
	if f.Status != "" && !slices.Contains(statuses, f.Status) {
		fields = append(fields, gateway.FieldError{Field: "status", Message: "must be one of " + strings.Join(statuses, ", ")})
	}
	day := func(name, s string) (time.Time, bool) {
		if s == "" {
			return time.Time{}, true
		}
		t, err := time.Parse(dateLayout, s)
		if err != nil {
			fields = append(fields, gateway.FieldError{Field: name, Message: "must be a date like 2025-03-14"})
			return time.Time{}, false
		}
		return t, true
	}
	from, okFrom := day("from", f.From)
	to, okTo := day("to", f.To)
	if !to.IsZero() {
		to = to.AddDate(0, 0, 1).Add(-time.Microsecond) // the whole day
	}
	if okFrom && okTo && !from.IsZero() && !to.IsZero() && to.Before(from) {
		fields = append(fields, gateway.FieldError{Field: "to", Message: "must not be before the from date"})
	}
	f.created = gateway.TimeRange{From: from, To: to}
	if len(fields) > 0 {
		f.err = &gateway.Error{Code: gateway.CodeValidation, Message: "The filter has invalid fields.", Fields: fields}
	}
	f.Form = &form.Form{Values: vals, Errors: map[string]string{}}
	if fm, ok := form.FromError(vals, f.err); ok {
		f.Form = fm
	}
	return f
}

// Failed reports whether the filter has an invalid field.
func (f *listFilter) Failed() bool { return f.Form.Failed() }

// page is the list page the filter asks for.
func (f *listFilter) page() gateway.Page { return gateway.Page{StartingAfter: f.After} }

// Query is the filter as a query string, without the cursor, for links to
// the next page and to the export.
func (f *listFilter) Query() string {
	q := url.Values{}
	for k, v := range map[string]string{"status": f.Status, "from": f.From, "to": f.To, "q": f.Q} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q.Encode()
}

// Filtered reports whether any filter is set.
func (f *listFilter) Filtered() bool { return f.Query() != "" }

// link is path with the filter and, when after is set, the cursor.
func (f *listFilter) link(path, after string) string {
	q, _ := url.ParseQuery(f.Query())
	if after != "" {
		q.Set("after", after)
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
