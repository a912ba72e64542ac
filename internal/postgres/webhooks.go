package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/satsrail/satsrail/internal/gateway"
)

const endpointColumns = "id, merchant_id, mode, url, description, events, active, secret, prev_secret, " +
	"prev_secret_expires_at, created_at, updated_at"

func endpointArgs(e *gateway.WebhookEndpoint) []any {
	return []any{e.ID, e.MerchantID, e.Mode, e.URL, e.Description, eventTypesArg(e.Events), e.Active, e.Secret, nullBytes(e.PrevSecret),
		timeCol(e.PrevSecretExpiresAt), timeCol(e.CreatedAt), timeCol(e.UpdatedAt)}
}

func endpointDests(e *gateway.WebhookEndpoint) []any {
	return []any{&e.ID, &e.MerchantID, &e.Mode, &e.URL, &e.Description, (*eventTypesCol)(&e.Events), &e.Active, &e.Secret, &e.PrevSecret,
		(*timeCol)(&e.PrevSecretExpiresAt), (*timeCol)(&e.CreatedAt), (*timeCol)(&e.UpdatedAt)}
}

const deliveryColumns = "id, event_id, endpoint_id, merchant_id, mode, status, attempts, next_attempt_at, manual, " +
	"lease_token, lease_until, last_attempt_at, last_status_code, last_error, created_at, updated_at"

func deliveryArgs(d *gateway.Delivery) []any {
	return []any{d.ID, d.EventID, d.EndpointID, d.MerchantID, d.Mode, d.Status, d.Attempts, timeCol(d.NextAttemptAt), d.Manual,
		nullText(d.LeaseToken), timeCol(d.LeaseUntil), timeCol(d.LastAttemptAt), d.LastStatusCode, d.LastError,
		timeCol(d.CreatedAt), timeCol(d.UpdatedAt)}
}

func deliveryDests(d *gateway.Delivery) []any {
	return []any{&d.ID, &d.EventID, &d.EndpointID, &d.MerchantID, &d.Mode, &d.Status, &d.Attempts, (*timeCol)(&d.NextAttemptAt), &d.Manual,
		(*nullText)(&d.LeaseToken), (*timeCol)(&d.LeaseUntil), (*timeCol)(&d.LastAttemptAt), &d.LastStatusCode, &d.LastError,
		(*timeCol)(&d.CreatedAt), (*timeCol)(&d.UpdatedAt)}
}

const attemptColumns = "id, delivery_id, attempt, at, status_code, latency_us, error, response_body"

func attemptArgs(a *gateway.DeliveryAttempt) []any {
	return []any{a.ID, a.DeliveryID, a.Attempt, timeCol(a.At), a.StatusCode, durationCol(a.Latency), a.Error, []byte(a.ResponseBody)}
}

func attemptDests(a *gateway.DeliveryAttempt) []any {
	return []any{&a.ID, &a.DeliveryID, &a.Attempt, (*timeCol)(&a.At), &a.StatusCode, (*durationCol)(&a.Latency), &a.Error, (*bytesText)(&a.ResponseBody)}
}

