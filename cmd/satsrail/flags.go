package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

var (
	errHelp  = errors.New("help shown")
	errUsage = errors.New("usage error")
)

// newFlags makes a flag set whose --help prints usage to stdout.
func newFlags(name, synopsis string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: satsrail %s\n\nFlags (each also as SATSRAIL_<NAME> in the environment):\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, then fills every flag not given on the command line
// from its SATSRAIL_* environment variable.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected arguments: %s\n", strings.Join(fs.Args(), " "))
		return errUsage
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || err != nil {
			return
		}
		env := envName(f.Name)
		if v, ok := os.LookupEnv(env); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s: %w", env, e)
			}
		}
	})
	return err
}

func envName(flagName string) string {
	return "SATSRAIL_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// dataDirFlag adds --data-dir.
func dataDirFlag(fs *flag.FlagSet) *string {
	return fs.String("data-dir", "./data", "directory holding the SQLite database and other state")
}

// dbPath makes the data dir (0700) and returns the database path in it.
func dbPath(dataDir string) (string, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", fmt.Errorf("data dir: %w", err)
	}
	return filepath.Join(dataDir, "satsrail.db"), nil
}

// days is a duration flag that also takes whole days ("30d"), the unit
// retention periods are thought in; "0" is zero.
type days struct{ d *time.Duration }

func daysFlag(fs *flag.FlagSet, name string, value time.Duration, usage string) *time.Duration {
	d := new(time.Duration)
	*d = value
	fs.Var(days{d}, name, usage)
	return d
}

func (f days) String() string {
	if f.d == nil {
		return ""
	}
	if *f.d > 24*time.Hour && *f.d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", *f.d/(24*time.Hour))
	}
	return f.d.String()
}

func (f days) Set(s string) error {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		v, err := strconv.Atoi(n)
		if err != nil || v < 0 || v > 100*365 {
			return fmt.Errorf("%q is not a number of days", s)
		}
		*f.d = time.Duration(v) * 24 * time.Hour
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("%q is not a duration (like 24h or 30d)", s)
	}
	*f.d = v
	return nil
}
