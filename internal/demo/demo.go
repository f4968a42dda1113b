// Package demo loads the Heze demonstration data: the real city, county and
// town tree from the national division codes, generated villages,
// communities and about 29,000 grids tiling each town, one account per role
// and a few hundred residents. Loading twice changes nothing.
package demo

import (
	"context"
	_ "embed"
	"encoding/csv"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"civicgrid/internal/account"
	"civicgrid/internal/auth"
	"civicgrid/internal/cases"
	"civicgrid/internal/errs"
	"civicgrid/internal/people"
	"civicgrid/internal/region"
	"civicgrid/internal/store"
)

//go:embed heze-divisions.csv
var divisionsCSV string

// Version marks what the demo loader wrote; bump it only with a loader that
// can upgrade an older demo in place.
const Version = "1"

// Password is the shared password of the demo accounts.
const Password = "Heze@2025"

// Division is one row of the national division list.
type Division struct {
	Code, Name, Parent string
	Level              string
}

// Divisions parses the embedded Heze division list (city, counties, towns).
func Divisions() ([]Division, error) {
	r := csv.NewReader(strings.NewReader(divisionsCSV))
	recs, err := r.ReadAll()
	if err != nil {
		return nil, err
	}
	var out []Division
	for _, rec := range recs[1:] {
		if len(rec) != 4 {
			return nil, fmt.Errorf("demo: bad division row %v", rec)
		}
		if rec[3] == "province" {
			continue
		}
		d := Division{Code: rec[0], Name: rec[1], Parent: rec[2], Level: rec[3]}
		if d.Level == "city" {
			d.Parent = ""
		}
		out = append(out, d)
	}
	return out, nil
}

// Generate builds every region row: the real tree down to towns, then
// generated villages/communities and grids, with boundaries that tile each
// parent. It is deterministic: the same rows every time.
func Generate() ([]region.Row, error) {
	divs, err := Divisions()
	if err != nil {
		return nil, err
	}
	var city Division
	counties := map[string]Division{}
	towns := map[string][]Division{}
	for _, d := range divs {
		switch d.Level {
		case "city":
			city = d
		case "county":
			counties[d.Code] = d
		case "town":
			towns[d.Parent] = append(towns[d.Parent], d)
		}
	}
	rng := rand.New(rand.NewPCG(371700, 2025))
	rows := []region.Row{{Region: region.Region{Code: city.Code, Name: city.Name, Level: region.City, Kind: region.Admin}, Boundary: cityBox.polygon()}}
	var weights [][]float64
	for _, row := range countyRows {
		var w []float64
		for _, c := range row {
			if _, ok := counties[c]; !ok {
				return nil, fmt.Errorf("demo: county %s missing from divisions", c)
			}
			w = append(w, float64(len(towns[c])+2))
		}
		weights = append(weights, w)
	}
	cells := splitRows(cityBox, weights, rng)
	for i, row := range countyRows {
		for j, code := range row {
			c := counties[code]
			kind := region.Admin
			if strings.Contains(c.Name, "开发区") || strings.Contains(c.Name, "新区") {
				kind = region.Zone
			}
			box := cells[i][j]
			rows = append(rows, region.Row{Region: region.Region{Code: c.Code, ParentCode: city.Code, Name: c.Name, Level: region.County, Kind: kind}, Boundary: box.polygon()})
			ts := towns[code]
			tw := gridLayout(len(ts), box)
			tcells := splitRows(box, tw, rng)
			k := 0
			for _, tr := range tcells {
				for _, tbox := range tr {
					t := ts[k]
					k++
					rows = append(rows, region.Row{Region: region.Region{Code: t.Code, ParentCode: c.Code, Name: t.Name, Level: region.Town, Kind: kind}, Boundary: tbox.polygon()})
					rows = appendVillages(rows, t, tbox, kind)
				}
			}
		}
	}
	return rows, nil
}

// appendVillages generates one town's villages and their grids. Each town has
// its own random stream (seeded by its code), so adding a town to the list
// does not change the others.
func appendVillages(rows []region.Row, t Division, box rect, kind region.Kind) []region.Row {
	h := fnv.New64a()
	h.Write([]byte(t.Code))
	rng := rand.New(rand.NewPCG(h.Sum64(), 7))
	street := townIsStreet(t.Name)
	nv := 22 + rng.IntN(15) // 22–36 villages or communities, 29 on average
	vcells := splitRows(box, gridLayout(nv, box), rng)
	used := map[string]bool{}
	vi := 0
	for _, vr := range vcells {
		for _, vbox := range vr {
			vi++
			// Communities are numbered 0xx and villages 2xx, as in the
			// national code list.
			num := vi
			if !street {
				num += 200
			}
			vcode := fmt.Sprintf("%s%03d", t.Code, num)
			shape := gridShapes[rng.IntN(len(gridShapes))]
			grids := jitteredGrids(vbox, shape[0], shape[1], rng)
			vname := villageName(rng, street, used)
			rows = append(rows, region.Row{Region: region.Region{Code: vcode, ParentCode: t.Code, Name: vname, Level: region.Village, Kind: kind}, Boundary: vbox.polygon()})
			for gi, g := range grids {
				rows = append(rows, region.Row{Region: region.Region{
					Code: fmt.Sprintf("%s%03d", vcode, gi+1), ParentCode: vcode, Name: vname + gridName(gi),
					Level: region.Grid, Kind: kind, Households: 80 + rng.IntN(41),
				}, Boundary: g})
			}
		}
	}
	return rows
}

