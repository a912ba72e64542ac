package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Sealer encrypts secrets at rest with the master key.
type Sealer interface {
	Seal(plaintext []byte) ([]byte, error)
	Open(sealed []byte) ([]byte, error)
}

// URLGuard refuses webhook URLs a mode may not use (the SSRF guard); nil
// allows every http(s) URL.
type URLGuard func(ctx context.Context, mode Mode, rawURL string) error

// SecretOverlap is how long a rotated-out secret keeps signing.
const SecretOverlap = 24 * time.Hour

// WebhookParams creates (URL required) or patches a webhook endpoint.
type WebhookParams struct {
	URL         *string
	Description *string
	Events      []string
	HasEvents   bool
	Active      *bool
}

func (s *Service) applyWebhook(ctx context.Context, e *WebhookEndpoint, p WebhookParams, create bool) error {
	var fe fieldErrors
	if p.URL != nil || create {
		switch {
		case p.URL == nil || *p.URL == "":
			fe.add("url", "is required")
		case !validHTTPURL(*p.URL):
			fe.add("url", "must be an absolute http or https URL")
		case e.Mode.Live() && !strings.EqualFold(urlScheme(*p.URL), "https"):
			fe.add("url", "must use https in live mode")
		default:
			if s.cfg.GuardURL != nil {
				if err := s.cfg.GuardURL(ctx, e.Mode, *p.URL); err != nil {
					fe.add("url", "is not allowed: %v", err)
					break
				}
			}
			e.URL = *p.URL
		}
	}
	if p.Description != nil {
		if utf8.RuneCountInString(*p.Description) > 500 {
			fe.add("description", "must be at most 500 characters")
		} else {
			e.Description = *p.Description
		}
	}
	if p.HasEvents {
		e.Events = parseEventTypes(&fe, p.Events)
	}
	if p.Active != nil {
		e.Active = *p.Active
	}
	return fe.err()
}

func urlScheme(raw string) string {
	scheme, _, _ := strings.Cut(raw, ":")
	return scheme
}

func (s *Service) newSecret() (string, []byte, error) {
	secret := SecretPrefix + RandomString(32)
	sealed, err := s.cfg.Sealer.Seal([]byte(secret))
	return secret, sealed, err
}

// CreateWebhookEndpoint registers an endpoint and returns its signing
// secret, which is shown only now (and on rotation).
func (s *Service) CreateWebhookEndpoint(ctx context.Context, scope Scope, p WebhookParams) (*WebhookEndpoint, string, error) {
	now := s.Now()
	e := &WebhookEndpoint{ID: NewID(PrefixWebhookEndpoint), MerchantID: scope.MerchantID, Mode: scope.Mode, Active: true, CreatedAt: now, UpdatedAt: now}
	if err := s.applyWebhook(ctx, e, p, true); err != nil {
		return nil, "", err
	}
	secret, sealed, err := s.newSecret()
	if err != nil {
		return nil, "", err
	}
	e.Secret = sealed
	if err := s.store.CreateWebhookEndpoint(ctx, e); err != nil {
		return nil, "", fmt.Errorf("create webhook endpoint: %w", err)
	}
	return e, secret, nil
}

// GetWebhookEndpoint returns one endpoint.
func (s *Service) GetWebhookEndpoint(ctx context.Context, scope Scope, id string) (*WebhookEndpoint, error) {
	return s.store.GetWebhookEndpoint(ctx, scope, id)
}

// ListWebhookEndpoints lists the scope's endpoints.
func (s *Service) ListWebhookEndpoints(ctx context.Context, scope Scope, p Page) (List[WebhookEndpoint], error) {
	return s.store.ListWebhookEndpoints(ctx, scope, p)
}

// UpdateWebhookEndpoint patches url, description, events or active.
func (s *Service) UpdateWebhookEndpoint(ctx context.Context, scope Scope, id string, p WebhookParams) (*WebhookEndpoint, error) {
	// The URL guard may resolve DNS: do it before the store transaction.
	probe := &WebhookEndpoint{Mode: scope.Mode}
	if err := s.applyWebhook(ctx, probe, p, false); err != nil {
		return nil, err
	}
	return s.store.UpdateWebhookEndpoint(ctx, scope, id, func(e *WebhookEndpoint) error {
		if p.URL != nil {
			e.URL = probe.URL
		}
		if p.Description != nil {
			e.Description = probe.Description
		}
		if p.HasEvents {
			e.Events = probe.Events
		}
		if p.Active != nil {
			e.Active = *p.Active
		}
		e.UpdatedAt = s.Now()
		return nil
	})
}

// DeleteWebhookEndpoint removes an endpoint; its pending deliveries fail.
func (s *Service) DeleteWebhookEndpoint(ctx context.Context, scope Scope, id string) error {
	return s.store.DeleteWebhookEndpoint(ctx, scope, id, s.Now())
}

