package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/satsrail/satsrail/internal/bolt11"
	"github.com/satsrail/satsrail/internal/checkout"
	"github.com/satsrail/satsrail/internal/dashboard"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/httpapi"
	"github.com/satsrail/satsrail/internal/mail"
	"github.com/satsrail/satsrail/internal/metrics"
	"github.com/satsrail/satsrail/internal/password"
	"github.com/satsrail/satsrail/internal/proxyaddr"
	"github.com/satsrail/satsrail/internal/ratelimit"
	"github.com/satsrail/satsrail/internal/ratelimit/redislimit"
	"github.com/satsrail/satsrail/internal/rates"
	"github.com/satsrail/satsrail/internal/sqlite"
	"github.com/satsrail/satsrail/internal/wallet/testwallet"
	"github.com/satsrail/satsrail/internal/worker/deliver"
	"github.com/satsrail/satsrail/internal/worker/expire"
	"github.com/satsrail/satsrail/internal/worker/retain"
	"github.com/satsrail/satsrail/internal/worker/watch"
)

// demoFixedRates price the offline demo when no provider answers.
const demoFixedRates = "usd=65000,eur=60000,gbp=52000,cad=90000,chf=57000,aud=100000,jpy=10000000"

const demoEmail = "demo@satsrail.invalid"

