package geo

import (
	"encoding/binary"
	"math"
	"slices"
)

// IndexItem is one shape to index, typically a grid's boundary keyed by the
// grid's database id.
type IndexItem struct {
	ID    int32
	Shape MultiPolygon
}

// Index answers "which grid contains this point" for a fixed set of shapes.
// It is immutable once built, so any number of goroutines may call Locate
// concurrently; rebuild and swap the pointer to change it.
//
// Layout: a uniform grid of cells over the union of the shapes' boxes, sized
// so that an average shape spans a few dozen cells. At build time every cell
// is classified as
//
//   - empty: no shape touches it, Locate answers "none" at once;
//   - inside shape k: the cell lies strictly inside k and no other shape
//     reaches it, Locate answers k with no geometry at all;
//   - mixed: a short list of candidate shapes, each ring-tested in turn.
//
// With shapes tiling the plane most lookups land in "inside" cells, and the
// rest test one or two quadrilaterals. All storage is flat slices indexed by
// int32, so a lookup touches three or four cache lines and allocates
// nothing.
type Index struct {
	// Cell grid. A point maps to cell (cx, cy) by scaling its offset from
	// (minX, minY) by (sx, sy) and truncating; points on the max edge are
	// clamped into the last cell.
	minX, minY, maxX, maxY float64
	sx, sy                 float64
	nx, ny                 int

	// cells[cy*nx+cx] is the cell's class: >= 0 is the index of the item
	// that fully contains the cell, cellEmpty means nothing is there, and
	// any other negative value v is a candidate list starting at
	// cand[-v-2].
	cells []int32
	// cand holds candidate lists back to back: a length n followed by n
	// item indexes in ascending order. A negative entry ^k means "item k
	// contains the whole cell", so it is answered without a test (it is
	// always the last entry: nothing after it could ever be returned).
	// Identical lists are shared between cells.
	cand []int32

	items []ixItem
	verts []Point
	rings []ixRing
	ids   []int32
}

const cellEmpty = -1

// ixItem is an item's geometry in the flat arrays. Almost every grid is a
// single ring; for those the ring is verts[v0:v1] and r0 == r1, which saves
// an indirection on the hot path. Other shapes list their rings in
// rings[r0:r1].
type ixItem struct {
	box    BBox
	v0, v1 int32
	r0, r1 int32
}

// ixRing is one ring of a multi-ring item; first marks the outer ring of
// each member polygon, where the even-odd parity restarts.
type ixRing struct {
	v0, v1 int32
	first  bool
}

// Tuning. cellsPerItem is the target number of cells per typical (median)
// item box: more cells make more lookups answerable without geometry but
// cost memory and build time. maxCells caps the grid at 16 MB whatever the
// input looks like.
const (
	defaultCellsPerItem = 36
	maxCells            = 1 << 22
)

// NewIndex builds an index over items. Item order matters only for shapes
// that overlap (which validated sibling grids do not): a point inside
// several is reported as the earliest of them. Items with no area or with
// non-finite coordinates are kept for Len but are never located.
func NewIndex(items []IndexItem) *Index {
	return newIndex(items, defaultCellsPerItem)
}

func newIndex(items []IndexItem, cellsPerItem float64) *Index {
	ix := &Index{
		items: make([]ixItem, len(items)),
		ids:   make([]int32, len(items)),
	}
	nv := 0
	for _, it := range items {
		for _, poly := range it.Shape {
			for _, r := range poly {
				nv += len(r)
			}
		}
	}
	ix.verts = make([]Point, 0, nv)
	union := emptyBox()
	var areas []float64
	usable := make([]bool, len(items))
	for k, it := range items {
		ix.ids[k] = it.ID
		single := len(it.Shape) == 1 && len(it.Shape[0]) == 1
		item := ixItem{v0: int32(len(ix.verts)), r0: int32(len(ix.rings))}
		box := emptyBox()
		finite := true
		for _, poly := range it.Shape {
			for ri, r := range poly {
				rv0 := int32(len(ix.verts))
				for _, p := range r {
					if math.IsNaN(p.Lng) || math.IsInf(p.Lng, 0) || math.IsNaN(p.Lat) || math.IsInf(p.Lat, 0) {
						finite = false
					}
					box.extend(p)
				}
				ix.verts = append(ix.verts, r...)
				if !single {
					ix.rings = append(ix.rings, ixRing{v0: rv0, v1: int32(len(ix.verts)), first: ri == 0})
				}
			}
		}
		item.v1 = int32(len(ix.verts))
		item.r1 = int32(len(ix.rings))
		if finite && !box.isEmpty() && it.Shape.Area() > 0 {
			item.box = box
			usable[k] = true
			union = union.Union(box)
			areas = append(areas, (box.MaxLng-box.MinLng)*(box.MaxLat-box.MinLat))
		} else {
			// An inverted box fails every bounds check in itemContains.
			item.box = emptyBox()
		}
		ix.items[k] = item
	}
	if len(areas) == 0 {
		ix.minX, ix.minY, ix.maxX, ix.maxY = math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		return ix
	}
	ix.minX, ix.minY, ix.maxX, ix.maxY = union.MinLng, union.MinLat, union.MaxLng, union.MaxLat
	ix.sizeGrid(areas, cellsPerItem)
	ix.fill(usable)
	return ix
}

