package loadtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"

	"github.com/satsrail/satsrail/apitype"

	_ "modernc.org/sqlite" // the same SQLite the gateway uses
)

// The baselines answer POST /api/v1/checkout_sessions the cheapest honest
// way, so every gateway number has a ceiling measured on the same machine,
// with the same client, in the same run:
//
//   - BaselineNoDB decodes the same JSON strictly and answers 201 with a small
//     object: what net/http and encoding/json cost, no database.
//   - BaselineSQLite does the same plus one INSERT per request into a SQLite
//     file with the gateway's durability (WAL, synchronous=FULL), each
//     request its own commit: the naive durable server.
//
// Any other request gets the same small JSON object with 200, so read
// scenarios have a ceiling too.
const (
	BaselineNoDB   = "nodb"
	BaselineSQLite = "sqlite"
)

// NewBaseline returns the handler of a baseline kind and a function that
// releases what it holds. SQLite keeps its file in dir.
func NewBaseline(ctx context.Context, kind, dir string) (http.Handler, func() error, error) {
	switch kind {
	case BaselineNoDB:
		return baseline(nil), func() error { return nil }, nil
	case BaselineSQLite:
		path := filepath.Join(dir, "baseline.db")
		db, err := sql.Open("sqlite", path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)")
		if err != nil {
			return nil, nil, err
		}
		db.SetMaxOpenConns(1) // one SQLite writer, as any SQLite server has
		if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS checkout_sessions (id TEXT PRIMARY KEY,
			amount_cents INTEGER NOT NULL, currency TEXT NOT NULL, customer_email TEXT, success_url TEXT NOT NULL,
			cancel_url TEXT NOT NULL, metadata TEXT NOT NULL)`); err != nil {
			db.Close()
			return nil, nil, err
		}
		return baseline(db), db.Close, nil
	}
	return nil, nil, fmt.Errorf("unknown baseline %q (want %s or %s)", kind, BaselineNoDB, BaselineSQLite)
}

func baseline(db *sql.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if r.Method != http.MethodPost {
			w.Write([]byte(`{"id":"cs_baseline","object":"checkout_session","status":"pending"}`))
			return
		}
		var in apitype.CheckoutSessionCreate
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil || in.CheckoutSession == nil || in.CheckoutSession.AmountCents == nil ||
			in.CheckoutSession.Currency == nil || in.CheckoutSession.SuccessURL == nil || in.CheckoutSession.CancelURL == nil {
			http.Error(w, `{"error":{"code":"validation_error"}}`, http.StatusUnprocessableEntity)
			return
		}
		p := in.CheckoutSession
		var b [12]byte
		rand.Read(b[:])
		id := "cs_" + hex.EncodeToString(b[:])
		if db != nil {
			md, _ := json.Marshal(p.Metadata)
			var email any
			if p.CustomerEmail != nil {
				email = *p.CustomerEmail
			}
			if _, err := db.ExecContext(r.Context(), `INSERT INTO checkout_sessions VALUES (?, ?, ?, ?, ?, ?, ?)`,
				id, *p.AmountCents, *p.Currency, email, *p.SuccessURL, *p.CancelURL, string(md)); err != nil {
				http.Error(w, `{"error":{"code":"internal_error"}}`, http.StatusInternalServerError)
				return
			}
		}
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]any{"id": id, "object": "checkout_session", "status": "pending",
			"amount_cents": *p.AmountCents, "currency": *p.Currency, "metadata": p.Metadata})
	})
}
