package checkout

import (
	"fmt"
	"testing"
)

// TestQRCache: a hit returns the same SVG as encoding afresh, and the cache
// keeps at most its size, dropping the least recently used.
func TestQRCache(t *testing.T) {
	c := newQRCache(2)
	inv := func(i int) string { return fmt.Sprintf("lnbcrt%dn1pexample%d", 10+i, i) }
	for i := range 3 {
		want, err := qrSVG(inv(i))
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // a miss, then a hit
			got, err := c.svg(inv(i))
			if err != nil || got != want {
				t.Fatalf("svg(%s): %v, same as qrSVG: %v", inv(i), err, got == want)
			}
		}
		if i == 1 {
			c.svg(inv(0)) // 0 is now the most recently used
		}
	}
	if len(c.items) != 2 || c.order.Len() != 2 {
		t.Fatalf("%d items, %d in order; want 2", len(c.items), c.order.Len())
	}
	if _, ok := c.items[inv(1)]; ok {
		t.Fatal("the least recently used invoice was kept")
	}
	if _, ok := c.items[inv(0)]; !ok {
		t.Fatal("a recently used invoice was dropped")
	}
}
