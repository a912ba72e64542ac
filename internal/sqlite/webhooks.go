package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

const endpointColumns = "id, merchant_id, mode, url, description, events, active, secret, prev_secret, " +
	"prev_secret_expires_at, created_at, updated_at"

func endpointArgs(e *gateway.WebhookEndpoint) []any {
	return []any{e.ID, e.MerchantID, e.Mode, e.URL, e.Description, eventTypesCol(e.Events), e.Active, e.Secret, nullBytes(e.PrevSecret),
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
	return []any{&a.ID, &a.DeliveryID, &a.Attempt, (*timeCol)(&a.At), &a.StatusCode, (*durationCol)(&a.Latency), &a.Error, &a.ResponseBody}
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
	// event, at most perEndpoint leased per endpoint at a time (counting
	// leases already out, on any node), so one slow endpoint's backlog can
	// neither hold every worker nor push other endpoints' deliveries back.
	// status = 'pending' is a literal so SQLite can use the partial index
	// webhook_deliveries_due.
	dueDeliveries = "SELECT " + qualify("d", deliveryColumns) + ", " + qualify("e", eventColumns) + `
		FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY endpoint_id ORDER BY next_attempt_at, id) AS rn
		      FROM webhook_deliveries
		      WHERE status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)) d
		JOIN events e ON e.id = d.event_id
		LEFT JOIN (SELECT endpoint_id, COUNT(*) AS n FROM webhook_deliveries INDEXED BY webhook_deliveries_leased
		           WHERE status = 'pending' AND lease_until IS NOT NULL AND lease_until >= ? GROUP BY endpoint_id) busy
		          ON busy.endpoint_id = d.endpoint_id
		WHERE d.rn + COALESCE(busy.n, 0) <= ?
		ORDER BY d.next_attempt_at, d.id LIMIT ?`
)

// Why ClaimDueDeliveries fails a delivery instead of handing it out.
const (
	errEndpointDeleted  = "endpoint deleted"
	errEndpointDisabled = "endpoint disabled"
)

// leaseTokenLength is the length of a lease token: 32 base62 characters.
const leaseTokenLength = 32

// nullBytes stores an empty byte slice as NULL, for optional blobs.
type nullBytes []byte

func (b nullBytes) Value() (any, error) {
	if len(b) == 0 {
		return nil, nil
	}
	return []byte(b), nil
}

// CreateWebhookEndpoint stores a new endpoint; a known id is a conflict.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, e *gateway.WebhookEndpoint) error {
	_, err := s.writer.ExecContext(ctx, insertEndpoint, endpointArgs(e)...)
	return mapErr(err, "create webhook endpoint %s", e.ID)
}

// GetWebhookEndpoint returns endpoint id in scope.
func (s *Store) GetWebhookEndpoint(ctx context.Context, scope gateway.Scope, id string) (*gateway.WebhookEndpoint, error) {
	e, err := getEndpoint(ctx, s.reader, scope, id)
	if err != nil {
		return nil, mapErr(err, "get webhook endpoint %s", id)
	}
	return &e, nil
}

func getEndpoint(ctx context.Context, q querier, scope gateway.Scope, id string) (gateway.WebhookEndpoint, error) {
	return scanEndpoint(q.QueryRowContext(ctx, "SELECT "+endpointColumns+
		" FROM webhook_endpoints WHERE id = ? AND merchant_id = ? AND mode = ?", id, scope.MerchantID, scope.Mode))
}

// ListWebhookEndpoints returns one page of the endpoints in scope.
func (s *Store) ListWebhookEndpoints(ctx context.Context, scope gateway.Scope, p gateway.Page) (gateway.List[gateway.WebhookEndpoint], error) {
	l, err := endpointList.run(ctx, s, scope, scoped(scope), p)
	return l, mapErr(err, "list webhook endpoints")
}

