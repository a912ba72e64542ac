// Package deliver POSTs webhook events to merchants' endpoints: durable (it
// works only from delivery rows written with the events), signed with the
// public webhook package, retried on the seed's schedule, and independent
// per endpoint (a slow endpoint holds at most PerEndpoint attempts).
package deliver

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/webhook"
)

// Worker delivers due webhook deliveries.
type Worker struct {
	Service *gateway.Service
	Store   gateway.WebhookStore
	// Clients send the POSTs of each mode; they must not follow redirects
	// and should carry that mode's SSRF guard (netguard.NewClient).
	Clients map[gateway.Mode]*http.Client
	// Schedule is the retry schedule (default 1m, 5m, 30m, 2h).
	Schedule []time.Duration
	// Timeout bounds one attempt (default 10s).
	Timeout time.Duration
	// Lease is how long a claimed delivery is this worker's (default 30s,
	// longer than Timeout); a crashed worker's claims lapse after it.
	Lease time.Duration
	// Concurrency caps attempts in flight (default 64); PerEndpoint caps
	// them per endpoint (default 8) so one endpoint can't take them all.
	Concurrency int
	PerEndpoint int
	// Poll is how often due deliveries are looked for without a wake-up
	// (default 500ms): retries, other nodes' events, lapsed leases.
	Poll   time.Duration
	Now    func() time.Time
	Logger *slog.Logger
	// OnAttempt, if set, is told of each attempt made: result is
	// "succeeded", "failed" (no retry follows) or "retry", d its latency.
	OnAttempt func(result string, d time.Duration)
	// OnClaim, if set, is told how many deliveries this worker claimed.
	OnClaim func(n int)
	// Alerts, if set, tells merchants when an endpoint starts failing.
	Alerts *FailureAlerts
}

// Run delivers until ctx is done, then waits for attempts in flight.
func (w *Worker) Run(ctx context.Context) error {
	schedule := w.Schedule
	if len(schedule) == 0 {
		schedule = gateway.DefaultRetrySchedule
	}
	timeout := cmp.Or(w.Timeout, 10*time.Second)
	lease := cmp.Or(w.Lease, 3*timeout)
	concurrency := cmp.Or(w.Concurrency, 64)
	perEndpoint := cmp.Or(w.PerEndpoint, 8)
	now := w.Now
	if now == nil {
		now = func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
	}
	log := cmp.Or(w.Logger, slog.New(slog.DiscardHandler))
	poll := time.NewTicker(cmp.Or(w.Poll, 500*time.Millisecond))
	defer poll.Stop()

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		inFlight int
		freed    = make(chan struct{}, 1)
	)
	defer wg.Wait()
	for {
		mu.Lock()
		free := concurrency - inFlight
		mu.Unlock()
		claimed := 0
		if free > 0 {
			t := now()
			jobs, err := w.Store.ClaimDueDeliveries(ctx, t, t.Add(lease), free, perEndpoint)
			if err != nil && ctx.Err() == nil {
				log.ErrorContext(ctx, "claim webhook deliveries", "err", err)
			}
			claimed = len(jobs)
			if claimed > 0 && w.OnClaim != nil {
				w.OnClaim(claimed)
			}
			// The store caps each endpoint's live leases (on every node), so a
			// slow endpoint holds at most perEndpoint of these goroutines.
			for _, job := range jobs {
				mu.Lock()
				inFlight++
				mu.Unlock()
				wg.Add(1)
				go func() {
					defer wg.Done()
					w.attempt(ctx, job, schedule, timeout, now, log)
					mu.Lock()
					inFlight--
					mu.Unlock()
					select {
					case freed <- struct{}{}:
					default:
					}
				}()
			}
		}
		if claimed > 0 && claimed == free {
			continue // more may be due
		}
		select {
		case <-ctx.Done():
			return nil
		case <-w.Service.DeliveriesReady():
		case <-poll.C:
		case <-freed:
		}
	}
}

