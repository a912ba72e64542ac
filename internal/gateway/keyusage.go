package gateway

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// KeyUsageResolution is how exact "last used" is: a key's use is noted at
// most once per this long, and FlushKeyUsage is meant to run this often.
const KeyUsageResolution = time.Minute

// keyUsage notes when each API key was last used, in memory, so that
// authentication never writes to the database: a request costs a map read
// and an atomic load (a store only when the key's minute changed), and
// FlushKeyUsage writes every key used since its last run in one statement.
// A node that dies loses at most a minute of "last used", which is only
// ever shown, never relied on.
type keyUsage struct {
	keys sync.Map // key id → *keyUse
}

type keyUse struct {
	used    atomic.Int64 // unix seconds of the last use noted
	flushed atomic.Int64 // the value of used last written to the store
}

// note records that key id was used at now, unless a use within the last
// KeyUsageResolution is already noted.
func (u *keyUsage) note(id string, now time.Time) {
	v, ok := u.keys.Load(id)
	if !ok {
		v, _ = u.keys.LoadOrStore(id, new(keyUse))
	}
	e := v.(*keyUse)
	sec := now.Unix()
	if last := e.used.Load(); sec-last >= int64(KeyUsageResolution/time.Second) {
		e.used.CompareAndSwap(last, sec) // a lost race noted an equal time
	}
}

// pending returns the uses noted since the last flush, with a commit to
// call once they are stored.
func (u *keyUsage) pending() (map[string]time.Time, func()) {
	out := map[string]time.Time{}
	type mark struct {
		e    *keyUse
		used int64
	}
	var marks []mark
	u.keys.Range(func(k, v any) bool {
		e := v.(*keyUse)
		if used := e.used.Load(); used > e.flushed.Load() {
			out[k.(string)] = time.Unix(used, 0).UTC()
			marks = append(marks, mark{e, used})
		}
		return true
	})
	return out, func() {
		for _, m := range marks {
			m.e.flushed.Store(m.used)
		}
	}
}

// FlushKeyUsage writes the "last used" times noted on this node since the
// last flush, in one store statement, and returns how many keys it wrote.
// The housekeeping worker (worker/expire) runs it every
// KeyUsageResolution and once at shutdown.
func (s *Service) FlushKeyUsage(ctx context.Context) (int, error) {
	used, commit := s.usage.pending()
	if len(used) == 0 {
		return 0, nil
	}
	if err := s.store.RecordKeyUsage(ctx, used); err != nil {
		return 0, fmt.Errorf("flush key usage: %w", err)
	}
	commit()
	return len(used), nil
}

// ListAPIKeys lists merchant id's active keys, each with when it was last
// used (to within KeyUsageResolution, as flushed by the nodes).
func (s *Service) ListAPIKeys(ctx context.Context, merchantID string) ([]APIKey, error) {
	return s.store.ListAPIKeys(ctx, merchantID)
}
