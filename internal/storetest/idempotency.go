package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

func testIdempotency(t *testing.T, f *fixture) {
	keyID := f.keys["sk_test"].ID
	otherKeyID := f.keys["sk_live"].ID
	rec := func(keyID, key, hash string, created time.Time) gateway.IdempotencyRecord {
		return gateway.IdempotencyRecord{APIKeyID: keyID, Key: key, RequestHash: []byte(hash), CreatedAt: created}
	}
	begin := func(t *testing.T, r gateway.IdempotencyRecord, notBefore time.Time) *gateway.IdempotencyRecord {
		t.Helper()
		got, err := f.store.BeginIdempotent(f.ctx, r, notBefore)
		noErr(t, "BeginIdempotent", err)
		return got
	}
	wantNone := func(t *testing.T, got *gateway.IdempotencyRecord) {
		t.Helper()
		if got != nil {
			t.Errorf("BeginIdempotent returned %+v, want nil (a new request)", got)
		}
	}

	t.Run("begin, replay in progress, complete, replay done", func(t *testing.T) {
		first := rec(keyID, "order-1", "hash-a", at(0))
		wantNone(t, begin(t, first, at(-60)))

		// A repeat sees the first request, still running, whatever it sends.
		got := begin(t, rec(keyID, "order-1", "hash-b", at(1)), at(-59))
		diff(t, "in-progress record", &first, got)
		wantUTC(t, "record", got.CreatedAt)

		noErr(t, "CompleteIdempotent", f.store.CompleteIdempotent(f.ctx, keyID, "order-1", 201, []byte(`{"id":"cs_1"}`)))
		want := first
		want.Done, want.Status, want.Body = true, 201, []byte(`{"id":"cs_1"}`)
		got = begin(t, rec(keyID, "order-1", "hash-a", at(2)), at(-58))
		diff(t, "completed record", &want, got)
	})

	t.Run("keys are per API key", func(t *testing.T) {
		wantNone(t, begin(t, rec(keyID, "shared", "hash-a", at(0)), at(-60)))
		wantNone(t, begin(t, rec(otherKeyID, "shared", "hash-b", at(0)), at(-60)))
		got := begin(t, rec(otherKeyID, "shared", "hash-c", at(1)), at(-60))
		diff(t, "other key's record", &gateway.IdempotencyRecord{APIKeyID: otherKeyID, Key: "shared",
			RequestHash: []byte("hash-b"), CreatedAt: at(0)}, got)
	})

	t.Run("abort forgets an in-progress record", func(t *testing.T) {
		wantNone(t, begin(t, rec(keyID, "abort-me", "hash-a", at(0)), at(-60)))
		noErr(t, "AbortIdempotent", f.store.AbortIdempotent(f.ctx, keyID, "abort-me"))
		wantNone(t, begin(t, rec(keyID, "abort-me", "hash-b", at(1)), at(-60)))
		got := begin(t, rec(keyID, "abort-me", "hash-c", at(2)), at(-60))
		diff(t, "record after abort and retry", &gateway.IdempotencyRecord{APIKeyID: keyID, Key: "abort-me",
			RequestHash: []byte("hash-b"), CreatedAt: at(1)}, got)
	})

	t.Run("abort keeps a completed record", func(t *testing.T) {
		first := rec(keyID, "keep-me", "hash-a", at(0))
		wantNone(t, begin(t, first, at(-60)))
		noErr(t, "CompleteIdempotent", f.store.CompleteIdempotent(f.ctx, keyID, "keep-me", 200, []byte(`{}`)))
		noErr(t, "AbortIdempotent", f.store.AbortIdempotent(f.ctx, keyID, "keep-me"))
		want := first
		want.Done, want.Status, want.Body = true, 200, []byte(`{}`)
		diff(t, "record after abort", &want, begin(t, rec(keyID, "keep-me", "hash-b", at(1)), at(-60)))
	})

	t.Run("abort of an unknown record is no error", func(t *testing.T) {
		noErr(t, "AbortIdempotent", f.store.AbortIdempotent(f.ctx, keyID, "never-begun"))
	})

	t.Run("complete of an unknown record", func(t *testing.T) {
		err := f.store.CompleteIdempotent(f.ctx, keyID, "never-begun", 200, nil)
		wantErr(t, "CompleteIdempotent", err, gateway.ErrNotFound)
	})

	t.Run("a record older than notBefore is replaced", func(t *testing.T) {
		wantNone(t, begin(t, rec(keyID, "expiring", "hash-old", at(0)), at(-60)))
		noErr(t, "CompleteIdempotent", f.store.CompleteIdempotent(f.ctx, keyID, "expiring", 201, []byte(`{"old":true}`)))

		// notBefore equal to created_at still finds it.
		got := begin(t, rec(keyID, "expiring", "hash-new", at(100)), at(0))
		if got == nil || string(got.RequestHash) != "hash-old" {
			t.Fatalf("BeginIdempotent(notBefore = created_at) = %+v, want the old record", got)
		}

		// A microsecond later it is too old: the new request replaces it.
		wantNone(t, begin(t, rec(keyID, "expiring", "hash-new", at(100)), at(0).Add(time.Microsecond)))
		got = begin(t, rec(keyID, "expiring", "hash-newer", at(101)), at(50))
		diff(t, "replacing record", &gateway.IdempotencyRecord{APIKeyID: keyID, Key: "expiring",
			RequestHash: []byte("hash-new"), CreatedAt: at(100)}, got)
	})

	t.Run("purge deletes records created before t", func(t *testing.T) {
		for i, key := range []string{"purge-0", "purge-10", "purge-20"} {
			wantNone(t, begin(t, rec(otherKeyID, key, "hash", at(-1000+10*i)), at(-2000)))
		}
		n, err := f.store.PurgeIdempotent(f.ctx, at(-990), 100)
		noErr(t, "PurgeIdempotent", err)
		if n != 1 {
			t.Errorf("PurgeIdempotent purged %d records, want 1", n)
		}
		wantNone(t, begin(t, rec(otherKeyID, "purge-0", "hash-again", at(0)), at(-2000)))
		for _, key := range []string{"purge-10", "purge-20"} {
			if got := begin(t, rec(otherKeyID, key, "hash-again", at(0)), at(-2000)); got == nil {
				t.Errorf("%s was purged, want it kept", key)
			}
		}
		n, err = f.store.PurgeIdempotent(f.ctx, at(-990), 100)
		noErr(t, "PurgeIdempotent", err)
		if n != 0 {
			t.Errorf("second PurgeIdempotent purged %d records, want 0", n)
		}
	})

	t.Run("purge deletes in batches of at most limit, oldest first", func(t *testing.T) {
		for i := range 5 {
			wantNone(t, begin(t, rec(otherKeyID, fmt.Sprintf("batch-%d", i), "hash", at(-3000+i)), at(-4000)))
		}
		n, err := f.store.PurgeIdempotent(f.ctx, at(-2990), 2)
		noErr(t, "PurgeIdempotent", err)
		if n != 2 {
			t.Errorf("PurgeIdempotent(limit 2) purged %d, want 2", n)
		}
		// After one batch of 2: the two oldest, batch-0 and batch-1, are gone.
		for i := range 5 {
			_, err := f.store.LookupIdempotent(f.ctx, otherKeyID, fmt.Sprintf("batch-%d", i), at(-4000))
			if gone := errors.Is(err, gateway.ErrNotFound); gone != (i < 2) {
				t.Errorf("batch-%d gone = %v (err %v) after one batch, want %v", i, gone, err, i < 2)
			}
		}
		for _, want := range []int{2, 1, 0} {
			n, err := f.store.PurgeIdempotent(f.ctx, at(-2990), 2)
			noErr(t, "PurgeIdempotent", err)
			if n != want {
				t.Errorf("PurgeIdempotent(limit 2) purged %d, want %d", n, want)
			}
		}
	})
}

