package privacy

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func testMaster(seed byte) []byte {
	m := make([]byte, KeySize)
	for i := range m {
		m[i] = seed + byte(i)
	}
	return m
}

func testKeys(t testing.TB, seed byte) *Keys {
	t.Helper()
	k, err := NewKeys(testMaster(seed))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestNewKeysLength(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := NewKeys(make([]byte, n)); err == nil {
			t.Errorf("NewKeys(%d bytes) succeeded, want error", n)
		}
	}
	if _, err := NewKeys(make([]byte, 32)); err != nil {
		t.Errorf("NewKeys(32 bytes): %v", err)
	}
}

// The golden values were checked against an independent Python
// implementation (RFC 5869 HKDF + HMAC / AES-GCM). If this test fails, stored
// data written by earlier builds can no longer be read or searched.
func TestGoldenFormat(t *testing.T) {
	k := testKeys(t, 0)
	if got, want := k.BlindIndex(KindPhone, "13812345678"), "61e9008fe6d6f0ae9867b6b1ea1e819f"; got != want {
		t.Errorf("BlindIndex phone = %s, want %s", got, want)
	}
	if got, want := k.BlindIndex(KindIDNo, "11010519491231002X"), "f06f96f52556c386087ca2720c1157b6"; got != want {
		t.Errorf("BlindIndex idno = %s, want %s", got, want)
	}
	got, err := k.Open("v1.VRMqOKfZsYKxwL0u8qIn76_YQO4GfHcfZimHfNR77dSYpg", "people.name:1")
	if err != nil || got != "张三" {
		t.Errorf("Open golden = %q, %v; want 张三", got, err)
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	k := testKeys(t, 1)
	for _, pt := range []string{"x", "张三", "13812345678", "11010519491231002X", strings.Repeat("长", 1000), "\x00\xff"} {
		sealed, err := k.Seal(pt, "people.name:7")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(sealed, "v1.") {
			t.Errorf("sealed %q lacks v1. prefix", sealed)
		}
		// Short plaintexts can occur in base64 text by chance.
		if len(pt) >= 8 && strings.Contains(sealed, pt) {
			t.Errorf("sealed text contains plaintext %q", pt)
		}
		raw, err := base64.RawURLEncoding.DecodeString(sealed[3:])
		if err != nil {
			t.Fatalf("payload is not raw base64url: %v", err)
		}
		if len(raw) != 12+len(pt)+16 {
			t.Errorf("payload length %d, want nonce+ciphertext+tag = %d", len(raw), 12+len(pt)+16)
		}
		got, err := k.Open(sealed, "people.name:7")
		if err != nil || got != pt {
			t.Errorf("Open = %q, %v; want %q", got, err, pt)
		}
	}
}

func TestSealEmpty(t *testing.T) {
	k := testKeys(t, 1)
	s, err := k.Seal("", "people.phone:1")
	if err != nil || s != "" {
		t.Errorf("Seal(\"\") = %q, %v; want \"\"", s, err)
	}
	p, err := k.Open("", "people.phone:1")
	if err != nil || p != "" {
		t.Errorf("Open(\"\") = %q, %v; want \"\"", p, err)
	}
}

func TestSealRandomized(t *testing.T) {
	k := testKeys(t, 1)
	seen := map[string]bool{}
	for range 50 {
		s, err := k.Seal("13812345678", "people.phone:1")
		if err != nil {
			t.Fatal(err)
		}
		if seen[s] {
			t.Fatal("Seal produced the same ciphertext twice")
		}
		seen[s] = true
	}
}

func TestOpenFailures(t *testing.T) {
	k := testKeys(t, 1)
	other := testKeys(t, 2)
	sealed, err := k.Seal("13812345678", "people.phone:1")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(sealed[3:])

	flipped := func(i int) string {
		b := bytes.Clone(raw)
		b[i] ^= 0x01
		return "v1." + base64.RawURLEncoding.EncodeToString(b)
	}

	cases := []struct {
		name, sealed, aad string
		k                 *Keys
	}{
		{"wrong row", sealed, "people.phone:2", k},
		{"wrong column", sealed, "people.idno:1", k},
		{"empty aad", sealed, "", k},
		{"wrong key", sealed, "people.phone:1", other},
		{"flip nonce byte", flipped(0), "people.phone:1", k},
		{"flip ciphertext byte", flipped(12), "people.phone:1", k},
		{"flip tag byte", flipped(len(raw) - 1), "people.phone:1", k},
		{"truncated", sealed[:len(sealed)-2], "people.phone:1", k},
		{"extra char", sealed + "A", "people.phone:1", k},
		{"no prefix", sealed[3:], "people.phone:1", k},
		{"future version", "v2." + sealed[3:], "people.phone:1", k},
		{"newline inside", sealed[:10] + "\n" + sealed[10:], "people.phone:1", k},
		{"std alphabet padding", "v1." + base64.StdEncoding.EncodeToString(raw) + "=", "people.phone:1", k},
		{"prefix only", "v1.", "people.phone:1", k},
		{"short", "v1.AAAA", "people.phone:1", k},
		{"plaintext", "13812345678", "people.phone:1", k},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.k.Open(c.sealed, c.aad)
			if !errors.Is(err, ErrDecrypt) {
				t.Errorf("Open = %q, %v; want ErrDecrypt", got, err)
			}
			if got != "" {
				t.Errorf("Open returned plaintext %q on failure", got)
			}
		})
	}
}

