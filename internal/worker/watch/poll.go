package watch

import (
	"cmp"
	"container/heap"
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// Schedule is how often a polling wallet's open invoice is looked up: every
// Fresh while it is younger than FreshFor (the customer is most likely
// paying now, and the page should turn paid within seconds), every Warm
// until WarmFor, every Slow after that until the session expires; after
// expiry the waits grow with the time since expiry (never below Slow, never
// above AfterExpiryMax), and the lookups stop at expiry plus Grace, the
// settlement rules' window for a payment in flight at expiry
// (gateway.ReconcileGrace).
type Schedule struct {
	Fresh, FreshFor time.Duration
	Warm, WarmFor   time.Duration
	Slow            time.Duration
	AfterExpiryMax  time.Duration
	Grace           time.Duration
}

// DefaultSchedule: 2 s for the first minute (30 lookups: most customers pay
// within it, and the page then turns paid within about 2 s), 5 s to five
// minutes (48), 15 s after (4 a minute) — a 15-minute checkout costs about
// 120 lookups while open and about 11 in the hour after.
var DefaultSchedule = Schedule{
	Fresh: 2 * time.Second, FreshFor: time.Minute,
	Warm: 5 * time.Second, WarmFor: 5 * time.Minute,
	Slow: 15 * time.Second, AfterExpiryMax: 10 * time.Minute,
	Grace: gateway.ReconcileGrace,
}

// Next is when to look up again an invoice made at invoiceAt whose session
// expires at expiresAt, last looked up at now; ok is false once it is past
// expiry plus Grace: no more lookups.
func (s Schedule) Next(now, invoiceAt, expiresAt time.Time) (next time.Time, ok bool) {
	var wait time.Duration
	switch age := now.Sub(invoiceAt); {
	case now.Before(expiresAt) && age < s.FreshFor:
		wait = s.Fresh
	case now.Before(expiresAt) && age < s.WarmFor:
		wait = s.Warm
	case now.Before(expiresAt):
		wait = s.Slow
	default:
		// In flight at expiry settles within seconds; later, less and
		// less likely: the waits double with the time since expiry.
		wait = min(max(now.Sub(expiresAt), s.Slow), s.AfterExpiryMax)
	}
	next = now.Add(wait)
	return next, !next.After(expiresAt.Add(s.Grace))
}

// SessionLister lists a scope's sessions whose invoices may still be paid
// (gateway.Store's ReconcilableSessions).
type SessionLister interface {
	ReconcilableSessions(ctx context.Context, scope gateway.Scope, expiredSince time.Time, afterID string, limit int) ([]gateway.CheckoutSession, error)
}

// Poller looks up, on a Schedule, each open invoice of the wallets that
// cannot stream settlements (gateway.InvoicePoller: LNbits, LNDhub, a
// Lightning Address), for every merchant, with one bounded pool of Workers
// and never more than HostRate lookups a second to one wallet host. It keeps
// an in-memory schedule (a heap ordered by the next lookup's time): no
// goroutine or timer per invoice, and no table read per tick.
//
// A wallet is polled on the node that holds its stream lease (Streams calls
// Hold). The schedule learns of invoices made on this node at once (Add,
// from gateway.Config.OnInvoice) and of those made on other nodes by
// re-listing each held wallet's sessions every Refresh. A lookup that reads
// settled goes through Service.SettleByHash, which completes the session
// exactly once; a hint (Hint) only moves an invoice's lookup forward.
type Poller struct {
	Service *gateway.Service
	Store   SessionLister
	// Wallets, when set, gets failed lookups recorded in the wallet's
	// health (LastError), at most every 30s per wallet.
	Wallets gateway.WalletStore
	// Workers bounds the lookups in flight (default 32). A pool keeps up
	// with about Workers / (one lookup's round trip) lookups a second: 10,000
	// open checkouts ask about 1,300 a second, so 32 workers suffice at
	// 25 ms a lookup, and distant hosts need more.
	Workers int
	// HostRate is the lookups a second allowed to one host (default 10),
	// in bursts of up to HostBurst (default 20).
	HostRate  float64
	HostBurst int
	// Refresh is how often held wallets' sessions are re-listed (default
	// 30s), Timeout bounds one lookup (default 10s).
	Refresh  time.Duration
	Timeout  time.Duration
	Schedule Schedule // zero: DefaultSchedule
	// OnLookup, when set, is told of each lookup made and its host.
	OnLookup func(host string)
	Logger   *slog.Logger

	once    sync.Once
	mu      sync.Mutex
	queue   entryHeap
	byHash  map[string]*entry
	done    map[string]time.Time // hashes that can never settle, until their grace ends
	held    map[gateway.Scope]*heldWallet
	buckets map[string]*bucket
	wake    chan struct{}
}

// heldWallet is a polling wallet this node holds the lease of.
type heldWallet struct {
	id   string
	w    gateway.Wallet
	host string
	// errorAt is when a failed lookup was last recorded in the wallet's
	// health (under Poller.mu).
	errorAt time.Time
}

// entry is one invoice in the schedule.
type entry struct {
	hash, ref, session   string
	scope                gateway.Scope
	invoiceAt, expiresAt time.Time
	due                  time.Time
	index                int  // in the heap, -1 while out of it
	reserved             bool // its host's rate slot is taken: go at due
	inFlight, hinted     bool
	removed              bool
}

func (p *Poller) init() {
	p.once.Do(func() {
		p.byHash = map[string]*entry{}
		p.done = map[string]time.Time{}
		p.held = map[gateway.Scope]*heldWallet{}
		p.buckets = map[string]*bucket{}
		p.wake = make(chan struct{}, 1)
	})
}

func (p *Poller) schedule() Schedule {
	if p.Schedule == (Schedule{}) {
		return DefaultSchedule
	}
	return p.Schedule
}

func (p *Poller) log() *slog.Logger { return cmp.Or(p.Logger, slog.New(slog.DiscardHandler)) }

// Run dispatches due lookups to the worker pool until ctx is done.
func (p *Poller) Run(ctx context.Context) error {
	p.init()
	jobs := make(chan *entry)
	var wg sync.WaitGroup
	for range cmp.Or(p.Workers, 32) {
		wg.Go(func() {
			for e := range jobs {
				p.lookup(ctx, e)
			}
		})
	}
	defer wg.Wait()
	defer close(jobs)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		e, wait := p.next(time.Now())
		if e != nil {
			select {
			case jobs <- e:
				continue
			case <-ctx.Done():
				return nil
			}
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		case <-p.wake:
		}
	}
}

