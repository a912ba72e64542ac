package gateway

import "net/url"

// A publishable key lives in the merchant's web pages (pay.js), where anyone
// can read it. What it may create is therefore held to the merchant's own
// word: its own products or an amount within the gateway's limits (as every
// session), and success and cancel URLs only on the origins the merchant
// allowed (Merchant.AllowedOrigins), so a stranger holding the key cannot
// send the merchant's customers, after paying, to a page of theirs.

// checkReturnOrigins refuses a publishable key's session whose success_url or
// cancel_url is not on an origin the merchant allowed for mode. A merchant
// that allowed none is told how to allow one, rather than getting an open
// redirect.
func checkReturnOrigins(m *Merchant, mode Mode, sess *CheckoutSession) error {
	var fe fieldErrors
	for _, u := range []struct{ field, url string }{{"success_url", sess.SuccessURL}, {"cancel_url", sess.CancelURL}} {
		switch {
		case len(m.AllowedOrigins) == 0:
			fe.add(u.field, "is not allowed: a publishable key (pay.js) may only return customers to the merchant's "+
				"allowed origins, and this merchant has none; add your site's origin to allowed_origins "+
				"(PATCH /merchant or Dashboard → Settings)")
		case !m.OriginAllowed(URLOrigin(u.url), mode):
			o := URLOrigin(u.url)
			if mode.Live() {
				fe.add(u.field, "is not allowed: %s is not one of the merchant's allowed origins for live mode "+
					"(https only); add it to allowed_origins (PATCH /merchant or Dashboard → Settings)", o)
			} else {
				fe.add(u.field, "is not allowed: %s is not one of the merchant's allowed origins; "+
					"add it to allowed_origins (PATCH /merchant or Dashboard → Settings)", o)
			}
		}
	}
	return fe.err()
}

// URLOrigin returns the origin (scheme://host[:port]) of an absolute URL, or
// "" when it has none.
func URLOrigin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// FrameAncestors returns the origins that may frame the merchant's hosted
// checkout page of mode: its allowed origins, without the plain-http
// loopback ones in live mode (as OriginAllowed). Empty: none may.
func (m *Merchant) FrameAncestors(mode Mode) []string {
	var out []string
	for _, o := range m.AllowedOrigins {
		if m.OriginAllowed(o, mode) {
			out = append(out, o)
		}
	}
	return out
}

// EmbedOrigin returns origin, normalised, when it is one the merchant allowed
// for mode, else "": the one page the hosted checkout, framed or opened by
// pay.js, may tell what happened.
func (m *Merchant) EmbedOrigin(origin string, mode Mode) string {
	o, bad := normalOrigin(origin)
	if bad != "" || !m.OriginAllowed(o, mode) {
		return ""
	}
	return o
}