// sizeGrid picks square cells so that the median item box holds about
// cellsPerItem of them. The median, not the mean, so that one district
// boundary indexed beside the grids cannot coarsen the whole index.
func (ix *Index) sizeGrid(areas []float64, cellsPerItem float64) {
	w, h := ix.maxX-ix.minX, ix.maxY-ix.minY
	slices.Sort(areas)
	med := areas[len(areas)/2]
	cs := math.Sqrt(med / cellsPerItem)
	if !(cs > 0) {
		cs = math.Max(w, h) / 1024
	}
	if cs > 0 && (w/cs)*(h/cs) > maxCells {
		cs = math.Sqrt(w * h / maxCells)
	}
	ix.nx, ix.ny = 1, 1
	if cs > 0 {
		ix.nx = int(math.Min(math.Ceil(w/cs), maxCells))
		ix.ny = int(math.Min(math.Ceil(h/cs), maxCells))
		ix.nx, ix.ny = max(ix.nx, 1), max(ix.ny, 1)
		for ix.nx*ix.ny > maxCells {
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
// Locate does.
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

// fill classifies every cell. For each item it marks the cells its edges
// touch (grown by a margin far larger than rounding error, so "untouched"
// is certain), and classifies the untouched cells of its box as inside or
// outside by testing one cell centre per horizontal run: neighbouring
// untouched cells cannot be separated by the boundary. The (cell, item)
// pairs are then bucketed by cell with a counting sort, which keeps each
// cell's items in ascending order without any per-cell allocation.
func (ix *Index) fill(usable []bool) {
	cw, ch := 1.0, 1.0
	if ix.sx > 0 {
		cw = 1 / ix.sx
	}
	if ix.sy > 0 {
		ch = 1 / ix.sy
	}
	ex, ey := cw*1e-6, ch*1e-6

	const fullBit = 1
	var pairCell, pairVal []int32 // pairVal = item<<1 | fullBit
	var touched []bool
	for k := range ix.items {
		if !usable[k] {
			continue
		}
		it := &ix.items[k]
		c0, c1 := ix.col(it.box.MinLng-ex), ix.col(it.box.MaxLng+ex)
		r0, r1 := ix.row(it.box.MinLat-ey), ix.row(it.box.MaxLat+ey)
		w := c1 - c0 + 1
		n := w * (r1 - r0 + 1)
		if cap(touched) < n {
			touched = make([]bool, n)
		}
		touched = touched[:n]
		clear(touched)
		mark := func(a, b Point) {
			rlo, rhi := ix.row(math.Min(a.Lat, b.Lat)-ey), ix.row(math.Max(a.Lat, b.Lat)+ey)
			dx, dy := b.Lng-a.Lng, b.Lat-a.Lat
			for r := rlo; r <= rhi; r++ {
				ylo := ix.minY + float64(r)*ch - ey
				yhi := ix.minY + float64(r+1)*ch + ey
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
				for c := ix.col(xlo - ex); c <= ix.col(xhi+ex); c++ {
					touched[base+c-c0] = true
				}
			}
		}
		ix.forEachRing(int32(k), func(r []Point) {
			for i := 0; i+1 < len(r); i++ {
				mark(r[i], r[i+1])
			}
			if len(r) > 1 && r[0] != r[len(r)-1] {
				mark(r[len(r)-1], r[0]) // ringParity closes rings implicitly
			}
		})
		for r := r0; r <= r1; r++ {
			inside, known := false, false
			cy := ix.minY + (float64(r)+0.5)*ch
			for c := c0; c <= c1; c++ {
				cell := int32(r*ix.nx + c)
				if touched[(r-r0)*w+c-c0] {
					known = false
					pairCell = append(pairCell, cell)
					pairVal = append(pairVal, int32(k)<<1)
					continue
				}
				if !known {
					inside = ix.itemContains(int32(k), ix.minX+(float64(c)+0.5)*cw, cy)
					known = true
				}
				if inside {
					pairCell = append(pairCell, cell)
					pairVal = append(pairVal, int32(k)<<1|fullBit)
				}
			}
		}
	}

	ncell := ix.nx * ix.ny
	start := make([]int32, ncell+1)
	for _, c := range pairCell {
		start[c+1]++
	}
	for i := 1; i <= ncell; i++ {
		start[i] += start[i-1]
	}
	byCell := make([]int32, len(pairVal))
	next := slices.Clone(start[:ncell])
	for i, c := range pairCell {
		byCell[next[c]] = pairVal[i]
		next[c]++
	}
	pairCell, pairVal, next = nil, nil, nil

	ix.cells = make([]int32, ncell)
	shared := make(map[string]int32)
	var list []int32
	var key []byte
	for c := 0; c < ncell; c++ {
		entries := byCell[start[c]:start[c+1]]
		if len(entries) == 0 {
			ix.cells[c] = cellEmpty
			continue
		}
		if entries[0]&fullBit != 0 {
			ix.cells[c] = entries[0] >> 1
			continue
		}
		list = list[:0]
		for _, e := range entries {
			if e&fullBit != 0 {
				list = append(list, ^(e >> 1))
				break
			}
			list = append(list, e>>1)
		}
		key = key[:0]
		for _, e := range list {
			key = binary.LittleEndian.AppendUint32(key, uint32(e))
		}
		off, ok := shared[string(key)] // no allocation for the lookup
		if !ok {
			off = int32(len(ix.cand))
			shared[string(key)] = off
			ix.cand = append(ix.cand, int32(len(list)))
			ix.cand = append(ix.cand, list...)
		}
		ix.cells[c] = -off - 2
	}
	ix.cand = slices.Clip(ix.cand)
}

// forEachRing calls fn with each ring of item k.
func (ix *Index) forEachRing(k int32, fn func([]Point)) {
	it := &ix.items[k]
	if it.r0 == it.r1 {
		fn(ix.verts[it.v0:it.v1])
		return
	}
	for _, r := range ix.rings[it.r0:it.r1] {
		fn(ix.verts[r.v0:r.v1])
	}
}

// itemContains is MultiPolygon.Contains on the flat layout. It calls the
// same ringParity on the same vertices in the same order, so the index
// agrees with Contains bit for bit, boundary points included.
func (ix *Index) itemContains(k int32, x, y float64) bool {
	it := &ix.items[k]
	if !(x >= it.box.MinLng && x <= it.box.MaxLng && y >= it.box.MinLat && y <= it.box.MaxLat) {
		return false
	}
	if it.r0 == it.r1 {
		return ringParity(ix.verts[it.v0:it.v1], x, y)
	}
	in := false
	for _, r := range ix.rings[it.r0:it.r1] {
		if r.first {
			if in {
				return true
			}
			in = false
		}
		if ringParity(ix.verts[r.v0:r.v1], x, y) {
			in = !in
		}
	}
	return in
}

// Locate returns the ID of the item containing p. If several contain it
// (overlapping input), the earliest in NewIndex's input wins; points on a
// shared edge go to exactly one neighbour, as with Contains.
func (ix *Index) Locate(p Point) (id int32, ok bool) {
	x, y := p.Lng, p.Lat
	// Written so that NaN fails too.
	if !(x >= ix.minX && x <= ix.maxX && y >= ix.minY && y <= ix.maxY) {
		return 0, false
	}
	cx := int((x - ix.minX) * ix.sx)
	if cx >= ix.nx {
		cx = ix.nx - 1
	}
	cy := int((y - ix.minY) * ix.sy)
	if cy >= ix.ny {
		cy = ix.ny - 1
	}
	v := ix.cells[cy*ix.nx+cx]
	if v >= 0 {
		return ix.ids[v], true
	}
	if v == cellEmpty {
		return 0, false
	}
	off := int(-v - 2)
	n := int(ix.cand[off])
	for _, k := range ix.cand[off+1 : off+1+n] {
		if k < 0 {
			return ix.ids[^k], true
		}
		if ix.itemContains(k, x, y) {
			return ix.ids[k], true
		}
	}
	return 0, false
}

// Len returns the number of items the index was built from, including any
// that can never be located.
func (ix *Index) Len() int { return len(ix.items) }

// MemoryBytes is the approximate heap footprint of the index, for logs and
// capacity planning.
func (ix *Index) MemoryBytes() int {
	return len(ix.cells)*4 + len(ix.cand)*4 + len(ix.ids)*4 +
		len(ix.items)*48 + len(ix.verts)*16 + len(ix.rings)*12
}
