package checkout

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// pay.js is the embeddable "Pay with Bitcoin ⚡" button (SPEC §11): merchants'
// pages load it from /js/pay.js on this gateway. Its URL never changes, so it
// is cached briefly and revalidated by its ETag (a fix reaches every shop
// within minutes). It creates sessions through the API with a publishable
// key; the rules it lives under (allowed origins for return URLs, CORS and
// framing) are the gateway's (gateway/publishable.go), never its own.

var payJS, payJSGzip, payJSTag = func() ([]byte, []byte, string) {
	b, err := assetFS.ReadFile("assets/pay.js")
	if err != nil {
		panic(err)
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	sum := sha256.Sum256(b)
	return b, gz.Bytes(), `"` + hex.EncodeToString(sum[:8]) + `"`
}()

func (h *Handler) payJS(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Type", "text/javascript; charset=utf-8")
	hdr.Set("Cache-Control", "public, max-age=300")
	hdr.Set("Vary", "Accept-Encoding")
	// Any site may load it (that is its point), also one that isolates
	// itself with Cross-Origin-Embedder-Policy.
	hdr.Set("Cross-Origin-Resource-Policy", "cross-origin")
	body, tag := payJS, payJSTag
	// It is on every page of a shop: sent compressed (a third of its size)
	// to every browser that takes gzip, which is all of them.
	if acceptsGzip(r) {
		hdr.Set("Content-Encoding", "gzip")
		body, tag = payJSGzip, payJSTag[:len(payJSTag)-1]+`-gz"`
	}
	hdr.Set("ETag", tag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}
