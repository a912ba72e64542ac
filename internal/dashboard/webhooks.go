package dashboard

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/satsrail/satsrail/internal/dashboard/form"
	"github.com/satsrail/satsrail/internal/gateway"
)

// endpointsPerPage and deliveriesPerPage size the webhook pages' lists.
const (
	endpointsPerPage  = 50
	deliveriesPerPage = 20
	eventsPerPage     = 50
)

type endpointRow struct {
	E gateway.WebhookEndpoint
	// Failing: the endpoint's newest attempted delivery did not succeed.
	Failing bool
}

type webhooksData struct {
	Endpoints []endpointRow
	Pager     pager
}

// pager is a list's page number and its neighbours' links.
type pager struct {
	Page           int
	Prev, Next     string // URLs, "" when there is none
	Total, PerPage int
}

// pageParam reads ?page= (1 when missing or not a positive number: a list
// page never fails for a bad page number, it shows the first).
func pageParam(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// newPager links the pages around page of a list at base (whose query, if
// any, is kept).
func newPager(base url.Values, path string, page, perPage int, hasMore bool, total int) pager {
	p := pager{Page: page, Total: total, PerPage: perPage}
	link := func(n int) string {
		q := url.Values{}
		for k, vs := range base {
			q[k] = vs
		}
		q.Set("page", strconv.Itoa(n))
		return path + "?" + q.Encode()
	}
	if page > 1 {
		p.Prev = link(page - 1)
	}
	if hasMore {
		p.Next = link(page + 1)
	}
	return p
}

// endpointFailing reports whether the endpoint's newest delivery that was
// attempted ended without a 2xx (failed, or pending a retry after a failed
// attempt): what the merchant must look at.
func (h *Handler) endpointFailing(r *http.Request, v *Viewer, id string) (bool, error) {
	l, err := h.svc.ListDeliveries(r.Context(), v.Scope(), id, gateway.Page{PerPage: 1})
	if err != nil || len(l.Items) == 0 {
		return false, err
	}
	d := l.Items[0]
	return d.Attempts > 0 && d.Status != gateway.DeliverySucceeded, nil
}

// webhooksShow lists the mode's webhook endpoints.
func (h *Handler) webhooksShow(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	page := pageParam(r)
	l, err := h.svc.ListWebhookEndpoints(r.Context(), v.Scope(), gateway.Page{Page: page, PerPage: endpointsPerPage})
	if err != nil {
		return err
	}
	d := webhooksData{Pager: newPager(nil, "/dashboard/webhooks", page, endpointsPerPage, l.HasMore, l.TotalCount)}
	for _, e := range l.Items {
		failing, err := h.endpointFailing(r, v, e.ID)
		if err != nil {
			return err
		}
		d.Endpoints = append(d.Endpoints, endpointRow{E: e, Failing: failing})
	}
	return h.render(w, r, v, "webhooks", d)
}

// endpointForm is the add and edit form of an endpoint.
type endpointForm struct {
	Form *form.Form
	// Events are the event types to tick, with whether each is ticked.
	Events []eventChoice
}

type eventChoice struct {
	Type    gateway.EventType
	Checked bool
}

// newEndpointForm is the form with values (as posted, or an endpoint's).
func newEndpointForm(f *form.Form) endpointForm {
	ef := endpointForm{Form: f}
	for _, t := range gateway.EventTypes {
		ef.Events = append(ef.Events, eventChoice{Type: t, Checked: slices.Contains(f.Values["events"], string(t))})
	}
	return ef
}

// endpointValues are an endpoint's fields as its edit form posts them.
func endpointValues(e *gateway.WebhookEndpoint) url.Values {
	vals := url.Values{"url": {e.URL}, "description": {e.Description}}
	for _, t := range e.Events {
		vals.Add("events", string(t))
	}
	return vals
}

// endpointParams reads the add and edit form: every field is sent, so an
// empty description clears it and no box ticked means every event (as
// "events": [] does in the API).
func endpointParams(f url.Values) gateway.WebhookParams {
	u, desc := f.Get("url"), f.Get("description")
	events := f["events"]
	if events == nil {
		events = []string{}
	}
	return gateway.WebhookParams{URL: &u, Description: &desc, Events: events, HasEvents: true}
}

type webhookNewData struct {
	Edit endpointForm
	// Secret and Endpoint are set once the endpoint is made: the secret
	// is shown on that response only.
	Secret   string
	Endpoint *gateway.WebhookEndpoint
}

// webhookNew is the add-endpoint form.
func (h *Handler) webhookNew(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	return h.render(w, r, v, "webhook_new", webhookNewData{Edit: newEndpointForm(form.New())})
}

// webhookCreate adds an endpoint (CreateWebhookEndpoint, the API's rule:
// URL checks, the SSRF guard, known events) and shows its signing secret
// once.
func (h *Handler) webhookCreate(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	f := r.PostForm
	e, secret, err := h.svc.CreateWebhookEndpoint(r.Context(), v.Scope(), endpointParams(f))
	if err != nil {
		fm, ok := form.FromError(f, err)
		if !ok {
			return err
		}
		return h.renderStatus(w, r, v, http.StatusUnprocessableEntity, "webhook_new", webhookNewData{Edit: newEndpointForm(fm)})
	}
	return h.render(w, r, v, "webhook_new", webhookNewData{Secret: secret, Endpoint: e})
}

type deliveryRow struct {
	D        gateway.Delivery
	Attempts []gateway.DeliveryAttempt
}

// deliveryLog is the "deliverylog" partial's argument: the rows, the viewer
// (for the Redeliver forms' CSRF token) and whether to name each row's
// endpoint (on an event's page).
type deliveryLog struct {
	Rows         []deliveryRow
	V            *Viewer
	ShowEndpoint bool
}

type webhookData struct {
	E       *gateway.WebhookEndpoint
	Edit    endpointForm
	Log     deliveryLog
	Pager   pager
	Failing bool
}

// webhookShow is one endpoint: its settings form, its actions and its
// delivery log, each attempt with its status, latency, error and the
// start of the response body.
func (h *Handler) webhookShow(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	e, err := h.svc.GetWebhookEndpoint(r.Context(), v.Scope(), r.PathValue("webhook_id"))
	if err != nil {
		return err
	}
	fm := form.New()
	fm.Values = endpointValues(e)
	return h.renderEndpoint(w, r, v, http.StatusOK, e, fm)
}

// renderEndpoint renders an endpoint's page with its edit form as given.
func (h *Handler) renderEndpoint(w http.ResponseWriter, r *http.Request, v *Viewer, status int, e *gateway.WebhookEndpoint, fm *form.Form) error {
	ctx := r.Context()
	page := pageParam(r)
	l, err := h.svc.ListDeliveries(ctx, v.Scope(), e.ID, gateway.Page{Page: page, PerPage: deliveriesPerPage})
	if err != nil {
		return err
	}
	d := webhookData{E: e, Edit: newEndpointForm(fm),
		Pager: newPager(nil, "/dashboard/webhooks/endpoints/"+e.ID, page, deliveriesPerPage, l.HasMore, l.TotalCount)}
	d.Log.V = v
	if d.Log.Rows, err = h.withAttempts(r, l.Items); err != nil {
		return err
	}
	if d.Failing, err = h.endpointFailing(r, v, e.ID); err != nil {
		return err
	}
	return h.renderStatus(w, r, v, status, "webhook", d)
}

// withAttempts adds each delivery's attempts (deliveries read in the
// viewer's scope, so their attempts are the viewer's).
func (h *Handler) withAttempts(r *http.Request, ds []gateway.Delivery) ([]deliveryRow, error) {
	var out []deliveryRow
	for _, d := range ds {
		as, err := h.svc.DeliveryAttempts(r.Context(), d.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, deliveryRow{D: d, Attempts: as})
	}
	return out, nil
}

// webhookUpdate saves an endpoint's URL, description and events.
func (h *Handler) webhookUpdate(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	f := r.PostForm
	id := r.PathValue("webhook_id")
	if _, err := h.svc.UpdateWebhookEndpoint(r.Context(), v.Scope(), id, endpointParams(f)); err != nil {
		fm, ok := form.FromError(f, err)
		if !ok {
			return err
		}
		e, gerr := h.svc.GetWebhookEndpoint(r.Context(), v.Scope(), id)
		if gerr != nil {
			return gerr
		}
		return h.renderEndpoint(w, r, v, http.StatusUnprocessableEntity, e, fm)
	}
	http.Redirect(w, r, "/dashboard/webhooks/endpoints/"+url.PathEscape(id)+"?notice=webhook_updated", http.StatusSeeOther)
	return nil
}

// webhookActive enables (active=true) or disables (active=false) an
// endpoint: a disabled one keeps its settings and log but gets no events.
func (h *Handler) webhookActive(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	var active bool
	switch r.PostForm.Get("active") {
	case "true":
		active = true
	case "false":
	default:
		return &gateway.Error{Code: gateway.CodeValidation, Message: "active must be true or false.",
			Fields: []gateway.FieldError{{Field: "active", Message: "must be true or false"}}}
	}
	id := r.PathValue("webhook_id")
	if _, err := h.svc.UpdateWebhookEndpoint(r.Context(), v.Scope(), id, gateway.WebhookParams{Active: &active}); err != nil {
		return err
	}
	notice := "webhook_disabled"
	if active {
		notice = "webhook_enabled"
	}
	http.Redirect(w, r, "/dashboard/webhooks/endpoints/"+url.PathEscape(id)+"?notice="+notice, http.StatusSeeOther)
	return nil
}

// webhookDeleteConfirm asks before an endpoint is deleted.
func (h *Handler) webhookDeleteConfirm(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	e, err := h.svc.GetWebhookEndpoint(r.Context(), v.Scope(), r.PathValue("webhook_id"))
	if err != nil {
		return err
	}
	return h.render(w, r, v, "webhook_delete", e)
}

// webhookDelete deletes an endpoint; its pending deliveries fail.
func (h *Handler) webhookDelete(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	if err := h.svc.DeleteWebhookEndpoint(r.Context(), v.Scope(), r.PathValue("webhook_id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/dashboard/webhooks?notice=webhook_deleted", http.StatusSeeOther)
	return nil
}

// webhookRotate gives an endpoint a new signing secret and shows it once;
// the old one keeps signing beside it for a day (gateway.SecretOverlap).
func (h *Handler) webhookRotate(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	e, secret, err := h.svc.RotateWebhookSecret(r.Context(), v.Scope(), r.PathValue("webhook_id"))
	if err != nil {
		return err
	}
	h.audit(r, v, gateway.AuditWebhookSecretRotated, e.ID+" ("+string(e.Mode)+" mode)")
	return h.render(w, r, v, "webhook_secret", webhookNewData{Secret: secret, Endpoint: e})
}

// webhookTest queues a webhook.test event for one endpoint.
func (h *Handler) webhookTest(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	id := r.PathValue("webhook_id")
	if _, err := h.svc.SendTestEvent(r.Context(), v.Scope(), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/dashboard/webhooks/endpoints/"+url.PathEscape(id)+"?notice=webhook_test_sent", http.StatusSeeOther)
	return nil
}

// webhookRedeliver queues one more attempt of a finished delivery (a
// pending one is the domain's 422) and goes back to its endpoint's log.
func (h *Handler) webhookRedeliver(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	d, err := h.svc.Redeliver(r.Context(), v.Scope(), r.PathValue("delivery_id"))
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/dashboard/webhooks/endpoints/"+url.PathEscape(d.EndpointID)+"?notice=redelivery_queued", http.StatusSeeOther)
	return nil
}

type eventsData struct {
	Events      []gateway.Event
	Undelivered bool
	Pager       pager
}

// eventsShow lists the mode's events, newest first; ?undelivered=1 keeps
// those with a delivery that failed and has not succeeded since.
func (h *Handler) eventsShow(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	page := pageParam(r)
	undelivered := r.URL.Query().Get("undelivered") == "1"
	l, err := h.svc.ListEvents(r.Context(), v.Scope(), gateway.EventFilter{DeliveryFailed: undelivered,
		Page: gateway.Page{Page: page, PerPage: eventsPerPage}})
	if err != nil {
		return err
	}
	var base url.Values
	if undelivered {
		base = url.Values{"undelivered": {"1"}}
	}
	return h.render(w, r, v, "events", eventsData{Events: l.Items, Undelivered: undelivered,
		Pager: newPager(base, "/dashboard/webhooks/events", page, eventsPerPage, l.HasMore, l.TotalCount)})
}

type eventData struct {
	Event *gateway.Event
	// Body is the event's JSON, indented for reading.
	Body string
	Log  deliveryLog
}

// eventShow is one event: its JSON and its delivery to each endpoint, with
// every attempt.
func (h *Handler) eventShow(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	ev, ds, err := h.svc.EventDeliveries(r.Context(), v.Scope(), r.PathValue("event_id"))
	if err != nil {
		return err
	}
	d := eventData{Event: ev, Body: string(ev.Body)}
	var buf bytes.Buffer
	if json.Indent(&buf, ev.Body, "", "  ") == nil {
		d.Body = buf.String()
	}
	d.Log = deliveryLog{V: v, ShowEndpoint: true}
	if d.Log.Rows, err = h.withAttempts(r, ds); err != nil {
		return err
	}
	return h.render(w, r, v, "event", d)
}
