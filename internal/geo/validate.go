package geo

import (
	"fmt"
	"math"
)

// Validation and GeoJSON error codes. They are stable identifiers for API
// clients and tests; the messages are for people.
const (
	CodeEmpty            = "empty"               // no polygons, or a polygon without rings
	CodeBadCoordinate    = "bad_coordinate"      // NaN/Inf or outside lng [-180,180], lat [-90,90]
	CodeRingNotClosed    = "ring_not_closed"     // first position differs from the last
	CodeTooFewPoints     = "ring_too_few_points" // fewer than 4 positions / 3 distinct vertices
	CodeZeroArea         = "ring_zero_area"      // all vertices (nearly) collinear
	CodeSelfIntersection = "self_intersection"   // a ring touches or crosses itself
	CodeHoleCrossesOuter = "hole_crosses_outer"  // a hole touches or crosses the outer ring
	CodeHoleOutside      = "hole_outside"        // a hole lies outside the outer ring
	CodeHolesOverlap     = "holes_overlap"       // two holes touch, cross or nest
	CodePolygonsOverlap  = "polygons_overlap"    // two members of a MultiPolygon overlap
	CodeGeoJSONSyntax    = "geojson_syntax"      // not a JSON object
	CodeGeoJSONType      = "geojson_type"        // type is not Polygon / MultiPolygon
	CodeGeoJSONNesting   = "geojson_nesting"     // coordinates nested wrongly
	CodeGeoJSONNumber    = "geojson_number"      // a coordinate is not a number
)

// ValidationError explains why a shape was rejected, in Chinese for the
// grid workers who draw boundaries and in English for logs. Polygon, Ring
// and Vertex are 0-based indexes (Ring 0 is the outer ring) and are -1 when
// they do not apply; the messages count from 1, as people do.
type ValidationError struct {
	Code    string
	Msg     string // zh-CN
	MsgEN   string
	Polygon int
	Ring    int
	Vertex  int
}

func (e *ValidationError) Error() string { return e.MsgEN }

// where renders the location both ways.
func where(poly, ring, vertex int) (zh, en string) {
	if poly >= 0 {
		zh = fmt.Sprintf("第%d个多边形", poly+1)
		en = fmt.Sprintf("polygon %d", poly+1)
	}
	if ring >= 0 {
		if ring == 0 {
			zh += "的外环"
			en += ", outer ring"
		} else {
			zh += fmt.Sprintf("的第%d个内环（洞）", ring)
			en += fmt.Sprintf(", hole %d", ring)
		}
	}
	if vertex >= 0 {
		zh += fmt.Sprintf("第%d个顶点", vertex+1)
		en += fmt.Sprintf(", vertex %d", vertex+1)
	}
	return zh, en
}

func vErr(code string, poly, ring, vertex int, zh, en string) *ValidationError {
	wz, we := where(poly, ring, vertex)
	if wz != "" {
		zh = wz + "：" + zh
		en = we + ": " + en
	}
	return &ValidationError{Code: code, Msg: zh, MsgEN: en, Polygon: poly, Ring: ring, Vertex: vertex}
}