// next takes the first entry due at now that its host's rate allows, or
// says how long until one may be.
func (p *Poller) next(now time.Time) (*entry, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	every := time.Duration(float64(time.Second) / cmp.Or(p.HostRate, 10))
	burst := cmp.Or(p.HostBurst, 20)
	for len(p.queue) > 0 {
		e := p.queue[0]
		if e.due.After(now) {
			return nil, e.due.Sub(now)
		}
		h := p.held[e.scope]
		if h == nil { // the wallet was let go
			heap.Pop(&p.queue)
			delete(p.byHash, e.hash)
			continue
		}
		if !e.reserved {
			b := p.buckets[h.host]
			if b == nil {
				b = &bucket{}
				p.buckets[h.host] = b
			}
			// Each throttled entry takes its own later slot, so a backlog
			// on one host costs one heap move per entry, not one per tick.
			if at := b.reserve(now, every, burst); at.After(now) {
				e.due, e.reserved = at, true
				heap.Fix(&p.queue, 0)
				continue
			}
		}
		heap.Pop(&p.queue)
		e.reserved, e.inFlight, e.hinted = false, true, false
		return e, 0
	}
	return nil, time.Hour
}

// lookup looks one invoice up and settles or reschedules it.
func (p *Poller) lookup(ctx context.Context, e *entry) {
	p.mu.Lock()
	h := p.held[e.scope]
	p.mu.Unlock()
	settled, final := false, false
	if h != nil {
		if p.OnLookup != nil {
			p.OnLookup(h.host)
		}
		lctx, cancel := context.WithTimeout(ctx, cmp.Or(p.Timeout, 10*time.Second))
		inv, err := gateway.LookupSessionInvoice(lctx, h.w, e.hash, e.ref)
		cancel()
		switch {
		case err != nil:
			if ctx.Err() == nil && !errors.Is(err, gateway.ErrNotFound) {
				p.log().DebugContext(ctx, "poll invoice", "payment_hash", e.hash, "wallet_id", h.id, "err", err)
				p.recordError(ctx, h, err)
			}
		case inv.State == gateway.InvoiceSettled:
			settled = true
		case inv.State == gateway.InvoiceCanceled:
			final = true // the wallet will never take a payment for it
		}
	}
	if settled {
		sess, err := p.Service.SettleByHash(ctx, e.hash)
		switch {
		case errors.Is(err, gateway.ErrNotFound), errors.Is(err, gateway.ErrUnderpaid):
			final = true
		case err != nil:
			if ctx.Err() == nil {
				p.log().WarnContext(ctx, "settle polled invoice", "payment_hash", e.hash, "err", err)
			}
		case sess.Status == gateway.StatusCompleted:
			final = true
			p.log().InfoContext(ctx, "checkout completed", "checkout_id", sess.ID, "payment_hash", e.hash)
		}
	}
	p.requeue(e, time.Now(), final)
}

