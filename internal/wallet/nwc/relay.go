package nwc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/nbd-wtf/go-nostr"
)

const (
	// readLimit bounds one relay message: NWC events are a few KiB.
	readLimit = 1 << 20
	// pingInterval is how often an idle connection is probed: relays and
	// NATs drop silent websockets, and a dead one must be noticed.
	pingInterval = 30 * time.Second
	// subBuffer is how many events a subscription holds for its reader
	// before it is declared lost (its reader then reconciles).
	subBuffer = 256
	// minBackoff is the first wait before redialling a relay.
	minBackoff = 250 * time.Millisecond
)

// errRelayLost ends a subscription whose connection dropped: events sent
// meanwhile (ephemeral, never stored) are gone.
var errRelayLost = errors.New("relay connection lost")

// relay keeps one websocket to one relay while anyone uses it: it dials on
// first use, redials with backoff after a loss, and closes after linger
// without users. Subscriptions live on one connection and end with it.
type relay struct {
	url        string
	dial       func(ctx context.Context) (*websocket.Conn, error)
	log        *slog.Logger
	maxBackoff time.Duration
	linger     time.Duration

	mu      sync.Mutex
	conn    *websocket.Conn // nil while down
	up      chan struct{}   // closed when conn is set; a fresh one while down
	lastErr error           // why the last dial or connection failed
	users   int
	running bool
	wake    chan struct{} // cuts a backoff wait short when users return
	idle    *time.Timer
	subs    map[string]*subscription
	oks     map[string]chan nostr.OKEnvelope
}

// subscription is one REQ on one connection of a relay.
type subscription struct {
	id     string
	conn   *websocket.Conn
	events chan *nostr.Event
	eose   chan struct{} // closed at the relay's EOSE
	done   chan struct{} // closed when the subscription ends
	err    error         // why, once done is closed
	once   sync.Once
}

func (s *subscription) end(err error) {
	s.once.Do(func() {
		s.err = err
		close(s.done)
	})
}

var subCounter atomic.Uint64

func newRelay(url string, dial func(ctx context.Context) (*websocket.Conn, error), log *slog.Logger, maxBackoff, linger time.Duration) *relay {
	return &relay{
		url: url, dial: dial, log: log, maxBackoff: maxBackoff, linger: linger,
		up:   make(chan struct{}),
		wake: make(chan struct{}, 1),
		subs: map[string]*subscription{},
		oks:  map[string]chan nostr.OKEnvelope{},
	}
}

// acquire marks the relay in use, starting its connection if needed; each
// acquire needs one release.
func (r *relay) acquire() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.users++
	if r.idle != nil {
		r.idle.Stop()
		r.idle = nil
	}
	if !r.running {
		r.running = true
		go r.run()
	}
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// release ends one use; the connection closes after linger unused.
func (r *relay) release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.users--
	if r.users == 0 && r.idle == nil {
		r.idle = time.AfterFunc(r.linger, r.closeIfIdle)
	}
}

