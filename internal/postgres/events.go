package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/satsrail/satsrail/internal/gateway"
)

const eventColumns = "id, merchant_id, mode, type, object_id, body, created_at"

func eventArgs(e *gateway.Event) []any {
	return []any{e.ID, e.MerchantID, e.Mode, e.Type, e.ObjectID, e.Body, timeCol(e.CreatedAt)}
}

func eventDests(e *gateway.Event) []any {
	return []any{&e.ID, &e.MerchantID, &e.Mode, &e.Type, &e.ObjectID, &e.Body, (*timeCol)(&e.CreatedAt)}
}

var (
	scanEvent   = scanner(eventDests)
	insertEvent = insertSQL("events", eventColumns)
	// The event list is in commit order, newest first: by the id of the
	// transaction that inserted each event, then seq (see eventHorizon).
	eventList = listQuery[gateway.Event]{table: "events", columns: eventColumns, scan: scanEvent, order: []string{"txid", "seq"}}
)

// stillRunning keeps, of the transaction ids $1, those still running in
// this database, oldest first: only they can insert events here, and one
// running long elsewhere on the server (another database's bulk load) must
// not hold this list back. pg_locks shows every session's transaction id
// (pg_stat_activity.backend_xid only to its role) and pg_prepared_xacts any
// prepared transaction's.
const stillRunning = `SELECT x FROM unnest($1::text[]) x
	WHERE pg_xact_status(x::xid8) = 'in progress'
	AND (EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
			WHERE l.locktype = 'transactionid' AND l.granted AND l.mode = 'ExclusiveLock'
			AND l.transactionid = (x::numeric % 4294967296)::text::xid AND a.datname = current_database())
		OR EXISTS (SELECT 1 FROM pg_prepared_xacts p
			WHERE p.transaction = (x::numeric % 4294967296)::text::xid AND p.database = current_database()))
	ORDER BY x::numeric`

// horizonWait bounds how long a list waits for transactions older than the
// newest event to end before it shows that event (Store.horizonWait, if
// set, replaces it in tests).
const horizonWait = 2 * time.Second

// eventHorizon returns a transaction id h (as text) below which every
// transaction has ended, so no event with a txid below h can commit any
// more: a list of the events below h, sorted by (txid, seq), is the final
// order of its rows, and an event committed after it sorts above all of
// them. Sorting by seq or created_at alone would not do: both are taken
// before COMMIT, so a slower transaction can commit an event below one a
// consumer has already seen.
//
// h is just above the newest event in scope once every transaction of this
// database that was running when it was read and began before it has ended;
// the list waits up to horizonWait for those (they are short: a
// settlement's), and past that hides the events above the oldest still
// running until it ends.
func (s *Store) eventHorizon(ctx context.Context, scope gateway.Scope) (string, error) {
	var snap string
	var top *string
	err := s.pool.QueryRow(ctx, `SELECT pg_current_snapshot()::text,
		(SELECT txid::text FROM events WHERE merchant_id = $1 AND mode = $2 ORDER BY txid DESC, seq DESC LIMIT 1)`,
		scope.MerchantID, scope.Mode).Scan(&snap, &top)
	if err != nil {
		return "", err
	}
	// snap is xmin:xmax:xip1,xip2,... (https://www.postgresql.org/docs/current/functions-info.html).
	parts := strings.Split(snap, ":")
	if len(parts) != 3 {
		return "", fmt.Errorf("snapshot %q", snap)
	}
	if top == nil {
		return parts[0], nil // no events yet: those below xmin are final
	}
	newest, err := strconv.ParseUint(*top, 10, 64)
	if err != nil {
		return "", fmt.Errorf("txid %q: %w", *top, err)
	}
	var running []string
	for x := range strings.SplitSeq(parts[2], ",") {
		if n, err := strconv.ParseUint(x, 10, 64); err == nil && n < newest {
			running = append(running, x)
		}
	}
	wait := horizonWait
	if s.horizonWait > 0 {
		wait = s.horizonWait
	}
	deadline := time.Now().Add(wait)
	for len(running) > 0 {
		rows, err := s.pool.Query(ctx, stillRunning, running)
		running, err = scanAll(rows, err, func(r rowScanner) (x string, err error) { return x, r.Scan(&x) })
		if err != nil {
			return "", err
		}
		if len(running) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return running[0], nil
		}
		select {
		case <-time.After(time.Millisecond):
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	return strconv.FormatUint(newest+1, 10), nil
}

// deliveryFailed is the condition, on an events row, that one of its
// deliveries has failed at least once and not succeeded since: it failed for
// good, or it is pending again after an attempt that failed (a retry, or a
// redelivery of a failure). A success redelivered by hand is pending after
// an attempt that succeeded, and does not count.
const deliveryFailed = `EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = events.id
	AND (d.status = 'failed' OR (d.status = 'pending' AND d.attempts > 0
		AND NOT (d.last_status_code BETWEEN 200 AND 299 AND d.last_error = ''))))`

// ListEventsForObject returns the events about objectID in scope, oldest
// first; events written together keep the order they were written in.
func (s *Store) ListEventsForObject(ctx context.Context, scope gateway.Scope, objectID string) ([]gateway.Event, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+eventColumns+` FROM events
		WHERE merchant_id = $1 AND mode = $2 AND object_id = $3 ORDER BY created_at, seq`,
		scope.MerchantID, scope.Mode, objectID)
	evs, err := scanAll(rows, err, scanEvent)
	return evs, mapErr(err, "list events for %s", objectID)
}