// UpdateWebhookEndpoint applies fn to the endpoint and saves it, in one
// transaction. Deliveries already made keep going to it (or not) by its state
// when they are claimed; its filter only decides which later events it gets.
func (s *Store) UpdateWebhookEndpoint(ctx context.Context, scope gateway.Scope, id string,
	fn func(*gateway.WebhookEndpoint) error) (*gateway.WebhookEndpoint, error) {
	var e gateway.WebhookEndpoint
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		if e, err = getEndpoint(ctx, tx, scope, id); err != nil {
			return err
		}
		before := e
		if err := fn(&e); err != nil {
			return passThrough{err}
		}
		if e.ID != before.ID || e.MerchantID != before.MerchantID || e.Mode != before.Mode {
			return fmt.Errorf("the update changed the endpoint's id, merchant or mode")
		}
		_, err = tx.ExecContext(ctx, updateEndpoint, append(endpointArgs(&e), id)...)
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
// and their attempts stay, for GetDelivery and the event's history.
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, scope gateway.Scope, id string, now time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM webhook_endpoints WHERE id = ? AND merchant_id = ? AND mode = ?",
			id, scope.MerchantID, scope.Mode)
		if err != nil {
			return err
		}
		if err := oneRow(res); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL,
			lease_token = NULL, lease_until = NULL, last_error = ?, updated_at = ?
			WHERE endpoint_id = ? AND status = 'pending'`, errEndpointDeleted, timeCol(now), id)
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
// A due delivery whose endpoint has been deleted or disabled is not handed
// out but failed at now, with the error "endpoint deleted" or "endpoint
// disabled": the event happened while the merchant did not want it, so it is
// not sent late when the endpoint is enabled again, but Redeliver can still
// send it by hand. Such deliveries do not count towards limit.
//
// The single writer connection makes the pick and the lease one atomic step:
// two concurrent claims never return the same delivery.
func (s *Store) ClaimDueDeliveries(ctx context.Context, now, leaseUntil time.Time, limit, perEndpoint int) ([]gateway.DeliveryJob, error) {
	cap := int64(perEndpoint)
	if perEndpoint <= 0 {
		cap = 1 << 62 // no cap
	}
	var jobs []gateway.DeliveryJob
	// Unsynced: a claim lost to a power failure leaves its deliveries due,
	// to be claimed (or failed) again; the attempt's outcome is durable.
	err := s.writeUnsynced(ctx, func(tx *sql.Tx) error {
		// Each round either leases deliveries or fails them, and both leave
		// the queue, so the loop ends; seen makes sure of it.
		seen := map[string]bool{}
		for limit <= 0 || len(jobs) < limit {
			want := -1 // SQLite: no limit
			if limit > 0 {
				want = limit - len(jobs)
			}
			rows, err := tx.QueryContext(ctx, dueDeliveries, timeCol(now), timeCol(now), timeCol(now), cap, want)
			due, err := scanAll(rows, err, func(r rowScanner) (j gateway.DeliveryJob, err error) {
				return j, r.Scan(append(deliveryDests(&j.Delivery), eventDests(&j.Event)...)...)
			})
			if err != nil {
				return err
			}
			if len(due) == 0 {
				return nil
			}
			for _, j := range due {
				d := &j.Delivery
				if seen[d.ID] {
					return fmt.Errorf("delivery %s is still due after it was claimed", d.ID)
				}
				seen[d.ID] = true
				j.Endpoint, err = getEndpoint(ctx, tx, gateway.Scope{MerchantID: d.MerchantID, Mode: d.Mode}, d.EndpointID)
				switch {
				case errors.Is(err, sql.ErrNoRows):
					err = failDelivery(ctx, tx, d.ID, errEndpointDeleted, now)
				case err == nil && !j.Endpoint.Active:
					err = failDelivery(ctx, tx, d.ID, errEndpointDisabled, now)
				case err == nil:
					d.LeaseToken, d.LeaseUntil = gateway.RandomString(leaseTokenLength), storedTime(leaseUntil)
					_, err = tx.ExecContext(ctx, "UPDATE webhook_deliveries SET lease_token = ?, lease_until = ? WHERE id = ?",
						d.LeaseToken, timeCol(d.LeaseUntil), d.ID)
					jobs = append(jobs, j)
				}
				if err != nil {
					return err
				}
			}
			if want > 0 && len(due) < want {
				// Fewer were due than asked for, and neither leasing nor
				// failing makes another one due: no need to look again.
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return nil, mapErr(err, "claim due deliveries")
	}
	return jobs, nil
}

// failDelivery fails a pending delivery that cannot be sent, without an attempt.
func failDelivery(ctx context.Context, tx *sql.Tx, id, reason string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL,
		lease_token = NULL, lease_until = NULL, last_error = ?, updated_at = ? WHERE id = ?`, reason, timeCol(now), id)
	return err
}

