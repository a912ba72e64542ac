package main

import (
	"context"
	"slices"
	"testing"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/rates"
)

// quoting is a rate provider quoting fixed prices.
type quoting struct {
	name   string
	prices map[string]string
}

func (q quoting) Name() string             { return q.name }
func (q quoting) Supports(cur string) bool { _, ok := q.prices[cur]; return ok }
func (q quoting) Fetch(_ context.Context, curs []string) ([]gateway.Quote, error) {
	var out []gateway.Quote
	for _, c := range curs {
		p, _ := gateway.ParseDecimal(q.prices[c])
		out = append(out, gateway.Quote{Provider: q.name, Currency: c, Price: p})
	}
	return out, nil
}

// TestPriceAges: the price-age gauge has a series per provider quote and a
// median series per currency that has quotes — not one per ISO 4217
// currency the source could price.
func TestPriceAges(t *testing.T) {
	src := rates.New(rates.Config{Providers: []rates.Provider{
		quoting{"a", map[string]string{"usd": "99000", "brl": "600000"}},
		quoting{"b", map[string]string{"usd": "99100", "kwd": "30500.125"}},
	}})
	src.Refresh(context.Background())
	var got []string
	for _, a := range priceAges(src)() {
		got = append(got, a.Currency+"/"+a.Source)
	}
	slices.Sort(got)
	want := []string{"brl/a", "brl/median", "kwd/b", "kwd/median", "usd/a", "usd/b", "usd/median"}
	if !slices.Equal(got, want) {
		t.Errorf("series %v, want %v", got, want)
	}
}