// GetEvent returns event id in scope.
func (s *Store) GetEvent(ctx context.Context, scope gateway.Scope, id string) (*gateway.Event, error) {
	ev, err := scanEvent(s.pool.QueryRow(ctx, "SELECT "+eventColumns+
		" FROM events WHERE id = $1 AND merchant_id = $2 AND mode = $3", id, scope.MerchantID, scope.Mode))
	if err != nil {
		return nil, mapErr(err, "get event %s", id)
	}
	return &ev, nil
}

// ListEvents returns one page of the events in scope that match f, newest
// committed first, below eventHorizon.
func (s *Store) ListEvents(ctx context.Context, scope gateway.Scope, f gateway.EventFilter) (gateway.List[gateway.Event], error) {
	h, err := s.eventHorizon(ctx, scope)
	if err != nil {
		return gateway.List[gateway.Event]{}, mapErr(err, "list events")
	}
	c := scoped(scope)
	c.push("txid < ?::text::xid8", h)
	c.add(f.Type != "", "type = ?", f.Type)
	c.created(f.Created)
	c.add(f.DeliveryFailed, deliveryFailed)
	l, err := eventList.run(ctx, s, scope, c, f.Page)
	return l, mapErr(err, "list events")
}

// InsertEvent stores ev with a pending delivery to each active endpoint of
// its scope that subscribes to its type, in one transaction. With
// onlyEndpoint it goes to that endpoint alone, whatever the endpoint
// subscribes to (the merchant asked for it by name), but only if the endpoint
// is active: a disabled endpoint is sent nothing, though the event is still
// stored. An onlyEndpoint not in ev's scope is gateway.ErrNotFound, and then
// nothing is stored.
func (s *Store) InsertEvent(ctx context.Context, ev gateway.Event, onlyEndpoint string) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if onlyEndpoint != "" {
			if _, err := getEndpoint(ctx, tx, gateway.Scope{MerchantID: ev.MerchantID, Mode: ev.Mode}, onlyEndpoint); err != nil {
				return err
			}
		}
		return insertEventTx(ctx, tx, &ev, onlyEndpoint)
	})
	return mapErr(err, "insert event %s", ev.ID)
}

// insertEventTx inserts ev and fans it out: one pending delivery, due at
// once, to every active endpoint of ev's merchant and mode that subscribes
// to ev's type, or to onlyEndpoint alone if it is set and active. It is the
// one way events enter the database, so no event misses its deliveries.
//
// The endpoints are those committed when the fan-out reads them: one being
// created meanwhile gets later events only, and one being deleted or disabled
// meanwhile may get a delivery, which ClaimDueDeliveries then fails instead
// of sending.
func insertEventTx(ctx context.Context, tx pgx.Tx, ev *gateway.Event, onlyEndpoint string) error {
	if _, err := tx.Exec(ctx, insertEvent, eventArgs(ev)...); err != nil {
		return err
	}
	c := scoped(gateway.Scope{MerchantID: ev.MerchantID, Mode: ev.Mode})
	c.add(true, "active")
	if onlyEndpoint != "" {
		c.add(true, "id = ?", onlyEndpoint)
	} else {
		c.add(true, "(cardinality(events) = 0 OR ? = ANY (events))", string(ev.Type))
	}
	rows, err := tx.Query(ctx, "SELECT id FROM webhook_endpoints"+c.whereSQL()+" ORDER BY id", c.args...)
	endpoints, err := scanAll(rows, err, scanString)
	if err != nil {
		return err
	}
	for _, endpointID := range endpoints {
		d := gateway.Delivery{
			ID:            gateway.NewID(gateway.PrefixDelivery),
			EventID:       ev.ID,
			EndpointID:    endpointID,
			MerchantID:    ev.MerchantID,
			Mode:          ev.Mode,
			Status:        gateway.DeliveryPending,
			NextAttemptAt: ev.CreatedAt,
			CreatedAt:     ev.CreatedAt,
			UpdatedAt:     ev.CreatedAt,
		}
		if _, err := tx.Exec(ctx, insertDelivery, deliveryArgs(&d)...); err != nil {
			return err
		}
	}
	return nil
}
