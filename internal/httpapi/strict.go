package httpapi

import (
	"bytes"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/satsrail/satsrail/internal/gateway"
)

// strictJSON refuses, naming the field, what encoding/json would take
// quietly but the gateway must not: a key given twice in one object, at any
// depth (the decoder keeps the last, so `"amount_cents": 5000,
// "amount_cents": 1` would charge 1); bytes that are not UTF-8 (the decoder
// turns them into U+FFFD); and a control character in any string, key or
// value, other than tab, line feed and carriage return
// (gateway.TextProblem: a NUL is stored by SQLite but refused by
// PostgreSQL, so one body would get two answers). Malformed JSON is left to
// the decoder, which says where it breaks.
//
// It reads the body once, in place: keys are compared as they are written
// unless they hold an escape, which is decoded as encoding/json decodes it
// (so "amount_\u0063ents" repeats "amount_cents"). FuzzStrictJSON holds it
// to encoding/json's own view of the body.
func strictJSON(body []byte) error {
	s := strictScanner{src: body}
	s.value()
	if s.err == nil || s.malformed {
		return nil
	}
	return s.err
}

// maxStrictDepth is encoding/json's nesting limit: deeper bodies are its
// to refuse.
const maxStrictDepth = 10000

// strictFrame is one open object or array, for naming a field.
type strictFrame struct {
	object bool
	key    []byte // object: the member being read (nil before the first)
	index  int    // array: the element being read
}

type strictScanner struct {
	src       []byte
	i         int
	stack     []strictFrame
	malformed bool  // not JSON: stop, the decoder reports it
	err       error // the first refusal
	buf       []byte
}

func (s *strictScanner) stop() bool { return s.malformed || s.err != nil }

