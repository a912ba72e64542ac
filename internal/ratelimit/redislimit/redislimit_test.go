package redislimit

import (
	"context"
	"crypto/rand"
	mrand "math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/satsrail/satsrail/internal/httpapi"
	"github.com/satsrail/satsrail/internal/ratelimit"
)

var _ httpapi.Limiter = (*Limiter)(nil)

// redisURL is the Redis the tests need; CI starts it.
const redisURL = "redis://127.0.0.1:6379/0"

// newClient connects to the test Redis, failing the test if it is down.
func newClient(t *testing.T) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("these tests need a real Redis at %s, and it doesn't answer: %v\n"+
			"start it with: redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save \"\" --appendonly no",
			redisURL, err)
	}
	return c
}

// testPrefix returns a prefix unique to this run and test, and deletes every
// key under it when the test ends.
func testPrefix(t *testing.T, c *redis.Client) string {
	t.Helper()
	prefix := "satsrail-test:" + strings.ReplaceAll(t.Name(), "/", "-") + ":" + rand.Text()[:12]
	t.Cleanup(func() {
		ctx := context.Background()
		var keys []string
		iter := c.Scan(ctx, 0, prefix+":*", 1000).Iterator()
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Errorf("cleanup: listing keys: %v", err)
			return
		}
		if len(keys) > 0 {
			if err := c.Del(ctx, keys...).Err(); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
	})
	return prefix
}

// node returns a limiter on its own Redis connection, as a separate node
// would have.
func node(t *testing.T, prefix string) *Limiter {
	t.Helper()
	return New(newClient(t), prefix)
}

func allow(t *testing.T, l *Limiter, key string, limit int, now time.Time) ratelimit.Decision {
	t.Helper()
	d, err := l.Allow(context.Background(), key, limit, now)
	if err != nil {
		t.Fatalf("Allow(%q, %d, %s): %v", key, limit, now.Format(time.TimeOnly), err)
	}
	return d
}

// TestFixedWindow mirrors ratelimit's TestMemoryFixedWindow.
func TestFixedWindow(t *testing.T) {
	c := newClient(t)
	l := New(c, testPrefix(t, c))
	t0 := time.Date(2026, 1, 1, 10, 0, 15, 0, time.UTC)
	for i := range 3 {
		d := allow(t, l, "k", 3, t0.Add(time.Duration(i)*time.Second))
		want := ratelimit.Decision{Allowed: true, Limit: 3, Remaining: 2 - i, Reset: 45*time.Second - time.Duration(i)*time.Second}
		if d != want {
			t.Fatalf("request %d: %+v, want %+v", i, d, want)
		}
	}
	for range 2 { // refused requests keep being refused with nothing left
		d := allow(t, l, "k", 3, t0.Add(5*time.Second))
		if want := (ratelimit.Decision{Limit: 3, Reset: 40 * time.Second}); d != want {
			t.Fatalf("over the limit: %+v, want %+v", d, want)
		}
	}
	if d := allow(t, l, "other", 3, t0); !d.Allowed || d.Remaining != 2 {
		t.Fatalf("other key limited: %+v", d)
	}
	d := allow(t, l, "k", 3, t0.Add(45*time.Second))
	if want := (ratelimit.Decision{Allowed: true, Limit: 3, Remaining: 2, Reset: 60 * time.Second}); d != want {
		t.Fatalf("next window: %+v, want %+v", d, want)
	}
	// Sub-second precision of Reset, as Memory has it.
	d = allow(t, l, "k", 3, t0.Add(45*time.Second+250*time.Millisecond))
	if d.Reset != 59*time.Second+750*time.Millisecond || d.Remaining != 1 {
		t.Fatalf("same window, later: %+v", d)
	}
}

// TestMatchesMemory plays one random request sequence against Memory and the
// Redis limiter and expects the same decisions. Each key keeps its limit, as
// the API's do (a fixed per-IP limit, a per-merchant limit): Memory stops
// counting at the limit while Redis counts refused requests too, which only
// shows if a key's limit rises within a window.
func TestMatchesMemory(t *testing.T) {
	c := newClient(t)
	l := New(c, testPrefix(t, c))
	m := ratelimit.NewMemory()
	ctx := context.Background()
	rng := mrand.New(mrand.NewPCG(1, 2))
	keys := []string{"ip:10.0.0.1", "ip:10.0.0.2", "key:ak_1", "key:ak_2"}
	limits := map[string]int{"ip:10.0.0.1": 15, "ip:10.0.0.2": 1, "key:ak_1": 7, "key:ak_2": 40}
	seen := map[bool]int{}
	now := time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC)
	for i := range 2000 {
		now = now.Add(time.Duration(rng.IntN(300)) * time.Millisecond)
		key := keys[rng.IntN(len(keys))]
		limit := limits[key]
		want, _ := m.Allow(ctx, key, limit, now)
		seen[want.Allowed]++
		got := allow(t, l, key, limit, now)
		if got != want {
			t.Fatalf("request %d (%s, limit %d, at %s): redis %+v, memory %+v",
				i, key, limit, now.Format(time.StampMilli), got, want)
		}
	}
	if seen[true] < 100 || seen[false] < 100 {
		t.Fatalf("allowed %d, refused %d: the sequence doesn't exercise both", seen[true], seen[false])
	}
}

