package sqlite

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/satsrail/satsrail/internal/gateway"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// mapErr is the one place engine errors become gateway errors: a missing row
// is gateway.ErrNotFound and a unique or primary-key violation wraps
// gateway.ErrConflict. Everything else is wrapped as is. op says what failed.
func mapErr(err error, op string, args ...any) error {
	if err == nil {
		return nil
	}
	what := fmt.Sprintf(op, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: %s: %w", what, gateway.ErrNotFound)
	}
	if isUniqueViolation(err) {
		return fmt.Errorf("sqlite: %s: %w: %w", what, gateway.ErrConflict, err)
	}
	return fmt.Errorf("sqlite: %s: %w", what, err)
}

func isUniqueViolation(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return true
	}
	return false
}

// passThrough carries an error of a caller's callback out of a transaction
// without mapping or wrapping it, so the caller gets it back unchanged.
type passThrough struct{ err error }

func (p passThrough) Error() string { return p.err.Error() }

// unwrapCallback returns a callback's own error unchanged, or maps any other.
func unwrapCallback(err error, op string, args ...any) error {
	var p passThrough
	if errors.As(err, &p) {
		return p.err
	}
	return mapErr(err, op, args...)
}
