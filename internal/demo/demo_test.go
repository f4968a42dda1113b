package demo

import (
	"testing"

	"civicgrid/internal/geo"
	"civicgrid/internal/region"
)

func TestGenerateShape(t *testing.T) {
	rows, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	count := map[region.Level]int{}
	byCode := map[string]region.Row{}
	for _, r := range rows {
		count[r.Level]++
		if _, dup := byCode[r.Code]; dup {
			t.Fatalf("duplicate code %s", r.Code)
		}
		byCode[r.Code] = r
	}
	if count[region.City] != 1 || count[region.County] != 11 || count[region.Town] != 167 {
		t.Fatalf("real tree: %v", count)
	}
	if g := count[region.Grid]; g < 27000 || g > 31000 {
		t.Fatalf("want about 29,000 grids, got %d", g)
	}
	parentLevel := map[string]region.Level{}
	for _, r := range rows {
		parentLevel[r.Code] = r.Level
	}
	siblings := map[string][]geo.MultiPolygon{}
	for _, r := range rows {
		if err := r.Validate(); err != nil {
			t.Fatalf("%s: %v", r.Code, err)
		}
		if err := region.ValidateCode(r.Code, r.Level, r.ParentCode, parentLevel[r.ParentCode]); err != nil {
			t.Fatalf("%s (%s under %s): %v", r.Code, r.Level, r.ParentCode, err)
		}
		if err := r.Boundary.Validate(); err != nil {
			t.Fatalf("%s boundary: %v", r.Code, err)
		}
		if r.Level == region.Grid || r.Level == region.Town {
			siblings[r.ParentCode] = append(siblings[r.ParentCode], r.Boundary)
		}
		// Every child lies inside its parent's box.
		if p, ok := byCode[r.ParentCode]; ok {
			pb, b := p.Boundary.BBox(), r.Boundary.BBox()
			if b.MinLng < pb.MinLng-1e-9 || b.MaxLng > pb.MaxLng+1e-9 || b.MinLat < pb.MinLat-1e-9 || b.MaxLat > pb.MaxLat+1e-9 {
				t.Fatalf("%s sticks out of %s", r.Code, p.Code)
			}
		}
	}
	checked := 0
	for parent, shapes := range siblings {
		for i := range shapes {
			for j := i + 1; j < len(shapes); j++ {
				if geo.Overlaps(shapes[i], shapes[j]) {
					t.Fatalf("siblings under %s overlap (%d, %d)", parent, i, j)
				}
				checked++
			}
		}
	}
	t.Logf("%v; %d sibling pairs checked", count, checked)
	again, _ := Generate()
	if len(again) != len(rows) || again[len(again)-1].Code != rows[len(rows)-1].Code || again[500].Name != rows[500].Name {
		t.Fatal("Generate is not deterministic")
	}
}

func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		if _, err := Generate(); err != nil {
			b.Fatal(err)
		}
	}
}
