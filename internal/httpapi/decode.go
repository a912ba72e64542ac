package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/satsrail/satsrail/internal/gateway"
)

// decode reads the request body as one strict JSON object into dst: unknown
// fields, wrong types, trailing data, malformed JSON and what strictJSON
// refuses are 422 with the field named; a body over the limit is 413.
func decode(c *call, dst any) error {
	body, err := io.ReadAll(c.r.Body)
	if err != nil {
		return bodyError(err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return invalid("body", "a JSON object is required")
	}
	if err := strictJSON(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalid("body", "must contain exactly one JSON object")
	}
	return nil
}

func bodyError(err error) error {
	if tooLarge(err) {
		return gateway.Errorf(gateway.CodeRequestTooLarge, "The request body is larger than 64 KiB.")
	}
	return invalid("body", "could not be read")
}

// jsonError turns an encoding/json error into a field error.
func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF):
		return &gateway.Error{Code: gateway.CodeValidation, Message: "The request body is not valid JSON.",
			Fields: []gateway.FieldError{{Field: "body", Message: "malformed JSON: " + err.Error()}}}
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return invalid(field, fmt.Sprintf("must be %s, not a JSON %s", typeName(typ.Type.String()), typ.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json reports unknown fields only by message.
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		if name == "" { // {"": 1}: a field must be named (found by FuzzCreateCheckoutSession)
			return invalid("body", `has a key "", which is not a known field`)
		}
		return invalid(name, "is not a known field")
	}
	return invalid("body", err.Error())
}

func typeName(goType string) string {
	switch {
	case strings.Contains(goType, "int"):
		return "an integer"
	case strings.Contains(goType, "string"):
		return "a string"
	case strings.Contains(goType, "map"), strings.Contains(goType, "struct"), strings.HasPrefix(goType, "*apitype."):
		return "an object"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case strings.Contains(goType, "bool"):
		return "a boolean"
	}
	return "of another type"
}

func invalid(field, msg string) error {
	return &gateway.Error{Code: gateway.CodeValidation, Message: "The request has invalid fields.",
		Fields: []gateway.FieldError{{Field: field, Message: msg}}}
}

// cleanText reports why s cannot be an id, a cursor, a filter value or an
// Idempotency-Key (gateway.TextProblem), or "" when it can.
func cleanText(s string) string { return gateway.TextProblem(s, false) }
