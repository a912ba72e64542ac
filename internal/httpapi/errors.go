package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/satsrail/satsrail/apitype"
	"github.com/satsrail/satsrail/internal/gateway"
)

// statusOf is the one mapping from error code to HTTP status.
func statusOf(code gateway.Code) int {
	switch code {
	case gateway.CodeUnauthorized:
		return http.StatusUnauthorized
	case gateway.CodePermissionDenied, gateway.CodeMerchantSuspended:
		return http.StatusForbidden
	case gateway.CodeNotFound:
		return http.StatusNotFound
	case codeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case gateway.CodeIdempotencyInProgress:
		return http.StatusConflict
	case gateway.CodeCheckoutExpired:
		return http.StatusGone
	case gateway.CodeRequestTooLarge:
		return http.StatusRequestEntityTooLarge
	case gateway.CodeValidation, gateway.CodeIdempotency:
		return http.StatusUnprocessableEntity
	case gateway.CodeRateLimited:
		return http.StatusTooManyRequests
	case gateway.CodeRateUnavailable, gateway.CodeWalletUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// errorBody turns err into the error envelope and its status. Errors that are
// not *gateway.Error are internal: logged with the request id, never shown.
func (s *Server) errorBody(r *http.Request, err error) (int, apitype.ErrorBody) {
	rid := requestID(r.Context())
	var e *gateway.Error
	if !errors.As(err, &e) || statusOf(e.Code) == http.StatusInternalServerError {
		s.log.ErrorContext(r.Context(), "internal error", "request_id", rid, "method", r.Method, "path", r.URL.Path, "err", err)
		e = &gateway.Error{Code: gateway.CodeInternal, Message: "Something went wrong on our side. Quote the request_id if you contact support."}
	}
	status := statusOf(e.Code)
	msg := e.Message
	if msg == "" {
		msg = defaultMessage(e.Code)
	}
	body := apitype.ErrorBody{Error: apitype.Error{Code: string(e.Code), Message: msg, RequestID: rid}}
	for _, f := range e.Fields {
		body.Error.Details = append(body.Error.Details, apitype.ErrorDetail{Field: f.Field, Message: f.Message})
	}
	return status, body
}

func defaultMessage(c gateway.Code) string {
	switch c {
	case gateway.CodeNotFound:
		return "The requested object does not exist."
	case gateway.CodeUnauthorized:
		return "Invalid or missing API key."
	case gateway.CodeRateUnavailable:
		return "No trustworthy BTC price is available right now; try again shortly."
	}
	return string(c)
}

// writeError is the only place that picks an HTTP status for an error.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, body := s.errorBody(r, err)
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshal(v)
	if err != nil {
		http.Error(w, `{"error":{"code":"internal_error","message":"encoding failed"}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

// marshal encodes v as compact JSON with a trailing newline, leaving &, < and
// > unescaped so URLs read as they are.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
