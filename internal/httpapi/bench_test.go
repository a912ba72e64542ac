package httpapi_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/satsrail/satsrail/apitype"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/httpapi"
	_ "modernc.org/sqlite"
)

var benchBody = []byte(`{"checkout_session":{"amount_cents":5000,"currency":"usd","customer_email":"buyer@example.com","success_url":"https://store.com/success","cancel_url":"https://store.com/cart","metadata":{"order_id":"ORD-1234"}}}`)

// BenchmarkCreateCheckoutSession measures POST /checkout_sessions through the
// whole handler stack (auth, rate limit, idempotency, validation, durable
// write on SQLite) beside a baseline in the same run: a bare net/http handler
// that decodes the same JSON and does one SQLite INSERT with the same
// durability settings. Compare the ns/op of the sub-benchmarks.
func BenchmarkCreateCheckoutSession(b *testing.B) {
	b.Run("baseline=decode+insert", func(b *testing.B) {
		h := baselineHandler(b)
		benchServe(b, h, "", false)
	})
	b.Run("satsrail", func(b *testing.B) {
		e := setup(b, options{rateLimit: 1 << 30})
		benchServe(b, httpapi.New(httpapi.Config{Service: e.svc, PublicURL: "https://pay.example.com"}), e.a.sk(), false)
	})
	b.Run("satsrail+idempotency-key", func(b *testing.B) {
		e := setup(b, options{rateLimit: 1 << 30})
		benchServe(b, httpapi.New(httpapi.Config{Service: e.svc, PublicURL: "https://pay.example.com"}), e.a.sk(), true)
	})
}

var benchSeq atomic.Int64

func benchServe(b *testing.B, h http.Handler, key string, idem bool) {
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/api/v1/checkout_sessions", bytes.NewReader(benchBody))
		req.Header.Set("Authorization", "Bearer "+key)
		if idem {
			req.Header.Set("Idempotency-Key", fmt.Sprint("k", benchSeq.Add(1)))
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}

// baselineHandler is the "one INSERT" ceiling: same JSON decode, one row in a
// WAL SQLite file with synchronous=FULL, and a JSON answer.
func baselineHandler(b *testing.B) http.Handler {
	path := filepath.Join(b.TempDir(), "base.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE s (id TEXT PRIMARY KEY, amount INTEGER, currency TEXT, email TEXT, success_url TEXT, cancel_url TEXT, metadata TEXT)`); err != nil {
		b.Fatal(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in apitype.CheckoutSessionCreate
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil || in.CheckoutSession == nil {
			http.Error(w, "bad", 422)
			return
		}
		p := in.CheckoutSession
		md, _ := json.Marshal(p.Metadata)
		id := gateway.NewID("cs_")
		if _, err := db.Exec(`INSERT INTO s VALUES (?,?,?,?,?,?,?)`, id, *p.AmountCents, *p.Currency, *p.CustomerEmail, *p.SuccessURL, *p.CancelURL, string(md)); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]any{"id": id, "token": id, "status": "pending"})
	})
}
