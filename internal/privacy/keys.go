// Package privacy owns field encryption, keyed lookup hashes and masking of personal data.
package privacy

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length in bytes of the master key.
const KeySize = 32

// Kinds of value that get a blind index. The kind is hashed together with the
// value so that a phone number and an ID number that happen to be the same
// string never share an index entry.
const (
	KindPhone = "phone"
	KindIDNo  = "idno"
)

// The info strings are part of the on-disk format: changing either one
// silently makes every stored ciphertext or index entry unreadable.
const (
	infoEncryption = "civicgrid field encryption v1"
	infoBlindIndex = "civicgrid blind index v1"
)

// sealedPrefix versions the ciphertext text so that a future algorithm or key
// scheme can coexist with rows written today.
const sealedPrefix = "v1."

// blindIndexHexLen keeps 128 bits of the HMAC: plenty against collisions for
// any realistic population while keeping index columns short.
const blindIndexHexLen = 32

// ErrDecrypt is returned for every failure to open a sealed value. Callers get
// no detail about why, because distinguishing "wrong key" from "tampered"
// from "moved to another row" helps an attacker more than an operator.
var ErrDecrypt = errors.New("privacy: cannot decrypt field (wrong key, wrong field binding or corrupted value)")

// Keys holds the two subkeys derived from one 32-byte master key with
// HKDF-SHA256: one for AES-256-GCM field encryption and one for the HMAC
// blind index. Separate subkeys mean the index key can never be used to
// decrypt and vice versa. A Keys is safe for concurrent use.
type Keys struct {
	aead     cipher.AEAD
	indexKey []byte
}

// NewKeys derives the subkeys from master, which must be exactly 32 bytes.
func NewKeys(master []byte) (*Keys, error) {
	if len(master) != KeySize {
		return nil, fmt.Errorf("privacy: master key must be %d bytes, got %d", KeySize, len(master))
	}
	encKey, err := hkdf.Key(sha256.New, master, nil, infoEncryption, 32)
	if err != nil {
		return nil, fmt.Errorf("privacy: derive encryption key: %w", err)
	}
	indexKey, err := hkdf.Key(sha256.New, master, nil, infoBlindIndex, 32)
	if err != nil {
		return nil, fmt.Errorf("privacy: derive index key: %w", err)
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, fmt.Errorf("privacy: %w", err)
	}
	// The random-nonce GCM wrapper generates and prepends the 96-bit nonce
	// itself, so no caller can ever reuse a nonce by mistake.
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("privacy: %w", err)
	}
	return &Keys{aead: aead, indexKey: indexKey}, nil
}

// String keeps key material out of logs: fmt would otherwise print the
// unexported fields of a Keys passed to %v by accident.
func (k *Keys) String() string { return "privacy.Keys{redacted}" }

// GoString covers %#v for the same reason as String.
func (k *Keys) GoString() string { return k.String() }

// Seal encrypts plaintext with AES-256-GCM under a random nonce. aad binds the
// ciphertext to where it is stored (for example "people.phone:42") so a value
// copied into another row or column fails to open. The result is
// "v1." + base64url(nonce||ciphertext||tag). An empty plaintext seals to ""
// so that absent values stay absent rather than becoming ciphertexts of "".
func (k *Keys) Seal(plaintext, aad string) (string, error) {
	if k == nil || k.aead == nil {
		return "", errors.New("privacy: Seal on nil Keys")
	}
	if plaintext == "" {
		return "", nil
	}
	out := k.aead.Seal(nil, nil, []byte(plaintext), []byte(aad))
	return sealedPrefix + base64.RawURLEncoding.EncodeToString(out), nil
}

// Open reverses Seal. "" opens to "". Any other failure, including a value
// sealed with a different key or aad, is ErrDecrypt.
func (k *Keys) Open(sealed, aad string) (string, error) {
	if k == nil || k.aead == nil {
		return "", errors.New("privacy: Open on nil Keys")
	}
	if sealed == "" {
		return "", nil
	}
	payload, ok := strings.CutPrefix(sealed, sealedPrefix)
	// The base64 decoder skips CR and LF even in strict mode; rejecting them
	// keeps exactly one accepted spelling per ciphertext.
	if !ok || strings.ContainsAny(payload, "\r\n") {
		return "", ErrDecrypt
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(payload)
	if err != nil {
		return "", ErrDecrypt
	}
	plain, err := k.aead.Open(nil, nil, raw, []byte(aad))
	if err != nil {
		return "", ErrDecrypt
	}
	return string(plain), nil
}

// BlindIndex returns a keyed hash of an already normalised value, for exact
// match lookups without storing the value in clear. Without the key the index
// cannot be brute-forced over the small space of phone or ID numbers, which a
// plain hash could. "" gives "" so absent values never match each other.
// kind must be one of the Kind constants (or another fixed word without ':').
func (k *Keys) BlindIndex(kind, normalized string) string {
	if normalized == "" {
		return ""
	}
	// A ':' in kind would make "a:b"+"c" and "a"+"b:c" hash the same input.
	if kind == "" || strings.Contains(kind, ":") {
		panic("privacy: BlindIndex kind must be a non-empty word without ':'")
	}
	mac := hmac.New(sha256.New, k.indexKey)
	mac.Write([]byte(kind))
	mac.Write([]byte{':'})
	mac.Write([]byte(normalized))
	return hex.EncodeToString(mac.Sum(nil))[:blindIndexHexLen]
}
