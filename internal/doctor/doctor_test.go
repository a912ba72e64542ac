package doctor_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/doctor"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/testdb"
)

type store interface {
	gateway.Store
	doctor.Store
	RecordMasterKeyFingerprint(ctx context.Context, fp string, at time.Time) (string, error)
}

func row(t *testing.T, rows []doctor.Row, prefix string) doctor.Row {
	t.Helper()
	for _, r := range rows {
		if strings.HasPrefix(r.Check, prefix) {
			return r
		}
	}
	t.Fatalf("no %s row in %+v", prefix, rows)
	return doctor.Row{}
}

// TestDoctor runs the checks on a real store (SATSRAIL_TEST_STORE picks the
// engine): healthy, then a wallet that is down, a wrong key, an overdue
// webhook backlog, a database behind this binary and a failed integrity
// check, each giving its row and the failed verdict.
func TestDoctor(t *testing.T) {
	ctx := t.Context()
	st := testdb.Open(t).(store)
	latest, err := st.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.RecordMasterKeyFingerprint(ctx, "mk1_aaaa", time.Now()); err != nil {
		t.Fatal(err)
	}
	svc := gateway.NewService(gateway.Config{Store: st})
	m, _, err := svc.CreateMerchant(ctx, gateway.MerchantParams{Name: "Shop", Email: "s@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	conn := &gateway.WalletConnection{ID: gateway.NewID("wc"), MerchantID: m.ID, Mode: gateway.ModeLive, Type: "lnd", Network: "regtest",
		Config: []byte{1}, StreamAlive: true, CreatedAt: now, UpdatedAt: now}
	if err := st.PutWalletConnection(ctx, conn); err != nil {
		t.Fatal(err)
	}
	if ok, err := st.ClaimWalletStream(ctx, conn.ID, "node-a", now, now.Add(time.Minute)); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	cfg := doctor.Config{Store: st, Latest: latest, Engine: "test", KeyFingerprint: "mk1_aaaa",
		Integrity: func(context.Context) (doctor.Status, string) { return doctor.OK, "fine" },
		Prices:    func(context.Context) error { return nil },
		DiskFree:  func() (uint64, uint64, error) { return 50 << 30, 100 << 30, nil }}

	rows := doctor.Run(ctx, cfg)
	if doctor.Failed(rows) {
		t.Fatalf("healthy: %+v", rows)
	}
	if r := row(t, rows, "wallet "); r.Status != doctor.OK || !strings.Contains(r.Detail, "node-a") {
		t.Errorf("healthy wallet row: %+v", r)
	}

	t.Run("wallet down", func(t *testing.T) {
		if err := st.UpdateWalletHealth(ctx, conn.ID, func(c *gateway.WalletConnection) {
			c.StreamAlive, c.LastError, c.LastErrorAt = false, "settlement stream: connection refused", time.Now().UTC()
		}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			st.UpdateWalletHealth(ctx, conn.ID, func(c *gateway.WalletConnection) { c.StreamAlive, c.LastError = true, "" })
		})
		rows := doctor.Run(ctx, cfg)
		r := row(t, rows, "wallet ")
		if r.Status != doctor.Fail || !strings.Contains(r.Detail, "connection refused") || !doctor.Failed(rows) {
			t.Errorf("wallet down: %+v", r)
		}
	})
	t.Run("wrong key", func(t *testing.T) {
		c := cfg
		c.KeyFingerprint = "mk1_bbbb"
		rows := doctor.Run(ctx, c)
		if r := row(t, rows, "master_key"); r.Status != doctor.Fail || !strings.Contains(r.Detail, "mk1_aaaa") {
			t.Errorf("wrong key: %+v", r)
		}
	})
	t.Run("schema behind", func(t *testing.T) {
		c := cfg
		c.Latest = latest + 1
		rows := doctor.Run(ctx, c)
		if r := row(t, rows, "database"); r.Status != doctor.Fail || !strings.Contains(r.Detail, "satsrail migrate") {
			t.Errorf("schema behind: %+v", r)
		}
		if r := row(t, rows, "webhooks"); r.Status != doctor.Skip {
			t.Errorf("webhooks on an unusable database: %+v", r)
		}
	})
	t.Run("damaged", func(t *testing.T) {
		c := cfg
		c.Integrity = func(context.Context) (doctor.Status, string) { return doctor.Fail, "page 3 is never used" }
		rows := doctor.Run(ctx, c)
		if r := row(t, rows, "integrity"); r.Status != doctor.Fail || !doctor.Failed(rows) {
			t.Errorf("damaged: %+v", r)
		}
	})
	t.Run("overdue backlog", func(t *testing.T) {
		c := cfg
		c.Now = func() time.Time { return time.Now().Add(time.Hour) }
		url := "https://hooks.example.com/x"
		svc := gateway.NewService(gateway.Config{Store: st, Sealer: plain{}})
		scope := gateway.Scope{MerchantID: m.ID, Mode: gateway.ModeTest}
		e, _, err := svc.CreateWebhookEndpoint(ctx, scope, gateway.WebhookParams{URL: &url})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SendTestEvent(ctx, scope, e.ID); err != nil {
			t.Fatal(err)
		}
		rows := doctor.Run(ctx, c)
		if r := row(t, rows, "webhooks"); r.Status != doctor.Fail || !strings.Contains(r.Detail, "1 pending") {
			t.Errorf("overdue backlog: %+v", r)
		}
		if r := row(t, doctor.Run(ctx, cfg), "webhooks"); r.Status != doctor.OK {
			t.Errorf("a delivery due now is not a failure: %+v", r)
		}
	})
}

type plain struct{}

func (plain) Seal(p []byte) ([]byte, error) { return append([]byte(nil), p...), nil }
func (plain) Open(p []byte) ([]byte, error) { return p, nil }
