package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/password"
)

// openAccounts opens the store for a user command. These commands never
// touch two-factor secrets, so they need no master key (no Sealer).
func openAccounts(ctx context.Context, sf storeFlags) (*gateway.Accounts, func(), error) {
	svc, closeFn, err := openService(ctx, sf)
	if err != nil {
		return nil, nil, err
	}
	acc, err := gateway.NewAccounts(gateway.AccountsConfig{Service: svc, Hasher: password.Hasher{}})
	if err != nil {
		closeFn()
		return nil, nil, err
	}
	return acc, closeFn, nil
}

func userCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	const usage = "Usage: satsrail user create|list|reset-password [flags]\n"
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	switch args[0] {
	case "create":
		return userCreate(ctx, args[1:], stdin, stdout)
	case "list":
		return userList(ctx, args[1:], stdout)
	case "reset-password":
		return userResetPassword(ctx, args[1:], stdin, stdout)
	case "--help", "-h":
		fmt.Fprint(stderr, usage)
		return errHelp
	}
	fmt.Fprint(stderr, usage)
	return errUsage
}

// readPassword takes the password from stdin (--password-stdin), or makes
// a random one to print: a password is never a flag, which any user of the
// machine could read in the process list.
func readPassword(fromStdin bool, stdin io.Reader) (pw string, generated bool, err error) {
	if !fromStdin {
		return gateway.RandomString(20), true, nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", false, err
	}
	return strings.TrimRight(line, "\r\n"), false, nil
}

func userCreate(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := newFlags("user create", "user create --email E [--operator] [--merchant ID --role ROLE] [--password-stdin]", stdout)
	sf := addStoreFlags(fs)
	email := fs.String("email", "", "the user's email, which signs in (required)")
	operator := fs.Bool("operator", false, "make the user an operator of the instance")
	merchantID := fs.String("merchant", "", "make the user a member of this merchant (mer_...)")
	role := fs.String("role", "owner", "the member's role with --merchant: owner, manager or accountant")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin (default: make a random one and print it)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	pw, generated, err := readPassword(*fromStdin, stdin)
	if err != nil {
		return err
	}
	acc, closeFn, err := openAccounts(ctx, sf)
	if err != nil {
		return err
	}
	defer closeFn()
	u, err := acc.CreateUser(ctx, gateway.CreateUserParams{Email: *email, Password: pw, Operator: *operator,
		MerchantID: *merchantID, Role: *role})
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(stdout, "Created user %s (%s).\n", u.ID, u.Email)
	if generated {
		fmt.Fprintf(stdout, "Password (shown only now): %s\n", pw)
	}
	return nil
}

func userList(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("user list", "user list [--json]", stdout)
	sf := addStoreFlags(fs)
	asJSON := fs.Bool("json", false, "print a JSON array")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	acc, closeFn, err := openAccounts(ctx, sf)
	if err != nil {
		return err
	}
	defer closeFn()
	users, err := acc.Users(ctx)
	if err != nil {
		return err
	}
	type row struct {
		ID        string            `json:"id"`
		Email     string            `json:"email"`
		Operator  bool              `json:"operator"`
		TwoFactor bool              `json:"two_factor"`
		Merchants map[string]string `json:"merchants"` // merchant id → role
		CreatedAt time.Time         `json:"created_at"`
	}
	rows := []row{}
	for _, u := range users {
		ms, err := acc.Memberships(ctx, u.ID)
		if err != nil {
			return err
		}
		r := row{u.ID, u.Email, u.Operator, u.TwoFactor(), map[string]string{}, u.CreatedAt}
		for _, m := range ms {
			r.Merchants[m.MerchantID] = string(m.Role)
		}
		rows = append(rows, r)
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(rows)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tOPERATOR\t2FA\tMERCHANTS\tCREATED")
	for _, r := range rows {
		var ms []string
		for id, role := range r.Merchants {
			ms = append(ms, id+":"+role)
		}
		fmt.Fprintf(tw, "%s\t%s\t%v\t%v\t%s\t%s\n", r.ID, r.Email, r.Operator, r.TwoFactor, strings.Join(ms, ","), r.CreatedAt.Format(time.RFC3339))
	}
	return tw.Flush()
}

func userResetPassword(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := newFlags("user reset-password", "user reset-password --email E [--password-stdin]", stdout)
	sf := addStoreFlags(fs)
	email := fs.String("email", "", "the user's email (required)")
	fromStdin := fs.Bool("password-stdin", false, "read the new password from the first line of stdin (default: make a random one and print it)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	pw, generated, err := readPassword(*fromStdin, stdin)
	if err != nil {
		return err
	}
	acc, closeFn, err := openAccounts(ctx, sf)
	if err != nil {
		return err
	}
	defer closeFn()
	if err := acc.ResetPassword(ctx, *email, pw); err != nil {
		return describe(err)
	}
	fmt.Fprintf(stdout, "Password of %s reset; every session of the user is signed out.\n", gateway.NormalizeEmail(*email))
	if generated {
		fmt.Fprintf(stdout, "New password (shown only now): %s\n", pw)
	}
	return nil
}

// stdinReader is the process's stdin, for the user commands.
var stdinReader io.Reader = os.Stdin
