package sqlite

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
)

// BenchmarkNameFilter is what folding by Unicode costs a product name
// filter: SQLite's ASCII-only LIKE (the old query) beside satsrail_lower on
// both sides (the new one), over 10,000 names.
//
//	go test ./internal/sqlite -run '^$' -bench NameFilter
func BenchmarkNameFilter(b *testing.B) {
	ctx := context.Background()
	db := openDB(dsn(filepath.Join(b.TempDir(), "bench.db")))
	defer db.Close()
	if _, err := db.ExecContext(ctx, `CREATE TABLE p (name TEXT NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	for i := range 10_000 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO p VALUES (?)`, "Café Latte n°"+strconv.Itoa(i)); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	for _, q := range []struct{ name, sql string }{
		{"LIKE", `SELECT count(*) FROM p WHERE name LIKE ? ESCAPE '\'`},
		{"satsrail_lower", `SELECT count(*) FROM p WHERE satsrail_lower(name) LIKE satsrail_lower(?) ESCAPE '\'`},
	} {
		b.Run(q.name, func(b *testing.B) {
			for b.Loop() {
				var n int
				if err := db.QueryRowContext(ctx, q.sql, "%latte n°99%").Scan(&n); err != nil || n != 111 { // n°99, n°990 … n°999, n°9900 … n°9999
					b.Fatal(n, err)
				}
			}
		})
	}
}
