package geo

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestGCJRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	pts := []Point{
		{116.3975, 39.9087}, // Beijing
		{121.4737, 31.2304}, // Shanghai
		{115.4800, 35.2333}, // Heze
		{113.2644, 23.1291}, // Guangzhou
		{87.6168, 43.8256},  // Ürümqi
		{126.6424, 45.7567}, // Harbin
		{91.1409, 29.6456},  // Lhasa
		{109.5120, 18.2528}, // Sanya
	}
	for i := 0; i < 2000; i++ {
		pts = append(pts, Point{73.5 + rng.Float64()*(135-73.5), 18 + rng.Float64()*(53.5-18)})
	}
	worst := 0.0
	for _, w := range pts {
		g := WGSToGCJ(w)
		shift := DistanceMeters(w, g)
		if shift == 0 || shift > 1500 {
			t.Fatalf("GCJ offset at %v is %.1f m; expected a shift of at most ~1 km", w, shift)
		}
		back := GCJToWGS(g)
		d := DistanceMeters(w, back)
		worst = math.Max(worst, d)
		if d > 0.5 {
			t.Fatalf("round trip of %v is off by %.3f m", w, d)
		}
	}
	t.Logf("worst round-trip error %.2e m", worst)
}

// TestGCJKnownValue pins the forward transform to the widely published
// algorithm (value computed by the reference implementation).
func TestGCJKnownValue(t *testing.T) {
	g := WGSToGCJ(Point{116.404, 39.915})
	want := Point{116.41024449916938, 39.91640428150164}
	if d := DistanceMeters(g, want); d > 0.01 {
		t.Errorf("WGSToGCJ = %v, %.3f m from %v", g, d, want)
	}
}

func TestGCJOutsideChina(t *testing.T) {
	for _, p := range []Point{
		{-0.1276, 51.5072},  // London
		{139.6917, 35.6895}, // Tokyo
		{151.2093, -33.8688},
		{0, 0},
		{72.0, 30},
		{100, 56},
	} {
		if !OutOfChina(p) {
			t.Errorf("%v should be out of China", p)
		}
		if WGSToGCJ(p) != p || GCJToWGS(p) != p {
			t.Errorf("%v should convert to itself", p)
		}
	}
	if OutOfChina(Point{115.45, 35.25}) {
		t.Error("Heze reported out of China")
	}
}
