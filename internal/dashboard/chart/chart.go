// Package chart draws the dashboard's charts as SVG in Go: no script, no
// third-party host, the same bytes for the same data (golden-file tested).
// The SVG is made by html/template, so every label is escaped, and is an
// image to assistive technology (role="img" with its title and
// description); the page gives the numbers as a table beside it for screen
// readers, which an image of bars cannot.
package chart

import (
	"bytes"
	"fmt"
	"html/template"
	"strconv"
)

// Kind is how a chart draws its values.
type Kind string

// The kinds of chart.
const (
	Bar  Kind = "bar"
	Line Kind = "line"
)

// Point is one value and its label on the x axis.
type Point struct {
	Label string
	Value int64
}

// Chart is one series of non-negative values over labelled points.
type Chart struct {
	// ID prefixes the ids of the SVG's title and description, which must
	// be unique in the page.
	ID    string
	Kind  Kind
	Title string
	// Desc says what the chart shows in a sentence (its accessible
	// description), e.g. "Revenue per day, in sats, 30 days to 6 Dec".
	Desc   string
	Points []Point
	// Format writes a value for the axis and the tooltips, with its unit
	// (default: the integer).
	Format func(int64) string
	// Width and Height are the viewBox's size (default 720×240); the SVG
	// scales to its container.
	Width, Height int
}

// Colours and type are presentation attributes, not style: the
// dashboard's CSP allows no inline style, and the chart must read the same
// anywhere it is shown.

// The margins around the plot, in viewBox units: room for the y axis's
// labels on the left and the x axis's below.
const (
	marginLeft   = 88
	marginRight  = 12
	marginTop    = 12
	marginBottom = 28
	yTicks       = 4
	maxXLabels   = 8
)

// SVG renders the chart. Values below zero are drawn as zero.
func (c Chart) SVG() (template.HTML, error) {
	v := c.view()
	var b bytes.Buffer
	if err := svgTemplate.Execute(&b, v); err != nil {
		return "", fmt.Errorf("chart %s: %w", c.ID, err)
	}
	// html/template escaped every value it wrote; the result is safe HTML.
	return template.HTML(b.String()), nil
}

type view struct {
	ID, Title, Desc string
	Width, Height   int
	Left, Right     int
	Top, Bottom     int
	Bar             bool
	Bars            []bar
	Line            string // polyline points
	Dots            []bar
	Ticks           []tick
	Labels          []xLabel
	Empty           bool
}

type bar struct {
	X, Y, W, H string
	CX, CY     string
	Tip        string
}

type tick struct {
	Y     string
	Label string
}

type xLabel struct {
	X     string
	Label string
}

func (c Chart) view() view {
	format := c.Format
	if format == nil {
		format = func(n int64) string { return strconv.FormatInt(n, 10) }
	}
	w, h := c.Width, c.Height
	if w <= 0 {
		w = 720
	}
	if h <= 0 {
		h = 240
	}
	v := view{ID: c.ID, Title: c.Title, Desc: c.Desc, Width: w, Height: h,
		Left: marginLeft, Right: w - marginRight, Top: marginTop, Bottom: h - marginBottom, Bar: c.Kind != Line}
	var peak int64
	for _, p := range c.Points {
		peak = max(peak, p.Value)
	}
	v.Empty = peak == 0
	top := niceCeil(peak)
	plotW, plotH := float64(v.Right-v.Left), float64(v.Bottom-v.Top)
	y := func(n int64) float64 {
		h := float64(max(n, 0)) / float64(top) * plotH
		if n > 0 {
			h = max(h, 1) // a payment is never drawn as nothing
		}
		return float64(v.Bottom) - h
	}
	for i := range yTicks + 1 {
		n := top / yTicks * int64(i)
		v.Ticks = append(v.Ticks, tick{Y: num(y(n)), Label: format(n)})
	}
	slot := plotW / float64(max(len(c.Points), 1))
	every := (len(c.Points) + maxXLabels - 1) / maxXLabels
	for i, p := range c.Points {
		x := float64(v.Left) + slot*float64(i)
		tip := p.Label + ": " + format(max(p.Value, 0))
		b := bar{X: num(x + slot*0.15), W: num(slot * 0.7), Y: num(y(p.Value)), H: num(float64(v.Bottom) - y(p.Value)),
			CX: num(x + slot/2), CY: num(y(p.Value)), Tip: tip}
		if v.Bar {
			v.Bars = append(v.Bars, b)
		} else {
			if v.Line != "" {
				v.Line += " "
			}
			v.Line += b.CX + "," + b.CY
			v.Dots = append(v.Dots, b)
		}
		// Thin the labels so they never overlap; the last one always shows.
		if every > 0 && (i%every == 0 && len(c.Points)-1-i >= every || i == len(c.Points)-1) {
			v.Labels = append(v.Labels, xLabel{X: num(x + slot/2), Label: p.Label})
		}
	}
	return v
}

// niceCeil returns the axis's top: yTicks steps, each step the smallest
// 1, 2 or 5 times a power of ten that reaches n, so the axis reads in round
// numbers.
func niceCeil(n int64) int64 {
	need := max((n+yTicks-1)/yTicks, 1)
	for p := int64(1); ; p *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if m*p >= need {
				return m * p * yTicks
			}
		}
	}
}

// num writes a coordinate with at most one decimal, so output is stable and
// small.
func num(f float64) string { return strconv.FormatFloat(float64(int64(f*10+0.5))/10, 'f', -1, 64) }

var svgTemplate = template.Must(template.New("svg").Parse(
	`<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {{.Width}} {{.Height}}" role="img" ` +
		`aria-labelledby="{{.ID}}-title {{.ID}}-desc" preserveAspectRatio="xMidYMid meet">
<title id="{{.ID}}-title">{{.Title}}</title>
<desc id="{{.ID}}-desc">{{.Desc}}</desc>
<g class="chart-grid" aria-hidden="true" stroke="#d0d7de" fill="#57606a" font-size="12" font-family="system-ui, sans-serif">
{{- range .Ticks}}
<line x1="{{$.Left}}" x2="{{$.Right}}" y1="{{.Y}}" y2="{{.Y}}"/>
<text x="{{$.Left}}" y="{{.Y}}" dx="-6" dy="4" text-anchor="end" stroke="none">{{.Label}}</text>
{{- end}}
</g>
<g class="chart-x" aria-hidden="true" fill="#57606a" font-size="12" font-family="system-ui, sans-serif">
{{- range .Labels}}
<text x="{{.X}}" y="{{$.Height}}" dy="-8" text-anchor="middle">{{.Label}}</text>
{{- end}}
</g>
{{- if .Bar}}
<g class="chart-bars" fill="#f7931a">
{{- range .Bars}}
<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}"><title>{{.Tip}}</title></rect>
{{- end}}
</g>
{{- else}}
<g class="chart-line" fill="#f7931a" stroke="#f7931a">
<polyline fill="none" stroke-width="2" points="{{.Line}}"/>
{{- range .Dots}}
<circle cx="{{.CX}}" cy="{{.CY}}" r="3"><title>{{.Tip}}</title></circle>
{{- end}}
</g>
{{- end}}
{{- if .Empty}}
<text class="chart-empty" x="{{.Left}}" y="{{.Top}}" dx="8" dy="16" fill="#57606a" font-size="14" font-family="system-ui, sans-serif">No payments in this period yet.</text>
{{- end}}
</svg>`))
