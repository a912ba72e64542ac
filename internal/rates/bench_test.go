package rates

import (
	"context"
	"fmt"
	"testing"

	"github.com/satsrail/satsrail/internal/gateway"
)

// benchQuotes are four providers' fresh usd quotes, one of them an outlier,
// as Rate sees them for the default four providers.
func benchQuotes(b *testing.B) []gateway.Quote {
	b.Helper()
	var qs []gateway.Quote
	for i, p := range []string{"64000.01", "64012.5", "63990.25", "71000"} {
		d, err := gateway.ParseDecimal(p)
		if err != nil {
			b.Fatal(err)
		}
		qs = append(qs, gateway.Quote{Provider: fmt.Sprintf("p%d", i), Currency: "usd", Price: d, FetchedAt: t0})
	}
	return qs
}

func BenchmarkMedian(b *testing.B) {
	qs := benchQuotes(b)
	want, err := gateway.ParseDecimal("64006.255")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var m gateway.Decimal
	for b.Loop() {
		m = gateway.DecimalFromRat(median(qs))
	}
	if m.Cmp(want) != 0 {
		b.Fatalf("median = %s, want %s", m, want)
	}
}

func BenchmarkWithoutOutliers(b *testing.B) {
	qs := benchQuotes(b)
	b.ReportAllocs()
	var kept []gateway.Quote
	for b.Loop() {
		kept = withoutOutliers(qs)
	}
	if len(kept) != 3 || kept[2].Provider != "p2" {
		b.Fatalf("withoutOutliers kept %v", kept)
	}
}

// BenchmarkRate is Source.Rate with every quote in memory: what session
// creation and invoice creation each call once.
func BenchmarkRate(b *testing.B) {
	c := &clock{t: t0}
	src := New(Config{Providers: usdProviders("64000.01", "64012.5", "63990.25", "71000"), Now: c.Now})
	src.Refresh(context.Background())
	ctx := context.Background()
	b.ReportAllocs()
	var r gateway.Rate
	var err error
	for b.Loop() {
		r, err = src.Rate(ctx, "usd")
	}
	if err != nil {
		b.Fatal(err)
	}
	if r.BTCPrice.String() != "64000.01" || r.Source != "median" || len(r.Sources) != 3 {
		b.Fatalf("Rate = %+v", r)
	}
}

// BenchmarkRateRecorded is Source.Rate for usd with all eight providers'
// recorded answers in memory (about 420 quotes in 152 currencies), to
// compare with BenchmarkRate's 4 quotes in one currency.
func BenchmarkRateRecorded(b *testing.B) {
	src := recordedSource(b)
	ctx := context.Background()
	b.ReportAllocs()
	var r gateway.Rate
	var err error
	for b.Loop() {
		r, err = src.Rate(ctx, "usd")
	}
	if err != nil {
		b.Fatal(err)
	}
	if r.Source != "median" || r.Fresh != 7 {
		b.Fatalf("Rate = %+v", r)
	}
}
