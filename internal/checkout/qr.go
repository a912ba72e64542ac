package checkout

import (
	"fmt"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// qrSVG renders the BOLT11 as an SVG QR code of `lightning:<BOLT11>` in upper
// case (SPEC §5): upper case fits QR's alphanumeric mode, so the code is
// smaller and scans faster.
func qrSVG(bolt11 string) (string, error) {
	q, err := qrcode.New("lightning:"+strings.ToUpper(bolt11), qrcode.Medium)
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
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img" aria-label="QR code of the Lightning invoice"><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`,
		n, n, n, n, path.String()), nil
}
