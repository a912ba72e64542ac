package gateway

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"time"
)

// RevenueDay is one UTC day of a scope's settled payments in one currency,
// as the revenue rollup keeps it: the store adds each transaction to its
// day in the same database transaction that inserts it (the settlement), so
// a report never reads the transactions themselves.
type RevenueDay struct {
	Day      int64 // the transaction's created_at UTC day, counted from 1970-01-01
	Currency string
	Payments int64
	Sats     Sats
	Cents    Cents // fiat, in Currency's minor unit
}

// Keyset is a position in a newest-first list: the rows after it are those
// with (created_at, id) < (CreatedAt, ID). The zero Keyset is the start.
type Keyset struct {
	CreatedAt time.Time
	ID        string
}

// ReportStore is the persistence behind the dashboard's reports.
type ReportStore interface {
	// RevenueDays returns scope's rollup rows of days first..last (both
	// inclusive), by day then currency; days without payments are absent.
	RevenueDays(ctx context.Context, scope Scope, first, last int64) ([]RevenueDay, error)
	// ExportTransactions returns up to limit transactions of scope that
	// match f's status, session, payment hash and created filters (f.Page
	// is ignored), newest first, strictly after after, with no total: one
	// page of an export that may be any size.
	ExportTransactions(ctx context.Context, scope Scope, f TransactionFilter, after Keyset, limit int) ([]Transaction, error)
	// ListDeliveriesForEvents returns the webhook deliveries of the events
	// of scope named, ordered by creation then id; ids of other scopes'
	// events match nothing.
	ListDeliveriesForEvents(ctx context.Context, scope Scope, eventIDs []string) ([]Delivery, error)
	// LatestDeliveries returns the newest delivery (by creation, then id)
	// to each of the endpoints named that has one in scope, in the order
	// named: one index probe each, however long their logs.
	LatestDeliveries(ctx context.Context, scope Scope, endpointIDs []string) ([]Delivery, error)
}

// Granularity is the width of a revenue report's buckets.
type Granularity string

// The report granularities: UTC days, ISO weeks (Monday to Sunday, UTC) and
// calendar months (UTC).
const (
	GranularityDay   Granularity = "day"
	GranularityWeek  Granularity = "week"
	GranularityMonth Granularity = "month"
)

// MaxRevenueBuckets caps a revenue report's length.
const MaxRevenueBuckets = 400

// ParseGranularity reads a granularity; "" is a day.
func ParseGranularity(s string) (Granularity, error) {
	switch g := Granularity(s); g {
	case "":
		return GranularityDay, nil
	case GranularityDay, GranularityWeek, GranularityMonth:
		return g, nil
	}
	return "", &Error{Code: CodeValidation, Message: "The request has invalid fields.",
		Fields: []FieldError{{Field: "granularity", Message: "must be one of day, week, month"}}}
}

// defaultBuckets is how many buckets a report of g shows unless asked.
func (g Granularity) defaultBuckets() int {
	switch g {
	case GranularityWeek:
		return 12
	case GranularityMonth:
		return 12
	}
	return 30
}

// start returns the start (UTC midnight) of the bucket holding t.
func (g Granularity) start(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	switch g {
	case GranularityWeek:
		// Monday is 1, Sunday 0: go back to the Monday.
		return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	case GranularityMonth:
		return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	}
	return day
}

// add moves a bucket start n buckets on.
func (g Granularity) add(t time.Time, n int) time.Time {
	switch g {
	case GranularityWeek:
		return t.AddDate(0, 0, 7*n)
	case GranularityMonth:
		return t.AddDate(0, n, 0)
	}
	return t.AddDate(0, 0, n)
}

// RevenueQuery asks for a revenue series of a scope.
type RevenueQuery struct {
	Granularity Granularity
	// Buckets is how many buckets, the last one holding Until (default 30
	// days, 12 weeks or 12 months; at most MaxRevenueBuckets).
	Buckets int
	// Until is a time in the last bucket (default now).
	Until time.Time
}

// RevenueBucket is one bucket of a revenue series: the payments settled in
// [Start, End), UTC.
type RevenueBucket struct {
	Start, End time.Time
	Payments   int64
	Sats       Sats
	// Fiat is the fiat amount per currency (minor units); currencies with
	// no payment in the bucket are absent.
	Fiat map[string]Cents
}

