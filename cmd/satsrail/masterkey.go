package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/masterkey"
	"github.com/satsrail/satsrail/internal/secretbox"
)

// parseExtraKeys reads --extra-master-keys: keys separated by commas.
func parseExtraKeys(s string) ([][]byte, error) {
	var out [][]byte
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		k, err := secretbox.ParseKey(part)
		if err != nil {
			return nil, fmt.Errorf("--extra-master-keys: %w", err)
		}
		out = append(out, k)
	}
	return out, nil
}

// openKeyring makes the node's keyring from its master key and extra keys
// and checks it against the database: a node whose keys do not include the
// one the database names refuses to start (and a database that names none
// yet records the node's key).
func openKeyring(ctx context.Context, st gateway.MasterKeyStore, key []byte, extra string) (*masterkey.Keyring, error) {
	extras, err := parseExtraKeys(extra)
	if err != nil {
		return nil, err
	}
	ring, err := masterkey.NewKeyring(st, key, extras...)
	if err != nil {
		return nil, err
	}
	if err := ring.Check(ctx, time.Now()); err != nil {
		return nil, err
	}
	return ring, nil
}

const masterKeyUsage = `Usage:
  satsrail master-key fingerprint [--key-file F] [--data-dir DIR | --database-url URL]
      print the fingerprint of this node's master key (or of the key in F) and the database's
  satsrail master-key rotate --new-key-file F [--grace D] [--data-dir DIR | --database-url URL]
      re-seal every secret with the key in F, in one transaction, and make it the database's key

Rotation while nodes serve (docs/OPERATIONS.md, "Rotating the master key"):
  1. give every node the new key as an extra key (--extra-master-keys, a rolling restart);
  2. run "satsrail master-key rotate" with the current key (SATSRAIL_MASTER_KEY or <data-dir>/master.key);
     nodes seal with the new key from their next seal on;
  3. make the new key every node's master key and drop the old one (a rolling restart).
`

// masterKeyCmd is `satsrail master-key fingerprint|rotate`.
func masterKeyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "rotate" && args[0] != "fingerprint") {
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
			fmt.Fprint(stdout, masterKeyUsage)
			return errHelp
		}
		fmt.Fprint(stderr, masterKeyUsage)
		return errUsage
	}
	sub := args[0]
	fs := newFlags("master-key "+sub, "master-key "+sub+" [flags]", stdout)
	sf := addStoreFlags(fs)
	mk := fs.String("master-key", "", "the current master key (64 hex chars); default: <data-dir>/master.key")
	keyFile := fs.String("key-file", "", "fingerprint: show the fingerprint of the key in this file instead")
	newKeyFile := fs.String("new-key-file", "", "rotate: file holding the new key (64 hex chars, as `openssl rand -hex 32` prints)")
	grace := fs.Duration("grace", 30*time.Second, "rotate: how long to wait before sweeping again for secrets a node sealed with the old key while the rotation committed; at least your longest request")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if sub == "fingerprint" && *keyFile != "" {
		k, err := readKey(*keyFile)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, masterkey.Fingerprint(k))
		return nil
	}
	keyDir, err := sf.keyDir()
	if err != nil && *mk == "" {
		return err
	}
	if *mk == "" && *sf.databaseURL == "" {
		// A key file must exist: never make a new key for a database that
		// has secrets.
		if _, err := os.Stat(filepath.Join(keyDir, "master.key")); err != nil {
			return fmt.Errorf("no master key: %s/master.key is missing and SATSRAIL_MASTER_KEY is not set", keyDir)
		}
	}
	key, err := masterKey(*mk, keyDir)
	if err != nil {
		return err
	}
	st, _, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "fingerprint":
		dbfp, err := st.MasterKeyFingerprint(ctx)
		if errors.Is(err, gateway.ErrNotFound) {
			dbfp = "(none recorded yet: the next node to start records its key)"
		} else if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "this key  %s\ndatabase  %s\n", masterkey.Fingerprint(key), dbfp)
		if dbfp != masterkey.Fingerprint(key) && err == nil {
			return fmt.Errorf("this key is not the database's")
		}
		return nil
	}
	if *newKeyFile == "" {
		fmt.Fprintln(stderr, "master-key rotate needs --new-key-file")
		return errUsage
	}
	next, err := readKey(*newKeyFile)
	if err != nil {
		return err
	}
	// A database that never recorded a key records the current one first,
	// so the rotation checks it like any other.
	if _, err := openKeyring(ctx, st, key, ""); err != nil {
		return err
	}
	start := time.Now()
	fmt.Fprintf(stdout, "re-sealing every secret from %s to %s...\n", masterkey.Fingerprint(key), masterkey.Fingerprint(next))
	res, err := masterkey.Rotate(ctx, masterkey.RotateParams{Store: st, Old: key, New: next, Grace: *grace})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "re-sealed %d secret(s), and %d sealed with the old key meanwhile, in %s; the database's key is now %s\n",
		res.Resealed, res.Stragglers, time.Since(start).Round(time.Millisecond), masterkey.Fingerprint(next))
	if *mk == "" && *sf.databaseURL == "" {
		// The key came from the data dir's file: it now holds the new key.
		if err := replaceKeyFile(filepath.Join(keyDir, "master.key"), next); err != nil {
			return fmt.Errorf("the database uses the new key, but %w; put the new key in %s/master.key yourself", err, keyDir)
		}
		fmt.Fprintf(stdout, "%s/master.key now holds the new key\n", keyDir)
	}
	fmt.Fprintln(stdout, "next: make the new key every node's master key and remove the old one from --extra-master-keys")
	return nil
}

// readKey reads a key from a file (hex or base64, as secretbox.ParseKey).
func readKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := secretbox.ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// replaceKeyFile writes key to path atomically, mode 0600.
func replaceKeyFile(path string, key []byte) error {
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