// recordError shows a failed lookup in the wallet's health (GET /wallet),
// at most every errorEvery per wallet: a host that is down fails every
// lookup, and one row write each would add load where none helps.
func (p *Poller) recordError(ctx context.Context, h *heldWallet, err error) {
	const errorEvery = 30 * time.Second
	if p.Wallets == nil {
		return
	}
	now := time.Now().UTC()
	p.mu.Lock()
	due := now.Sub(h.errorAt) >= errorEvery
	if due {
		h.errorAt = now
	}
	p.mu.Unlock()
	if !due {
		return
	}
	werr := p.Wallets.UpdateWalletHealth(ctx, h.id, func(c *gateway.WalletConnection) {
		c.LastError, c.LastErrorAt = "invoice lookup: "+err.Error(), now
	})
	if werr != nil && !errors.Is(werr, gateway.ErrNotFound) && ctx.Err() == nil {
		p.log().WarnContext(ctx, "update wallet health", "wallet_id", h.id, "err", werr)
	}
}

// requeue puts a looked-up entry back at its next time, or drops it.
func (p *Poller) requeue(e *entry, now time.Time, final bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e.inFlight = false
	next, ok := p.schedule().Next(now, e.invoiceAt, e.expiresAt)
	if final {
		p.done[e.hash] = e.expiresAt.Add(p.schedule().Grace)
	}
	if e.removed || final || !ok || p.held[e.scope] == nil {
		if p.byHash[e.hash] == e {
			delete(p.byHash, e.hash)
		}
		return
	}
	if e.hinted {
		next = now
	}
	e.due = next
	heap.Push(&p.queue, e)
	p.poke()
}

func (p *Poller) poke() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Add schedules a session's invoice if this node polls its wallet (the
// gateway.Config.OnInvoice hook); sessions of other wallets are ignored.
func (p *Poller) Add(sess *gateway.CheckoutSession) {
	p.init()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.held[sess.Scope()] == nil {
		return
	}
	p.add(sess, time.Now())
}

// add schedules sess unless it is scheduled, done, or past its grace.
func (p *Poller) add(sess *gateway.CheckoutSession, now time.Time) {
	if sess.PaymentHash == "" || sess.Status == gateway.StatusCompleted || p.byHash[sess.PaymentHash] != nil {
		return
	}
	if _, ok := p.done[sess.PaymentHash]; ok {
		return
	}
	if now.After(sess.ExpiresAt.Add(p.schedule().Grace)) {
		return
	}
	invoiceAt := sess.UpdatedAt // when a pending session's invoice was fixed on it
	if sess.Status != gateway.StatusPending || invoiceAt.IsZero() || invoiceAt.After(now) {
		invoiceAt = now
	}
	e := &entry{hash: sess.PaymentHash, ref: sess.InvoiceRef, session: sess.ID, scope: sess.Scope(),
		invoiceAt: invoiceAt, expiresAt: sess.ExpiresAt, due: now, index: -1}
	p.byHash[e.hash] = e
	heap.Push(&p.queue, e)
	p.poke()
}

