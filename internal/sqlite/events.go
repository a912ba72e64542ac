package sqlite

import (
	"context"
	"database/sql"

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
	// The event list is in commit order, newest first: seq is the rowid,
	// which the one writer hands out in the order transactions commit, so
	// an event committed after a list was read always lists above every
	// event that list held, whatever its created_at (stamped before its
	// transaction waited for the writer). A consumer paging down from the
	// top to the last event it saw never passes over one.
	eventList = listQuery[gateway.Event]{table: "events", columns: eventColumns, scan: scanEvent, order: []string{"seq"}}
)

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
	rows, err := s.reader.QueryContext(ctx, "SELECT "+eventColumns+` FROM events
		WHERE merchant_id = ? AND mode = ? AND object_id = ? ORDER BY created_at, seq`,
		scope.MerchantID, scope.Mode, objectID)
	evs, err := scanAll(rows, err, scanEvent)
	return evs, mapErr(err, "list events for %s", objectID)
}

// GetEvent returns event id in scope.
func (s *Store) GetEvent(ctx context.Context, scope gateway.Scope, id string) (*gateway.Event, error) {
	ev, err := scanEvent(s.reader.QueryRowContext(ctx, "SELECT "+eventColumns+
		" FROM events WHERE id = ? AND merchant_id = ? AND mode = ?", id, scope.MerchantID, scope.Mode))
	if err != nil {
		return nil, mapErr(err, "get event %s", id)
	}
	return &ev, nil
}

// ListEvents returns one page of the events in scope that match f, newest
// committed first.
func (s *Store) ListEvents(ctx context.Context, scope gateway.Scope, f gateway.EventFilter) (gateway.List[gateway.Event], error) {
	c := scoped(scope)
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
	err := s.write(ctx, func(tx *sql.Tx) error {
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
func insertEventTx(ctx context.Context, tx *sql.Tx, ev *gateway.Event, onlyEndpoint string) error {
	if _, err := tx.ExecContext(ctx, insertEvent, eventArgs(ev)...); err != nil {
		return err
	}
	c := scoped(gateway.Scope{MerchantID: ev.MerchantID, Mode: ev.Mode})
	c.add(true, "active = 1")
	if onlyEndpoint != "" {
		c.add(true, "id = ?", onlyEndpoint)
	} else {
		cond, arg := subscribedTo(ev.Type)
		c.add(true, cond, arg)
	}
	rows, err := tx.QueryContext(ctx, "SELECT id FROM webhook_endpoints"+c.whereSQL()+" ORDER BY id", c.args...)
	endpoints, err := scanAll(rows, err, func(r rowScanner) (id string, err error) { return id, r.Scan(&id) })
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
		if _, err := tx.ExecContext(ctx, insertDelivery, deliveryArgs(&d)...); err != nil {
			return err
		}
	}
	return nil
}
