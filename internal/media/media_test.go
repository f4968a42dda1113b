package media

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func newStore(t testing.TB, lim Limits) *Store {
	t.Helper()
	s, err := NewStore(filepath.Join(t.TempDir(), "photos"), lim)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustSave(t testing.TB, s *Store, b []byte) Photo {
	t.Helper()
	p, err := s.Save(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("Save: %v", err)
	}
	return p
}

// readStored opens id and checks that the record matches the bytes.
func readStored(t testing.TB, s *Store, id string) ([]byte, Photo) {
	t.Helper()
	f, p, err := s.Open(id)
	if err != nil {
		t.Fatalf("Open(%s): %v", id, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:])[:32]; got != id || p.ID != id {
		t.Fatalf("id %s: content hash %s, record id %s", id, got, p.ID)
	}
	if int64(len(b)) != p.Bytes {
		t.Fatalf("record says %d bytes, file has %d", p.Bytes, len(b))
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("stored file does not decode: %v", err)
	}
	if cfg.Width != p.Width || cfg.Height != p.Height {
		t.Fatalf("record %dx%d, file %dx%d", p.Width, p.Height, cfg.Width, cfg.Height)
	}
	return b, p
}

func wantCode(t testing.TB, err error, code string) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want *Error %s, got %v", code, err)
	}
	if e.Code != code {
		t.Fatalf("want code %s, got %s (%v)", code, e.Code, err)
	}
	if e.Msg == "" || e.MsgEN == "" {
		t.Fatalf("error %s lacks a message: %+v", code, e)
	}
	if !IsCode(err, code) || !errors.Is(err, &Error{Code: code}) {
		t.Fatalf("IsCode / errors.Is do not match %s", code)
	}
	return e
}

func assertNothingWritten(t testing.TB, s *Store) {
	t.Helper()
	if files := storeFiles(t, s.dir); len(files) != 0 {
		t.Fatalf("rejected upload left files: %v", files)
	}
}

func TestNewStoreCreatesPrivateDirs(t *testing.T) {
	s := newStore(t, Limits{})
	if s.Limits() != DefaultLimits {
		t.Fatalf("zero limits should become defaults, got %+v", s.Limits())
	}
	for _, d := range []string{"", blobsDir, metaDir, tmpDir} {
		fi, err := os.Stat(filepath.Join(s.dir, d))
		if err != nil {
			t.Fatal(err)
		}
		if !fi.IsDir() || fi.Mode().Perm() != 0o700 {
			t.Fatalf("%q: mode %v, want dir 0700", d, fi.Mode())
		}
	}
	if _, err := NewStore(t.TempDir(), Limits{MaxBytes: -1}); err == nil {
		t.Fatal("negative limit accepted")
	}
	if _, err := NewStore("", DefaultLimits); err == nil {
		t.Fatal("empty dir accepted")
	}
}

