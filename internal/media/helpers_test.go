package media

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// photoImage is a deterministic, photo-like picture: smooth gradients plus a
// little pseudo-random noise so the JPEG encoder has real work to do.
func photoImage(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	seed := uint32(12345)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			seed = seed*1664525 + 1013904223
			n := uint8(seed>>24) & 0x1F
			i := m.PixOffset(x, y)
			m.Pix[i+0] = uint8(x*255/max(1, w-1)) ^ n
			m.Pix[i+1] = uint8(y*255/max(1, h-1)) ^ n
			m.Pix[i+2] = uint8((x+y)*255/max(1, w+h-2)) ^ n
			m.Pix[i+3] = 0xFF
		}
	}
	return m
}

// quadrantImage is w×h blue with a red top-left quadrant, to check rotations.
func quadrantImage(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{0, 0, 255, 255}
			if x < w/2 && y < h/2 {
				c = color.RGBA{255, 0, 0, 255}
			}
			m.SetRGBA(x, y, c)
		}
	}
	return m
}

func encJPEG(t testing.TB, m image.Image, q int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encPNG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// GPS values written into test EXIF blocks: 31°13'45.67"N 121°28'56.78"E.
var (
	gpsLat = rationals(31, 1, 13, 1, 4567, 100)
	gpsLon = rationals(121, 1, 28, 1, 5678, 100)
)

func rationals(v ...uint32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], x)
	}
	return b
}

// tiffBlock builds a TIFF structure as cameras write it into EXIF:
// IFD0 {Make, Orientation, GPSInfo→} and a GPS IFD {VersionID, LatitudeRef,
// Latitude, LongitudeRef, Longitude}. Little-endian unless bigEndian. An
// orientation of 0 omits the tag.
func tiffBlock(orientation int, bigEndian bool) []byte {
	var bo binary.ByteOrder = binary.LittleEndian
	hdr := "II"
	if bigEndian {
		bo, hdr = binary.BigEndian, "MM"
	}
	b := make([]byte, 176)
	copy(b, hdr)
	bo.PutUint16(b[2:], 42)
	bo.PutUint32(b[4:], 8)
	entry := func(at int, tag, typ uint16, count uint32, val []byte) {
		bo.PutUint16(b[at:], tag)
		bo.PutUint16(b[at+2:], typ)
		bo.PutUint32(b[at+4:], count)
		copy(b[at+8:at+12], val)
	}
	u32 := func(v uint32) []byte { x := make([]byte, 4); bo.PutUint32(x, v); return x }
	u16 := func(v uint16) []byte { x := make([]byte, 4); bo.PutUint16(x, v); return x }

	// IFD0 at 8: 3 entries → ends at 8+2+36+4 = 50.
	n := 3
	at := 10
	entry(at, 0x010F, 2, 11, u32(50)) // Make → "CivicPhone\0" at 50
	at += 12
	if orientation != 0 {
		entry(at, 0x0112, 3, 1, u16(uint16(orientation)))
	} else {
		entry(at, 0x0131, 3, 1, u16(1)) // some other SHORT tag instead
	}
	at += 12
	entry(at, 0x8825, 4, 1, u32(62)) // GPS IFD at 62
	bo.PutUint16(b[8:], uint16(n))
	copy(b[50:], "CivicPhone\x00")

	// GPS IFD at 62: 5 entries → ends at 62+2+60+4 = 128.
	bo.PutUint16(b[62:], 5)
	at = 64
	entry(at, 0x0000, 1, 4, []byte{2, 2, 0, 0})
	at += 12
	entry(at, 0x0001, 2, 2, []byte{'N', 0, 0, 0})
	at += 12
	entry(at, 0x0002, 5, 3, u32(128))
	at += 12
	entry(at, 0x0003, 2, 2, []byte{'E', 0, 0, 0})
	at += 12
	entry(at, 0x0004, 5, 3, u32(152))
	// Rationals (written little-endian on purpose so the same byte pattern
	// can be searched for regardless of the TIFF byte order).
	copy(b[128:], gpsLat)
	copy(b[152:], gpsLon)
	return b
}

// segment returns a JPEG marker segment.
func segment(marker byte, payload []byte) []byte {
	s := []byte{0xFF, marker, 0, 0}
	binary.BigEndian.PutUint16(s[2:], uint16(len(payload)+2))
	return append(s, payload...)
}

const xmpPacket = `http://ns.adobe.com/xap/1.0/` + "\x00" +
	`<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description exif:GPSLatitude="31,13.7612N" exif:GPSLongitude="121,28.9463E" tiff:Make="CivicPhone"/></rdf:RDF></x:xmpmeta>`

// withMetadata inserts, right after SOI, an EXIF APP1 (orientation + GPS), an
// XMP APP1 and a comment, and appends trailing bytes after EOI — everything a
// phone or editing app might leave in a file.
func withMetadata(jpg []byte, orientation int) []byte {
	var out []byte
	out = append(out, jpg[:2]...)
	out = append(out, segment(0xE1, append([]byte("Exif\x00\x00"), tiffBlock(orientation, false)...))...)
	out = append(out, segment(0xE1, []byte(xmpPacket))...)
	out = append(out, segment(0xFE, []byte("secret comment: taken at 31.2294N"))...)
	out = append(out, jpg[2:]...)
	out = append(out, "TRAILER GPS 31.2294,121.4824"...)
	return out
}

