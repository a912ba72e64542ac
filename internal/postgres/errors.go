package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/satsrail/satsrail/internal/gateway"
)

// SQLSTATE codes the store acts on.
const (
	uniqueViolation      = "23505"
	serializationFailure = "40001"
	deadlockDetected     = "40P01"
)

// mapErr is the one place engine errors become gateway errors: a missing row
// is gateway.ErrNotFound and a unique or primary-key violation wraps
// gateway.ErrConflict. Everything else is wrapped as is. op says what failed.
func mapErr(err error, op string, args ...any) error {
	if err == nil {
		return nil
	}
	what := fmt.Sprintf(op, args...)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: %s: %w", what, gateway.ErrNotFound)
	}
	if sqlState(err) == uniqueViolation {
		return fmt.Errorf("postgres: %s: %w: %w", what, gateway.ErrConflict, err)
	}
	return fmt.Errorf("postgres: %s: %w", what, err)
}

// retryable reports an error that aborted a transaction only to resolve a
// conflict with another one, which tx runs again.
func retryable(err error) bool {
	switch sqlState(err) {
	case serializationFailure, deadlockDetected:
		return true
	}
	return false
}

// sqlState returns the SQLSTATE of a server error, or "". A caller's error
// carried by passThrough is never the server's.
func sqlState(err error) string {
	var p passThrough
	if errors.As(err, &p) {
		return ""
	}
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// passThrough carries an error of a caller's callback out of a transaction
// without mapping, wrapping or retrying it, so the caller gets it back
// unchanged.
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

// errNoRow is pgx.ErrNoRows, for a write that touched no row: it maps to
// gateway.ErrNotFound like a read that found none.
var errNoRow = pgx.ErrNoRows

// oneRow turns a write that touched no row into errNoRow.
func oneRow(tag pgconn.CommandTag, err error) error {
	if err == nil && tag.RowsAffected() == 0 {
		return errNoRow
	}
	return err
}