// Hint moves the lookup of an invoice forward to now: a wallet said it may
// be paid. Only the lookup decides; a hint for an unknown hash is ignored.
func (p *Poller) Hint(paymentHash string) {
	p.init()
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.byHash[paymentHash]
	switch {
	case e == nil:
	case e.inFlight:
		e.hinted = true
	case e.index >= 0:
		e.due, e.reserved = time.Now(), false
		heap.Fix(&p.queue, e.index)
		p.poke()
	}
}

// Open reports how many invoices are scheduled (in flight included).
func (p *Poller) Open() int {
	p.init()
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.byHash)
}

// Hold polls the invoices of conn's wallet w until ctx is done: Streams
// calls it for each polling wallet whose lease this node holds. It lists
// the wallet's sessions now and every Refresh, and follows the wallet's
// payment hints when it has them.
func (p *Poller) Hold(ctx context.Context, conn gateway.WalletConnection, w gateway.Wallet) {
	p.init()
	poller, ok := gateway.UnwrapWallet(w).(gateway.InvoicePoller)
	if !ok {
		return
	}
	scope := conn.Scope()
	mine := &heldWallet{id: conn.ID, w: w, host: poller.PollHost()}
	p.mu.Lock()
	p.held[scope] = mine
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.held[scope] != mine {
			// A newer version of the connection holds the scope (Streams
			// starts it before stopping this one): its schedule stays.
			return
		}
		delete(p.held, scope)
		for hash, e := range p.byHash {
			if e.scope != scope {
				continue
			}
			if e.index >= 0 {
				heap.Remove(&p.queue, e.index)
			}
			e.removed = true // one in flight is dropped when it is back
			delete(p.byHash, hash)
		}
	}()
	if hinter, ok := gateway.UnwrapWallet(w).(gateway.PaymentHinter); ok {
		go p.hints(ctx, conn.ID, hinter)
	}
	tick := time.NewTicker(cmp.Or(p.Refresh, 30*time.Second))
	defer tick.Stop()
	for {
		if err := p.list(ctx, scope); err != nil && ctx.Err() == nil {
			p.log().WarnContext(ctx, "list sessions to poll", "wallet_id", conn.ID, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// list schedules every session of scope whose invoice may still be paid.
func (p *Poller) list(ctx context.Context, scope gateway.Scope) error {
	const page = 500
	after := ""
	for {
		now := time.Now()
		batch, err := p.Store.ReconcilableSessions(ctx, scope, now.Add(-p.schedule().Grace), after, page)
		if err != nil {
			return err
		}
		p.mu.Lock()
		for h, until := range p.done {
			if now.After(until) {
				delete(p.done, h)
			}
		}
		if p.held[scope] != nil {
			for i := range batch {
				p.add(&batch[i], now)
			}
		}
		p.mu.Unlock()
		if len(batch) < page {
			return nil
		}
		after = batch[len(batch)-1].ID
	}
}

// hints turns a wallet's payment hints into early lookups, reconnecting
// with backoff; hints are never proof, so they only reorder lookups.
func (p *Poller) hints(ctx context.Context, walletID string, h gateway.PaymentHinter) {
	backoff := time.Second
	for ctx.Err() == nil {
		start := time.Now()
		err := h.PaymentHints(ctx, p.Hint)
		if ctx.Err() != nil {
			return
		}
		p.log().DebugContext(ctx, "payment hints lost; reconnecting", "wallet_id", walletID, "err", err, "retry_in", backoff.String())
		if time.Since(start) > time.Minute {
			backoff = time.Second
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, time.Minute)
	}
}

// bucket is one host's rate limit, as a theoretical arrival time (GCRA): a
// token bucket of burst tokens refilled one every every.
type bucket struct{ tat time.Time }

// reserve takes the host's next slot and returns when it may be used: now
// while the burst lasts, later once it is spent.
func (b *bucket) reserve(now time.Time, every time.Duration, burst int) time.Time {
	t := b.tat
	if t.Before(now) {
		t = now
	}
	b.tat = t.Add(every)
	at := t.Add(-time.Duration(burst-1) * every)
	if at.Before(now) {
		return now
	}
	return at
}

// entryHeap orders entries by due time.
type entryHeap []*entry

func (h entryHeap) Len() int           { return len(h) }
func (h entryHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h entryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *entryHeap) Push(x any) {
	e := x.(*entry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *entryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	e.index = -1
	*h = old[:len(old)-1]
	return e
}