// attempt POSTs one delivery and records the outcome.
func (w *Worker) attempt(ctx context.Context, job gateway.DeliveryJob, schedule []time.Duration, timeout time.Duration, now func() time.Time, log *slog.Logger) {
	d := job.Delivery
	start := now()
	outcome, body := w.post(ctx, job, start, timeout)
	if ctx.Err() != nil {
		return // shutting down: the lease lapses and the attempt is made again
	}
	end := now()
	a := gateway.DeliveryAttempt{
		ID: gateway.NewID(gateway.PrefixAttempt), DeliveryID: d.ID, Attempt: d.Attempts + 1, At: start,
		StatusCode: outcome.StatusCode, Latency: end.Sub(start), ResponseBody: body,
	}
	if outcome.Err != nil {
		a.Error = outcome.Err.Error()
	}
	next := gateway.NextDelivery(d, outcome, schedule, end)
	if w.OnAttempt != nil {
		w.OnAttempt(attemptResult(next.Status), a.Latency)
	}
	err := w.Store.RecordDeliveryAttempt(context.WithoutCancel(ctx), d.LeaseToken, a, next)
	switch {
	case errors.Is(err, gateway.ErrConflict):
		log.WarnContext(ctx, "webhook delivery lease lost; another worker owns it", "delivery_id", d.ID)
	case err != nil:
		log.ErrorContext(ctx, "record webhook attempt", "delivery_id", d.ID, "err", err)
	default:
		log.InfoContext(ctx, "webhook attempt", "delivery_id", d.ID, "event_id", job.Event.ID, "endpoint_id", job.Endpoint.ID,
			"attempt", a.Attempt, "status_code", a.StatusCode, "latency_ms", a.Latency.Milliseconds(), "result", next.Status, "err", a.Error)
		if w.Alerts == nil {
			return
		}
		lastErr := a.Error
		if lastErr == "" {
			lastErr = fmt.Sprintf("HTTP %d", a.StatusCode)
		}
		if send := w.Alerts.Observe(job, next.Status == gateway.DeliverySucceeded, lastErr, end); send != nil {
			go func() { // not on the attempt's slot: a slow mail server must not hold deliveries
				sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
				defer cancel()
				if err := send(sctx); err != nil {
					log.WarnContext(ctx, "webhook failing alert not sent", "endpoint_id", job.Endpoint.ID, "err", err)
				}
			}()
		}
	}
}

// attemptResult names an attempt's outcome by the delivery's next status.
func attemptResult(s gateway.DeliveryStatus) string {
	switch s {
	case gateway.DeliverySucceeded:
		return "succeeded"
	case gateway.DeliveryFailed:
		return "failed"
	}
	return "retry"
}

func (w *Worker) post(ctx context.Context, job gateway.DeliveryJob, at time.Time, timeout time.Duration) (gateway.AttemptOutcome, string) {
	secrets, err := w.Service.EndpointSecrets(&job.Endpoint, at)
	if err != nil {
		return gateway.AttemptOutcome{Err: err}, ""
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, job.Endpoint.URL, bytes.NewReader(job.Event.Body))
	if err != nil {
		return gateway.AttemptOutcome{Err: err}, ""
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", webhook.UserAgent)
	h.Set(webhook.HeaderEvent, string(job.Event.Type))
	h.Set(webhook.HeaderEventID, job.Event.ID)
	h.Set(webhook.HeaderDeliveryID, job.Delivery.ID)
	h.Set(webhook.HeaderAttempt, strconv.Itoa(job.Delivery.Attempts+1))
	webhook.SignHeaders(h, secrets, at, job.Event.Body)
	client := w.Clients[job.Endpoint.Mode]
	if client == nil {
		return gateway.AttemptOutcome{Err: errors.New("no HTTP client for " + string(job.Endpoint.Mode) + " mode")}, ""
	}
	res, err := client.Do(req)
	if err != nil {
		return gateway.AttemptOutcome{Err: err}, ""
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, gateway.MaxLoggedResponse))
	io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20)) // let the connection be reused
	return gateway.AttemptOutcome{StatusCode: res.StatusCode}, string(b)
}
