package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"image"
	_ "image/gif"  // registers GIF for image.DecodeConfig
	_ "image/jpeg" // registers JPEG
	_ "image/png"  // registers PNG
	"time"
)

// MerchantLogo is an uploaded logo: the bytes as sent, their type and size.
type MerchantLogo struct {
	ID          string // hex SHA-256 of Data
	MerchantID  string
	ContentType string // image/png, image/jpeg, image/webp or image/gif
	Data        []byte
	Width       int
	Height      int
	CreatedAt   time.Time
}

// Logo limits: small enough to keep in the database and send with every
// checkout page, large enough for any logo.
const (
	MaxLogoBytes     = 256 << 10
	MaxLogoDimension = 4096
)

// ParseLogo checks an uploaded image: PNG, JPEG, WebP or GIF by its content
// (never by a name or header the client chose), at most MaxLogoBytes, and
// with sane dimensions read from its header. SVG is refused: it is a
// document that can carry script, not an image.
func ParseLogo(b []byte) (MerchantLogo, error) {
	bad := func(format string, args ...any) (MerchantLogo, error) {
		var fe fieldErrors
		fe.add("logo", format, args...)
		return MerchantLogo{}, fe.err()
	}
	if len(b) > MaxLogoBytes {
		return MerchantLogo{}, Errorf(CodeRequestTooLarge, "The logo is larger than %d KiB.", MaxLogoBytes>>10)
	}
	if len(b) == 0 {
		return bad("is required: send the image as the request body")
	}
	ct := sniffImage(b)
	var w, h int
	switch ct {
	case "":
		return bad("must be a PNG, JPEG, WebP or GIF image")
	case "image/webp":
		var ok bool
		if w, h, ok = webpSize(b); !ok {
			return bad("is not a readable WebP image")
		}
	default:
		cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
		if err != nil {
			return bad("is not a readable %s image", ct[len("image/"):])
		}
		w, h = cfg.Width, cfg.Height
	}
	if w < 1 || h < 1 || w > MaxLogoDimension || h > MaxLogoDimension {
		return bad("must be between 1 and %d pixels on each side, not %d×%d", MaxLogoDimension, w, h)
	}
	sum := sha256.Sum256(b)
	return MerchantLogo{ID: hex.EncodeToString(sum[:]), ContentType: ct, Data: b, Width: w, Height: h}, nil
}

// sniffImage names the image type of b by its signature, or "".
func sniffImage(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(b, []byte("\xff\xd8\xff")):
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return "image/gif"
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "image/webp"
	}
	return ""
}

// webpSize reads a WebP's canvas size from its first chunk (lossy VP8,
// lossless VP8L or extended VP8X), as golang.org/x/image/webp does; the
// gateway stays on the standard library.
func webpSize(b []byte) (w, h int, ok bool) {
	if len(b) < 30 {
		return 0, 0, false
	}
	chunk := string(b[12:16])
	d := b[20:]
	switch chunk {
	case "VP8 ":
		// frame tag (3 bytes), start code 9d 01 2a, then 14-bit sizes.
		if d[3] != 0x9d || d[4] != 0x01 || d[5] != 0x2a {
			return 0, 0, false
		}
		return int(binary.LittleEndian.Uint16(d[6:]) & 0x3fff), int(binary.LittleEndian.Uint16(d[8:]) & 0x3fff), true
	case "VP8L":
		if d[0] != 0x2f {
			return 0, 0, false
		}
		bits := binary.LittleEndian.Uint32(d[1:])
		return int(bits&0x3fff) + 1, int(bits>>14&0x3fff) + 1, true
	case "VP8X":
		u24 := func(p []byte) int { return int(p[0]) | int(p[1])<<8 | int(p[2])<<16 }
		return u24(d[4:]) + 1, u24(d[7:]) + 1, true
	}
	return 0, 0, false
}

// SetMerchantLogo checks and stores an uploaded logo for merchant id,
// replacing any other.
func (s *Service) SetMerchantLogo(ctx context.Context, id string, data []byte) (*Merchant, error) {
	logo, err := ParseLogo(data)
	if err != nil {
		return nil, err
	}
	logo.MerchantID, logo.CreatedAt = id, s.Now()
	m, err := s.store.SetMerchantLogo(ctx, id, &logo, logo.CreatedAt)
	if err != nil {
		return nil, err
	}
	s.keys.reset()
	return m, nil
}

// DeleteMerchantLogo removes merchant id's logo; without one it is a no-op.
func (s *Service) DeleteMerchantLogo(ctx context.Context, id string) (*Merchant, error) {
	m, err := s.store.SetMerchantLogo(ctx, id, nil, s.Now())
	if err != nil {
		return nil, err
	}
	s.keys.reset()
	return m, nil
}

// Logo returns the logo with this id (its content hash), for serving.
func (s *Service) Logo(ctx context.Context, id string) (*MerchantLogo, error) {
	if len(id) != 64 || !lookupable(id) {
		return nil, ErrNotFound
	}
	return s.store.GetMerchantLogo(ctx, id)
}
