package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/satsrail/satsrail/apitype"
	"github.com/satsrail/satsrail/internal/gateway"
)

func toWebhook(e *gateway.WebhookEndpoint, secret string) apitype.WebhookEndpoint {
	out := apitype.WebhookEndpoint{
		ID: e.ID, Object: "webhook_endpoint", Livemode: e.Mode.Live(), URL: e.URL, Description: optString(e.Description),
		Events: []string{}, Active: e.Active, Secret: secret, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt,
	}
	if len(e.PrevSecret) > 0 {
		out.PrevSecretExpiresAt = optTime(e.PrevSecretExpiresAt)
	}
	for _, t := range e.Events {
		out.Events = append(out.Events, string(t))
	}
	return out
}

func toEvent(ev *gateway.Event) apitype.Event {
	return apitype.Event{ID: ev.ID, Object: "event", Type: string(ev.Type), Livemode: ev.Mode.Live(), CreatedAt: ev.CreatedAt, Data: json.RawMessage(ev.Body)}
}

func toDelivery(d *gateway.Delivery, attempts []gateway.DeliveryAttempt) apitype.WebhookDelivery {
	out := apitype.WebhookDelivery{
		ID: d.ID, Object: "webhook_delivery", Livemode: d.Mode.Live(), EventID: d.EventID, WebhookID: d.EndpointID,
		Status: string(d.Status), Attempts: d.Attempts, NextAttemptAt: optTime(d.NextAttemptAt),
		LastAttemptAt: optTime(d.LastAttemptAt), LastError: optString(d.LastError),
		AttemptLog: []apitype.DeliveryAttempt{}, CreatedAt: d.CreatedAt,
	}
	if d.LastStatusCode != 0 {
		out.LastStatusCode = &d.LastStatusCode
	}
	for _, a := range attempts {
		x := apitype.DeliveryAttempt{Attempt: a.Attempt, At: a.At, LatencyMS: a.Latency.Milliseconds(), Error: optString(a.Error), ResponseBody: a.ResponseBody}
		if a.StatusCode != 0 {
			code := a.StatusCode
			x.StatusCode = &code
		}
		out.AttemptLog = append(out.AttemptLog, x)
	}
	return out
}

func decodeWebhook(c *call) (gateway.WebhookParams, error) {
	var in apitype.WebhookWrite
	if err := decode(c, &in); err != nil {
		return gateway.WebhookParams{}, err
	}
	if in.Webhook == nil {
		return gateway.WebhookParams{}, invalid("webhook", `is required: wrap the fields as {"webhook": {...}}`)
	}
	w := in.Webhook
	return gateway.WebhookParams{URL: w.URL, Description: w.Description, Events: w.Events, HasEvents: w.Events != nil, Active: w.Active}, nil
}

func (s *Server) createWebhook(c *call) (int, any, error) {
	p, err := decodeWebhook(c)
	if err != nil {
		return 0, nil, err
	}
	e, secret, err := s.svc.CreateWebhookEndpoint(c.r.Context(), c.scope, p)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toWebhook(e, secret), nil
}

func (s *Server) listWebhooks(c *call) (int, any, error) {
	q := newListQuery(c)
	p := q.page()
	if err := q.done(); err != nil {
		return 0, nil, err
	}
	l, err := s.svc.ListWebhookEndpoints(c.r.Context(), c.scope, p)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toList(l, p, func(e *gateway.WebhookEndpoint) apitype.WebhookEndpoint { return toWebhook(e, "") }), nil
}

func (s *Server) getWebhook(c *call) (int, any, error) {
	e, err := s.svc.GetWebhookEndpoint(c.r.Context(), c.scope, c.r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toWebhook(e, ""), nil
}

func (s *Server) updateWebhook(c *call) (int, any, error) {
	p, err := decodeWebhook(c)
	if err != nil {
		return 0, nil, err
	}
	e, err := s.svc.UpdateWebhookEndpoint(c.r.Context(), c.scope, c.r.PathValue("id"), p)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toWebhook(e, ""), nil
}

func (s *Server) deleteWebhook(c *call) (int, any, error) {
	if err := s.svc.DeleteWebhookEndpoint(c.r.Context(), c.scope, c.r.PathValue("id")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (s *Server) rotateWebhookSecret(c *call) (int, any, error) {
	e, secret, err := s.svc.RotateWebhookSecret(c.r.Context(), c.scope, c.r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toWebhook(e, secret), nil
}

func (s *Server) testWebhook(c *call) (int, any, error) {
	ev, err := s.svc.SendTestEvent(c.r.Context(), c.scope, c.r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toEvent(ev), nil
}

func (s *Server) listDeliveries(c *call) (int, any, error) {
	q := newListQuery(c)
	p := q.page()
	if err := q.done(); err != nil {
		return 0, nil, err
	}
	ctx := c.r.Context()
	l, err := s.svc.ListDeliveries(ctx, c.scope, c.r.PathValue("id"), p)
	if err != nil {
		return 0, nil, err
	}
	out := apitype.List[apitype.WebhookDelivery]{Object: "list", Data: []apitype.WebhookDelivery{}, HasMore: l.HasMore}
	for i := range l.Items {
		attempts, err := s.svc.DeliveryAttempts(ctx, l.Items[i].ID)
		if err != nil {
			return 0, nil, err
		}
		out.Data = append(out.Data, toDelivery(&l.Items[i], attempts))
	}
	out.Meta.CurrentPage, out.Meta.PerPage, out.Meta.TotalPages = listMeta(p, l.TotalCount)
	out.Meta.TotalCount = l.TotalCount
	return http.StatusOK, out, nil
}

func (s *Server) redeliver(c *call) (int, any, error) {
	d, err := s.svc.Redeliver(c.r.Context(), c.scope, c.r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	attempts, err := s.svc.DeliveryAttempts(c.r.Context(), d.ID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toDelivery(d, attempts), nil
}

func (s *Server) listEvents(c *call) (int, any, error) {
	q := newListQuery(c)
	types := make([]string, len(gateway.EventTypes))
	for i, t := range gateway.EventTypes {
		types[i] = string(t)
	}
	f := gateway.EventFilter{
		Type:    gateway.EventType(q.oneOf(types, "type", "q[type_eq]")),
		Created: q.created(),
		Page:    q.page(),
	}
	f.DeliveryFailed = q.oneOf([]string{"false"}, "delivery_success") == "false"
	if err := q.done(); err != nil {
		return 0, nil, err
	}
	l, err := s.svc.ListEvents(c.r.Context(), c.scope, f)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toList(l, f.Page, toEvent), nil
}

func (s *Server) getEvent(c *call) (int, any, error) {
	ev, err := s.svc.GetEvent(c.r.Context(), c.scope, c.r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toEvent(ev), nil
}
