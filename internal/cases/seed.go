package cases

import (
	"context"

	"civicgrid/internal/region"
	"civicgrid/internal/store"

	"github.com/oklog/ulid/v2"
)

// countyDepartments are the departments every county has, with the classes
// they are responsible for. The catch-all goes to the county's social
// governance centre, which routes what nobody else claims.
var countyDepartments = []struct {
	suffix  string
	classes []string
}{
	{"综合行政执法局", []string{"03", "11", "12"}},
	{"住房和城乡建设局", []string{"01", "04", "13"}},
	{"交通运输局", []string{"02"}},
	{"生态环境分局", []string{"14"}},
	{"应急管理局", []string{"15"}},
	{"司法局", []string{"16"}},
	{"民政局", []string{"17"}},
	{"农业农村局", []string{"18"}},
	{"公安局", []string{"19"}},
	{"工商业联合会", []string{"20"}},
	{"社会治理中心", []string{CatchAll, "21"}},
}

// SeedUnits creates the demo's units and responsibility map for a county
// and its towns: county departments by class, and each town's governance
// centre (综治中心) for disputes and welfare needs, which are handled
// closest to the people. It is idempotent.
func SeedUnits(ctx context.Context, tx *store.Tx, county region.Info, towns []region.Info) error {
	ensure := func(name string, r region.Info) (string, error) {
		var id string
		err := tx.QueryRow(ctx, "SELECT id FROM units WHERE region_code = ? AND name = ?", r.Code, name).Scan(&id)
		if err == nil {
			return id, nil
		}
		id = ulid.Make().String()
		return id, insertUnit(ctx, tx, Unit{ID: id, Name: name, Kind: "department", RegionCode: r.Code, RegionPath: r.Path})
	}
	for _, d := range countyDepartments {
		id, err := ensure(county.Name+d.suffix, county)
		if err != nil {
			return err
		}
		for _, cl := range d.classes {
			if err := setResponsibility(ctx, tx, "system", cl, county.Code, county.Path, id); err != nil {
				return err
			}
		}
	}
	for _, t := range towns {
		id, err := ensure(t.Name+"综治中心", t)
		if err != nil {
			return err
		}
		for _, cl := range []string{"16", "17"} {
			if err := setResponsibility(ctx, tx, "system", cl, t.Code, t.Path, id); err != nil {
				return err
			}
		}
	}
	return nil
}
