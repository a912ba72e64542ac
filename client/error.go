package client

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/satsrail/satsrail/apitype"
)

// The API's error codes (SPEC §2), for comparing with Error.Code.
const (
	CodeUnauthorized          = "unauthorized"
	CodePermissionDenied      = "permission_denied"
	CodeNotFound              = "not_found"
	CodeCheckoutExpired       = "checkout_expired"
	CodeValidation            = "validation_error"
	CodeIdempotency           = "idempotency_error"
	CodeIdempotencyInProgress = "idempotency_in_progress"
	CodeRateLimited           = "rate_limited"
	CodeRateUnavailable       = "rate_unavailable"
	CodeWalletUnavailable     = "wallet_unavailable"
	CodeInternal              = "internal_error"
)

// Error is an answer of the API other than 2xx. Find it with errors.As.
type Error struct {
	// StatusCode is the HTTP status, e.g. 422.
	StatusCode int
	// Code is the API's error code (CodeValidation, ...); empty when the
	// answer was not the API's error envelope (a proxy's 502 page, say).
	Code string
	// Message says what went wrong, for people.
	Message string
	// Details names each broken field.
	Details []apitype.ErrorDetail
	// RequestID identifies the request in the gateway's logs.
	RequestID string
	// RetryAfter is the server's Retry-After (on 429), or 0.
	RetryAfter time.Duration
	// CheckoutSession is the session on 410 checkout_expired, so an
	// expired session can still be read.
	CheckoutSession *apitype.CheckoutSession
}

// Error reads like "satsrail: 422 validation_error: The checkout session is
// invalid. (amount_cents: must be greater than 0) [req_...]".
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "satsrail: %d", e.StatusCode)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if len(e.Details) > 0 {
		parts := make([]string, len(e.Details))
		for i, d := range e.Details {
			parts[i] = d.Field + ": " + d.Message
		}
		b.WriteString(" (" + strings.Join(parts, "; ") + ")")
	}
	if e.RequestID != "" {
		b.WriteString(" [" + e.RequestID + "]")
	}
	return b.String()
}

// Field returns the message for field in Details, or "".
func (e *Error) Field(field string) string {
	for _, d := range e.Details {
		if d.Field == field {
			return d.Message
		}
	}
	return ""
}

// retryable says whether the same request may succeed later: the server
// failed (5xx), is still running it (409 idempotency_in_progress) or asks
// the caller to slow down (429). Any other 4xx would only come back again.
func (e *Error) retryable() bool {
	switch {
	case e.StatusCode >= 500:
		return true
	case e.StatusCode == http.StatusTooManyRequests:
		return true
	case e.StatusCode == http.StatusConflict && e.Code == CodeIdempotencyInProgress:
		return true
	}
	return false
}

// parseError reads the error envelope of a non-2xx answer.
func parseError(res *http.Response, body []byte) *Error {
	e := &Error{StatusCode: res.StatusCode, RequestID: res.Header.Get("Request-Id"), RetryAfter: retryAfter(res.Header, time.Now())}
	var env apitype.ErrorBody
	if err := json.Unmarshal(body, &env); err == nil && env.Error.Code != "" {
		e.Code, e.Message, e.Details = env.Error.Code, env.Error.Message, env.Error.Details
		if env.Error.RequestID != "" {
			e.RequestID = env.Error.RequestID
		}
		e.CheckoutSession = env.CheckoutSession
		return e
	}
	e.Message = http.StatusText(res.StatusCode)
	return e
}
