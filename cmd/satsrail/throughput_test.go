package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkCreateCheckoutPostgres measures POST /api/v1/checkout_sessions
// throughput against 1 and 2 real `satsrail serve` nodes on one PostgreSQL,
// 16 concurrent clients spread over the nodes. All processes share this
// 2-core machine, so a second node adds no hardware: the number shows the
// cost of coordination, not scale-out headroom.
func BenchmarkCreateCheckoutPostgres(b *testing.B) {
	for _, nodes := range []int{1, 2} {
		b.Run(fmt.Sprintf("nodes=%d", nodes), func(b *testing.B) {
			url := benchDatabase(b)
			os.Setenv("SATSRAIL_MASTER_KEY", strings.Repeat("ef", 32))
			defer os.Unsetenv("SATSRAIL_MASTER_KEY")
			out := benchCLI(b, "merchant", "create", "--database-url", url, "--name", "B", "--email", "b@example.com", "--rate-limit-per-minute", "100000000", "--json")
			var created struct {
				Keys map[string]string `json:"keys"`
			}
			json.Unmarshal([]byte(out), &created)
			var urls []string
			for range nodes {
				g := benchServe(b, "--database-url", url, "--data-dir", b.TempDir(), "--fixed-rates", "usd=65000", "--log-level", "error")
				urls = append(urls, g)
			}
			body, _ := json.Marshal(seedBody)
			var next, failed atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for c := range 16 {
				wg.Go(func() {
					client := &http.Client{Timeout: 10 * time.Second}
					for next.Add(1) <= int64(b.N) {
						req, _ := http.NewRequest("POST", urls[c%len(urls)]+"/api/v1/checkout_sessions", bytes.NewReader(body))
						req.Header.Set("Authorization", "Bearer "+created.Keys["sk_test"])
						res, err := client.Do(req)
						if err != nil || res.StatusCode != 201 {
							failed.Add(1)
						}
						if res != nil {
							res.Body.Close()
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "creates/s")
			if failed.Load() > 0 {
				b.Fatalf("%d requests failed", failed.Load())
			}
		})
	}
}

// Small process helpers for the benchmark (the tests' helpers take *testing.T).

func benchDatabase(b *testing.B) string {
	name := fmt.Sprintf("satsrail_bench_%d", time.Now().UnixNano())
	psql := func(sql string) {
		if out, err := exec.Command("psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-c", sql).CombinedOutput(); err != nil {
			b.Fatalf("psql: %v %s", err, out)
		}
	}
	psql("CREATE DATABASE " + name)
	b.Cleanup(func() { psql("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)") })
	return "postgres://postgres@127.0.0.1:5432/" + name + "?sslmode=disable"
}

func benchCLI(b *testing.B, args ...string) string {
	out, err := exec.Command(binary, args...).Output()
	if err != nil {
		b.Fatalf("satsrail %v: %v", args, err)
	}
	return string(out)
}

func benchServe(b *testing.B, args ...string) string {
	cmd := exec.Command(binary, append([]string{"serve", "--addr", "127.0.0.1:0", "--rate-providers", "coinbase=http://127.0.0.1:9"}, args...)...)
	pr, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "satsrail listening on "); ok {
			go io.Copy(io.Discard, pr)
			return u
		}
	}
	b.Fatal("serve did not start")
	return ""
}
