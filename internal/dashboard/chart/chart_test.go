package chart

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// sats formats like the dashboard's axis.
func sats(n int64) string { return fmt.Sprintf("%d sats", n) }

func days(values ...int64) []Point {
	var ps []Point
	for i, v := range values {
		ps = append(ps, Point{Label: fmt.Sprintf("Mar %d", i+1), Value: v})
	}
	return ps
}

// TestGolden renders each kind of chart and compares it with its file in
// testdata (rewrite them with -update after a deliberate change, and look
// at them in a browser).
func TestGolden(t *testing.T) {
	many := make([]int64, 30)
	for i := range many {
		many[i] = int64(i*i*37%1000) * 1000
	}
	for _, tc := range []struct {
		name  string
		chart Chart
	}{
		{"bar", Chart{ID: "rev", Kind: Bar, Title: "Revenue", Desc: "Revenue per day in sats, 1 to 7 March.",
			Points: days(0, 76924, 153848, 12, 0, 230772, 99999), Format: sats}},
		{"line", Chart{ID: "rev", Kind: Line, Title: "Revenue", Desc: "Revenue per day in sats, 1 to 7 March.",
			Points: days(0, 76924, 153848, 12, 0, 230772, 99999), Format: sats}},
		{"thirty_days", Chart{ID: "rev", Kind: Bar, Title: "Revenue", Desc: "Thirty days.", Points: days(many...)}},
		{"empty", Chart{ID: "rev", Kind: Bar, Title: "Revenue", Desc: "No payments yet.", Points: days(0, 0, 0)}},
		{"escaped", Chart{ID: `x"><script>alert(1)</script>`, Kind: Bar, Title: `<script>alert("t")</script>`,
			Desc: `</desc><script>alert(2)</script>`, Points: []Point{{Label: `<img src=x onerror=alert(3)>`, Value: 5}},
			Format: func(n int64) string { return fmt.Sprintf("%d <b>&amp;</b>", n) }}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.chart.SVG()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.name+".svg")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if string(got) != string(want) {
				t.Errorf("%s differs from the rendered chart (run with -update if the change is meant):\n%s", path, got)
			}
		})
	}
}

// TestAccessibleAndInert checks every chart is an image with its title and
// description, carries no script or event handler, and escapes what it is
// given.
func TestAccessibleAndInert(t *testing.T) {
	c := Chart{ID: "c1", Title: `Sales <script>`, Desc: `a "quoted" & <b>bold</b> desc`,
		Points: []Point{{Label: `<img src=x onerror=alert(1)>`, Value: 3}, {Label: "b", Value: 7}}}
	for _, kind := range []Kind{Bar, Line} {
		c.Kind = kind
		got, err := c.SVG()
		if err != nil {
			t.Fatal(err)
		}
		s := string(got)
		for _, want := range []string{`role="img"`, `aria-labelledby="c1-title c1-desc"`,
			`<title id="c1-title">Sales &lt;script&gt;</title>`,
			`<desc id="c1-desc">a &#34;quoted&#34; &amp; &lt;b&gt;bold&lt;/b&gt; desc</desc>`,
			`&lt;img src=x onerror=alert(1)&gt;: 3`} {
			if !strings.Contains(s, want) {
				t.Errorf("%s chart lacks %s:\n%s", kind, want, s)
			}
		}
		for _, bad := range []string{"<script", "<img", "onerror=alert(1)>", "javascript:"} {
			if strings.Contains(s, bad) {
				t.Errorf("%s chart contains %q:\n%s", kind, bad, s)
			}
		}
	}
}

// TestNiceCeil checks the axis tops are round and reach the peak.
func TestNiceCeil(t *testing.T) {
	for _, tc := range []struct{ n, want int64 }{
		{0, 4}, {1, 4}, {4, 4}, {5, 8}, {9, 20}, {40, 40}, {41, 80}, {76924, 80000}, {230772, 400000}, {1_000_001, 2_000_000},
	} {
		if got := niceCeil(tc.n); got != tc.want {
			t.Errorf("niceCeil(%d) = %d, want %d", tc.n, got, tc.want)
		}
	}
}