// TestSharedAcrossNodes checks two limiters on separate connections count
// against one limit.
func TestSharedAcrossNodes(t *testing.T) {
	c := newClient(t)
	prefix := testPrefix(t, c)
	a, b := node(t, prefix), node(t, prefix)
	t0 := time.Date(2026, 1, 1, 10, 0, 30, 0, time.UTC)
	for i, l := range []*Limiter{a, b, a, b} {
		d := allow(t, l, "key:ak_shared", 4, t0)
		if !d.Allowed || d.Remaining != 3-i {
			t.Fatalf("request %d: %+v", i, d)
		}
	}
	for _, l := range []*Limiter{a, b} {
		if d := allow(t, l, "key:ak_shared", 4, t0); d.Allowed || d.Remaining != 0 {
			t.Fatalf("5th request allowed on one node: %+v", d)
		}
	}
	// Another prefix is another deployment: its counters are separate.
	if d := allow(t, New(c, testPrefix(t, c)), "key:ak_shared", 4, t0); !d.Allowed || d.Remaining != 3 {
		t.Fatalf("other prefix: %+v", d)
	}
}

// TestConcurrentNodes hammers one key from two nodes at once.
func TestConcurrentNodes(t *testing.T) {
	const (
		limit      = 50
		goroutines = 20 // per node
		requests   = 10 // per goroutine
	)
	c := newClient(t)
	prefix := testPrefix(t, c)
	nodes := []*Limiter{node(t, prefix), node(t, prefix)}
	now := time.Date(2026, 1, 1, 10, 0, 5, 0, time.UTC) // fixed: no window change mid-test
	var allowed, refused, failed atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, l := range nodes {
		for range goroutines {
			wg.Go(func() {
				<-start
				for range requests {
					d, err := l.Allow(context.Background(), "key:hot", limit, now)
					switch {
					case err != nil:
						failed.Add(1)
					case d.Allowed:
						allowed.Add(1)
					default:
						refused.Add(1)
					}
				}
			})
		}
	}
	close(start)
	wg.Wait()
	total := int64(len(nodes) * goroutines * requests)
	if failed.Load() != 0 || allowed.Load() != limit || refused.Load() != total-limit {
		t.Fatalf("allowed %d, refused %d, failed %d of %d; want exactly %d allowed",
			allowed.Load(), refused.Load(), failed.Load(), total, limit)
	}
	k := prefix + ":key:hot:" + itoa(now.Truncate(time.Minute).Unix())
	if n, err := c.Get(context.Background(), k).Int64(); err != nil || n != total {
		t.Fatalf("counter %s = %d, %v; want %d", k, n, err, total)
	}
}

