package ratelimit

import (
	"context"
	"testing"
	"time"
)

func TestMemoryFixedWindow(t *testing.T) {
	m := NewMemory()
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 10, 0, 15, 0, time.UTC)
	for i := range 3 {
		d, _ := m.Allow(ctx, "k", 3, t0.Add(time.Duration(i)*time.Second))
		if !d.Allowed || d.Remaining != 2-i || d.Limit != 3 {
			t.Fatalf("request %d: %+v", i, d)
		}
	}
	d, _ := m.Allow(ctx, "k", 3, t0.Add(5*time.Second))
	if d.Allowed || d.Remaining != 0 || d.Reset != 40*time.Second {
		t.Fatalf("4th request: %+v, want refused with 40s to reset", d)
	}
	if d, _ := m.Allow(ctx, "other", 3, t0); !d.Allowed {
		t.Fatalf("other key limited: %+v", d)
	}
	if d, _ := m.Allow(ctx, "k", 3, t0.Add(45*time.Second)); !d.Allowed || d.Remaining != 2 {
		t.Fatalf("next window: %+v", d)
	}
}

func TestMemorySweepsOldWindows(t *testing.T) {
	m := NewMemory()
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	for _, k := range []string{"a", "b", "c"} {
		m.Allow(ctx, k, 10, t0)
	}
	m.Allow(ctx, "d", 10, t0.Add(3*time.Minute))
	if len(m.windows) != 1 {
		t.Fatalf("windows after sweep = %d, want 1", len(m.windows))
	}
}
