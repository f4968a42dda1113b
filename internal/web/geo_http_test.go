package web_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"

	"civicgrid/internal/geo"
	"civicgrid/internal/region"
)

// featureCollection is a parsed GeoJSON answer.
type featureCollection struct {
	Type     string `json:"type"`
	Features []struct {
		Type       string          `json:"type"`
		ID         string          `json:"id"`
		Properties map[string]any  `json:"properties"`
		Geometry   json.RawMessage `json:"geometry"`
	} `json:"features"`
}

func (c *client) regionCounts(code string) (grids, children int) {
	var v struct{ Grids, Children int }
	c.get("/api/v1/regions/" + code).want(http.StatusOK).decode(&v)
	return v.Grids, v.Children
}

// checkChain checks a locate answer: five levels city → grid, each code
// extending its parent's, ending in grid.
func checkChain(t *testing.T, loc location, grid string) {
	t.Helper()
	if loc.Grid.Code != grid {
		t.Errorf("located grid %s, want %s", loc.Grid.Code, grid)
	}
	levels := []region.Level{region.City, region.County, region.Town, region.Village, region.Grid}
	if len(loc.Chain) != len(levels) {
		t.Fatalf("chain has %d elements, want 5: %+v", len(loc.Chain), loc.Chain)
	}
	for i, ref := range loc.Chain {
		if ref.Level != levels[i] || ref.Name == "" {
			t.Errorf("chain[%d] = %+v, want level %s", i, ref, levels[i])
		}
		if i >= 2 && !strings.HasPrefix(ref.Code, loc.Chain[i-1].Code) {
			t.Errorf("chain[%d] %s does not extend %s", i, ref.Code, loc.Chain[i-1].Code)
		}
	}
	if loc.Chain[1].Code[:4] != loc.Chain[0].Code[:4] {
		t.Errorf("county %s not in city %s", loc.Chain[1].Code, loc.Chain[0].Code)
	}
	if loc.Chain[4] != loc.Grid {
		t.Errorf("chain ends in %+v, grid is %+v", loc.Chain[4], loc.Grid)
	}
}

// TestLocateAndGeoJSON: a point inside a demo grid resolves to that grid,
// in WGS-84 and in GCJ-02; a point outside Heze is a 404 problem; a town's
// grids.geojson has exactly as many features as the town has grids.
func TestLocateAndGeoJSON(t *testing.T) {
	e := sharedEnv(t)
	town := e.user(t, "demo_town").RegionCode
	gridCode := e.user(t, "demo_grid").RegionCode
	c := e.as(t, "demo_city")

	r := c.get("/api/v1/regions/" + town + "/grids.geojson").want(http.StatusOK)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/geo+json") {
		t.Errorf("grids.geojson content type %q", ct)
	}
	var fc featureCollection
	r.decode(&fc)
	grids, _ := c.regionCounts(town)
	if fc.Type != "FeatureCollection" {
		t.Fatalf("type %q", fc.Type)
	}
	if len(fc.Features) != grids || grids < 100 {
		t.Errorf("town %s: %d features, region says %d grids", town, len(fc.Features), grids)
	}
	var gridShape geo.MultiPolygon
	seen := map[string]bool{}
	for i, f := range fc.Features {
		code, _ := f.Properties["code"].(string)
		if f.Type != "Feature" || f.Properties["level"] != "grid" || !strings.HasPrefix(code, town) || f.ID != code {
			t.Errorf("feature %d: type %q id %q properties %v", i, f.Type, f.ID, f.Properties)
		}
		if seen[code] {
			t.Errorf("feature %s twice", code)
		}
		seen[code] = true
		var g struct {
			Type        string          `json:"type"`
			Coordinates json.RawMessage `json:"coordinates"`
		}
		if err := json.Unmarshal(f.Geometry, &g); err != nil || (g.Type != "Polygon" && g.Type != "MultiPolygon") {
			t.Errorf("feature %s geometry %.80s", code, f.Geometry)
			continue
		}
		if code == gridCode {
			mp, err := geo.ParseGeometry(f.Geometry)
			if err != nil {
				t.Fatalf("grid %s geometry: %v", code, err)
			}
			gridShape = mp
		}
	}
	if gridShape == nil {
		t.Fatalf("grid %s not among the town's features", gridCode)
	}
	// children.geojson of the town lists its villages.
	var villages featureCollection
	c.get("/api/v1/regions/" + town + "/children.geojson").want(http.StatusOK).decode(&villages)
	if _, kids := c.regionCounts(town); len(villages.Features) != kids || kids == 0 {
		t.Errorf("children.geojson: %d features, region has %d children", len(villages.Features), kids)
	}
	for _, f := range villages.Features {
		if f.Properties["level"] != "village" || f.Properties["parent"] != town {
			t.Errorf("child feature %v", f.Properties)
		}
	}

	p := deepPoint(t, gridShape)
	anon := e.anon(t) // locate is public
	var loc location
	anon.locate(p, "").want(http.StatusOK).decode(&loc)
	checkChain(t, loc, gridCode)
	if math.Abs(loc.Point.Lng-p.Lng) > 1e-9 || math.Abs(loc.Point.Lat-p.Lat) > 1e-9 {
		t.Errorf("wgs84 echo %+v, sent %+v", loc.Point, p)
	}
	anon.locate(p, "wgs84").want(http.StatusOK).decode(&loc)
	checkChain(t, loc, gridCode)

	g := geo.WGSToGCJ(p)
	if geo.DistanceMeters(p, g) < 100 {
		t.Fatalf("GCJ-02 shift of %v is only %.0f m; the test would prove nothing", p, geo.DistanceMeters(p, g))
	}
	var gloc location
	anon.locate(g, "gcj02").want(http.StatusOK).decode(&gloc)
	checkChain(t, gloc, gridCode)
	if d := geo.DistanceMeters(p, geo.Point{Lng: gloc.Point.Lng, Lat: gloc.Point.Lat}); d > 0.5 {
		t.Errorf("GCJ-02 point converted back is %.2f m off", d)
	}
	// The GCJ-02 point read as WGS-84 lands elsewhere (hundreds of metres
	// away), which is why the crs parameter matters.
	var wrong location
	if r := anon.locate(g, ""); r.Status == http.StatusOK {
		r.decode(&wrong)
		if wrong.Grid.Code == gridCode {
			t.Logf("GCJ point taken as WGS-84 still falls in %s (grid larger than the shift)", gridCode)
		}
	}

	// Outside Heze (Beijing; and the open sea).
	for _, pt := range []geo.Point{{Lng: 116.397, Lat: 39.909}, {Lng: 125, Lat: 30}} {
		p := anon.locate(pt, "").wantProblem(http.StatusNotFound, "not_found")
		if p.Detail == e.m.Catalog.T("zh-CN", "err.route") {
			t.Errorf("outside Heze answered as a missing route")
		}
	}
}

