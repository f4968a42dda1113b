package media

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"os"
	"path/filepath"
	"testing"
)

// fuzzLimits keep each fuzz iteration cheap.
var fuzzLimits = Limits{MaxBytes: 1 << 20, MaxPixels: 1 << 20, MaxSide: 256, ThumbSide: 64}

func saveSeeds(t testing.TB) [][]byte {
	var gifBuf bytes.Buffer
	_ = gif.Encode(&gifBuf, image.NewPaletted(image.Rect(0, 0, 4, 4), []color.Color{color.Black, color.White}), nil)
	jpg := encJPEG(t, photoImage(24, 16), 80)
	lossy := readTestdata(t, "blue-purple-pink.lossy.webp")
	return [][]byte{
		jpg,
		withMetadata(jpg, 6),
		jpg[:len(jpg)/2],
		encPNG(t, photoImage(12, 9)),
		withPNGChunks(encPNG(t, quadrantImage(6, 4)), pngChunk("eXIf", tiffBlock(5, true))),
		append(pngHeader(100000, 100000), pngChunk("IEND", nil)...),
		lossy,
		readTestdata(t, "gopher-doc.1bpp.lossless.webp"),
		riff(vp8x(0x08, 150, 100), firstChunk(t, lossy), riffChunk("EXIF", tiffBlock(7, false))),
		gifBuf.Bytes(),
		[]byte("hello.jpg"),
		{},
	}
}

// FuzzSave feeds arbitrary bytes to Save. It must never panic; rejected input
// must be a *Error and must leave no file behind; accepted input must yield a
// clean, decodable, correctly described JPEG or PNG within the limits.
func FuzzSave(f *testing.F) {
	for _, s := range saveSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := filepath.Join(t.TempDir(), "m")
		s, err := NewStore(dir, fuzzLimits)
		if err != nil {
			t.Fatal(err)
		}
		s.noSync = true // keep iterations fast; atomic rename is still exercised
		p, err := s.Save(bytes.NewReader(data))
		files := storeFiles(t, dir)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("rejection is not a *Error: %v", err)
			}
			if len(files) != 0 {
				t.Fatalf("rejected input (%v) left files %v", err, files)
			}
			return
		}
		if len(files) != 4 {
			t.Fatalf("accepted input left files %v", files)
		}
		for _, id := range []string{p.ID, p.ThumbID} {
			b, rec := readStored(t, s, id)
			if rec.Width > fuzzLimits.MaxSide || rec.Height > fuzzLimits.MaxSide {
				t.Fatalf("stored %dx%d over MaxSide", rec.Width, rec.Height)
			}
			switch {
			case bytes.HasPrefix(b, []byte{0xFF, 0xD8}):
				for _, m := range jpegMarkers(t, b) {
					if (m >= 0xE0 && m <= 0xEF) || m == 0xFE {
						t.Fatalf("stored JPEG has marker %#x", m)
					}
				}
			case bytes.HasPrefix(b, pngSig):
				for _, c := range pngChunkTypes(t, b) {
					switch c {
					case "IHDR", "PLTE", "tRNS", "IDAT", "IEND":
					default:
						t.Fatalf("stored PNG has chunk %q", c)
					}
				}
			default:
				t.Fatal("stored file is neither JPEG nor PNG")
			}
		}
		_, tp := readStored(t, s, p.ThumbID)
		if tp.Width > fuzzLimits.ThumbSide || tp.Height > fuzzLimits.ThumbSide || tp.Type != typeJPEG {
			t.Fatalf("thumb %+v", tp)
		}
		// Idempotent under arbitrary accepted input too.
		p2, err := s.Save(bytes.NewReader(data))
		if err != nil || p2 != p {
			t.Fatalf("second save: %+v %v (first %+v)", p2, err, p)
		}
		if n := len(storeFiles(t, dir)); n != 4 {
			t.Fatalf("second save changed file count to %d", n)
		}
		_ = os.RemoveAll(dir)
	})
}

// FuzzOrientation drives the hand-written EXIF/TIFF parser with arbitrary
// bytes, both directly and wrapped in JPEG, PNG and WebP containers.
func FuzzOrientation(f *testing.F) {
	for o := 0; o <= 9; o++ {
		f.Add(tiffBlock(o, false))
		f.Add(tiffBlock(o, true))
	}
	f.Add([]byte("II*\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00\x06\x00"))
	f.Add([]byte("MM\x00*\x00\x00\x00\x08\xff\xff"))
	f.Add(withMetadata(encJPEG(f, photoImage(8, 8), 80), 6))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		check := func(where string, o int) {
			if o < 1 || o > 8 {
				t.Fatalf("%s: orientation %d out of range", where, o)
			}
		}
		if o, ok := tiffOrientation(data); ok {
			check("tiff", o)
		} else if o != 0 {
			t.Fatalf("not ok but orientation %d", o)
		}
		check("raw jpeg", jpegOrientation(data))
		check("raw png", pngOrientation(data))
		check("raw webp", webpOrientation(data))

		exif := append([]byte("Exif\x00\x00"), data...)
		if len(exif) <= 0xFFFF-2 {
			j := append([]byte{0xFF, 0xD8}, segment(0xE1, exif)...)
			j = append(j, 0xFF, 0xD9)
			o := jpegOrientation(j)
			check("jpeg", o)
			if want, ok := tiffOrientation(data); ok && o != want {
				t.Fatalf("jpeg wrapper: %d, direct: %d", o, want)
			}
		}
		p := append(pngHeader(1, 1), pngChunk("eXIf", data)...)
		check("png", pngOrientation(p))
		w := riff(vp8x(0x08, 1, 1), riffChunk("EXIF", data))
		check("webp", webpOrientation(w))
		check("any", orientationOf(typeJPEG, data))
	})
}