// The main privacy test: a phone photo with EXIF GPS, XMP, a comment and
// trailing bytes, rotated by EXIF orientation 6.
func TestSaveStripsEXIFAndGPSAndHonoursOrientation(t *testing.T) {
	s := newStore(t, DefaultLimits)
	src := withMetadata(encJPEG(t, quadrantImage(40, 20), 95), 6)
	// Sanity: the upload really carries what we want removed.
	for _, m := range []string{"Exif", "CivicPhone", "http://ns.adobe.com"} {
		if !bytes.Contains(src, []byte(m)) {
			t.Fatalf("test input lacks %q", m)
		}
	}
	if !bytes.Contains(src, gpsLat) {
		t.Fatal("test input lacks GPS latitude")
	}
	if o := jpegOrientation(src); o != 6 {
		t.Fatalf("parser reads orientation %d from the test input, want 6", o)
	}

	p := mustSave(t, s, src)
	if p.Type != "image/jpeg" || p.Width != 20 || p.Height != 40 {
		t.Fatalf("got %+v, want image/jpeg 20x40 (40x20 rotated by orientation 6)", p)
	}
	b, _ := readStored(t, s, p.ID)
	assertNoMetadata(t, b)
	if bytes.Contains(b, []byte{0xFF, 0xE1}) {
		t.Error("stored file contains an APP1 marker byte pair")
	}
	// Also check the file on disk via Path.
	path, err := s.Path(p.ID)
	if err != nil {
		t.Fatal(err)
	}
	onDisk, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(onDisk, b) {
		t.Fatalf("Path: %v", err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("stored file mode %v, want 0600", fi.Mode().Perm())
	}

	// Rotation 90° clockwise: the red top-left quadrant is now top-right.
	m, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	isRed := func(x, y int) bool {
		r, g, bl, _ := m.At(x, y).RGBA()
		return r>>8 > 180 && g>>8 < 90 && bl>>8 < 90
	}
	isBlue := func(x, y int) bool {
		r, g, bl, _ := m.At(x, y).RGBA()
		return bl>>8 > 180 && r>>8 < 90 && g>>8 < 90
	}
	if !isRed(15, 5) || !isBlue(5, 5) || !isBlue(15, 30) || !isBlue(5, 30) {
		t.Errorf("pixels not rotated clockwise: TR=%v TL=%v BR=%v BL=%v",
			m.At(15, 5), m.At(5, 5), m.At(15, 30), m.At(5, 30))
	}

	// Thumbnail: present, JPEG, within ThumbSide, also clean.
	if p.ThumbID == "" || p.ThumbID == p.ID {
		t.Fatalf("bad thumb id %q", p.ThumbID)
	}
	tb, tp := readStored(t, s, p.ThumbID)
	if tp.Type != "image/jpeg" || tp.Width > DefaultLimits.ThumbSide || tp.Height > DefaultLimits.ThumbSide {
		t.Fatalf("thumb %+v", tp)
	}
	if tp.Width != 20 || tp.Height != 40 {
		t.Fatalf("thumb of a small photo should keep its size, got %dx%d", tp.Width, tp.Height)
	}
	assertNoMetadata(t, tb)
	if files := storeFiles(t, filepath.Join(s.dir, tmpDir)); len(files) != 0 {
		t.Fatalf("temp files left: %v", files)
	}
}

func TestSaveAllOrientations(t *testing.T) {
	s := newStore(t, DefaultLimits)
	for o := 1; o <= 8; o++ {
		p := mustSave(t, s, withMetadata(encJPEG(t, quadrantImage(40, 20), 95), o))
		w, h := 40, 20
		if o >= 5 {
			w, h = 20, 40
		}
		if p.Width != w || p.Height != h {
			t.Errorf("orientation %d: %dx%d, want %dx%d", o, p.Width, p.Height, w, h)
		}
	}
}

func TestSaveDownscalesAndThumbnails(t *testing.T) {
	lim := Limits{MaxBytes: 10 << 20, MaxPixels: 40_000_000, MaxSide: 500, ThumbSide: 100}
	s := newStore(t, lim)
	p := mustSave(t, s, encJPEG(t, photoImage(1000, 600), 90))
	if p.Width != 500 || p.Height != 300 {
		t.Fatalf("stored %dx%d, want 500x300", p.Width, p.Height)
	}
	_, tp := readStored(t, s, p.ThumbID)
	if tp.Width != 100 || tp.Height != 60 {
		t.Fatalf("thumb %dx%d, want 100x60", tp.Width, tp.Height)
	}
	// Portrait + orientation 8: stored longest side is still MaxSide.
	p = mustSave(t, s, withMetadata(encJPEG(t, photoImage(1200, 800), 90), 8))
	if p.Width != 333 || p.Height != 500 {
		t.Fatalf("rotated stored %dx%d, want 333x500", p.Width, p.Height)
	}
	_, tp = readStored(t, s, p.ThumbID)
	if tp.Width != 67 || tp.Height != 100 {
		t.Fatalf("rotated thumb %dx%d, want 67x100", tp.Width, tp.Height)
	}
}

func TestSavePNGStaysPNGWithoutMetadata(t *testing.T) {
	s := newStore(t, DefaultLimits)
	m := image.NewNRGBA(image.Rect(0, 0, 64, 48))
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			m.SetNRGBA(x, y, color.NRGBA{uint8(x * 4), uint8(y * 5), 99, uint8(255 - x)})
		}
	}
	src := withPNGChunks(encPNG(t, m),
		pngChunk("eXIf", tiffBlock(6, true)),
		pngChunk("tEXt", []byte("Comment\x00GPS 31.2294N")),
		pngChunk("iTXt", []byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00"+xmpPacket)),
	)
	if _, err := png.Decode(bytes.NewReader(src)); err != nil {
		t.Fatalf("test PNG invalid: %v", err)
	}
	p := mustSave(t, s, src)
	if p.Type != "image/png" || p.Width != 48 || p.Height != 64 {
		t.Fatalf("got %+v, want image/png 48x64 (eXIf orientation 6)", p)
	}
	b, _ := readStored(t, s, p.ID)
	assertNoMetadata(t, b)
	out, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	// Alpha survives (PNG keeps transparency); source (0,47) bottom-left has
	// alpha 255, and after rotating clockwise it is the top-left pixel.
	if _, _, _, a := out.At(0, 0).RGBA(); a>>8 != 255 {
		t.Errorf("top-left alpha %d, want 255", a>>8)
	}
	// Source (63,47) has alpha 192 → bottom-left after rotation.
	if _, _, _, a := out.At(0, 63).RGBA(); a>>8 != 192 {
		t.Errorf("bottom-left alpha %d, want 192", a>>8)
	}
	tb, tp := readStored(t, s, p.ThumbID)
	if tp.Type != "image/jpeg" {
		t.Fatalf("thumb type %s", tp.Type)
	}
	assertNoMetadata(t, tb)
}

