package gateway

import (
	"context"
	"sync"
	"time"
)

// DefaultKeyRecheck is how long a node trusts the principals it keeps in
// memory before it asks the store again whether any key or merchant changed.
const DefaultKeyRecheck = time.Millisecond

// maxCachedKeys bounds the principals kept; when full, the cache starts over.
const maxCachedKeys = 10_000

// keyCache keeps the principals of the API keys a node has seen, so a
// request does not look its key up in the store. Revocation stays
// immediate in practice: the store's CredentialsVersion changes in the
// transaction that revokes a key (or changes a merchant), on any node or
// process, and the cache is emptied as soon as it sees a new version. It
// re-reads the version when its last read is older than recheck (1 ms by
// default) — one read of one row an interval in place of a key lookup on
// every request — so a key revoked by another process works for at most that
// long more. A key rolled through this Service is refused at once (reset).
// Unknown keys are never kept.
type keyCache struct {
	recheck time.Duration // < 0: ask on every request
	now     func() time.Time

	refresh sync.Mutex // one caller re-reads the version at a time

	mu      sync.RWMutex
	version int64
	checked time.Time            // when the version read began; zero: read it first
	keys    map[string]Principal // by key hash, all read under version
}

func newKeyCache(recheck time.Duration) *keyCache {
	if recheck == 0 {
		recheck = DefaultKeyRecheck
	}
	return &keyCache{recheck: recheck, now: time.Now, keys: map[string]Principal{}}
}

// current returns the credentials version that principals read now must be
// kept under, re-reading it (Store.CredentialsVersion) when the last read
// is older than recheck; a new version empties the cache.
func (c *keyCache) current(ctx context.Context, read func(context.Context) (int64, error)) (int64, error) {
	if v, ok := c.fresh(); ok {
		return v, nil
	}
	c.refresh.Lock()
	defer c.refresh.Unlock()
	if v, ok := c.fresh(); ok {
		return v, nil // another caller re-read it meanwhile
	}
	start := c.now()
	v, err := read(ctx)
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if v != c.version {
		c.version, c.keys = v, map[string]Principal{}
	}
	// Changes committed before the read began are in v: the cache is
	// current as of start, not as of now.
	c.checked = start
	return v, nil
}

func (c *keyCache) fresh() (int64, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.recheck < 0 || c.checked.IsZero() {
		return 0, false
	}
	age := c.now().Sub(c.checked)
	return c.version, age >= 0 && age < c.recheck
}

// get returns a copy of the principal kept for hash.
func (c *keyCache) get(hash []byte) (*Principal, bool) {
	c.mu.RLock()
	p, ok := c.keys[string(hash)]
	c.mu.RUnlock()
	return &p, ok
}

// put keeps p, read from the store after version was current, unless the
// version has changed since: then p may already be stale.
func (c *keyCache) put(hash []byte, p Principal, version int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if version != c.version || c.checked.IsZero() {
		return
	}
	if len(c.keys) >= maxCachedKeys {
		c.keys = map[string]Principal{}
	}
	c.keys[string(hash)] = p
}

// reset makes the next request re-read the version (after a change made
// through this Service, which need not wait for recheck).
func (c *keyCache) reset() {
	c.mu.Lock()
	c.checked = time.Time{}
	c.mu.Unlock()
}