// TestCountersExpire checks every counter gets a TTL of at most 61s, ending
// shortly after its window.
func TestCountersExpire(t *testing.T) {
	c := newClient(t)
	prefix := testPrefix(t, c)
	l := New(c, prefix)
	ctx := context.Background()
	minute := time.Date(2026, 1, 1, 10, 7, 0, 0, time.UTC)
	for _, tc := range []struct {
		offset   time.Duration
		min, max time.Duration
	}{
		{0, 60 * time.Second, 61 * time.Second},
		{15 * time.Second, 45 * time.Second, 46 * time.Second},
		{59*time.Second + 900*time.Millisecond, 1 * time.Second, 1100 * time.Millisecond},
	} {
		key := "ttl:" + tc.offset.String()
		allow(t, l, key, 5, minute.Add(tc.offset))
		allow(t, l, key, 5, minute.Add(tc.offset)) // a second hit must not extend it
		k := prefix + ":" + key + ":" + itoa(minute.Unix())
		ttl, err := c.PTTL(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		// allow some slack below for time passing between Allow and PTTL
		if ttl > tc.max || ttl < tc.min-time.Second {
			t.Errorf("at +%s: TTL of %s = %s, want in (%s, %s]", tc.offset, k, ttl, tc.min-time.Second, tc.max)
		}
	}

	// A counter that lost its expiry (say, written by hand) gets one back.
	k := prefix + ":stray:" + itoa(minute.Unix())
	if err := c.Set(ctx, k, 2, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if d := allow(t, l, "stray", 5, minute.Add(30*time.Second)); d.Remaining != 2 {
		t.Fatalf("stray counter: %+v, want 2 remaining", d)
	}
	if ttl := c.PTTL(ctx, k).Val(); ttl <= 0 || ttl > 31*time.Second {
		t.Fatalf("stray counter TTL = %s, want in (0, 31s]", ttl)
	}

	// And the counters really do vanish: one counted 100ms before its
	// window ends lives 1.1s.
	k = prefix + ":vanish:" + itoa(minute.Unix())
	allow(t, l, "vanish", 5, minute.Add(time.Minute-100*time.Millisecond))
	deadline := time.Now().Add(3 * time.Second)
	for c.Exists(ctx, k).Val() == 1 {
		if time.Now().After(deadline) {
			t.Fatalf("%s still exists 3s after its window ended", k)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDeadRedis checks a Redis that can't be reached fails Allow and Ping
// fast, with an error, rather than stalling the request.
func TestDeadRedis(t *testing.T) {
	l, err := Open("redis://127.0.0.1:1/0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ctx := context.Background()
	for i := range 3 {
		began := time.Now()
		d, err := l.Allow(ctx, "ip:10.0.0.1", 10, time.Now())
		if took := time.Since(began); took >= time.Second {
			t.Fatalf("Allow %d took %s against a dead Redis, want < 1s", i, took)
		}
		if err == nil {
			t.Fatalf("Allow %d against a dead Redis: no error, %+v", i, d)
		}
		if d != (ratelimit.Decision{}) {
			t.Fatalf("Allow %d: error with a decision %+v", i, d)
		}
	}
	began := time.Now()
	if err := l.Ping(ctx); err == nil {
		t.Fatal("Ping of a dead Redis: no error")
	}
	if took := time.Since(began); took >= time.Second {
		t.Fatalf("Ping took %s against a dead Redis", took)
	}
}

// TestUnresponsiveRedis checks the timeouts Open sets: a server that accepts
// connections but never answers costs a request well under a second.
func TestUnresponsiveRedis(t *testing.T) {
	ln := listenSilent(t)
	l, err := Open("redis://" + ln + "/0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	began := time.Now()
	_, err = l.Allow(context.Background(), "ip:10.0.0.1", 10, time.Now())
	if took := time.Since(began); took >= time.Second {
		t.Fatalf("Allow took %s against a silent Redis, want < 1s", took)
	}
	if err == nil {
		t.Fatal("Allow against a silent Redis: no error")
	}
}

func TestOpen(t *testing.T) {
	newClient(t) // fail clearly if Redis is down
	l, err := Open(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if err := l.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if l.prefix != DefaultPrefix {
		t.Fatalf("prefix = %q, want %q", l.prefix, DefaultPrefix)
	}
	opt := l.client.(*redis.Client).Options()
	if opt.DialTimeout != DefaultDialTimeout || opt.ReadTimeout != DefaultReadTimeout ||
		opt.WriteTimeout != DefaultWriteTimeout || opt.PoolTimeout != DefaultPoolTimeout ||
		opt.MaxRetries != 0 || opt.DialerRetries != 1 || !opt.ContextTimeoutEnabled {
		t.Fatalf("options: %+v", opt)
	}
	// Counting works through an opened limiter too (under a test prefix).
	c := newClient(t)
	l.prefix = testPrefix(t, c)
	if d, err := l.Allow(context.Background(), "k", 1, time.Now()); err != nil || !d.Allowed {
		t.Fatalf("Allow: %+v, %v", d, err)
	}

	// The URL's own settings win.
	l2, err := Open(redisURL + "?read_timeout=2s&max_retries=2")
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	opt = l2.client.(*redis.Client).Options()
	if opt.ReadTimeout != 2*time.Second || opt.MaxRetries != 2 || opt.DialTimeout != DefaultDialTimeout {
		t.Fatalf("URL options: read %s retries %d dial %s", opt.ReadTimeout, opt.MaxRetries, opt.DialTimeout)
	}

	for _, bad := range []string{"", "http://127.0.0.1:6379", "redis://127.0.0.1:6379/0?bogus=1"} {
		if _, err := Open(bad); err == nil {
			t.Errorf("Open(%q): no error", bad)
		}
	}
}

func TestEmptyPrefix(t *testing.T) {
	if l := New(nil, ""); l.prefix != DefaultPrefix {
		t.Fatalf("prefix = %q", l.prefix)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// listenSilent accepts connections and never answers; it returns its address.
func listenSilent(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}
