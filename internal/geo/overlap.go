package geo

import (
	"cmp"
	"math"
	"slices"
)

// Overlaps reports whether the interiors of a and b intersect.
//
// Tiling neighbours do not overlap: sharing an edge, a vertex, or a
// T-junction (a vertex of one lying on an edge of the other) is contact,
// not overlap, and so is any contact within about 0.1 mm (snapTol), because
// independently digitised neighbours never agree to the last bit.
// Identical shapes overlap, and so does one containing the other.
//
// The method: any proper crossing of the two boundaries means overlap. If
// there is none, each boundary is cut at every contact with the other; a
// stretch between contacts lies entirely inside or entirely outside the
// other shape, so one midpoint per stretch decides it. If no boundary
// stretch of either shape lies inside the other, the interiors can still
// coincide only where a whole member polygon of a equals one of b, which an
// interior point of each member settles.
func Overlaps(a, b MultiPolygon) bool {
	ba, bb := a.BBox(), b.BBox()
	if !(ba.MinLng < bb.MaxLng && bb.MinLng < ba.MaxLng && ba.MinLat < bb.MaxLat && bb.MinLat < ba.MaxLat) {
		return false // disjoint or touching boxes cannot share interior
	}
	sa, sb := shapeSegs(a), shapeSegs(b)
	if len(sa) == 0 || len(sb) == 0 {
		return false
	}
	sortSegs(sa)
	sortSegs(sb)

	var evA, evB []cutEvent
	crossed := false
	sweepCross(sa, sb, snapTol, func(x, y *seg) bool {
		c := classify(x.a, x.b, y.a, y.b, snapTol)
		switch c.kind {
		case contactCross:
			crossed = true
			return false
		case contactPoint:
			evA = append(evA, cutEvent{x.poly, x.ring, x.edge, c.tp, 0})
			evB = append(evB, cutEvent{y.poly, y.ring, y.edge, c.tq, 0})
		case contactShared:
			evA = append(evA, cutEvent{x.poly, x.ring, x.edge, c.tp0, +1}, cutEvent{x.poly, x.ring, x.edge, c.tp1, -1})
			evB = append(evB, cutEvent{y.poly, y.ring, y.edge, c.tq0, +1}, cutEvent{y.poly, y.ring, y.edge, c.tq1, -1})
		}
		return true
	})
	if crossed {
		return true
	}
	if boundaryInside(a, evA, b, bb) || boundaryInside(b, evB, a, ba) {
		return true
	}
	for _, poly := range a {
		if part := (MultiPolygon{poly}); part.Area() > 0 && b.Contains(part.InteriorPoint()) {
			return true
		}
	}
	for _, poly := range b {
		if part := (MultiPolygon{poly}); part.Area() > 0 && a.Contains(part.InteriorPoint()) {
			return true
		}
	}
	return false
}

// shapeSegs lists the non-degenerate edges of every ring of m.
func shapeSegs(m MultiPolygon) []seg {
	n := 0
	for _, poly := range m {
		for _, r := range poly {
			n += len(r)
		}
	}
	s := make([]seg, 0, n)
	for pi, poly := range m {
		for ri, r := range poly {
			for i := 0; i+1 < len(r); i++ {
				if r[i] != r[i+1] {
					s = append(s, newSeg(r[i], r[i+1], pi, ri, i))
				}
			}
		}
	}
	return s
}

// cutEvent marks a contact on one edge at parameter t: a single touch
// (delta 0) or the start (+1) or end (-1) of a stretch shared with the other
// shape's boundary.
type cutEvent struct {
	poly, ring, edge int32
	t                float64
	delta            int
}

func compareEvents(x, y cutEvent) int {
	if c := cmp.Compare(x.poly, y.poly); c != 0 {
		return c
	}
	if c := cmp.Compare(x.ring, y.ring); c != 0 {
		return c
	}
	if c := cmp.Compare(x.edge, y.edge); c != 0 {
		return c
	}
	if c := cmp.Compare(x.t, y.t); c != 0 {
		return c
	}
	return cmp.Compare(y.delta, x.delta) // open shared stretches before closing
}

// boundaryInside walks every ring of m edge by edge, cutting at the contact
// events, and reports whether some stretch not shared with other's boundary
// lies inside other. Only the first stretch after each contact (and the
// first of each ring) is tested: between contacts the boundary cannot
// change sides.
func boundaryInside(m MultiPolygon, ev []cutEvent, other MultiPolygon, ob BBox) bool {
	slices.SortFunc(ev, compareEvents)
	k := 0
	for pi, poly := range m {
		for ri, r := range poly {
			need := true // first stretch of the ring must be tested
			depth := 0   // open shared stretches
			for ei := 0; ei+1 < len(r); ei++ {
				a, b := r[ei], r[ei+1]
				if a == b {
					continue
				}
				// Stretches shorter than the tolerance are within snapTol
				// of a contact everywhere, so they count as boundary.
				minDT := 2 * snapTol / math.Hypot(b.Lng-a.Lng, b.Lat-a.Lat)
				t0 := 0.0
				for {
					// Next cut on this edge, or its end.
					t1 := 1.0
					hasEv := k < len(ev) && ev[k].poly == int32(pi) && ev[k].ring == int32(ri) && ev[k].edge == int32(ei)
					if hasEv {
						t1 = ev[k].t
					}
					if t1-t0 > minDT && depth == 0 && need {
						tm := t0 + (t1-t0)/2
						mp := Point{a.Lng + tm*(b.Lng-a.Lng), a.Lat + tm*(b.Lat-a.Lat)}
						if ob.ContainsPoint(mp) && other.Contains(mp) {
							return true
						}
						need = false
					}
					if !hasEv {
						break
					}
					for k < len(ev) && ev[k].poly == int32(pi) && ev[k].ring == int32(ri) && ev[k].edge == int32(ei) && ev[k].t == t1 {
						depth += ev[k].delta
						k++
					}
					need = true
					t0 = t1
				}
			}
		}
	}
	return false
}
