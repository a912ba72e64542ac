// Package qrsvg draws QR codes as small SVG documents: one path of
// horizontal runs, crisp at any size, made of numbers only (so it can be
// inlined in a page without escaping). The hosted checkout draws invoices
// with it, the dashboard its authenticator enrolment.
package qrsvg

import (
	"fmt"
	"html"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// Encode returns text as an SVG QR code at medium error correction, labelled
// for screen readers with label.
func Encode(text, label string) (string, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return "", err
	}
	bits := q.Bitmap() // includes the 4-module quiet zone
	n := len(bits)
	var path strings.Builder
	for y, row := range bits {
		for x := 0; x < n; {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < n && row[x] {
				x++
			}
			fmt.Fprintf(&path, "M%d %dh%dv1h-%dz", start, y, x-start, x-start)
		}
	}
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img" aria-label="%s"><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`,
		n, n, html.EscapeString(label), n, n, path.String()), nil
}
