package geo

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestOverlaps(t *testing.T) {
	a := mp(rect(0, 0, 2, 2))
	cases := []struct {
		name string
		a, b MultiPolygon
		want bool
	}{
		{"shared edge", a, mp(rect(2, 0, 4, 2)), false},
		{"shared edge, opposite winding", a, mp(Ring{{2, 0}, {2, 2}, {4, 2}, {4, 0}, {2, 0}}), false},
		{"partially shared edge", a, mp(rect(2, 1, 4, 3)), false},
		{"T-junction: vertex of b on edge of a", a, mp(Ring{{2, 1}, {4, 0}, {4, 2}, {2, 1}}), false},
		{"T-junction: two tiles along one long edge", mp(rect(0, 0, 2, 4)), MultiPolygon{{rect(2, 0, 3, 2)}, {rect(2, 2, 3, 4)}}, false},
		{"shared vertex only", a, mp(rect(2, 2, 3, 3)), false},
		{"vertex touching edge from outside", a, mp(Ring{{1, 2}, {2, 3}, {0, 3}, {1, 2}}), false},
		{"identical", a, mp(rect(0, 0, 2, 2)), true},
		{"identical, different start vertex", a, mp(Ring{{2, 2}, {0, 2}, {0, 0}, {2, 0}, {2, 2}}), true},
		{"identical with extra collinear vertex", a, mp(Ring{{0, 0}, {1, 0}, {2, 0}, {2, 2}, {0, 2}, {0, 0}}), true},
		{"b inside a", a, mp(rect(0.5, 0.5, 1.5, 1.5)), true},
		{"a inside b", mp(rect(0.5, 0.5, 1.5, 1.5)), a, true},
		{"inside, touching the boundary from within", a, mp(rect(0, 0, 1, 1)), true},
		{"inside, sharing a whole side", a, mp(rect(0, 0, 2, 1)), true},
		{"proper crossing", a, mp(rect(1, 1, 3, 3)), true},
		{"cross shape, no vertex inside the other", mp(rect(0, 1, 4, 2)), mp(rect(1, 0, 2, 4)), true},
		{"disjoint", a, mp(rect(5, 5, 6, 6)), false},
		{"disjoint, boxes overlap", mp(Ring{{0, 0}, {4, 0}, {0, 4}, {0, 0}}), mp(Ring{{4, 4}, {4, 1}, {1, 4}, {4, 4}}), false},
		{"one vertex inside", a, mp(Ring{{1, 1}, {3, 1.5}, {3, 3}, {1.5, 3}, {1, 1}}), true},
		{"b sits in a's hole", mp(rect(0, 0, 6, 6), rect(2, 2, 4, 4)), mp(rect(2, 2, 4, 4)), false},
		{"b smaller, inside a's hole", mp(rect(0, 0, 6, 6), rect(2, 2, 4, 4)), mp(rect(2.5, 2.5, 3.5, 3.5)), false},
		{"b covers a's hole and some ring", mp(rect(0, 0, 6, 6), rect(2, 2, 4, 4)), mp(rect(1, 1, 5, 5)), true},
		{"multi: second member identical", MultiPolygon{{rect(10, 10, 11, 11)}, {rect(0, 0, 2, 2)}}, a, true},
		{"multi: members tile around", a, MultiPolygon{{rect(2, 0, 3, 2)}, {rect(-1, 0, 0, 2)}, {rect(0, 2, 2, 3)}}, false},
		{"empty", a, nil, false},
		{"within tolerance: neighbour's vertex 1e-12 inside", a, mp(Ring{{2 - 1e-12, 1}, {4, 0}, {4, 2}, {2 - 1e-12, 1}}), false},
		{"beyond tolerance: 1e-6 inside", a, mp(Ring{{2 - 1e-6, 1}, {4, 0}, {4, 2}, {2 - 1e-6, 1}}), true},
	}
	for _, c := range cases {
		if got := Overlaps(c.a, c.b); got != c.want {
			t.Errorf("%s: Overlaps = %v, want %v", c.name, got, c.want)
		}
		if got := Overlaps(c.b, c.a); got != c.want {
			t.Errorf("%s (swapped): Overlaps = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestOverlapsRealisticNeighbours uses coordinates of the magnitude real
// grids have (115°E, 35°N), where decimal vertices are not exact in binary
// and a T-junction vertex is only approximately on its edge.
func TestOverlapsRealisticNeighbours(t *testing.T) {
	big := mp(Ring{{115.4512, 35.2501}, {115.4587, 35.2503}, {115.4585, 35.2561}, {115.4510, 35.2559}, {115.4512, 35.2501}})
	// Split the east neighbour's west side at a point interpolated on big's
	// east edge: the classic T-junction after a boundary edit.
	e0, e1 := Point{115.4587, 35.2503}, Point{115.4585, 35.2561}
	const f = 0.37
	tj := Point{e0.Lng + f*(e1.Lng-e0.Lng), e0.Lat + f*(e1.Lat-e0.Lat)}
	south := mp(Ring{e0, {115.4650, 35.2504}, {115.4649, 35.2520}, tj, e0})
	north := mp(Ring{tj, {115.4649, 35.2520}, {115.4648, 35.2562}, e1, tj})
	for _, n := range []MultiPolygon{south, north} {
		mustValid(t, n)
		if Overlaps(big, n) {
			t.Errorf("T-junction neighbour reported as overlapping")
		}
	}
	if Overlaps(south, north) {
		t.Error("south and north neighbours overlap")
	}
	// Push the junction 5 cm into big: that is a real overlap.
	deep := Point{tj.Lng - 5e-7, tj.Lat}
	bad := mp(Ring{e0, {115.4650, 35.2504}, {115.4649, 35.2520}, deep, e0})
	if !Overlaps(big, bad) {
		t.Error("5 cm intrusion not detected")
	}
}

// TestOverlapsShiftedTiles: a tile overlaps a copy of its neighbour moved
// slightly towards it, and does not overlap the unmoved neighbour.
func TestOverlapsShiftedTiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	const n = 15
	items := latticeTiling(rng, n, n, benchBox)
	for j := 0; j < n; j++ {
		for i := 0; i+1 < n; i++ {
			a, b := items[j*n+i].Shape, items[j*n+i+1].Shape
			if Overlaps(a, b) {
				t.Fatalf("neighbours %d,%d overlap", i, j)
			}
			moved := mp(make(Ring, len(b[0][0])))
			for k, p := range b[0][0] {
				moved[0][0][k] = Point{p.Lng - 1e-5, p.Lat}
			}
			if !Overlaps(a, moved) {
				t.Fatalf("neighbour moved 1 m west into %d,%d not reported", i, j)
			}
		}
	}
}

// FuzzOverlaps checks Overlaps on valid lattice polygons against sampling:
// it must be symmetric, true for a shape and itself, and true whenever a
// sample point lies inside both shapes.
func FuzzOverlaps(f *testing.F) {
	f.Add([]byte{0, 0, 10, 0, 10, 10, 0, 10}, []byte{10, 0, 20, 0, 20, 10, 10, 10})
	f.Add([]byte{0, 0, 10, 0, 10, 10, 0, 10}, []byte{5, 5, 20, 5, 20, 20, 5, 20})
	f.Add([]byte{0, 0, 10, 0, 10, 10, 0, 10}, []byte{10, 3, 20, 0, 20, 10})
	f.Fuzz(func(t *testing.T, ab, bb []byte) {
		ring := func(b []byte) MultiPolygon {
			var r Ring
			for i := 0; i+1 < len(b) && len(r) < 10; i += 2 {
				r = append(r, Point{115 + float64(b[i]%32)/100, 35 + float64(b[i+1]%32)/100})
			}
			if len(r) == 0 {
				return nil
			}
			return mp(append(r, r[0]))
		}
		a, b := ring(ab), ring(bb)
		if a.Validate() != nil || b.Validate() != nil {
			return
		}
		got := Overlaps(a, b)
		if got != Overlaps(b, a) {
			t.Fatal("Overlaps is not symmetric")
		}
		if !Overlaps(a, a) {
			t.Fatal("shape does not overlap itself")
		}
		if got {
			return
		}
		// Sample at irrational offsets so no sample sits on a lattice edge.
		for i := 0; i < 64; i++ {
			for j := 0; j < 64; j++ {
				p := Point{115 + (float64(i)+0.5+math.Sqrt2/10)*0.005, 35 + (float64(j)+0.5+math.Pi/100)*0.005}
				if a.Contains(p) && b.Contains(p) {
					t.Fatalf("point %v is inside both, but Overlaps = false", p)
				}
			}
		}
	})
}