var (
	scanEndpoint   = scanner(endpointDests)
	insertEndpoint = insertSQL("webhook_endpoints", endpointColumns)
	updateEndpoint = updateSQL("webhook_endpoints", endpointColumns)
	endpointList   = listQuery[gateway.WebhookEndpoint]{table: "webhook_endpoints", columns: endpointColumns, scan: scanEndpoint}

	scanDelivery   = scanner(deliveryDests)
	insertDelivery = insertSQL("webhook_deliveries", deliveryColumns)
	deliveryList   = listQuery[gateway.Delivery]{table: "webhook_deliveries", columns: deliveryColumns, scan: scanDelivery}

	scanAttempt   = scanner(attemptDests)
	insertAttempt = insertSQL("webhook_attempts", attemptColumns)

	// dueDeliveries is the delivery worker's queue with each delivery's
	// event and, if it still exists in the delivery's scope, endpoint
	// (whose id is NULL otherwise). status = 'pending' is a literal so the
	// planner can use the partial index webhook_deliveries_due. The
	// deliveries are locked, and those another claimer holds locked are
	// skipped, so concurrent claims take disjoint sets without waiting; $3
	// excludes those this claim already took.
	dueDeliveries = "SELECT " + jobColumns + `
		FROM webhook_deliveries d
		JOIN events e ON e.id = d.event_id
		LEFT JOIN webhook_endpoints w ON w.id = d.endpoint_id AND w.merchant_id = d.merchant_id AND w.mode = d.mode
		WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND (d.lease_until IS NULL OR d.lease_until < $1)
			AND d.id <> ALL ($3)
		ORDER BY d.next_attempt_at, d.id LIMIT $2
		FOR UPDATE OF d SKIP LOCKED`

	// dueEndpoints lists the endpoints with due deliveries (but those in $2)
	// whose claim lock this transaction gets: a transaction-level advisory
	// lock on (claimLock, hashtext(endpoint id)), tried, never waited for.
	// The lock function is volatile, so the planner evaluates it only on
	// the distinct endpoints, never inside the subquery.
	dueEndpoints = `SELECT endpoint_id FROM (
			SELECT DISTINCT endpoint_id FROM webhook_deliveries
			WHERE status = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until < $1)
				AND id <> ALL ($2)
		) due WHERE pg_try_advisory_xact_lock($3, hashtext(endpoint_id))`

	// dueDeliveriesCapped is dueDeliveries for the endpoints in $4 only,
	// taking from each at most as many as $5 less the leases it has out
	// (lease_until ≥ now, this transaction's included), soonest first.
	// The window and the lease counts are MATERIALIZED so each is computed
	// once: before a fresh table has statistics the planner would otherwise
	// re-run them per due row (seconds for a backlog of a few thousand).
	dueDeliveriesCapped = `WITH due AS MATERIALIZED (
		      SELECT id, endpoint_id, ROW_NUMBER() OVER (PARTITION BY endpoint_id ORDER BY next_attempt_at, id) AS rn
		      FROM webhook_deliveries
		      WHERE status = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until < $1)
		        AND id <> ALL ($3) AND endpoint_id = ANY ($4)),
		busy AS MATERIALIZED (
		      SELECT endpoint_id, COUNT(*) AS n FROM webhook_deliveries
		      WHERE status = 'pending' AND lease_until >= $1 AND endpoint_id = ANY ($4)
		      GROUP BY endpoint_id)
		SELECT ` + jobColumns + `
		FROM due
		JOIN webhook_deliveries d ON d.id = due.id
		JOIN events e ON e.id = d.event_id
		LEFT JOIN webhook_endpoints w ON w.id = d.endpoint_id AND w.merchant_id = d.merchant_id AND w.mode = d.mode
		LEFT JOIN busy ON busy.endpoint_id = due.endpoint_id
		WHERE due.rn + COALESCE(busy.n, 0) <= $5
			AND d.status = 'pending' AND d.next_attempt_at <= $1 AND (d.lease_until IS NULL OR d.lease_until < $1)
		ORDER BY d.next_attempt_at, d.id LIMIT $2
		FOR UPDATE OF d SKIP LOCKED`

	jobColumns = qualify("d", deliveryColumns) + ", " + qualify("e", eventColumns) + ", " + qualify("w", endpointColumns)
)

// claimLock is the first key of the per-endpoint advisory locks of capped
// claims (the second is the hash of the endpoint id); the two-key space is
// apart from the one-key space of migrationLock. An arbitrary constant:
// "wh" and "cl" in ASCII.
const claimLock int32 = 0x7768636c

// Why ClaimDueDeliveries fails a delivery instead of handing it out.
const (
	errEndpointDeleted  = "endpoint deleted"
	errEndpointDisabled = "endpoint disabled"
)

// leaseTokenLength is the length of a lease token: 32 base62 characters.
const leaseTokenLength = 32

// CreateWebhookEndpoint stores a new endpoint; a known id is a conflict.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, e *gateway.WebhookEndpoint) error {
	_, err := s.pool.Exec(ctx, insertEndpoint, endpointArgs(e)...)
	return mapErr(err, "create webhook endpoint %s", e.ID)
}

// GetWebhookEndpoint returns endpoint id in scope.
func (s *Store) GetWebhookEndpoint(ctx context.Context, scope gateway.Scope, id string) (*gateway.WebhookEndpoint, error) {
	e, err := getEndpoint(ctx, s.pool, scope, id)
	if err != nil {
		return nil, mapErr(err, "get webhook endpoint %s", id)
	}
	return &e, nil
}