// RecordDeliveryAttempt stores attempt a of delivery next.ID and the
// delivery's next state (its status, attempts, next attempt, manual flag and
// last_* fields; its identity and creation time never change), and ends the
// lease, in one transaction, if leaseToken is still the delivery's lease
// token. Otherwise — a later claim took the lapsed lease, or the endpoint was
// deleted — it writes nothing and returns an error wrapping
// gateway.ErrConflict. A lease that lapsed but was not claimed again is still
// held. An empty a.ID gets a new attempt id, an empty a.DeliveryID is
// next.ID, and a zero a.Attempt is next.Attempts.
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
	err := s.write(ctx, func(tx *sql.Tx) error {
		if a.DeliveryID != next.ID {
			return fmt.Errorf("the attempt is of delivery %s", a.DeliveryID)
		}
		cur, err := scanDelivery(tx.QueryRowContext(ctx, "SELECT "+deliveryColumns+" FROM webhook_deliveries WHERE id = ?", next.ID))
		if err != nil {
			return err
		}
		if leaseToken == "" || cur.LeaseToken != leaseToken {
			return fmt.Errorf("the lease is no longer held: %w", gateway.ErrConflict)
		}
		if next.EventID != cur.EventID || next.EndpointID != cur.EndpointID || next.MerchantID != cur.MerchantID || next.Mode != cur.Mode {
			return fmt.Errorf("the next state changes the delivery's event, endpoint, merchant or mode")
		}
		if _, err := tx.ExecContext(ctx, insertAttempt, attemptArgs(&a)...); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, manual = ?,
			lease_token = NULL, lease_until = NULL, last_attempt_at = ?, last_status_code = ?, last_error = ?, updated_at = ?
			WHERE id = ?`, next.Status, next.Attempts, timeCol(next.NextAttemptAt), next.Manual,
			timeCol(next.LastAttemptAt), next.LastStatusCode, next.LastError, timeCol(next.UpdatedAt), next.ID)
		return err
	})
	return mapErr(err, "record attempt %d of delivery %s", a.Attempt, next.ID)
}

// GetDelivery returns delivery id in scope, even if its endpoint is deleted.
func (s *Store) GetDelivery(ctx context.Context, scope gateway.Scope, id string) (*gateway.Delivery, error) {
	d, err := getDelivery(ctx, s.reader, scope, id)
	if err != nil {
		return nil, mapErr(err, "get delivery %s", id)
	}
	return &d, nil
}

func getDelivery(ctx context.Context, q querier, scope gateway.Scope, id string) (gateway.Delivery, error) {
	return scanDelivery(q.QueryRowContext(ctx, "SELECT "+deliveryColumns+
		" FROM webhook_deliveries WHERE id = ? AND merchant_id = ? AND mode = ?", id, scope.MerchantID, scope.Mode))
}

// ListDeliveries returns one page of the deliveries to endpoint endpointID,
// which must exist in scope, newest first.
func (s *Store) ListDeliveries(ctx context.Context, scope gateway.Scope, endpointID string, p gateway.Page) (gateway.List[gateway.Delivery], error) {
	// The endpoint is looked up apart from the list's read transaction; one
	// deleted in between lists its (kept) deliveries, as it would a moment
	// earlier.
	if _, err := getEndpoint(ctx, s.reader, scope, endpointID); err != nil {
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
	rows, err := s.reader.QueryContext(ctx, "SELECT "+deliveryColumns+
		" FROM webhook_deliveries WHERE event_id = ? AND merchant_id = ? AND mode = ? ORDER BY created_at, id", eventID, scope.MerchantID, scope.Mode)
	ds, err := scanAll(rows, err, scanDelivery)
	return ds, mapErr(err, "list deliveries of event %s", eventID)
}

// ListDeliveryAttempts returns the attempts of delivery deliveryID, oldest
// first; an unknown delivery is gateway.ErrNotFound.
func (s *Store) ListDeliveryAttempts(ctx context.Context, deliveryID string) ([]gateway.DeliveryAttempt, error) {
	var attempts []gateway.DeliveryAttempt
	err := s.read(ctx, func(tx *sql.Tx) error {
		var id string
		if err := tx.QueryRowContext(ctx, "SELECT id FROM webhook_deliveries WHERE id = ?", deliveryID).Scan(&id); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, "SELECT "+attemptColumns+" FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt, id", deliveryID)
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
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		if d, err = getDelivery(ctx, tx, scope, id); err != nil {
			return err
		}
		if d.Status == gateway.DeliveryPending {
			return passThrough{&gateway.Error{Code: gateway.CodeValidation, Message: "The delivery is already pending.",
				Fields: []gateway.FieldError{{Field: "status", Message: "is already pending"}}}}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'pending', manual = 1, next_attempt_at = ?,
			lease_token = NULL, lease_until = NULL, updated_at = ? WHERE id = ?`, timeCol(now), timeCol(now), id); err != nil {
			return err
		}
		d, err = getDelivery(ctx, tx, scope, id)
		return err
	})
	if err != nil {
		return nil, unwrapCallback(err, "redeliver %s", id)
	}
	return &d, nil
}