func TestSaveWebPBecomesJPEG(t *testing.T) {
	s := newStore(t, DefaultLimits)
	for _, name := range []string{"blue-purple-pink.lossy.webp", "gopher-doc.1bpp.lossless.webp", "yellow_rose.lossy-with-alpha.webp"} {
		t.Run(name, func(t *testing.T) {
			src := readTestdata(t, name)
			p := mustSave(t, s, src)
			if p.Type != "image/jpeg" {
				t.Fatalf("type %s", p.Type)
			}
			b, _ := readStored(t, s, p.ID)
			assertNoMetadata(t, b)
		})
	}

	// Transparent areas become white, not black.
	b, _ := readStored(t, s, mustSave(t, s, readTestdata(t, "yellow_rose.lossy-with-alpha.webp")).ID)
	m, _ := jpeg.Decode(bytes.NewReader(b))
	if r, g, bl, _ := m.At(0, 0).RGBA(); r>>8 < 230 || g>>8 < 230 || bl>>8 < 230 {
		t.Errorf("transparent corner is %v, want white", m.At(0, 0))
	}

	// Extended WebP with EXIF (orientation 6 + GPS) and XMP chunks.
	lossy := readTestdata(t, "blue-purple-pink.lossy.webp")
	cfg, _, err := image.DecodeConfig(bytes.NewReader(lossy))
	if err != nil {
		t.Fatal(err)
	}
	ext := riff(vp8x(0x08|0x04, cfg.Width, cfg.Height), firstChunk(t, lossy),
		riffChunk("EXIF", tiffBlock(6, false)), riffChunk("XMP ", []byte(xmpPacket)))
	p := mustSave(t, s, ext)
	if p.Width != cfg.Height || p.Height != cfg.Width {
		t.Fatalf("webp orientation 6: %dx%d, want %dx%d", p.Width, p.Height, cfg.Height, cfg.Width)
	}
	b, _ = readStored(t, s, p.ID)
	assertNoMetadata(t, b)
}

