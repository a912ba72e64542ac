package main

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/satsrail/satsrail/internal/postgres"
	"github.com/satsrail/satsrail/internal/sqlite"
	"github.com/satsrail/satsrail/internal/version"
)

// TestVersion: `satsrail version` names the release and the schema range of
// each engine, as text and as JSON.
func TestVersion(t *testing.T) {
	var got versionInfo
	if err := json.Unmarshal([]byte(cli(t, "version", "--json")), &got); err != nil {
		t.Fatal(err)
	}
	if got.Version != version.Version || !strings.HasPrefix(got.GoVersion, "go") || got.Platform == "" {
		t.Errorf("version --json = %+v", got)
	}
	want := []schemaRange{{"sqlite", sqlite.OldestSupportedVersion, sqlite.LatestVersion()},
		{"postgres", postgres.OldestSupportedVersion, postgres.LatestVersion()}}
	if len(got.Schema) != 2 || got.Schema[0] != want[0] || got.Schema[1] != want[1] {
		t.Errorf("schema = %+v, want %+v", got.Schema, want)
	}
	text := cli(t, "version")
	if !strings.HasPrefix(text, "satsrail "+version.Version+" (") || !strings.Contains(text, "sqlite") {
		t.Errorf("version =\n%s", text)
	}
}

// TestVersionFromLdflags: a release build sets the version at link time.
func TestVersionFromLdflags(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "satsrail")
	out, err := exec.Command("go", "build", "-ldflags", "-X github.com/satsrail/satsrail/internal/version.Version=9.8.7", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err = exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), "satsrail 9.8.7 (") {
		t.Errorf("version of a -X build =\n%s", out)
	}
}
