package privacy

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// EnvVar is the environment variable callers read and pass to LoadOrCreate.
const EnvVar = "CIVICGRID_KEY"

// LoadOrCreate returns the deployment's keys.
//
// If envValue (the caller passes os.Getenv(EnvVar)) is non-empty it is the
// base64 master key and keyFile is not consulted. Otherwise keyFile holds the
// key as base64 text; if it does not exist a fresh random key is written there
// with mode 0600 and created is true so the caller can tell the operator where
// the key lives and that it must be backed up.
//
// A malformed env value or key file is an error naming its source and is never
// replaced: generating a new key would make every stored value unreadable.
func LoadOrCreate(envValue, keyFile string) (k *Keys, created bool, err error) {
	// Any non-empty value counts as set, even blank space: falling back to the
	// key file would quietly use a different key from the one the operator
	// meant to configure.
	if envValue != "" {
		k, err := keysFromText(envValue)
		if err != nil {
			return nil, false, fmt.Errorf("privacy: key from environment variable %s: %w", EnvVar, err)
		}
		return k, false, nil
	}
	if keyFile == "" {
		return nil, false, fmt.Errorf("privacy: no key: %s is empty and no key file path was given", EnvVar)
	}
	k, err = loadKeyFile(keyFile)
	if err == nil {
		return k, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	return createKeyFile(keyFile)
}

func loadKeyFile(path string) (*Keys, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("privacy: read key file %s: %w", path, err)
	}
	k, err := keysFromText(string(data))
	if err != nil {
		return nil, fmt.Errorf("privacy: key file %s: %w", path, err)
	}
	return k, nil
}

func createKeyFile(path string) (*Keys, bool, error) {
	master := make([]byte, KeySize)
	if _, err := rand.Read(master); err != nil {
		return nil, false, fmt.Errorf("privacy: generate key: %w", err)
	}
	k, err := NewKeys(master)
	if err != nil {
		return nil, false, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("privacy: create key directory %s: %w", dir, err)
	}
	text := []byte(base64.StdEncoding.EncodeToString(master) + "\n")

	won, err := publishKeyFile(path, dir, text)
	if err != nil {
		return nil, false, fmt.Errorf("privacy: write key file %s: %w", path, err)
	}
	if !won {
		// Another process created the key between our read and our write;
		// two keys must never exist, so adopt theirs.
		k, err := loadKeyFile(path)
		return k, false, err
	}
	syncDir(dir)
	return k, true, nil
}

// publishKeyFile makes the key appear at path complete or not at all, and
// never overwrites an existing file. Writing a temp file and hard-linking it
// means a concurrent reader cannot see a half-written key and call it
// malformed. won is false if path already existed.
func publishKeyFile(path, dir string, text []byte) (won bool, err error) {
	tmp, err := os.CreateTemp(dir, ".civicgrid-key-*")
	if err != nil {
		return false, err
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)
	// CreateTemp already uses 0600; the explicit chmod documents and enforces
	// it regardless of platform defaults.
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return false, err
	}
	if _, err := tmp.Write(text); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Close(); err != nil {
		return false, err
	}
	err = os.Link(tmpName, path)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	// Some filesystems (certain container volumes, FAT) lack hard links;
	// an exclusive create still guarantees we never clobber a key.
	return writeExclusive(path, text)
}

func writeExclusive(path string, text []byte) (bool, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if _, err := f.Write(text); err != nil {
		f.Close()
		os.Remove(path)
		return false, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return false, err
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return false, err
	}
	return true, nil
}

// syncDir is best effort: losing the directory entry in a crash right after
// first start would lose the key, but not every platform can fsync a directory.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

func keysFromText(s string) (*Keys, error) {
	master, err := decodeKey(s)
	if err != nil {
		return nil, err
	}
	return NewKeys(master)
}

// decodeKey accepts standard and URL-safe base64, padded or not, because
// operators generate keys with whatever tool is at hand (openssl rand -base64,
// Go's RawURLEncoding, ...). The length check still rejects anything that is
// not exactly 32 bytes.
func decodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("empty key")
	}
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding,
		base64.URLEncoding, base64.RawURLEncoding,
	} {
		b, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(b) != KeySize {
			return nil, fmt.Errorf("key must decode to %d bytes, got %d", KeySize, len(b))
		}
		return b, nil
	}
	return nil, fmt.Errorf("key is not valid base64 (expected %d bytes, standard or URL-safe alphabet)", KeySize)
}
