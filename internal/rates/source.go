package rates

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"math/big"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// Defaults of Config.
const (
	DefaultInterval     = 30 * time.Second
	DefaultFetchTimeout = 5 * time.Second
)

// MaxDeviationPercent is the outlier rule: when at least three fresh quotes
// exist, a quote more than this many percent above or below the median of
// all fresh quotes is dropped before the final median is taken. Real
// exchanges agree to well under 1%; 5% leaves room for a lagging provider
// while refusing a broken or manipulated one.
const MaxDeviationPercent = 5

// minQuotesForOutliers is how many fresh quotes it takes to tell an outlier:
// with one or two there is no majority to judge by.
const minQuotesForOutliers = 3

// fixedNote is Rate.Note when the fixed rate stands in for the providers.
const fixedNote = "no price provider answered; using the configured fixed rate"

// Config configures a Source. Zero fields mean defaults.
type Config struct {
	// Providers are the price APIs to poll.
	Providers []Provider
	// Currencies are the fiat currencies to price; default gateway.Currencies().
	Currencies []string
	// Interval is the time between refresh rounds; default DefaultInterval.
	Interval time.Duration
	// FetchTimeout bounds each provider's part of a round; default DefaultFetchTimeout.
	FetchTimeout time.Duration
	// Fixed are explicit fallback prices, used only when no fresh quote
	// exists; non-positive or implausible ones are ignored.
	Fixed map[string]gateway.Decimal
	// Now tells the time; default time.Now in UTC.
	Now func() time.Time
	// Logger receives one warning per failing provider per round; default discards.
	Logger *slog.Logger
}

// Source polls the providers and answers the median price from memory. It
// implements gateway.RateSource and is safe for concurrent use.
type Source struct {
	providers    []Provider
	currencies   []string
	interval     time.Duration
	fetchTimeout time.Duration
	fixed        map[string]gateway.Decimal
	now          func() time.Time
	log          *slog.Logger

	mu sync.RWMutex
	// quotes holds the latest quote per currency and provider; by currency
	// first, so Rate reads only its currency's few quotes of the hundreds.
	quotes map[string]map[string]gateway.Quote
}

var _ gateway.RateSource = (*Source)(nil)

