package secretbox_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/satsrail/satsrail/internal/secretbox"
)

func mustKey(t *testing.T) []byte {
	t.Helper()
	key, err := secretbox.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func TestSealOpen(t *testing.T) {
	key := mustKey(t)
	for _, plain := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("node key "), 100)} {
		sealed, err := secretbox.Seal(key, plain)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(sealed), len(plain)+secretbox.Overhead; got != want {
			t.Errorf("sealed length = %d, want %d", got, want)
		}
		// (A 1-byte plaintext turns up in 29 random bytes about 11% of the
		// time; only a longer one in the box means it leaked.)
		if len(plain) >= 8 && bytes.Contains(sealed, plain) {
			t.Error("sealed box contains the plaintext")
		}
		got, err := secretbox.Open(key, sealed)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if !bytes.Equal(got, plain) {
			t.Errorf("Open = %q, want %q", got, plain)
		}
	}
}

func TestSealUsesFreshNonces(t *testing.T) {
	key := mustKey(t)
	a, _ := secretbox.Seal(key, []byte("same"))
	b, _ := secretbox.Seal(key, []byte("same"))
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same plaintext are equal")
	}
}

func TestOpenRefuses(t *testing.T) {
	key := mustKey(t)
	sealed, err := secretbox.Seal(key, []byte("secret node key"))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 0x01
		return b
	}
	tests := []struct {
		name   string
		key    []byte
		sealed []byte
	}{
		{"wrong key", mustKey(t), sealed},
		{"version byte", key, flip(0)},
		{"nonce", key, flip(1)},
		{"ciphertext", key, flip(1 + 12)},
		{"tag", key, flip(len(sealed) - 1)},
		{"truncated", key, sealed[:len(sealed)-1]},
		{"too short", key, sealed[:secretbox.Overhead-1]},
		{"empty", key, nil},
		{"appended", key, append(bytes.Clone(sealed), 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := secretbox.Open(tt.key, tt.sealed)
			if !errors.Is(err, secretbox.ErrOpen) {
				t.Fatalf("Open = %q, %v; want ErrOpen", got, err)
			}
		})
	}
}

func TestBadKeyLength(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33} {
		if _, err := secretbox.Seal(make([]byte, n), []byte("x")); err == nil {
			t.Errorf("Seal with a %d-byte key succeeded", n)
		}
		if _, err := secretbox.Open(make([]byte, n), make([]byte, 64)); err == nil {
			t.Errorf("Open with a %d-byte key succeeded", n)
		}
	}
}

func TestParseKey(t *testing.T) {
	key := mustKey(t)
	good := map[string]string{
		"hex":             hex.EncodeToString(key),
		"upper hex":       strings.ToUpper(hex.EncodeToString(key)),
		"hex with spaces": "  " + hex.EncodeToString(key) + "\n",
		"std base64":      base64.StdEncoding.EncodeToString(key),
		"url base64":      base64.URLEncoding.EncodeToString(key),
		"raw std base64":  base64.RawStdEncoding.EncodeToString(key),
		"raw url base64":  base64.RawURLEncoding.EncodeToString(key),
	}
	for name, s := range good {
		t.Run(name, func(t *testing.T) {
			got, err := secretbox.ParseKey(s)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, key) {
				t.Fatalf("ParseKey = %x, want %x", got, key)
			}
		})
	}
	bad := map[string]string{
		"empty":          "",
		"short hex":      hex.EncodeToString(key[:31]),
		"long hex":       hex.EncodeToString(append(bytes.Clone(key), 1)),
		"not hex":        strings.Repeat("zz", 32),
		"short base64":   base64.StdEncoding.EncodeToString(key[:16]),
		"garbage":        "correct horse battery staple",
		"base64 of 33 B": base64.StdEncoding.EncodeToString(append(bytes.Clone(key), 1)),
	}
	for name, s := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := secretbox.ParseKey(s)
			if err == nil {
				t.Fatal("ParseKey succeeded")
			}
			if s != "" && strings.Contains(err.Error(), s) {
				t.Errorf("error %q repeats the secret input", err)
			}
		})
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "master.key")
	key, err := secretbox.LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(key) != secretbox.KeySize {
		t.Fatalf("key is %d bytes", len(key))
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("key file mode = %04o, want 0600", perm)
		}
		dir, err := os.Stat(filepath.Dir(path))
		if err != nil {
			t.Fatal(err)
		}
		if perm := dir.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("created directory mode = %04o, want no group/other bits", perm)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(b)); got != hex.EncodeToString(key) {
		t.Errorf("file holds %q, want the hex key", got)
	}
	again, err := secretbox.LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, key) {
		t.Error("second load returned a different key")
	}
}

func TestLoadKeyFileWrittenByOperator(t *testing.T) {
	key := mustKey(t)
	path := filepath.Join(t.TempDir(), "master.key")
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := secretbox.LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, key) {
		t.Error("loaded a different key")
	}
}

func TestLoadOrCreateKeyFileRefusesReadableFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no unix permissions")
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660, 0o602} {
		path := filepath.Join(t.TempDir(), "master.key")
		if err := os.WriteFile(path, []byte(hex.EncodeToString(mustKey(t))), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := secretbox.LoadOrCreateKeyFile(path)
		if err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("mode %04o: err = %v, want one saying to chmod 600", mode, err)
		}
	}
}

func TestLoadOrCreateKeyFileRefusesCorruptFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	if err := os.WriteFile(path, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := secretbox.LoadOrCreateKeyFile(path); err == nil {
		t.Fatal("a corrupt key file was accepted")
	}
	if b, _ := os.ReadFile(path); string(b) != "not a key\n" {
		t.Error("the corrupt key file was overwritten")
	}
}

func TestLoadOrCreateKeyFileRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	const n = 8
	keys := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], errs[i] = secretbox.LoadOrCreateKeyFile(path) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("caller %d got a different key", i)
		}
	}
}