// Account is a demo login.
type Account struct {
	Username, Role, Region, RegionName, Note string
}

// Progress reports loading progress; nil prints nothing.
type Progress interface {
	Step(label string, done, total int)
}

// Load writes the demo data if it is not there yet and returns the demo
// accounts. Regions are written in one transaction, so an interrupted load
// leaves nothing half-done and the next start simply loads again.
func Load(ctx context.Context, db *store.DB, regions *region.Service, accounts *account.Service, register *people.Service, caseSvc *cases.Service, prog Progress) ([]Account, error) {
	if prog == nil {
		prog = nopProgress{}
	}
	var have string
	err := db.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, "SELECT value FROM meta WHERE key = 'demo.version'").Scan(&have)
	})
	if err != nil && !errs.Is(err, errs.NotFound) {
		return nil, err
	}
	if have == "" {
		rows, err := Generate()
		if err != nil {
			return nil, err
		}
		err = db.Write(ctx, func(tx *store.Tx) error {
			const chunk = 2000
			paths := map[string]string{}
			for i := 0; i < len(rows); i += chunk {
				if err := region.Upsert(ctx, tx, rows[i:min(i+chunk, len(rows))], paths); err != nil {
					return err
				}
				prog.Step("regions", min(i+chunk, len(rows)), len(rows))
			}
			_, err := tx.Exec(ctx, "INSERT INTO meta(key, value) VALUES ('demo.version', ?)", Version)
			return err
		})
		if err != nil {
			return nil, err
		}
		if err := regions.Load(ctx); err != nil {
			return nil, err
		}
	}
	if err := loadUnits(ctx, db, regions, prog); err != nil {
		return nil, err
	}
	accs, err := loadAccounts(ctx, regions, accounts, prog)
	if err != nil {
		return nil, err
	}
	if err := assignDemoHandler(ctx, db, accounts, caseSvc); err != nil {
		return nil, err
	}
	return accs, loadPeople(ctx, db, regions, register, prog)
}

type nopProgress struct{}

func (nopProgress) Step(string, int, int) {}

// demoAccounts: one per role, in 单县 (Shan County) where the demo's story
// happens, plus the city-wide roles.
func demoAccounts(regions *region.Service) []account.NewUser {
	t := regions.Tree()
	county, _ := t.Get("371722")
	town := county.Children[0]
	village := town.Children[0]
	grid := village.Children[0]
	mk := func(user, name string, role auth.Role, code, unit string) account.NewUser {
		return account.NewUser{Username: user, Password: Password, DisplayName: name, Role: role, RegionCode: code, Unit: unit}
	}
	return []account.NewUser{
		mk("demo_city", "市社工部管理员", auth.CityAdmin, "371700", "菏泽市委社会工作部"),
		mk("demo_county", "单县社工部", auth.Official, county.Code, "单县委社会工作部"),
		mk("demo_town", town.Name+"干部", auth.Official, town.Code, town.Name),
		mk("demo_dept", "单县综合行政执法局办理员", auth.DeptHandler, county.Code, "单县综合行政执法局"),
		mk("demo_leader", village.Name+"网格长", auth.GridLeader, village.Code, village.Name),
		mk("demo_grid", grid.Name+"网格员", auth.GridWorker, grid.Code, ""),
		mk("demo_rider", "外卖骑手（兼职网格员）", auth.PartTimeWorker, town.Code, "美团骑手站"),
		mk("demo_volunteer", "志愿者", auth.Volunteer, town.Code, ""),
		mk("demo_nurse", "志愿者（护士）", auth.Volunteer, village.Code, ""),
		mk("demo_teamlead", "志愿服务队队长", auth.Volunteer, village.Code, ""),
		mk("demo_resident", "居民", auth.Resident, grid.Code, ""),
		mk("demo_auditor", "审计员", auth.Auditor, "371700", "市委社会工作部"),
	}
}

