package region

import (
	"sort"

	"civicgrid/internal/geo"
)

// Node is a region in the in-memory tree, with figures rolled up from below.
type Node struct {
	Region
	Parent    *Node
	Children  []*Node
	Boundary  geo.MultiPolygon // nil when the region has none
	Grids     int              // grids in the subtree (1 for a grid)
	SubHouses int              // households in the subtree
	chain     []Ref            // this node and everything above it, top first
}

// Chain is the node and its ancestors, city first.
func (n *Node) Chain() []Ref { return n.chain }

// Tree is an immutable snapshot of the whole region tree with the point
// index over grid boundaries. The service swaps in a new one after a change.
type Tree struct {
	byCode map[string]*Node
	roots  []*Node
	grids  []*Node // index id → grid node
	index  *geo.Index
}

// buildTree links rows into a tree, rolls up counts and builds the index.
// Rows must come parents first (ordered by depth).
func buildTree(rows []*Node) *Tree {
	t := &Tree{byCode: make(map[string]*Node, len(rows))}
	for _, n := range rows {
		t.byCode[n.Code] = n
	}
	for _, n := range rows {
		if p := t.byCode[n.ParentCode]; p != nil && n.ParentCode != "" {
			n.Parent = p
			p.Children = append(p.Children, n)
		} else {
			t.roots = append(t.roots, n)
		}
	}
	var walk func(n *Node, above []Ref)
	walk = func(n *Node, above []Ref) {
		n.chain = append(append(make([]Ref, 0, len(above)+1), above...), Ref{n.Code, n.Name, n.Level})
		sort.Slice(n.Children, func(i, j int) bool { return n.Children[i].Code < n.Children[j].Code })
		n.Grids, n.SubHouses = 0, n.Households
		if n.Level == Grid {
			n.Grids = 1
		}
		for _, c := range n.Children {
			walk(c, n.chain)
			n.Grids += c.Grids
			if n.Level != Grid {
				n.SubHouses += c.SubHouses
			}
		}
		// A region whose households are only known below takes the sum.
		if n.Households == 0 {
			n.Households = n.SubHouses
		}
	}
	sort.Slice(t.roots, func(i, j int) bool { return t.roots[i].Code < t.roots[j].Code })
	for _, r := range t.roots {
		walk(r, nil)
	}
	var items []geo.IndexItem
	for _, n := range rows {
		if n.Level == Grid && n.Boundary != nil {
			items = append(items, geo.IndexItem{ID: int32(len(t.grids)), Shape: n.Boundary})
			t.grids = append(t.grids, n)
		}
	}
	t.index = geo.NewIndex(items)
	return t
}

// Get returns the node with code.
func (t *Tree) Get(code string) (*Node, bool) {
	n, ok := t.byCode[code]
	return n, ok
}

// Roots are the top regions (normally one city).
func (t *Tree) Roots() []*Node { return t.roots }

// Len is the number of regions.
func (t *Tree) Len() int { return len(t.byCode) }

// GridCount is the number of grids with a boundary in the index.
func (t *Tree) GridCount() int { return len(t.grids) }

// Locate finds the grid containing p (WGS-84).
func (t *Tree) Locate(p geo.Point) (*Node, bool) {
	id, ok := t.index.Locate(p)
	if !ok {
		return nil, false
	}
	return t.grids[id], true
}
