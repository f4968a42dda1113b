package geo

import (
	"cmp"
	"math"
	"slices"
)

// snapTol is the distance in degrees (about 0.1 mm on the ground) below which
// two features are considered to touch. Boundaries drawn in different GIS
// tools, or converted from GCJ-02, put a neighbour's vertex a few ulps to
// either side of a shared edge; without a tolerance such a T-junction would
// read as a crossing and every import of a tiled map would "overlap".
const snapTol = 1e-9

// seg is one ring edge prepared for the sweep.
type seg struct {
	a, b       Point
	minX, maxX float64
	minY, maxY float64
	ring       int32 // index of the ring within its polygon or shape
	edge       int32 // index of the edge within the ring (edge i runs from vertex i to i+1)
	poly       int32 // index of the polygon within its MultiPolygon
}

func newSeg(a, b Point, poly, ring, edge int) seg {
	return seg{
		a: a, b: b,
		minX: math.Min(a.Lng, b.Lng), maxX: math.Max(a.Lng, b.Lng),
		minY: math.Min(a.Lat, b.Lat), maxY: math.Max(a.Lat, b.Lat),
		poly: int32(poly), ring: int32(ring), edge: int32(edge),
	}
}

func sortSegs(s []seg) {
	slices.SortFunc(s, func(x, y seg) int { return cmp.Compare(x.minX, y.minX) })
}

// sweepSelf calls fn for every pair of segments in s (already sorted by
// minX) whose boxes, grown by tol, intersect; fn returns false to stop.
// It is a plain sort-and-sweep: near O(n log n) for polygon boundaries,
// which is what keeps validation of a 20,000-vertex district boundary fast.
func sweepSelf(s []seg, tol float64, fn func(x, y *seg) bool) {
	for i := range s {
		x := &s[i]
		for k := i + 1; k < len(s) && s[k].minX <= x.maxX+tol; k++ {
			y := &s[k]
			if y.minY <= x.maxY+tol && x.minY <= y.maxY+tol {
				if !fn(x, y) {
					return
				}
			}
		}
	}
}

// sweepCross is sweepSelf for pairs taken one from as and one from bs (both
// sorted by minX). fn always receives the as element first.
func sweepCross(as, bs []seg, tol float64, fn func(x, y *seg) bool) {
	i, j := 0, 0
	for i < len(as) && j < len(bs) {
		if as[i].minX <= bs[j].minX {
			x := &as[i]
			for k := j; k < len(bs) && bs[k].minX <= x.maxX+tol; k++ {
				y := &bs[k]
				if y.minY <= x.maxY+tol && x.minY <= y.maxY+tol {
					if !fn(x, y) {
						return
					}
				}
			}
			i++
		} else {
			y := &bs[j]
			for k := i; k < len(as) && as[k].minX <= y.maxX+tol; k++ {
				x := &as[k]
				if y.minY <= x.maxY+tol && x.minY <= y.maxY+tol {
					if !fn(x, y) {
						return
					}
				}
			}
			j++
		}
	}
}

// orient is twice the signed area of triangle abc: positive when c is left
// of a→b.
func orient(a, b, c Point) float64 {
	return (b.Lng-a.Lng)*(c.Lat-a.Lat) - (b.Lat-a.Lat)*(c.Lng-a.Lng)
}

// project returns the parameter t in [0, 1] of the point of segment ab
// nearest to q, and whether q lies within tol of the segment.
func project(q, a, b Point, tol float64) (float64, bool) {
	dx, dy := b.Lng-a.Lng, b.Lat-a.Lat
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = ((q.Lng-a.Lng)*dx + (q.Lat-a.Lat)*dy) / l2
		t = math.Max(0, math.Min(1, t))
	}
	ex := a.Lng + t*dx - q.Lng
	ey := a.Lat + t*dy - q.Lat
	return t, ex*ex+ey*ey <= tol*tol
}

// contact describes how two segments p and q meet.
type contact struct {
	kind   int     // contactNone, contactPoint, contactShared, contactCross
	tp, tq float64 // for contactPoint: where on p and on q
	// For contactShared: the shared stretch on p is [tp0, tp1] and on q is
	// [tq0, tq1] (each ordered low to high).
	tp0, tp1, tq0, tq1 float64
}

const (
	contactNone = iota
	contactPoint
	contactShared
	contactCross
)

// classify reports how segments p1p2 and q1q2 meet, treating anything
// within tol as touching. A proper crossing is one in which no endpoint is
// within tol of the other segment and the endpoints of each lie strictly on
// opposite sides of the other: only then can the interiors on either side
// be told apart reliably.
func classify(p1, p2, q1, q2 Point, tol float64) contact {
	type hit struct {
		pt     Point
		tp, tq float64
	}
	var hits [4]hit
	n := 0
	if t, ok := project(q1, p1, p2, tol); ok {
		hits[n] = hit{q1, t, 0}
		n++
	}
	if t, ok := project(q2, p1, p2, tol); ok {
		hits[n] = hit{q2, t, 1}
		n++
	}
	if t, ok := project(p1, q1, q2, tol); ok {
		hits[n] = hit{p1, 0, t}
		n++
	}
	if t, ok := project(p2, q1, q2, tol); ok {
		hits[n] = hit{p2, 1, t}
		n++
	}
	if n == 0 {
		o1, o2 := orient(p1, p2, q1), orient(p1, p2, q2)
		o3, o4 := orient(q1, q2, p1), orient(q1, q2, p2)
		if ((o1 > 0 && o2 < 0) || (o1 < 0 && o2 > 0)) && ((o3 > 0 && o4 < 0) || (o3 < 0 && o4 > 0)) {
			return contact{kind: contactCross}
		}
		return contact{}
	}
	// Two contacts further apart than tol mean the segments run along each
	// other: a collinear overlap (shared edge).
	c := contact{kind: contactPoint, tp: hits[0].tp, tq: hits[0].tq}
	tp0, tp1, tq0, tq1 := hits[0].tp, hits[0].tp, hits[0].tq, hits[0].tq
	shared := false
	for i := 1; i < n; i++ {
		dx, dy := hits[i].pt.Lng-hits[0].pt.Lng, hits[i].pt.Lat-hits[0].pt.Lat
		if dx*dx+dy*dy > tol*tol {
			shared = true
		}
		tp0, tp1 = math.Min(tp0, hits[i].tp), math.Max(tp1, hits[i].tp)
		tq0, tq1 = math.Min(tq0, hits[i].tq), math.Max(tq1, hits[i].tq)
	}
	if shared {
		return contact{kind: contactShared, tp0: tp0, tp1: tp1, tq0: tq0, tq1: tq1}
	}
	return c
}
