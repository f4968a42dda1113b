package geo

import (
	"math/rand/v2"
	"testing"
)

// benchBox is the area the benchmarks and property tests tile: about
// 1.5° × 1.3° around 35.25°N 115.45°E, the size of a prefecture-level city.
var benchBox = BBox{MinLng: 114.70, MinLat: 34.60, MaxLng: 116.20, MaxLat: 35.90}

// rect returns an axis-aligned counter-clockwise ring.
func rect(x0, y0, x1, y1 float64) Ring {
	return Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
}

// mp wraps rings into a one-polygon MultiPolygon.
func mp(rings ...Ring) MultiPolygon { return MultiPolygon{Polygon(rings)} }

// latticeTiling returns nx×ny jittered quadrilaterals that tile box exactly:
// interior lattice vertices move by up to a quarter cell, and a quarter of
// the interior horizontal edges get an extra bent vertex shared by both
// neighbours, so the tiles are a mix of quads, pentagons and hexagons with
// no gaps and no overlaps, like a real grid map.
func latticeTiling(rng *rand.Rand, nx, ny int, box BBox) []IndexItem {
	dx := (box.MaxLng - box.MinLng) / float64(nx)
	dy := (box.MaxLat - box.MinLat) / float64(ny)
	v := make([][]Point, nx+1)
	for i := range v {
		v[i] = make([]Point, ny+1)
		for j := range v[i] {
			p := Point{box.MinLng + float64(i)*dx, box.MinLat + float64(j)*dy}
			if i == nx {
				p.Lng = box.MaxLng
			}
			if j == ny {
				p.Lat = box.MaxLat
			}
			if i > 0 && i < nx && j > 0 && j < ny {
				p.Lng += (rng.Float64() - 0.5) * 0.5 * dx
				p.Lat += (rng.Float64() - 0.5) * 0.5 * dy
			}
			v[i][j] = p
		}
	}
	// mid[i][j] bends the horizontal edge v[i][j]–v[i+1][j].
	mid := make([][]*Point, nx)
	for i := range mid {
		mid[i] = make([]*Point, ny+1)
		for j := 1; j < ny; j++ {
			if rng.IntN(4) == 0 {
				a, b := v[i][j], v[i+1][j]
				m := Point{(a.Lng + b.Lng) / 2, (a.Lat+b.Lat)/2 + (rng.Float64()-0.5)*0.24*dy}
				mid[i][j] = &m
			}
		}
	}
	items := make([]IndexItem, 0, nx*ny)
	for j := 0; j < ny; j++ {
		for i := 0; i < nx; i++ {
			r := Ring{v[i][j]}
			if m := mid[i][j]; m != nil {
				r = append(r, *m)
			}
			r = append(r, v[i+1][j], v[i+1][j+1])
			if m := mid[i][j+1]; m != nil {
				r = append(r, *m)
			}
			r = append(r, v[i][j+1], v[i][j])
			items = append(items, IndexItem{ID: int32(j*nx + i + 1000), Shape: mp(r)})
		}
	}
	return items
}

// randomPoints returns n uniform points in box grown by margin on each side.
func randomPoints(rng *rand.Rand, n int, box BBox, margin float64) []Point {
	pts := make([]Point, n)
	for i := range pts {
		pts[i] = Point{
			box.MinLng - margin + rng.Float64()*(box.MaxLng-box.MinLng+2*margin),
			box.MinLat - margin + rng.Float64()*(box.MaxLat-box.MinLat+2*margin),
		}
	}
	return pts
}

// bruteLocate is the reference answer: the first item, in input order,
// whose shape contains p.
func bruteLocate(items []IndexItem, p Point) (int32, bool) {
	for _, it := range items {
		if it.Shape.Contains(p) {
			return it.ID, true
		}
	}
	return 0, false
}

func mustValid(t testing.TB, m MultiPolygon) {
	t.Helper()
	if err := m.Validate(); err != nil {
		t.Fatalf("expected valid, got %v", err)
	}
}
