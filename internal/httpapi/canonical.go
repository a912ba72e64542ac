package httpapi

import (
	"bytes"
	"encoding/json"
	"slices"
)

// canonicalJSON appends to dst the canonical form of the JSON value at the
// start of body: the value decoded (numbers as json.Number) and encoded again
// by encoding/json — no whitespace, object keys sorted, a repeated key's last
// value kept. That form is what makes two requests "the same" under one
// Idempotency-Key, and request hashes are stored, so it may never change.
//
// Decoding into interface values and encoding them again cost as much CPU as
// the rest of a create's handler; so the common body — ASCII strings with
// nothing to escape, no repeated key, one value — is copied across in one
// pass, and only other bodies go through encoding/json. ok is false when
// body holds no JSON value (then there is no canonical form).
func canonicalJSON(dst, body []byte) (out []byte, ok bool) {
	c := canonicalizer{src: body}
	if out, ok := c.value(dst); ok && c.end() {
		return out, true
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return dst, false
	}
	b, err := json.Marshal(v)
	if err != nil {
		return dst, false
	}
	return append(dst, b...), true
}

// canonicalizer copies the plain JSON bodies canonicalJSON can take without
// decoding. Each method returns false, with dst in any state, on anything
// else: invalid JSON, a string it would have to re-encode, a repeated key,
// deep nesting, or more after the value (the decoder reads only the first).
type canonicalizer struct {
	src     []byte
	i       int
	depth   int
	scratch []byte // an object's values while they are put in key order
}

// maxCanonicalDepth leaves deeper nesting to encoding/json.
const maxCanonicalDepth = 32

func (c *canonicalizer) space() {
	for c.i < len(c.src) {
		switch c.src[c.i] {
		case ' ', '\t', '\n', '\r':
			c.i++
		default:
			return
		}
	}
}

func (c *canonicalizer) end() bool {
	c.space()
	return c.i == len(c.src)
}

func (c *canonicalizer) value(dst []byte) ([]byte, bool) {
	c.space()
	if c.i >= len(c.src) {
		return dst, false
	}
	switch b := c.src[c.i]; {
	case b == '{':
		return c.object(dst)
	case b == '[':
		return c.array(dst)
	case b == '"':
		s, ok := c.str()
		return append(dst, s...), ok
	case b == '-' || '0' <= b && b <= '9':
		return c.number(dst)
	}
	for _, lit := range [...]string{"true", "false", "null"} {
		if string(c.src[c.i:min(c.i+len(lit), len(c.src))]) == lit {
			c.i += len(lit)
			return append(dst, lit...), true
		}
	}
	return dst, false
}

// str returns the string at c.i with its quotes, if encoding/json would
// encode its decoded value back to the same bytes: printable ASCII with no
// backslash and none of the characters it escapes for HTML.
func (c *canonicalizer) str() ([]byte, bool) {
	start := c.i
	for c.i++; c.i < len(c.src); c.i++ {
		switch b := c.src[c.i]; {
		case b == '"':
			c.i++
			return c.src[start:c.i], true
		case b < 0x20 || b >= 0x7f || b == '\\' || b == '<' || b == '>' || b == '&':
			return nil, false
		}
	}
	return nil, false
}

// number copies a number as json.Number keeps it: its literal, once the
// literal is checked to be a JSON number.
func (c *canonicalizer) number(dst []byte) ([]byte, bool) {
	start := c.i
	digits := func() int {
		n := 0
		for c.i < len(c.src) && '0' <= c.src[c.i] && c.src[c.i] <= '9' {
			c.i++
			n++
		}
		return n
	}
	if c.src[c.i] == '-' {
		c.i++
	}
	switch n := digits(); {
	case n == 0, n > 1 && c.src[c.i-n] == '0':
		return dst, false
	}
	if c.i < len(c.src) && c.src[c.i] == '.' {
		c.i++
		if digits() == 0 {
			return dst, false
		}
	}
	if c.i < len(c.src) && (c.src[c.i] == 'e' || c.src[c.i] == 'E') {
		c.i++
		if c.i < len(c.src) && (c.src[c.i] == '+' || c.src[c.i] == '-') {
			c.i++
		}
		if digits() == 0 {
			return dst, false
		}
	}
	return append(dst, c.src[start:c.i]...), true
}

func (c *canonicalizer) array(dst []byte) ([]byte, bool) {
	if c.depth++; c.depth > maxCanonicalDepth {
		return dst, false
	}
	c.i++ // [
	dst = append(dst, '[')
	c.space()
	if c.i < len(c.src) && c.src[c.i] == ']' {
		c.i++
		c.depth--
		return append(dst, ']'), true
	}
	for {
		var ok bool
		if dst, ok = c.value(dst); !ok {
			return dst, false
		}
		c.space()
		if c.i >= len(c.src) {
			return dst, false
		}
		switch c.src[c.i] {
		case ',':
			c.i++
			dst = append(dst, ',')
		case ']':
			c.i++
			c.depth--
			return append(dst, ']'), true
		default:
			return dst, false
		}
	}
}

// member is one key and where its canonical value sits in the output.
type member struct {
	key        []byte // with its quotes
	start, end int
}

// object writes the members' values to dst as they come, then moves them
// into key order.
func (c *canonicalizer) object(dst []byte) ([]byte, bool) {
	if c.depth++; c.depth > maxCanonicalDepth {
		return dst, false
	}
	c.i++ // {
	base := len(dst)
	var buf [16]member
	members := buf[:0]
	c.space()
	if c.i < len(c.src) && c.src[c.i] == '}' {
		c.i++
		c.depth--
		return append(dst, "{}"...), true
	}
	for {
		c.space()
		if c.i >= len(c.src) || c.src[c.i] != '"' {
			return dst, false
		}
		key, ok := c.str()
		if !ok {
			return dst, false
		}
		c.space()
		if c.i >= len(c.src) || c.src[c.i] != ':' {
			return dst, false
		}
		c.i++
		start := len(dst)
		if dst, ok = c.value(dst); !ok {
			return dst, false
		}
		members = append(members, member{key, start, len(dst)})
		c.space()
		if c.i >= len(c.src) {
			return dst, false
		}
		if c.src[c.i] == '}' {
			c.i++
			break
		}
		if c.src[c.i] != ',' {
			return dst, false
		}
		c.i++
	}
	c.depth--
	// Ordered by the keys without their quotes, as encoding/json orders
	// the decoded keys (with them, "a " would sort before "a").
	slices.SortFunc(members, func(a, b member) int { return bytes.Compare(a.key[1:len(a.key)-1], b.key[1:len(b.key)-1]) })
	c.scratch = append(c.scratch[:0], dst[base:]...)
	values := c.scratch
	dst = append(dst[:base], '{')
	for k, m := range members {
		if k > 0 {
			if bytes.Equal(m.key, members[k-1].key) {
				return dst, false // a repeated key: the decoder keeps the last
			}
			dst = append(dst, ',')
		}
		dst = append(dst, m.key...)
		dst = append(dst, ':')
		dst = append(dst, values[m.start-base:m.end-base]...)
	}
	return append(dst, '}'), true
}