// New builds a Source. It starts nothing: call Run (or Refresh) to fetch.
func New(cfg Config) *Source {
	s := &Source{
		providers:    slices.Clone(cfg.Providers),
		interval:     cmp.Or(cfg.Interval, DefaultInterval),
		fetchTimeout: cmp.Or(cfg.FetchTimeout, DefaultFetchTimeout),
		fixed:        map[string]gateway.Decimal{},
		now:          cfg.Now,
		log:          cfg.Logger,
		quotes:       map[string]map[string]gateway.Quote{},
	}
	curs := cfg.Currencies
	if len(curs) == 0 {
		curs = gateway.Currencies()
	}
	for _, c := range curs {
		c = strings.ToLower(c)
		if !slices.Contains(s.currencies, c) {
			s.currencies = append(s.currencies, c)
		}
	}
	for c, d := range cfg.Fixed {
		if checkPrice(d) == nil { // ParseFixed refuses these; never quote a zero price
			s.fixed[strings.ToLower(c)] = d
		}
	}
	if s.now == nil {
		s.now = func() time.Time { return time.Now().UTC() }
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// Run refreshes right away and then every Interval until ctx is done, and
// returns nil then. Provider failures are logged, never returned.
func (s *Source) Run(ctx context.Context) error {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		s.Refresh(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Refresh runs one round: every provider is asked, concurrently and within
// FetchTimeout, for the currencies it supports. The quotes each answers
// replace its previous ones as soon as it answers; a provider that fails keeps
// its previous quotes, which age out after gateway.MaxRateAge. Each failure is
// logged once at Warn.
func (s *Source) Refresh(ctx context.Context) {
	var wg sync.WaitGroup
	for _, p := range s.providers {
		var curs []string
		for _, c := range s.currencies {
			if p.Supports(c) {
				curs = append(curs, c)
			}
		}
		if len(curs) == 0 {
			continue
		}
		wg.Go(func() { s.refreshOne(ctx, p, curs) })
	}
	wg.Wait()
}

func (s *Source) refreshOne(parent context.Context, p Provider, curs []string) {
	// A quote is stamped with the time it was asked for: the price is at
	// least that fresh, whatever the provider's latency.
	at := s.now()
	ctx, cancel := context.WithTimeout(parent, s.fetchTimeout)
	defer cancel()
	quotes, err := p.Fetch(ctx, curs)
	// A failure because we are shutting down is not the provider's.
	if err != nil && parent.Err() == nil {
		s.log.WarnContext(ctx, "rate provider failed", "provider", p.Name(), "error", err)
	}
	name := p.Name()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range quotes {
		// Keep only what was asked for and is plausible, whatever the
		// provider implementation let through.
		if !slices.Contains(curs, q.Currency) || checkPrice(q.Price) != nil {
			continue
		}
		fetched := at
		if !q.FetchedAt.IsZero() && q.FetchedAt.Before(at) {
			fetched = q.FetchedAt.UTC() // the provider says its price is older
		}
		byProvider := s.quotes[q.Currency]
		if byProvider == nil {
			byProvider = map[string]gateway.Quote{}
			s.quotes[q.Currency] = byProvider
		}
		if old, ok := byProvider[name]; ok && old.FetchedAt.After(fetched) {
			continue // a round that started later, or a newer price, already answered
		}
		byProvider[name] = gateway.Quote{Provider: name, Currency: q.Currency, Price: q.Price, FetchedAt: fetched}
	}
}

// Quotes returns the latest quote held from each provider for each
// currency, stale ones included (their age is what monitoring wants to
// see), ordered by currency then provider.
func (s *Source) Quotes() []gateway.Quote {
	s.mu.RLock()
	var out []gateway.Quote
	for _, byProvider := range s.quotes {
		for _, q := range byProvider {
			out = append(out, q)
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b gateway.Quote) int {
		return cmp.Or(strings.Compare(a.Currency, b.Currency), strings.Compare(a.Provider, b.Provider))
	})
	return out
}

// Supports reports whether currency is configured and some provider can price
// it or a fixed rate exists for it.
func (s *Source) Supports(currency string) bool {
	currency = strings.ToLower(currency)
	if !slices.Contains(s.currencies, currency) {
		return false
	}
	if _, ok := s.fixed[currency]; ok {
		return true
	}
	return slices.ContainsFunc(s.providers, func(p Provider) bool { return p.Supports(currency) })
}

// Rate returns the median of the quotes for currency at most
// gateway.MaxRateAge old, with outliers dropped (see MaxDeviationPercent).
// Without fresh quotes it returns the fixed rate if one is configured, else an
// error wrapping gateway.ErrRateUnavailable, as it does when the fresh quotes
// disagree too much to trust any. A currency Supports refuses is a
// gateway.CodeValidation error. Rate does no I/O.
func (s *Source) Rate(_ context.Context, currency string) (gateway.Rate, error) {
	currency = strings.ToLower(currency)
	if !s.Supports(currency) {
		return gateway.Rate{}, &gateway.Error{
			Code:    gateway.CodeValidation,
			Message: fmt.Sprintf("Currency %q is not supported.", currency),
			Fields:  []gateway.FieldError{{Field: "currency", Message: fmt.Sprintf("%s is not quoted by any configured rate provider", currency)}},
		}
	}
	now := s.now()
	var fresh []gateway.Quote
	s.mu.RLock()
	for _, q := range s.quotes[currency] {
		if now.Sub(q.FetchedAt) <= gateway.MaxRateAge {
			fresh = append(fresh, q)
		}
	}
	s.mu.RUnlock()

	if len(fresh) == 0 {
		if d, ok := s.fixed[currency]; ok {
			return gateway.Rate{Currency: currency, BTCPrice: d, Source: "fixed", FetchedAt: now, Note: fixedNote}, nil
		}
		return gateway.Rate{}, errUnavailable(currency)
	}
	used := withoutOutliers(fresh)
	if len(used) == 0 {
		// The providers answered but disagree: the fixed rate is for when
		// none answers (SPEC §7), not a tie-breaker.
		return gateway.Rate{}, errUnavailable(currency)
	}
	slices.SortFunc(used, func(a, b gateway.Quote) int { return strings.Compare(a.Provider, b.Provider) })
	oldest := used[0].FetchedAt
	for _, q := range used[1:] {
		if q.FetchedAt.Before(oldest) {
			oldest = q.FetchedAt
		}
	}
	return gateway.Rate{
		Currency:  currency,
		BTCPrice:  gateway.DecimalFromRat(median(used)),
		Source:    "median",
		Sources:   used,
		Fresh:     len(fresh),
		FetchedAt: oldest,
	}, nil
}

func errUnavailable(currency string) error {
	return &gateway.Error{
		Code:    gateway.CodeRateUnavailable,
		Message: fmt.Sprintf("No trustworthy BTC/%s price is available right now.", strings.ToUpper(currency)),
	}
}

// withoutOutliers drops, when there are enough quotes to judge, those
// deviating from the median of all by more than MaxDeviationPercent. It can
// return none when an even number of quotes splits so far apart that both
// middle ones are outliers (say two at 100 and two at 120): then no price is
// trustworthy.
func withoutOutliers(quotes []gateway.Quote) []gateway.Quote {
	if len(quotes) < minQuotesForOutliers {
		return quotes
	}
	m := median(quotes)
	// |p - m| * 100 > m * MaxDeviationPercent, in exact arithmetic.
	limit := new(big.Rat).Mul(m, big.NewRat(MaxDeviationPercent, 100))
	var kept []gateway.Quote
	for _, q := range quotes {
		dev := new(big.Rat).Sub(q.Price.Rat(), m)
		if dev.Abs(dev).Cmp(limit) <= 0 {
			kept = append(kept, q)
		}
	}
	return kept
}

// median returns the middle price of quotes (not empty), or the mean of the
// two middle prices for an even count, exactly.
func median(quotes []gateway.Quote) *big.Rat {
	prices := make([]*big.Rat, len(quotes))
	for i, q := range quotes {
		prices[i] = q.Price.Rat()
	}
	slices.SortFunc(prices, (*big.Rat).Cmp)
	n := len(prices)
	if n%2 == 1 {
		return prices[n/2]
	}
	sum := new(big.Rat).Add(prices[n/2-1], prices[n/2])
	return sum.Quo(sum, big.NewRat(2, 1))
}
