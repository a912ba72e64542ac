package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/secretbox"
	"github.com/satsrail/satsrail/internal/wallet/testwallet"
)

// masterKey returns the key that seals secrets at rest: SATSRAIL_MASTER_KEY
// (or --master-key) when set, else a key file in the data dir, created with
// 0600 permissions on first use.
func masterKey(flagValue, dataDir string) ([]byte, error) {
	if flagValue != "" {
		k, err := secretbox.ParseKey(flagValue)
		if err != nil {
			return nil, fmt.Errorf("master key: %w", err)
		}
		return k, nil
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	return secretbox.LoadOrCreateKeyFile(filepath.Join(dataDir, "master.key"))
}

// testwalletCmd is `satsrail testwallet pay BOLT11`: pays a test-mode invoice
// straight in the database. A running gateway sees the payment in the test
// wallet's settlement feed within a second or so; one that is down completes
// the session by reconciliation when it starts.
func testwalletCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "pay" {
		fmt.Fprint(stderr, "Usage: satsrail testwallet pay [--data-dir DIR] [--amount-msat N] BOLT11\n")
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			return errHelp
		}
		return errUsage
	}
	fs := newFlags("testwallet pay", "testwallet pay [--data-dir DIR] [--amount-msat N] BOLT11", stdout)
	sf := addStoreFlags(fs)
	mk := fs.String("master-key", "", "master key (64 hex chars); default: the key file in --data-dir")
	amount := fs.Int64("amount-msat", 0, "amount to pay in msat (0 = the invoice amount; less underpays)")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "testwallet pay needs exactly one BOLT11 invoice")
		return errUsage
	}
	if v := os.Getenv("SATSRAIL_DATABASE_URL"); v != "" && *sf.databaseURL == "" {
		*sf.databaseURL = v
	}
	keyDir, err := sf.keyDir()
	if err != nil && *mk == "" {
		return err
	}
	key, err := masterKey(envOr(*mk, "SATSRAIL_MASTER_KEY"), keyDir)
	if err != nil {
		return err
	}
	st, _, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	ring, err := openKeyring(ctx, st, key, os.Getenv("SATSRAIL_EXTRA_MASTER_KEYS"))
	if err != nil {
		return err
	}
	w := testwallet.New(testwallet.Config{Store: st, Sealer: ring})
	if err := w.Pay(ctx, fs.Arg(0), gateway.MilliSat(*amount)); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "paid")
	return nil
}

func envOr(v, env string) string {
	if v == "" && env != "" {
		return os.Getenv(env)
	}
	return v
}