func TestSaveIdempotent(t *testing.T) {
	s := newStore(t, DefaultLimits)
	src := withMetadata(encJPEG(t, photoImage(300, 200), 90), 3)
	p1 := mustSave(t, s, src)
	files1 := storeFiles(t, s.dir)
	if len(files1) != 4 {
		t.Fatalf("want 2 blobs + 2 records, got %v", files1)
	}
	mt := map[string]time.Time{}
	for _, f := range files1 {
		fi, _ := os.Stat(filepath.Join(s.dir, f))
		mt[f] = fi.ModTime()
	}
	time.Sleep(20 * time.Millisecond)
	p2 := mustSave(t, s, src)
	if p1 != p2 {
		t.Fatalf("second save %+v != first %+v", p2, p1)
	}
	files2 := storeFiles(t, s.dir)
	if strings.Join(files1, ",") != strings.Join(files2, ",") {
		t.Fatalf("files changed: %v → %v", files1, files2)
	}
	for _, f := range files2 {
		fi, _ := os.Stat(filepath.Join(s.dir, f))
		if !fi.ModTime().Equal(mt[f]) {
			t.Errorf("%s rewritten", f)
		}
	}
	// A second store on the same directory agrees.
	s2, err := NewStore(s.dir, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if p3 := mustSave(t, s2, src); p3 != p1 {
		t.Fatalf("other store: %+v", p3)
	}
	if _, p, err := s2.Open(p1.ID); err != nil || p != p1 {
		t.Fatalf("Open: %+v %v", p, err)
	}
}

func TestSaveConcurrentSameImage(t *testing.T) {
	s := newStore(t, DefaultLimits)
	src := encJPEG(t, photoImage(400, 300), 90)
	want := mustSave(t, newStore(t, DefaultLimits), src)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			p, err := s.Save(bytes.NewReader(src))
			if err == nil && p != want {
				err = errors.New("different photo")
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if files := storeFiles(t, s.dir); len(files) != 4 {
		t.Fatalf("files: %v", files)
	}
}

func TestRejectsByContent(t *testing.T) {
	var gifBuf bytes.Buffer
	pal := image.NewPaletted(image.Rect(0, 0, 8, 8), []color.Color{color.Black, color.White})
	if err := gif.Encode(&gifBuf, pal, nil); err != nil {
		t.Fatal(err)
	}
	good := encJPEG(t, photoImage(64, 64), 90)
	animated := riff(vp8x(0x02, 16, 16), riffChunk("ANIM", make([]byte, 6)))

	cases := []struct {
		name, code, msgHas string
		data               []byte
	}{
		{"text renamed .jpg", CodeUnsupportedType, "text", []byte("This is not a photo, whatever photo.jpg says.\nLine two.\n")},
		{"gif", CodeUnsupportedType, "GIF", gifBuf.Bytes()},
		{"heic", CodeUnsupportedType, "HEIC", append([]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), make([]byte, 64)...)},
		{"avif", CodeUnsupportedType, "AVIF", append([]byte("\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1"), make([]byte, 64)...)},
		{"bmp", CodeUnsupportedType, "BMP", append([]byte("BM"), make([]byte, 100)...)},
		{"pdf", CodeUnsupportedType, "PDF", []byte("%PDF-1.7\n%âãÏÓ\n1 0 obj\n")},
		{"binary junk", CodeUnsupportedType, "Unrecognised", []byte{0, 1, 2, 3, 4, 5, 0xFF, 0xFE}},
		{"animated webp", CodeUnsupportedType, "Animated", animated},
		{"truncated jpeg", CodeCorrupt, "damaged", good[:len(good)/2]},
		{"jpeg header only", CodeCorrupt, "damaged", good[:3]},
		{"truncated png", CodeCorrupt, "damaged", encPNG(t, photoImage(32, 32))[:200]},
		{"bad webp", CodeCorrupt, "damaged", riff(riffChunk("VP8 ", []byte("garbage garbage")))},
		{"empty", CodeEmpty, "No photo", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t, DefaultLimits)
			_, err := s.Save(bytes.NewReader(c.data))
			e := wantCode(t, err, c.code)
			if !strings.Contains(e.MsgEN, c.msgHas) {
				t.Errorf("MsgEN %q lacks %q", e.MsgEN, c.msgHas)
			}
			if !strings.ContainsAny(e.Msg, "照片文件格式") {
				t.Errorf("Msg %q does not look Chinese", e.Msg)
			}
			assertNothingWritten(t, s)
		})
	}
}

