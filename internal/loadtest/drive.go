// Package loadtest drives a running gateway over HTTP and reports
// throughput and latency: the engine behind `satsrail bench`. It also holds
// the baseline servers every result is compared with in the same run.
package loadtest

import (
	"context"
	"math"
	"slices"
	"sync"
	"time"
)

// Op is one request of a scenario. worker is the client's number, i counts
// that client's requests; it returns the latency to record (usually the time
// since it started, but a scenario may time a part of its work) and an error
// when the request failed.
type Op func(ctx context.Context, worker, i int) (time.Duration, error)

// Load says how hard to drive.
type Load struct {
	Clients  int           // concurrent clients, at least 1
	Duration time.Duration // how long to run
	// Rate, when positive, paces all clients together to this many requests
	// per second (an open loop: latency counts from when a request was due,
	// so a stalled server can't hide its queue). Zero runs each client as
	// fast as the server answers (a closed loop: the maximum rate).
	Rate float64
}

// Stats is what one run measured.
type Stats struct {
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	Seconds  float64 `json:"seconds"`
	RPS      float64 `json:"requests_per_second"`
	P50      float64 `json:"p50_ms"`
	P90      float64 `json:"p90_ms"`
	P99      float64 `json:"p99_ms"`
	Max      float64 `json:"max_ms"`
	// FirstError is the first failure's message, to tell what went wrong.
	FirstError string `json:"first_error,omitempty"`
}

// Drive runs op under load and returns its statistics. Only successful
// requests count toward the rate and the latencies.
func Drive(ctx context.Context, load Load, op Op) Stats {
	clients := max(load.Clients, 1)
	ctx, cancel := context.WithTimeout(ctx, load.Duration)
	defer cancel()
	type tally struct {
		lat    []time.Duration
		errors int
		first  error
	}
	tallies := make([]tally, clients)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range clients {
		wg.Go(func() {
			t := &tallies[w]
			for i := 0; ctx.Err() == nil; i++ {
				var queued time.Duration
				if load.Rate > 0 {
					// Client w's i-th request is due at its slot of the
					// shared schedule; a late one carries its lateness.
					at := start.Add(time.Duration((float64(i*clients+w) / load.Rate) * float64(time.Second)))
					if wait := time.Until(at); wait > 0 {
						select {
						case <-time.After(wait):
						case <-ctx.Done():
							return
						}
					}
					queued = max(time.Since(at), 0)
				}
				// The request itself must not be cut by the run's end, or
				// the last requests would count as errors.
				d, err := op(context.WithoutCancel(ctx), w, i)
				switch {
				case err != nil:
					t.errors++
					if t.first == nil {
						t.first = err
					}
				default:
					t.lat = append(t.lat, queued+d)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	var st Stats
	for _, t := range tallies {
		all = append(all, t.lat...)
		st.Errors += t.errors
		if t.first != nil && st.FirstError == "" {
			st.FirstError = t.first.Error()
		}
	}
	st.Requests = len(all)
	st.Seconds = elapsed.Seconds()
	st.RPS = float64(len(all)) / elapsed.Seconds()
	slices.Sort(all)
	st.P50, st.P90, st.P99 = ms(quantile(all, 0.50)), ms(quantile(all, 0.90)), ms(quantile(all, 0.99))
	if len(all) > 0 {
		st.Max = ms(all[len(all)-1])
	}
	return st
}

// quantile is the q-th quantile of sorted latencies (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }
