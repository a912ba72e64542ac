// Package doctor runs the checks of `satsrail doctor`: one row per thing an
// operator would look at when something seems wrong, each ok, warn or fail,
// with what was found and what to do.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// Status of one check.
type Status string

// The statuses; only Fail makes the command exit non-zero.
const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "fail"
	Skip Status = "skipped"
)

// Row is one check's result.
type Row struct {
	Check  string `json:"check"`
	Status Status `json:"status"`
	Detail string `json:"detail"`
}

// Store is what the checks read of a database.
type Store interface {
	SchemaVersion(ctx context.Context) (int, error)
	// CheckSchema is the upgrade policy (package schema): nil while this
	// binary may serve on the database, which is at or behind its schema,
	// or ahead of it by additive migrations only.
	CheckSchema(ctx context.Context) error
	// SchemaAhead lists the applied migrations newer than this binary.
	SchemaAhead(ctx context.Context) ([]int, error)
	MasterKeyFingerprint(ctx context.Context) (string, error)
	ListWalletConnections(ctx context.Context) ([]gateway.WalletConnection, error)
	DeliveryBacklog(ctx context.Context, now time.Time) (int, time.Time, error)
}

// Config is one run's inputs. Nil funcs skip their row.
type Config struct {
	Store  Store
	Latest int    // this binary's schema version
	Engine string // "SQLite" or "PostgreSQL"
	// Integrity is the engine's health check: SQLite's integrity check, or
	// PostgreSQL's connection and lock health. It returns a detail to show
	// and a status.
	Integrity func(ctx context.Context) (Status, string)
	// KeyFingerprint is the fingerprint of this node's master key ("" when
	// no key was found).
	KeyFingerprint string
	// Prices reads the running gateway's price check (its /readyz): "" and
	// nil when fresh.
	Prices func(ctx context.Context) error
	// DiskFree returns the free and total bytes of the data dir's disk.
	DiskFree func() (free, total uint64, err error)
	// MaxBacklogAge is how long a delivery may be overdue before it fails
	// the check (default 10 minutes).
	MaxBacklogAge time.Duration
	// Streams reports whether a wallet type keeps a settlement stream (the
	// polled ones do not); nil: every type does.
	Streams func(walletType string) bool
	Now     func() time.Time
}

// Failed reports whether any row failed.
func Failed(rows []Row) bool {
	for _, r := range rows {
		if r.Status == Fail {
			return true
		}
	}
	return false
}

// schemaRow applies the upgrade policy to the database: too old to upgrade,
// or ahead by a migration that is not additive, fails with the policy's
// advice; behind fails until it is migrated; ahead by additive migrations
// only is a warning, for this binary serves on it (during a rolling
// upgrade, until this node is upgraded too).
func schemaRow(ctx context.Context, cfg Config) (Status, string) {
	v, err := cfg.Store.SchemaVersion(ctx)
	if err != nil {
		return Fail, fmt.Sprintf("%s unreachable: %v", cfg.Engine, err)
	}
	if err := cfg.Store.CheckSchema(ctx); err != nil {
		return Fail, err.Error()
	}
	if v < cfg.Latest {
		return Fail, fmt.Sprintf("%s at schema version %d, this binary needs %d: run satsrail migrate", cfg.Engine, v, cfg.Latest)
	}
	ahead, err := cfg.Store.SchemaAhead(ctx)
	switch {
	case err != nil:
		return Fail, fmt.Sprintf("%s unreachable: %v", cfg.Engine, err)
	case len(ahead) > 0:
		return Warn, fmt.Sprintf("%s at schema version %d, ahead of this binary's %d by additive migration(s) %v: "+
			"this binary can serve on it; upgrade it to the release that applied them (satsrail version)", cfg.Engine, v, cfg.Latest, ahead)
	}
	return OK, fmt.Sprintf("%s reachable, schema version %d", cfg.Engine, v)
}

// Run runs every check in order. A database that cannot be read, or is not
// at this binary's schema, skips the rows that need it.
func Run(ctx context.Context, cfg Config) []Row {
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	maxAge := cfg.MaxBacklogAge
	if maxAge <= 0 {
		maxAge = 10 * time.Minute
	}
	var rows []Row
	add := func(check string, s Status, format string, args ...any) {
		rows = append(rows, Row{check, s, fmt.Sprintf(format, args...)})
	}
	usable := true
	if cfg.Integrity != nil {
		s, d := cfg.Integrity(ctx)
		add("integrity", s, "%s", d)
		usable = s != Fail
	}
	if usable {
		s, detail := schemaRow(ctx, cfg)
		add("database", s, "%s", detail)
		usable = s != Fail
	} else {
		add("database", Skip, "the integrity check failed")
	}
	if !usable {
		add("master_key", Skip, "database not usable")
		add("wallets", Skip, "database not usable")
		add("webhooks", Skip, "database not usable")
	} else {
		rows = append(rows, keyRow(ctx, cfg))
		rows = append(rows, walletRows(ctx, cfg, now())...)
		n, oldest, err := cfg.Store.DeliveryBacklog(ctx, now())
		switch {
		case err != nil:
			add("webhooks", Fail, "cannot read the delivery queue: %v", err)
		case !oldest.IsZero() && now().Sub(oldest) > maxAge:
			add("webhooks", Fail, "%d pending; the oldest due delivery is %s overdue: are the nodes' delivery workers running?", n, now().Sub(oldest).Round(time.Second))
		case !oldest.IsZero():
			add("webhooks", OK, "%d pending; the oldest due delivery is %s overdue", n, now().Sub(oldest).Round(time.Second))
		default:
			add("webhooks", OK, "%d pending, none due", n)
		}
	}
	if cfg.Prices != nil {
		if err := cfg.Prices(ctx); err != nil {
			add("prices", Fail, "%v", err)
		} else {
			add("prices", OK, "the gateway has a fresh BTC/USD price")
		}
	} else {
		add("prices", Skip, "no gateway URL given (--url)")
	}
	if cfg.DiskFree != nil {
		free, total, err := cfg.DiskFree()
		switch {
		case err != nil:
			add("disk", Fail, "%v", err)
		case total > 0 && free*20 < total: // under 5%
			add("disk", Fail, "%s free of %s: free space before the database can grow no more", bytes(free), bytes(total))
		case total > 0 && free*10 < total:
			add("disk", Warn, "%s free of %s", bytes(free), bytes(total))
		default:
			add("disk", OK, "%s free of %s", bytes(free), bytes(total))
		}
	}
	return rows
}

func keyRow(ctx context.Context, cfg Config) Row {
	fp, err := cfg.Store.MasterKeyFingerprint(ctx)
	switch {
	case errors.Is(err, gateway.ErrNotFound):
		return Row{"master_key", Warn, "the database records no key yet: the next node to start records its own"}
	case err != nil:
		return Row{"master_key", Fail, fmt.Sprintf("cannot read the key fingerprint: %v", err)}
	case cfg.KeyFingerprint == "":
		return Row{"master_key", Warn, "no master key here to compare with the database's " + fp}
	case cfg.KeyFingerprint != fp:
		return Row{"master_key", Fail, fmt.Sprintf("this key is %s, the database's secrets are sealed with %s: nodes started with this key refuse to start; use the database's key", cfg.KeyFingerprint, fp)}
	}
	return Row{"master_key", OK, "matches the database's " + fp}
}

// walletRows is one row per connected wallet, from what the serving nodes
// record: the settlement stream's lease and the wallet's last error.
func walletRows(ctx context.Context, cfg Config, now time.Time) []Row {
	conns, err := cfg.Store.ListWalletConnections(ctx)
	if err != nil {
		return []Row{{"wallets", Fail, fmt.Sprintf("cannot list wallets: %v", err)}}
	}
	if len(conns) == 0 {
		return []Row{{"wallets", OK, "no wallet connected (test mode uses the built-in test wallet)"}}
	}
	var rows []Row
	for _, c := range conns {
		name := fmt.Sprintf("wallet %s %s (%s)", c.MerchantID, c.Mode, c.Type)
		streams := cfg.Streams == nil || cfg.Streams(c.Type)
		held := c.StreamLeaseUntil.After(now)
		switch {
		case streams && !c.StreamAlive && c.LastError != "":
			rows = append(rows, Row{name, Fail, fmt.Sprintf("unreachable since %s: %s", c.LastErrorAt.Format(time.RFC3339), c.LastError)})
		case !streams:
			rows = append(rows, Row{name, OK, "polled (no stream)"})
		case !held:
			rows = append(rows, Row{name, Fail, "no node holds its settlement stream: is any gateway node running?"})
		default:
			rows = append(rows, Row{name, OK, fmt.Sprintf("reachable; stream held by %s", c.StreamOwner)})
		}
	}
	return rows
}

func bytes(n uint64) string {
	const gib = 1 << 30
	if n >= gib {
		return fmt.Sprintf("%.1f GiB", float64(n)/gib)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
