package region_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/geo"
	"civicgrid/internal/region"
	"civicgrid/internal/region/regiontest"
	"civicgrid/internal/store"
	"civicgrid/internal/store/storetest"
)

func TestValidateCode(t *testing.T) {
	for _, tc := range []struct {
		code        string
		level       region.Level
		parent      string
		parentLevel region.Level
		ok          bool
	}{
		{"371700", region.City, "", "", true},
		{"371701", region.City, "", "", false},
		{"371722", region.County, "371700", region.City, true},
		{"371771", region.County, "371700", region.City, true}, // functional zone
		{"372722", region.County, "371700", region.City, false},
		{"371722001", region.Town, "371722", region.County, true},
		{"371721001", region.Town, "371722", region.County, false},
		{"371722000", region.Town, "371722", region.County, false},
		{"37172200", region.Town, "371722", region.County, false},
		{"371722001201", region.Village, "371722001", region.Town, true},
		{"371722001201001", region.Grid, "371722001201", region.Village, true},
		{"371722001201001", region.Grid, "371722001", region.Town, false},
		{"37172200120100a", region.Grid, "371722001201", region.Village, false},
	} {
		err := region.ValidateCode(tc.code, tc.level, tc.parent, tc.parentLevel)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateCode(%s, %s, %s): %v, want ok=%v", tc.code, tc.level, tc.parent, err, tc.ok)
		}
	}
}

func TestTreeLocateAndCounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := regiontest.Load(t, db)
		tr := s.Tree()
		city, _ := tr.Get(regiontest.City)
		if city.Grids != 16 || city.Households != 1600 {
			t.Fatalf("city rollup: %d grids, %d households", city.Grids, city.Households)
		}
		loc, err := s.Locate(geo.Point{Lng: 116.1, Lat: 34.2}, region.WGS84)
		if err != nil || loc.Grid.Code != regiontest.GridA1a1 || len(loc.Chain) != 5 || loc.Chain[1].Code != regiontest.CountyA {
			t.Fatalf("locate: %+v %v", loc, err)
		}
		gcj := geo.WGSToGCJ(geo.Point{Lng: 116.1, Lat: 34.2})
		loc2, err := s.Locate(gcj, region.GCJ02)
		if err != nil || loc2.Grid.Code != loc.Grid.Code {
			t.Fatalf("gcj locate: %+v %v", loc2, err)
		}
		if _, err := s.Locate(geo.Point{Lng: 120, Lat: 30}, region.WGS84); !errs.Is(err, errs.NotFound) {
			t.Fatalf("outside: %v", err)
		}
		if _, err := s.Locate(geo.Point{Lng: 200, Lat: 30}, region.WGS84); !errs.Is(err, errs.Invalid) {
			t.Fatalf("bad lng: %v", err)
		}
	})
}

func actor(role auth.Role, path string) auth.Actor {
	return auth.Actor{UserID: "u-" + string(role), Username: string(role), Role: role, RegionPath: path}
}

func fc(features ...string) *bytes.Reader {
	return bytes.NewReader([]byte(`{"type":"FeatureCollection","features":[` + strings.Join(features, ",") + `]}`))
}

func feature(code, parent, level string, ring string) string {
	geom := "null"
	if ring != "" {
		geom = `{"type":"Polygon","coordinates":[` + ring + `]}`
	}
	return fmt.Sprintf(`{"type":"Feature","properties":{"code":%q,"name":"新%s","parent":%q,"level":%q},"geometry":%s}`, code, code, parent, level, geom)
}

func TestImportAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := regiontest.Load(t, db)
		admin := actor(auth.CityAdmin, "/371700/")
		// A new village in town A2 (116.5–117.0) with two grids tiling its south-east corner.
		village := feature("371722002003", regiontest.TownA2, "village", "")
		g1 := feature("371722002003001", "371722002003", "grid", "[[116.5,34.0],[116.6,34.0],[116.6,34.1],[116.5,34.1],[116.5,34.0]]")
		g2 := feature("371722002003002", "371722002003", "grid", "[[116.6,34.0],[116.7,34.0],[116.7,34.1],[116.6,34.1],[116.6,34.0]]")
		res, err := s.Import(ctx, admin, fc(village, g1, g2), region.WGS84)
		if err != nil || res.Created != 3 {
			t.Fatalf("import: %+v %v", res, err)
		}
		if n, ok := s.Tree().Get("371722002003"); !ok || n.Grids != 2 {
			t.Fatal("imported village missing from the tree")
		}
		// Bad file: one good grid, an unclosed ring, a bow-tie, an overlap.
		good := feature("371722002003003", "371722002003", "grid", "[[116.7,34.0],[116.8,34.0],[116.8,34.1],[116.7,34.1],[116.7,34.0]]")
		open := feature("371722002003004", "371722002003", "grid", "[[116.8,34.0],[116.9,34.0],[116.9,34.1],[116.8,34.1]]")
		bow := feature("371722002003005", "371722002003", "grid", "[[116.8,34.2],[116.9,34.3],[116.9,34.2],[116.8,34.4],[116.8,34.2]]")
		overlap := feature("371722002003006", "371722002003", "grid", "[[116.55,34.05],[116.65,34.05],[116.65,34.15],[116.55,34.15],[116.55,34.05]]")
		_, err = s.Import(ctx, admin, fc(good, open, bow, overlap), region.WGS84)
		e := errs.As(err)
		if e.Code != errs.Invalid || len(e.List) != 4 {
			t.Fatalf("want 4 problems, got %v (%d)", err, len(e.List))
		}
		// The bow-tie is named as self-intersecting; the overlap names both grids it covers.
		if lit, ok := e.List[1].Args[2].(errs.Text); !ok || !strings.Contains(lit.ZH, "自相交") {
			t.Errorf("bow-tie message: %v", e.List[1].Args)
		}
		for i, want := range []string{"features/1/", "features/2/", "features/3/", "features/3/"} {
			if !strings.HasPrefix(e.List[i].Field, want) {
				t.Errorf("problem %d names %q, want %s…", i, e.List[i].Field, want)
			}
		}
		if _, ok := s.Tree().Get("371722002003003"); ok {
			t.Fatal("a valid feature of a refused file was written")
		}
		var n int
		db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, "SELECT count(*) FROM regions WHERE code = ?", "371722002003003").Scan(&n)
		})
		if n != 0 {
			t.Fatal("refused import left a row in the database")
		}
	})
}

func TestImportScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := regiontest.Load(t, db)
		g := feature("371721001001003", regiontest.VillB1a, "grid", "[[115.0,34.9],[115.1,34.9],[115.1,35.0],[115.0,35.0],[115.0,34.9]]")
		// An official of county A cannot write into county B (sibling).
		_, err := s.Import(ctx, actor(auth.Official, "/371700/371722/"), fc(g), region.WGS84)
		if !errs.Is(err, errs.Forbidden) && !(errs.Is(err, errs.Invalid) && len(errs.As(err).List) == 1 && errs.As(err).List[0].Code == errs.Forbidden) {
			t.Fatalf("sibling write: %v", err)
		}
		// A grid worker has no region.write at all.
		_, err = s.Import(ctx, actor(auth.GridWorker, "/371700/371721/371721001/371721001001/371721001001001/"), fc(g), region.WGS84)
		if err == nil {
			t.Fatal("grid worker imported regions")
		}
		// County B's official can.
		if _, err := s.Import(ctx, actor(auth.Official, "/371700/371721/"), fc(g), region.WGS84); err != nil {
			t.Fatalf("own subtree write: %v", err)
		}
	})
}

func TestExportRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := regiontest.Load(t, db)
		var buf bytes.Buffer
		if err := s.WriteGeoJSON(ctx, actor(auth.Official, "/371700/371722/"), regiontest.TownA1, region.Grid, &buf); err != nil {
			t.Fatal(err)
		}
		var out struct {
			Type     string
			Features []struct {
				Properties map[string]any
				Geometry   json.RawMessage
			}
		}
		if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, buf.String())
		}
		if out.Type != "FeatureCollection" || len(out.Features) != 4 {
			t.Fatalf("want 4 grids, got %d", len(out.Features))
		}
		if out.Features[0].Properties["code"] != regiontest.GridA1a1 || out.Features[0].Properties["parent"] != regiontest.VillA1a {
			t.Fatalf("properties: %v", out.Features[0].Properties)
		}
		// Re-importing the export updates, creates nothing and changes no shape.
		res, err := s.Import(ctx, actor(auth.CityAdmin, "/371700/"), bytes.NewReader(buf.Bytes()), region.WGS84)
		if err != nil || res.Updated != 4 || res.Created != 0 {
			t.Fatalf("re-import: %+v %v", res, err)
		}
		if err := s.WriteGeoJSON(ctx, actor(auth.Official, "/371700/371721/"), regiontest.TownA1, region.Grid, &buf); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("export out of scope: %v", err)
		}
	})
}
