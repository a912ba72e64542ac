package gateway

import (
	"net/mail"
	"net/url"
	"strings"
)

func validEmail(s string) bool {
	if s == "" || len(s) > 254 || strings.ContainsAny(s, " \t\r\n<>") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	_, domain, _ := strings.Cut(s, "@")
	return strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

// validHTTPURL reports whether s is an absolute http(s) URL with a host.
func validHTTPURL(s string) bool {
	if len(s) > 2048 {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return false
	}
	return u.User == nil
}

// Metadata limits (SPEC §4, SatsRail's HasMetadata).
const (
	MaxMetadataKeys     = 50
	MaxMetadataKeyLen   = 40
	MaxMetadataValueLen = 500
)

// validateMetadata checks a metadata object and converts its values to
// strings: strings stay, numbers and booleans are written as in JSON (as
// Stripe does), anything else is an error.
func validateMetadata(fe *fieldErrors, field string, in map[string]any) map[string]string {
	out := make(map[string]string, len(in))
	if len(in) > MaxMetadataKeys {
		fe.add(field, "must have at most %d keys", MaxMetadataKeys)
		return out
	}
	for k, v := range in {
		f := field + "." + k
		if k == "" || len(k) > MaxMetadataKeyLen {
			fe.add(f, "key must be 1 to %d characters", MaxMetadataKeyLen)
			continue
		}
		var s string
		switch v := v.(type) {
		case string:
			s = v
		case bool:
			s = "false"
			if v {
				s = "true"
			}
		case interface{ String() string }: // json.Number
			s = v.String()
		default:
			fe.add(f, "must be a string, number or boolean")
			continue
		}
		if len(s) > MaxMetadataValueLen {
			fe.add(f, "must be at most %d characters", MaxMetadataValueLen)
			continue
		}
		out[k] = s
	}
	return out
}
