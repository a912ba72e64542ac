package storetest

import (
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
		n, err := f.store.PurgeIdempotent(f.ctx, at(-990))
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
		n, err = f.store.PurgeIdempotent(f.ctx, at(-990))
		noErr(t, "PurgeIdempotent", err)
		if n != 0 {
			t.Errorf("second PurgeIdempotent purged %d records, want 0", n)
		}
	})
}

// testIdempotentCreate: a session created with an Idempotency-Key completion
// completes the key in the same transaction — and a failed create leaves the
// key in progress.
func testIdempotentCreate(t *testing.T, f *fixture) {
	keyID := f.keys["sk_test"].ID
	begin := func(key string) {
		t.Helper()
		got, err := f.store.BeginIdempotent(f.ctx, gateway.IdempotencyRecord{APIKeyID: keyID, Key: key, RequestHash: []byte("h"), CreatedAt: at(0)}, at(-60))
		if err != nil || got != nil {
			t.Fatalf("BeginIdempotent(%s): %v %v", key, got, err)
		}
	}
	read := func(key string) *gateway.IdempotencyRecord {
		t.Helper()
		got, err := f.store.BeginIdempotent(f.ctx, gateway.IdempotencyRecord{APIKeyID: keyID, Key: key, RequestHash: []byte("h"), CreatedAt: at(0)}, at(-60))
		noErr(t, "BeginIdempotent", err)
		return got
	}
	begin("create-1")
	s := session(f.scope, "cs_idem_1", at(0))
	noErr(t, "CreateCheckoutSession", f.store.CreateCheckoutSession(f.ctx, s,
		&gateway.IdempotencyCompletion{APIKeyID: keyID, Key: "create-1", Status: 201, Body: []byte(`{"id":"cs_idem_1"}`)}))
	if rec := read("create-1"); rec == nil || !rec.Done || rec.Status != 201 || string(rec.Body) != `{"id":"cs_idem_1"}` {
		t.Fatalf("key after the create: %+v", rec)
	}
	begin("create-2")
	dup := session(f.scope, "cs_idem_1", at(1)) // the same id: the insert fails
	wantErr(t, "CreateCheckoutSession of a taken id", f.store.CreateCheckoutSession(f.ctx, dup,
		&gateway.IdempotencyCompletion{APIKeyID: keyID, Key: "create-2", Status: 201, Body: []byte(`{}`)}), gateway.ErrConflict)
	if rec := read("create-2"); rec == nil || rec.Done {
		t.Fatalf("a failed create completed its key: %+v", rec)
	}
}
