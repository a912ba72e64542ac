package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
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
			// Only the database's key may seal (a wrong one would seal
			// what no node can open).
			if ring, err := openKeyring(ctx, st, key, os.Getenv("SATSRAIL_EXTRA_MASTER_KEYS")); err == nil {
				seal = ring
			}
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
	if len(args) == 0 || !slices.Contains([]string{"create", "list", "suspend", "reactivate"}, args[0]) {
		fmt.Fprint(stderr, "Usage: satsrail merchant create|list|suspend|reactivate [flags]\n")
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			return errHelp
		}
		return errUsage
	}
	switch args[0] {
	case "list":
		return merchantList(ctx, args[1:], stdout)
	case "suspend", "reactivate":
		return merchantStatus(ctx, args[0], args[1:], stdout)
	}
	return merchantCreate(ctx, args[1:], stdout)
}

// merchantStatus suspends or reactivates a merchant. Running gateways see
// it within a millisecond: the merchant's row is part of the credentials
// version every node rechecks.
func merchantStatus(ctx context.Context, verb string, args []string, stdout io.Writer) error {
	help := map[string]string{
		"suspend":    "every API key of the merchant gets 403 merchant_suspended and its checkout pages and payment links say the shop is unavailable, until it is reactivated; nothing is deleted",
		"reactivate": "lift a suspension: the merchant's keys and pages work again",
	}[verb]
	fs := newFlags("merchant "+verb, "merchant "+verb+" [--data-dir DIR | --database-url URL] MERCHANT_ID\n\n"+strings.ToUpper(verb[:1])+verb[1:]+": "+help, stdout)
	sf := addStoreFlags(fs)
	asJSON := fs.Bool("json", false, `print {"id", "status"}`)
	// The id comes before or after the flags.
	id := ""
	switch {
	case len(args) > 0 && !strings.HasPrefix(args[0], "-"):
		id, args = args[0], args[1:]
	case len(args) > 0 && !strings.HasPrefix(args[len(args)-1], "-"):
		id, args = args[len(args)-1], args[:len(args)-1]
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if !strings.HasPrefix(id, gateway.PrefixMerchant) {
		fmt.Fprintf(stdout, "merchant %s takes one merchant id (mer_...)\n", verb)
		return errUsage
	}
	svc, closeFn, err := openService(ctx, sf)
	if err != nil {
		return err
	}
	defer closeFn()
	change := svc.SuspendMerchant
	if verb == "reactivate" {
		change = svc.ReactivateMerchant
	}
	m, err := change(ctx, id)
	if err != nil {
		return describe(err)
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(map[string]string{"id": m.ID, "status": m.Status})
	}
	fmt.Fprintf(stdout, "Merchant %s (%s) is %s.\n", m.ID, m.Name, m.Status)
	return nil
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
	// Each merchant's active keys with when they were last used (to within
	// a minute: nodes write it once a minute).
	type keyRow struct {
		Type       string     `json:"type"`
		Last4      string     `json:"last4"`
		CreatedAt  time.Time  `json:"created_at"`
		LastUsedAt *time.Time `json:"last_used_at"`
	}
	type row struct {
		ID        string    `json:"id"`
		Name      string    `json:"name"`
		Email     string    `json:"email"`
		Status    string    `json:"status"`
		CreatedAt time.Time `json:"created_at"`
		Keys      []keyRow  `json:"keys"`
	}
	rows := []row{}
	for _, m := range ms {
		keys, err := svc.ListAPIKeys(ctx, m.ID)
		if err != nil {
			return err
		}
		r := row{m.ID, m.Name, m.Email, m.Status, m.CreatedAt, []keyRow{}}
		for _, k := range keys {
			kr := keyRow{Type: string(k.Type()), Last4: k.Last4, CreatedAt: k.CreatedAt}
			if !k.LastUsedAt.IsZero() {
				kr.LastUsedAt = &k.LastUsedAt
			}
			r.Keys = append(r.Keys, kr)
		}
		rows = append(rows, r)
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(rows)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tEMAIL\tSTATUS\tCREATED")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Name, r.Email, r.Status, r.CreatedAt.Format(time.RFC3339))
		for _, k := range r.Keys {
			used := "never used"
			if k.LastUsedAt != nil {
				used = "last used " + k.LastUsedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "  %s …%s\t%s\t\t\t\n", k.Type, k.Last4, used)
		}
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
