// Package ratelimit counts requests per key in fixed one-minute windows. The
// in-memory Memory limiter serves one node; a shared limiter (Redis) can stand
// in for it behind the same method set.
package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Window is the length of one counting window.
const Window = time.Minute

// Decision is the outcome of one request against a limit.
type Decision struct {
	Allowed   bool
	Limit     int
	Remaining int
	// Reset is the time left until the window restarts.
	Reset time.Duration
}

// Memory is an in-process fixed-window limiter, safe for concurrent use.
type Memory struct {
	mu      sync.Mutex
	windows map[string]*window
	swept   time.Time
}

type window struct {
	start time.Time
	count int
}

// NewMemory returns an empty in-memory limiter.
func NewMemory() *Memory { return &Memory{windows: make(map[string]*window)} }

// Allow counts one request for key against limit per Window at time now.
func (m *Memory) Allow(_ context.Context, key string, limit int, now time.Time) (Decision, error) {
	start := now.Truncate(Window)
	m.mu.Lock()
	defer m.mu.Unlock()
	if now.Sub(m.swept) > Window {
		m.sweep(start)
		m.swept = now
	}
	w := m.windows[key]
	if w == nil || !w.start.Equal(start) {
		w = &window{start: start}
		m.windows[key] = w
	}
	d := Decision{Limit: limit, Reset: start.Add(Window).Sub(now)}
	if w.count >= limit {
		return d, nil
	}
	w.count++
	d.Allowed = true
	d.Remaining = limit - w.count
	return d, nil
}

// sweep drops windows that ended, so idle keys don't accumulate.
func (m *Memory) sweep(current time.Time) {
	for k, w := range m.windows {
		if w.start.Before(current) {
			delete(m.windows, k)
		}
	}
}