func getEndpoint(ctx context.Context, q querier, scope gateway.Scope, id string) (gateway.WebhookEndpoint, error) {
	return scanEndpoint(q.QueryRow(ctx, "SELECT "+endpointColumns+
		" FROM webhook_endpoints WHERE id = $1 AND merchant_id = $2 AND mode = $3", id, scope.MerchantID, scope.Mode))
}

// ListWebhookEndpoints returns one page of the endpoints in scope.
func (s *Store) ListWebhookEndpoints(ctx context.Context, scope gateway.Scope, p gateway.Page) (gateway.List[gateway.WebhookEndpoint], error) {
	l, err := endpointList.run(ctx, s, scope, scoped(scope), p)
	return l, mapErr(err, "list webhook endpoints")
}

// UpdateWebhookEndpoint applies fn to the endpoint, locked, and saves it, in
// one transaction. Deliveries already made keep going to it (or not) by its
// state when they are claimed; its filter only decides which later events it
// gets.
func (s *Store) UpdateWebhookEndpoint(ctx context.Context, scope gateway.Scope, id string,
	fn func(*gateway.WebhookEndpoint) error) (*gateway.WebhookEndpoint, error) {
	var e gateway.WebhookEndpoint
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		if e, err = scanEndpoint(tx.QueryRow(ctx, "SELECT "+endpointColumns+
			" FROM webhook_endpoints WHERE id = $1 AND merchant_id = $2 AND mode = $3 FOR UPDATE", id, scope.MerchantID, scope.Mode)); err != nil {
			return err
		}
		before := e
		if err := fn(&e); err != nil {
			return passThrough{err}
		}
		if e.ID != before.ID || e.MerchantID != before.MerchantID || e.Mode != before.Mode {
			return fmt.Errorf("the update changed the endpoint's id, merchant or mode")
		}
		_, err = tx.Exec(ctx, updateEndpoint, append(endpointArgs(&e), id)...)
		return err
	})
	if err != nil {
		return nil, unwrapCallback(err, "update webhook endpoint %s", id)
	}
	return &e, nil
}

