package geo

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestContains(t *testing.T) {
	square := mp(rect(0, 0, 10, 10))
	withHole := mp(rect(0, 0, 10, 10), rect(4, 4, 6, 6))
	// Clockwise outer ring: the even-odd rule must not care.
	cw := mp(Ring{{0, 0}, {0, 10}, {10, 10}, {10, 0}, {0, 0}})
	concave := mp(Ring{{0, 0}, {10, 0}, {10, 10}, {5, 3}, {0, 10}, {0, 0}}) // notch from the top
	multi := MultiPolygon{{rect(0, 0, 1, 1)}, {rect(5, 5, 6, 6)}}
	unclosed := mp(Ring{{0, 0}, {10, 0}, {10, 10}, {0, 10}})
	cases := []struct {
		name string
		m    MultiPolygon
		p    Point
		want bool
	}{
		{"inside", square, Point{5, 5}, true},
		{"outside", square, Point{15, 5}, false},
		{"left of", square, Point{-1, 5}, false},
		{"above", square, Point{5, 11}, false},
		{"in hole", withHole, Point{5, 5}, false},
		{"around hole", withHole, Point{2, 5}, true},
		{"clockwise ring", cw, Point{5, 5}, true},
		{"concave body", concave, Point{5, 1}, true},
		{"concave notch", concave, Point{5, 8}, false},
		{"concave arm", concave, Point{1, 8}, true},
		{"multi first", multi, Point{0.5, 0.5}, true},
		{"multi second", multi, Point{5.5, 5.5}, true},
		{"multi between", multi, Point{3, 3}, false},
		{"unclosed ring closes implicitly", unclosed, Point{5, 5}, true},
		// Boundary rule: half-open, lower/left edges in, upper/right out.
		{"bottom edge", square, Point{5, 0}, true},
		{"left edge", square, Point{0, 5}, true},
		{"top edge", square, Point{5, 10}, false},
		{"right edge", square, Point{10, 5}, false},
		{"empty", nil, Point{0, 0}, false},
		{"NaN", square, Point{math.NaN(), 5}, false},
	}
	for _, c := range cases {
		if got := c.m.Contains(c.p); got != c.want {
			t.Errorf("%s: Contains(%v) = %v, want %v", c.name, c.p, got, c.want)
		}
	}
}

// TestContainsPartition checks the property the boundary rule is for:
// every point on a shared edge or vertex of a tiling belongs to exactly one
// tile, whatever direction each tile walks the edge.
func TestContainsPartition(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	items := latticeTiling(rng, 12, 12, BBox{115, 35, 115.12, 35.12})
	for _, it := range items {
		r := it.Shape[0][0]
		for i := 0; i+1 < len(r); i++ {
			for _, p := range []Point{r[i], {(r[i].Lng + r[i+1].Lng) / 2, (r[i].Lat + r[i+1].Lat) / 2}} {
				if p.Lng >= 115.12 || p.Lat >= 35.12 {
					continue // on the outer max edges nobody owns it
				}
				n := 0
				for _, o := range items {
					if o.Shape.Contains(p) {
						n++
					}
				}
				if n != 1 {
					t.Fatalf("boundary point %v is in %d tiles", p, n)
				}
			}
		}
	}
}

