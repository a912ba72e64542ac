// Package metrics is satsrail's Prometheus instrumentation: one Set per
// process holding its own registry (no global one) and every collector,
// with a constant node label on each series so that one scrape, or many
// merged, tells the nodes apart, and shows which node holds which wallet
// stream.
//
// Packages that do the work do not import this one: they expose small
// hooks (httpapi.Config.Observe, deliver.Worker.OnAttempt, ...) and main
// wires them to the methods here. Labels carry route patterns, modes,
// results, currencies and wallet ids, never a raw path, key or secret.
//
// The handler is unauthenticated, as Prometheus expects: operators should
// keep /metrics off the public internet (firewall or proxy rule).
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Set holds a registry and every satsrail collector in it.
type Set struct {
	reg *prometheus.Registry
	// wrapped adds the node label to whatever registers through it.
	wrapped prometheus.Registerer

	httpRequests    *prometheus.CounterVec
	httpDuration    *prometheus.HistogramVec
	sessions        *prometheus.CounterVec
	settlements     *prometheus.CounterVec
	reconciles      prometheus.Counter
	reconciled      prometheus.Counter
	webhookAttempts *prometheus.CounterVec
	webhookDuration prometheus.Histogram
	webhookClaimed  prometheus.Counter
	walletStream    *prometheus.GaugeVec
}

// New builds a Set whose every series carries node (e.g. "host:8080", or
// --node-id) and registers the Go runtime and process collectors with them.
func New(node string) *Set {
	reg := prometheus.NewRegistry()
	s := &Set{reg: reg, wrapped: prometheus.WrapRegistererWith(prometheus.Labels{"node": node}, reg)}
	f := promauto.With(s.wrapped)

	s.httpRequests = f.NewCounterVec(prometheus.CounterOpts{Name: "satsrail_http_requests_total",
		Help: "HTTP requests answered, by route pattern (never the raw path), method and status code."},
		[]string{"route", "method", "code"})
	s.httpDuration = f.NewHistogramVec(prometheus.HistogramOpts{Name: "satsrail_http_request_duration_seconds",
		Help: "Time to answer HTTP requests, by route pattern and method (event streams count their whole life)."},
		[]string{"route", "method"})
	s.sessions = f.NewCounterVec(prometheus.CounterOpts{Name: "satsrail_checkout_sessions_total",
		Help: "Checkout sessions created, completed, expired and cancelled on this node, by mode (live or test)."},
		[]string{"event", "mode"})
	s.settlements = f.NewCounterVec(prometheus.CounterOpts{Name: "satsrail_settlements_total",
		Help: "Payments that completed a checkout session on this node, by how they were found: hint (wallet hint or stream), reconcile (sweep) or simulate."},
		[]string{"path", "mode"})
	s.reconciles = f.NewCounter(prometheus.CounterOpts{Name: "satsrail_reconcile_runs_total",
		Help: "Reconciliation sweeps (every open invoice looked up in its wallet) this node finished."})
	s.reconciled = f.NewCounter(prometheus.CounterOpts{Name: "satsrail_reconcile_completed_total",
		Help: "Checkout sessions the reconciliation sweeps of this node found paid and completed."})
	s.webhookAttempts = f.NewCounterVec(prometheus.CounterOpts{Name: "satsrail_webhook_attempts_total",
		Help: "Webhook delivery attempts made by this node, by result: succeeded, retry (another attempt is scheduled) or failed (no retry follows)."},
		[]string{"result"})
	s.webhookDuration = f.NewHistogram(prometheus.HistogramOpts{Name: "satsrail_webhook_attempt_duration_seconds",
		Help:    "Time from sending a webhook POST to its answer (or failure).",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}})
	s.webhookClaimed = f.NewCounter(prometheus.CounterOpts{Name: "satsrail_webhook_deliveries_claimed_total",
		Help: "Webhook deliveries this node claimed to attempt (work taken from the shared queue)."})
	s.walletStream = f.NewGaugeVec(prometheus.GaugeOpts{Name: "satsrail_wallet_stream_up",
		Help: "1 while this node holds the settlement stream of the wallet, 0 once it stopped; absent if it never did."},
		[]string{"wallet_id", "type"})

	s.wrapped.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return s
}

// Handler serves the registry in the Prometheus text (or negotiated) format.
func (s *Set) Handler() http.Handler {
	return promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{Registry: s.wrapped})
}

// Registry is the Set's registry, for tests and extra collectors.
func (s *Set) Registry() *prometheus.Registry { return s.reg }

// ObserveHTTP counts one answered request; route is a pattern such as
// "/api/v1/checkout_sessions/{id}". It fits httpapi.Config.Observe and
// checkout.Config.Observe.
func (s *Set) ObserveHTTP(route, method string, code int, d time.Duration) {
	s.httpRequests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
	s.httpDuration.WithLabelValues(route, method).Observe(d.Seconds())
}

// Session counts a session event ("created", "completed", "expired",
// "cancelled") in mode ("live", "test").
func (s *Set) Session(event, mode string) { s.sessions.WithLabelValues(event, mode).Inc() }

// Settled counts a payment that completed a session, by path ("hint",
// "reconcile", "simulate").
func (s *Set) Settled(path, mode string) { s.settlements.WithLabelValues(path, mode).Inc() }

// Reconciled counts a finished reconciliation sweep and the sessions it
// completed.
func (s *Set) Reconciled(completed int) {
	s.reconciles.Inc()
	s.reconciled.Add(float64(completed))
}

// WebhookAttempt counts one delivery attempt by result ("succeeded",
// "retry", "failed") and observes its latency. It fits
// deliver.Worker.OnAttempt.
func (s *Set) WebhookAttempt(result string, d time.Duration) {
	s.webhookAttempts.WithLabelValues(result).Inc()
	s.webhookDuration.Observe(d.Seconds())
}

// WebhookClaimed counts deliveries this node claimed. It fits
// deliver.Worker.OnClaim.
func (s *Set) WebhookClaimed(n int) { s.webhookClaimed.Add(float64(n)) }

// WalletStream records whether this node holds the settlement stream of a
// wallet. It fits watch.Streams.OnStream.
func (s *Set) WalletStream(walletID, typ string, up bool) {
	v := 0.0
	if up {
		v = 1
	}
	s.walletStream.WithLabelValues(walletID, typ).Set(v)
}

// PriceAge is how old one held price is.
type PriceAge struct {
	Currency string
	// Source is a provider's name, or "median" for the price quotes use.
	Source string
	Age    time.Duration
}

// WatchPrices registers satsrail_price_age_seconds, read from ages at each
// scrape. Call it at most once.
func (s *Set) WatchPrices(ages func() []PriceAge) {
	s.wrapped.MustRegister(&priceCollector{ages: ages, desc: prometheus.NewDesc("satsrail_price_age_seconds",
		"Age of the BTC price held per currency: each provider's latest quote (stale ones keep ageing) and the median quotes use.",
		[]string{"currency", "source"}, nil)})
}

type priceCollector struct {
	ages func() []PriceAge
	desc *prometheus.Desc
}

func (c *priceCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *priceCollector) Collect(ch chan<- prometheus.Metric) {
	seen := map[[2]string]bool{}
	for _, a := range c.ages() {
		k := [2]string{a.Currency, a.Source}
		if seen[k] {
			continue // one series per label set, or the scrape fails
		}
		seen[k] = true
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, max(a.Age.Seconds(), 0), a.Currency, a.Source)
	}
}
