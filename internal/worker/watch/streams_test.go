package watch_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/worker/watch"
)

// TestStreamReconnectReconcilesItsScope: when a wallet's settlement stream
// is lost and reconnects, the sweep looks up the invoices of that wallet's
// scope only, not those of another merchant or of the same merchant's other
// mode.
func TestStreamReconnectReconcilesItsScope(t *testing.T) {
	f := setup(t)
	other, _, err := f.svc.CreateMerchant(t.Context(), gateway.MerchantParams{Name: "Other Store", Email: "other@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	streamed := f.scope()
	live := gateway.Scope{MerchantID: f.merch, Mode: gateway.ModeLive}
	otherMerchant := gateway.Scope{MerchantID: other.ID, Mode: gateway.ModeTest}
	seeded := map[gateway.Scope]int{streamed: 5, live: 3, otherMerchant: 7}
	for scope, n := range seeded {
		f.seed(t, scope, n)
	}
	now := time.Now().UTC()
	conn := &gateway.WalletConnection{ID: gateway.NewID(gateway.PrefixWallet), MerchantID: f.merch, Mode: gateway.ModeTest,
		Type: "streaming", Config: []byte("{}"), CreatedAt: now, UpdatedAt: now}
	if err := f.store.PutWalletConnection(t.Context(), conn); err != nil {
		t.Fatal(err)
	}

	f.run(t, &watch.Streams{Service: f.svc, Store: f.store, Node: "node-a",
		Wallets: &gateway.Wallets{Store: f.store, Backends: streamingBackends{}, Sealer: plainSealer{}}})

	for scope, n := range seeded {
		want := int64(0)
		if scope == streamed {
			want = int64(n)
		}
		if got := f.lookupsIn(scope); got != want {
			t.Errorf("%d lookups in %+v (%d pending sessions), want %d", got, scope, n, want)
		}
	}
}

// streamingBackends opens every connection as a wallet whose settlement
// stream is lost once, at once, and then holds.
type streamingBackends struct{}

func (streamingBackends) Configure(gateway.WalletParams) ([]byte, error) {
	return nil, errors.New("streamingBackends: not for connecting")
}

func (streamingBackends) Open(string, gateway.Mode, []byte) (gateway.Wallet, error) {
	return &streamingWallet{}, nil
}

// streamingWallet only streams: the service looks invoices up through the
// fixture's resolver, which counts them.
type streamingWallet struct {
	gateway.Wallet
	subscribed atomic.Int64
}

func (w *streamingWallet) SubscribeSettled(ctx context.Context, _ uint64, live func(), _ func(string, uint64) error) error {
	if w.subscribed.Add(1) == 1 {
		return errors.New("stream lost")
	}
	live()
	<-ctx.Done()
	return ctx.Err()
}

// plainSealer stores configurations as they are.
type plainSealer struct{}

func (plainSealer) Seal(p []byte) ([]byte, error) { return p, nil }
func (plainSealer) Open(p []byte) ([]byte, error) { return p, nil }

// TestLiveStreamReconcilesOnceLive: a stream without a cursor (NWC) that is
// never lost still gets its scope swept once its subscription is live, so
// a payment made before this node held the stream is found.
func TestLiveStreamReconcilesOnceLive(t *testing.T) {
	f := setup(t)
	streamed := f.scope()
	live := gateway.Scope{MerchantID: f.merch, Mode: gateway.ModeLive}
	f.seed(t, streamed, 4)
	f.seed(t, live, 2)
	now := time.Now().UTC()
	conn := &gateway.WalletConnection{ID: gateway.NewID(gateway.PrefixWallet), MerchantID: f.merch, Mode: gateway.ModeTest,
		Type: "live", Config: []byte("{}"), CreatedAt: now, UpdatedAt: now}
	if err := f.store.PutWalletConnection(t.Context(), conn); err != nil {
		t.Fatal(err)
	}
	w := &liveWallet{}
	f.run(t, &watch.Streams{Service: f.svc, Store: f.store, Node: "node-a",
		Wallets: &gateway.Wallets{Store: f.store, Backends: liveBackends{w}, Sealer: plainSealer{}}})
	if got := f.lookupsIn(streamed); got != 4 {
		t.Errorf("%d lookups in the stream's scope, want its 4 pending sessions", got)
	}
	if got := f.lookupsIn(live); got != 0 {
		t.Errorf("%d lookups in another scope, want 0", got)
	}
	if w.subscribed.Load() != 1 || w.cursor.Load() != 0 {
		t.Errorf("subscribed %d times, cursor calls %d; want one live subscription", w.subscribed.Load(), w.cursor.Load())
	}
}

type liveBackends struct{ w *liveWallet }

func (liveBackends) Configure(gateway.WalletParams) ([]byte, error) {
	return nil, errors.New("liveBackends: not for connecting")
}

func (b liveBackends) Open(string, gateway.Mode, []byte) (gateway.Wallet, error) { return b.w, nil }

// liveWallet streams without a cursor and never loses its stream.
type liveWallet struct {
	gateway.Wallet
	subscribed, cursor atomic.Int64
}

func (w *liveWallet) SubscribeSettled(ctx context.Context, _ uint64, _ func(), _ func(string, uint64) error) error {
	w.cursor.Add(1)
	<-ctx.Done()
	return ctx.Err()
}

func (w *liveWallet) SubscribeLive(ctx context.Context, live func(), _ func(string) error) error {
	w.subscribed.Add(1)
	live()
	<-ctx.Done()
	return ctx.Err()
}

// TestStreamAliveOnlyWhileSubscribed: a wallet whose node refuses the
// connection is never shown with its stream alive, however often the
// stream is retried; it is shown alive once a subscription is up, and no
// longer once the stream holder stops.
func TestStreamAliveOnlyWhileSubscribed(t *testing.T) {
	f := setup(t)
	now := time.Now().UTC()
	conn := &gateway.WalletConnection{ID: gateway.NewID(gateway.PrefixWallet), MerchantID: f.merch, Mode: gateway.ModeTest,
		Type: "refused", Config: []byte("{}"), CreatedAt: now, UpdatedAt: now}
	if err := f.store.PutWalletConnection(t.Context(), conn); err != nil {
		t.Fatal(err)
	}
	w := &refusingWallet{up: make(chan struct{})}
	store := &healthStore{WalletStore: f.store}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- (&watch.Streams{Service: f.svc, Store: store, Node: "node-a", MaxBackoff: time.Millisecond,
			Wallets: &gateway.Wallets{Store: f.store, Backends: refusingBackends{w}, Sealer: plainSealer{}}}).Run(ctx)
	}()
	eventually(t, "three refused subscriptions", func() bool { return w.attempts.Load() >= 3 })
	if n := store.aliveWrites.Load(); n != 0 {
		t.Errorf("stream_alive written true %d times while the node refused every connection", n)
	}
	got, err := f.store.GetWalletConnection(t.Context(), f.scope())
	if err != nil {
		t.Fatal(err)
	}
	if got.StreamAlive || !strings.Contains(got.LastError, "connection refused") {
		t.Errorf("health: stream_alive %v, last_error %q; want false beside the refused connection", got.StreamAlive, got.LastError)
	}

	close(w.up) // the node comes back
	eventually(t, "stream_alive once subscribed", func() bool {
		got, err := f.store.GetWalletConnection(t.Context(), f.scope())
		return err == nil && got.StreamAlive
	})
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
	eventually(t, "stream_alive false once stopped", func() bool {
		got, err := f.store.GetWalletConnection(t.Context(), f.scope())
		return err == nil && !got.StreamAlive
	})
}

// healthStore counts the health updates that leave stream_alive true.
type healthStore struct {
	gateway.WalletStore
	aliveWrites atomic.Int64
}

func (s *healthStore) UpdateWalletHealth(ctx context.Context, id string, fn func(*gateway.WalletConnection)) error {
	return s.WalletStore.UpdateWalletHealth(ctx, id, func(c *gateway.WalletConnection) {
		fn(c)
		if c.StreamAlive {
			s.aliveWrites.Add(1)
		}
	})
}

type refusingBackends struct{ w *refusingWallet }

func (refusingBackends) Configure(gateway.WalletParams) ([]byte, error) {
	return nil, errors.New("refusingBackends: not for connecting")
}

func (b refusingBackends) Open(string, gateway.Mode, []byte) (gateway.Wallet, error) { return b.w, nil }

// refusingWallet's node refuses connections until up is closed, like an
// lnd whose REST port nothing listens on; then its stream is live.
type refusingWallet struct {
	gateway.Wallet
	up       chan struct{}
	attempts atomic.Int64
}

func (w *refusingWallet) SubscribeSettled(ctx context.Context, _ uint64, live func(), _ func(string, uint64) error) error {
	select {
	case <-w.up:
	default:
		w.attempts.Add(1)
		return errors.New("lnd: subscribe to invoices: dial tcp 127.0.0.1:1: connect: connection refused")
	}
	live()
	<-ctx.Done()
	return ctx.Err()
}
