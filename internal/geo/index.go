package geo

import (
	"math"
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
// so that a typical shape spans a few dozen cells. At build time every cell
// is classified as
//
//   - empty: no shape touches it, Locate answers "none" at once;
//   - inside shape k: the cell lies strictly inside k and no other shape
//     reaches it, Locate answers k with no geometry at all;
//   - split by one edge: the cell is crossed by a single straight edge (the
//     border between two grids) and nothing else, Locate answers with one
//     cross product against that edge;
//   - mixed: a short list of candidate shapes, each ring-tested in turn
//     (cells holding a vertex, mostly).
//
// On a tiling of 29,000 grids about 59% of lookups are "inside", 35% "split"
// and 6% "mixed". All storage is flat slices indexed by int32, so a lookup
// reads two or three cache lines and allocates nothing.
//
// Locate gives exactly the answer of testing every item's Contains in input
// order, boundary points included; the build leaves a margin around every
// cell and the lookup reuses Contains' own predicates, so no rounding error
// can make the two disagree.
type Index struct {
	// Cell grid. A point maps to cell (cx, cy) by scaling its offset from
	// (minX, minY) by (sx, sy) and truncating; points on the max edge are
	// clamped into the last cell.
	minX, minY, maxX, maxY float64
	sx, sy                 float64
	nx, ny                 int

	// cells[cy*nx+cx] is the cell's class: >= 0 is the index of the item
	// that contains the whole cell, cellEmpty means nothing is there, and
	// any other value v encodes x = -v-2: an even x is a candidate list at
	// cand[x>>1], an odd x the single-edge record edges[x>>1].
	cells []int32
	// cand holds candidate lists back to back: a length n followed by n
	// item indexes in ascending order. A negative entry ^k means "item k
	// contains the whole cell", so it is answered without a test (it is
	// always the last entry: nothing after it could ever be returned).
	// Identical lists are shared between cells.
	cand []int32
	// edges are the cells crossed by exactly one edge: which item lies on
	// each side. Shared by all cells along the same edge.
	edges []ixEdge

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

// ixEdge is one straight edge with its endpoints in the order ringParity
// uses (lower latitude first) and the item on each side, or -1 for none.
// For a horizontal edge "left" means above.
type ixEdge struct {
	lo, hi      Point
	left, right int32
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
// several is reported as the earliest of them. Locate agrees exactly with
// MultiPolygon.Contains for every item, valid or not, except that items
// with NaN or infinite coordinates are kept for Len but never located.
// Shapes are not copied deeply: they are flattened into the index, so the
// caller may reuse or modify them afterwards.
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
		if finite && !box.isEmpty() {
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
	enc := int(-v - 2)
	if enc&1 != 0 {
		e := &ix.edges[enc>>1]
		k := e.right
		if e.lo.Lat == e.hi.Lat {
			if y >= e.lo.Lat {
				k = e.left
			}
		} else {
			if leftOf(e.lo, e.hi, x, y) {
				k = e.left
			}
			if (y < e.lo.Lat || y >= e.hi.Lat) && e.ambiguous(x, y) {
				return ix.locateOwners(e, x, y)
			}
		}
		if k < 0 {
			return 0, false
		}
		return ix.ids[k], true
	}
	off := enc >> 1
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

// ambiguous reports whether the float side test for (x, y) against e could
// differ from the exact one. Inside the edge's latitude range ringParity
// uses the very same float test, so its verdict is the answer by
// definition; outside it ringParity ignores this edge and the answer is
// the exact side, which the float test gives unless the point is within
// rounding distance of the edge's line. The bound is Shewchuk's static
// filter for orient2d (3ε+16ε², rounded up).
func (e *ixEdge) ambiguous(x, y float64) bool {
	a := float64((e.hi.Lng - e.lo.Lng) * (y - e.lo.Lat))
	b := float64((e.hi.Lat - e.lo.Lat) * (x - e.lo.Lng))
	return math.Abs(a-b) <= 4e-16*(math.Abs(a)+math.Abs(b))
}

// locateOwners ring-tests the items on either side of e in input order,
// exactly as Contains would; only they can contain points of the cell.
func (ix *Index) locateOwners(e *ixEdge, x, y float64) (int32, bool) {
	first, second := e.left, e.right
	if second >= 0 && (first < 0 || second < first) {
		first, second = second, first
	}
	for _, k := range [2]int32{first, second} {
		if k >= 0 && ix.itemContains(k, x, y) {
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
	return len(ix.cells)*4 + len(ix.cand)*4 + len(ix.ids)*4 + len(ix.edges)*40 +
		len(ix.items)*48 + len(ix.verts)*16 + len(ix.rings)*12
}
