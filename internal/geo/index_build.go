package geo

import (
	"encoding/binary"
	"math"
	"slices"
)

// sizeGrid picks square cells so that the median item box holds about
// cellsPerItem of them. The median, not the mean, so that one district
// boundary indexed beside the grids cannot coarsen the whole index.
func (ix *Index) sizeGrid(areas []float64, cellsPerItem float64) {
	w, h := ix.maxX-ix.minX, ix.maxY-ix.minY
	// Beyond a few times cellsPerItem cells per item there is nothing to
	// gain, and a degenerate (needle-thin) item could otherwise ask for
	// maxCells cells along one axis.
	limit := math.Min(maxCells, math.Max(1024, 4*cellsPerItem*float64(len(areas))))
	slices.Sort(areas)
	med := areas[len(areas)/2]
	cs := math.Sqrt(med / cellsPerItem)
	if !(cs > 0) {
		cs = math.Max(w, h) / 1024
	}
	if cs > 0 && (w/cs)*(h/cs) > limit {
		cs = math.Sqrt(w * h / limit)
	}
	if cs > 0 && math.Max(w, h)/cs > limit {
		cs = math.Max(w, h) / limit
	}
	ix.nx, ix.ny = 1, 1
	if cs > 0 {
		ix.nx = int(math.Min(math.Ceil(w/cs), limit))
		ix.ny = int(math.Min(math.Ceil(h/cs), limit))
		ix.nx, ix.ny = max(ix.nx, 1), max(ix.ny, 1)
		for float64(ix.nx*ix.ny) > limit {
			// A very thin union: keep the cell count bounded.
			if ix.nx > ix.ny {
				ix.nx = (ix.nx + 1) / 2
			} else {
				ix.ny = (ix.ny + 1) / 2
			}
		}
	}
	if w > 0 {
		ix.sx = float64(ix.nx) / w
	}
	if h > 0 {
		ix.sy = float64(ix.ny) / h
	}
}

// col and row map a coordinate to a clamped cell column / row, exactly as
// Locate does for points inside the bounds.
func (ix *Index) col(x float64) int {
	c := (x - ix.minX) * ix.sx
	if !(c > 0) {
		return 0
	}
	if c >= float64(ix.nx) {
		return ix.nx - 1
	}
	return int(c)
}

func (ix *Index) row(y float64) int {
	r := (y - ix.minY) * ix.sy
	if !(r > 0) {
		return 0
	}
	if r >= float64(ix.ny) {
		return ix.ny - 1
	}
	return int(r)
}

// forEachRing calls fn with each ring of item k and the index in ix.verts
// of the ring's first vertex.
func (ix *Index) forEachRing(k int32, fn func(v0 int32, r []Point)) {
	it := &ix.items[k]
	if it.r0 == it.r1 {
		fn(it.v0, ix.verts[it.v0:it.v1])
		return
	}
	for _, r := range ix.rings[it.r0:it.r1] {
		fn(r.v0, ix.verts[r.v0:r.v1])
	}
}

// Per-item cell marks while rasterising: untouched, touched by several
// edges, or (>= 0) touched by exactly the edge starting at that vertex.
const (
	markNone  = -1
	markMulti = -2
)

// builder holds the scratch state of one fill.
type builder struct {
	ix             *Index
	cw, ch, ex, ey float64 // cell size and the safety margin around a cell
	// One entry per (cell, item) pair: val is item<<1 | fullBit, edge the
	// item's mark for the cell.
	pCell, pVal, pEdge []int32
}

const fullBit = 1

