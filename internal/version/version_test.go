package version

import (
	"regexp"
	"runtime"
	"strings"
	"testing"
)

func TestVersionIsSemantic(t *testing.T) {
	// MAJOR.MINOR.PATCH with an optional pre-release (semver.org §2, §9).
	re := regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$`)
	if !re.MatchString(Version) {
		t.Errorf("Version = %q, want a semantic version", Version)
	}
}

func TestInfo(t *testing.T) {
	b := Info()
	if b.Version != Version {
		t.Errorf("Info().Version = %q, want %q", b.Version, Version)
	}
	if b.GoVersion != runtime.Version() {
		t.Errorf("Info().GoVersion = %q, want %q", b.GoVersion, runtime.Version())
	}
	if b.Platform != runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("Info().Platform = %q", b.Platform)
	}
}

func TestString(t *testing.T) {
	for _, tt := range []struct {
		b    Build
		want string
	}{
		{Build{Version: "1.2.3", GoVersion: "go1.26.8", Platform: "linux/amd64"}, "satsrail 1.2.3 (go1.26.8, linux/amd64)"},
		{Build{Version: "1.2.3", GoVersion: "go1.26.8", Platform: "linux/arm64", Revision: "0123456789abcdef0123"},
			"satsrail 1.2.3 (0123456789ab, go1.26.8, linux/arm64)"},
		{Build{Version: "0.4.0-dev", GoVersion: "go1.26.8", Platform: "darwin/arm64", Revision: "abc", Modified: true},
			"satsrail 0.4.0-dev (abc+modified, go1.26.8, darwin/arm64)"},
	} {
		if got := tt.b.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.b, got, tt.want)
		}
		if !strings.HasPrefix(tt.b.String(), "satsrail "+tt.b.Version) {
			t.Errorf("String does not start with the version")
		}
	}
}
