package dashboard

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/satsrail/satsrail/internal/gateway"
)

// pathParam finds the {name} parameters of a route's pattern.
var pathParam = regexp.MustCompile(`\{([a-z_]+)(?:\.\.\.)?\}`)

// notText refuses, before any page reads it, what no store could hold and
// the two engines would answer differently (gateway.TextProblem): a path
// parameter that is not text is an unknown object (404, as any unknown id);
// a query parameter or form field that is not text, or free text (a form
// field) with a control character other than tab and newline, is a 422
// naming the field. Passwords are only ever hashed, so they are left alone.
func notText(rt route, r *http.Request) error {
	for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
		if gateway.TextProblem(r.PathValue(m[1]), false) != "" {
			return fmt.Errorf("dashboard %s: %w", m[1], gateway.ErrNotFound)
		}
	}
	check := func(vals map[string][]string, freeForm bool) error {
		names := make([]string, 0, len(vals))
		for name := range vals {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			if strings.Contains(name, "password") {
				continue
			}
			if msg := gateway.TextProblem(name, false); msg != "" {
				return fieldError("A field name", msg)
			}
			for _, v := range vals[name] {
				if msg := gateway.TextProblem(v, freeForm); msg != "" {
					return fieldError("The field “"+name+"”", msg)
				}
			}
		}
		return nil
	}
	if err := check(r.URL.Query(), false); err != nil {
		return err
	}
	return check(r.PostForm, true)
}

func fieldError(what, msg string) error {
	return &gateway.Error{Code: gateway.CodeValidation, Message: what + " " + msg + "; nothing was changed."}
}
