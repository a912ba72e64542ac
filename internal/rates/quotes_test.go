package rates

import (
	"context"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// TestQuotesKeepStaleOnes: Quotes shows every held quote, stale ones
// included, so monitoring sees a price age grow past MaxRateAge.
func TestQuotesKeepStaleOnes(t *testing.T) {
	s := newSetup(t, Config{Providers: usdProviders("65000", "65100"), Currencies: []string{"usd"}})
	s.src.Refresh(context.Background())
	s.clock.Advance(gateway.MaxRateAge + time.Second)
	qs := s.src.Quotes()
	if len(qs) != 2 || qs[0].Provider != "p0" || qs[1].Provider != "p1" || qs[0].Currency != "usd" || !qs[0].FetchedAt.Equal(t0) {
		t.Fatalf("quotes: %+v", qs)
	}
	if _, err := s.src.Rate(context.Background(), "usd"); err == nil {
		t.Fatal("stale quotes must not price")
	}
}