type serveConfig struct {
	addr, dataDir, publicURL  string
	checkoutTTL               time.Duration
	fixedRates, rateProviders string
	rateInterval              time.Duration
	demo                      bool
	maxAmountCents            int64
	publicRateLimit           int
	logFormat, logLevel       string
	expireInterval            time.Duration
	checkpointEvery           time.Duration
	masterKey                 string
	extraMasterKeys           string
	autopayAfter              time.Duration
	reconcileEvery            time.Duration
	checkoutRateLimit         int
	retrySchedule             string
	allowPrivateWebhooks      bool
	allowPrivateWallets       bool
	webhookTimeout            time.Duration
	redisURL                  string
	nodeID                    string
	trustedProxies            string
	debugAddr                 string
	signup                    string
	pollWorkers               int
	pollHostRate              float64
	smtpURL, mailFrom         string
	retainIdempotency         *time.Duration
	retainAttempts            *time.Duration
	retentionInterval         time.Duration
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "serve [flags]", stdout)
	var c serveConfig
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	sf := addStoreFlags(fs)
	fs.StringVar(&c.publicURL, "public-url", "", "public base URL of this gateway, used to build checkout_url (default http://<addr>)")
	fs.DurationVar(&c.checkoutTTL, "checkout-ttl", gateway.DefaultCheckoutTTL, "checkout session lifetime unless the merchant sets its own (at least 10s)")
	fs.StringVar(&c.fixedRates, "fixed-rates", "", "fallback BTC prices used when no provider answers, e.g. usd=65000,eur=60000")
	fs.StringVar(&c.rateProviders, "rate-providers", "", "price providers and optional base URLs, e.g. coinbase,kraken,yadio=URL (default: all of coinbase, kraken, bitstamp, coingecko, yadio, blockchain, bitso, luno)")
	fs.DurationVar(&c.rateInterval, "rate-interval", rates.DefaultInterval, "time between price refreshes")
	fs.BoolVar(&c.demo, "demo", false, "create (or re-key) a demo merchant, print its test keys and a curl, and fall back to fixed demo prices offline")
	fs.Int64Var(&c.maxAmountCents, "max-amount-cents", int64(gateway.DefaultMaxAmountCents), "largest checkout amount in minor units")
	fs.IntVar(&c.publicRateLimit, "public-rate-limit-per-minute", 120, "per-IP limit per minute on unauthenticated requests")
	fs.StringVar(&c.logFormat, "log-format", "json", "log format: json or text")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.DurationVar(&c.expireInterval, "expire-interval", time.Second, "how often pending sessions are checked for expiry")
	fs.DurationVar(&c.checkpointEvery, "checkpoint-interval", sqlite.DefaultCheckpointEvery, "SQLite: time between background checkpoints, which copy the write-ahead log into the database file; each ends with an fsync that the commits beside it wait for, so shorter means smaller stalls (docs/PERFORMANCE.md)")
	fs.StringVar(&c.masterKey, "master-key", "", "master key sealing secrets at rest (64 hex chars); default: <data-dir>/master.key, created 0600 on first start")
	fs.StringVar(&c.extraMasterKeys, "extra-master-keys", "", "more master keys (comma-separated) this node opens secrets with, and seals with when the database names one of them: for rotating the master key (`satsrail master-key --help`)")
	fs.DurationVar(&c.autopayAfter, "test-autopay-after", 0, "test wallet: invoices pay themselves this long after creation (0 = off)")
	fs.DurationVar(&c.reconcileEvery, "reconcile-interval", 0, "how often every open invoice is looked up in its wallet, one lookup per pending session (0 = off: only at start and after a wallet stream reconnects, since the wallets' settlement feeds are exact)")
	fs.StringVar(&c.retrySchedule, "webhook-retry-schedule", "1m,5m,30m,2h", "waits between webhook delivery attempts after a failure; then the delivery has failed")
	fs.StringVar(&c.trustedProxies, "trusted-proxies", "", "load balancers whose X-Forwarded-For is believed (CIDRs or addresses, comma-separated), so per-IP limits see customers")
	fs.StringVar(&c.redisURL, "redis-url", "", "Redis URL (redis://host:6379/0) for rate limits shared by every node; without it each node counts on its own")
	fs.DurationVar(&c.webhookTimeout, "webhook-timeout", 10*time.Second, "how long one webhook attempt may take before it counts as failed")
	fs.BoolVar(&c.allowPrivateWebhooks, "allow-private-webhooks", false, "let live webhook URLs reach loopback, private and link-local addresses (development only)")
	fs.BoolVar(&c.allowPrivateWallets, "allow-private-wallets", true, "let merchants' wallet hosts (node URLs, relays, Lightning Address domains) be loopback, private or link-local addresses: a self-hosted shop's node usually sits on the same host or LAN (default off with --signup open)")
	fs.IntVar(&c.pollWorkers, "wallet-poll-workers", 32, "lookups in flight at once for the wallets that are polled (LNbits, LNDhub, Lightning Address), all merchants together; size it to lookups a second × one lookup's round trip")
	fs.Float64Var(&c.pollHostRate, "wallet-poll-host-rate", 10, "most lookups a second the polled wallets' invoices make to one wallet host (in bursts of twice that)")
	fs.IntVar(&c.checkoutRateLimit, "checkout-rate-limit-per-minute", 300, "per-IP limit per minute on the hosted checkout pages")
	fs.StringVar(&c.nodeID, "node-id", "", "this node's name, unique among the nodes of one deployment: the node label of its /metrics, its logs' node field, its wallet stream leases (default <hostname>:<port>)")
	fs.StringVar(&c.debugAddr, "debug-addr", "", "also serve Go's profiler (/debug/pprof/) on this address, e.g. 127.0.0.1:6060; keep it private (docs/PERFORMANCE.md)")
	fs.StringVar(&c.signup, "signup", "closed", "who may sign up in the dashboard: closed (only the first user, on an empty instance; operators add the rest with `satsrail user create`), invite (members join by invite links), or open (anyone may create a merchant: then merchants are strangers, so test-mode webhooks lose the loopback exception and --allow-private-wallets defaults to off)")
	fs.StringVar(&c.smtpURL, "smtp-url", "", "SMTP server for the dashboard's emails (invite and password reset links, the webhook-endpoint-failing alert): smtp://user:pass@host:587 (STARTTLS) or smtps://user:pass@host:465; without it invite links are shown and the CLI resets passwords")
	fs.StringVar(&c.mailFrom, "mail-from", "", "sender of the dashboard's emails, e.g. 'Shop payments <pay@shop.example>' (required with --smtp-url)")
	c.retainIdempotency = daysFlag(fs, "retain-idempotency", gateway.DefaultIdempotencyTTL, "how long an Idempotency-Key is honoured and its stored reply kept (at least 24h, the API's promise); then the retention worker deletes it")
	c.retainAttempts = daysFlag(fs, "retain-webhook-attempts", gateway.DefaultWebhookAttemptRetention, "how long the webhook attempt log (each POST's outcome and the receiver's reply) is kept; deliveries keep their summary; 0 keeps it forever")
	fs.DurationVar(&c.retentionInterval, "retention-interval", time.Hour, "time between the retention worker's passes, which delete expired Idempotency-Keys and old webhook attempts in batches of 500")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *c.retainIdempotency < 24*time.Hour {
		return fmt.Errorf("--retain-idempotency must be at least 24h (Idempotency-Keys are kept at least 24 hours), got %s", c.retainIdempotency)
	}
	if c.retentionInterval <= 0 {
		return fmt.Errorf("--retention-interval must be positive, got %s", c.retentionInterval)
	}
	policy, err := gateway.ParseSignupPolicy(c.signup)
	if err != nil {
		return fmt.Errorf("--signup: %w", err)
	}
	openSignup := policy == gateway.SignupOpen
	if openSignup && !flagSet(fs, "allow-private-wallets") {
		// Strangers' wallet hosts may not be the operator's own network
		// unless the operator says so.
		c.allowPrivateWallets = false
	}
	if c.checkoutTTL < 10*time.Second {
		return fmt.Errorf("--checkout-ttl must be at least 10s, got %s", c.checkoutTTL)
	}
	if c.pollWorkers < 1 || c.pollHostRate <= 0 {
		return fmt.Errorf("--wallet-poll-workers and --wallet-poll-host-rate must be positive")
	}
	if c.maxAmountCents <= 0 {
		return fmt.Errorf("--max-amount-cents must be positive")
	}
	if c.checkpointEvery <= 0 {
		return fmt.Errorf("--checkpoint-interval must be positive, got %s", c.checkpointEvery)
	}
	schedule, err := parseSchedule(c.retrySchedule)
	if err != nil {
		return err
	}
	log, err := newLogger(stderr, c.logFormat, c.logLevel)
	if err != nil {
		return err
	}
	// Listen first: the port names the node (--node-id's default) in
	// metrics, logs and stream leases.
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	defer ln.Close() // Serve closes it too; this covers failures before Serve
	base := "http://" + ln.Addr().String()
	if c.publicURL == "" {
		c.publicURL = base
	}
	c.nodeID = cmp.Or(c.nodeID, defaultNodeID(ln))
	log = log.With("node", c.nodeID)
	m := metrics.New(c.nodeID)

	httpClient := &http.Client{Timeout: 10 * time.Second}
	providers, err := rates.ParseProviders(c.rateProviders, httpClient)
	if err != nil {
		return fmt.Errorf("--rate-providers: %w", err)
	}
	if c.demo && c.fixedRates == "" {
		c.fixedRates = demoFixedRates
	}
	fixed, err := rates.ParseFixed(c.fixedRates)
	if err != nil {
		return fmt.Errorf("--fixed-rates: %w", err)
	}
	rateSource := rates.New(rates.Config{Providers: providers, Fixed: fixed, Interval: c.rateInterval, Logger: log})
	m.WatchPrices(priceAges(rateSource))

	c.dataDir = *sf.dataDir
	keyDir, err := sf.keyDir()
	if err != nil && c.masterKey == "" {
		return err // before touching the database
	}
	key, err := masterKey(c.masterKey, keyDir)
	if err != nil {
		return err
	}
	store, latest, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	if ahead, err := store.SchemaAhead(ctx); err == nil && len(ahead) > 0 {
		log.WarnContext(ctx, "database has additive migrations newer than this binary; serving beside the newer release (upgrade this node soon)",
			"schema_version", ahead[len(ahead)-1], "binary_schema_version", latest)
	}
	ring, err := openKeyring(ctx, store, key, c.extraMasterKeys)
	if err != nil {
		return err // refuse to start: it would seal secrets the other nodes cannot open
	}
	testWallet := testwallet.New(testwallet.Config{Store: store, Sealer: ring, AutopayAfter: c.autopayAfter, Logger: log})
	wallets := backends{net: walletNet{allowPrivate: c.allowPrivateWallets, openSignup: openSignup, log: log}}
	walletSet := &gateway.Wallets{Store: store, Backends: wallets, Sealer: ring,
		TestWallet: func(merchantID string) gateway.Wallet { return testWallet.For(merchantID) }}
	// The poller needs the service, and the service tells it of new
	// invoices: made first, given its service once that exists.
	poller := &watch.Poller{Store: store, Wallets: store, Workers: c.pollWorkers, HostRate: c.pollHostRate,
		HostBurst: max(int(2*c.pollHostRate), 1), Logger: log}
	svc := gateway.NewService(gateway.Config{
		Store: store, Rates: rateSource, CheckoutTTL: c.checkoutTTL, MaxAmountCents: gateway.Cents(c.maxAmountCents),
		Wallets: walletSet, Decode: bolt11.Decode, Backends: wallets,
		Sealer: ring, GuardURL: urlGuard(c.allowPrivateWebhooks, openSignup),
		OnSession:      func(event string, mode gateway.Mode) { m.Session(event, string(mode)) },
		OnSettle:       func(path string, mode gateway.Mode) { m.Settled(path, string(mode)) },
		OnReconcile:    func(completed int, _ error) { m.Reconciled(completed) },
		OnInvoice:      poller.Add,
		IdempotencyTTL: *c.retainIdempotency,
	})
	poller.Service = svc

	var limiter httpapi.Limiter = ratelimit.NewMemory()
	if c.redisURL != "" {
		rl, err := redislimit.Open(c.redisURL)
		if err != nil {
			return fmt.Errorf("--redis-url: %w", err)
		}
		defer rl.Close()
		limiter = rl
	}
	api := httpapi.New(httpapi.Config{
		Service: svc, Logger: log, PublicURL: c.publicURL, Limiter: limiter, PublicRateLimit: c.publicRateLimit,
		Readiness: readiness(store, latest, rateSource), Observe: m.ObserveHTTP,
	})
	pages := checkout.New(checkout.Config{Service: svc, Logger: log, Limiter: limiter, RateLimit: c.checkoutRateLimit,
		Observe: m.ObserveHTTP, PublicURL: c.publicURL})
	accounts, err := gateway.NewAccounts(gateway.AccountsConfig{Service: svc, Hasher: password.Hasher{}, Sealer: ring, Signup: policy})
	if err != nil {
		return err
	}
	dcfg := dashboard.Config{Accounts: accounts, Logger: log, PublicURL: c.publicURL, Limiter: limiter, Observe: m.ObserveHTTP,
		Readiness: readiness(store, latest, rateSource)}
	var alerts *deliver.FailureAlerts
	if c.smtpURL != "" {
		mailer, err := mail.New(mail.Config{URL: c.smtpURL, From: c.mailFrom})
		if err != nil {
			return err
		}
		dcfg.Mail = mailer
		alerts = &deliver.FailureAlerts{Send: webhookFailingMail(accounts, mailer)}
	}
	dash := dashboard.New(dcfg)
	root := http.NewServeMux()
	// Unauthenticated, as Prometheus expects: keep it off the public
	// internet (firewall, or a proxy that does not forward /metrics).
	root.Handle("GET /metrics", m.Handler())
	root.Handle("/", api)
	root.Handle("/checkout/", pages)
	root.Handle("/static/checkout/", pages)
	root.Handle("/pay/", pages)   // payment links, their QR codes and thank-you page
	root.Handle("/logos/", pages) // merchants' logos, shown on the hosted page
	root.Handle("/js/", pages)    // pay.js, the embeddable button
	root.Handle("/dashboard", dash)
	root.Handle("/dashboard/", dash)
	root.Handle("/static/dashboard/", dash)
	root.Handle("POST /checkout/{token}/simulate_payment", api)
	proxies, err := proxyaddr.Parse(c.trustedProxies)
	if err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	srv := &http.Server{
		Handler:           proxies.Handler(root),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	// Open checkout event streams end when shutdown starts instead of
	// holding it up; other requests finish normally.
	srv.RegisterOnShutdown(pages.CloseStreams)

	if c.demo {
		if err := startDemo(ctx, svc, accounts, c.publicURL, stdout); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "satsrail listening on %s\n", base)
	log.InfoContext(ctx, "satsrail listening", "addr", ln.Addr().String(), "public_url", c.publicURL, "data_dir", c.dataDir)

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return rateSource.Run(gctx) })
	if st, ok := store.(*sqlite.Store); ok {
		// Checkpoints off the write path (internal/sqlite/checkpoint.go).
		g.Go(func() error { return st.Run(gctx, sqlite.CheckpointConfig{Every: c.checkpointEvery}) })
	}
	g.Go(func() error { return (&expire.Worker{Service: svc, Interval: c.expireInterval, Logger: log}).Run(gctx) })
	g.Go(func() error {
		return (&retain.Worker{Service: svc, Attempts: *c.retainAttempts, Interval: c.retentionInterval, Logger: log}).Run(gctx)
	})
	g.Go(func() error { return testWallet.Run(gctx) })
	g.Go(func() error {
		return (&watch.Streams{Service: svc, Store: store, Wallets: walletSet, Node: c.nodeID, Logger: log,
			OnStream: m.WalletStream, Poller: poller}).Run(gctx)
	})
	g.Go(func() error { return poller.Run(gctx) })
	g.Go(func() error {
		return (&deliver.Worker{Service: svc, Store: store, Clients: deliveryClients(c.allowPrivateWebhooks, openSignup, c.webhookTimeout),
			Schedule: schedule, Timeout: c.webhookTimeout, Logger: log,
			OnAttempt: m.WebhookAttempt, OnClaim: m.WebhookClaimed, Alerts: alerts}).Run(gctx)
	})
	g.Go(func() error {
		return (&watch.Worker{Service: svc, Hints: testWallet.Hints(), Feed: testWallet, ReconcileEvery: c.reconcileEvery,
			Logger: log}).Run(gctx)
	})
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	if c.debugAddr != "" {
		dln, err := net.Listen("tcp", c.debugAddr)
		if err != nil {
			return fmt.Errorf("--debug-addr: %w", err)
		}
		dbg := &http.Server{Handler: debugMux(), ReadHeaderTimeout: 10 * time.Second}
		g.Go(func() error {
			<-gctx.Done()
			return dbg.Close()
		})
		g.Go(func() error {
			if err := dbg.Serve(dln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
	}
	g.Go(func() error {
		<-gctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return srv.Shutdown(shutdownCtx)
	})
	err = g.Wait()
	log.Info("satsrail stopped")
	return err
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format must be json or text")
}

// startDemo makes sure a demo merchant exists, gives it fresh test keys and
// prints them with a curl that creates a checkout session. Keys are stored
// only as hashes, so a restart cannot show the old ones: it rolls new ones.
func startDemo(ctx context.Context, svc *gateway.Service, accounts *gateway.Accounts, publicURL string, stdout io.Writer) error {
	ms, err := svc.ListMerchants(ctx)
	if err != nil {
		return err
	}
	var sk, pk, id string
	for _, m := range ms {
		if m.Email == demoEmail {
			id = m.ID
		}
	}
	if id == "" {
		m, secrets, err := svc.CreateMerchant(ctx, gateway.MerchantParams{Name: "Demo Store", Email: demoEmail})
		if err != nil {
			return err
		}
		id, sk, pk = m.ID, secrets["sk_test"], secrets["pk_test"]
	} else {
		if sk, err = svc.RollKey(ctx, id, "sk_test"); err != nil {
			return err
		}
		if pk, err = svc.RollKey(ctx, id, "pk_test"); err != nil {
			return err
		}
	}
	demoPassword, err := demoUser(ctx, accounts, id)
	if err != nil {
		return err
	}
	base := strings.TrimRight(publicURL, "/")
	fmt.Fprintf(stdout, `
  satsrail demo — merchant %s (test mode)
    secret key       %s
    publishable key  %s
    dashboard        %s/dashboard
    sign in as       %s  password %s

  Create a checkout session:

    curl -s %s/api/v1/checkout_sessions \
      -H 'Authorization: Bearer %s' \
      -H 'Content-Type: application/json' \
      -d '{"checkout_session": {"amount_cents": 5000, "currency": "usd", "customer_email": "buyer@example.com", "success_url": "https://store.example/success", "cancel_url": "https://store.example/cart", "metadata": {"order_id": "ORD-1234"}}}'

`, id, sk, pk, base, demoEmail, demoPassword, base, sk)
	return nil
}

// demoUser makes sure the demo user (an operator, owner of the demo
// merchant) exists with a new random password, and returns the password: a
// restart cannot show the old one, which is stored only as a hash.
func demoUser(ctx context.Context, accounts *gateway.Accounts, merchantID string) (string, error) {
	pw := gateway.RandomString(16)
	_, err := accounts.CreateUser(ctx, gateway.CreateUserParams{Email: demoEmail, Password: pw, Operator: true,
		MerchantID: merchantID, Role: string(gateway.RoleOwner)})
	if gateway.ErrorCode(err) == gateway.CodeValidation {
		// The user exists (from an earlier run): give it a new password.
		err = accounts.ResetPassword(ctx, demoEmail, pw)
	}
	return pw, err
}

// flagSet reports whether flag name was given, on the command line or in
// the environment.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// debugMux serves the Go profiler, for --debug-addr only.
func debugMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
