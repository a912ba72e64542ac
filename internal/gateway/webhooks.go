package gateway

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Object id prefixes of the webhook objects.
const (
	PrefixWebhookEndpoint = "we_"
	PrefixDelivery        = "whd_"
	PrefixAttempt         = "wha_"
	SecretPrefix          = "whsec_"
)

// EventTypes lists every event type a webhook endpoint can subscribe to.
var EventTypes = []EventType{EventCheckoutCompleted, EventCheckoutExpired, EventCheckoutCancelled, EventWebhookTest}

// WebhookEndpoint is where a merchant's events are POSTed. Its signing
// secrets are stored sealed with the master key.
type WebhookEndpoint struct {
	ID          string
	MerchantID  string
	Mode        Mode
	URL         string
	Description string
	Events      []EventType // empty means every event
	Active      bool
	Secret      []byte // sealed current secret
	// PrevSecret still signs (beside Secret) until PrevSecretExpiresAt,
	// so receivers can roll over without missing a delivery.
	PrevSecret          []byte
	PrevSecretExpiresAt time.Time
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// Subscribes reports whether the endpoint wants events of type t.
func (e *WebhookEndpoint) Subscribes(t EventType) bool {
	if len(e.Events) == 0 {
		return true
	}
	for _, x := range e.Events {
		if x == t {
			return true
		}
	}
	return false
}

// DeliveryStatus is where one event's delivery to one endpoint is.
type DeliveryStatus string

// Delivery statuses.
const (
	DeliveryPending   DeliveryStatus = "pending"
	DeliverySucceeded DeliveryStatus = "succeeded"
	DeliveryFailed    DeliveryStatus = "failed"
)

// Delivery is one event on its way to one endpoint: created in the same
// database transaction as the event, so none is ever lost.
type Delivery struct {
	ID            string
	EventID       string
	EndpointID    string
	MerchantID    string
	Mode          Mode
	Status        DeliveryStatus
	Attempts      int
	NextAttemptAt time.Time
	// Manual marks a redelivery requested by hand: one attempt, no retries.
	Manual bool
	// LeaseToken and LeaseUntil mark the delivery claimed by one worker;
	// only the holder of the token may record the attempt.
	LeaseToken     string
	LeaseUntil     time.Time
	LastAttemptAt  time.Time
	LastStatusCode int
	LastError      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// DeliveryAttempt is the log of one POST.
type DeliveryAttempt struct {
	ID           string
	DeliveryID   string
	Attempt      int
	At           time.Time
	StatusCode   int // 0 when no response came
	Latency      time.Duration
	Error        string
	ResponseBody string // first 4 KiB
}

// MaxLoggedResponse is how much of a response body an attempt keeps.
const MaxLoggedResponse = 4 << 10

// DeliveryJob is a claimed delivery with what the worker needs to send it.
type DeliveryJob struct {
	Delivery Delivery
	Event    Event
	Endpoint WebhookEndpoint
}

// DefaultRetrySchedule is the seed's: 1 min → 5 min → 30 min → 2 h.
var DefaultRetrySchedule = []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour}

// AttemptOutcome is what happened to one POST.
type AttemptOutcome struct {
	StatusCode int // 0 when there was no HTTP response
	Err        error
}

// Succeeded reports a 2xx answer.
func (o AttemptOutcome) Succeeded() bool {
	return o.Err == nil && o.StatusCode >= 200 && o.StatusCode < 300
}

// NextDelivery is the delivery rule (SPEC §8): a 2xx succeeds; a 410 stops
// retries; anything else — another status, a timeout, a connection error —
// is retried after the next interval of schedule, and when the schedule is
// used up the delivery has failed. A manual redelivery gets one attempt.
func NextDelivery(d Delivery, o AttemptOutcome, schedule []time.Duration, now time.Time) Delivery {
	d.Attempts++
	d.LastAttemptAt, d.LastStatusCode, d.UpdatedAt = now, o.StatusCode, now
	d.LastError = ""
	if o.Err != nil {
		d.LastError = o.Err.Error()
	}
	d.LeaseToken, d.LeaseUntil = "", time.Time{}
	switch {
	case o.Succeeded():
		d.Status, d.NextAttemptAt = DeliverySucceeded, time.Time{}
	case o.StatusCode == 410:
		d.Status, d.NextAttemptAt = DeliveryFailed, time.Time{}
		if d.LastError == "" {
			d.LastError = "endpoint answered 410 Gone: retries stopped"
		}
	case d.Manual || d.Attempts > len(schedule):
		d.Status, d.NextAttemptAt = DeliveryFailed, time.Time{}
	default:
		d.Status, d.NextAttemptAt = DeliveryPending, now.Add(schedule[d.Attempts-1])
	}
	return d
}

// EventFilter filters event lists.
type EventFilter struct {
	Type    EventType
	Created TimeRange
	// DeliveryFailed keeps events with a delivery that has failed at least
	// once and not succeeded since (delivery_success=false).
	DeliveryFailed bool
	Page
}

// WebhookStore is the persistence of webhook endpoints, events and deliveries.
type WebhookStore interface {
	CreateWebhookEndpoint(ctx context.Context, e *WebhookEndpoint) error
	GetWebhookEndpoint(ctx context.Context, scope Scope, id string) (*WebhookEndpoint, error)
	ListWebhookEndpoints(ctx context.Context, scope Scope, p Page) (List[WebhookEndpoint], error)
	UpdateWebhookEndpoint(ctx context.Context, scope Scope, id string, fn func(*WebhookEndpoint) error) (*WebhookEndpoint, error)
	// DeleteWebhookEndpoint deletes the endpoint and fails its pending deliveries.
	DeleteWebhookEndpoint(ctx context.Context, scope Scope, id string, now time.Time) error

	// InsertEvent stores an event outside a session change (webhook.test)
	// with its deliveries; onlyEndpoint, when set, limits them to that one.
	InsertEvent(ctx context.Context, ev Event, onlyEndpoint string) error
	GetEvent(ctx context.Context, scope Scope, id string) (*Event, error)
	ListEvents(ctx context.Context, scope Scope, f EventFilter) (List[Event], error)

	// ClaimDueDeliveries leases up to limit pending deliveries due at now
	// whose lease is free or lapsed, to the caller until leaseUntil, each
	// with a fresh LeaseToken, and returns them with their event and
	// endpoint. No endpoint ever has more than perEndpoint live leases
	// (counting other callers'; ≤ 0 means no cap), and the cap is applied
	// per endpoint before the limit, so a capped endpoint's backlog never
	// delays another endpoint's deliveries.
	ClaimDueDeliveries(ctx context.Context, now, leaseUntil time.Time, limit, perEndpoint int) ([]DeliveryJob, error)
	// RecordDeliveryAttempt stores the attempt and the delivery's next state
	// if the caller still holds the lease (token), else ErrConflict.
	RecordDeliveryAttempt(ctx context.Context, leaseToken string, a DeliveryAttempt, next Delivery) error
	GetDelivery(ctx context.Context, scope Scope, id string) (*Delivery, error)
	ListDeliveries(ctx context.Context, scope Scope, endpointID string, p Page) (List[Delivery], error)
	ListDeliveryAttempts(ctx context.Context, deliveryID string) ([]DeliveryAttempt, error)
	// PruneDeliveryAttempts deletes at most limit attempts made before t,
	// oldest first, and returns how many. Deliveries keep their summary
	// (attempts, last status, last error).
	PruneDeliveryAttempts(ctx context.Context, t time.Time, limit int) (int, error)
	// ListEventDeliveries lists the deliveries of event eventID in scope,
	// one per endpoint it went to, oldest first; none for an event outside
	// scope.
	ListEventDeliveries(ctx context.Context, scope Scope, eventID string) ([]Delivery, error)
	// Redeliver makes a finished delivery pending again for one manual
	// attempt at now.
	Redeliver(ctx context.Context, scope Scope, id string, now time.Time) (*Delivery, error)
}

// parseEventTypes validates an endpoint's event filter: known types, each
// once, or "*" alone for every event (stored as no filter). The first
// broken item is reported (one detail per field).
func parseEventTypes(fe *fieldErrors, in []string) []EventType {
	if len(in) == 1 && in[0] == "*" {
		return nil
	}
	var out []EventType
	for i, s := range in {
		known := false
		for _, t := range EventTypes {
			known = known || string(t) == s
		}
		before := len(*fe)
		switch {
		case s == "*":
			fe.add("events", "item %d: \"*\" (every event) must be the only item", i)
		case !known:
			names := make([]string, len(EventTypes))
			for j, t := range EventTypes {
				names[j] = string(t)
			}
			fe.add("events", "item %d: %q is not one of %s", i, s, strings.Join(names, ", "))
		case slices.Contains(out, EventType(s)):
			fe.add("events", "item %d: %q is listed twice", i, s)
		default:
			out = append(out, EventType(s))
		}
		if len(*fe) > before {
			return nil
		}
	}
	return out
}
