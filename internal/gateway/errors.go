package gateway

import (
	"errors"
	"fmt"
)

// Code is a machine-readable error code; the HTTP layer maps each to a status.
type Code string

// The error codes of SPEC §2, and merchant_suspended (the operator
// suspended the key's merchant).
const (
	CodeUnauthorized          Code = "unauthorized"            // 401
	CodePermissionDenied      Code = "permission_denied"       // 403
	CodeMerchantSuspended     Code = "merchant_suspended"      // 403
	CodeNotFound              Code = "not_found"               // 404
	CodeCheckoutExpired       Code = "checkout_expired"        // 410
	CodeRequestTooLarge       Code = "request_too_large"       // 413
	CodeValidation            Code = "validation_error"        // 422
	CodeIdempotency           Code = "idempotency_error"       // 422
	CodeIdempotencyInProgress Code = "idempotency_in_progress" // 409
	CodeRateLimited           Code = "rate_limited"            // 429
	CodeRateUnavailable       Code = "rate_unavailable"        // 503
	CodeWalletUnavailable     Code = "wallet_unavailable"      // 503
	CodeInternal              Code = "internal_error"          // 500
)

// FieldError names one broken input field.
type FieldError struct {
	Field   string
	Message string
}

// Error is the one error type that crosses the domain boundary. Anything that
// is not an *Error is an internal error.
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %s (%d fields)", e.Code, e.Message, len(e.Fields))
}

// Is makes errors.Is(err, ErrNotFound) true for any *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Message == "" && len(t.Fields) == 0
}

// Errorf builds an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Sentinels for conditions callers branch on; compare with errors.Is.
var (
	ErrNotFound        = &Error{Code: CodeNotFound}
	ErrUnauthorized    = &Error{Code: CodeUnauthorized}
	ErrRateUnavailable = &Error{Code: CodeRateUnavailable}
	// ErrConflict is returned by a Store when a unique constraint rejects a write.
	ErrConflict = errors.New("gateway: conflict")
	// ErrIdempotencyKeyTaken is returned by a create given an
	// IdempotencyCompletion whose key already has a live record; nothing was
	// written. The caller reads that record to answer.
	ErrIdempotencyKeyTaken = errors.New("gateway: idempotency key taken")
)

// ErrorCode returns the code of err, or CodeInternal for errors that are not *Error.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// fieldErrors collects field errors during validation.
type fieldErrors []FieldError

func (f *fieldErrors) add(field, format string, args ...any) {
	*f = append(*f, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Code: CodeValidation, Message: "The request has invalid fields.", Fields: f}
}
