// Command satsrail is the satsrail payment gateway: one binary with the
// subcommands serve, migrate, merchant, keys, user, testwallet, bench, version and customer. Every flag can also be set
// by a SATSRAIL_* environment variable (--data-dir ↔ SATSRAIL_DATA_DIR).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `satsrail — a self-hosted, non-custodial Bitcoin Lightning payment gateway.

Usage:
  satsrail serve    [flags]   run the gateway (API, workers)
  satsrail migrate  [flags]   apply database migrations and exit
  satsrail merchant create --name N --email E [--rate-limit-per-minute N] [--checkout-ttl D] [--json]
  satsrail merchant list   [--json]
  satsrail keys roll --merchant ID --key-type sk_live|pk_live|sk_test|pk_test [--json]
  satsrail user create --email E [--operator] [--merchant ID --role R] [--password-stdin]
  satsrail user list   [--json]
  satsrail user reset-password --email E [--password-stdin]
  satsrail testwallet pay [--amount-msat N] BOLT11   pay a test-mode invoice (even while serve is down)
  satsrail bench    [flags]   load-test a gateway beside baselines measured in the same run (docs/PERFORMANCE.md)
  satsrail mcp      [--base-url URL]   MCP server on stdio for AI agents (SATSRAIL_API_KEY: a secret key)
  satsrail version  [--json]  this binary's release, build and the database schema versions it supports
  satsrail customer forget --email E [--json]   erase a customer's email and name from every merchant's sessions (privacy request); payments stay
  satsrail backup --to FILE [--data-dir DIR]        copy a running SQLite gateway's database, consistently
  satsrail restore --from FILE --data-dir DIR [--force]   restore a backup, after checking it
  satsrail master-key fingerprint|rotate --new-key-file F   check or rotate the master key
  satsrail doctor [--json]   check a gateway's database, key, wallets, prices, webhooks and disk

Run "satsrail <command> --help" for the flags of each. Every flag can be given
as an environment variable: --data-dir is SATSRAIL_DATA_DIR, and so on.
`

// run dispatches a subcommand and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		err = serve(ctx, rest, stdout, stderr)
	case "migrate":
		err = migrate(ctx, rest, stdout, stderr)
	case "merchant":
		err = merchant(ctx, rest, stdout, stderr)
	case "keys":
		err = keys(ctx, rest, stdout, stderr)
	case "user":
		err = userCmd(ctx, rest, stdinReader, stdout, stderr)
	case "testwallet":
		err = testwalletCmd(ctx, rest, stdout, stderr)
	case "bench":
		err = bench(ctx, rest, stdout, stderr)
	case "mcp":
		err = mcpCmd(ctx, rest, stdinReader, stdout, stderr)
	case "version":
		err = versionCmd(ctx, rest, stdout, stderr)
	case "customer":
		err = customerCmd(ctx, rest, stdout, stderr)
	case "backup":
		err = backupCmd(ctx, rest, stdout, stderr)
	case "restore":
		err = restoreCmd(ctx, rest, stdout, stderr)
	case "master-key":
		err = masterKeyCmd(ctx, rest, stdout, stderr)
	case "doctor":
		err = doctorCmd(ctx, rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "satsrail: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case err == errHelp:
		return 0
	case err == errUsage:
		return 2
	default:
		fmt.Fprintf(stderr, "satsrail: %v\n", err)
		return 1
	}
}
