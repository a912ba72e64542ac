package schema

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func applied(additive map[int]bool, versions ...int) []Applied {
	var out []Applied
	for _, v := range versions {
		out = append(out, Applied{Version: v, Additive: additive[v]})
	}
	return out
}

func span(from, to int) []int {
	var vs []int
	for v := from; v <= to; v++ {
		vs = append(vs, v)
	}
	return vs
}

func TestCheck(t *testing.T) {
	p := Policy{Engine: "SQLite", Oldest: 10, Latest: 19}
	for _, tt := range []struct {
		name    string
		applied []Applied
		want    error
		inMsg   []string
	}{
		{name: "new database", applied: nil},
		{name: "oldest supported", applied: applied(nil, span(1, 10)...)},
		{name: "between", applied: applied(nil, span(1, 14)...)},
		{name: "latest", applied: applied(nil, span(1, 19)...)},
		{name: "a gap below the newest is not too old", applied: applied(nil, append(span(1, 4), span(6, 12)...)...)},
		{name: "one below the oldest", applied: applied(nil, span(1, 9)...), want: ErrTooOld,
			inMsg: []string{"schema version 9", "older than 10", "satsrail migrate", "0.3.x"}},
		{name: "first migration only", applied: applied(nil, 1), want: ErrTooOld},
		{name: "newer, additive", applied: applied(map[int]bool{20: true, 21: true}, span(1, 21)...)},
		{name: "newer, unmarked", applied: applied(nil, span(1, 20)...), want: ErrTooNew,
			inMsg: []string{"schema version 20", "newer than this binary's 19", "migration 20", "upgrade this node"}},
		{name: "newer, additive then contract", applied: applied(map[int]bool{20: true}, span(1, 22)...), want: ErrTooNew,
			inMsg: []string{"schema version 22", "migration 21"}},
		{name: "known migrations' marks don't matter", applied: applied(map[int]bool{20: true}, span(1, 20)...)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := p.Check(tt.applied)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Check = %v, want %v", err, tt.want)
			}
			for _, s := range tt.inMsg {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

func TestAhead(t *testing.T) {
	p := Policy{Oldest: 1, Latest: 3}
	if got := p.Ahead(applied(nil, 1, 2, 3, 4, 5)); !slices.Equal(got, []int{4, 5}) {
		t.Errorf("Ahead = %v, want [4 5]", got)
	}
	if got := p.Ahead(applied(nil, 1, 2)); got != nil {
		t.Errorf("Ahead = %v, want none", got)
	}
}

func TestIsAdditive(t *testing.T) {
	for _, tt := range []struct {
		sql  string
		want bool
	}{
		{"-- 0019: an index\n-- compat: additive\nCREATE INDEX x ON t (a);\n", true},
		{"-- compat: additive\n", true},
		{"\n  -- compat: additive  \nCREATE TABLE t (a INT);", true},
		{"-- 0019: drops a column\nALTER TABLE t DROP COLUMN a;\n", false},
		{"CREATE TABLE t (a INT);\n-- compat: additive\n", false}, // not in the header
		{"-- compat: additive, mostly\n", false},
		{"", false},
	} {
		if got := IsAdditive(tt.sql); got != tt.want {
			t.Errorf("IsAdditive(%q) = %v, want %v", tt.sql, got, tt.want)
		}
	}
}
