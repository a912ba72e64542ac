package checkout

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"
)

// pay.js is the embeddable "Pay with Bitcoin ⚡" button (SPEC §11): merchants'
// pages load it from /js/pay.js on this gateway. Its URL never changes, so it
// is cached briefly and revalidated by its ETag (a fix reaches every shop
// within minutes). It creates sessions through the API with a publishable
// key; the rules it lives under (allowed origins for return URLs, CORS and
// framing) are the gateway's (gateway/publishable.go), never its own.

var payJS, payJSTag = func() ([]byte, string) {
	b, err := assetFS.ReadFile("assets/pay.js")
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256(b)
	return b, `"` + hex.EncodeToString(sum[:8]) + `"`
}()

func (h *Handler) payJS(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Type", "text/javascript; charset=utf-8")
	hdr.Set("Cache-Control", "public, max-age=300")
	hdr.Set("ETag", payJSTag)
	// Any site may load it (that is its point), also one that isolates
	// itself with Cross-Origin-Embedder-Policy.
	hdr.Set("Cross-Origin-Resource-Policy", "cross-origin")
	http.ServeContent(w, r, "pay.js", time.Time{}, bytes.NewReader(payJS))
}
