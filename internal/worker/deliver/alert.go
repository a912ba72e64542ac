package deliver

import (
	"cmp"
	"context"
	"sync"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// FailureAlerts tells a merchant when one of its webhook endpoints starts
// failing: once Threshold attempts in a row have failed, one alert, then
// none for that endpoint until it succeeds again (or Cooldown has passed,
// for an endpoint that stays down). It keeps its counts in memory: each node
// counts the attempts it made, so with several nodes an endpoint may be
// reported by more than one, and a restart counts afresh — an alert is a
// courtesy, the delivery log is the record.
type FailureAlerts struct {
	// Send tells the merchant of job's endpoint; failures is how many
	// attempts in a row failed, lastErr the last one's error.
	Send func(ctx context.Context, job gateway.DeliveryJob, failures int, lastErr string) error
	// Threshold is how many failed attempts in a row make an endpoint
	// failing (default 3: one timeout is not an outage); Cooldown is the
	// least time between two alerts of one endpoint (default 24h).
	Threshold int
	Cooldown  time.Duration

	mu    sync.Mutex
	state map[string]*endpointHealth // by endpoint id
}

type endpointHealth struct {
	failures  int
	alertedAt time.Time // zero: not alerted since the last success
}

// Observe counts one recorded attempt of job at now and, when the endpoint
// has just started failing, returns the alert to send (nil otherwise).
// The caller sends it outside the worker's attempt, so a slow mail server
// never holds a delivery slot.
func (a *FailureAlerts) Observe(job gateway.DeliveryJob, ok bool, lastErr string, now time.Time) func(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.state == nil {
		a.state = map[string]*endpointHealth{}
	}
	id := job.Endpoint.ID
	if ok {
		delete(a.state, id)
		return nil
	}
	h := a.state[id]
	if h == nil {
		h = &endpointHealth{}
		a.state[id] = h
	}
	h.failures++
	if h.failures < cmp.Or(a.Threshold, 3) {
		return nil
	}
	if !h.alertedAt.IsZero() && now.Sub(h.alertedAt) < cmp.Or(a.Cooldown, 24*time.Hour) {
		return nil
	}
	h.alertedAt = now
	failures := h.failures
	return func(ctx context.Context) error { return a.Send(ctx, job, failures, lastErr) }
}
