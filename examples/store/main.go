// Command store is an example web shop that takes Bitcoin Lightning payments
// through a satsrail gateway with the Go SDK (package client): a catalog, a
// cart, "Checkout with Bitcoin" (the session is created server-side and the
// customer redirected to the hosted checkout), a success page that verifies
// the session with the API before it says "paid", a webhook receiver that
// verifies signatures with package webhook, handles each event once and marks
// the order paid, and an orders page. One product page also shows the
// gateway's pay.js button. README.md says how to run it beside
// `satsrail serve --demo`.
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
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/satsrail/satsrail/client"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "store:", err)
		os.Exit(1)
	}
}

// config is what the shop needs to know; flags override the environment.
type config struct {
	addr           string // where to listen
	publicURL      string // the shop as customers and the gateway reach it
	gatewayURL     string // the satsrail gateway (API, hosted checkout, pay.js)
	secretKey      string // sk_test_... or sk_live_...: server-side only
	publishableKey string // pk_...: for the pay.js button; optional
	webhookSecret  string // whsec_...; registered at start when empty
}

const usage = `Usage: store [flags]

An example shop that takes Bitcoin payments through a satsrail gateway.

Environment:
  SATSRAIL_API_KEY          secret key (sk_test_... / sk_live_...), required
  SATSRAIL_PUBLISHABLE_KEY  publishable key (pk_...) for the pay.js button; optional
  SATSRAIL_BASE_URL         the gateway (default http://127.0.0.1:8080)
  SATSRAIL_WEBHOOK_SECRET   the webhook endpoint's secret (whsec_...); when unset
                            the shop registers its endpoint itself at start
  STORE_ADDR                where to listen (default 127.0.0.1:8081)
  STORE_PUBLIC_URL          the shop's URL as customers and the gateway see it
                            (default http://STORE_ADDR)

Flags:
`

// run starts the shop and serves until ctx ends. ready, when not nil, is
// told the shop's URL once it listens.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, ready func(url string)) error {
	var c config
	fs := flag.NewFlagSet("store", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() { fmt.Fprint(stdout, usage); fs.PrintDefaults() }
	fs.StringVar(&c.addr, "addr", cmp.Or(getenv("STORE_ADDR"), "127.0.0.1:8081"), "listen address")
	fs.StringVar(&c.publicURL, "public-url", getenv("STORE_PUBLIC_URL"), "the shop's public URL (default http://<addr>)")
	fs.StringVar(&c.gatewayURL, "gateway", cmp.Or(getenv("SATSRAIL_BASE_URL"), client.DefaultBaseURL), "the satsrail gateway's URL")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	c.secretKey = strings.TrimSpace(getenv("SATSRAIL_API_KEY"))
	c.publishableKey = strings.TrimSpace(getenv("SATSRAIL_PUBLISHABLE_KEY"))
	c.webhookSecret = strings.TrimSpace(getenv("SATSRAIL_WEBHOOK_SECRET"))
	if !strings.HasPrefix(c.secretKey, "sk_") {
		return errors.New("SATSRAIL_API_KEY must be a secret key (sk_test_... or sk_live_...); `satsrail serve --demo` prints one")
	}
	if c.publishableKey != "" && !strings.HasPrefix(c.publishableKey, "pk_") {
		return errors.New("SATSRAIL_PUBLISHABLE_KEY must be a publishable key (pk_...): it is put in a web page")
	}
	c.gatewayURL = strings.TrimRight(c.gatewayURL, "/")

	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	if c.publicURL == "" {
		c.publicURL = "http://" + ln.Addr().String()
	}
	c.publicURL = strings.TrimRight(c.publicURL, "/")

	log := slog.New(slog.NewTextHandler(stdout, nil))
	app, err := newApp(c, log)
	if err != nil {
		return err
	}
	setupCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = app.connect(setupCtx)
	cancel()
	if err != nil {
		return err
	}

	srv := &http.Server{
		Handler:           app.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	fmt.Fprintf(stdout, "store listening on %s (gateway %s)\n", c.publicURL, c.gatewayURL)
	if ready != nil {
		ready(c.publicURL)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}