// Validate returns nil when m is a valid MultiPolygon in the OGC sense,
// slightly stricter, or a *ValidationError describing the first problem
// found. The checks, in order: every position finite and in range; every
// ring closed, with at least 3 distinct vertices and non-zero area; no ring
// touching or crossing itself (repeated consecutive positions are tolerated,
// a spike that doubles back is not); holes strictly inside the outer ring
// and apart from each other (unlike OGC, a hole may not touch the outer ring
// even at one point: a grid drawn that way should be split instead); and
// member polygons not overlapping (sharing edges or vertices is allowed).
// Winding order is not checked: RFC 7946 asks writers, not readers, for it.
func (m MultiPolygon) Validate() error {
	if len(m) == 0 {
		return vErr(CodeEmpty, -1, -1, -1, "图形为空，没有任何多边形", "shape is empty: no polygons")
	}
	clean := make([][]Ring, len(m)) // per polygon, rings without repeated positions
	orig := make([][][]int, len(m)) // per polygon and ring, original index of each clean vertex
	for pi, poly := range m {
		if len(poly) == 0 {
			return vErr(CodeEmpty, pi, -1, -1, "多边形没有任何环", "polygon has no rings")
		}
		clean[pi] = make([]Ring, len(poly))
		orig[pi] = make([][]int, len(poly))
		for ri, r := range poly {
			for vi, p := range r {
				if !(p.Lng >= -180 && p.Lng <= 180 && p.Lat >= -90 && p.Lat <= 90) {
					return vErr(CodeBadCoordinate, pi, ri, vi,
						fmt.Sprintf("坐标 (%v, %v) 无效，经度须在 -180 到 180 之间、纬度须在 -90 到 90 之间", p.Lng, p.Lat),
						fmt.Sprintf("coordinate (%v, %v) is invalid: longitude must be in [-180, 180] and latitude in [-90, 90]", p.Lng, p.Lat))
				}
			}
			if len(r) < 4 {
				return vErr(CodeTooFewPoints, pi, ri, -1,
					fmt.Sprintf("环只有%d个坐标点，至少需要4个（3个不同顶点并首尾闭合）", len(r)),
					fmt.Sprintf("ring has %d positions; at least 4 are required (3 distinct vertices plus the closing one)", len(r)))
			}
			if r[0] != r[len(r)-1] {
				return vErr(CodeRingNotClosed, pi, ri, len(r)-1,
					"环未闭合，最后一个点必须与第一个点相同",
					"ring is not closed: the last position must equal the first")
			}
			c, idx := dedupe(r)
			if len(c) < 4 {
				return vErr(CodeTooFewPoints, pi, ri, -1,
					fmt.Sprintf("去掉重复点后环只有%d个不同顶点，至少需要3个", len(c)-1),
					fmt.Sprintf("ring has only %d distinct vertices after removing repeats; at least 3 are required", len(c)-1))
			}
			if zeroArea(c) {
				return vErr(CodeZeroArea, pi, ri, -1, "环的面积为零（所有顶点共线）",
					"ring has zero area (all vertices are collinear)")
			}
			clean[pi][ri], orig[pi][ri] = c, idx
		}
	}
	for pi := range m {
		if err := validateRings(pi, clean[pi], orig[pi]); err != nil {
			return err
		}
	}
	if len(m) > 1 {
		boxes := make([]BBox, len(m))
		for i, poly := range m {
			boxes[i] = MultiPolygon{poly}.BBox()
		}
		for i := range m {
			for j := i + 1; j < len(m); j++ {
				if boxes[i].Intersects(boxes[j]) && Overlaps(MultiPolygon{m[i]}, MultiPolygon{m[j]}) {
					return vErr(CodePolygonsOverlap, j, -1, -1,
						fmt.Sprintf("与第%d个多边形重叠", i+1),
						fmt.Sprintf("overlaps polygon %d", i+1))
				}
			}
		}
	}
	return nil
}

// dedupe drops positions within snapTol of their predecessor, returning the
// cleaned ring (still closed) and each kept vertex's original index. Repeated
// points are harmless to every algorithm here, and GIS exports are full of
// them, so they are not an error; dropping them lets the self-intersection
// test treat every remaining edge as having a real direction.
func dedupe(r Ring) (Ring, []int) {
	c := make(Ring, 0, len(r))
	idx := make([]int, 0, len(r))
	for i, p := range r {
		if len(c) > 0 && near(c[len(c)-1], p) {
			continue
		}
		c = append(c, p)
		idx = append(idx, i)
	}
	// The closing position may have been swallowed by a near-duplicate
	// just before it; restore exact closure.
	if len(c) > 1 && near(c[len(c)-1], c[0]) {
		c[len(c)-1] = c[0]
		idx[len(idx)-1] = len(r) - 1
	} else {
		c = append(c, c[0])
		idx = append(idx, len(r)-1)
	}
	return c, idx
}

func near(a, b Point) bool {
	dx, dy := a.Lng-b.Lng, a.Lat-b.Lat
	return dx*dx+dy*dy <= snapTol*snapTol
}

// zeroArea reports whether every vertex lies within snapTol of one
// straight line, i.e. the ring encloses nothing. It deliberately does not
// look at the signed area, which is also zero for a symmetric bow tie: that
// ring has area, and is reported as a self-intersection instead.
func zeroArea(r Ring) bool {
	o := r[0]
	far, best := o, 0.0
	for _, p := range r {
		dx, dy := p.Lng-o.Lng, p.Lat-o.Lat
		if d := dx*dx + dy*dy; d > best {
			far, best = p, d
		}
	}
	if best == 0 {
		return true
	}
	n := math.Sqrt(best)
	for _, p := range r {
		if math.Abs(orient(o, far, p))/n > snapTol {
			return false
		}
	}
	return true
}