// Revenue returns a scope's revenue per bucket, oldest first, every bucket
// present (empty ones too). It reads the rollup's days in the range — one
// row per day and currency — and sums them into weeks or months here.
func (s *Service) Revenue(ctx context.Context, scope Scope, q RevenueQuery) ([]RevenueBucket, error) {
	g, err := ParseGranularity(string(q.Granularity))
	if err != nil {
		return nil, err
	}
	n := cmp.Or(q.Buckets, g.defaultBuckets())
	if n < 1 || n > MaxRevenueBuckets {
		return nil, &Error{Code: CodeValidation, Message: "The request has invalid fields.",
			Fields: []FieldError{{Field: "buckets", Message: "must be between 1 and 400"}}}
	}
	until := q.Until
	if until.IsZero() {
		until = s.Now()
	}
	last := g.start(until)
	first := g.add(last, -(n - 1))
	out := make([]RevenueBucket, n)
	for i := range out {
		out[i].Start = g.add(first, i)
		out[i].End = g.add(first, i+1)
	}
	days, err := s.store.RevenueDays(ctx, scope, dayOf(first), dayOf(out[n-1].End)-1)
	if err != nil {
		return nil, err
	}
	i := 0
	for _, d := range days {
		at := time.UnixMicro(d.Day * DayMicros).UTC()
		for i < n-1 && !at.Before(out[i].End) {
			i++
		}
		b := &out[i]
		b.Payments += d.Payments
		b.Sats += d.Sats
		if b.Fiat == nil {
			b.Fiat = map[string]Cents{}
		}
		b.Fiat[d.Currency] += d.Cents
	}
	return out, nil
}

// dayOf is t's UTC day number.
func dayOf(t time.Time) int64 { return FloorDiv(t.UnixMicro(), DayMicros) }

// Overview is the numbers of a scope's dashboard front page.
type Overview struct {
	// Window is the period the counts cover: the last OverviewDays UTC
	// days, today included.
	Window TimeRange
	// Payments, Sats and Fiat are the settled payments in Window.
	Payments int64
	Sats     Sats
	Fiat     map[string]Cents
	// SessionsCreated counts the sessions created in Window, and
	// SessionsCompleted those of them that are completed.
	SessionsCreated, SessionsCompleted int
	// PendingNow counts the sessions pending now.
	PendingNow int
	// Recent is the newest payments.
	Recent []Transaction
	// Wallet is the scope's connected wallet, nil when none is (test mode
	// then uses the built-in test wallet).
	Wallet *WalletConnection
	// FailingEndpoints are the active webhook endpoints whose latest
	// delivery failed or is being retried after a failure.
	FailingEndpoints []FailingEndpoint
}

// FailingEndpoint is a webhook endpoint and its latest, failed, delivery.
type FailingEndpoint struct {
	Endpoint WebhookEndpoint
	Latest   Delivery
}

// Conversion is SessionsCompleted ÷ SessionsCreated, and false when no
// session was created.
func (o *Overview) Conversion() (float64, bool) {
	if o.SessionsCreated == 0 {
		return 0, false
	}
	return float64(o.SessionsCompleted) / float64(o.SessionsCreated), true
}

// OverviewDays is the window of the overview's counts.
const OverviewDays = 30

// recentPayments is how many payments the overview lists.
const recentPayments = 5

