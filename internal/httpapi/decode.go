package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

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

// strictJSON refuses, naming the field, what encoding/json would take
// quietly but the gateway must not: a key given twice in one object, at any
// depth (the decoder keeps the last, so `"amount_cents": 5000,
// "amount_cents": 1` would charge 1); bytes that are not UTF-8 (the decoder
// turns them into U+FFFD); and a control character in any string, key or
// value, other than tab, line feed and carriage return (a NUL is stored by
// SQLite but refused by PostgreSQL, so one body would get two answers).
// Malformed JSON is left to the decoder, which says where it breaks.
func strictJSON(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type frame struct {
		object  bool
		wantKey bool   // object: the next string is a key
		key     string // object: the member being read
		index   int    // array: the element being read
		keys    map[string]bool
	}
	var stack []frame
	// path names the value being read, as encoding/json names fields,
	// with array indexes: checkout_session.line_items[1].name.
	path := func() string {
		var b strings.Builder
		for k, f := range stack {
			switch {
			case !f.object:
				b.WriteString("[" + strconv.Itoa(f.index) + "]")
			case f.wantKey:
				// the object itself
			default:
				if k > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			}
		}
		if b.Len() == 0 {
			return "body"
		}
		return b.String()
	}
	// done ends one value: the enclosing array moves to its next element,
	// the enclosing object waits for its next key.
	done := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].object {
				stack[n-1].wantKey = true
			} else {
				stack[n-1].index++
			}
		}
	}
	var start int64
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // the end, or malformed: the decoder reports it
		}
		raw := body[start:dec.InputOffset()]
		start = dec.InputOffset()
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, frame{object: true, wantKey: true, keys: map[string]bool{}})
			case '[':
				stack = append(stack, frame{})
			default:
				stack = stack[:len(stack)-1]
				done()
			}
			continue
		case string:
			isKey := len(stack) > 0 && stack[len(stack)-1].wantKey
			if !utf8.Valid(raw) {
				if isKey {
					return invalid(path(), "has a key that is not UTF-8 text")
				}
				return invalid(path(), "must be UTF-8 text")
			}
			if msg := gateway.TextProblem(t, true); msg != "" {
				if isKey {
					return invalid(path(), "has a key that "+msg)
				}
				return invalid(path(), msg)
			}
			if isKey {
				f := &stack[len(stack)-1]
				f.key, f.wantKey = t, false
				if f.keys[t] {
					return invalid(path(), "is given more than once")
				}
				f.keys[t] = true
				continue
			}
		}
		done()
	}
}

// cleanText reports why s cannot be an id, a cursor, a filter value or an
// Idempotency-Key (gateway.TextProblem), or "" when it can.
func cleanText(s string) string { return gateway.TextProblem(s, false) }
