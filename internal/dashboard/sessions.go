package dashboard

import (
	"encoding/json"
	"net/http"

	"github.com/satsrail/satsrail/internal/apiconv"
	"github.com/satsrail/satsrail/internal/gateway"
)

// sessionStatuses are the values of the session list's status filter.
var sessionStatuses = []string{string(gateway.StatusPending), string(gateway.StatusCompleted),
	string(gateway.StatusExpired), string(gateway.StatusCancelled)}

type sessionsData struct {
	Filter   *listFilter
	Statuses []string
	Sessions []gateway.CheckoutSession
	Total    int
	// First and Next are the links to the first page and the next one
	// ("" on the last page).
	First, Next string
}

// sessionsShow lists the checkout sessions of the mode in view, newest
// first, a page at a time, filtered by status and creation date and
// searched by session id, customer email or metadata order_id (one indexed
// lookup each: gateway.Service.SearchCheckoutSessions).
func (h *Handler) sessionsShow(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	f := readListFilter(r.URL.Query(), sessionStatuses)
	d := sessionsData{Filter: f, Statuses: sessionStatuses}
	if f.Failed() {
		return h.renderStatus(w, r, v, http.StatusUnprocessableEntity, "sessions", d)
	}
	l, err := h.svc.SearchCheckoutSessions(r.Context(), v.Scope(), f.Q,
		gateway.SessionFilter{Status: gateway.SessionStatus(f.Status), Created: f.created, Page: f.page()})
	if err != nil {
		return err
	}
	d.Sessions, d.Total = l.Items, l.TotalCount
	if l.HasMore {
		d.Next = f.link("/dashboard/sessions", l.Items[len(l.Items)-1].ID)
	}
	d.First = f.link("/dashboard/sessions", "")
	return h.render(w, r, v, "sessions", d)
}

type sessionData struct {
	*gateway.SessionDetail
	JSON string // the session as GET /api/v1/checkout_sessions/{id} answers it
}

// sessionShow is one session of the mode in view: its summary, its
// timeline (created, invoice, paid, each event and webhook delivery with
// every attempt's outcome) and its JSON as the API shows it. Another
// merchant's or mode's session is 404.
func (h *Handler) sessionShow(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	d, err := h.svc.SessionTimeline(r.Context(), v.Scope(), r.PathValue("checkout_session_id"))
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(apiconv.CheckoutSession(d.Session, h.apiBase(r)), "", "  ")
	if err != nil {
		return err
	}
	return h.render(w, r, v, "session", sessionData{SessionDetail: d, JSON: string(b)})
}
