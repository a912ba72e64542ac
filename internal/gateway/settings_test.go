package gateway

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"slices"
	"strings"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

// fieldsOf returns the field names of a validation error, or fails.
func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeValidation {
		t.Fatalf("err = %v, want a validation error", err)
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestMerchantSettingsApply(t *testing.T) {
	base := Merchant{ID: "mer_1", Name: "Shop", Email: "o@shop.example", Status: MerchantActive,
		SuccessURL: "https://shop.example/old", AllowedOrigins: []string{"https://old.example"}}

	t.Run("valid patch", func(t *testing.T) {
		m := base
		err := MerchantSettings{
			Name: ptr("  New Shop "), SupportEmail: ptr("help@shop.example"), CheckoutTTL: ptr(30 * time.Minute),
			SuccessURL: ptr(""), ThankYouMessage: ptr(" Thanks! "),
			AllowedOrigins: ptr([]string{"https://Shop.Example:443", "https://shop.example", "http://localhost:3000", "http://[::1]:80"}),
		}.apply(&m)
		if err != nil {
			t.Fatal(err)
		}
		if m.Name != "New Shop" || m.SupportEmail != "help@shop.example" || m.CheckoutTTL != 30*time.Minute ||
			m.SuccessURL != "" || m.ThankYouMessage != "Thanks!" {
			t.Errorf("applied %+v", m)
		}
		if want := []string{"https://shop.example", "http://localhost:3000", "http://[::1]"}; !slices.Equal(m.AllowedOrigins, want) {
			t.Errorf("origins %q, want %q", m.AllowedOrigins, want)
		}
	})

	t.Run("absent fields stay; zero TTL is the gateway default", func(t *testing.T) {
		m := base
		m.CheckoutTTL = 20 * time.Minute
		if err := (MerchantSettings{CheckoutTTL: ptr(time.Duration(0))}).apply(&m); err != nil {
			t.Fatal(err)
		}
		if m.CheckoutTTL != 0 || m.SuccessURL != base.SuccessURL || !slices.Equal(m.AllowedOrigins, base.AllowedOrigins) {
			t.Errorf("applied %+v", m)
		}
	})

	t.Run("every broken field is named and nothing changes", func(t *testing.T) {
		m := base
		err := MerchantSettings{
			Name: ptr(" "), SupportEmail: ptr("nope"), CheckoutTTL: ptr(4 * time.Minute),
			SuccessURL: ptr("javascript:alert(1)"), ThankYouMessage: ptr(strings.Repeat("x", MaxThankYouMessageLen+1)),
			AllowedOrigins: ptr([]string{"https://ok.example", "http://shop.example", "https://shop.example/path", "https://*.example",
				"ftp://shop.example", "https://user@shop.example", "https://shop.example?x", " https://a.example", ""}),
		}.apply(&m)
		want := []string{"name", "support_email", "checkout_ttl_seconds", "success_url", "thank_you_message",
			"allowed_origins[1]", "allowed_origins[2]", "allowed_origins[3]", "allowed_origins[4]", "allowed_origins[5]",
			"allowed_origins[6]", "allowed_origins[7]", "allowed_origins[8]"}
		if got := fieldsOf(t, err); !slices.Equal(got, want) {
			t.Errorf("fields %q, want %q", got, want)
		}
		if m.Name != base.Name || !slices.Equal(m.AllowedOrigins, base.AllowedOrigins) {
			t.Errorf("merchant changed by a refused patch: %+v", m)
		}
	})

	t.Run("TTL bounds", func(t *testing.T) {
		for d, ok := range map[time.Duration]bool{5 * time.Minute: true, 60 * time.Minute: true, 61 * time.Minute: false,
			299 * time.Second: false, 5*time.Minute + time.Millisecond: false} {
			m := base
			err := MerchantSettings{CheckoutTTL: &d}.apply(&m)
			if (err == nil) != ok {
				t.Errorf("TTL %v: err = %v", d, err)
			}
		}
	})

	t.Run("too many origins", func(t *testing.T) {
		var many []string
		for i := range MaxAllowedOrigins + 1 {
			many = append(many, "https://s"+strings.Repeat("x", i)+".example")
		}
		m := base
		if got := fieldsOf(t, MerchantSettings{AllowedOrigins: &many}.apply(&m)); !slices.Equal(got, []string{"allowed_origins"}) {
			t.Errorf("fields %q", got)
		}
	})
}

func TestOriginAllowed(t *testing.T) {
	m := Merchant{AllowedOrigins: []string{"https://shop.example", "http://localhost:3000"}}
	for _, tc := range []struct {
		origin string
		mode   Mode
		want   bool
	}{
		{"https://shop.example", ModeLive, true},
		{"https://SHOP.example:443", ModeLive, true},
		{"https://shop.example:8443", ModeLive, false},
		{"https://evil.example", ModeTest, false},
		{"http://localhost:3000", ModeTest, true},
		{"http://localhost:3000", ModeLive, false}, // plain http never returns a live payment
		{"http://localhost:3001", ModeTest, false},
		{"null", ModeTest, false},
	} {
		if got := m.OriginAllowed(tc.origin, tc.mode); got != tc.want {
			t.Errorf("OriginAllowed(%q, %s) = %v, want %v", tc.origin, tc.mode, got, tc.want)
		}
	}
}

func TestProductAfterPaymentFields(t *testing.T) {
	p := &Product{}
	in := ProductParams{SuccessURL: ptr("https://shop.example/done"), ThankYouMessage: ptr("Enjoy")}
	if err := applyProduct(p, in, false, 100, func(string) bool { return true }); err != nil {
		t.Fatal(err)
	}
	if p.SuccessURL != "https://shop.example/done" || p.ThankYouMessage != "Enjoy" {
		t.Errorf("applied %+v", p)
	}
	bad := ProductParams{SuccessURL: ptr("/relative"), ThankYouMessage: ptr(strings.Repeat("é", MaxThankYouMessageLen))}
	if got := fieldsOf(t, applyProduct(p, bad, false, 100, func(string) bool { return true })); !slices.Equal(got, []string{"success_url", "thank_you_message"}) {
		t.Errorf("fields %q", got)
	}
}

// encode draws a w×h image in format.
func encode(t *testing.T, format string, w, h int) []byte {
	t.Helper()
	img := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.White, color.Black})
	var buf bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&buf, img)
	case "jpeg":
		err = jpeg.Encode(&buf, img, nil)
	case "gif":
		err = gif.Encode(&buf, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// webp builds the header of a WebP whose first chunk is kind, w×h.
func webp(kind string, w, h int) []byte {
	var d []byte
	switch kind {
	case "VP8 ":
		d = []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a}
		d = binary.LittleEndian.AppendUint16(d, uint16(w))
		d = binary.LittleEndian.AppendUint16(d, uint16(h))
	case "VP8L":
		d = binary.LittleEndian.AppendUint32([]byte{0x2f}, uint32(w-1)|uint32(h-1)<<14)
	case "VP8X":
		d = []byte{0, 0, 0, 0, byte(w - 1), byte((w - 1) >> 8), byte((w - 1) >> 16), byte(h - 1), byte((h - 1) >> 8), byte((h - 1) >> 16)}
	}
	d = append(d, make([]byte, 16)...)
	b := []byte("RIFF\x00\x00\x00\x00WEBP" + kind)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(d)))
	return append(b, d...)
}

