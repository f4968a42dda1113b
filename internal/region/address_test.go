package region_test

import (
	"errors"
	"testing"

	"civicgrid/internal/region"
	"civicgrid/internal/region/regiontest"
	"civicgrid/internal/store/storetest"
)

// TestFindAddress places addresses by the region names in them: the
// deepest named region, preferring one whose ancestors are named too, and
// refuses to guess between places of the same name.
func TestFindAddress(t *testing.T) {
	tree := regiontest.Load(t, storetest.OpenSQLite(t)).Tree()
	for _, tc := range []struct {
		addr, code string
		err        error
	}{
		{"单县第2镇幸福路8号", regiontest.CountyA + "002", nil},
		{"  单县 第1镇 0012村 东头  ", regiontest.CountyA + "001002", nil}, // spaces do not matter
		{"单县0012村", regiontest.CountyA + "001002", nil},             // the county settles which 0012村
		{"单县", regiontest.CountyA, nil},
		{"0012村", "", region.ErrAddressAmbiguous}, // in both counties
		{"网格1", "", region.ErrAddressAmbiguous},
		{"北京市朝阳区", "", region.ErrAddressUnknown},
		{"", "", region.ErrAddressUnknown},
	} {
		n, p, err := tree.FindAddress(tc.addr)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("%q: %v, want %v", tc.addr, err, tc.err)
			}
			continue
		}
		if err != nil || n.Code != tc.code {
			t.Errorf("%q: %v %v, want %s", tc.addr, n, err, tc.code)
			continue
		}
		// The point is inside the region found.
		if g, ok := tree.Locate(p); !ok || !inSubtree(g, n) {
			t.Errorf("%q: point %v is not inside %s", tc.addr, p, n.Name)
		}
	}
}

func inSubtree(n, root *region.Node) bool {
	for ; n != nil; n = n.Parent {
		if n == root {
			return true
		}
	}
	return false
}

// FuzzFindAddress: any text gets a region or one of the two errors, never
// a panic, and a region always comes with a point inside it.
func FuzzFindAddress(f *testing.F) {
	for _, s := range []string{"单县第2镇", "0012村", "网格", "县", "单县第1镇0011村网格2", "\x00\xff"} {
		f.Add(s)
	}
	tree := regiontest.Load(f, storetest.OpenSQLite(f)).Tree()
	f.Fuzz(func(t *testing.T, addr string) {
		n, p, err := tree.FindAddress(addr)
		if err != nil {
			if !errors.Is(err, region.ErrAddressUnknown) && !errors.Is(err, region.ErrAddressAmbiguous) {
				t.Fatalf("%q: %v", addr, err)
			}
			return
		}
		if g, ok := tree.Locate(p); !ok || !inSubtree(g, n) {
			t.Fatalf("%q: point %v not inside %s", addr, p, n.Name)
		}
	})
}
