package gateway

import (
	"slices"
	"strings"
	"testing"
)

func TestCheckReturnOrigins(t *testing.T) {
	m := &Merchant{AllowedOrigins: []string{"https://shop.example", "http://localhost:3000"}}
	cases := []struct {
		name            string
		m               *Merchant
		mode            Mode
		success, cancel string
		bad             []string // fields refused
		say             string   // a word the message must have
	}{
		{"both on an allowed origin", m, ModeLive, "https://shop.example/thanks?o=1", "https://shop.example/cart", nil, ""},
		{"case and default port do not matter", m, ModeLive, "https://SHOP.example:443/ok", "https://shop.example/", nil, ""},
		{"loopback http in test mode", m, ModeTest, "http://localhost:3000/ok", "http://localhost:3000/", nil, ""},
		{"loopback http never in live mode", m, ModeLive, "http://localhost:3000/ok", "https://shop.example/", []string{"success_url"}, "live mode"},
		{"foreign success", m, ModeTest, "https://evil.example/ok", "https://shop.example/", []string{"success_url"}, "https://evil.example"},
		{"foreign cancel", m, ModeTest, "https://shop.example/ok", "https://shop.example.evil.example/", []string{"cancel_url"}, "allowed_origins"},
		{"another port is another origin", m, ModeTest, "https://shop.example:8443/ok", "http://localhost:3001/", []string{"success_url", "cancel_url"}, ""},
		{"no allowed origin at all", &Merchant{}, ModeTest, "https://shop.example/ok", "https://shop.example/", []string{"success_url", "cancel_url"}, "has none"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := checkReturnOrigins(c.m, c.mode, &CheckoutSession{SuccessURL: c.success, CancelURL: c.cancel})
			if c.bad == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if got := fieldsOf(t, err); !slices.Equal(got, c.bad) {
				t.Errorf("fields %q, want %q", got, c.bad)
			}
			if !strings.Contains(err.(*Error).Fields[0].Message, c.say) {
				t.Errorf("message %q lacks %q", err.(*Error).Fields[0].Message, c.say)
			}
		})
	}
}

func TestFrameAncestors(t *testing.T) {
	m := &Merchant{AllowedOrigins: []string{"https://shop.example", "http://localhost:3000", "https://b.example:8443"}}
	if got, want := m.FrameAncestors(ModeTest), []string{"https://shop.example", "http://localhost:3000", "https://b.example:8443"}; !slices.Equal(got, want) {
		t.Errorf("test mode: %q, want %q", got, want)
	}
	if got, want := m.FrameAncestors(ModeLive), []string{"https://shop.example", "https://b.example:8443"}; !slices.Equal(got, want) {
		t.Errorf("live mode: %q, want %q", got, want)
	}
	if got := (&Merchant{}).FrameAncestors(ModeTest); len(got) != 0 {
		t.Errorf("no origins: %q, want none", got)
	}
}

func TestURLOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://a.example/x?y#z":  "https://a.example",
		"http://127.0.0.1:8080/ok": "http://127.0.0.1:8080",
		"/relative":                "",
		"::":                       "",
	} {
		if got := URLOrigin(in); got != want {
			t.Errorf("URLOrigin(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEmbedOrigin(t *testing.T) {
	m := &Merchant{AllowedOrigins: []string{"https://shop.example", "http://localhost:3000"}}
	for _, c := range []struct {
		in   string
		mode Mode
		want string
	}{
		{"https://shop.example", ModeLive, "https://shop.example"},
		{"https://SHOP.example:443", ModeLive, "https://shop.example"},
		{"http://localhost:3000", ModeTest, "http://localhost:3000"},
		{"http://localhost:3000", ModeLive, ""},
		{"https://evil.example", ModeTest, ""},
		{"https://shop.example/path", ModeTest, ""},
		{"*", ModeTest, ""},
		{"", ModeTest, ""},
		{"null", ModeTest, ""},
	} {
		if got := m.EmbedOrigin(c.in, c.mode); got != c.want {
			t.Errorf("EmbedOrigin(%q, %s) = %q, want %q", c.in, c.mode, got, c.want)
		}
	}
}