func (r *relay) closeIfIdle() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.idle = nil
	if r.users > 0 {
		return
	}
	if r.conn != nil {
		r.conn.CloseNow()
	}
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// run dials, reads and redials until the relay is unused.
func (r *relay) run() {
	backoff := minBackoff
	for {
		r.mu.Lock()
		if r.users == 0 && r.idle == nil {
			r.running = false
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		conn, err := r.dial(ctx)
		cancel()
		if err == nil {
			began := time.Now()
			conn.SetReadLimit(readLimit)
			r.setConn(conn)
			err = r.read(conn)
			r.dropConn(conn, err)
			if time.Since(began) > time.Minute {
				backoff = minBackoff // it was healthy for a while
			}
		} else {
			r.mu.Lock()
			r.lastErr = err
			r.mu.Unlock()
		}
		r.mu.Lock()
		unused := r.users == 0
		r.mu.Unlock()
		if unused {
			continue // closed for idleness: the loop ends unless users came back
		}
		r.log.Warn("nwc relay connection failed; redialling", "relay", r.url, "err", err, "retry_in", backoff.String())
		select {
		case <-time.After(backoff):
		case <-r.wake:
		}
		backoff = min(backoff*2, r.maxBackoff)
	}
}

func (r *relay) setConn(conn *websocket.Conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.conn, r.lastErr = conn, nil
	close(r.up)
}

// dropConn ends everything that lived on conn.
func (r *relay) dropConn(conn *websocket.Conn, err error) {
	conn.CloseNow()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.conn, r.lastErr = nil, err
	r.up = make(chan struct{})
	lost := fmt.Errorf("%w: %s: %v", errRelayLost, r.url, err)
	for id, s := range r.subs {
		if s.conn == conn {
			s.end(lost)
			delete(r.subs, id)
		}
	}
	for id, ch := range r.oks {
		close(ch)
		delete(r.oks, id)
	}
}

// read dispatches conn's messages until it fails, pinging it meanwhile.
func (r *relay) read(conn *websocket.Conn) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		t := time.NewTicker(pingInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				pctx, pcancel := context.WithTimeout(ctx, 10*time.Second)
				err := conn.Ping(pctx)
				pcancel()
				if err != nil && ctx.Err() == nil {
					conn.CloseNow()
					return
				}
			}
		}
	}()
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			return err
		}
		r.dispatch(conn, nostr.ParseMessage(string(data)))
	}
}

func (r *relay) dispatch(conn *websocket.Conn, env nostr.Envelope) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch env := env.(type) {
	case *nostr.EventEnvelope:
		if env.SubscriptionID == nil {
			return
		}
		s := r.subs[*env.SubscriptionID]
		if s == nil || s.conn != conn {
			return
		}
		ev := env.Event
		select {
		case s.events <- &ev:
		default:
			// The reader fell behind: end the subscription rather than
			// drop an event silently; its reader reconciles.
			s.end(fmt.Errorf("%w: %s: subscription overflowed", errRelayLost, r.url))
			delete(r.subs, s.id)
			r.send(conn, nostr.CloseEnvelope(s.id))
		}
	case *nostr.EOSEEnvelope:
		if s := r.subs[string(*env)]; s != nil && s.conn == conn {
			select {
			case <-s.eose:
			default:
				close(s.eose)
			}
		}
	case *nostr.ClosedEnvelope:
		if s := r.subs[env.SubscriptionID]; s != nil && s.conn == conn {
			s.end(fmt.Errorf("relay %s closed the subscription: %s", r.url, env.Reason))
			delete(r.subs, s.id)
		}
	case *nostr.OKEnvelope:
		if ch, ok := r.oks[env.EventID]; ok {
			ch <- *env
			delete(r.oks, env.EventID)
		}
	case *nostr.NoticeEnvelope:
		r.log.Debug("nwc relay notice", "relay", r.url, "notice", string(*env))
	}
}

// send writes one envelope without waiting long: the caller holds r.mu.
func (r *relay) send(conn *websocket.Conn, env json.Marshaler) error {
	b, err := json.Marshal(env)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return conn.Write(ctx, websocket.MessageText, b)
}

// connected waits until the relay has a connection and returns it.
func (r *relay) connected(ctx context.Context) (*websocket.Conn, error) {
	for {
		r.mu.Lock()
		conn, up := r.conn, r.up
		r.mu.Unlock()
		if conn != nil {
			return conn, nil
		}
		select {
		case <-up:
		case <-ctx.Done():
			r.mu.Lock()
			lastErr := r.lastErr // why the dials so far failed
			r.mu.Unlock()
			if lastErr != nil {
				return nil, fmt.Errorf("relay %s: %w (%v)", r.url, context.Cause(ctx), lastErr)
			}
			return nil, fmt.Errorf("relay %s: %w", r.url, context.Cause(ctx))
		}
	}
}

