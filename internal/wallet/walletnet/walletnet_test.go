package walletnet

import "testing"

// TestParseBase: what a client appends paths to is scheme://host[:port][/path]
// exactly; the inputs below came from FuzzNew (internal/wallet/lnbits).
func TestParseBase(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://lnbits.example", "https://lnbits.example"},
		{" https://lnbits.example/prefix/ ", "https://lnbits.example/prefix"},
		{"http://localhost:5000/", "http://localhost:5000"},
		{"https://h//", "https://h"},
		{"http://localhost:/#", ""}, // was http://localhost:/ : paths became //api/...
		{"https://h/#", ""},
		{"https://h#", ""},
		{"https://h?", ""}, // was https://h? : paths went into the query
		{"https://h/?", ""},
		{"https://h?x=1", ""},
		{"https://u:p@h", ""},
		{"http://lnbits.example", ""},
	} {
		u, err := ParseBase(tc.in)
		got := ""
		if err == nil {
			got = u.String()
		}
		if got != tc.want {
			t.Errorf("ParseBase(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
