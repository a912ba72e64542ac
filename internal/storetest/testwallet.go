package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

func testTestWalletKeys(t *testing.T, f *fixture) {
	t.Run("absent", func(t *testing.T) {
		_, err := f.store.TestWalletKey(f.ctx, f.merchant.ID)
		wantErr(t, "TestWalletKey", err, gateway.ErrNotFound)
	})

	t.Run("the first key stored wins", func(t *testing.T) {
		first, second := []byte("sealed-first\x00\xff"), []byte("sealed-second")
		got, err := f.store.PutTestWalletKey(f.ctx, f.merchant.ID, first)
		noErr(t, "PutTestWalletKey(first)", err)
		diff(t, "first put", first, got)
		got, err = f.store.PutTestWalletKey(f.ctx, f.merchant.ID, second)
		noErr(t, "PutTestWalletKey(second)", err)
		diff(t, "second put", first, got)
		got, err = f.store.TestWalletKey(f.ctx, f.merchant.ID)
		noErr(t, "TestWalletKey", err)
		diff(t, "stored key", first, got)
	})

	t.Run("unknown merchant", func(t *testing.T) {
		_, err := f.store.PutTestWalletKey(f.ctx, "mer_nobody", []byte("sealed"))
		wantErr(t, "PutTestWalletKey", err, gateway.ErrNotFound)
		_, err = f.store.TestWalletKey(f.ctx, "mer_nobody")
		wantErr(t, "TestWalletKey", err, gateway.ErrNotFound)
	})

	t.Run("concurrent puts all get the one stored key", func(t *testing.T) {
		const putters = 10
		offered := make([][]byte, putters)
		got := make([][]byte, putters)
		errs := make([]error, putters)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range putters {
			offered[i] = fmt.Appendf(nil, "sealed-%02d", i)
			wg.Go(func() {
				<-start
				got[i], errs[i] = f.store.PutTestWalletKey(f.ctx, f.other.ID, offered[i])
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			noErr(t, fmt.Sprintf("PutTestWalletKey %d", i), err)
		}
		if !slices.ContainsFunc(offered, func(k []byte) bool { return slices.Equal(k, got[0]) }) {
			t.Errorf("put 0 got %q, which no putter offered", got[0])
		}
		for i := range got {
			diff(t, fmt.Sprintf("key returned to put %d", i), got[0], got[i])
		}
		stored, err := f.store.TestWalletKey(f.ctx, f.other.ID)
		noErr(t, "TestWalletKey", err)
		diff(t, "stored key", got[0], stored)
	})

	t.Run("keys are per merchant", func(t *testing.T) {
		a, err := f.store.TestWalletKey(f.ctx, f.merchant.ID)
		noErr(t, "TestWalletKey", err)
		b, err := f.store.TestWalletKey(f.ctx, f.other.ID)
		noErr(t, "TestWalletKey", err)
		if slices.Equal(a, b) {
			t.Errorf("both merchants have key %q", a)
		}
	})
}

// testInvoice builds an unpaid test invoice of merchantID.
func testInvoice(merchantID, hash string, created, expires time.Time) gateway.TestInvoice {
	return gateway.TestInvoice{
		PaymentHash:    hash,
		MerchantID:     merchantID,
		Preimage:       "pre_" + hash,
		PaymentRequest: "lnbcrt50u1p" + hash,
		AmountMsat:     5_000_000,
		CreatedAt:      created,
		ExpiresAt:      expires,
	}
}

func (f *fixture) insertTestInvoice(t *testing.T, inv gateway.TestInvoice) {
	t.Helper()
	noErr(t, "InsertTestInvoice("+inv.PaymentHash+")", f.store.InsertTestInvoice(f.ctx, inv))
}

func testTestInvoices(t *testing.T, f *fixture) {
	// Times given in another zone come back as the same instants in UTC.
	zone := time.FixedZone("UTC+9", 9*3600)
	unpaid := testInvoice(f.merchant.ID, "hash_inv_unpaid", at(0).In(zone), at(15).In(zone))
	paid := testInvoice(f.other.ID, "hash_inv_paid", at(1), at(16))
	paid.AmountPaidMsat, paid.SettledAt = 5_000_001, at(2)
	f.insertTestInvoice(t, unpaid)
	f.insertTestInvoice(t, paid)
	get := func(t *testing.T, hash string) *gateway.TestInvoice {
		t.Helper()
		got, err := f.store.GetTestInvoice(f.ctx, hash)
		noErr(t, "GetTestInvoice", err)
		return got
	}

	for _, want := range []gateway.TestInvoice{unpaid, paid} {
		t.Run("round trip "+want.PaymentHash, func(t *testing.T) {
			got := get(t, want.PaymentHash)
			diff(t, "invoice", &want, got)
			wantUTC(t, "invoice", got.CreatedAt, got.ExpiresAt, got.SettledAt)
		})
	}

	t.Run("unpaid has the zero settlement time", func(t *testing.T) {
		if got := get(t, unpaid.PaymentHash); !got.SettledAt.IsZero() || got.AmountPaidMsat != 0 {
			t.Errorf("unpaid invoice has SettledAt %v, AmountPaidMsat %d; want zero", got.SettledAt, got.AmountPaidMsat)
		}
	})

	t.Run("unknown hash", func(t *testing.T) {
		_, err := f.store.GetTestInvoice(f.ctx, "hash_nothing")
		wantErr(t, "GetTestInvoice", err, gateway.ErrNotFound)
	})

	t.Run("duplicate hash is a conflict", func(t *testing.T) {
		dup := testInvoice(f.other.ID, unpaid.PaymentHash, at(5), at(20))
		dup.AmountMsat = 1
		wantErr(t, "InsertTestInvoice", f.store.InsertTestInvoice(f.ctx, dup), gateway.ErrConflict)
		diff(t, "invoice after refused insert", &unpaid, get(t, unpaid.PaymentHash))
	})

	t.Run("pay, then pay again", func(t *testing.T) {
		want := unpaid
		want.AmountPaidMsat, want.SettledAt = 5_000_123, at(3).Add(time.Microsecond)
		got, err := f.store.PayTestInvoice(f.ctx, unpaid.PaymentHash, want.AmountPaidMsat, want.SettledAt.In(zone))
		noErr(t, "PayTestInvoice", err)
		diff(t, "returned invoice", &want, got)
		wantUTC(t, "returned invoice", got.SettledAt)
		diff(t, "stored invoice", &want, get(t, unpaid.PaymentHash))

		got, err = f.store.PayTestInvoice(f.ctx, unpaid.PaymentHash, 1, at(9))
		noErr(t, "second PayTestInvoice", err)
		diff(t, "invoice returned by the second payment", &want, got)
		diff(t, "stored invoice after the second payment", &want, get(t, unpaid.PaymentHash))
	})

	t.Run("paying an invoice inserted as paid changes nothing", func(t *testing.T) {
		got, err := f.store.PayTestInvoice(f.ctx, paid.PaymentHash, 7, at(9))
		noErr(t, "PayTestInvoice", err)
		diff(t, "returned invoice", &paid, got)
		diff(t, "stored invoice", &paid, get(t, paid.PaymentHash))
	})

	t.Run("pay unknown hash", func(t *testing.T) {
		_, err := f.store.PayTestInvoice(f.ctx, "hash_nothing", 1, at(3))
		wantErr(t, "PayTestInvoice", err, gateway.ErrNotFound)
		_, err = f.store.GetTestInvoice(f.ctx, "hash_nothing")
		wantErr(t, "GetTestInvoice after paying it", err, gateway.ErrNotFound)
	})

	t.Run("concurrent payments settle once", func(t *testing.T) {
		const payers = 10
		inv := testInvoice(f.merchant.ID, "hash_inv_race", at(0), at(15))
		f.insertTestInvoice(t, inv)
		got := make([]*gateway.TestInvoice, payers)
		errs := make([]error, payers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range payers {
			wg.Go(func() {
				<-start
				got[i], errs[i] = f.store.PayTestInvoice(f.ctx, inv.PaymentHash, gateway.MilliSat(inv.AmountMsat)+gateway.MilliSat(i), at(1+i))
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			noErr(t, fmt.Sprintf("PayTestInvoice %d", i), err)
		}
		stored := get(t, inv.PaymentHash)
		winner := int(stored.AmountPaidMsat - inv.AmountMsat)
		want := inv
		want.AmountPaidMsat, want.SettledAt = inv.AmountMsat+gateway.MilliSat(winner), at(1+winner)
		diff(t, "stored invoice", &want, stored)
		for i := range got {
			diff(t, fmt.Sprintf("invoice returned to payer %d", i), &want, got[i])
		}
	})
}

func testDueTestInvoices(t *testing.T, f *fixture) {
	// Due at (createdBefore, now) = (at(0), at(10)): unpaid, created at or
	// before at(0), expiring after at(10).
	invs := map[string]gateway.TestInvoice{}
	for _, inv := range []gateway.TestInvoice{
		testInvoice(f.merchant.ID, "hash_due_a", at(0), at(15)),                        // created exactly at createdBefore
		testInvoice(f.merchant.ID, "hash_due_b", at(0).Add(time.Microsecond), at(15)),  // created just after
		testInvoice(f.other.ID, "hash_due_c", at(-3), at(12)),                          // another merchant
		testInvoice(f.merchant.ID, "hash_due_d", at(-5), at(10)),                       // expires exactly at now
		testInvoice(f.merchant.ID, "hash_due_e", at(-4), at(10).Add(time.Microsecond)), // expires just after now
		testInvoice(f.merchant.ID, "hash_due_f", at(-6), at(20)),                       // paid, below
		testInvoice(f.merchant.ID, "hash_due_g", at(-20), at(-5)),                      // long expired
		testInvoice(f.other.ID, "hash_due_h", at(-1), at(30)),
	} {
		f.insertTestInvoice(t, inv)
		invs[inv.PaymentHash] = inv
	}
	paid, err := f.store.PayTestInvoice(f.ctx, "hash_due_f", 5_000_000, at(-2))
	noErr(t, "PayTestInvoice", err)
	invs[paid.PaymentHash] = *paid

	tests := []struct {
		name               string
		createdBefore, now time.Time
		limit              int
		want               []string
	}{
		{"due, oldest first", at(0), at(10), 100, []string{"hash_due_e", "hash_due_c", "hash_due_h", "hash_due_a"}},
		{"limited", at(0), at(10), 2, []string{"hash_due_e", "hash_due_c"}},
		{"a microsecond later", at(0).Add(time.Microsecond), at(10).Add(time.Microsecond), 100,
			[]string{"hash_due_c", "hash_due_h", "hash_due_a", "hash_due_b"}},
		{"a microsecond earlier", at(0).Add(-time.Microsecond), at(10).Add(-time.Microsecond), 100,
			[]string{"hash_due_d", "hash_due_e", "hash_due_c", "hash_due_h"}},
		{"nothing created yet", at(-30), at(-30), 100, nil},
		{"everything expired", at(100), at(100), 100, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.store.DueTestInvoices(f.ctx, tt.createdBefore, tt.now, tt.limit)
			noErr(t, "DueTestInvoices", err)
			var want []gateway.TestInvoice
			for _, h := range tt.want {
				want = append(want, invs[h])
			}
			diff(t, "due invoices", want, got)
		})
	}

	t.Run("a paid invoice is no longer due", func(t *testing.T) {
		_, err := f.store.PayTestInvoice(f.ctx, "hash_due_c", 5_000_000, at(1))
		noErr(t, "PayTestInvoice", err)
		got, err := f.store.DueTestInvoices(f.ctx, at(0), at(10), 100)
		noErr(t, "DueTestInvoices", err)
		var hashes []string
		for _, inv := range got {
			hashes = append(hashes, inv.PaymentHash)
		}
		diff(t, "due hashes", []string{"hash_due_e", "hash_due_h", "hash_due_a"}, hashes)
	})
}

func testTestSettlements(t *testing.T, f *fixture) {
	last := func(t *testing.T) int64 {
		t.Helper()
		seq, err := f.store.LastTestSettlement(f.ctx)
		noErr(t, "LastTestSettlement", err)
		return seq
	}
	after := func(t *testing.T, seq int64, limit int) []gateway.Settlement {
		t.Helper()
		got, err := f.store.TestSettlementsAfter(f.ctx, seq, limit)
		noErr(t, "TestSettlementsAfter", err)
		return got
	}
	pay := func(t *testing.T, hash string) {
		t.Helper()
		_, err := f.store.PayTestInvoice(f.ctx, hash, 5_000_000, at(1))
		noErr(t, "PayTestInvoice("+hash+")", err)
	}

	t.Run("empty", func(t *testing.T) {
		if seq := last(t); seq != 0 {
			t.Errorf("LastTestSettlement = %d before any payment, want 0", seq)
		}
		diff(t, "settlements", []gateway.Settlement(nil), after(t, 0, 10))
	})

	a := testInvoice(f.merchant.ID, "hash_feed_a", at(0), at(15))
	b := testInvoice(f.other.ID, "hash_feed_b", at(0), at(15))
	c := testInvoice(f.merchant.ID, "hash_feed_c", at(0), at(15))
	inserted := testInvoice(f.merchant.ID, "hash_feed_inserted_paid", at(0), at(15))
	inserted.AmountPaidMsat, inserted.SettledAt = 5_000_000, at(1)
	for _, inv := range []gateway.TestInvoice{a, b, c, inserted} {
		f.insertTestInvoice(t, inv)
	}

	t.Run("payments in the order recorded", func(t *testing.T) {
		pay(t, b.PaymentHash)
		pay(t, a.PaymentHash)
		got := after(t, 0, 10)
		if len(got) != 2 || got[0].PaymentHash != b.PaymentHash || got[1].PaymentHash != a.PaymentHash {
			t.Fatalf("settlements = %+v, want %s then %s", got, b.PaymentHash, a.PaymentHash)
		}
		if got[0].Seq <= 0 || got[1].Seq <= got[0].Seq {
			t.Errorf("settlement numbers %d, %d: want positive and increasing", got[0].Seq, got[1].Seq)
		}
		if seq := last(t); seq != got[1].Seq {
			t.Errorf("LastTestSettlement = %d, want %d", seq, got[1].Seq)
		}
		diff(t, "settlements after the first", got[1:], after(t, got[0].Seq, 10))
		diff(t, "limited", got[:1], after(t, 0, 1))
		diff(t, "no limit", got, after(t, 0, 0))
		diff(t, "settlements after the last", []gateway.Settlement(nil), after(t, got[1].Seq, 10))
	})

	t.Run("paying again, an unknown hash or an invoice inserted paid adds nothing", func(t *testing.T) {
		before := after(t, 0, 0)
		pay(t, a.PaymentHash)
		pay(t, inserted.PaymentHash)
		_, err := f.store.PayTestInvoice(f.ctx, "hash_nothing", 1, at(3))
		wantErr(t, "PayTestInvoice(unknown)", err, gateway.ErrNotFound)
		diff(t, "settlements", before, after(t, 0, 0))
	})

	t.Run("numbers grow past the latest", func(t *testing.T) {
		prev := last(t)
		pay(t, c.PaymentHash)
		got := after(t, prev, 10)
		if len(got) != 1 || got[0].PaymentHash != c.PaymentHash || got[0].Seq <= prev {
			t.Errorf("settlements after %d = %+v, want %s numbered above it", prev, got, c.PaymentHash)
		}
	})

	t.Run("a reader following the feed during concurrent payments misses none", func(t *testing.T) {
		const payers, each = 8, 5
		cursor := last(t)
		var hashes []string
		for i := range payers * each {
			inv := testInvoice(f.merchant.ID, fmt.Sprintf("hash_feed_race_%02d", i), at(0), at(15))
			f.insertTestInvoice(t, inv)
			hashes = append(hashes, inv.PaymentHash)
		}
		errs := make([]error, payers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for p := range payers {
			wg.Go(func() {
				<-start
				for i := p; i < len(hashes); i += payers {
					if _, err := f.store.PayTestInvoice(f.ctx, hashes[i], 5_000_000, at(2)); err != nil {
						errs[p] = err
						return
					}
				}
			})
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		close(start)
		// Read in small pages while the payments commit; once they all have,
		// one more read must find nothing left.
		var seen []gateway.Settlement
		for finished := false; ; {
			select {
			case <-done:
				finished = true
			default:
			}
			got := after(t, cursor, 3)
			seen = append(seen, got...)
			if len(got) > 0 {
				cursor = got[len(got)-1].Seq
			} else if finished {
				break
			}
		}
		for p, err := range errs {
			noErr(t, fmt.Sprintf("payer %d", p), err)
		}
		var got []string
		for i, st := range seen {
			got = append(got, st.PaymentHash)
			if i > 0 && st.Seq <= seen[i-1].Seq {
				t.Errorf("settlement %d numbered %d after %d", i, st.Seq, seen[i-1].Seq)
			}
		}
		slices.Sort(got)
		diff(t, "hashes the reader saw", hashes, got)
		all := after(t, 0, 0)
		if n := len(all); n != 3+len(hashes) {
			t.Errorf("%d settlements in all, want %d", n, 3+len(hashes))
		}
	})
}