// Overview gathers a scope's front-page numbers. Each comes from a count the
// stores keep (the revenue rollup, the lists' per-day counts) or a page of
// an index, so its cost does not grow with the history.
func (s *Service) Overview(ctx context.Context, scope Scope) (*Overview, error) {
	now := s.Now()
	from := GranularityDay.add(GranularityDay.start(now), -(OverviewDays - 1))
	o := &Overview{Window: TimeRange{From: from, To: now}, Fiat: map[string]Cents{}}

	days, err := s.store.RevenueDays(ctx, scope, dayOf(from), dayOf(now))
	if err != nil {
		return nil, err
	}
	for _, d := range days {
		o.Payments += d.Payments
		o.Sats += d.Sats
		o.Fiat[d.Currency] += d.Cents
	}
	count := func(status SessionStatus, r TimeRange) (int, error) {
		l, err := s.store.ListCheckoutSessions(ctx, scope, SessionFilter{Status: status, Created: r, Page: Page{PerPage: 1}})
		return l.TotalCount, err
	}
	// From midnight and open-ended, so the totals are sums of whole days.
	since := TimeRange{From: from}
	if o.SessionsCreated, err = count("", since); err != nil {
		return nil, err
	}
	if o.SessionsCompleted, err = count(StatusCompleted, since); err != nil {
		return nil, err
	}
	if o.PendingNow, err = count(StatusPending, TimeRange{}); err != nil {
		return nil, err
	}
	recent, err := s.store.ListTransactions(ctx, scope, TransactionFilter{Page: Page{PerPage: recentPayments}})
	if err != nil {
		return nil, err
	}
	o.Recent = recent.Items

	switch w, err := s.store.GetWalletConnection(ctx, scope); {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return nil, err
	default:
		o.Wallet = w
	}
	if o.FailingEndpoints, err = s.failingEndpoints(ctx, scope); err != nil {
		return nil, err
	}
	return o, nil
}

// maxReportedEndpoints bounds the endpoints the overview looks at.
const maxReportedEndpoints = 100

// failingEndpoints returns the scope's active endpoints whose newest
// delivery failed, or failed and waits for its retry.
func (s *Service) failingEndpoints(ctx context.Context, scope Scope) ([]FailingEndpoint, error) {
	eps, err := s.store.ListWebhookEndpoints(ctx, scope, Page{PerPage: maxReportedEndpoints})
	if err != nil {
		return nil, err
	}
	var ids []string
	active := map[string]WebhookEndpoint{}
	for _, ep := range eps.Items {
		if ep.Active {
			ids = append(ids, ep.ID)
			active[ep.ID] = ep
		}
	}
	latest, err := s.store.LatestDeliveries(ctx, scope, ids)
	if err != nil {
		return nil, err
	}
	var out []FailingEndpoint
	for _, d := range latest {
		if deliveryFailing(d) {
			out = append(out, FailingEndpoint{Endpoint: active[d.EndpointID], Latest: d})
		}
	}
	return out, nil
}

// deliveryFailing reports a delivery that failed for good, or whose last
// attempt failed and which waits to be retried.
func deliveryFailing(d Delivery) bool {
	switch d.Status {
	case DeliveryFailed:
		return true
	case DeliveryPending:
		return d.Attempts > 0 && !(d.LastError == "" && d.LastStatusCode >= 200 && d.LastStatusCode < 300)
	}
	return false
}

// SearchCheckoutSessions finds a scope's sessions by what a merchant has at
// hand: a session id (cs_...) finds that session whatever f says, an email
// address (it has an @) the customer's sessions, anything else the sessions
// whose metadata order_id is exactly q; f's status, dates and page apply
// to those two. Each search is one indexed lookup in both stores.
func (s *Service) SearchCheckoutSessions(ctx context.Context, scope Scope, q string, f SessionFilter) (List[CheckoutSession], error) {
	q = strings.TrimSpace(q)
	switch {
	case q == "":
		return s.store.ListCheckoutSessions(ctx, scope, f)
	case strings.HasPrefix(q, PrefixSession):
		sess, err := s.store.GetCheckoutSession(ctx, scope, q)
		if errors.Is(err, ErrNotFound) {
			return List[CheckoutSession]{}, nil
		}
		if err != nil {
			return List[CheckoutSession]{}, err
		}
		return List[CheckoutSession]{Items: []CheckoutSession{*sess}, TotalCount: 1}, nil
	case strings.Contains(q, "@"):
		f.CustomerEmail = q
	default:
		f.OrderID = q
	}
	return s.store.ListCheckoutSessions(ctx, scope, f)
}

// TimelineKind names what a timeline entry tells.
type TimelineKind string

// The entries of a session's timeline.
const (
	TimelineCreated   TimelineKind = "created"
	TimelineInvoice   TimelineKind = "invoice"
	TimelinePaid      TimelineKind = "paid"
	TimelineExpired   TimelineKind = "expired"
	TimelineCancelled TimelineKind = "cancelled"
	TimelineEvent     TimelineKind = "event"
	TimelineDelivery  TimelineKind = "delivery"
)

