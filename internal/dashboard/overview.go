package dashboard

import (
	"cmp"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/satsrail/satsrail/internal/dashboard/chart"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/present"
)

type overviewData struct {
	MerchantName string
	APIBase      string
	*gateway.Overview
	// Empty: no payment ever in this mode; the page says what to do next.
	Empty bool
	// The chart and its switches.
	Chart       template.HTML
	Granularity gateway.Granularity
	Unit        string // "sats" or "fiat"
	Currency    string // the fiat currency shown
	Currencies  []string
	Rows        []chartRow // the chart's numbers, as a table
	Links       overviewLinks
	Conversion  string // "" when no session was created
	Days        int    // the figures' window
	Payments    string // the window's payments, grouped
	Revenue     []string
}

// chartRow is one bucket of the chart as text, for its table.
type chartRow struct {
	Label, Value string
	Payments     int64
}

// overviewLinks are the chart's switches: the same page with another
// granularity or unit (plain links, no script).
type overviewLinks struct {
	Day, Week, Month, Sats string
	Fiat                   map[string]string // currency → link
}

// overview is the merchant's home page for the mode in view: revenue over
// time (the rollup the settlement keeps, by day, week or month, in sats or
// a fiat currency), the last 30 days' payments and conversion, the
// sessions pending now, the newest payments, the wallet's health and the
// webhook endpoints that are failing. With no payment yet it says what to
// do next.
func (h *Handler) overview(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	q := r.URL.Query()
	g, err := gateway.ParseGranularity(q.Get("g"))
	if err != nil {
		return err
	}
	unit := cmp.Or(q.Get("unit"), "sats")
	if unit != "sats" && unit != "fiat" {
		return &gateway.Error{Code: gateway.CodeValidation, Message: "The unit must be sats or fiat.",
			Fields: []gateway.FieldError{{Field: "unit", Message: "must be sats or fiat"}}}
	}
	o, err := h.svc.Overview(r.Context(), v.Scope())
	if err != nil {
		return err
	}
	buckets, err := h.svc.Revenue(r.Context(), v.Scope(), gateway.RevenueQuery{Granularity: g})
	if err != nil {
		return err
	}
	d := overviewData{MerchantName: v.Membership.MerchantName, APIBase: h.apiBase(r), Overview: o,
		Empty: len(o.Recent) == 0, Granularity: g, Unit: unit, Days: gateway.OverviewDays}
	d.Payments = present.GroupDigits(o.Payments)
	d.Revenue = append(d.Revenue, present.Sats(int64(o.Sats)))
	for _, c := range slices.Sorted(maps.Keys(o.Fiat)) {
		d.Revenue = append(d.Revenue, present.Money(o.Fiat[c], c))
	}
	if c, ok := o.Conversion(); ok {
		d.Conversion = fmt.Sprintf("%.1f%%", c*100)
	}
	// The fiat currencies seen in the chart's range, the busiest first
	// choice; a currency asked for by link is shown even if it has none.
	seen := map[string]gateway.Cents{}
	for _, b := range buckets {
		for c, n := range b.Fiat {
			seen[c] += n
		}
	}
	d.Currencies = slices.SortedFunc(maps.Keys(seen), func(a, b string) int { return cmp.Compare(seen[b], seen[a]) })
	d.Currency = q.Get("currency")
	if _, known := gateway.CurrencyExponent(d.Currency); !known {
		d.Currency = ""
		if len(d.Currencies) > 0 {
			d.Currency = d.Currencies[0]
		}
	}
	if d.Currency == "" {
		d.Currency = "usd"
	}
	if !slices.Contains(d.Currencies, d.Currency) {
		d.Currencies = append(d.Currencies, d.Currency)
	}

	link := func(g gateway.Granularity, unit, currency string) string {
		v := url.Values{"g": {string(g)}, "unit": {unit}}
		if unit == "fiat" {
			v.Set("currency", currency)
		}
		return "/dashboard?" + v.Encode()
	}
	d.Links = overviewLinks{Day: link(gateway.GranularityDay, unit, d.Currency), Week: link(gateway.GranularityWeek, unit, d.Currency),
		Month: link(gateway.GranularityMonth, unit, d.Currency), Sats: link(g, "sats", ""), Fiat: map[string]string{}}
	for _, c := range d.Currencies {
		d.Links.Fiat[c] = link(g, "fiat", c)
	}

	format := func(n int64) string { return present.Sats(n) }
	what := "sats"
	if unit == "fiat" {
		cur := d.Currency
		format = func(n int64) string { return present.Money(gateway.Cents(n), cur) }
		what = strings.ToUpper(cur)
	}
	c := chart.Chart{ID: "revenue", Kind: chart.Bar, Title: "Revenue per " + string(g) + " (" + what + ")", Format: format}
	for _, b := range buckets {
		val := int64(b.Sats)
		if unit == "fiat" {
			val = int64(b.Fiat[d.Currency])
		}
		label := bucketLabel(g, b.Start)
		c.Points = append(c.Points, chart.Point{Label: label, Value: val})
		d.Rows = append(d.Rows, chartRow{Label: label, Value: format(val), Payments: b.Payments})
	}
	c.Desc = fmt.Sprintf("Settled payments in %s per %s, %s to %s, UTC.", what, g,
		buckets[0].Start.Format("2 Jan 2006"), buckets[len(buckets)-1].End.Add(-time.Nanosecond).Format("2 Jan 2006"))
	if d.Chart, err = c.SVG(); err != nil {
		return err
	}
	return h.render(w, r, v, "overview", d)
}

// bucketLabel names a chart bucket: a day, the Monday a week starts, a month.
func bucketLabel(g gateway.Granularity, start time.Time) string {
	switch g {
	case gateway.GranularityWeek:
		return "Week of " + start.Format("2 Jan")
	case gateway.GranularityMonth:
		return start.Format("Jan 2006")
	}
	return start.Format("2 Jan")
}

// apiBase is the gateway's public URL, for the curl examples pages show.
func (h *Handler) apiBase(r *http.Request) string {
	if h.publicURL != "" {
		return h.publicURL
	}
	return requestOrigin(r)
}
