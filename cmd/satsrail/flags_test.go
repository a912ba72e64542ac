package main

import (
	"flag"
	"io"
	"testing"
	"time"
)

func TestDaysFlag(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30d", 30 * 24 * time.Hour, true},
		{"1d", 24 * time.Hour, true},
		{"24h", 24 * time.Hour, true},
		{"90m", 90 * time.Minute, true},
		{"0", 0, true},
		{"0d", 0, true},
		{"-1h", 0, false},
		{"-2d", 0, false},
		{"xd", 0, false},
		{"1.5d", 0, false},
		{"", 0, false},
		{"forever", 0, false},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		d := daysFlag(fs, "keep", time.Hour, "")
		err := fs.Parse([]string{"--keep", tt.in})
		if (err == nil) != tt.ok || (tt.ok && *d != tt.want) {
			t.Errorf("--keep %q: %v, %v; want %v, ok %v", tt.in, *d, err, tt.want, tt.ok)
		}
	}
	for d, want := range map[time.Duration]string{30 * 24 * time.Hour: "30d", 24 * time.Hour: "24h0m0s", 0: "0s"} {
		if got := (days{&d}).String(); got != want {
			t.Errorf("String(%v) = %q, want %q", d, got, want)
		}
	}
}
