package gateway

import (
	"strings"
	"testing"
	"time"
)

// TestRandomString: every length comes out exactly, only base62 characters
// are used, and each is about equally likely (a byte-modulo bias would make
// the first 8 characters ~25% likelier).
func TestRandomString(t *testing.T) {
	for _, n := range []int{0, 1, 24, 56, 57, 64, 100, 300} {
		s := RandomString(n)
		if len(s) != n {
			t.Fatalf("RandomString(%d) has %d characters", n, len(s))
		}
		for _, c := range s {
			if !strings.ContainsRune(base62, c) {
				t.Fatalf("RandomString(%d) = %q: %q is not base62", n, s, c)
			}
		}
	}
	counts := map[rune]int{}
	const draws = 62 * 2000
	for range draws / 100 {
		for _, c := range RandomString(100) {
			counts[c]++
		}
	}
	if len(counts) != 62 {
		t.Fatalf("%d distinct characters in %d draws, want 62", len(counts), draws)
	}
	for c, n := range counts {
		// 2000 expected; ±20% is over 8 standard deviations.
		if n < 1600 || n > 2400 {
			t.Errorf("%q drawn %d times of %d, want about 2000", c, n, draws)
		}
	}
	if NewID(PrefixSession) == NewID(PrefixSession) {
		t.Fatal("two ids are equal")
	}
}

// TestNewIDSortsByTime: ids are the prefix, the time, then the random part;
// a later millisecond sorts after an earlier one, across digit carries and
// far apart, so inserts append to an index.
func TestNewIDSortsByTime(t *testing.T) {
	id := NewID(PrefixSession)
	if len(id) != len(PrefixSession)+idLen || !strings.HasPrefix(id, PrefixSession) || strings.Trim(id[len(PrefixSession):], base62) != "" {
		t.Fatalf("NewID = %q", id)
	}
	if got, want := id[len(PrefixSession):][:idTimeLen], string(appendIDTime(nil, time.Now())); got > want {
		t.Fatalf("id time %q is after now %q", got, want)
	}
	base := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	prev := string(appendIDTime(nil, time.Unix(0, 0)))
	if prev != "00000000" {
		t.Fatalf("epoch = %q", prev)
	}
	for _, d := range []time.Duration{0, time.Millisecond, 61 * time.Millisecond, 62 * time.Millisecond,
		3844 * time.Millisecond, time.Hour, 24 * time.Hour, 365 * 24 * time.Hour, 200 * 365 * 24 * time.Hour} {
		cur := string(appendIDTime(nil, base.Add(d)))
		if len(cur) != idTimeLen || cur <= prev {
			t.Fatalf("time part at +%v = %q, not after %q", d, cur, prev)
		}
		prev = cur
	}
}
