package main

import (
	"context"
	"strings"
	"testing"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/schema"
)

type schemaStub struct {
	version int
	check   error
}

func (s schemaStub) SchemaVersion(context.Context) (int, error) { return s.version, nil }
func (s schemaStub) CheckSchema(context.Context) error          { return s.check }
func (s schemaStub) ListWalletConnections(context.Context) ([]gateway.WalletConnection, error) {
	return nil, nil
}

// TestReadinessSchema: /readyz's database check follows the upgrade
// policy — behind is "run migrate", ahead by additive migrations is ready,
// ahead otherwise is "upgrade this node".
func TestReadinessSchema(t *testing.T) {
	for _, tt := range []struct {
		name  string
		store schemaStub
		want  string // "" for ready
	}{
		{"at this binary's version", schemaStub{version: 19}, ""},
		{"behind", schemaStub{version: 16}, "run satsrail migrate"},
		{"ahead, additive", schemaStub{version: 21}, ""},
		{"ahead, contract", schemaStub{version: 21, check: schema.ErrTooNew}, "upgrade this node"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := readiness(tt.store, 19, noRates{})(t.Context())["database"]
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("database check = %v, want ready", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("database check = %v, want an error saying %q", err, tt.want)
			}
		})
	}
}