// fill classifies every cell. For each item it marks the cells its edges
// touch (each cell grown by a margin far larger than rounding error, so
// "untouched" is certain) and classifies the untouched cells of its box as
// inside or outside by testing one cell centre per horizontal run:
// neighbouring untouched cells cannot be separated by the boundary. The
// (cell, item) pairs are then bucketed by cell with a counting sort, which
// keeps each cell's items in ascending order with no per-cell allocation.
func (ix *Index) fill(usable []bool) {
	bd := &builder{ix: ix, cw: 1, ch: 1}
	if ix.sx > 0 {
		bd.cw = 1 / ix.sx
	}
	if ix.sy > 0 {
		bd.ch = 1 / ix.sy
	}
	bd.ex, bd.ey = bd.cw*1e-6, bd.ch*1e-6
	// Each item emits at most one pair per cell of its box; reserving that
	// up front avoids regrowing three large slices.
	total := 0
	for k := range ix.items {
		if usable[k] {
			b := &ix.items[k].box
			total += (ix.col(b.MaxLng+bd.ex) - ix.col(b.MinLng-bd.ex) + 1) * (ix.row(b.MaxLat+bd.ey) - ix.row(b.MinLat-bd.ey) + 1)
		}
	}
	bd.pCell = make([]int32, 0, total)
	bd.pVal = make([]int32, 0, total)
	bd.pEdge = make([]int32, 0, total)
	var marks []int32
	for k := range ix.items {
		if usable[k] {
			marks = bd.rasterise(int32(k), marks)
		}
	}

	ncell := ix.nx * ix.ny
	start := make([]int32, ncell+1)
	for _, c := range bd.pCell {
		start[c+1]++
	}
	for i := 1; i <= ncell; i++ {
		start[i] += start[i-1]
	}
	order := make([]int32, len(bd.pCell))
	next := slices.Clone(start[:ncell])
	for i, c := range bd.pCell {
		order[next[c]] = int32(i)
		next[c]++
	}
	next = nil

	ix.cells = make([]int32, ncell)
	lists := make(map[string]int32)
	edges := make(map[[3]int32]int32)
	var list []int32
	var key []byte
	for c := 0; c < ncell; c++ {
		ps := order[start[c]:start[c+1]]
		if len(ps) == 0 {
			ix.cells[c] = cellEmpty
			continue
		}
		if v := bd.pVal[ps[0]]; v&fullBit != 0 {
			// The earliest item covering the cell wins outright.
			ix.cells[c] = v >> 1
			continue
		}
		if e, ok := bd.edgeCell(c, ps); ok {
			ek := [3]int32{bd.pEdge[ps[0]], e.left, e.right}
			idx, seen := edges[ek]
			if !seen {
				idx = int32(len(ix.edges))
				edges[ek] = idx
				ix.edges = append(ix.edges, e)
			}
			ix.cells[c] = -2 - (idx<<1 | 1)
			continue
		}
		list = list[:0]
		for _, p := range ps {
			v := bd.pVal[p]
			if v&fullBit != 0 {
				list = append(list, ^(v >> 1))
				break
			}
			list = append(list, v>>1)
		}
		key = key[:0]
		for _, e := range list {
			key = binary.LittleEndian.AppendUint32(key, uint32(e))
		}
		off, seen := lists[string(key)] // no allocation for the lookup
		if !seen {
			off = int32(len(ix.cand))
			lists[string(key)] = off
			ix.cand = append(ix.cand, int32(len(list)))
			ix.cand = append(ix.cand, list...)
		}
		ix.cells[c] = -2 - off<<1
	}
	ix.cand = slices.Clip(ix.cand)
	ix.edges = slices.Clip(ix.edges)
}

// rasterise emits the (cell, item) pairs of item k; marks is reusable
// scratch, returned for the next call.
func (bd *builder) rasterise(k int32, marks []int32) []int32 {
	ix := bd.ix
	it := &ix.items[k]
	c0, c1 := ix.col(it.box.MinLng-bd.ex), ix.col(it.box.MaxLng+bd.ex)
	r0, r1 := ix.row(it.box.MinLat-bd.ey), ix.row(it.box.MaxLat+bd.ey)
	w := c1 - c0 + 1
	n := w * (r1 - r0 + 1)
	if cap(marks) < n {
		marks = make([]int32, n)
	}
	marks = marks[:n]
	for i := range marks {
		marks[i] = markNone
	}
	mark := func(a, b Point, e int32) {
		rlo, rhi := ix.row(math.Min(a.Lat, b.Lat)-bd.ey), ix.row(math.Max(a.Lat, b.Lat)+bd.ey)
		dx, dy := b.Lng-a.Lng, b.Lat-a.Lat
		for r := rlo; r <= rhi; r++ {
			// Clip the segment to the row's band, grown by the margin.
			ylo := ix.minY + float64(r)*bd.ch - bd.ey
			yhi := ix.minY + float64(r+1)*bd.ch + bd.ey
			xlo, xhi := math.Min(a.Lng, b.Lng), math.Max(a.Lng, b.Lng)
			if dy != 0 {
				t0, t1 := (ylo-a.Lat)/dy, (yhi-a.Lat)/dy
				if t0 > t1 {
					t0, t1 = t1, t0
				}
				t0, t1 = math.Max(t0, 0), math.Min(t1, 1)
				if t0 > t1 {
					continue
				}
				xa, xb := a.Lng+t0*dx, a.Lng+t1*dx
				xlo, xhi = math.Min(xa, xb), math.Max(xa, xb)
			}
			base := (r - r0) * w
			for c := ix.col(xlo - bd.ex); c <= ix.col(xhi+bd.ex); c++ {
				m := &marks[base+c-c0]
				if *m == markNone {
					*m = e
				} else if *m != e {
					*m = markMulti
				}
			}
		}
	}
	ix.forEachRing(k, func(v0 int32, r []Point) {
		for i := 0; i+1 < len(r); i++ {
			mark(r[i], r[i+1], v0+int32(i))
		}
		if len(r) > 1 && r[0] != r[len(r)-1] {
			// ringParity closes rings implicitly; such an edge has no
			// vertex pair in verts, so its cells take the general path.
			mark(r[len(r)-1], r[0], markMulti)
		}
	})
	for r := r0; r <= r1; r++ {
		inside, known := false, false
		cy := ix.minY + (float64(r)+0.5)*bd.ch
		for c := c0; c <= c1; c++ {
			cell := int32(r*ix.nx + c)
			if m := marks[(r-r0)*w+c-c0]; m != markNone {
				known = false
				bd.pCell = append(bd.pCell, cell)
				bd.pVal = append(bd.pVal, k<<1)
				bd.pEdge = append(bd.pEdge, m)
				continue
			}
			if !known {
				inside = ix.itemContains(k, ix.minX+(float64(c)+0.5)*bd.cw, cy)
				known = true
			}
			if inside {
				bd.pCell = append(bd.pCell, cell)
				bd.pVal = append(bd.pVal, k<<1|fullBit)
				bd.pEdge = append(bd.pEdge, markNone)
			}
		}
	}
	return marks
}

