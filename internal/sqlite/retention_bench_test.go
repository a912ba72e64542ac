package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// BenchmarkPurgeIdempotent deletes 100,000 expired Idempotency-Key records
// (with 600-byte stored replies) while a writer beside it stores a new key
// record every millisecond, as live traffic does, and reports the writer's
// worst wait (max-write-ms) beside the purge's own time: "unbounded" is the
// single DELETE the expiry worker ran before the retention worker,
// "batch500" the worker's batches (gateway.DefaultRetentionBatch).
//
//	go test ./internal/sqlite -run '^$' -bench PurgeIdempotent -benchtime 3x
func BenchmarkPurgeIdempotent(b *testing.B) {
	const rows = 100_000
	for _, bc := range []struct {
		name  string
		purge func(ctx context.Context, s *Store, before time.Time) error
	}{
		{"unbounded", func(ctx context.Context, s *Store, before time.Time) error {
			return s.write(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, "DELETE FROM idempotency_keys WHERE created_at < ?", timeCol(before))
				return err
			})
		}},
		{"batch500", func(ctx context.Context, s *Store, before time.Time) error {
			for {
				n, err := s.PurgeIdempotent(ctx, before, gateway.DefaultRetentionBatch)
				if err != nil || n < gateway.DefaultRetentionBatch {
					return err
				}
			}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := b.Context()
			var worst time.Duration
			for range b.N {
				b.StopTimer()
				s, keyID := seedIdempotency(b, rows)
				stop := make(chan struct{})
				var wg sync.WaitGroup
				var maxWrite time.Duration
				wg.Go(func() {
					tick := time.NewTicker(time.Millisecond)
					defer tick.Stop()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						case <-tick.C:
						}
						start := time.Now()
						if _, err := s.BeginIdempotent(ctx, gateway.IdempotencyRecord{APIKeyID: keyID, Key: fmt.Sprintf("live-%d", i),
							RequestHash: []byte("h"), CreatedAt: benchNow}, benchNow.Add(-time.Hour)); err != nil {
							b.Error(err)
							return
						}
						maxWrite = max(maxWrite, time.Since(start))
					}
				})
				time.Sleep(20 * time.Millisecond) // the writer is running
				b.StartTimer()
				if err := bc.purge(ctx, s, benchNow.Add(-24*time.Hour)); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				close(stop)
				wg.Wait()
				worst = max(worst, maxWrite)
				var left int
				s.reader.QueryRowContext(ctx, "SELECT COUNT(*) FROM idempotency_keys WHERE created_at < ?", timeCol(benchNow.Add(-24*time.Hour))).Scan(&left)
				if left != 0 {
					b.Fatalf("%d expired records left", left)
				}
				s.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(worst.Microseconds())/1000, "max-write-ms")
		})
	}
}

// seedIdempotency makes a store holding rows expired records of one key.
func seedIdempotency(b *testing.B, rows int) (*Store, string) {
	b.Helper()
	s, err := Open(b.Context(), Config{Path: filepath.Join(b.TempDir(), "satsrail.db")})
	if err != nil {
		b.Fatal(err)
	}
	m := gateway.Merchant{ID: "mer_bench", Name: "B", Email: "b@example.com", Status: "active", CreatedAt: benchNow, UpdatedAt: benchNow}
	key, _ := gateway.NewAPIKey(m.ID, gateway.KeySecret, gateway.ModeTest, benchNow)
	if err := s.CreateMerchant(b.Context(), &m, []gateway.APIKey{key}); err != nil {
		b.Fatal(err)
	}
	old := timeCol(benchNow.Add(-48 * time.Hour))
	if _, err := s.writer.ExecContext(b.Context(), `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO idempotency_keys (api_key_id, key, request_hash, done, status, body, created_at)
		SELECT ?, 'k' || i, randomblob(32), 1, 201, randomblob(600), ? FROM n`, rows, key.ID, old); err != nil {
		b.Fatal(err)
	}
	return s, key.ID
}