func TestAreaCentroidInteriorPoint(t *testing.T) {
	withHole := mp(rect(0, 0, 10, 10), rect(0.5, 0.5, 9.5, 9.5)) // a thin frame
	if a := withHole.Area(); math.Abs(a-(100-81)) > 1e-9 {
		t.Errorf("frame area = %v, want 19", a)
	}
	cw := mp(Ring{{0, 0}, {0, 2}, {3, 2}, {3, 0}, {0, 0}})
	if a := cw.Area(); math.Abs(a-6) > 1e-12 {
		t.Errorf("clockwise area = %v, want 6", a)
	}
	if c := cw.Centroid(); math.Abs(c.Lng-1.5) > 1e-12 || math.Abs(c.Lat-1) > 1e-12 {
		t.Errorf("centroid = %v, want (1.5, 1)", c)
	}
	// The frame's centroid is in its hole, which is why InteriorPoint exists.
	if c := withHole.Centroid(); math.Abs(c.Lng-5) > 1e-9 || math.Abs(c.Lat-5) > 1e-9 {
		t.Errorf("frame centroid = %v, want (5, 5)", c)
	}
	if withHole.Contains(withHole.Centroid()) {
		t.Error("frame centroid unexpectedly inside")
	}
	shapes := []MultiPolygon{
		withHole, cw,
		mp(Ring{{0, 0}, {10, 0}, {10, 10}, {5, 1}, {0, 10}, {0, 0}}),                         // deep notch
		mp(Ring{{0, 0}, {1, 0}, {1, 9}, {9, 9}, {9, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}), // U shape
		{{rect(0, 0, 1, 1)}, {rect(2, 2, 5, 5), rect(3, 3, 4, 4)}},
		mp(rect(115.1, 35.1, 115.1001, 35.1001)),
	}
	for i, m := range shapes {
		p := m.InteriorPoint()
		if !m.Contains(p) {
			t.Errorf("shape %d: InteriorPoint %v not inside", i, p)
		}
	}
	// Random jittered tiles, the real use.
	rng := rand.New(rand.NewPCG(23, 24))
	for _, it := range latticeTiling(rng, 20, 20, benchBox) {
		if !it.Shape.Contains(it.Shape.InteriorPoint()) {
			t.Fatalf("InteriorPoint outside tile %d", it.ID)
		}
		if c := it.Shape.Centroid(); !it.Shape.Contains(c) {
			t.Fatalf("centroid of a near-convex tile outside it: %v", c)
		}
	}
	if (MultiPolygon{}).Area() != 0 || (MultiPolygon{}).Centroid() != (Point{}) || (MultiPolygon{}).InteriorPoint() != (Point{}) {
		t.Error("empty shape should give zeros")
	}
	line := mp(Ring{{0, 0}, {1, 1}, {2, 2}, {0, 0}})
	if line.Area() != 0 || line.InteriorPoint() != (Point{0, 0}) {
		t.Errorf("degenerate shape: area %v, interior %v", line.Area(), line.InteriorPoint())
	}
}

func TestBBox(t *testing.T) {
	m := MultiPolygon{{rect(1, 2, 3, 4)}, {rect(-1, 0, 0, 1)}}
	if b := m.BBox(); b != (BBox{-1, 0, 3, 4}) {
		t.Errorf("BBox = %v", b)
	}
	if b := (MultiPolygon{}).BBox(); b != (BBox{}) {
		t.Errorf("empty BBox = %v", b)
	}
	a := BBox{0, 0, 1, 1}
	if !a.Intersects(BBox{1, 1, 2, 2}) || a.Intersects(BBox{1.1, 0, 2, 1}) {
		t.Error("Intersects wrong")
	}
}

func TestDistanceMeters(t *testing.T) {
	// One degree of latitude is ~111.2 km on the mean sphere.
	if d := DistanceMeters(Point{115, 35}, Point{115, 36}); math.Abs(d-111195) > 5 {
		t.Errorf("1° lat = %v m", d)
	}
	// Beijing Tiananmen to Shanghai People's Square, ~1067 km.
	d := DistanceMeters(Point{116.3975, 39.9087}, Point{121.4737, 31.2304})
	if math.Abs(d-1067e3) > 5e3 {
		t.Errorf("Beijing–Shanghai = %v m", d)
	}
	if d := DistanceMeters(Point{115, 35}, Point{115, 35}); d != 0 {
		t.Errorf("zero distance = %v", d)
	}
	if d := DistanceMeters(Point{0, 0}, Point{180, 0}); math.Abs(d-math.Pi*earthRadius) > 1 {
		t.Errorf("antipodal = %v", d)
	}
}

func TestTransformAndOriented(t *testing.T) {
	cw := Ring{{0, 0}, {0, 10}, {10, 10}, {10, 0}, {0, 0}}
	ccwHole := rect(2, 2, 4, 4)
	m := mp(cw, ccwHole)
	o := m.Oriented()
	if signedArea(o[0][0]) <= 0 || signedArea(o[0][1]) >= 0 {
		t.Errorf("Oriented: outer %v hole %v", signedArea(o[0][0]), signedArea(o[0][1]))
	}
	if m[0][0][1] != (Point{0, 10}) {
		t.Error("Oriented modified its receiver")
	}
	mustValid(t, o)
	if o.Area() != m.Area() {
		t.Error("area changed")
	}
	heze := mp(rect(115.4, 35.2, 115.5, 35.3))
	g := heze.Transform(WGSToGCJ)
	if g[0][0][0] == heze[0][0][0] || g[0][0][0] != WGSToGCJ(heze[0][0][0]) {
		t.Error("Transform did not apply f")
	}
	if (MultiPolygon(nil)).Transform(GCJToWGS) != nil {
		t.Error("nil Transform")
	}
}
