package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/satsrail/satsrail/apitype"
	"github.com/satsrail/satsrail/internal/gateway"
)

// openService opens the store in dataDir for an admin command. Admin commands
// never price anything, so they get a rate source that prices nothing. With
// the master key at hand (the data dir's file, or SATSRAIL_MASTER_KEY) the
// publishable keys they make are kept sealed for the dashboard to show;
// without it they are not kept, and the dashboard shows them once rolled.
func openService(ctx context.Context, sf storeFlags) (*gateway.Service, func(), error) {
	st, _, err := sf.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	var seal gateway.Sealer
	if dir, err := sf.keyDir(); err == nil {
		if key, err := masterKey(os.Getenv("SATSRAIL_MASTER_KEY"), dir); err == nil {
			seal = sealer(key)
		}
	}
	svc := gateway.NewService(gateway.Config{Store: st, Rates: noRates{}, Sealer: seal})
	return svc, func() { st.Close() }, nil
}

type noRates struct{}

func (noRates) Rate(context.Context, string) (gateway.Rate, error) {
	return gateway.Rate{}, gateway.ErrRateUnavailable
}
func (noRates) Supports(string) bool { return false }

func migrate(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlags("migrate", "migrate [--data-dir DIR | --database-url URL]", stdout)
	sf := addStoreFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	path, applied, err := sf.migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "applied %d migration(s) %v to %s\n", len(applied), applied, path)
	return nil
}

func merchant(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "create" && args[0] != "list") {
		fmt.Fprint(stderr, "Usage: satsrail merchant create|list [flags]\n")
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			return errHelp
		}
		return errUsage
	}
	if args[0] == "list" {
		return merchantList(ctx, args[1:], stdout)
	}
	return merchantCreate(ctx, args[1:], stdout)
}

func merchantCreate(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("merchant create", "merchant create --name N --email E [flags]", stdout)
	sf := addStoreFlags(fs)
	name := fs.String("name", "", "merchant name (required)")
	email := fs.String("email", "", "merchant contact email (required)")
	rpm := fs.Int("rate-limit-per-minute", 0, "API requests per minute per key (0 = the default, 600)")
	ttl := fs.Duration("checkout-ttl", 0, "checkout session lifetime for this merchant, 5m to 60m (0 = the gateway's --checkout-ttl)")
	asJSON := fs.Bool("json", false, "print exactly one JSON object: {merchant_id, keys}")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	svc, closeFn, err := openService(ctx, sf)
	if err != nil {
		return err
	}
	defer closeFn()
	m, secrets, err := svc.CreateMerchant(ctx, gateway.MerchantParams{Name: *name, Email: *email, RateLimitPerMinute: *rpm, CheckoutTTL: *ttl})
	if err != nil {
		return describe(err)
	}
	out := apitype.MerchantCreated{MerchantID: m.ID, Keys: map[string]string{}}
	for kt, s := range secrets {
		out.Keys[string(kt)] = s
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(out)
	}
	fmt.Fprintf(stdout, "Created merchant %s (%s).\nAPI keys — shown only now, stored only as hashes; keep the secret keys secret:\n", m.ID, m.Name)
	for _, kt := range gateway.KeyTypes {
		fmt.Fprintf(stdout, "  %-8s %s\n", kt, secrets[kt])
	}
	return nil
}

func merchantList(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("merchant list", "merchant list [--data-dir DIR] [--json]", stdout)
	sf := addStoreFlags(fs)
	asJSON := fs.Bool("json", false, "print a JSON array")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	svc, closeFn, err := openService(ctx, sf)
	if err != nil {
		return err
	}
	defer closeFn()
	ms, err := svc.ListMerchants(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		type row struct {
			ID        string    `json:"id"`
			Name      string    `json:"name"`
			Email     string    `json:"email"`
			Status    string    `json:"status"`
			CreatedAt time.Time `json:"created_at"`
		}
		rows := []row{}
		for _, m := range ms {
			rows = append(rows, row{m.ID, m.Name, m.Email, m.Status, m.CreatedAt})
		}
		return json.NewEncoder(stdout).Encode(rows)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tEMAIL\tSTATUS\tCREATED")
	for _, m := range ms {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.ID, m.Name, m.Email, m.Status, m.CreatedAt.Format(time.RFC3339))
	}
	return tw.Flush()
}

func keys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "roll" {
		fmt.Fprint(stderr, "Usage: satsrail keys roll --merchant ID --key-type sk_live|pk_live|sk_test|pk_test\n")
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			return errHelp
		}
		return errUsage
	}
	fs := newFlags("keys roll", "keys roll --merchant ID --key-type TYPE [--data-dir DIR] [--json]", stdout)
	sf := addStoreFlags(fs)
	id := fs.String("merchant", "", "merchant id (mer_...)")
	kt := fs.String("key-type", "", "which key to replace: sk_live, pk_live, sk_test or pk_test; the old one stops working at once")
	asJSON := fs.Bool("json", false, `print {"merchant_id", "key_type", "key"}`)
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	svc, closeFn, err := openService(ctx, sf)
	if err != nil {
		return err
	}
	defer closeFn()
	secret, err := svc.RollKey(ctx, *id, gateway.KeyType(*kt))
	if err != nil {
		return describe(err)
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(map[string]string{"merchant_id": *id, "key_type": *kt, "key": secret})
	}
	fmt.Fprintf(stdout, "New %s key for %s (shown only now; the old key no longer works):\n  %s\n", *kt, *id, secret)
	return nil
}

// describe spells out a domain error for a terminal.
func describe(err error) error {
	e, ok := err.(*gateway.Error)
	if !ok {
		if gateway.ErrorCode(err) == gateway.CodeNotFound {
			return fmt.Errorf("not found: %w", err)
		}
		return err
	}
	msg := e.Message
	for _, f := range e.Fields {
		msg += fmt.Sprintf("\n  --%s: %s", strings.ReplaceAll(f.Field, "_", "-"), f.Message)
	}
	return fmt.Errorf("%s", msg)
}
