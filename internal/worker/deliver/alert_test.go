package deliver

import (
	"context"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// TestFailureAlerts: an endpoint is reported once it has failed Threshold
// attempts in a row, once only until it succeeds again or the cooldown
// passes; endpoints are counted apart.
func TestFailureAlerts(t *testing.T) {
	var sent []string
	a := &FailureAlerts{Threshold: 3, Cooldown: time.Hour, Send: func(_ context.Context, job gateway.DeliveryJob, failures int, lastErr string) error {
		sent = append(sent, job.Endpoint.ID+" "+lastErr)
		return nil
	}}
	job := func(id string) gateway.DeliveryJob {
		return gateway.DeliveryJob{Endpoint: gateway.WebhookEndpoint{ID: id}}
	}
	t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	steps := []struct {
		endpoint string
		ok       bool
		at       time.Duration
		alert    bool
	}{
		{"we_a", false, 0, false},
		{"we_b", false, 0, false},
		{"we_a", false, time.Minute, false},
		{"we_a", false, 2 * time.Minute, true}, // third in a row
		{"we_a", false, 3 * time.Minute, false},
		{"we_b", true, 3 * time.Minute, false}, // b's count starts again
		{"we_b", false, 4 * time.Minute, false},
		{"we_b", false, 5 * time.Minute, false},
		{"we_a", false, 2*time.Minute + time.Hour, true}, // still down after the cooldown
		{"we_a", true, 3 * time.Hour, false},
		{"we_a", false, 4 * time.Hour, false},
		{"we_a", false, 4 * time.Hour, false},
		{"we_a", false, 4 * time.Hour, true}, // failing again after a success
	}
	for i, s := range steps {
		send := a.Observe(job(s.endpoint), s.ok, "HTTP 500", t0.Add(s.at))
		if (send != nil) != s.alert {
			t.Fatalf("step %d (%s ok=%v): alert %v, want %v", i, s.endpoint, s.ok, send != nil, s.alert)
		}
		if send != nil {
			if err := send(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(sent) != 3 {
		t.Errorf("sent %q, want three alerts", sent)
	}
}
