package secretbox

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// keyFileWait bounds how long LoadOrCreateKeyFile waits for a key file that
// another process has just created but not yet written.
const keyFileWait = 2 * time.Second

// LoadOrCreateKeyFile returns the key kept in the file at path (hex, as it
// writes it; ParseKey's other forms are accepted too). When the file does not
// exist it creates it, and its directory (0700) if needed, holding a fresh
// random key, with mode 0600.
//
// Creation is exclusive (O_EXCL), so processes starting together agree on
// one key: the ones that lose the race read the winner's. It refuses an
// existing key file that its group or others can read or write.
func LoadOrCreateKeyFile(path string) ([]byte, error) {
	key, err := readKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("secretbox: key file directory: %w", err)
	}
	key, err = NewKey()
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readKeyFile(path) // another process won the race
	}
	if err != nil {
		return nil, fmt.Errorf("secretbox: create key file: %w", err)
	}
	_, err = f.WriteString(hex.EncodeToString(key) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		// Leave no empty or partial file behind to be mistaken for a key.
		_ = os.Remove(path)
		return nil, fmt.Errorf("secretbox: write key file: %w", err)
	}
	return key, nil
}

// readKeyFile reads and parses an existing key file. A file that exists but
// is still empty is being written by the process that created it; it waits a
// little for the key to appear.
func readKeyFile(path string) ([]byte, error) {
	deadline := time.Now().Add(keyFileWait)
	for {
		info, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("secretbox: key file: %w", err)
		}
		if err := checkPrivate(path, info); err != nil {
			return nil, err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("secretbox: read key file: %w", err)
		}
		if len(b) == 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		key, err := ParseKey(string(b))
		if err != nil {
			return nil, fmt.Errorf("secretbox: key file %s: %w", path, err)
		}
		return key, nil
	}
}

// checkPrivate refuses a key file that anyone but its owner may read or
// write. Windows has no such mode bits; there the check is skipped.
func checkPrivate(path string, info fs.FileInfo) error {
	if !info.Mode().IsRegular() {
		return fmt.Errorf("secretbox: key file %s is not a regular file", path)
	}
	if runtime.GOOS == "windows" {
		return nil
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("secretbox: key file %s has mode %04o, so others may read it; run: chmod 600 %s",
			path, perm, path)
	}
	return nil
}