// pngChunk returns a PNG chunk with a correct CRC.
func pngChunk(typ string, data []byte) []byte {
	c := make([]byte, 8, 12+len(data))
	binary.BigEndian.PutUint32(c, uint32(len(data)))
	copy(c[4:], typ)
	c = append(c, data...)
	crc := crc32.ChecksumIEEE(c[4:])
	return binary.BigEndian.AppendUint32(c, crc)
}

// pngHeader is a PNG signature plus an IHDR for an 8-bit RGBA w×h image.
func pngHeader(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6
	return append(append([]byte{}, pngSig...), pngChunk("IHDR", ihdr)...)
}

// withPNGChunks inserts extra chunks right after IHDR.
func withPNGChunks(p []byte, chunks ...[]byte) []byte {
	const afterIHDR = 8 + 25
	out := append([]byte{}, p[:afterIHDR]...)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return append(out, p[afterIHDR:]...)
}

// riffChunk returns a WebP/RIFF chunk (padded to an even length).
func riffChunk(fourcc string, data []byte) []byte {
	c := []byte(fourcc)
	c = binary.LittleEndian.AppendUint32(c, uint32(len(data)))
	c = append(c, data...)
	if len(data)%2 == 1 {
		c = append(c, 0)
	}
	return c
}

func riff(chunks ...[]byte) []byte {
	var body []byte
	body = append(body, "WEBP"...)
	for _, c := range chunks {
		body = append(body, c...)
	}
	out := []byte("RIFF")
	out = binary.LittleEndian.AppendUint32(out, uint32(len(body)))
	return append(out, body...)
}

// vp8x returns a VP8X chunk with the given flags and canvas size.
func vp8x(flags byte, w, h int) []byte {
	d := make([]byte, 10)
	d[0] = flags
	put24 := func(b []byte, v int) { b[0], b[1], b[2] = byte(v), byte(v>>8), byte(v>>16) }
	put24(d[4:], w-1)
	put24(d[7:], h-1)
	return riffChunk("VP8X", d)
}

// firstChunk returns the first chunk (header included) of a simple WebP file.
func firstChunk(t testing.TB, webpFile []byte) []byte {
	t.Helper()
	if len(webpFile) < 20 {
		t.Fatal("short webp")
	}
	n := int(binary.LittleEndian.Uint32(webpFile[16:]))
	end := 20 + n + n%2
	if end > len(webpFile) {
		end = len(webpFile)
	}
	return webpFile[12:end]
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// storeFiles lists every regular file under dir (relative paths), sorted.
func storeFiles(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// jpegMarkers lists the markers of the header segments up to and including SOS.
func jpegMarkers(t testing.TB, b []byte) []byte {
	t.Helper()
	if len(b) < 2 || b[0] != 0xFF || b[1] != 0xD8 {
		t.Fatalf("not a JPEG")
	}
	var ms []byte
	i := 2
	for i+4 <= len(b) {
		if b[i] != 0xFF {
			t.Fatalf("bad marker at %d", i)
		}
		m := b[i+1]
		ms = append(ms, m)
		if m == 0xDA {
			return ms
		}
		i += 2 + int(binary.BigEndian.Uint16(b[i+2:]))
	}
	t.Fatalf("no SOS")
	return nil
}

// pngChunkTypes lists the chunk types of a PNG file.
func pngChunkTypes(t testing.TB, b []byte) []string {
	t.Helper()
	if !bytes.HasPrefix(b, pngSig) {
		t.Fatalf("not a PNG")
	}
	var out []string
	i := len(pngSig)
	for i+8 <= len(b) {
		n := int(binary.BigEndian.Uint32(b[i:]))
		out = append(out, string(b[i+4:i+8]))
		i += 12 + n
	}
	return out
}

// assertNoMetadata checks a stored file for every kind of metadata container
// and for the specific sensitive values planted by the tests.
func assertNoMetadata(t testing.TB, b []byte) {
	t.Helper()
	for _, s := range []string{"Exif", "EXIF", "eXIf", "http://ns.adobe.com", "xmpmeta", "CivicPhone", "GPS", "secret", "TRAILER", "31.2294", "iTXt", "tEXt", "zTXt", "iCCP", "ICC_PROFILE", "Photoshop"} {
		if bytes.Contains(b, []byte(s)) {
			t.Errorf("stored file contains %q", s)
		}
	}
	for _, g := range [][]byte{gpsLat, gpsLon, gpsLat[:8], gpsLon[:8]} {
		if bytes.Contains(b, g) {
			t.Errorf("stored file contains GPS rational bytes % x", g)
		}
	}
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8}):
		for _, m := range jpegMarkers(t, b) {
			if (m >= 0xE0 && m <= 0xEF) || m == 0xFE {
				t.Errorf("stored JPEG has marker %#x (APPn/COM)", m)
			}
		}
		if !bytes.HasSuffix(b, []byte{0xFF, 0xD9}) {
			t.Errorf("stored JPEG does not end at EOI")
		}
	case bytes.HasPrefix(b, pngSig):
		for _, c := range pngChunkTypes(t, b) {
			switch c {
			case "IHDR", "PLTE", "tRNS", "IDAT", "IEND":
			default:
				t.Errorf("stored PNG has chunk %q", c)
			}
		}
	default:
		t.Errorf("stored file is neither JPEG nor PNG")
	}
}
