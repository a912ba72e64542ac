// Package nostrrelay runs a real Nostr relay (khatru, with an in-memory
// store) on a loopback port for tests of the NWC wallet backend, and can
// take it down and bring it back on the same address to test reconnects.
// It records the order in which the relay saw REQs and EVENTs.
//
// It is a test helper, not test code, so that any package's tests can
// import it; nothing else should.
package nostrrelay

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fiatjaf/eventstore/slicestore"
	"github.com/fiatjaf/khatru"
	"github.com/nbd-wtf/go-nostr"
)

// Seen is one message the relay handled, in order: a REQ's filter or an
// EVENT.
type Seen struct {
	Filter *nostr.Filter // a REQ's filter
	Event  *nostr.Event  // an EVENT
}

// Relay is a running relay.
type Relay struct {
	// URL is ws://127.0.0.1:port.
	URL  string
	addr string

	khatru *khatru.Relay
	store  *slicestore.SliceStore
	mu     sync.Mutex
	srv    *http.Server
	ln     net.Listener
	conns  map[net.Conn]struct{}
	seen   []Seen
}

// Start runs a relay for t, stopped when t ends.
func Start(t testing.TB) *Relay {
	t.Helper()
	r, err := New()
	if err != nil {
		t.Fatalf("nostrrelay: %v", err)
	}
	t.Cleanup(r.Stop)
	return r
}

// New runs a relay on a free loopback port; the caller must Stop it.
func New() (*Relay, error) {
	store := &slicestore.SliceStore{}
	if err := store.Init(); err != nil {
		return nil, err
	}
	kr := khatru.NewRelay()
	r := &Relay{khatru: kr, store: store, conns: map[net.Conn]struct{}{}}
	kr.StoreEvent = append(kr.StoreEvent, store.SaveEvent)
	kr.QueryEvents = append(kr.QueryEvents, store.QueryEvents)
	kr.DeleteEvent = append(kr.DeleteEvent, store.DeleteEvent)
	kr.ReplaceEvent = append(kr.ReplaceEvent, store.ReplaceEvent)
	// OverwriteFilter is the one hook every REQ filter passes, "limit":0
	// ones included.
	kr.OverwriteFilter = append(kr.OverwriteFilter, func(_ context.Context, f *nostr.Filter) {
		c := *f
		r.record(Seen{Filter: &c})
	})
	kr.RejectEvent = append(kr.RejectEvent, func(_ context.Context, ev *nostr.Event) (bool, string) {
		e := *ev
		r.record(Seen{Event: &e})
		return false, ""
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r.addr = ln.Addr().String()
	r.URL = "ws://" + r.addr
	r.serve(ln)
	return r, nil
}

func (r *Relay) record(s Seen) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, s)
}

// Seen returns what the relay handled so far, in order.
func (r *Relay) Seen() []Seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.seen)
}

// serve serves the relay on ln, tracking connections so that Stop can cut
// the websockets (which http.Server.Close leaves open).
func (r *Relay) serve(ln net.Listener) {
	srv := &http.Server{
		Handler: r.khatru,
		ConnState: func(c net.Conn, s http.ConnState) {
			r.mu.Lock()
			defer r.mu.Unlock()
			switch s {
			case http.StateNew:
				r.conns[c] = struct{}{}
			case http.StateClosed:
				delete(r.conns, c)
			}
		},
	}
	r.mu.Lock()
	r.srv, r.ln = srv, ln
	r.mu.Unlock()
	go srv.Serve(ln)
}

// Stop takes the relay down: it stops listening and drops every
// connection. Stored events are kept for Restart.
func (r *Relay) Stop() {
	r.mu.Lock()
	srv, conns := r.srv, r.conns
	r.srv, r.ln, r.conns = nil, nil, map[net.Conn]struct{}{}
	r.mu.Unlock()
	if srv == nil {
		return
	}
	srv.Close()
	for c := range conns {
		c.Close() // hijacked websockets too
	}
}

// Restart brings a stopped relay back on its address.
func (r *Relay) Restart() error {
	r.mu.Lock()
	running := r.srv != nil
	r.mu.Unlock()
	if running {
		return errors.New("nostrrelay: already running")
	}
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		return err
	}
	r.serve(ln)
	return nil
}

// Publish stores or broadcasts ev as if a client had sent it.
func (r *Relay) Publish(ctx context.Context, ev *nostr.Event) error {
	skip, err := r.khatru.AddEvent(ctx, ev)
	if err == nil && !skip {
		r.khatru.BroadcastEvent(ev)
	}
	return err
}

// Stored returns the stored events matching f (ephemeral events, like
// NWC requests and notifications, are never stored).
func (r *Relay) Stored(ctx context.Context, f nostr.Filter) ([]*nostr.Event, error) {
	ch, err := r.store.QueryEvents(ctx, f)
	if err != nil {
		return nil, err
	}
	var out []*nostr.Event
	for ev := range ch {
		out = append(out, ev)
	}
	return out, nil
}

// WaitStored waits until an event matching f is stored, or ctx ends.
func (r *Relay) WaitStored(ctx context.Context, f nostr.Filter) (*nostr.Event, error) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		evs, err := r.Stored(ctx, f)
		if err != nil {
			return nil, err
		}
		if len(evs) > 0 {
			return evs[0], nil
		}
		select {
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-t.C:
		}
	}
}
