package version

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// Version is the release of this build: "MAJOR.MINOR.PATCH" for a release,
// with "-dev" while the next release is being made. Release builds set it with
// -ldflags "-X github.com/satsrail/satsrail/internal/version.Version=X.Y.Z";
// docs/OPERATIONS.md ("Releases") says when each part goes up.
var Version = "0.4.0-dev"

// Build is what the toolchain recorded about this binary.
type Build struct {
	Version   string // Version, as set for this build
	GoVersion string // the toolchain that built it, e.g. go1.26.8
	Revision  string // the VCS commit, "" when built outside a checkout
	Time      string // the commit's time (RFC 3339), "" when unknown
	Modified  bool   // the work tree had uncommitted changes
	Platform  string // GOOS/GOARCH
}

// Info reads this binary's build information.
func Info() Build {
	b := Build{Version: Version, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.GoVersion = info.GoVersion
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// String is the one line `satsrail version` starts with, e.g.
// "satsrail 0.4.0 (8c7253a, go1.26.8, linux/amd64)".
func (b Build) String() string {
	parts := []string{}
	if b.Revision != "" {
		rev := b.Revision[:min(len(b.Revision), 12)]
		if b.Modified {
			rev += "+modified"
		}
		parts = append(parts, rev)
	}
	parts = append(parts, b.GoVersion, b.Platform)
	return "satsrail " + b.Version + " (" + strings.Join(parts, ", ") + ")"
}
