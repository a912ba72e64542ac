package walletkit_test

import (
	"strings"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/wallet/walletkit"
)

func TestExpirySeconds(t *testing.T) {
	now := time.Date(2026, 12, 6, 9, 0, 0, 700_000_000, time.UTC) // BOLT11 counts from 09:00:00
	for _, tt := range []struct {
		at   time.Time
		want int64
	}{
		{now.Add(10 * time.Minute), 601}, // 09:10:00.7 is inside second 601
		{time.Date(2026, 12, 6, 9, 10, 0, 0, time.UTC), 600},
		{now.Add(time.Millisecond), 1},
	} {
		if got, err := walletkit.ExpirySeconds(now, tt.at); err != nil || got != tt.want {
			t.Errorf("ExpirySeconds(%s) = %d, %v; want %d", tt.at, got, err, tt.want)
		}
	}
	if _, err := walletkit.ExpirySeconds(now, now.Truncate(time.Second)); err == nil {
		t.Error("an expiry in the past was accepted")
	}
}

func TestIsHash(t *testing.T) {
	good := strings.Repeat("ab", 32)
	for s, want := range map[string]bool{good: true, strings.ToUpper(good): false, good[:62]: false, "": false, strings.Repeat("zz", 32): false} {
		if walletkit.IsHash(s) != want {
			t.Errorf("IsHash(%q) = %t", s, !want)
		}
	}
}

func TestNetwork(t *testing.T) {
	n := walletkit.NewNetwork("")
	if n.Get() != "" {
		t.Fatal("a network before any was learnt")
	}
	if err := n.Check("regtest", "the invoice"); err != nil || n.Get() != "regtest" {
		t.Fatalf("first Check = %v, network %q", err, n.Get())
	}
	if err := n.Check("mainnet", "the invoice"); err == nil || !strings.Contains(err.Error(), "the invoice is on mainnet; this wallet is on regtest") {
		t.Errorf("Check(another network) = %v", err)
	}
}

func TestCheckCreated(t *testing.T) {
	if _, err := walletkit.NewNetwork("").CheckCreated("lnbc1notaninvoice", strings.Repeat("ab", 32), 1000); err == nil || !strings.Contains(err.Error(), "invalid invoice") {
		t.Errorf("CheckCreated(garbage) = %v", err)
	}
}
