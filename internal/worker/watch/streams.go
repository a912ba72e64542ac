package watch

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// Streams holds one settlement stream per connected wallet whose backend
// can stream (LND's invoice subscription). Each stream resumes from the
// wallet's persisted settlement cursor, so after any reconnect or restart
// nothing settled in between is skipped; every hint is settled by lookup,
// and the cursor only moves once the settlement is committed.
//
// On many nodes, each wallet's stream is held by exactly one node at a
// time: a lease in the database, renewed every Rescan and taken over by
// another node once it lapses (within Lease + Rescan of the holder dying).
type Streams struct {
	Service *gateway.Service
	Store   gateway.WalletStore
	Wallets *gateway.Wallets
	// Node names this process in the stream leases.
	Node string
	// Rescan is how often leases are renewed and connections re-listed
	// (default 5s); Lease is how long a lease lasts (default 15s).
	Rescan time.Duration
	Lease  time.Duration
	// OnStream, when set, is told when this node starts or stops holding
	// a wallet's stream.
	OnStream func(walletID, typ string, held bool)
	// Poller, when set, polls the invoices of the held wallets that cannot
	// stream (gateway.InvoicePoller): the same lease decides which node
	// polls each wallet.
	Poller *Poller
	// MaxBackoff caps the reconnect wait (default 30s).
	MaxBackoff time.Duration
	Logger     *slog.Logger
}

