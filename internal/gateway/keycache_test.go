package gateway

import (
	"context"
	"errors"
	"testing"
	"time"
)

// versionSource is a store's CredentialsVersion that counts its reads.
type versionSource struct {
	n     int64
	reads int
	err   error
}

func (v *versionSource) read(context.Context) (int64, error) {
	v.reads++
	return v.n, v.err
}

func TestKeyCache(t *testing.T) {
	ctx := t.Context()
	clock := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	newCache := func(recheck time.Duration) (*keyCache, *versionSource) {
		c := newKeyCache(recheck)
		c.now = func() time.Time { return clock }
		return c, &versionSource{n: 7}
	}
	hash, p := []byte("hash-1"), Principal{Merchant: Merchant{ID: "mer_1", Status: "active"}, Key: APIKey{ID: "key_1"}}
	current := func(t *testing.T, c *keyCache, src *versionSource) int64 {
		t.Helper()
		v, err := c.current(ctx, src.read)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	t.Run("within recheck the version is read once and the principal kept", func(t *testing.T) {
		c, src := newCache(time.Millisecond)
		v := current(t, c, src)
		c.put(hash, p, v)
		for range 5 {
			current(t, c, src)
			if got, ok := c.get(hash); !ok || got.Key.ID != "key_1" {
				t.Fatalf("get = %+v, %v; want the kept principal", got, ok)
			}
		}
		if src.reads != 1 {
			t.Errorf("version read %d times within recheck, want 1", src.reads)
		}
		if c.recheck != DefaultKeyRecheck {
			t.Errorf("a zero recheck became %v, want %v", c.recheck, DefaultKeyRecheck)
		}
	})

	t.Run("after recheck a new version empties the cache", func(t *testing.T) {
		c, src := newCache(time.Millisecond)
		c.put(hash, p, current(t, c, src))
		src.n++ // a key was revoked elsewhere
		clock = clock.Add(500 * time.Microsecond)
		current(t, c, src)
		if _, ok := c.get(hash); !ok {
			t.Fatal("the principal was dropped before recheck passed")
		}
		clock = clock.Add(500 * time.Microsecond)
		if v := current(t, c, src); v != 8 {
			t.Errorf("version = %d, want 8", v)
		}
		if _, ok := c.get(hash); ok {
			t.Error("the principal outlived a new credentials version")
		}
		if src.reads != 2 {
			t.Errorf("version read %d times, want 2", src.reads)
		}
	})

	t.Run("the same version after recheck keeps the cache", func(t *testing.T) {
		c, src := newCache(time.Millisecond)
		c.put(hash, p, current(t, c, src))
		clock = clock.Add(time.Hour)
		current(t, c, src)
		if _, ok := c.get(hash); !ok {
			t.Error("the principal was dropped though nothing changed")
		}
	})

	t.Run("a clock that steps back rechecks", func(t *testing.T) {
		c, src := newCache(time.Hour)
		current(t, c, src)
		clock = clock.Add(-time.Second)
		current(t, c, src)
		if src.reads != 2 {
			t.Errorf("version read %d times, want 2", src.reads)
		}
	})

	t.Run("a principal read under an older version is not kept", func(t *testing.T) {
		c, src := newCache(-1) // every request rechecks
		old := current(t, c, src)
		src.n++
		current(t, c, src) // another request saw the change meanwhile
		c.put(hash, p, old)
		if _, ok := c.get(hash); ok {
			t.Error("kept a principal read before the version changed")
		}
		if src.reads != 2 {
			t.Errorf("a negative recheck read the version %d times for 2 requests, want 2", src.reads)
		}
	})

	t.Run("reset rechecks on the next request", func(t *testing.T) {
		c, src := newCache(time.Hour)
		c.put(hash, p, current(t, c, src))
		src.n++ // revoked through this Service
		c.reset()
		c.put(hash, p, 7) // a lookup that raced the revocation
		current(t, c, src)
		if _, ok := c.get(hash); ok {
			t.Error("the principal outlived reset and a new version")
		}
	})

	t.Run("a failed read keeps nothing and is retried", func(t *testing.T) {
		c, src := newCache(time.Hour)
		src.err = errors.New("database is down")
		if _, err := c.current(ctx, src.read); err == nil {
			t.Fatal("current hid the store's error")
		}
		c.put(hash, p, 0)
		if _, ok := c.get(hash); ok {
			t.Error("kept a principal before any version was read")
		}
		src.err = nil
		current(t, c, src)
		if src.reads != 2 {
			t.Errorf("version read %d times, want 2", src.reads)
		}
	})

	t.Run("a full cache starts over", func(t *testing.T) {
		c, src := newCache(time.Hour)
		v := current(t, c, src)
		for i := range maxCachedKeys + 1 {
			c.put([]byte{byte(i), byte(i >> 8), byte(i >> 16)}, p, v)
		}
		if n := len(c.keys); n != 1 {
			t.Errorf("%d principals kept after overflowing, want 1", n)
		}
	})
}