// DeleteWebhookEndpoint deletes the endpoint and, at now, fails its pending
// deliveries with the error "endpoint deleted", taking back any lease on them:
// a worker sending one meanwhile cannot record its attempt. The deliveries
// and their attempts stay, for GetDelivery and the event's history. A
// delivery being claimed or recorded at the same moment is locked by that
// transaction, which this one waits for and then overrides.
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, scope gateway.Scope, id string, now time.Time) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		err := oneRow(tx.Exec(ctx, "DELETE FROM webhook_endpoints WHERE id = $1 AND merchant_id = $2 AND mode = $3",
			id, scope.MerchantID, scope.Mode))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL,
			lease_token = NULL, lease_until = NULL, last_error = $1, updated_at = $2
			WHERE endpoint_id = $3 AND status = 'pending'`, errEndpointDeleted, timeCol(now), id)
		return err
	})
	return mapErr(err, "delete webhook endpoint %s", id)
}

// ClaimDueDeliveries leases to the caller, until leaseUntil, up to limit
// pending deliveries due at now (next_attempt_at ≤ now) whose lease is free
// or lapsed (lease_until < now), soonest due first, each with a fresh random
// lease token, and returns them with their event and endpoint. A limit ≤ 0
// means no limit.
//
// With perEndpoint > 0, no endpoint has more than perEndpoint live leases
// (lease_until ≥ now) at once, counting those out to every other claimer,
// and the cap is applied per endpoint before the limit, so one endpoint's
// backlog never pushes another's deliveries back.
//
// A due delivery whose endpoint has been deleted or disabled is not handed
// out but failed at now, with the error "endpoint deleted" or "endpoint
// disabled": the event happened while the merchant did not want it, so it is
// not sent late when the endpoint is enabled again, but Redeliver can still
// send it by hand. Such deliveries do not count towards limit.
//
// The pick locks its rows FOR UPDATE SKIP LOCKED, so claims running at once
// on any number of nodes skip each other's rows instead of waiting for them
// and never return the same delivery; one that re-reads a row another claim
// has just leased finds its lease current and leaves it. A capped claim
// also holds, to its commit, an advisory lock on each endpoint it takes
// from, and skips the endpoints whose lock another claim holds: the leases
// it counts are then all the endpoint has, so two nodes cannot each fill
// the same endpoint's cap.
func (s *Store) ClaimDueDeliveries(ctx context.Context, now, leaseUntil time.Time, limit, perEndpoint int) ([]gateway.DeliveryJob, error) {
	start := time.Now()
	defer s.analyzeIfSlow(ctx, start)
	var jobs []gateway.DeliveryJob
	err := s.tx(ctx, func(tx pgx.Tx) error {
		jobs = nil
		taken := []string{}
		// A claim lost to a crash of the server leaves its deliveries due,
		// to be claimed (or failed) again: its commit need not wait for the
		// WAL flush. The attempt's outcome is durable.
		if _, err := tx.Exec(ctx, "SET LOCAL synchronous_commit TO OFF"); err != nil {
			return err
		}
		// Each round either leases deliveries or fails them, and taken
		// keeps them out of the next round, so the loop ends.
		for limit <= 0 || len(jobs) < limit {
			want := 0
			if limit > 0 {
				want = limit - len(jobs)
			}
			var rows pgx.Rows
			var err error
			if perEndpoint <= 0 {
				rows, err = tx.Query(ctx, dueDeliveries, timeCol(now), limitArg(want), taken)
			} else {
				rows, err = tx.Query(ctx, dueEndpoints, timeCol(now), taken, claimLock)
				var endpoints []string
				if endpoints, err = scanAll(rows, err, scanString); err != nil {
					return err
				}
				rows, err = tx.Query(ctx, dueDeliveriesCapped, timeCol(now), limitArg(want), taken, endpoints, perEndpoint)
			}
			due, err := scanAll(rows, err, scanJob)
			if err != nil {
				return err
			}
			if len(due) == 0 {
				return nil
			}
			for _, j := range due {
				d := &j.Delivery
				taken = append(taken, d.ID)
				switch {
				case j.Endpoint.ID == "":
					err = failDelivery(ctx, tx, d.ID, errEndpointDeleted, now)
				case !j.Endpoint.Active:
					err = failDelivery(ctx, tx, d.ID, errEndpointDisabled, now)
				default:
					d.LeaseToken, d.LeaseUntil = gateway.RandomString(leaseTokenLength), storedTime(leaseUntil)
					_, err = tx.Exec(ctx, "UPDATE webhook_deliveries SET lease_token = $1, lease_until = $2 WHERE id = $3",
						d.LeaseToken, timeCol(d.LeaseUntil), d.ID)
					jobs = append(jobs, j)
				}
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, mapErr(err, "claim due deliveries")
	}
	return jobs, nil
}

// scanJob scans a row of dueDeliveries. The endpoint's columns are all NULL
// when it is gone, which leaves its id "".
func scanJob(r rowScanner) (gateway.DeliveryJob, error) {
	var j gateway.DeliveryJob
	var e endpointRow
	err := r.Scan(append(append(deliveryDests(&j.Delivery), eventDests(&j.Event)...), e.dests()...)...)
	if err == nil && e.ID != nil {
		j.Endpoint = e.endpoint()
	}
	return j, err
}

// endpointRow is a webhook endpoint's columns as an outer join reads them:
// each may be NULL.
type endpointRow struct {
	ID, MerchantID, Mode, URL, Description *string
	Events                                 eventTypesCol
	Active                                 *bool
	Secret, PrevSecret                     []byte
	PrevSecretExpiresAt, CreatedAt         timeCol
	UpdatedAt                              timeCol
}

func (e *endpointRow) dests() []any {
	return []any{&e.ID, &e.MerchantID, &e.Mode, &e.URL, &e.Description, &e.Events, &e.Active, &e.Secret, &e.PrevSecret,
		&e.PrevSecretExpiresAt, &e.CreatedAt, &e.UpdatedAt}
}

func (e *endpointRow) endpoint() gateway.WebhookEndpoint {
	return gateway.WebhookEndpoint{ID: *e.ID, MerchantID: *e.MerchantID, Mode: gateway.Mode(*e.Mode), URL: *e.URL,
		Description: *e.Description, Events: e.Events, Active: *e.Active, Secret: e.Secret, PrevSecret: e.PrevSecret,
		PrevSecretExpiresAt: time.Time(e.PrevSecretExpiresAt), CreatedAt: time.Time(e.CreatedAt), UpdatedAt: time.Time(e.UpdatedAt)}
}

// failDelivery fails a pending delivery that cannot be sent, without an attempt.
func failDelivery(ctx context.Context, tx pgx.Tx, id, reason string, now time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL,
		lease_token = NULL, lease_until = NULL, last_error = $1, updated_at = $2 WHERE id = $3`, reason, timeCol(now), id)
	return err
}

