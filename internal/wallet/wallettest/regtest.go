package wallettest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/regtest"
)

// SharedNetwork is one regtest network for a test package's tests, started
// by the first that asks (Get) and stopped by Main.
type SharedNetwork struct {
	once sync.Once
	n    *regtest.Network
	err  error
}

// Get returns the network, starting it first if need be.
func (s *SharedNetwork) Get(t testing.TB) *regtest.Network {
	t.Helper()
	s.once.Do(func() { s.n, s.err = regtest.New(context.Background(), t.Logf) })
	if s.err != nil {
		t.Fatalf("regtest: %v", s.err)
	}
	return s.n
}

// Main runs the package's tests (call it from TestMain) and stops the
// network, keeping its logs when a test failed.
func (s *SharedNetwork) Main(m *testing.M) {
	code := m.Run()
	if s.n != nil {
		if code != 0 {
			s.n.Stop()
			fmt.Fprintf(os.Stderr, "regtest network logs kept in %s\n", s.n.Dir)
		} else if err := s.n.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	os.Exit(code)
}

// Pay returns a Harness.Pay paying from n's customer node: amount 0 pays
// the invoice's own amount.
func Pay(n *regtest.Network) func(t *testing.T, bolt11 string, amount gateway.MilliSat) {
	return func(t *testing.T, bolt11 string, amount gateway.MilliSat) {
		t.Helper()
		var err error
		if amount == 0 {
			err = n.Pay(bolt11)
		} else {
			err = n.PayAmount(bolt11, int64(amount))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}