func (s *strictScanner) space() {
	for s.i < len(s.src) {
		switch s.src[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// refuse records the first refusal, naming the value being read.
func (s *strictScanner) refuse(msg string) {
	if s.err != nil {
		return
	}
	var b strings.Builder
	for k, f := range s.stack {
		switch {
		case !f.object:
			b.WriteString("[" + strconv.Itoa(f.index) + "]")
		case f.key != nil:
			if k > 0 {
				b.WriteByte('.')
			}
			b.Write(f.key)
		}
	}
	field := b.String()
	if field == "" {
		field = "body"
	}
	s.err = invalid(field, msg)
}

func (s *strictScanner) value() {
	s.space()
	if s.i >= len(s.src) {
		s.malformed = true
		return
	}
	switch c := s.src[s.i]; c {
	case '{':
		s.object()
	case '[':
		s.array()
	case '"':
		if str, ok := s.str(); ok {
			if msg := textProblem(str); msg != "" {
				s.refuse(msg)
			}
		}
	default:
		// A number or a literal: its bytes are ASCII or it is malformed.
		start := s.i
		for s.i < len(s.src) && strings.IndexByte(",]} \t\n\r", s.src[s.i]) < 0 {
			s.i++
		}
		if s.i == start {
			s.malformed = true
		}
	}
}

func (s *strictScanner) array() {
	if len(s.stack) >= maxStrictDepth {
		s.malformed = true
		return
	}
	s.i++ // [
	s.stack = append(s.stack, strictFrame{})
	defer func() { s.stack = s.stack[:len(s.stack)-1] }()
	s.space()
	if s.i < len(s.src) && s.src[s.i] == ']' {
		s.i++
		return
	}
	for f := &s.stack[len(s.stack)-1]; ; f.index++ {
		if s.value(); s.stop() {
			return
		}
		f = &s.stack[len(s.stack)-1] // value may have grown the stack
		s.space()
		if s.i >= len(s.src) {
			s.malformed = true
			return
		}
		switch s.src[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			return
		default:
			s.malformed = true
			return
		}
	}
}

func (s *strictScanner) object() {
	if len(s.stack) >= maxStrictDepth {
		s.malformed = true
		return
	}
	s.i++ // {
	s.stack = append(s.stack, strictFrame{object: true})
	defer func() { s.stack = s.stack[:len(s.stack)-1] }()
	var keys [][]byte // the keys so far; a map once there are many
	var many map[string]bool
	s.space()
	if s.i < len(s.src) && s.src[s.i] == '}' {
		s.i++
		return
	}
	for {
		s.space()
		if s.i >= len(s.src) || s.src[s.i] != '"' {
			s.malformed = true
			return
		}
		key, ok := s.str()
		if !ok {
			return
		}
		if msg := textProblem(key); msg != "" {
			s.stack[len(s.stack)-1].key = nil // name the object, not its last member
			s.refuse("has a key that " + msg)
			return
		}
		dup := false
		if many != nil {
			dup = many[string(key)]
			many[string(key)] = true
		} else {
			for _, k := range keys {
				if bytes.Equal(k, key) {
					dup = true
					break
				}
			}
			if keys = append(keys, key); len(keys) > 32 {
				many = make(map[string]bool, 2*len(keys))
				for _, k := range keys {
					many[string(k)] = true
				}
			}
		}
		s.stack[len(s.stack)-1].key = key
		if dup {
			s.refuse("is given more than once")
			return
		}
		s.space()
		if s.i >= len(s.src) || s.src[s.i] != ':' {
			s.malformed = true
			return
		}
		s.i++
		if s.value(); s.stop() {
			return
		}
		s.space()
		if s.i >= len(s.src) {
			s.malformed = true
			return
		}
		switch s.src[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return
		default:
			s.malformed = true
			return
		}
	}
}

// str reads the string at s.i and returns its value as encoding/json
// decodes it, except that bytes that are not UTF-8 are kept (for
// textProblem to find). A string of plain printable ASCII is returned in
// place.
func (s *strictScanner) str() ([]byte, bool) {
	s.i++ // "
	start := s.i
	for s.i < len(s.src) {
		c := s.src[s.i]
		if c == '"' {
			s.i++
			return s.src[start : s.i-1], true
		}
		if c == '\\' || c < 0x20 || c >= 0x7f {
			break
		}
		s.i++
	}
	// The slow way: escapes, or bytes beyond printable ASCII.
	out := append(s.buf[:0], s.src[start:s.i]...)
	for s.i < len(s.src) {
		switch c := s.src[s.i]; {
		case c == '"':
			s.i++
			s.buf = out[:0]
			return bytes.Clone(out), true
		case c < 0x20:
			s.malformed = true // raw control bytes are not JSON
			return nil, false
		case c != '\\':
			out = append(out, c)
			s.i++
			continue
		}
		if s.i+1 >= len(s.src) {
			s.malformed = true
			return nil, false
		}
		e := s.src[s.i+1]
		s.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := s.hex4()
			if !ok {
				return nil, false
			}
			if utf16.IsSurrogate(r) {
				// A pair is one character; anything else is U+FFFD, as
				// encoding/json decodes it.
				if s.i+1 < len(s.src) && s.src[s.i] == '\\' && s.src[s.i+1] == 'u' {
					save := s.i
					s.i += 2
					if r2, ok := s.hex4(); ok {
						if d := utf16.DecodeRune(r, r2); d != unicode.ReplacementChar {
							out = utf8.AppendRune(out, d)
							continue
						}
					}
					s.i, s.malformed = save, false
				}
				r = unicode.ReplacementChar
			}
			out = utf8.AppendRune(out, r)
		default:
			s.malformed = true
			return nil, false
		}
	}
	s.malformed = true
	return nil, false
}

// hex4 reads the four hex digits of a \u escape.
func (s *strictScanner) hex4() (rune, bool) {
	if s.i+4 > len(s.src) {
		s.malformed = true
		return 0, false
	}
	var r rune
	for _, c := range s.src[s.i : s.i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			s.malformed = true
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	s.i += 4
	return r, true
}

// textProblem is gateway.TextProblem for free text, on bytes.
func textProblem(b []byte) string {
	for _, c := range b {
		if c < 0x20 || c >= 0x7f {
			return gateway.TextProblem(string(b), true)
		}
	}
	return ""
}
