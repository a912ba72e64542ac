package gateway

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// TextProblem says why s cannot be stored as text, or "" when it can. Text
// is UTF-8 without control characters; free-form text (names, descriptions,
// messages, metadata) may also hold tab, line feed and carriage return.
// SQLite stores a NUL or bytes that are not UTF-8 while PostgreSQL refuses
// them, so every outside string passes this before a store sees it: the two
// engines then give the same answer.
func TextProblem(s string, freeForm bool) string {
	if !utf8.ValidString(s) {
		return "must be UTF-8 text"
	}
	i := strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsControl(r) && !(freeForm && (r == '\t' || r == '\n' || r == '\r'))
	})
	if i < 0 {
		return ""
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return fmt.Sprintf("must not contain the control character %U", r)
}

// lookupable reports whether id could name a stored object: an id that is
// not text names none, so a lookup answers not found without asking the
// store (which, on PostgreSQL, would fail instead).
func lookupable(id string) bool { return TextProblem(id, false) == "" }
