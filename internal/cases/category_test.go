package cases

import "testing"

func TestSeedTaxonomy(t *testing.T) {
	subs, codes := 0, map[string]bool{}
	for _, c := range seed {
		if len(c.code) != 2 || codes[c.code] {
			t.Fatalf("class code %q", c.code)
		}
		codes[c.code] = true
		for _, s := range c.subs {
			if len(s.code) != 4 || s.code[:2] != c.code || codes[s.code] || s.days < 1 || s.prio < 1 || s.prio > 3 {
				t.Fatalf("subcategory %+v of %s", s, c.code)
			}
			codes[s.code] = true
			subs++
		}
	}
	if len(seed) != 15 || subs != 80 {
		t.Fatalf("%d classes, %d subcategories; want 15 and 80", len(seed), subs)
	}
}
