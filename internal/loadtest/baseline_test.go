package loadtest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
)

// TestBaselinesStoreWhatTheyAnswer: each SQLite baseline answers 201 only
// for a session it stored — the group-committed one included, under
// concurrent creates that share its commits — and refuses a bad body.
func TestBaselinesStoreWhatTheyAnswer(t *testing.T) {
	for _, kind := range []string{BaselineSQLite, BaselineSQLiteGroup} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			h, closeFn, err := NewBaseline(context.Background(), kind, dir)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(h)
			const n = 64
			ids := make([]string, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					resp, err := http.Post(srv.URL+"/api/v1/checkout_sessions", "application/json", bytes.NewReader(CreateBody))
					if err != nil {
						t.Error(err)
						return
					}
					defer resp.Body.Close()
					var out struct{ ID string }
					if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusCreated {
						t.Errorf("create: %d %v", resp.StatusCode, err)
					}
					ids[i] = out.ID
				})
			}
			wg.Wait()
			resp, err := http.Post(srv.URL+"/api/v1/checkout_sessions", "application/json", bytes.NewReader([]byte(`{"checkout_session":{}}`)))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("a body without amount: %d, want 422", resp.StatusCode)
			}
			srv.Close()
			if err := closeFn(); err != nil {
				t.Fatal(err)
			}
			db, err := sql.Open("sqlite", filepath.Join(dir, "baseline.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for _, id := range ids {
				var found int
				if err := db.QueryRow("SELECT COUNT(*) FROM checkout_sessions WHERE id = ?", id).Scan(&found); err != nil || found != 1 {
					t.Fatalf("answered session %q: %d stored (%v)", id, found, err)
				}
			}
			var total int
			if err := db.QueryRow("SELECT COUNT(*) FROM checkout_sessions").Scan(&total); err != nil || total != n {
				t.Fatalf("%d sessions stored (%v), want %d", total, err, n)
			}
		})
	}
}
