package sqlite

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// TestInsertCreates runs one batch of creates through insertCreates — more
// than one statement's worth, so it is split into chunks — against keys that
// already have records: a live or running key is taken and its create
// writes nothing; an expired or stale one is replaced; of two creates with
// one key the first wins; a create without a key, one with a product and one
// kept for less time all go in. Afterwards the table holds exactly the
// creates not taken, each with its record, and the list counts agree.
func TestInsertCreates(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "satsrail.db"))
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Microsecond)
	m := &gateway.Merchant{ID: gateway.NewID(gateway.PrefixMerchant), Name: "M", Email: "m@example.com", Status: "active",
		CreatedAt: now, UpdatedAt: now}
	key, _ := gateway.NewAPIKey(m.ID, gateway.KeySecret, gateway.ModeTest, now)
	if err := s.CreateMerchant(ctx, m, []gateway.APIKey{key}); err != nil {
		t.Fatal(err)
	}
	scope := gateway.Scope{MerchantID: m.ID, Mode: gateway.ModeTest}
	mug := &gateway.Product{ID: gateway.NewID(gateway.PrefixProduct), MerchantID: m.ID, Mode: gateway.ModeTest, Name: "Mug",
		PriceCents: 1250, Currency: "usd", Slug: "mug", Status: gateway.ProductActive, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateProduct(ctx, mug); err != nil {
		t.Fatal(err)
	}
	// Records already there: created when, finished or not.
	for _, r := range []struct {
		key  string
		age  time.Duration
		done bool
	}{
		{"live", time.Hour, true}, {"running", 10 * time.Second, false},
		{"expired", 25 * time.Hour, true}, {"stale", 2 * time.Minute, false}, {"short-expired", 2 * time.Hour, true},
	} {
		if _, err := s.writer.ExecContext(ctx, `INSERT INTO idempotency_keys (api_key_id, key, request_hash, done, status, body, created_at)
			VALUES (?, ?, ?, ?, 201, ?, ?)`, key.ID, r.key, []byte("old"), r.done, []byte("old"), timeCol(now.Add(-r.age))); err != nil {
			t.Fatal(err)
		}
	}
	newCreate := func(k string) *sessionCreate {
		sess := &gateway.CheckoutSession{ID: gateway.NewID(gateway.PrefixSession), MerchantID: m.ID, Mode: gateway.ModeTest,
			Status: gateway.StatusPending, AmountCents: 500, Currency: "usd", SuccessURL: "https://s.example/ok",
			CancelURL: "https://s.example/no", CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour)}
		c := &sessionCreate{sess: sess}
		if k != "" {
			c.done = &gateway.IdempotencyCompletion{APIKeyID: key.ID, Key: k, RequestHash: []byte("new " + k), CreatedAt: now,
				ExpiredBefore: now.Add(-24 * time.Hour), StaleBefore: now.Add(-time.Minute), Status: 201, Body: []byte(sess.ID)}
		}
		return c
	}
	var cs []*sessionCreate
	wantTaken := map[*sessionCreate]bool{}
	add := func(c *sessionCreate, taken bool) {
		cs = append(cs, c)
		wantTaken[c] = taken
	}
	for i := range 60 {
		add(newCreate(fmt.Sprintf("fresh-%d", i)), false)
	}
	add(newCreate("live"), true)
	add(newCreate("running"), true)
	add(newCreate("expired"), false)
	add(newCreate("stale"), false)
	add(newCreate("dup"), false)
	add(newCreate("dup"), true)
	add(newCreate(""), false)
	withProduct := newCreate("product")
	withProduct.sess.LineItems = []gateway.LineItem{{ProductID: mug.ID, Name: mug.Name, UnitAmountCents: 1250, Quantity: 1}}
	withProduct.products = productIDs(withProduct.sess.LineItems)
	add(withProduct, false)
	short := newCreate("short-expired") // kept an hour: its old record has expired
	short.done.ExpiredBefore = now.Add(-time.Hour)
	add(short, false)
	for i := range 5 {
		add(newCreate(fmt.Sprintf("fresh-after-%d", i)), false)
	}

	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := insertCreates(ctx, tx, cs); err != nil {
		tx.Rollback()
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	stored := 0
	for _, c := range cs {
		if c.taken != wantTaken[c] {
			t.Errorf("create with key %q: taken %v, want %v", keyOf(c), c.taken, wantTaken[c])
		}
		_, err := s.GetCheckoutSession(ctx, scope, c.sess.ID)
		switch {
		case c.taken && err == nil:
			t.Errorf("create with taken key %q stored its session", keyOf(c))
		case !c.taken && err != nil:
			t.Errorf("create with key %q: session not stored: %v", keyOf(c), err)
		case !c.taken:
			stored++
		}
		if c.done == nil || c.taken {
			continue
		}
		rec, err := s.LookupIdempotent(ctx, key.ID, c.done.Key, now.Add(-time.Hour))
		if err != nil || !rec.Done || !bytes.Equal(rec.Body, []byte(c.sess.ID)) || !bytes.Equal(rec.RequestHash, c.done.RequestHash) {
			t.Errorf("key %q: record %+v (%v), want this create's", c.done.Key, rec, err)
		}
	}
	for _, k := range []string{"live", "running"} {
		var hash []byte
		if err := s.reader.QueryRowContext(ctx, "SELECT request_hash FROM idempotency_keys WHERE key = ?", k).Scan(&hash); err != nil || string(hash) != "old" {
			t.Errorf("taken key %q: record now %q (%v), want it untouched", k, hash, err)
		}
	}
	var linked int
	if err := s.reader.QueryRowContext(ctx, "SELECT COUNT(*) FROM checkout_session_products WHERE session_id = ? AND product_id = ?",
		withProduct.sess.ID, mug.ID).Scan(&linked); err != nil || linked != 1 {
		t.Errorf("the create with a product: %d links (%v)", linked, err)
	}
	list, err := s.ListCheckoutSessions(ctx, scope, gateway.SessionFilter{})
	if err != nil || list.TotalCount != stored || stored != len(cs)-3 {
		t.Errorf("list total %d (%v); %d stored of %d creates, 3 taken", list.TotalCount, err, stored, len(cs))
	}
}

func keyOf(c *sessionCreate) string {
	if c.done == nil {
		return ""
	}
	return c.done.Key
}

func TestChunk(t *testing.T) {
	mk := func(n int) []*sessionCreate { return make([]*sessionCreate, n) }
	for _, tc := range []struct{ n, want int }{{1, 1}, {2, 2}, {3, 2}, {14, 8}, {64, 64}, {65, 64}, {300, 64}} {
		if got := chunk(mk(tc.n), nil); got != tc.want {
			t.Errorf("chunk of %d: %d, want %d", tc.n, got, tc.want)
		}
	}
	cs := []*sessionCreate{{taken: true}, {taken: true}, {taken: true}, {}, {}}
	if got := chunk(cs, func(a, b *sessionCreate) bool { return a.taken == b.taken }); got != 2 {
		t.Errorf("chunk of 3 alike then others: %d, want 2", got)
	}
}