func TestParseLogo(t *testing.T) {
	for _, tc := range []struct {
		name   string
		data   []byte
		ct     string
		w, h   int
		reject string // "" accepts; else the error code
	}{
		{"png", encode(t, "png", 120, 40), "image/png", 120, 40, ""},
		{"jpeg", encode(t, "jpeg", 33, 17), "image/jpeg", 33, 17, ""},
		{"gif", encode(t, "gif", 8, 9), "image/gif", 8, 9, ""},
		{"webp lossy", webp("VP8 ", 300, 200), "image/webp", 300, 200, ""},
		{"webp lossless", webp("VP8L", 1000, 16), "image/webp", 1000, 16, ""},
		{"webp extended", webp("VP8X", 4096, 1), "image/webp", 4096, 1, ""},
		{"too wide", encode(t, "png", MaxLogoDimension+1, 1), "", 0, 0, "validation_error"},
		{"webp too tall", webp("VP8X", 10, 5000), "", 0, 0, "validation_error"},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "", 0, 0, "validation_error"},
		{"html", []byte("<!doctype html><script>alert(1)</script>"), "", 0, 0, "validation_error"},
		{"png signature, broken header", []byte("\x89PNG\r\n\x1a\nnot a chunk"), "", 0, 0, "validation_error"},
		{"webp signature, unknown chunk", []byte("RIFF\x00\x00\x00\x00WEBPJUNK" + strings.Repeat("\x00", 30)), "", 0, 0, "validation_error"},
		{"empty", nil, "", 0, 0, "validation_error"},
		{"too large", append(encode(t, "png", 10, 10), make([]byte, MaxLogoBytes)...), "", 0, 0, "request_too_large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := ParseLogo(tc.data)
			if tc.reject != "" {
				if ErrorCode(err) != Code(tc.reject) {
					t.Fatalf("err = %v, want %s", err, tc.reject)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if l.ContentType != tc.ct || l.Width != tc.w || l.Height != tc.h || len(l.ID) != 64 || !bytes.Equal(l.Data, tc.data) {
				t.Errorf("logo %s %d×%d id %q", l.ContentType, l.Width, l.Height, l.ID)
			}
		})
	}
}

func TestKeyUsage(t *testing.T) {
	var u keyUsage
	t0 := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	u.note("key_a", t0)
	u.note("key_a", t0.Add(30*time.Second)) // within the minute: not noted
	u.note("key_b", t0.Add(10*time.Second))
	got, commit := u.pending()
	if len(got) != 2 || !got["key_a"].Equal(t0) || !got["key_b"].Equal(t0.Add(10*time.Second)) {
		t.Fatalf("pending %v", got)
	}
	if again, _ := u.pending(); len(again) != 2 {
		t.Errorf("uncommitted uses were dropped: %v", again)
	}
	commit()
	if got, _ := u.pending(); len(got) != 0 {
		t.Errorf("pending after commit: %v", got)
	}
	u.note("key_a", t0.Add(61*time.Second))
	got, commit = u.pending()
	if len(got) != 1 || !got["key_a"].Equal(t0.Add(61*time.Second)) {
		t.Errorf("pending %v, want key_a's new minute", got)
	}
	commit()
}

// BenchmarkKeyUsageNote is the cost authentication adds per request: a
// map read and an atomic load, shared by every core.
func BenchmarkKeyUsageNote(b *testing.B) {
	var u keyUsage
	now := time.Now()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			u.note("key_0123456789abcdefghij", now)
		}
	})
}