// infiniteReader yields an endless JPEG-looking stream and counts bytes read.
type infiniteReader struct{ n int64 }

func (r *infiniteReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 0xFF
	}
	if r.n == 0 && len(p) >= 3 {
		p[1] = 0xD8
	}
	r.n += int64(len(p))
	return len(p), nil
}

func TestRejectsOverSizeStream(t *testing.T) {
	lim := DefaultLimits
	lim.MaxBytes = 4096
	s := newStore(t, lim)
	big := encJPEG(t, photoImage(200, 200), 95)
	if len(big) <= 4096 {
		t.Fatalf("test image only %d bytes", len(big))
	}
	e := wantCode(t, func() error { _, err := s.Save(bytes.NewReader(big)); return err }(), CodeTooLarge)
	if !strings.Contains(e.Msg, "4 KB") || !strings.Contains(e.MsgEN, "4 KB") {
		t.Errorf("message does not state the limit: %q / %q", e.Msg, e.MsgEN)
	}
	r := &infiniteReader{}
	_, err := s.Save(r)
	wantCode(t, err, CodeTooLarge)
	if r.n > lim.MaxBytes+1 {
		t.Errorf("read %d bytes from an endless stream, limit is MaxBytes+1 = %d", r.n, lim.MaxBytes+1)
	}
	assertNothingWritten(t, s)

	// Exactly MaxBytes is fine.
	lim.MaxBytes = int64(len(big))
	if _, err := newStore(t, lim).Save(bytes.NewReader(big)); err != nil {
		t.Fatalf("upload of exactly MaxBytes rejected: %v", err)
	}
}

// measure runs f and returns its duration and the bytes it allocated.
func measure(f func()) (time.Duration, uint64) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	f()
	d := time.Since(start)
	runtime.ReadMemStats(&after)
	return d, after.TotalAlloc - before.TotalAlloc
}

func TestRejectsDecompressionBombsBeforeDecoding(t *testing.T) {
	// A JPEG whose SOF claims 60000×60000 (the scan data is for 16×16).
	jpg := encJPEG(t, photoImage(16, 16), 90)
	if i := bytes.Index(jpg, []byte{0xFF, 0xC0}); i < 0 {
		t.Fatal("no SOF0")
	} else {
		jpg[i+5], jpg[i+6], jpg[i+7], jpg[i+8] = 0xEA, 0x60, 0xEA, 0x60
	}
	lossy := readTestdata(t, "blue-purple-pink.lossy.webp")

	cases := []struct {
		name string
		data []byte
	}{
		// The headline case: 10^10 pixels would be 40 GB of RGBA.
		{"png 100000x100000", append(pngHeader(100000, 100000), pngChunk("IEND", nil)...)},
		{"png 100000x100000 with data", append(append(pngHeader(100000, 100000), pngChunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00})...), pngChunk("IEND", nil)...)},
		{"png 2^31x2^31", pngHeader(1<<31-1, 1<<31-1)},
		{"jpeg 60000x60000", jpg},
		{"webp canvas 16384x16384", riff(vp8x(0, 16384, 16384), firstChunk(t, lossy))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t, DefaultLimits)
			var err error
			d, alloc := measure(func() { _, err = s.Save(bytes.NewReader(c.data)) })
			e := wantCode(t, err, CodeTooManyPixels)
			if d > time.Second {
				t.Errorf("took %v; must fail fast", d)
			}
			if alloc > 1<<20 {
				t.Errorf("allocated %d bytes; must not allocate pixel buffers", alloc)
			}
			if !strings.Contains(e.Msg, "4000 万像素") || !strings.Contains(e.MsgEN, "40 megapixels") {
				t.Errorf("messages: %q / %q", e.Msg, e.MsgEN)
			}
			t.Logf("%s rejected in %v, %d bytes allocated", c.name, d, alloc)
			assertNothingWritten(t, s)
		})
	}

	// The limit is inclusive: exactly MaxPixels is accepted.
	lim := DefaultLimits
	lim.MaxPixels = 64 * 48
	if _, err := newStore(t, lim).Save(bytes.NewReader(encJPEG(t, photoImage(64, 48), 90))); err != nil {
		t.Fatalf("image of exactly MaxPixels rejected: %v", err)
	}
	if _, err := newStore(t, lim).Save(bytes.NewReader(encJPEG(t, photoImage(65, 48), 90))); !IsCode(err, CodeTooManyPixels) {
		t.Fatalf("image over MaxPixels: %v", err)
	}
}

