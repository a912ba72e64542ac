package gateway

import "testing"

func TestTextProblem(t *testing.T) {
	for _, tc := range []struct {
		s        string
		freeForm bool
		ok       bool
	}{
		{"", false, true},
		{"cs_abc", false, true},
		{"Zoë 🙂", false, true},
		{"\ufffd", false, true}, // the replacement character itself is text
		{"a\x00b", true, false},
		{"a\x00b", false, false},
		{"\x1b[31m", true, false},
		{"\x7f", true, false},
		{"\u0085", true, false}, // C1 control
		{"\xff", true, false},
		{"\xc3", false, false},
		{"\xed\xa0\x80", true, false}, // a surrogate encoded as UTF-8
		{"a\tb\nc\r\n", true, true},
		{"a\tb", false, false},
		{"a\nb", false, false},
	} {
		got := TextProblem(tc.s, tc.freeForm)
		if (got == "") != tc.ok {
			t.Errorf("TextProblem(%q, %v) = %q, want ok=%v", tc.s, tc.freeForm, got, tc.ok)
		}
	}
	if got := TextProblem("ab\x01", false); got != "must not contain the control character U+0001" {
		t.Errorf("message %q", got)
	}
}
