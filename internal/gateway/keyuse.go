package gateway

import (
	"context"
	"sync"
	"time"
)

// keyUseEvery is how often a key's "last used" is written: the dashboard
// shows it to the minute, and a busy key must not cost a write per request.
const keyUseEvery = time.Minute

// keyUse remembers, per node, when each key's use was last written.
type keyUse struct {
	mu      sync.Mutex
	written map[string]time.Time // key id → last write
}

// due reports whether key id's use should be written at now, and if so
// counts it as written.
func (u *keyUse) due(id string, now time.Time) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.written == nil {
		u.written = map[string]time.Time{}
	}
	if last, ok := u.written[id]; ok && now.Sub(last) < keyUseEvery {
		return false
	}
	u.written[id] = now
	return true
}

// NoteKeyUse records that a key authenticated a request, at most once a
// minute per key on this node (the API keys page shows "last used").
func (s *Service) NoteKeyUse(ctx context.Context, keyID string) error {
	now := s.Now()
	if !s.use.due(keyID, now) {
		return nil
	}
	return s.store.TouchAPIKeyUse(ctx, keyID, now)
}
