package region

import (
	"errors"
	"strings"
	"unicode/utf8"

	"civicgrid/internal/geo"
)

// Address lookups have no outside geocoder (the platform never calls the
// internet): an address is placed by the region names it contains.
var (
	// ErrAddressUnknown: the address names no region.
	ErrAddressUnknown = errors.New("region: the address names no known region")
	// ErrAddressAmbiguous: it names regions of the same name in different places.
	ErrAddressAmbiguous = errors.New("region: the address could be in more than one place")
)

// FindAddress places a free-text address such as "单县园艺街道三号楼东侧"
// by the names of regions in it: the deepest region whose name appears,
// preferring one whose ancestors are named too (兴华社区 under the 北城街道
// the address also names). It returns the region and a point inside it,
// which is only as precise as that region. Names of one character are
// ignored; when two equally good regions share a name, it says so rather
// than guess.
func (t *Tree) FindAddress(addr string) (*Node, geo.Point, error) {
	addr = strings.Join(strings.Fields(addr), "")
	if addr == "" {
		return nil, geo.Point{}, ErrAddressUnknown
	}
	matched := map[*Node]bool{}
	for _, n := range t.byCode {
		if utf8.RuneCountInString(n.Name) >= 2 && strings.Contains(addr, n.Name) {
			matched[n] = true
		}
	}
	var best *Node
	bestScore, tie := -1, false
	for n := range matched {
		score := 0
		for p := n; p != nil; p = p.Parent {
			if matched[p] {
				score++
			}
		}
		// More named ancestors first, then deeper, then (for a stable
		// answer) the lower code; a tie on the first two is ambiguous.
		switch {
		case best == nil || score > bestScore || score == bestScore && n.Level.Depth() > best.Level.Depth():
			best, bestScore, tie = n, score, false
		case score == bestScore && n.Level.Depth() == best.Level.Depth():
			tie = true
		}
	}
	if best == nil {
		return nil, geo.Point{}, ErrAddressUnknown
	}
	if tie {
		return nil, geo.Point{}, ErrAddressAmbiguous
	}
	for n := best; n != nil; {
		if n.Boundary != nil {
			return best, n.Boundary.InteriorPoint(), nil
		}
		if len(n.Children) == 0 {
			break
		}
		n = n.Children[0]
	}
	return nil, geo.Point{}, ErrAddressUnknown
}

// FindAddress is Tree.FindAddress on the current tree, giving the name of
// the region found.
func (s *Service) FindAddress(addr string) (name string, p geo.Point, err error) {
	n, p, err := s.Tree().FindAddress(addr)
	if err != nil {
		return "", p, err
	}
	return n.Name, p, nil
}