// RotateWebhookSecret gives the endpoint a new secret and returns it; the old
// one keeps signing beside it for SecretOverlap.
func (s *Service) RotateWebhookSecret(ctx context.Context, scope Scope, id string) (*WebhookEndpoint, string, error) {
	secret, sealed, err := s.newSecret()
	if err != nil {
		return nil, "", err
	}
	e, err := s.store.UpdateWebhookEndpoint(ctx, scope, id, func(e *WebhookEndpoint) error {
		now := s.Now()
		e.PrevSecret, e.PrevSecretExpiresAt = e.Secret, now.Add(SecretOverlap)
		e.Secret, e.UpdatedAt = sealed, now
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return e, secret, nil
}

// EndpointSecrets opens the secrets that sign for e at now: the current one
// first, then the previous one while it overlaps.
func (s *Service) EndpointSecrets(e *WebhookEndpoint, now time.Time) ([]string, error) {
	cur, err := s.cfg.Sealer.Open(e.Secret)
	if err != nil {
		return nil, fmt.Errorf("open secret of %s: %w", e.ID, err)
	}
	out := []string{string(cur)}
	if len(e.PrevSecret) > 0 && now.Before(e.PrevSecretExpiresAt) {
		prev, err := s.cfg.Sealer.Open(e.PrevSecret)
		if err != nil {
			return nil, fmt.Errorf("open previous secret of %s: %w", e.ID, err)
		}
		out = append(out, string(prev))
	}
	return out, nil
}

// SendTestEvent records a webhook.test event for one endpoint and queues
// its delivery.
func (s *Service) SendTestEvent(ctx context.Context, scope Scope, id string) (*Event, error) {
	e, err := s.store.GetWebhookEndpoint(ctx, scope, id)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	evID := NewID(PrefixEvent)
	body, err := json.Marshal(map[string]any{
		"id": evID, "event": string(EventWebhookTest), "livemode": scope.Mode.Live(),
		"webhook_id": e.ID, "timestamp": now.UTC().Format(time.RFC3339),
	})
	if err != nil {
		return nil, err
	}
	ev := Event{ID: evID, MerchantID: scope.MerchantID, Mode: scope.Mode, Type: EventWebhookTest, ObjectID: e.ID, Body: body, CreatedAt: now}
	if err := s.store.InsertEvent(ctx, ev, e.ID); err != nil {
		return nil, err
	}
	s.wakeDeliveries()
	return &ev, nil
}

// GetEvent returns one event.
func (s *Service) GetEvent(ctx context.Context, scope Scope, id string) (*Event, error) {
	return s.store.GetEvent(ctx, scope, id)
}

// ListEvents lists events, newest first.
func (s *Service) ListEvents(ctx context.Context, scope Scope, f EventFilter) (List[Event], error) {
	return s.store.ListEvents(ctx, scope, f)
}

// ListDeliveries lists an endpoint's deliveries with their attempts.
func (s *Service) ListDeliveries(ctx context.Context, scope Scope, endpointID string, p Page) (List[Delivery], error) {
	return s.store.ListDeliveries(ctx, scope, endpointID, p)
}

// EventDeliveries returns an event and its deliveries, oldest first (an
// event of another scope is ErrNotFound).
func (s *Service) EventDeliveries(ctx context.Context, scope Scope, eventID string) (*Event, []Delivery, error) {
	ev, err := s.store.GetEvent(ctx, scope, eventID)
	if err != nil {
		return nil, nil, err
	}
	ds, err := s.store.ListEventDeliveries(ctx, scope, eventID)
	if err != nil {
		return nil, nil, err
	}
	return ev, ds, nil
}

// DeliveryAttempts lists a delivery's attempts, oldest first.
func (s *Service) DeliveryAttempts(ctx context.Context, deliveryID string) ([]DeliveryAttempt, error) {
	return s.store.ListDeliveryAttempts(ctx, deliveryID)
}

// Redeliver queues one more attempt of a finished delivery, now.
func (s *Service) Redeliver(ctx context.Context, scope Scope, id string) (*Delivery, error) {
	d, err := s.store.Redeliver(ctx, scope, id, s.Now())
	if err == nil {
		s.wakeDeliveries()
	}
	return d, err
}

// DeliveriesReady receives a value when new deliveries may be due, so the
// delivery worker need not wait for its next poll.
func (s *Service) DeliveriesReady() <-chan struct{} { return s.deliveries }

func (s *Service) wakeDeliveries() {
	select {
	case s.deliveries <- struct{}{}:
	default:
	}
}

// SealStored seals data kept at rest that holds a secret (an idempotent
// reply carrying a webhook secret).
func (s *Service) SealStored(b []byte) ([]byte, error) { return s.cfg.Sealer.Seal(b) }

// OpenStored opens what SealStored sealed.
func (s *Service) OpenStored(b []byte) ([]byte, error) { return s.cfg.Sealer.Open(b) }