func TestOpenAndPathRejectBadIDs(t *testing.T) {
	s := newStore(t, DefaultLimits)
	p := mustSave(t, s, encJPEG(t, photoImage(50, 50), 90))
	// Plant a file outside the store that traversal would reach.
	_ = os.WriteFile(filepath.Join(filepath.Dir(s.dir), "secret"), []byte("x"), 0o600)

	bad := []string{
		"", "..", "../secret", "../../../../etc/passwd", "/etc/passwd",
		strings.ToUpper(p.ID), // upper-case hex
		p.ID[:31], p.ID + "0", // wrong length
		p.ID[:30] + "/.", p.ID[:30] + "..", // separators and dots
		p.ID[:31] + "\x00", p.ID[:31] + "g", p.ID[:31] + " ",
		"..%2f..%2f..%2f..%2f..%2fsecret%2", `..\..\..\..\..\..\secret`,
		strings.Repeat("a", 1000),
	}
	for _, id := range bad {
		if _, _, err := s.Open(id); !IsCode(err, CodeInvalidID) {
			t.Errorf("Open(%q): %v, want invalid_id", id, err)
		}
		if _, err := s.Path(id); !IsCode(err, CodeInvalidID) {
			t.Errorf("Path(%q): %v, want invalid_id", id, err)
		}
	}
	missing := strings.Repeat("0", 32)
	_, _, err := s.Open(missing)
	wantCode(t, err, CodeNotFound)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("not found should match fs.ErrNotExist: %v", err)
	}
	if _, err := s.Path(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Path(missing): %v", err)
	}
	// Valid ids work, for the photo and for its thumbnail.
	for _, id := range []string{p.ID, p.ThumbID} {
		f, _, err := s.Open(id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Seek(0, io.SeekEnd); err != nil {
			t.Fatal(err)
		}
		f.Close()
		path, err := s.Path(id)
		if err != nil || !strings.HasPrefix(path, s.dir+string(filepath.Separator)) {
			t.Fatalf("Path(%s) = %q, %v", id, path, err)
		}
	}
}

func TestSniff(t *testing.T) {
	for _, c := range []struct {
		in        string
		typ, kind string
	}{
		{"\xFF\xD8\xFF\xE0", typeJPEG, ""},
		{"\x89PNG\r\n\x1a\n", typePNG, ""},
		{"RIFF\x00\x00\x00\x00WEBPVP8 ", typeWebP, ""},
		{"RIFF\x00\x00\x00\x00AVI LIST", "", kindUnknown},
		{"GIF89a", "", kindGIF},
		{"\x00\x00\x00\x20ftypmif1", "", kindHEIC},
		{"\x00\x00\x00\x20ftypisom", "", kindUnknown}, // MP4 video
		{"II*\x00", "", kindTIFF},
		{"<html><body>", "", kindText},
		{"照片.jpg 不是照片", "", kindText},
		{"\xFF\xD8", "", kindUnknown},
		{"", "", kindUnknown},
	} {
		typ, kind := sniff([]byte(c.in))
		if typ != c.typ || kind != c.kind {
			t.Errorf("sniff(%q) = %q,%q want %q,%q", c.in, typ, kind, c.typ, c.kind)
		}
	}
}

