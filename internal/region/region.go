// Package region owns the governance structure: the region tree from city to
// grid with GB/T 2260-style codes, grid boundaries, GeoJSON import and export,
// GCJ-02 input, and resolving any point to its grid and the chain above it.
package region

import (
	"strings"

	"civicgrid/internal/errs"
)

// Level is a tier of the tree.
type Level string

const (
	City    Level = "city"
	County  Level = "county" // 县区, and functional zones (开发区) at the same tier
	Town    Level = "town"   // 镇街
	Village Level = "village"
	Grid    Level = "grid"
)

// Levels in order from the top.
var Levels = []Level{City, County, Town, Village, Grid}

// Depth is the tier's position, city = 0.
func (l Level) Depth() int {
	for i, x := range Levels {
		if x == l {
			return i
		}
	}
	return -1
}

// Valid reports whether l is a known level.
func (l Level) Valid() bool { return l.Depth() >= 0 }

// Child is the level directly below l ("" for grids).
func (l Level) Child() Level {
	d := l.Depth()
	if d < 0 || d+1 >= len(Levels) {
		return ""
	}
	return Levels[d+1]
}

// codeLen is the length of a code at each level: 6 digits for county and
// above, +3 for a town, +3 for a village, +3 for a grid under its village.
var codeLen = map[Level]int{City: 6, County: 6, Town: 9, Village: 12, Grid: 15}

// Kind separates administrative regions from functional zones (鲁西新区, 开发区).
type Kind string

const (
	Admin Kind = "admin"
	Zone  Kind = "zone"
)

// Region is one node of the tree as stored.
type Region struct {
	Code       string `json:"code"`
	ParentCode string `json:"parent,omitempty"`
	Name       string `json:"name"`
	Level      Level  `json:"level"`
	Kind       Kind   `json:"kind"`
	Path       string `json:"-"`
	Households int    `json:"households"`
}

// PathFor builds the materialised path of a child of parentPath.
func PathFor(parentPath, code string) string {
	if parentPath == "" {
		return "/" + code + "/"
	}
	return parentPath + code + "/"
}

// ValidateCode checks the code's form for its level and its relation to the
// parent's code. Each problem is an Invalid error on field "code".
func ValidateCode(code string, level Level, parentCode string, parentLevel Level) error {
	n, ok := codeLen[level]
	if !ok {
		return errs.Field("level", "err.region.level")
	}
	if len(code) != n || strings.Trim(code, "0123456789") != "" {
		return errs.Field("code", "err.region.code_form", n)
	}
	switch level {
	case City:
		if parentCode != "" {
			return errs.Field("parent", "err.region.city_parent")
		}
		if !strings.HasSuffix(code, "00") {
			return errs.Field("code", "err.region.city_code")
		}
		return nil
	case County:
		// Functional zones such as 371771 are county-level without sharing
		// the county code pattern, but always sit in the city's 4-digit block.
		if parentLevel != City || parentCode[:4] != code[:4] {
			return errs.Field("code", "err.region.parent_prefix", parentCode)
		}
	default:
		if parentLevel.Depth() != level.Depth()-1 {
			return errs.Field("parent", "err.region.parent_level", parentCode)
		}
		if !strings.HasPrefix(code, parentCode) {
			return errs.Field("code", "err.region.parent_prefix", parentCode)
		}
		if strings.Trim(code[len(parentCode):], "0") == "" {
			return errs.Field("code", "err.region.code_zero")
		}
	}
	return nil
}

// Validate checks the fields that need no other record.
func (r *Region) Validate() error {
	if !r.Level.Valid() {
		return errs.Field("level", "err.region.level")
	}
	if strings.TrimSpace(r.Name) == "" {
		return errs.Field("name", "err.required")
	}
	if len([]rune(r.Name)) > 100 {
		return errs.Field("name", "err.too_long", 100)
	}
	if r.Kind == "" {
		r.Kind = Admin
	}
	if r.Kind != Admin && r.Kind != Zone {
		return errs.Field("kind", "err.region.kind")
	}
	if r.Households < 0 || r.Households > 100000 {
		return errs.Field("households", "err.range", 0, 100000)
	}
	return nil
}

// Ref names a region in a chain.
type Ref struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Level Level  `json:"level"`
}