// TestImportGeoJSON: a valid village with two grids is written whole and can
// be located; a file with any bad feature writes nothing and names every
// bad feature.
func TestImportGeoJSON(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		c := e.as(t, "demo_city")
		town := e.user(t, "demo_town").RegionCode
		const lng0, lat0 = 117.50, 36.50 // east of Heze, clear of every demo grid

		t.Run("valid", func(t *testing.T) {
			village := town + "991"
			g1, g2 := village+"001", village+"002"
			fc := collection(
				feature(g2, village, "grid", "测试二网格", rectGeom(lng0+0.01, lat0, lng0+0.02, lat0+0.01)),
				feature(village, town, "village", "测试新村", rectGeom(lng0, lat0, lng0+0.02, lat0+0.01)),
				feature(g1, village, "grid", "测试一网格", rectGeom(lng0, lat0, lng0+0.01, lat0+0.01)),
			)
			r := c.postJSON("/api/v1/regions/import", fc)
			if r.Status != http.StatusOK && r.Status != http.StatusCreated {
				t.Fatalf("import: %s", r)
			}
			var res struct{ Features, Created, Updated int }
			r.decode(&res)
			if res.Features != 3 || res.Created != 3 || res.Updated != 0 {
				t.Errorf("import result %+v", res)
			}
			if grids, _ := c.regionCounts(village); grids != 2 {
				t.Errorf("new village has %d grids", grids)
			}
			var loc location
			e.anon(t).locate(geo.Point{Lng: lng0 + 0.015, Lat: lat0 + 0.005}, "").want(http.StatusOK).decode(&loc)
			checkChain(t, loc, g2)
			if loc.Chain[3].Code != village || loc.Chain[2].Code != town {
				t.Errorf("chain %+v", loc.Chain)
			}
			e.anon(t).locate(geo.Point{Lng: lng0 + 0.005, Lat: lat0 + 0.005}, "").want(http.StatusOK).decode(&loc)
			checkChain(t, loc, g1)
			// Importing the same file again updates, creates nothing.
			c.postJSON("/api/v1/regions/import", fc).want(http.StatusOK, http.StatusCreated).decode(&res)
			if res.Created != 0 || res.Updated != 3 {
				t.Errorf("re-import result %+v", res)
			}
		})

		// An existing demo grid to overlap.
		sib := e.node(t, e.user(t, "demo_grid").RegionCode)
		inside := deepPoint(t, sib.Boundary)
		okVillage := town + "992"
		okGrid := okVillage + "001"
		bad := map[string]map[string]any{
			"unclosed ring": feature(okVillage+"002", okVillage, "grid", "未闭合", map[string]any{"type": "Polygon", "coordinates": [][][]float64{{
				{lng0 + 0.1, lat0}, {lng0 + 0.11, lat0}, {lng0 + 0.11, lat0 + 0.01}, {lng0 + 0.1, lat0 + 0.01}, {lng0 + 0.1, lat0 + 0.001},
			}}}),
			"bow-tie": feature(okVillage+"003", okVillage, "grid", "蝴蝶结", map[string]any{"type": "Polygon", "coordinates": [][][]float64{{
				{lng0 + 0.2, lat0}, {lng0 + 0.21, lat0 + 0.01}, {lng0 + 0.21, lat0}, {lng0 + 0.2, lat0 + 0.01}, {lng0 + 0.2, lat0},
			}}}),
			"overlaps a sibling": feature(sib.ParentCode+"990", sib.ParentCode, "grid", "重叠网格", square(inside.Lng, inside.Lat, 0.0002)),
		}
		good := []map[string]any{
			feature(okVillage, town, "village", "不应写入村", rectGeom(lng0, lat0+0.1, lng0+0.3, lat0+0.2)),
			feature(okGrid, okVillage, "grid", "不应写入网格", rectGeom(lng0, lat0+0.1, lng0+0.01, lat0+0.11)),
		}
		nothingWritten := func(t *testing.T, codes ...string) {
			t.Helper()
			for _, code := range codes {
				if _, ok := e.m.Regions.Tree().Get(code); ok {
					t.Errorf("%s is in the tree after a refused import", code)
				}
				c.get("/api/v1/regions/"+code).wantProblem(http.StatusNotFound, "not_found")
			}
			e.anon(t).locate(geo.Point{Lng: lng0 + 0.005, Lat: lat0 + 0.105}, "").wantProblem(http.StatusNotFound, "not_found")
		}
		checkRejected := func(t *testing.T, r *response, badIdx []int, goodIdx []int) {
			t.Helper()
			p := r.wantProblem(http.StatusBadRequest, "invalid")
			named := map[int]bool{}
			for _, pe := range p.Errors {
				var i int
				var rest string
				if _, err := fmt.Sscanf(pe.Field, "features/%d/%s", &i, &rest); err != nil {
					t.Errorf("error field %q does not name a feature", pe.Field)
					continue
				}
				if pe.Detail == "" || !hasHan(pe.Detail) {
					t.Errorf("error detail %q", pe.Detail)
				}
				named[i] = true
			}
			for _, i := range badIdx {
				if !named[i] {
					t.Errorf("bad feature %d not named in errors %+v", i, p.Errors)
				}
			}
			for _, i := range goodIdx {
				if named[i] {
					t.Errorf("good feature %d blamed: %+v", i, p.Errors)
				}
			}
			if len(badIdx) > 0 && !strings.HasPrefix(p.Field, fmt.Sprintf("features/%d/", badIdx[0])) {
				t.Errorf("top-level field %q, want the first bad feature %d", p.Field, badIdx[0])
			}
		}

		for name, f := range bad {
			t.Run(name, func(t *testing.T) {
				r := c.postJSON("/api/v1/regions/import", collection(good[0], good[1], f))
				checkRejected(t, r, []int{2}, []int{0, 1})
				nothingWritten(t, okVillage, okGrid, f["properties"].(map[string]any)["code"].(string))
			})
		}

		t.Run("all three at once", func(t *testing.T) {
			r := c.postJSON("/api/v1/regions/import", collection(bad["unclosed ring"], good[0], bad["bow-tie"], good[1], bad["overlaps a sibling"]))
			checkRejected(t, r, []int{0, 2, 4}, []int{1, 3})
			t.Logf("rejection: %s", r.Body)
			nothingWritten(t, okVillage, okGrid, okVillage+"002", okVillage+"003", sib.ParentCode+"990")
			// The existing grid is untouched and still found.
			var loc location
			e.anon(t).locate(inside, "").want(http.StatusOK).decode(&loc)
			checkChain(t, loc, sib.Code)
		})

		t.Run("gcj02 upload", func(t *testing.T) {
			village := town + "993"
			w := geo.Point{Lng: lng0 + 0.5, Lat: lat0}
			ring := [][]float64{}
			for _, q := range []geo.Point{{Lng: w.Lng, Lat: w.Lat}, {Lng: w.Lng + 0.01, Lat: w.Lat}, {Lng: w.Lng + 0.01, Lat: w.Lat + 0.01}, {Lng: w.Lng, Lat: w.Lat + 0.01}, {Lng: w.Lng, Lat: w.Lat}} {
				g := geo.WGSToGCJ(q)
				ring = append(ring, []float64{g.Lng, g.Lat})
			}
			fc := collection(
				feature(village, town, "village", "火星坐标村", nil),
				feature(village+"001", village, "grid", "火星坐标网格", map[string]any{"type": "Polygon", "coordinates": [][][]float64{ring}}),
			)
			c.postJSON("/api/v1/regions/import?crs=gcj02", fc).want(http.StatusOK, http.StatusCreated)
			var loc location
			e.anon(t).locate(geo.Point{Lng: w.Lng + 0.0005, Lat: w.Lat + 0.0005}, "").want(http.StatusOK).decode(&loc)
			checkChain(t, loc, village+"001")
		})

		t.Run("not a collection", func(t *testing.T) {
			c.postJSON("/api/v1/regions/import", `{"type":"Feature"}`).wantProblem(http.StatusBadRequest, "invalid")
			c.postJSON("/api/v1/regions/import", `{"type":"FeatureCollection","features":[]}`).wantProblem(http.StatusBadRequest, "invalid")
			c.postJSON("/api/v1/regions/import", `not json`).wantProblem(http.StatusBadRequest, "invalid")
		})
	})
}
