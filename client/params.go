package client

import (
	"context"
	"iter"
	"net/url"
	"strconv"
	"time"

	"github.com/satsrail/satsrail/apitype"
)

// String returns a pointer to v, for the optional fields of apitype params.
func String(v string) *string { return &v }

// Int64 returns a pointer to v.
func Int64(v int64) *int64 { return &v }

// Bool returns a pointer to v.
func Bool(v bool) *bool { return &v }

// PageParams chooses a page of a list: Page and PerPage (at most 100), or
// StartingAfter, the id of the last object already seen (lists are newest
// first). Zero fields mean the server's defaults.
type PageParams struct {
	Page          int
	PerPage       int
	StartingAfter string
}

func (p *PageParams) values() url.Values {
	v := url.Values{}
	if p == nil {
		return v
	}
	if p.Page > 0 {
		v.Set("page", strconv.Itoa(p.Page))
	}
	if p.PerPage > 0 {
		v.Set("per_page", strconv.Itoa(p.PerPage))
	}
	if p.StartingAfter != "" {
		v.Set("starting_after", p.StartingAfter)
	}
	return v
}

// CreatedRange filters a list by creation time; both bounds are exclusive
// and a zero one is open.
type CreatedRange struct {
	CreatedAfter  time.Time
	CreatedBefore time.Time
}

func (r CreatedRange) set(v url.Values) {
	if !r.CreatedAfter.IsZero() {
		v.Set("created_after", r.CreatedAfter.UTC().Format(time.RFC3339Nano))
	}
	if !r.CreatedBefore.IsZero() {
		v.Set("created_before", r.CreatedBefore.UTC().Format(time.RFC3339Nano))
	}
}

func setIf(v url.Values, name, value string) {
	if value != "" {
		v.Set(name, value)
	}
}

// CheckoutSessionListParams filters GET /checkout_sessions.
type CheckoutSessionListParams struct {
	PageParams
	CreatedRange
	// Status is pending, completed, expired or cancelled.
	Status string
}

func (p *CheckoutSessionListParams) values() url.Values {
	if p == nil {
		return url.Values{}
	}
	v := p.PageParams.values()
	p.CreatedRange.set(v)
	setIf(v, "status", p.Status)
	return v
}

// ProductListParams filters GET /products.
type ProductListParams struct {
	PageParams
	CreatedRange
	// Status is active or archived.
	Status string
	// Name matches products whose name contains it.
	Name        string
	SKU         string
	ExternalRef string
}

func (p *ProductListParams) values() url.Values {
	if p == nil {
		return url.Values{}
	}
	v := p.PageParams.values()
	p.CreatedRange.set(v)
	setIf(v, "status", p.Status)
	setIf(v, "name", p.Name)
	setIf(v, "sku", p.SKU)
	setIf(v, "external_ref", p.ExternalRef)
	return v
}

// TransactionListParams filters GET /transactions.
type TransactionListParams struct {
	PageParams
	CreatedRange
	// Status is settled.
	Status            string
	CheckoutSessionID string
	PaymentHash       string
}

func (p *TransactionListParams) values() url.Values {
	if p == nil {
		return url.Values{}
	}
	v := p.PageParams.values()
	p.CreatedRange.set(v)
	setIf(v, "status", p.Status)
	setIf(v, "checkout_session_id", p.CheckoutSessionID)
	setIf(v, "payment_hash", p.PaymentHash)
	return v
}

// EventListParams filters GET /events.
type EventListParams struct {
	PageParams
	CreatedRange
	// Type is an event type, e.g. "checkout.completed".
	Type string
	// DeliveryFailed keeps only events whose delivery has failed.
	DeliveryFailed bool
}

func (p *EventListParams) values() url.Values {
	if p == nil {
		return url.Values{}
	}
	v := p.PageParams.values()
	p.CreatedRange.set(v)
	setIf(v, "type", p.Type)
	if p.DeliveryFailed {
		v.Set("delivery_success", "false")
	}
	return v
}

// all iterates over every object from the page q asks for on, following
// has_more with starting_after set to the last object's id. It stops at the
// first error, which it yields.
func all[T any](ctx context.Context, q url.Values, fetch func(ctx context.Context, q url.Values) (*apitype.List[T], error), id func(*T) string) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for {
			page, err := fetch(ctx, q)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for i := range page.Data {
				if !yield(page.Data[i], nil) {
					return
				}
			}
			if !page.HasMore || len(page.Data) == 0 {
				return
			}
			next := url.Values{}
			for k, vs := range q {
				next[k] = vs
			}
			next.Del("page")
			next.Set("starting_after", id(&page.Data[len(page.Data)-1]))
			q = next
		}
	}
}
