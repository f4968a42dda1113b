// Package regiontest builds a small region tree for other packages' tests:
// one city, two counties, two towns each, two villages each, two grids each,
// all with rectangle boundaries that tile their parents.
package regiontest

import (
	"context"
	"fmt"
	"testing"

	"civicgrid/internal/geo"
	"civicgrid/internal/region"
	"civicgrid/internal/store"
)

// Codes of the fixture, for readable tests.
const (
	City     = "371700"
	CountyA  = "371722" // 单县
	CountyB  = "371721" // 曹县
	TownA1   = "371722001"
	TownA2   = "371722002"
	VillA1a  = "371722001001"
	VillA1b  = "371722001002"
	GridA1a1 = "371722001001001"
	GridA1a2 = "371722001001002"
	GridA1b1 = "371722001002001"
	TownB1   = "371721001"
	VillB1a  = "371721001001"
	GridB1a1 = "371721001001001"
)

func box(w, s, e, n float64) geo.MultiPolygon {
	return geo.MultiPolygon{{{{Lng: w, Lat: s}, {Lng: e, Lat: s}, {Lng: e, Lat: n}, {Lng: w, Lat: n}, {Lng: w, Lat: s}}}}
}

// Rows returns the fixture rows, parents first. County A spans 116.0–117.0°E,
// county B 115.0–116.0°E, both 34.0–35.0°N; each split in halves downwards.
func Rows() []region.Row {
	rows := []region.Row{{Region: region.Region{Code: City, Name: "菏泽市", Level: region.City, Kind: region.Admin}, Boundary: box(115, 34, 117, 35)}}
	counties := []struct {
		code, name string
		w          float64
	}{{CountyA, "单县", 116}, {CountyB, "曹县", 115}}
	for _, c := range counties {
		rows = append(rows, region.Row{Region: region.Region{Code: c.code, ParentCode: City, Name: c.name, Level: region.County, Kind: region.Admin}, Boundary: box(c.w, 34, c.w+1, 35)})
		for t := 0; t < 2; t++ {
			tcode := fmt.Sprintf("%s%03d", c.code, t+1)
			tw := c.w + 0.5*float64(t)
			rows = append(rows, region.Row{Region: region.Region{Code: tcode, ParentCode: c.code, Name: fmt.Sprintf("%s第%d镇", c.name, t+1), Level: region.Town, Kind: region.Admin}, Boundary: box(tw, 34, tw+0.5, 35)})
			for v := 0; v < 2; v++ {
				vcode := fmt.Sprintf("%s%03d", tcode, v+1)
				vs := 34 + 0.5*float64(v)
				rows = append(rows, region.Row{Region: region.Region{Code: vcode, ParentCode: tcode, Name: fmt.Sprintf("%s%d村", tcode[6:], v+1), Level: region.Village, Kind: region.Admin}, Boundary: box(tw, vs, tw+0.5, vs+0.5)})
				for g := 0; g < 2; g++ {
					gw := tw + 0.25*float64(g)
					rows = append(rows, region.Row{Region: region.Region{Code: fmt.Sprintf("%s%03d", vcode, g+1), ParentCode: vcode, Name: fmt.Sprintf("网格%d", g+1), Level: region.Grid, Kind: region.Admin, Households: 100}, Boundary: box(gw, vs, gw+0.25, vs+0.5)})
				}
			}
		}
	}
	return rows
}

// Load writes the fixture into db and returns a loaded region service.
func Load(t testing.TB, db *store.DB) *region.Service {
	t.Helper()
	ctx := context.Background()
	err := db.Write(ctx, func(tx *store.Tx) error {
		return region.Upsert(ctx, tx, Rows(), map[string]string{})
	})
	if err != nil {
		t.Fatal(err)
	}
	s := region.NewService(db)
	if err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}