func TestFit(t *testing.T) {
	for _, c := range [][5]int{
		{3000, 2000, 2048, 2048, 1365},
		{2000, 3000, 2048, 1365, 2048},
		{2048, 2048, 2048, 2048, 2048},
		{100, 50, 2048, 100, 50},
		{10000, 1, 320, 320, 1},
		{1, 10000, 320, 1, 320},
	} {
		if w, h := fit(c[0], c[1], c[2]); w != c[3] || h != c[4] {
			t.Errorf("fit(%d,%d,%d) = %d,%d want %d,%d", c[0], c[1], c[2], w, h, c[3], c[4])
		}
	}
}

// TestApplyOrientation checks every orientation against the EXIF definition
// of where row 0 and column 0 of the stored image are shown, derived
// independently of the implementation's formulas.
func TestApplyOrientation(t *testing.T) {
	const w, h = 3, 2
	src := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			src.SetRGBA(x, y, color.RGBA{uint8(x), uint8(y), 7, 255})
		}
	}
	// For each orientation: is row 0 shown on a side (left/right) rather than
	// top/bottom; is row 0 at the far side (bottom or right); is column 0 at
	// the far side (right or bottom).
	type rule struct{ rowOnSide, rowFar, colFar bool }
	rules := map[int]rule{
		1: {false, false, false}, // row0 top, col0 left
		2: {false, false, true},  // row0 top, col0 right
		3: {false, true, true},   // row0 bottom, col0 right
		4: {false, true, false},  // row0 bottom, col0 left
		5: {true, false, false},  // row0 left, col0 top
		6: {true, true, false},   // row0 right, col0 top
		7: {true, true, true},    // row0 right, col0 bottom
		8: {true, false, true},   // row0 left, col0 bottom
	}
	for o := 1; o <= 8; o++ {
		r := rules[o]
		got := applyOrientation(src, o)
		dw, dh := w, h
		if r.rowOnSide {
			dw, dh = h, w
		}
		if got.Rect.Dx() != dw || got.Rect.Dy() != dh {
			t.Fatalf("orientation %d: size %v", o, got.Rect)
		}
		for sy := 0; sy < h; sy++ {
			for sx := 0; sx < w; sx++ {
				var dx, dy int
				if !r.rowOnSide {
					dx, dy = sx, sy
					if r.colFar {
						dx = w - 1 - sx
					}
					if r.rowFar {
						dy = h - 1 - sy
					}
				} else {
					dx, dy = sy, sx
					if r.rowFar {
						dx = h - 1 - sy
					}
					if r.colFar {
						dy = w - 1 - sx
					}
				}
				if c := got.RGBAAt(dx, dy); c != src.RGBAAt(sx, sy) {
					t.Errorf("orientation %d: src(%d,%d) should be at (%d,%d), found %v", o, sx, sy, dx, dy, c)
				}
			}
		}
	}
	if applyOrientation(src, 0) != src || applyOrientation(src, 9) != src {
		t.Error("invalid orientation should be a no-op")
	}
}

func TestTIFFOrientation(t *testing.T) {
	for o := 1; o <= 8; o++ {
		for _, be := range []bool{false, true} {
			if got, ok := tiffOrientation(tiffBlock(o, be)); !ok || got != o {
				t.Errorf("orientation %d big-endian=%v: got %d %v", o, be, got, ok)
			}
		}
	}
	if _, ok := tiffOrientation(tiffBlock(0, false)); ok {
		t.Error("missing tag reported as present")
	}
	bad := tiffBlock(9, false)
	if _, ok := tiffOrientation(bad); ok {
		t.Error("orientation 9 accepted")
	}
	// Every truncation of a valid block is handled.
	full := tiffBlock(6, true)
	for n := range len(full) {
		o, ok := tiffOrientation(full[:n])
		if ok && (o < 1 || o > 8) {
			t.Fatalf("truncated at %d: %d", n, o)
		}
	}
	// IFD offset pointing past the end, or at itself.
	b := tiffBlock(6, false)
	b[4], b[5], b[6], b[7] = 0xFF, 0xFF, 0xFF, 0xFF
	if _, ok := tiffOrientation(b); ok {
		t.Error("bad IFD offset accepted")
	}
	// Entry count larger than the data.
	b = tiffBlock(0, false)
	b[8], b[9] = 0xFF, 0xFF
	if _, ok := tiffOrientation(b); ok {
		t.Error("oversized IFD accepted")
	}
}