func loadAccounts(ctx context.Context, regions *region.Service, accounts *account.Service, prog Progress) ([]Account, error) {
	sys := auth.System("demo")
	list := demoAccounts(regions)
	var out []Account
	for i, nu := range list {
		if _, err := accounts.ByUsername(ctx, nu.Username); errs.Is(err, errs.NotFound) {
			if _, err := accounts.Create(ctx, sys, nu); err != nil {
				return nil, fmt.Errorf("demo account %s: %w", nu.Username, err)
			}
		} else if err != nil {
			return nil, err
		}
		r, _ := regions.Lookup(nu.RegionCode)
		out = append(out, Account{Username: nu.Username, Role: string(nu.Role), Region: nu.RegionCode, RegionName: r.Name, Note: nu.DisplayName})
		prog.Step("accounts", i+1, len(list))
	}
	return out, nil
}

// loadPeople registers 40 residents in each grid of the demo village, with
// fake but well-formed names, phone numbers and ID numbers.
func loadPeople(ctx context.Context, db *store.DB, regions *region.Service, register *people.Service, prog Progress) error {
	village, _ := regions.Tree().Get(demoAccounts(regions)[4].RegionCode)
	if n, err := register.CountIn(ctx, village.Path); err != nil || n > 0 {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	sys := auth.System("demo")
	return db.Write(ctx, func(tx *store.Tx) error {
		total := len(village.Children) * 40
		for gi, g := range village.Children {
			for i := 0; i < 40; i++ {
				in := people.NewPerson{
					GridCode:    g.Code,
					HouseholdNo: fmt.Sprintf("%s-%02d", g.Code[len(g.Code)-3:], i/3+1),
					Name:        fakeName(rng),
					Phone:       fmt.Sprintf("1%d%09d", []int{38, 39, 50, 58, 77, 86}[rng.IntN(6)], rng.IntN(1e9))[:11],
					IDNumber:    fakeID(rng),
				}
				if i%7 == 0 {
					in.Tags = []string{"独居老人"}
				}
				if _, err := register.Insert(ctx, tx, sys, in); err != nil {
					return fmt.Errorf("demo person: %w", err)
				}
				prog.Step("residents", gi*40+i+1, total)
			}
		}
		return nil
	})
}

var givenNames = []string{"伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建国", "建华", "玉兰", "凤英", "志强", "海燕", "红梅"}

func fakeName(rng *rand.Rand) string {
	return string(surnames[rng.IntN(len(surnames))]) + givenNames[rng.IntN(len(givenNames))]
}

// fakeID makes a well-formed 单县 ID number (region 371722) with a valid
// GB 11643 check digit.
func fakeID(rng *rand.Rand) string {
	birth := time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(365*65))
	body := fmt.Sprintf("371722%s%03d", birth.Format("20060102"), rng.IntN(1000))
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(body[i]-'0') * w
	}
	return body + string("10X98765432"[sum%11])
}

// BarProgress draws a progress bar on a terminal.
type BarProgress struct {
	W    io.Writer
	last string
}

// Step redraws the bar when the percentage changes.
func (b *BarProgress) Step(label string, done, total int) {
	if total <= 0 {
		return
	}
	pct := done * 100 / total
	key := fmt.Sprint(label, pct)
	if key == b.last && done != total {
		return
	}
	b.last = key
	line := fmt.Sprintf("\r%-10s [%-30s] %3d%%  %d/%d", label, strings.Repeat("#", pct*30/100), pct, done, total)
	fmt.Fprint(b.W, line)
	if done == total {
		fmt.Fprintln(b.W)
	}
}

// loadUnits creates every county's departments and every town's governance
// centre with the responsibility map that routes cases to them.
func loadUnits(ctx context.Context, db *store.DB, regions *region.Service, prog Progress) error {
	t := regions.Tree()
	city, ok := t.Get("371700")
	if !ok {
		return nil
	}
	return db.Write(ctx, func(tx *store.Tx) error {
		for i, c := range city.Children {
			county, _ := regions.Lookup(c.Code)
			var towns []region.Info
			for _, tn := range c.Children {
				ti, _ := regions.Lookup(tn.Code)
				towns = append(towns, ti)
			}
			if err := cases.SeedUnits(ctx, tx, county, towns); err != nil {
				return err
			}
			prog.Step("units", i+1, len(city.Children))
		}
		return nil
	})
}

// assignDemoHandler puts demo_dept in 单县综合行政执法局, which street
// problems are routed to, so the handler's day has work in it.
func assignDemoHandler(ctx context.Context, db *store.DB, accounts *account.Service, caseSvc *cases.Service) error {
	u, err := accounts.ByUsername(ctx, "demo_dept")
	if err != nil {
		return err
	}
	units, err := caseSvc.Units(ctx, auth.System("demo"), "371722")
	if err != nil {
		return err
	}
	for _, un := range units {
		if un.Name == "单县综合行政执法局" {
			return caseSvc.SetUserUnit(ctx, auth.System("demo"), u.ID, un.ID)
		}
	}
	return nil
}
