package loadtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
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
//   - BaselineSQLiteGroup does BaselineSQLite's INSERT, but group-committed:
//     one goroutine runs every INSERT queued while its last commit ran in one
//     transaction and answers them after its COMMIT (one fsync). No
//     savepoints, no indexes but the key, no second table: the most creates a
//     durable SQLite server does on this machine, with the gateway's driver.
//
// Any other request gets the same small JSON object with 200, so read
// scenarios have a ceiling too.
const (
	BaselineNoDB        = "nodb"
	BaselineSQLite      = "sqlite"
	BaselineSQLiteGroup = "sqlite-group"
)

// Baselines lists the kinds in the order a bench runs them.
var Baselines = []string{BaselineNoDB, BaselineSQLite, BaselineSQLiteGroup}

// NewBaseline returns the handler of a baseline kind and a function that
// releases what it holds. SQLite keeps its file in dir.
func NewBaseline(ctx context.Context, kind, dir string) (http.Handler, func() error, error) {
	switch kind {
	case BaselineNoDB:
		return baseline(nil), func() error { return nil }, nil
	case BaselineSQLite, BaselineSQLiteGroup:
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
		if kind == BaselineSQLiteGroup {
			g, err := startGroupCommit(db)
			if err != nil {
				db.Close()
				return nil, nil, err
			}
			return baseline(g.insert), g.close, nil
		}
		return baseline(func(ctx context.Context, args ...any) error {
			_, err := db.ExecContext(ctx, insertBaseline, args...)
			return err
		}), db.Close, nil
	}
	return nil, nil, fmt.Errorf("unknown baseline %q (want %s, %s or %s)", kind, BaselineNoDB, BaselineSQLite, BaselineSQLiteGroup)
}

const insertBaseline = `INSERT INTO checkout_sessions VALUES (?, ?, ?, ?, ?, ?, ?)`

// groupCommit runs the INSERTs queued while its last commit ran in one
// transaction, and answers each after the COMMIT returns.
type groupCommit struct {
	db    *sql.DB
	stmt  *sql.Stmt
	queue chan groupInsert
	stop  chan struct{} // closed by close
	done  chan struct{} // closed when run has returned
}

type groupInsert struct {
	args []any
	err  chan error
}

func startGroupCommit(db *sql.DB) (*groupCommit, error) {
	stmt, err := db.Prepare(insertBaseline)
	if err != nil {
		return nil, err
	}
	g := &groupCommit{db: db, stmt: stmt, queue: make(chan groupInsert, 1024),
		stop: make(chan struct{}), done: make(chan struct{})}
	go g.run()
	return g, nil
}

func (g *groupCommit) insert(ctx context.Context, args ...any) error {
	in := groupInsert{args: args, err: make(chan error, 1)}
	select {
	case g.queue <- in:
	case <-ctx.Done():
		return ctx.Err()
	case <-g.done:
		return errStopped
	}
	select {
	case err := <-in.err:
		return err
	case <-g.done:
		return errStopped
	}
}

var errStopped = errors.New("baseline stopped")

func (g *groupCommit) run() {
	defer close(g.done)
	for {
		var batch []groupInsert
		select {
		case in := <-g.queue:
			batch = append(batch, in)
		case <-g.stop:
			return
		}
	more:
		for len(batch) < 256 {
			select {
			case in := <-g.queue:
				batch = append(batch, in)
			default:
				break more
			}
		}
		err := g.commit(batch)
		for _, in := range batch {
			in.err <- err
		}
	}
}

// commit runs batch in one transaction; if any INSERT fails, all fail.
func (g *groupCommit) commit(batch []groupInsert) error {
	tx, err := g.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt := tx.Stmt(g.stmt)
	for _, in := range batch {
		if _, err := stmt.Exec(in.args...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// close stops the committer; inserts still waiting fail.
func (g *groupCommit) close() error {
	close(g.stop)
	<-g.done
	return g.db.Close()
}

// baseline answers like the gateway's create; insert, if not nil, stores the
// session first.
func baseline(insert func(ctx context.Context, args ...any) error) http.Handler {
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
		if insert != nil {
			md, _ := json.Marshal(p.Metadata)
			var email any
			if p.CustomerEmail != nil {
				email = *p.CustomerEmail
			}
			if err := insert(r.Context(), id, *p.AmountCents, *p.Currency, email, *p.SuccessURL, *p.CancelURL, string(md)); err != nil {
				http.Error(w, `{"error":{"code":"internal_error"}}`, http.StatusInternalServerError)
				return
			}
		}
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]any{"id": id, "object": "checkout_session", "status": "pending",
			"amount_cents": *p.AmountCents, "currency": *p.Currency, "metadata": p.Metadata})
	})
}