// validateRings checks one polygon's rings (already cleaned) for
// self-intersections, hole/outer contacts and hole placement.
func validateRings(pi int, rings []Ring, orig [][]int) error {
	var segs []seg
	for ri, r := range rings {
		for i := 0; i+1 < len(r); i++ {
			segs = append(segs, newSeg(r[i], r[i+1], pi, ri, i))
		}
	}
	sortSegs(segs)
	// Report the problem with the smallest (ring, edge) so that the
	// message does not depend on sweep order and points at the first place
	// a person reading the ring would meet it.
	var bestX, bestY *seg
	better := func(x, y *seg) bool {
		if bestX == nil {
			return true
		}
		if x.ring != bestX.ring {
			return x.ring < bestX.ring
		}
		if x.edge != bestX.edge {
			return x.edge < bestX.edge
		}
		if y.ring != bestY.ring {
			return y.ring < bestY.ring
		}
		return y.edge < bestY.edge
	}
	sweepSelf(segs, snapTol, func(x, y *seg) bool {
		if x.ring > y.ring || (x.ring == y.ring && x.edge > y.edge) {
			x, y = y, x
		}
		if !ringsConflict(x, y, len(rings[x.ring])-1) {
			return true
		}
		if better(x, y) {
			bestX, bestY = x, y
		}
		return true
	})
	if bestX != nil {
		x, y := bestX, bestY
		ov := orig[x.ring][x.edge]
		ow := orig[y.ring][y.edge]
		switch {
		case x.ring == y.ring:
			return vErr(CodeSelfIntersection, pi, int(x.ring), ov,
				fmt.Sprintf("从该顶点出发的边与从第%d个顶点出发的边相交或接触（环自相交）", ow+1),
				fmt.Sprintf("the edge starting here touches or crosses the edge starting at vertex %d (self-intersection)", ow+1))
		case x.ring == 0:
			return vErr(CodeHoleCrossesOuter, pi, int(y.ring), ow,
				fmt.Sprintf("从该顶点出发的边与外环第%d个顶点出发的边相交或接触", ov+1),
				fmt.Sprintf("the edge starting here touches or crosses the outer ring's edge starting at vertex %d", ov+1))
		default:
			return vErr(CodeHolesOverlap, pi, int(y.ring), ow,
				fmt.Sprintf("从该顶点出发的边与第%d个内环第%d个顶点出发的边相交或接触", x.ring, ov+1),
				fmt.Sprintf("the edge starting here touches or crosses hole %d's edge starting at vertex %d", x.ring, ov+1))
		}
	}
	// With no contacts between rings, each hole lies wholly inside or
	// wholly outside every other ring, so one vertex decides.
	for hi := 1; hi < len(rings); hi++ {
		p := rings[hi][0]
		if !rings[0].Contains(p) {
			return vErr(CodeHoleOutside, pi, hi, -1, "内环（洞）不在外环之内", "hole lies outside the outer ring")
		}
		for hj := 1; hj < len(rings); hj++ {
			if hj != hi && rings[hj].Contains(p) {
				return vErr(CodeHolesOverlap, pi, hi, -1,
					fmt.Sprintf("内环（洞）位于第%d个内环之内", hj),
					fmt.Sprintf("hole lies inside hole %d", hj))
			}
		}
	}
	return nil
}

// ringsConflict reports whether two edges (x before y in ring/edge order)
// meet in a way a valid polygon forbids. nEdges is the edge count of x's
// ring, needed to recognise the closing edge as adjacent to the first.
func ringsConflict(x, y *seg, nEdges int) bool {
	adjacent := x.ring == y.ring && (y.edge == x.edge+1 || (x.edge == 0 && int(y.edge) == nEdges-1))
	if !adjacent {
		return classify(x.a, x.b, y.a, y.b, snapTol).kind != contactNone
	}
	// Consecutive edges always share a vertex. They conflict only when the
	// second doubles back along the first (a spike); a ring of exactly three
	// vertices has every pair adjacent, so both orders are checked.
	var a, b, c Point // a→b then b→c
	if y.edge == x.edge+1 {
		a, b, c = x.a, x.b, y.b
	} else {
		a, b, c = y.a, y.b, x.b
	}
	if (b.Lng-a.Lng)*(c.Lng-b.Lng)+(b.Lat-a.Lat)*(c.Lat-b.Lat) >= 0 {
		return false
	}
	_, cOnAB := project(c, a, b, snapTol)
	_, aOnBC := project(a, b, c, snapTol)
	return cOnAB || aOnBC
}