// TimelineEntry is one thing that happened to a session.
type TimelineEntry struct {
	At   time.Time
	Kind TimelineKind
	// AtUnknown marks an entry whose time is not known (an invoice the
	// gateway cannot decode); At is then the session's creation.
	AtUnknown bool
	// Event is set on event and delivery entries; Delivery and its
	// Attempts (oldest first) on delivery entries.
	Event    *Event
	Delivery *Delivery
	Attempts []DeliveryAttempt
}

// SessionDetail is a session with its transaction and timeline.
type SessionDetail struct {
	Session     *CheckoutSession
	Transaction *Transaction // nil unless paid
	Timeline    []TimelineEntry
}

// SessionTimeline returns session id of scope with what happened to it, in
// order: created, invoice made (the time the invoice itself carries), paid,
// expired or cancelled, each event and each of its webhook deliveries with
// every attempt's outcome.
func (s *Service) SessionTimeline(ctx context.Context, scope Scope, id string) (*SessionDetail, error) {
	sess, err := s.GetCheckoutSession(ctx, scope, id)
	if err != nil {
		return nil, err
	}
	d := &SessionDetail{Session: sess}
	tl := []TimelineEntry{{At: sess.CreatedAt, Kind: TimelineCreated}}
	if sess.PaymentRequest != "" {
		e := TimelineEntry{At: sess.CreatedAt, Kind: TimelineInvoice, AtUnknown: true}
		if s.decode != nil {
			if inv, err := s.decode(sess.PaymentRequest); err == nil {
				e.At, e.AtUnknown = inv.CreatedAt, false
			}
		}
		tl = append(tl, e)
	}
	for _, st := range []struct {
		at   time.Time
		kind TimelineKind
	}{{sess.CompletedAt, TimelinePaid}, {sess.ExpiredAt, TimelineExpired}, {sess.CancelledAt, TimelineCancelled}} {
		if !st.at.IsZero() {
			tl = append(tl, TimelineEntry{At: st.at, Kind: st.kind})
		}
	}
	if sess.TransactionID != "" {
		if d.Transaction, err = s.store.GetTransaction(ctx, scope, sess.TransactionID); err != nil {
			return nil, err
		}
	}
	events, err := s.store.ListEventsForObject(ctx, scope, sess.ID)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(events))
	byID := map[string]*Event{}
	for i := range events {
		ids[i] = events[i].ID
		byID[events[i].ID] = &events[i]
	}
	deliveries, err := s.store.ListDeliveriesForEvents(ctx, scope, ids)
	if err != nil {
		return nil, err
	}
	for i := range events {
		tl = append(tl, TimelineEntry{At: events[i].CreatedAt, Kind: TimelineEvent, Event: &events[i]})
	}
	for i := range deliveries {
		dl := &deliveries[i]
		attempts, err := s.store.ListDeliveryAttempts(ctx, dl.ID)
		if err != nil {
			return nil, err
		}
		tl = append(tl, TimelineEntry{At: dl.CreatedAt, Kind: TimelineDelivery, Event: byID[dl.EventID], Delivery: dl, Attempts: attempts})
	}
	// Stable: what happened at the same instant keeps the order above.
	slices.SortStableFunc(tl, func(a, b TimelineEntry) int { return a.At.Compare(b.At) })
	d.Timeline = tl
	return d, nil
}

// ExportPageSize is how many transactions each page of an export reads: one
// short query each, so an export of any size holds no long read open.
const ExportPageSize = 1000

// ExportTransactions calls fn with every transaction of scope matching f
// (f.Page is ignored), newest first, reading them a page at a time by their
// (created_at, id) keyset, so memory stays constant whatever the count.
// Transactions are immutable and newer ones sort before the cursor, so the
// export is exactly the rows that existed when it began (and matched).
// fn's error stops the export and is returned.
func (s *Service) ExportTransactions(ctx context.Context, scope Scope, f TransactionFilter, fn func(*Transaction) error) error {
	var after Keyset
	for {
		page, err := s.store.ExportTransactions(ctx, scope, f, after, ExportPageSize)
		if err != nil {
			return err
		}
		for i := range page {
			if err := fn(&page[i]); err != nil {
				return err
			}
		}
		if len(page) < ExportPageSize {
			return nil
		}
		last := page[len(page)-1]
		after = Keyset{CreatedAt: last.CreatedAt, ID: last.ID}
	}
}
