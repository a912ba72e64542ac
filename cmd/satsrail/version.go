package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/satsrail/satsrail/internal/postgres"
	"github.com/satsrail/satsrail/internal/sqlite"
	"github.com/satsrail/satsrail/internal/version"
)

// versionInfo is `satsrail version --json`.
type versionInfo struct {
	Version   string        `json:"version"`
	GoVersion string        `json:"go_version"`
	Platform  string        `json:"platform"`
	Revision  string        `json:"revision,omitempty"`
	Time      string        `json:"revision_time,omitempty"`
	Modified  bool          `json:"modified"`
	Schema    []schemaRange `json:"schema"`
}

// schemaRange is what this binary does with one engine's databases: it
// upgrades any from Oldest and migrates them to Latest.
type schemaRange struct {
	Engine string `json:"engine"`
	Oldest int    `json:"oldest_supported"`
	Latest int    `json:"latest"`
}

func versionCmd(_ context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlags("version", "version [--json]", stdout)
	asJSON := fs.Bool("json", false, "print as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	b := version.Info()
	info := versionInfo{Version: b.Version, GoVersion: b.GoVersion, Platform: b.Platform, Revision: b.Revision, Time: b.Time,
		Modified: b.Modified, Schema: []schemaRange{
			{Engine: "sqlite", Oldest: sqlite.OldestSupportedVersion, Latest: sqlite.LatestVersion()},
			{Engine: "postgres", Oldest: postgres.OldestSupportedVersion, Latest: postgres.LatestVersion()},
		}}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	fmt.Fprintln(stdout, b)
	if b.Revision != "" {
		fmt.Fprintf(stdout, "commit:  %s %s\n", b.Revision, b.Time)
	}
	for _, r := range info.Schema {
		fmt.Fprintf(stdout, "schema:  %-8s %d (upgrades databases from %d, satsrail 0.1.0's, on)\n", r.Engine, r.Latest, r.Oldest)
	}
	return nil
}