// testIdempotentCreate: a session created with an Idempotency-Key completion
// stores the key's finished record in the same transaction; a live record of
// the key stops the create (ErrIdempotencyKeyTaken) with nothing written; an
// expired record, or an unfinished one gone stale, is replaced; a failed
// create leaves no record.
func testIdempotentCreate(t *testing.T, f *fixture) {
	keyID := f.keys["sk_test"].ID
	done := func(key string, created time.Time, body string) *gateway.IdempotencyCompletion {
		return &gateway.IdempotencyCompletion{APIKeyID: keyID, Key: key, RequestHash: []byte("h-" + body), CreatedAt: created,
			ExpiredBefore: created.Add(-24 * time.Hour), StaleBefore: created.Add(-time.Minute), Status: 201, Body: []byte(body)}
	}
	lookup := func(key string) *gateway.IdempotencyRecord {
		t.Helper()
		got, err := f.store.LookupIdempotent(f.ctx, keyID, key, at(0).Add(-1000*time.Hour))
		if errors.Is(err, gateway.ErrNotFound) {
			return nil
		}
		noErr(t, "LookupIdempotent", err)
		return got
	}
	noErr(t, "CreateCheckoutSession", f.store.CreateCheckoutSession(f.ctx, session(f.scope, "cs_idem_1", at(0)), done("create-1", at(0), `{"id":"cs_idem_1"}`)))
	if rec := lookup("create-1"); rec == nil || !rec.Done || rec.Status != 201 || string(rec.Body) != `{"id":"cs_idem_1"}` ||
		string(rec.RequestHash) != `h-{"id":"cs_idem_1"}` || !rec.CreatedAt.Equal(at(0)) {
		t.Fatalf("key after the create: %+v", rec)
	}
	if rec, err := f.store.LookupIdempotent(f.ctx, keyID, "create-1", at(1)); !errors.Is(err, gateway.ErrNotFound) {
		t.Fatalf("LookupIdempotent(notBefore after created_at) = %+v, %v; want ErrNotFound", rec, err)
	}

	// A live record: the second create writes nothing.
	wantErr(t, "CreateCheckoutSession under a taken key", f.store.CreateCheckoutSession(f.ctx, session(f.scope, "cs_idem_2", at(5)),
		done("create-1", at(5), `{"id":"cs_idem_2"}`)), gateway.ErrIdempotencyKeyTaken)
	if _, err := f.store.GetCheckoutSession(f.ctx, f.scope, "cs_idem_2"); !errors.Is(err, gateway.ErrNotFound) {
		t.Fatalf("a create under a taken key stored its session: %v", err)
	}
	if rec := lookup("create-1"); string(rec.Body) != `{"id":"cs_idem_1"}` {
		t.Fatalf("a create under a taken key changed the record: %+v", rec)
	}

	// An unfinished record (a request that began it) is live for a minute,
	// then stale and replaced; a finished one is live for a day.
	_, err := f.store.BeginIdempotent(f.ctx, gateway.IdempotencyRecord{APIKeyID: keyID, Key: "create-3", RequestHash: []byte("h"), CreatedAt: at(0)}, at(-60))
	noErr(t, "BeginIdempotent", err)
	wantErr(t, "CreateCheckoutSession under an unfinished key", f.store.CreateCheckoutSession(f.ctx, session(f.scope, "cs_idem_3", at(0).Add(30*time.Second)),
		done("create-3", at(0).Add(30*time.Second), `{"id":"cs_idem_3"}`)), gateway.ErrIdempotencyKeyTaken)
	noErr(t, "CreateCheckoutSession under a stale key", f.store.CreateCheckoutSession(f.ctx, session(f.scope, "cs_idem_3", at(2)),
		done("create-3", at(2), `{"id":"cs_idem_3"}`)))
	if rec := lookup("create-3"); !rec.Done || string(rec.Body) != `{"id":"cs_idem_3"}` {
		t.Fatalf("stale record not replaced: %+v", rec)
	}

	// An expired finished record is replaced.
	noErr(t, "CreateCheckoutSession after the key expired", f.store.CreateCheckoutSession(f.ctx, session(f.scope, "cs_idem_4", at(0).Add(25*time.Hour)),
		done("create-1", at(0).Add(25*time.Hour), `{"id":"cs_idem_4"}`)))
	if rec := lookup("create-1"); string(rec.Body) != `{"id":"cs_idem_4"}` {
		t.Fatalf("expired record not replaced: %+v", rec)
	}

	// A create that fails (a taken session id) leaves no record.
	wantErr(t, "CreateCheckoutSession of a taken id", f.store.CreateCheckoutSession(f.ctx, session(f.scope, "cs_idem_1", at(3)),
		done("create-5", at(3), `{}`)), gateway.ErrConflict)
	if rec := lookup("create-5"); rec != nil {
		t.Fatalf("a failed create left its key: %+v", rec)
	}
}