// edgeCell decides whether cell c is crossed by a single straight edge and
// nothing else, and if so which item lies on each side. That is the common
// case along the border between two grids, and it turns a lookup there
// into one cross product instead of two ring tests.
//
// Why this agrees exactly with Contains: no other edge comes within the
// margin of the cell, so for points in the cell every other edge's
// contribution to ringParity is exact, and the only inexact decision is the
// one for this edge, which Locate evaluates with the very same expression
// (leftOf on the same canonical endpoints). A horizontal edge is never
// counted by ringParity; the half-open vertex rule puts points on it with
// the item above, which is what "y >= lat" reproduces.
func (bd *builder) edgeCell(c int, ps []int32) (ixEdge, bool) {
	ix := bd.ix
	if len(ps) > 2 {
		return ixEdge{}, false
	}
	for _, p := range ps {
		if bd.pVal[p]&fullBit != 0 || bd.pEdge[p] < 0 {
			return ixEdge{}, false
		}
	}
	e0 := bd.pEdge[ps[0]]
	a, b := ix.verts[e0], ix.verts[e0+1]
	if len(ps) == 2 {
		e1 := bd.pEdge[ps[1]]
		p, q := ix.verts[e1], ix.verts[e1+1]
		if !(a == p && b == q) && !(a == q && b == p) {
			return ixEdge{}, false
		}
	}
	lo, hi := a, b
	if lo.Lat > hi.Lat {
		lo, hi = hi, lo
	}
	horizontal := lo.Lat == hi.Lat
	norm := math.Hypot(hi.Lng-lo.Lng, hi.Lat-lo.Lat)
	// Signed distance of each cell corner from the edge's line, positive on
	// the "left" side (above, for a horizontal edge). The extreme corners
	// are probes for the two sides; both must be well clear of the line.
	cx, cy := c%ix.nx, c/ix.nx
	x0, y0 := ix.minX+float64(cx)*bd.cw, ix.minY+float64(cy)*bd.ch
	var left, right Point
	dMax, dMin := math.Inf(-1), math.Inf(1)
	for i := 0; i < 4; i++ {
		pt := Point{x0 + float64(i&1)*bd.cw, y0 + float64(i>>1)*bd.ch}
		var d float64
		if horizontal {
			d = pt.Lat - lo.Lat
		} else {
			d = ((hi.Lng-lo.Lng)*(pt.Lat-lo.Lat) - (hi.Lat-lo.Lat)*(pt.Lng-lo.Lng)) / norm
		}
		if d > dMax {
			dMax, left = d, pt
		}
		if d < dMin {
			dMin, right = d, pt
		}
	}
	thr := 1e-3 * math.Min(bd.cw, bd.ch)
	if !(dMax > thr && dMin < -thr) {
		return ixEdge{}, false
	}
	e := ixEdge{lo: lo, hi: hi, left: -1, right: -1}
	for _, p := range ps {
		k := bd.pVal[p] >> 1
		inL, inR := ix.itemContains(k, left.Lng, left.Lat), ix.itemContains(k, right.Lng, right.Lat)
		if inL && inR {
			return ixEdge{}, false
		}
		if inL {
			if e.left >= 0 {
				return ixEdge{}, false
			}
			e.left = k
		}
		if inR {
			if e.right >= 0 {
				return ixEdge{}, false
			}
			e.right = k
		}
	}
	if e.left < 0 && e.right < 0 {
		return ixEdge{}, false
	}
	return e, true
}
