package demo

import (
	"math/rand/v2"
	"testing"

	"civicgrid/internal/geo"
	"civicgrid/internal/region"

	"github.com/tidwall/rtree"
)

// demoGrids returns the ~29,000 demo grid shapes and random points inside
// the city, with the grid each point falls in by brute force.
func demoGrids(tb testing.TB) ([]geo.IndexItem, []geo.Point) {
	rows, err := Generate()
	if err != nil {
		tb.Fatal(err)
	}
	var items []geo.IndexItem
	for _, r := range rows {
		if r.Level == region.Grid {
			items = append(items, geo.IndexItem{ID: int32(len(items)), Shape: r.Boundary})
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	pts := make([]geo.Point, 1<<16)
	for i := range pts {
		pts[i] = geo.Point{Lng: cityBox.w + rng.Float64()*(cityBox.e-cityBox.w), Lat: cityBox.s + rng.Float64()*(cityBox.n-cityBox.s)}
	}
	return items, pts
}

// BenchmarkLocate resolves random points to demo grids with the platform's
// index, and with a plain R-tree + ring test over the same grids in the same
// run as the baseline. Goal: ≥ 1,000,000 lookups/s on one core.
func BenchmarkLocate(b *testing.B) {
	items, pts := demoGrids(b)
	b.Run("index", func(b *testing.B) {
		ix := geo.NewIndex(items)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			ix.Locate(pts[i&(len(pts)-1)])
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
	})
	b.Run("rtree-baseline", func(b *testing.B) {
		var tr rtree.RTreeG[int32]
		for _, it := range items {
			bb := it.Shape.BBox()
			tr.Insert([2]float64{bb.MinLng, bb.MinLat}, [2]float64{bb.MaxLng, bb.MaxLat}, it.ID)
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			p := pts[i&(len(pts)-1)]
			tr.Search([2]float64{p.Lng, p.Lat}, [2]float64{p.Lng, p.Lat}, func(_, _ [2]float64, id int32) bool {
				return !items[id].Shape.Contains(p)
			})
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
	})
}

// TestLocateAgreesWithBruteForce checks the index on the real demo tiling.
func TestLocateAgreesWithBruteForce(t *testing.T) {
	items, pts := demoGrids(t)
	ix := geo.NewIndex(items)
	for _, p := range pts[:3000] {
		want := int32(-1)
		for _, it := range items {
			if it.Shape.Contains(p) {
				want = it.ID
				break
			}
		}
		got, ok := ix.Locate(p)
		if !ok {
			got = -1
		}
		if got != want {
			t.Fatalf("Locate(%v) = %d, brute force %d", p, got, want)
		}
		if want < 0 {
			t.Fatalf("point %v inside the city is in no grid: the demo tiling has a gap", p)
		}
	}
}
