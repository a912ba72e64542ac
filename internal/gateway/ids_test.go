package gateway

import (
	"strings"
	"testing"
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