// subscribe sends a REQ once the relay is connected and returns when the
// relay has answered EOSE: from then on the relay delivers matching events
// (a relay may handle messages concurrently, so a REQ merely sent before
// an EVENT does not promise that).
func (r *relay) subscribe(ctx context.Context, filters ...nostr.Filter) (*subscription, error) {
	conn, err := r.connected(ctx)
	if err != nil {
		return nil, err
	}
	s := &subscription{
		id:     "nwc" + strconv.FormatUint(subCounter.Add(1), 10),
		conn:   conn,
		events: make(chan *nostr.Event, subBuffer),
		eose:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	r.mu.Lock()
	if r.conn != conn {
		r.mu.Unlock()
		return nil, fmt.Errorf("%w: %s", errRelayLost, r.url)
	}
	r.subs[s.id] = s
	err = r.send(conn, nostr.ReqEnvelope{SubscriptionID: s.id, Filters: filters})
	r.mu.Unlock()
	if err != nil {
		r.unsubscribe(s)
		return nil, fmt.Errorf("relay %s: subscribe: %w", r.url, err)
	}
	select {
	case <-s.eose:
		return s, nil
	case <-s.done:
		return nil, s.err
	case <-ctx.Done():
		r.unsubscribe(s)
		return nil, fmt.Errorf("relay %s: no EOSE: %w", r.url, context.Cause(ctx))
	}
}

// unsubscribe ends s and tells the relay, if s's connection is still up.
func (r *relay) unsubscribe(s *subscription) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.subs[s.id] == s {
		delete(r.subs, s.id)
		if r.conn == s.conn {
			r.send(s.conn, nostr.CloseEnvelope(s.id))
		}
	}
	s.end(errors.New("unsubscribed"))
}

// publish sends ev on conn (the connection its response subscription
// lives on) and waits for the relay's OK.
func (r *relay) publish(ctx context.Context, conn *websocket.Conn, ev *nostr.Event) error {
	ok := make(chan nostr.OKEnvelope, 1)
	r.mu.Lock()
	if r.conn != conn {
		r.mu.Unlock()
		return fmt.Errorf("%w: %s", errRelayLost, r.url)
	}
	r.oks[ev.ID] = ok
	err := r.send(conn, nostr.EventEnvelope{Event: *ev})
	r.mu.Unlock()
	if err != nil {
		return fmt.Errorf("relay %s: publish: %w", r.url, err)
	}
	select {
	case res, open := <-ok:
		switch {
		case !open:
			return fmt.Errorf("%w: %s", errRelayLost, r.url)
		case !res.OK:
			return refused(r.url, res.Reason)
		}
		return nil
	case <-ctx.Done():
		r.mu.Lock()
		delete(r.oks, ev.ID)
		r.mu.Unlock()
		return fmt.Errorf("relay %s: no OK: %w", r.url, context.Cause(ctx))
	}
}

// refused explains a relay's OK false by its NIP-01 prefix only: the rest
// is the remote's text.
func refused(url, reason string) error {
	prefix, _, _ := strings.Cut(reason, ":")
	switch prefix {
	case "mute":
		// khatru and others say so when nobody subscribed to the event.
		return fmt.Errorf("relay %s: no wallet service is listening (is Alby Hub running and online?)", url)
	case "duplicate", "pow", "blocked", "rate-limited", "invalid", "restricted", "auth-required", "error":
		return fmt.Errorf("relay %s refused the request (%s)", url, prefix)
	}
	return fmt.Errorf("relay %s refused the request", url)
}

// dialer returns how to open a websocket to url through client, whose
// transport dials through the gateway's guard.
func dialer(url string, client *http.Client) func(ctx context.Context) (*websocket.Conn, error) {
	return func(ctx context.Context) (*websocket.Conn, error) {
		conn, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{
			HTTPClient: client,
			HTTPHeader: http.Header{"User-Agent": {"satsrail-nwc"}},
		})
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		if err != nil {
			return nil, err
		}
		return conn, nil
	}
}
