package sqlite

import (
	"context"

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
)

// ListEventsForObject returns the events about objectID in scope, oldest
// first; events written together keep the order they were written in.
func (s *Store) ListEventsForObject(ctx context.Context, scope gateway.Scope, objectID string) ([]gateway.Event, error) {
	rows, err := s.reader.QueryContext(ctx, "SELECT "+eventColumns+` FROM events
		WHERE merchant_id = ? AND mode = ? AND object_id = ? ORDER BY created_at, seq`,
		scope.MerchantID, scope.Mode, objectID)
	evs, err := scanAll(rows, err, scanEvent)
	return evs, mapErr(err, "list events for %s", objectID)
}
