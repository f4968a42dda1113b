package media

import (
	"bytes"
	"testing"
)

// BenchmarkSaveJPEG measures Save for a 3000×2000 (6 MP) phone photo: content
// sniffing, header check, full decode, downscale to 2048 px, re-encode at
// q85, thumbnail at 320 px, hashing. After the first iteration the files
// already exist, so the loop measures the processing cost (the disk writes
// happen once).
func BenchmarkSaveJPEG(b *testing.B) {
	benchSave(b, encJPEG(b, photoImage(3000, 2000), 90))
}

// BenchmarkSaveJPEGRotated is the same photo with EXIF orientation 6 and GPS.
func BenchmarkSaveJPEGRotated(b *testing.B) {
	benchSave(b, withMetadata(encJPEG(b, photoImage(3000, 2000), 90), 6))
}

func benchSave(b *testing.B, src []byte) {
	s := newStore(b, DefaultLimits)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	var p Photo
	for b.Loop() {
		var err error
		p, err = s.Save(bytes.NewReader(src))
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(p.Bytes), "stored-bytes")
	if p.Width != 2048 && p.Height != 2048 {
		b.Fatalf("stored %dx%d", p.Width, p.Height)
	}
}
