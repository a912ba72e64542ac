// Package version names this build of satsrail: its release (one string,
// set here and overridable at link time) and what the Go toolchain recorded
// about the build (module version, VCS revision and time, Go version).
//
// A release build sets the version with
//
//	go build -ldflags "-X github.com/satsrail/satsrail/internal/version.Version=0.4.0" ./cmd/satsrail
//
// and a build without it reports the development version below. The schema
// versions a binary supports belong to the stores (sqlite, postgres), not to
// this package, which imports nothing of satsrail.
package version