func TestBlindIndex(t *testing.T) {
	k := testKeys(t, 1)
	a := k.BlindIndex(KindPhone, "13812345678")
	if len(a) != 32 || strings.Trim(a, "0123456789abcdef") != "" {
		t.Errorf("index %q is not 32 lowercase hex chars", a)
	}
	if b := k.BlindIndex(KindPhone, "13812345678"); a != b {
		t.Errorf("index not stable: %s vs %s", a, b)
	}
	if b := testKeys(t, 1).BlindIndex(KindPhone, "13812345678"); a != b {
		t.Errorf("index differs between Keys from the same master")
	}
	if b := k.BlindIndex(KindIDNo, "13812345678"); a == b {
		t.Errorf("phone and idno kinds collide")
	}
	if b := k.BlindIndex(KindPhone, "13812345679"); a == b {
		t.Errorf("different numbers collide")
	}
	if b := testKeys(t, 2).BlindIndex(KindPhone, "13812345678"); a == b {
		t.Errorf("index does not depend on the key")
	}
	if got := k.BlindIndex(KindPhone, ""); got != "" {
		t.Errorf("BlindIndex of empty = %q, want \"\"", got)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("BlindIndex with ':' in kind did not panic")
			}
		}()
		k.BlindIndex("a:b", "c")
	}()
}

func TestKeysDoNotPrint(t *testing.T) {
	k := testKeys(t, 1)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(verb, k); !strings.Contains(out, "redacted") {
			t.Errorf("%s printed %q", verb, out)
		}
	}
}

func TestLoadOrCreate(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "secrets", "civicgrid.key")

	k1, created, err := LoadOrCreate("", keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if !created {
		t.Error("first call: created = false, want true")
	}
	fi, err := os.Stat(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("key file mode %o, want 600", perm)
		}
		di, _ := os.Stat(filepath.Dir(keyFile))
		if perm := di.Mode().Perm(); perm != 0o700 {
			t.Errorf("key dir mode %o, want 700", perm)
		}
	}
	text, _ := os.ReadFile(keyFile)
	if !strings.HasSuffix(string(text), "\n") {
		t.Errorf("key file lacks trailing newline")
	}
	if m, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(text))); err != nil || len(m) != 32 {
		t.Errorf("key file is not std base64 of 32 bytes: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(keyFile))
	if len(entries) != 1 {
		t.Errorf("key dir has %d entries, want only the key file", len(entries))
	}

	k2, created, err := LoadOrCreate("", keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if created {
		t.Error("second call: created = true, want false")
	}
	sealed, _ := k1.Seal("13812345678", "a")
	if got, err := k2.Open(sealed, "a"); err != nil || got != "13812345678" {
		t.Errorf("reloaded key cannot open: %q, %v", got, err)
	}
	if k1.BlindIndex(KindPhone, "13812345678") != k2.BlindIndex(KindPhone, "13812345678") {
		t.Error("reloaded key gives a different blind index")
	}
}

func TestLoadOrCreateEnvOverridesFile(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "civicgrid.key")
	if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(testMaster(1))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	want := testKeys(t, 9).BlindIndex(KindPhone, "13812345678")
	encodings := map[string]*base64.Encoding{
		"std": base64.StdEncoding, "rawstd": base64.RawStdEncoding,
		"url": base64.URLEncoding, "rawurl": base64.RawURLEncoding,
	}
	for name, enc := range encodings {
		k, created, err := LoadOrCreate(enc.EncodeToString(testMaster(9)), keyFile)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if created {
			t.Errorf("%s: created = true with env key", name)
		}
		if got := k.BlindIndex(KindPhone, "13812345678"); got != want {
			t.Errorf("%s: env key not used", name)
		}
	}

	// The env key must win even when no key file exists, and must not create one.
	missing := filepath.Join(dir, "none", "civicgrid.key")
	if _, _, err := LoadOrCreate(base64.StdEncoding.EncodeToString(testMaster(9)), missing); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("env key caused key file creation (stat err %v)", err)
	}
}

func TestLoadOrCreateErrors(t *testing.T) {
	dir := t.TempDir()
	short := base64.StdEncoding.EncodeToString(make([]byte, 16))

	envCases := map[string]string{
		"not base64": "not-a-key!!",
		"short key":  short,
		"blank":      "  ",
	}
	for name, env := range envCases {
		_, _, err := LoadOrCreate(env, filepath.Join(dir, "unused.key"))
		if err == nil || !strings.Contains(err.Error(), EnvVar) {
			t.Errorf("env %s: err = %v, want error naming %s", name, err, EnvVar)
		}
	}

	fileCases := map[string]string{
		"not base64": "this is not a key\n",
		"short key":  short + "\n",
		"empty file": "",
	}
	for name, content := range fileCases {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".key")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, created, err := LoadOrCreate("", path)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("file %s: err = %v, want error naming the file", name, err)
		}
		if created {
			t.Errorf("file %s: created = true", name)
		}
		if after, _ := os.ReadFile(path); string(after) != content {
			t.Errorf("file %s: malformed key file was modified", name)
		}
	}

	if _, _, err := LoadOrCreate("", ""); err == nil {
		t.Error("no env and no path: want error")
	}

	// A directory where the key file should be is an error, not a new key.
	asDir := filepath.Join(dir, "isdir.key")
	if err := os.Mkdir(asDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreate("", asDir); err == nil {
		t.Error("key path is a directory: want error")
	}
}

func TestLoadOrCreateExistingWinsRace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "civicgrid.key")
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(testMaster(3))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Simulates losing the creation race: the publish step must adopt the
	// existing key instead of overwriting it.
	k, created, err := createKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if created {
		t.Error("created = true although a key file already existed")
	}
	if k.BlindIndex(KindPhone, "1") != testKeys(t, 3).BlindIndex(KindPhone, "1") {
		t.Error("existing key was not adopted")
	}
	if text, _ := os.ReadFile(path); strings.TrimSpace(string(text)) != base64.StdEncoding.EncodeToString(testMaster(3)) {
		t.Error("existing key file was overwritten")
	}
}