// Run keeps the streams until ctx is done.
func (s *Streams) Run(ctx context.Context) error {
	log := cmp.Or(s.Logger, slog.New(slog.DiscardHandler))
	running := map[string]context.CancelFunc{} // by connection id + update time
	defer func() {
		for _, stop := range running {
			stop()
		}
	}()
	rescan := cmp.Or(s.Rescan, 5*time.Second)
	lease := cmp.Or(s.Lease, 3*rescan)
	node := cmp.Or(s.Node, "node")
	tick := time.NewTicker(rescan)
	defer tick.Stop()
	types := map[string]string{}
	for {
		conns, err := s.Store.ListWalletConnections(ctx)
		if err != nil && ctx.Err() == nil {
			log.ErrorContext(ctx, "list wallet connections", "err", err)
		}
		held := map[string]bool{}
		now := time.Now().UTC()
		for _, c := range conns {
			ok, err := s.Store.ClaimWalletStream(ctx, c.ID, node, now, now.Add(lease))
			if err != nil {
				if ctx.Err() == nil {
					log.WarnContext(ctx, "claim wallet stream", "wallet_id", c.ID, "err", err)
				}
				continue
			}
			if !ok {
				continue // another node holds it
			}
			key := c.ID + "@" + c.UpdatedAt.String()
			held[key] = true
			types[key] = c.Type
			if _, ok := running[key]; ok {
				continue
			}
			sctx, stop := context.WithCancel(ctx)
			running[key] = stop
			log.InfoContext(ctx, "holding wallet settlement stream", "wallet_id", c.ID, "node", node)
			if s.OnStream != nil {
				s.OnStream(c.ID, c.Type, true)
			}
			go s.stream(sctx, c, log)
		}
		for key, stop := range running {
			if !held[key] {
				stop()
				delete(running, key)
				id, _, _ := strings.Cut(key, "@")
				if s.OnStream != nil {
					s.OnStream(id, types[key], false)
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-s.Service.WalletsChanged():
		}
	}
}

// stream subscribes, settles and reconnects with backoff until ctx is done.
func (s *Streams) stream(ctx context.Context, conn gateway.WalletConnection, log *slog.Logger) {
	w, err := s.Wallets.Open(&conn)
	if err != nil {
		log.ErrorContext(ctx, "open wallet for streaming", "wallet_id", conn.ID, "err", err)
		return
	}
	if _, ok := gateway.UnwrapWallet(w).(gateway.InvoicePoller); ok && s.Poller != nil {
		s.health(ctx, conn.ID, func(c *gateway.WalletConnection) { c.StreamAlive = true })
		s.Poller.Hold(ctx, conn, w)
		s.health(context.WithoutCancel(ctx), conn.ID, func(c *gateway.WalletConnection) { c.StreamAlive = false })
		return
	}
	sub, ok := gateway.UnwrapWallet(w).(gateway.SettlementSubscriber)
	if !ok {
		return // no stream: only reconciliation (at start, or --reconcile-interval) finds its payments
	}
	backoff := time.Second
	for ctx.Err() == nil {
		cur, err := s.Store.GetWalletConnection(ctx, conn.Scope())
		if err != nil || cur.ID != conn.ID {
			return // disconnected or replaced
		}
		start := time.Now()
		// Alive only once the backend says its subscription is up: a node
		// that cannot be reached is never shown streaming.
		alive := func() { s.health(ctx, conn.ID, func(c *gateway.WalletConnection) { c.StreamAlive = true }) }
		settle := func(hash string, idx uint64) error {
			sess, err := s.Service.SettleByHash(ctx, hash)
			switch {
			case errors.Is(err, gateway.ErrNotFound):
				// An invoice the merchant made elsewhere: not ours.
			case err != nil:
				return err // the cursor stays; the stream restarts before it
			case sess.Status == gateway.StatusCompleted:
				log.InfoContext(ctx, "checkout completed", "checkout_id", sess.ID, "payment_hash", hash, "wallet_id", conn.ID)
			}
			if idx > 0 {
				s.health(ctx, conn.ID, func(c *gateway.WalletConnection) { c.SettleIndex = max(c.SettleIndex, idx) })
			}
			return nil
		}
		if live, ok := sub.(gateway.LiveSubscriber); ok {
			// No cursor: what settled before the subscription was live
			// (this node just took the stream over, or it was lost) is
			// found by a sweep once it is.
			err = live.SubscribeLive(ctx, func() { alive(); go s.reconcile(ctx, conn, log) },
				func(hash string) error { return settle(hash, 0) })
		} else {
			err = sub.SubscribeSettled(ctx, cur.SettleIndex, alive, settle)
		}
		if ctx.Err() != nil {
			break
		}
		msg := "stream ended"
		if err != nil {
			msg = err.Error()
		}
		log.WarnContext(ctx, "wallet settlement stream lost; reconnecting", "wallet_id", conn.ID, "err", msg, "retry_in", backoff.String())
		s.health(ctx, conn.ID, func(c *gateway.WalletConnection) {
			c.StreamAlive, c.LastError, c.LastErrorAt = false, "settlement stream: "+msg, time.Now().UTC()
		})
		if time.Since(start) > time.Minute {
			backoff = time.Second // it was healthy for a while
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, cmp.Or(s.MaxBackoff, 30*time.Second))
		// Whatever settled while the stream was down is replayed from the
		// cursor; the sweep also catches invoices the cursor can't (a
		// replaced node). Only this wallet's sessions: the other wallets'
		// streams and feeds missed nothing.
		s.reconcile(ctx, conn, log)
	}
	s.health(context.WithoutCancel(ctx), conn.ID, func(c *gateway.WalletConnection) { c.StreamAlive = false })
}

// reconcile sweeps the open sessions of conn's wallet.
func (s *Streams) reconcile(ctx context.Context, conn gateway.WalletConnection, log *slog.Logger) {
	if _, err := s.Service.ReconcileScope(ctx, conn.Scope()); err != nil && ctx.Err() == nil {
		log.WarnContext(ctx, "reconcile wallet sessions", "wallet_id", conn.ID, "err", err)
	}
}

func (s *Streams) health(ctx context.Context, id string, fn func(*gateway.WalletConnection)) {
	if err := s.Store.UpdateWalletHealth(ctx, id, fn); err != nil && !errors.Is(err, gateway.ErrNotFound) && ctx.Err() == nil && s.Logger != nil {
		s.Logger.WarnContext(ctx, "update wallet health", "wallet_id", id, "err", err)
	}
}
