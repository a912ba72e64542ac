package httpapi

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// MaxPerPage caps per_page (SPEC §2).
const MaxPerPage = 100

// listQuery parses a list's query string: paging, the plain filters and their
// Ransack q[...] aliases. Every parameter must be known and well formed.
type listQuery struct {
	vals url.Values
	seen map[string]bool
	errs []gateway.FieldError
}

func newListQuery(c *call) *listQuery {
	return &listQuery{vals: c.r.URL.Query(), seen: map[string]bool{}}
}

func (q *listQuery) fail(field, format string, args ...any) {
	q.errs = append(q.errs, gateway.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// str returns the value of the first given name that is present. A value
// that is not text (see cleanText) fails and reads as absent.
func (q *listQuery) str(names ...string) (string, string) {
	for _, n := range names {
		q.seen[n] = true
	}
	for _, n := range names {
		if vs, ok := q.vals[n]; ok {
			v := vs[len(vs)-1]
			if msg := cleanText(v); msg != "" {
				q.fail(n, "%s", msg)
				return "", ""
			}
			return v, n
		}
	}
	return "", ""
}

// oneOf reads an enumerated filter.
func (q *listQuery) oneOf(allowed []string, names ...string) string {
	v, name := q.str(names...)
	if name != "" && !slices.Contains(allowed, v) {
		q.fail(name, "must be one of %s", strings.Join(allowed, ", "))
		return ""
	}
	return v
}

func (q *listQuery) integer(name string, def, lo, hi int) int {
	v, n := q.str(name)
	if n == "" {
		return def
	}
	i, err := strconv.Atoi(v)
	if err != nil || i < lo || i > hi {
		q.fail(name, "must be an integer from %d to %d", lo, hi)
		return def
	}
	return i
}

// page reads page, per_page and starting_after.
func (q *listQuery) page() gateway.Page {
	p := gateway.Page{
		Page:    q.integer("page", 1, 1, 1_000_000),
		PerPage: q.integer("per_page", 25, 1, MaxPerPage),
	}
	p.StartingAfter, _ = q.str("starting_after")
	return p
}

// created reads created_after / created_before (exclusive) and
// q[created_at_gteq] / q[created_at_lteq] (inclusive) into one inclusive
// range. Times are RFC 3339, a date (YYYY-MM-DD, UTC midnight) or unix seconds.
func (q *listQuery) created() gateway.TimeRange {
	var tr gateway.TimeRange
	bound := func(name string, shift time.Duration, dst *time.Time) {
		v, n := q.str(name)
		if n == "" {
			return
		}
		t, err := parseTime(v)
		if err != nil {
			q.fail(n, "must be an RFC 3339 time, a date (YYYY-MM-DD) or unix seconds")
			return
		}
		t = t.Add(shift)
		// Of two bounds on one end the tighter wins.
		if dst.IsZero() || (shift >= 0 && t.After(*dst)) || (shift < 0 && t.Before(*dst)) {
			*dst = t
		}
	}
	bound("created_after", time.Microsecond, &tr.From)
	bound("q[created_at_gteq]", 0, &tr.From)
	bound("created_before", -time.Microsecond, &tr.To)
	bound("q[created_at_lteq]", -0, &tr.To)
	return tr
}

func parseTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC().Truncate(time.Microsecond), nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t.UTC(), nil
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 && n < 1<<36 {
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("bad time %q", v)
}

// done reports the collected errors, and every parameter no one asked for.
func (q *listQuery) done() error {
	var unknown []string
	for name := range q.vals {
		if !q.seen[name] {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	for _, name := range unknown {
		q.fail(name, "is not a known parameter")
	}
	if len(q.errs) == 0 {
		return nil
	}
	return &gateway.Error{Code: gateway.CodeValidation, Message: "The query has invalid parameters.", Fields: q.errs}
}

// meta computes the list envelope's page arithmetic.
func listMeta(p gateway.Page, total int) (page, perPage, pages int) {
	page = p.Page
	if p.StartingAfter != "" {
		page = 1
	}
	pages = (total + p.PerPage - 1) / p.PerPage
	return page, p.PerPage, pages
}
