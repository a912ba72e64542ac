package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/satsrail/satsrail/internal/doctor"
	"github.com/satsrail/satsrail/internal/masterkey"
	"github.com/satsrail/satsrail/internal/postgres"
	"github.com/satsrail/satsrail/internal/sqlite"
)

// errUnhealthy makes doctor exit 1 after printing its table.
var errUnhealthy = errors.New("something is wrong: see the rows marked fail")

// doctorCmd is `satsrail doctor`: the checks of internal/doctor against the
// configured database, without migrating or changing it.
func doctorCmd(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlags("doctor", "doctor [--data-dir DIR | --database-url URL] [--url GATEWAY] [--json]", stdout)
	sf := addStoreFlags(fs)
	mk := fs.String("master-key", "", "master key (64 hex chars) to compare with the database's; default: <data-dir>/master.key")
	gwURL := fs.String("url", "", "a running gateway's URL (http://127.0.0.1:8080), whose /readyz tells whether its prices are fresh")
	asJSON := fs.Bool("json", false, "print JSON for machines instead of a table")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	types := walletTypes()
	cfg := doctor.Config{Streams: func(t string) bool { return types[t].streams }}
	if key, err := existingKey(*mk, *sf.dataDir); err == nil {
		cfg.KeyFingerprint = masterkey.Fingerprint(key)
	}
	var closeStore func()
	if *sf.databaseURL != "" {
		cfg.Engine, cfg.Latest = "PostgreSQL", postgres.LatestVersion()
		st, err := postgres.Open(ctx, postgres.Config{URL: *sf.databaseURL, NoMigrate: true, MaxConns: 2})
		if err != nil {
			return printDoctor(stdout, *asJSON, []doctor.Row{{Check: "database", Status: doctor.Fail, Detail: err.Error()}})
		}
		closeStore, cfg.Store = func() { st.Close() }, st
		cfg.Integrity = func(ctx context.Context) (doctor.Status, string) {
			waiting, oldest, err := st.LockHealth(ctx)
			switch {
			case err != nil:
				return doctor.Fail, err.Error()
			case waiting > 0 || oldest > 5*time.Minute:
				return doctor.Warn, fmt.Sprintf("connected; %d lock request(s) waiting, oldest open transaction %s", waiting, oldest.Round(time.Second))
			}
			return doctor.OK, fmt.Sprintf("connected; no lock waits, oldest open transaction %s", oldest.Round(time.Second))
		}
	} else {
		cfg.Engine, cfg.Latest = "SQLite", sqlite.LatestVersion()
		path := filepath.Join(*sf.dataDir, "satsrail.db")
		if _, err := os.Stat(path); err != nil {
			return printDoctor(stdout, *asJSON, []doctor.Row{{Check: "database", Status: doctor.Fail, Detail: err.Error()}})
		}
		st, err := sqlite.Open(ctx, sqlite.Config{Path: path, NoMigrate: true})
		if err != nil {
			return printDoctor(stdout, *asJSON, []doctor.Row{{Check: "database", Status: doctor.Fail, Detail: err.Error()}})
		}
		closeStore, cfg.Store = func() { st.Close() }, st
		cfg.Integrity = func(ctx context.Context) (doctor.Status, string) {
			if err := sqlite.CheckIntegrity(ctx, path); err != nil {
				return doctor.Fail, fmt.Sprintf("%v: stop the gateway and restore the last backup (satsrail restore)", err)
			}
			return doctor.OK, "integrity check ok"
		}
		cfg.DiskFree = func() (uint64, uint64, error) { return diskFree(*sf.dataDir) }
	}
	defer closeStore()
	if *gwURL != "" {
		cfg.Prices = func(ctx context.Context) error { return gatewayPrices(ctx, *gwURL) }
	}
	return printDoctor(stdout, *asJSON, doctor.Run(ctx, cfg))
}

func printDoctor(w io.Writer, asJSON bool, rows []doctor.Row) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"ok": !doctor.Failed(rows), "checks": rows}); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "CHECK\tSTATUS\tDETAIL")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Check, strings.ToUpper(string(r.Status)), r.Detail)
		}
		tw.Flush()
	}
	if doctor.Failed(rows) {
		return errUnhealthy
	}
	return nil
}

// gatewayPrices asks a running gateway's /readyz whether it has a price.
func gatewayPrices(ctx context.Context, base string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimRight(base, "/")+"/readyz", nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("gateway unreachable: %v", err)
	}
	defer res.Body.Close()
	var body struct {
		Checks map[string]string `json:"checks"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		return fmt.Errorf("gateway /readyz: %v", err)
	}
	if p := body.Checks["price"]; p != "ok" {
		return fmt.Errorf("the gateway has no fresh price (%s): check --rate-providers and its outbound network", p)
	}
	return nil
}

func diskFree(dir string) (free, total uint64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, 0, err
	}
	return st.Bavail * uint64(st.Bsize), st.Blocks * uint64(st.Bsize), nil
}
