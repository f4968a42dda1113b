package media

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// refScale is a straightforward float64 area-average reference.
func refScale(src *image.RGBA, w, h int) [][4]float64 {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	fx, fy := float64(sw)/float64(w), float64(sh)/float64(h)
	out := make([][4]float64, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			x0, x1 := float64(x)*fx, float64(x+1)*fx
			y0, y1 := float64(y)*fy, float64(y+1)*fy
			var sum [4]float64
			var area float64
			for j := int(y0); j < sh && float64(j) < y1; j++ {
				wy := math.Min(y1, float64(j+1)) - math.Max(y0, float64(j))
				for i := int(x0); i < sw && float64(i) < x1; i++ {
					wx := math.Min(x1, float64(i+1)) - math.Max(x0, float64(i))
					c := src.RGBAAt(i, j)
					for k, v := range []uint8{c.R, c.G, c.B, c.A} {
						sum[k] += float64(v) * wx * wy
					}
					area += wx * wy
				}
			}
			for k := range sum {
				out[y*w+x][k] = sum[k] / area
			}
		}
	}
	return out
}

func TestScaleToMatchesAreaAverage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range [][4]int{{8, 8, 4, 4}, {7, 5, 3, 2}, {100, 37, 33, 10}, {10, 1, 3, 1}, {1, 10, 1, 4}, {9, 9, 9, 9}, {300, 200, 205, 137}} {
		src := image.NewRGBA(image.Rect(0, 0, c[0], c[1]))
		for i := 0; i < len(src.Pix); i += 4 {
			a := uint8(rng.IntN(256))
			src.Pix[i+3] = a
			for k := 0; k < 3; k++ {
				src.Pix[i+k] = uint8(rng.IntN(int(a) + 1)) // premultiplied: c ≤ a
			}
		}
		got := scaleTo(src, c[2], c[3])
		want := refScale(src, c[2], c[3])
		for i, px := range want {
			for k := range 4 {
				if d := math.Abs(float64(got.Pix[4*i+k]) - px[k]); d > 1.0 {
					t.Fatalf("%v: pixel %d channel %d = %d, want %.2f", c, i, k, got.Pix[4*i+k], px[k])
				}
			}
			if got.Pix[4*i] > got.Pix[4*i+3] || got.Pix[4*i+1] > got.Pix[4*i+3] || got.Pix[4*i+2] > got.Pix[4*i+3] {
				t.Fatalf("%v: pixel %d not premultiplied: %v", c, i, got.Pix[4*i:4*i+4])
			}
		}
	}
}

func TestScaleToOtherSourceTypes(t *testing.T) {
	// YCbCr 4:2:0 with an odd size and a non-zero origin, as sub-images have.
	y := image.NewYCbCr(image.Rect(0, 0, 31, 17), image.YCbCrSubsampleRatio420)
	for i := range y.Y {
		y.Y[i] = 200
	}
	for i := range y.Cb {
		y.Cb[i], y.Cr[i] = 128, 128
	}
	sub := y.SubImage(image.Rect(1, 1, 31, 17))
	g := image.NewGray(image.Rect(0, 0, 20, 20))
	for i := range g.Pix {
		g.Pix[i] = 200
	}
	cmyk := image.NewCMYK(image.Rect(0, 0, 9, 9))
	for i := 0; i < len(cmyk.Pix); i += 4 {
		cmyk.Pix[i+3] = 55 // K only: grey 200
	}
	for _, src := range []image.Image{y, sub, g, cmyk} {
		m := scaleTo(src, 5, 3)
		for i := 0; i < len(m.Pix); i += 4 {
			if m.Pix[i] != 200 || m.Pix[i+1] != 200 || m.Pix[i+2] != 200 || m.Pix[i+3] != 255 {
				t.Fatalf("%T: pixel %v, want uniform 200", src, m.Pix[i:i+4])
			}
		}
	}
	// Enlarging is not used, but must not misbehave.
	if m := scaleTo(g, 40, 40); m.Bounds().Dx() != 40 || m.Pix[0] != 200 {
		t.Fatal("enlarge fallback")
	}
}

func BenchmarkScale6MPTo2048(b *testing.B) {
	m := image.NewYCbCr(image.Rect(0, 0, 3000, 2000), image.YCbCrSubsampleRatio420)
	for b.Loop() {
		scaleTo(m, 2048, 1365)
	}
}