// RecordDeliveryAttempt stores attempt a of delivery next.ID and the
// delivery's next state (its status, attempts, next attempt, manual flag and
// last_* fields; its identity and creation time never change), and ends the
// lease, in one transaction, if leaseToken is still the delivery's lease
// token. Otherwise — a later claim took the lapsed lease, or the endpoint was
// deleted — it writes nothing and returns an error wrapping
// gateway.ErrConflict. A lease that lapsed but was not claimed again is still
// held. The delivery's row is locked while the token is checked, so a claim
// or a deletion on another node cannot slip in between. An empty a.ID gets a
// new attempt id, an empty a.DeliveryID is next.ID, and a zero a.Attempt is
// next.Attempts.
func (s *Store) RecordDeliveryAttempt(ctx context.Context, leaseToken string, a gateway.DeliveryAttempt, next gateway.Delivery) error {
	if a.ID == "" {
		a.ID = gateway.NewID(gateway.PrefixAttempt)
	}
	if a.DeliveryID == "" {
		a.DeliveryID = next.ID
	}
	if a.Attempt == 0 {
		a.Attempt = next.Attempts
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if a.DeliveryID != next.ID {
			return fmt.Errorf("the attempt is of delivery %s", a.DeliveryID)
		}
		cur, err := scanDelivery(tx.QueryRow(ctx, "SELECT "+deliveryColumns+" FROM webhook_deliveries WHERE id = $1 FOR UPDATE", next.ID))
		if err != nil {
			return err
		}
		if leaseToken == "" || cur.LeaseToken != leaseToken {
			return fmt.Errorf("the lease is no longer held: %w", gateway.ErrConflict)
		}
		if next.EventID != cur.EventID || next.EndpointID != cur.EndpointID || next.MerchantID != cur.MerchantID || next.Mode != cur.Mode {
			return fmt.Errorf("the next state changes the delivery's event, endpoint, merchant or mode")
		}
		if _, err := tx.Exec(ctx, insertAttempt, attemptArgs(&a)...); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE webhook_deliveries SET status = $1, attempts = $2, next_attempt_at = $3, manual = $4,
			lease_token = NULL, lease_until = NULL, last_attempt_at = $5, last_status_code = $6, last_error = $7, updated_at = $8
			WHERE id = $9`, next.Status, next.Attempts, timeCol(next.NextAttemptAt), next.Manual,
			timeCol(next.LastAttemptAt), next.LastStatusCode, next.LastError, timeCol(next.UpdatedAt), next.ID)
		return err
	})
	return mapErr(err, "record attempt %d of delivery %s", a.Attempt, next.ID)
}

// GetDelivery returns delivery id in scope, even if its endpoint is deleted.
func (s *Store) GetDelivery(ctx context.Context, scope gateway.Scope, id string) (*gateway.Delivery, error) {
	d, err := getDelivery(ctx, s.pool, scope, id, "")
	if err != nil {
		return nil, mapErr(err, "get delivery %s", id)
	}
	return &d, nil
}

func getDelivery(ctx context.Context, q querier, scope gateway.Scope, id, lock string) (gateway.Delivery, error) {
	return scanDelivery(q.QueryRow(ctx, "SELECT "+deliveryColumns+
		" FROM webhook_deliveries WHERE id = $1 AND merchant_id = $2 AND mode = $3 "+lock, id, scope.MerchantID, scope.Mode))
}

// ListDeliveries returns one page of the deliveries to endpoint endpointID,
// which must exist in scope, newest first.
func (s *Store) ListDeliveries(ctx context.Context, scope gateway.Scope, endpointID string, p gateway.Page) (gateway.List[gateway.Delivery], error) {
	// The endpoint is looked up apart from the list's snapshot; one deleted
	// in between lists its (kept) deliveries, as it would a moment earlier.
	if _, err := getEndpoint(ctx, s.pool, scope, endpointID); err != nil {
		return gateway.List[gateway.Delivery]{}, mapErr(err, "list deliveries of endpoint %s", endpointID)
	}
	c := scoped(scope)
	c.add(true, "endpoint_id = ?", endpointID)
	l, err := deliveryList.run(ctx, s, scope, c, p)
	return l, mapErr(err, "list deliveries of endpoint %s", endpointID)
}

// ListEventDeliveries returns the deliveries of event eventID in scope,
// oldest first (UNIQUE (event_id, endpoint_id) indexes the lookup).
func (s *Store) ListEventDeliveries(ctx context.Context, scope gateway.Scope, eventID string) ([]gateway.Delivery, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+deliveryColumns+
		" FROM webhook_deliveries WHERE event_id = $1 AND merchant_id = $2 AND mode = $3 ORDER BY created_at, id", eventID, scope.MerchantID, scope.Mode)
	ds, err := scanAll(rows, err, scanDelivery)
	return ds, mapErr(err, "list deliveries of event %s", eventID)
}

// ListDeliveryAttempts returns the attempts of delivery deliveryID, oldest
// first; an unknown delivery is gateway.ErrNotFound.
func (s *Store) ListDeliveryAttempts(ctx context.Context, deliveryID string) ([]gateway.DeliveryAttempt, error) {
	var attempts []gateway.DeliveryAttempt
	err := s.read(ctx, func(tx pgx.Tx) error {
		var id string
		if err := tx.QueryRow(ctx, "SELECT id FROM webhook_deliveries WHERE id = $1", deliveryID).Scan(&id); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, "SELECT "+attemptColumns+" FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt, id", deliveryID)
		attempts, err = scanAll(rows, err, scanAttempt)
		return err
	})
	return attempts, mapErr(err, "list attempts of delivery %s", deliveryID)
}

// Redeliver makes a succeeded or failed delivery pending again, due at now,
// for one manual attempt, free of any lease. A pending one is a validation
// error: it is already on its way.
func (s *Store) Redeliver(ctx context.Context, scope gateway.Scope, id string, now time.Time) (*gateway.Delivery, error) {
	var d gateway.Delivery
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		if d, err = getDelivery(ctx, tx, scope, id, "FOR UPDATE"); err != nil {
			return err
		}
		if d.Status == gateway.DeliveryPending {
			return passThrough{&gateway.Error{Code: gateway.CodeValidation, Message: "The delivery is already pending.",
				Fields: []gateway.FieldError{{Field: "status", Message: "is already pending"}}}}
		}
		d, err = scanDelivery(tx.QueryRow(ctx, `UPDATE webhook_deliveries SET status = 'pending', manual = true, next_attempt_at = $1,
			lease_token = NULL, lease_until = NULL, updated_at = $1 WHERE id = $2 RETURNING `+deliveryColumns, timeCol(now), id))
		return err
	})
	if err != nil {
		return nil, unwrapCallback(err, "redeliver %s", id)
	}
	return &d, nil
}

// analyzeIfSlow refreshes the delivery queue's planner statistics when a
// claim was slow, at most every 30 s. A burst of deliveries into a table the
// planner has no statistics for (a new database, or before autovacuum
// catches up) makes it pick nested plans that cost seconds per claim;
// ANALYZE brings a 2,000-delivery backlog's claim from ~2 s to ~40 ms.
func (s *Store) analyzeIfSlow(ctx context.Context, start time.Time) {
	if time.Since(start) < 250*time.Millisecond {
		return
	}
	last := s.lastAnalyze.Load()
	now := time.Now().UnixNano()
	if now-last < int64(30*time.Second) || !s.lastAnalyze.CompareAndSwap(last, now) {
		return
	}
	_, _ = s.pool.Exec(context.WithoutCancel(ctx), "ANALYZE webhook_deliveries, events, webhook_endpoints")
}
