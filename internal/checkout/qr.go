package checkout

import (
	"container/list"
	"html"
	"strings"
	"sync"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/satsrail/satsrail/internal/qrsvg"
)

// qrSVG renders the BOLT11 as an SVG QR code of `lightning:<BOLT11>` in upper
// case (SPEC §5): upper case fits QR's alphanumeric mode, so the code is
// smaller and scans faster.
func qrSVG(bolt11 string) (string, error) {
	return qrsvg.Encode("lightning:"+strings.ToUpper(bolt11), qrLabel)
}

// qrLabel is the QR code's accessible name as made and cached; the page
// puts its own language's in its place (labelQR).
const qrLabel = "QR code of the Lightning invoice"

// labelQR gives a cached QR code the accessible name label.
func labelQR(svg, label string) string {
	return strings.Replace(svg, `aria-label="`+qrLabel+`"`, `aria-label="`+html.EscapeString(label)+`"`, 1)
}

// qrPNG renders content as a size×size PNG QR code, for printing.
func qrPNG(content string, size int) ([]byte, error) {
	q, err := qrcode.New(content, qrcode.Medium)
	if err != nil {
		return nil, err
	}
	return q.PNG(size)
}

// qrCache keeps the SVGs of recently shown invoices. A customer loads a page
// several times (reloads, the no-script refresh, /qr), and choosing a QR
// code's mask costs milliseconds; the cache makes every load after the first
// cost a map lookup. It holds at most max entries, least recently used out.
type qrCache struct {
	mu    sync.Mutex
	max   int
	items map[string]*list.Element // BOLT11 → element of order holding a qrEntry
	order *list.List               // most recently used first
}

type qrEntry struct{ bolt11, svg string }

func newQRCache(max int) *qrCache {
	return &qrCache{max: max, items: map[string]*list.Element{}, order: list.New()}
}

// svg returns the QR code of bolt11, making it on a miss.
func (c *qrCache) svg(bolt11 string) (string, error) {
	c.mu.Lock()
	if e, ok := c.items[bolt11]; ok {
		c.order.MoveToFront(e)
		c.mu.Unlock()
		return e.Value.(qrEntry).svg, nil
	}
	c.mu.Unlock()
	svg, err := qrSVG(bolt11) // outside the lock: two misses may both encode
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[bolt11]; !ok {
		c.items[bolt11] = c.order.PushFront(qrEntry{bolt11, svg})
		if c.order.Len() > c.max {
			last := c.order.Back()
			c.order.Remove(last)
			delete(c.items, last.Value.(qrEntry).bolt11)
		}
	}
	return svg, nil
}
