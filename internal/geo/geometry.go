// Package geo owns planar geometry on lng/lat: polygon validation, overlap tests, GCJ-02 conversion and the point-to-polygon index.
//
// All geometry here is planar in degrees: a grid (网格) is a few hundred
// metres across, so treating lng/lat as a plane is far more accurate than the
// digitised boundaries themselves, and it keeps every predicate cheap and
// deterministic. Only DistanceMeters works on the sphere.
package geo

import (
	"math"
	"slices"
)

// Point is a WGS-84 position. The field order matches GeoJSON's [lng, lat].
type Point struct{ Lng, Lat float64 }

// Ring is a closed linear ring: the first position equals the last.
type Ring []Point

// Polygon is an outer ring (index 0) followed by zero or more holes.
type Polygon []Ring

// MultiPolygon is the one shape type the platform stores; a plain polygon is
// a MultiPolygon of length one.
type MultiPolygon []Polygon

// BBox is an axis-aligned bounding box in degrees, closed on all sides.
type BBox struct{ MinLng, MinLat, MaxLng, MaxLat float64 }

// emptyBox is the identity for extend/union. It is never returned to callers
// because infinities cannot be marshalled to JSON.
func emptyBox() BBox {
	return BBox{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
}

func (b BBox) isEmpty() bool { return !(b.MinLng <= b.MaxLng && b.MinLat <= b.MaxLat) }

func (b *BBox) extend(p Point) {
	b.MinLng = math.Min(b.MinLng, p.Lng)
	b.MinLat = math.Min(b.MinLat, p.Lat)
	b.MaxLng = math.Max(b.MaxLng, p.Lng)
	b.MaxLat = math.Max(b.MaxLat, p.Lat)
}

// Union returns the smallest box covering both b and o.
func (b BBox) Union(o BBox) BBox {
	return BBox{math.Min(b.MinLng, o.MinLng), math.Min(b.MinLat, o.MinLat),
		math.Max(b.MaxLng, o.MaxLng), math.Max(b.MaxLat, o.MaxLat)}
}

// Intersects reports whether the closed boxes share at least one point.
func (b BBox) Intersects(o BBox) bool {
	return b.MinLng <= o.MaxLng && o.MinLng <= b.MaxLng && b.MinLat <= o.MaxLat && o.MinLat <= b.MaxLat
}

// ContainsPoint reports whether p lies in the closed box.
func (b BBox) ContainsPoint(p Point) bool {
	return p.Lng >= b.MinLng && p.Lng <= b.MaxLng && p.Lat >= b.MinLat && p.Lat <= b.MaxLat
}

// BBox returns the ring's bounding box, or the zero BBox for an empty ring.
func (r Ring) BBox() BBox {
	b := emptyBox()
	for _, p := range r {
		b.extend(p)
	}
	if b.isEmpty() {
		return BBox{}
	}
	return b
}

// BBox returns the bounding box of all positions, or the zero BBox when m has
// no positions. Holes never extend past a valid outer ring, but they are
// included anyway so that the box is correct for invalid input too.
func (m MultiPolygon) BBox() BBox {
	b := emptyBox()
	for _, poly := range m {
		for _, r := range poly {
			for _, p := range r {
				b.extend(p)
			}
		}
	}
	if b.isEmpty() {
		return BBox{}
	}
	return b
}

// Transform returns a deep copy of m with f applied to every position, e.g.
// m.Transform(GCJToWGS) for a boundary digitised on a GCJ-02 map (Amap,
// Tencent). m itself is not modified.
func (m MultiPolygon) Transform(f func(Point) Point) MultiPolygon {
	if m == nil {
		return nil
	}
	out := make(MultiPolygon, len(m))
	for i, poly := range m {
		out[i] = make(Polygon, len(poly))
		for j, r := range poly {
			nr := make(Ring, len(r))
			for k, p := range r {
				nr[k] = f(p)
			}
			out[i][j] = nr
		}
	}
	return out
}

// Oriented returns a copy of m wound as RFC 7946 asks writers to: outer
// rings counter-clockwise, holes clockwise. Readers here accept either.
func (m MultiPolygon) Oriented() MultiPolygon {
	out := m.Transform(func(p Point) Point { return p })
	for _, poly := range out {
		for j, r := range poly {
			if ccw := signedArea(r) > 0; ccw != (j == 0) {
				slices.Reverse(r)
			}
		}
	}
	return out
}

// ringParity reports whether a ray from (x, y) towards +lng crosses the ring
// an odd number of times. The ring is treated as closed even if the caller
// forgot the closing position.
//
// Each edge is evaluated with its lower endpoint first, so the two polygons
// that share an edge compute bit-identical answers for it. That makes a
// tiling a true partition: a point on a shared edge or vertex belongs to
// exactly one tile, and which one is deterministic. The test is a cross
// product rather than an x-intercept so that it needs no division.
func ringParity(r []Point, x, y float64) bool {
	n := len(r)
	if n < 3 {
		return false
	}
	in := false
	a := r[n-1]
	for _, b := range r {
		if (a.Lat > y) != (b.Lat > y) {
			lo, hi := a, b
			if lo.Lat > hi.Lat {
				lo, hi = hi, lo
			}
			if leftOf(lo, hi, x, y) {
				in = !in
			}
		}
		a = b
	}
	return in
}

// leftOf reports whether (x, y) is strictly left of the upward edge lo→hi,
// which for lo.Lat <= y < hi.Lat means a ray towards +lng crosses the edge.
// The conversions forbid the compiler from fusing a multiply into an FMA,
// so every caller (Contains and the index's single-edge cells) rounds
// identically and gets the same answer for points on the edge.
func leftOf(lo, hi Point, x, y float64) bool {
	return float64((hi.Lng-lo.Lng)*(y-lo.Lat)) > float64((hi.Lat-lo.Lat)*(x-lo.Lng))
}

// Contains reports whether p is inside the ring (even-odd rule).
func (r Ring) Contains(p Point) bool { return ringParity(r, p.Lng, p.Lat) }

// Contains applies the even-odd rule over the outer ring and its holes, so a
// point in a hole is outside. For valid polygons this equals "inside the
// outer ring and inside no hole".
func (poly Polygon) Contains(p Point) bool {
	in := false
	for _, r := range poly {
		if ringParity(r, p.Lng, p.Lat) {
			in = !in
		}
	}
	return in
}

// Contains reports whether any member polygon contains p. Points exactly on
// a boundary are decided by the half-open rule in ringParity: the answer is
// deterministic, and along an edge shared by two tiles exactly one of them
// contains the point.
func (m MultiPolygon) Contains(p Point) bool {
	for _, poly := range m {
		if poly.Contains(p) {
			return true
		}
	}
	return false
}

// signedArea is the shoelace area of a ring (positive when counter-
// clockwise). Coordinates are shifted to the ring's first vertex first:
// products of raw ~115° longitudes would cancel away most of the precision of
// a 0.005° grid cell.
func signedArea(r []Point) float64 {
	if len(r) < 3 {
		return 0
	}
	o := r[0]
	s := 0.0
	a := r[len(r)-1]
	for _, b := range r {
		s += (a.Lng-o.Lng)*(b.Lat-o.Lat) - (b.Lng-o.Lng)*(a.Lat-o.Lat)
		a = b
	}
	return s / 2
}

// Area returns the planar area in square degrees: each polygon's outer
// ring minus its holes, regardless of winding direction. A polygon whose
// holes outweigh its outer ring (invalid input) counts as zero rather than
// negative.
func (m MultiPolygon) Area() float64 {
	total := 0.0
	for _, poly := range m {
		a := 0.0
		for i, r := range poly {
			if i == 0 {
				a += math.Abs(signedArea(r))
			} else {
				a -= math.Abs(signedArea(r))
			}
		}
		total += math.Max(a, 0)
	}
	return total
}

// Centroid returns the area centroid (holes subtracted). It can fall outside
// a concave or multi-part shape; use InteriorPoint for a label or a
// "which grid is this" probe. Degenerate shapes fall back to the mean of the
// vertices, and an empty shape yields the zero Point.
func (m MultiPolygon) Centroid() Point {
	var o Point
	found := false
	for _, poly := range m {
		for _, r := range poly {
			if len(r) > 0 {
				o, found = r[0], true
				break
			}
		}
		if found {
			break
		}
	}
	if !found {
		return Point{}
	}
	var sa, sx, sy float64
	var n int
	var mx, my float64
	for _, poly := range m {
		for i, r := range poly {
			if len(r) == 0 {
				continue
			}
			// Holes must subtract whatever their winding, so normalise the
			// sign of each ring's contribution.
			ra := signedArea(r)
			sign := 1.0
			if (ra < 0) != (i > 0) {
				sign = -1
			}
			a := r[len(r)-1]
			for _, b := range r {
				ax, ay := a.Lng-o.Lng, a.Lat-o.Lat
				bx, by := b.Lng-o.Lng, b.Lat-o.Lat
				c := (ax*by - bx*ay) * sign
				sa += c
				sx += (ax + bx) * c
				sy += (ay + by) * c
				a = b
				mx += bx
				my += by
				n++
			}
		}
	}
	if sa == 0 || math.IsNaN(sa) {
		return Point{o.Lng + mx/float64(n), o.Lat + my/float64(n)}
	}
	return Point{o.Lng + sx/(3*sa), o.Lat + sy/(3*sa)}
}

// InteriorPoint returns a point strictly inside m (by Contains) whenever m
// has positive area, chosen away from the boundary where possible: it is
// the middle of the widest horizontal chord of the largest member polygon,
// sampled at latitudes that avoid every vertex. For a shape without area it
// returns the first vertex, and for an empty shape the zero Point.
func (m MultiPolygon) InteriorPoint() Point {
	best := -1
	bestA := 0.0
	for i, poly := range m {
		a := MultiPolygon{poly}.Area()
		if a > bestA {
			best, bestA = i, a
		}
	}
	if best < 0 {
		for _, poly := range m {
			for _, r := range poly {
				if len(r) > 0 {
					return r[0]
				}
			}
		}
		return Point{}
	}
	poly := m[best]
	ys := make([]float64, 0, len(poly[0]))
	for _, r := range poly {
		for _, p := range r {
			ys = append(ys, p.Lat)
		}
	}
	slices.Sort(ys)
	// Candidate scan lines sit halfway between consecutive distinct vertex
	// latitudes, so no scan line passes through a vertex and every
	// crossing is a clean one. Large rings are sampled, not exhausted.
	var lines []float64
	for i := 1; i < len(ys); i++ {
		if ys[i] > ys[i-1] {
			lines = append(lines, ys[i-1]+(ys[i]-ys[i-1])/2)
		}
	}
	if len(lines) > 64 {
		step := float64(len(lines)) / 64
		sampled := make([]float64, 0, 64)
		for k := 0; k < 64; k++ {
			sampled = append(sampled, lines[int(float64(k)*step)])
		}
		lines = sampled
	}
	var xs []float64
	var bestP Point
	bestW := -1.0
	for _, y := range lines {
		xs = xs[:0]
		for _, r := range poly {
			if len(r) < 2 {
				continue
			}
			a := r[len(r)-1]
			for _, b := range r {
				if (a.Lat > y) != (b.Lat > y) {
					xs = append(xs, a.Lng+(y-a.Lat)*(b.Lng-a.Lng)/(b.Lat-a.Lat))
				}
				a = b
			}
		}
		slices.Sort(xs)
		for i := 0; i+1 < len(xs); i += 2 {
			w := xs[i+1] - xs[i]
			if w <= bestW {
				continue
			}
			c := Point{xs[i] + w/2, y}
			// The chord midpoint is inside in exact arithmetic; confirm
			// with the real predicate so the guarantee holds in floats.
			if m.Contains(c) {
				bestW, bestP = w, c
			}
		}
	}
	if bestW < 0 {
		// Only reachable for invalid shapes (e.g. a ring crossing itself
		// so that no chord midpoint is inside): any vertex will do.
		for _, r := range poly {
			if len(r) > 0 {
				return r[0]
			}
		}
	}
	return bestP
}

// earthRadius is the IUGG mean Earth radius in metres.
const earthRadius = 6371008.8

// DistanceMeters returns the great-circle (haversine) distance between two
// WGS-84 points in metres. The spherical model is within 0.5% of the
// ellipsoid, which is ample for "is this report near its grid" checks.
func DistanceMeters(a, b Point) float64 {
	const rad = math.Pi / 180
	la1, la2 := a.Lat*rad, b.Lat*rad
	dLat := la2 - la1
	dLng := (b.Lng - a.Lng) * rad
	s1 := math.Sin(dLat / 2)
	s2 := math.Sin(dLng / 2)
	h := s1*s1 + math.Cos(la1)*math.Cos(la2)*s2*s2
	if h > 1 {
		h = 1
	}
	return 2 * earthRadius * math.Asin(math.Sqrt(h))
}