func TestJPEGOrientationSkipsOtherSegments(t *testing.T) {
	base := encJPEG(t, photoImage(8, 8), 90)
	// XMP APP1 first, then EXIF: the EXIF one is found.
	b := append([]byte{0xFF, 0xD8}, segment(0xE1, []byte(xmpPacket))...)
	b = append(b, 0xFF) // a fill byte
	b = append(b, segment(0xE1, append([]byte("Exif\x00\x00"), tiffBlock(8, true)...))...)
	b = append(b, base[2:]...)
	if o := jpegOrientation(b); o != 8 {
		t.Fatalf("got %d want 8", o)
	}
	// EXIF after SOS is not header metadata and is ignored.
	late := append(append([]byte{}, base[:len(base)-2]...), segment(0xE1, append([]byte("Exif\x00\x00"), tiffBlock(6, false)...))...)
	if o := jpegOrientation(late); o != 1 {
		t.Fatalf("late EXIF: got %d want 1", o)
	}
	for _, junk := range [][]byte{nil, {0xFF}, {0xFF, 0xD8}, {0xFF, 0xD8, 0xFF, 0xE1, 0x00}, {0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 'E'}, {0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01}} {
		if o := jpegOrientation(junk); o != 1 {
			t.Errorf("junk % x: %d", junk, o)
		}
	}
}

func TestErrorMessages(t *testing.T) {
	e := errTooLarge(10 << 20)
	if !strings.Contains(e.Msg, "10 MB") || !strings.Contains(e.MsgEN, "10 MB") {
		t.Errorf("%+v", e)
	}
	e = errTooManyPixels(9000, 9000, 40_000_000)
	if !strings.Contains(e.Msg, "9000×9000") || !strings.Contains(e.Msg, "4000 万像素") || !strings.Contains(e.MsgEN, "40 megapixels") {
		t.Errorf("%+v", e)
	}
	if s := errCorrupt(io.ErrUnexpectedEOF).Error(); !strings.Contains(s, "corrupt") || !strings.Contains(s, "unexpected EOF") {
		t.Errorf("Error() = %q", s)
	}
	if !errors.Is(errCorrupt(io.ErrUnexpectedEOF), io.ErrUnexpectedEOF) {
		t.Error("cause not unwrapped")
	}
}

func TestDelete(t *testing.T) {
	s := newStore(t, DefaultLimits)
	keep := mustSave(t, s, encJPEG(t, photoImage(60, 40), 90))
	p := mustSave(t, s, withMetadata(encJPEG(t, photoImage(50, 50), 90), 6))
	if err := s.Delete(p.ID); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{p.ID, p.ThumbID} {
		if _, _, err := s.Open(id); !IsCode(err, CodeNotFound) {
			t.Errorf("Open(%s) after delete: %v", id, err)
		}
	}
	if files := storeFiles(t, s.dir); len(files) != 4 {
		t.Fatalf("other photo's files should remain: %v", files)
	}
	readStored(t, s, keep.ID)
	if err := s.Delete(p.ID); err != nil {
		t.Fatalf("deleting twice: %v", err)
	}
	if err := s.Delete("../" + p.ID[:29]); !IsCode(err, CodeInvalidID) {
		t.Fatalf("bad id: %v", err)
	}
}
