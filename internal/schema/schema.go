package schema

import (
	"errors"
	"fmt"
	"strings"
)

// Applied is one migration a database records.
type Applied struct {
	Version  int
	Additive bool // its file was marked "-- compat: additive" by the binary that applied it
}

// Policy is one engine's supported range in this binary.
type Policy struct {
	Engine string // "SQLite" or "PostgreSQL", for messages
	Oldest int    // the oldest schema version this binary upgrades
	Latest int    // the newest migration this binary has
}

// ErrTooOld and ErrTooNew are what Check's errors wrap.
var (
	ErrTooOld = errors.New("database schema too old for this binary")
	ErrTooNew = errors.New("database schema too new for this binary")
)

// AdditiveMarker is the line a migration file's header holds when the
// migration is additive (see the package doc).
const AdditiveMarker = "-- compat: additive"

// IsAdditive reports whether the migration text sql is marked additive: the
// marker is a line of its leading comment block.
func IsAdditive(sql string) bool {
	for line := range strings.Lines(sql) {
		line = strings.TrimSpace(line)
		if line == AdditiveMarker {
			return true
		}
		if line != "" && !strings.HasPrefix(line, "--") {
			return false
		}
	}
	return false
}

// Check says whether a binary with policy p may open a database recording
// applied (in any order): nil for a new database, one at or below p.Latest
// and at least p.Oldest, or one whose migrations above p.Latest are all
// additive. The error says what the operator should do.
func (p Policy) Check(applied []Applied) error {
	if len(applied) == 0 {
		return nil
	}
	newest := 0
	var blocking []int
	for _, a := range applied {
		newest = max(newest, a.Version)
		if a.Version > p.Latest && !a.Additive {
			blocking = append(blocking, a.Version)
		}
	}
	switch {
	case newest < p.Oldest:
		return fmt.Errorf("%w: the %s database is at schema version %d, older than %d (satsrail 0.1.0's), "+
			"the oldest this binary upgrades; migrate it first with a satsrail release from 0.1.0 to 0.3.x "+
			"(`satsrail migrate`), then start this one (docs/OPERATIONS.md, Upgrades)", ErrTooOld, p.Engine, newest, p.Oldest)
	case len(blocking) > 0:
		return fmt.Errorf("%w: the %s database is at schema version %d, newer than this binary's %d, and migration %d "+
			"is not additive, so this binary cannot serve on it: upgrade this node to the release that applied it "+
			"(`satsrail version` shows what a binary supports; docs/OPERATIONS.md, Upgrades)",
			ErrTooNew, p.Engine, newest, p.Latest, blocking[0])
	}
	return nil
}

// Ahead returns the versions in applied that this binary does not know (all
// additive once Check passed), for the log line of a node serving behind.
func (p Policy) Ahead(applied []Applied) []int {
	var out []int
	for _, a := range applied {
		if a.Version > p.Latest {
			out = append(out, a.Version)
		}
	}
	return out
}
