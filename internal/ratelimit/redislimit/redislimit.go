// Package redislimit is a ratelimit limiter shared by every satsrail node
// through Redis. It counts in the same fixed one-minute windows as
// ratelimit.Memory, so a deployment can switch between the two without
// changing limits or headers: one INCR per request on the key
// "<prefix>:<key>:<window start, unix seconds>", done atomically with its
// expiry by a Lua script in one round trip.
package redislimit

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/satsrail/satsrail/internal/ratelimit"
)

// DefaultPrefix namespaces the counters when no prefix is given.
const DefaultPrefix = "satsrail:ratelimit"

// expiryMargin keeps a window's counter a little past the window's end, so a
// node whose clock runs slightly behind still finds the count instead of
// starting the window afresh. With it a counter lives at most 61s.
const expiryMargin = time.Second

// Timeouts Open applies unless the URL sets them. The limiter sits in front
// of every API request and lets requests through when it fails, so a slow or
// dead Redis should cost a request little time rather than stall it.
const (
	DefaultDialTimeout  = 500 * time.Millisecond
	DefaultReadTimeout  = 250 * time.Millisecond
	DefaultWriteTimeout = 250 * time.Millisecond
	DefaultPoolTimeout  = 500 * time.Millisecond
)

// incr counts one request and makes sure the counter expires. KEYS[1] is the
// window's counter, ARGV[1] its time to live in milliseconds. The expiry is
// set when the counter is created, and repaired if the key somehow has none.
var incr = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) == -1 then
	redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return n
`)

// Limiter is a fixed-window rate limiter whose counters live in Redis, so
// every node that shares the Redis and the prefix shares the limits. It is
// safe for concurrent use and satisfies httpapi.Limiter.
type Limiter struct {
	client redis.UniversalClient
	prefix string
}

// New returns a limiter counting in client under prefix ("" means
// DefaultPrefix). The client's own timeouts and retries apply; Open sets
// short ones.
func New(client redis.UniversalClient, prefix string) *Limiter {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &Limiter{client: client, prefix: prefix}
}

// Open connects to the Redis at a URL such as redis://user:pass@host:6379/0
// or rediss://... (see redis.ParseURL) and returns a limiter using
// DefaultPrefix. Dial, read, write and pool timeouts the URL doesn't set
// default to the short Default* values above; failed commands are not
// retried unless the URL sets max_retries (a retried INCR could count a
// request twice, and every retry adds to the time a failing Redis costs); a
// failed dial is never retried within a request; and a request context's
// deadline or cancellation is honoured. Open doesn't contact Redis; use Ping
// for that.
func Open(rawURL string) (*Limiter, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redislimit: %w", err)
	}
	u, err := url.Parse(rawURL)
	if err != nil { // ParseURL accepted it, so this doesn't happen
		return nil, fmt.Errorf("redislimit: %w", err)
	}
	q := u.Query()
	if !q.Has("dial_timeout") {
		opt.DialTimeout = DefaultDialTimeout
	}
	if !q.Has("read_timeout") {
		opt.ReadTimeout = DefaultReadTimeout
	}
	if !q.Has("write_timeout") {
		opt.WriteTimeout = DefaultWriteTimeout
	}
	if !q.Has("pool_timeout") {
		opt.PoolTimeout = DefaultPoolTimeout
	}
	if !q.Has("max_retries") {
		opt.MaxRetries = -1 // go-redis: -1 disables retries
	}
	// go-redis otherwise dials up to 5 times, 100ms apart, each attempt
	// with the full DialTimeout: nearly 3s per request against an
	// unreachable host. (The URL has no setting for this.)
	opt.DialerRetries = 1
	opt.ContextTimeoutEnabled = true
	return New(redis.NewClient(opt), DefaultPrefix), nil
}

// Allow counts one request for key against limit per ratelimit.Window at time
// now, like ratelimit.Memory.Allow: the window is now truncated to the
// minute. Requests refused over the limit still count, which changes nothing
// a caller sees: Remaining stays 0 until the window ends. On a Redis error it
// returns the error and a zero Decision; the API then lets the request
// through.
func (l *Limiter) Allow(ctx context.Context, key string, limit int, now time.Time) (ratelimit.Decision, error) {
	start := now.Truncate(ratelimit.Window)
	reset := start.Add(ratelimit.Window).Sub(now)
	ttl := (reset + expiryMargin + time.Millisecond - 1) / time.Millisecond
	k := l.prefix + ":" + key + ":" + strconv.FormatInt(start.Unix(), 10)
	count, err := incr.Run(ctx, l.client, []string{k}, int64(ttl)).Int64()
	if err != nil {
		return ratelimit.Decision{}, fmt.Errorf("redislimit: counting %q: %w", key, err)
	}
	return ratelimit.Decision{
		Allowed:   count <= int64(limit),
		Limit:     limit,
		Remaining: int(max(0, int64(limit)-count)),
		Reset:     reset,
	}, nil
}

// Ping reports whether Redis answers, for readiness checks.
func (l *Limiter) Ping(ctx context.Context) error {
	if err := l.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redislimit: ping: %w", err)
	}
	return nil
}

// Close closes the Redis client, including one passed to New.
func (l *Limiter) Close() error {
	if err := l.client.Close(); err != nil && !errors.Is(err, redis.ErrClosed) {
		return err
	}
	return nil
}
