package demo

import (
	"context"
	"fmt"
	"math"
	"time"

	"civicgrid/internal/account"
	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/geo"
	"civicgrid/internal/ledger"
	"civicgrid/internal/market"
	"civicgrid/internal/region"
	"civicgrid/internal/store"
	"civicgrid/internal/volunteer"
)

var beijing = time.FixedZone("CST", 8*3600)

// InsidePoint finds a point well inside a region's boundary (the centre of
// its box when that lies inside, else the first of a 9×9 sample that does).
func InsidePoint(regions *region.Service, code string) (geo.Point, bool) {
	n, ok := regions.Tree().Get(code)
	if !ok || n.Boundary == nil {
		return geo.Point{}, false
	}
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, poly := range n.Boundary {
		for _, r := range poly {
			for _, p := range r {
				minX, minY, maxX, maxY = math.Min(minX, p.Lng), math.Min(minY, p.Lat), math.Max(maxX, p.Lng), math.Max(maxY, p.Lat)
			}
		}
	}
	for _, f := range [][2]float64{{0.5, 0.5}, {0.4, 0.4}, {0.6, 0.6}, {0.4, 0.6}, {0.6, 0.4}, {0.3, 0.5}, {0.7, 0.5}, {0.5, 0.3}, {0.5, 0.7}} {
		p := geo.Point{Lng: minX + (maxX-minX)*f[0], Lat: minY + (maxY-minY)*f[1]}
		if loc, err := regions.Locate(p, region.WGS84); err == nil && loc.Grid.Code == code {
			return p, true
		}
	}
	return geo.Point{}, false
}

// LoadVolunteers seeds the points economy of the demo village once:
// earning rules for the city, a county brand and a team led by
// demo_teamlead, two registered volunteers, an activity under way now and
// one tomorrow, and the village's points supermarket kept by demo_leader.
func LoadVolunteers(ctx context.Context, db *store.DB, regions *region.Service, accounts *account.Service, vol *volunteer.Service, books *ledger.Service, shops *market.Service) error {
	var have string
	err := db.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, "SELECT value FROM meta WHERE key = 'demo.volunteers'").Scan(&have)
	})
	if err == nil {
		return nil
	} else if !errs.Is(err, errs.NotFound) {
		return err
	}
	sys := auth.System("demo")
	t := regions.Tree()
	county, _ := t.Get("371722")
	town := county.Children[0]
	village := town.Children[0]
	grid := village.Children[0]
	city, _ := regions.Lookup("371700")
	for _, r := range []ledger.Rule{
		{Source: ledger.SourceHour, Points: 10}, {Source: ledger.SourceCase, Points: 5, DailyCap: 20},
		{Source: ledger.SourceMeeting, Points: 5}, {Source: ledger.SourceSurvey, Points: 2, DailyCap: 10},
	} {
		r.RegionCode, r.RegionPath = city.Code, city.Path
		if _, err := books.SetRule(ctx, sys, r); err != nil {
			return fmt.Errorf("earning rule: %w", err)
		}
	}
	user := func(name string) (account.User, error) { return accounts.ByUsername(ctx, name) }
	lead, err := user("demo_teamlead")
	if err != nil {
		return err
	}
	keeper, err := user("demo_leader")
	if err != nil {
		return err
	}
	brand, err := vol.CreateBrand(ctx, sys, county.Code, "", "荷美单县")
	if err != nil {
		return err
	}
	sub, err := vol.CreateBrand(ctx, sys, county.Code, brand.ID, "荷美先锋")
	if err != nil {
		return err
	}
	team, err := vol.CreateTeam(ctx, sys, volunteer.NewTeam{RegionCode: village.Code, Name: village.Name + "荷美先锋志愿服务队", BrandID: sub.ID, LeaderUserID: lead.ID})
	if err != nil {
		return err
	}
	if _, err := vol.CreateTeam(ctx, sys, volunteer.NewTeam{RegionCode: county.Code, Name: "单县医疗应急志愿服务队", BrandID: brand.ID, Skill: "doctor"}); err != nil {
		return err
	}
	for i, v := range []struct {
		user, name, phone string
		skills            []string
	}{
		{"demo_volunteer", "王志愿", "13905300001", nil},
		{"demo_nurse", "李护士", "13905300002", []string{"nurse"}},
		{"demo_teamlead", "张队长", "13905300003", []string{"teacher"}},
	} {
		u, err := user(v.user)
		if err != nil {
			return err
		}
		reg, err := vol.Register(ctx, sys, volunteer.NewVolunteer{UserID: u.ID, Name: v.name, Phone: v.phone, Skills: v.skills, GridCode: grid.Code})
		if err != nil {
			return fmt.Errorf("demo volunteer %d: %w", i, err)
		}
		if err := vol.AddMember(ctx, sys, team.ID, reg.ID); err != nil {
			return err
		}
	}
	p, ok := InsidePoint(regions, grid.Code)
	if !ok {
		return fmt.Errorf("demo: no point inside grid %s", grid.Code)
	}
	now := time.Now().In(beijing)
	hour := time.Date(now.Year(), now.Month(), now.Day(), now.Hour(), 0, 0, 0, beijing)
	tomorrow := time.Date(now.Year(), now.Month(), now.Day()+1, 9, 0, 0, 0, beijing)
	for _, a := range []volunteer.NewActivity{
		{TeamID: team.ID, Title: "文明实践：清理村内垃圾", Domain: "ecology", Address: village.Name + "村委会广场", Lng: p.Lng, Lat: p.Lat,
			StartsAt: hour.Add(-time.Hour), EndsAt: hour.Add(4 * time.Hour), SignupOpens: hour.Add(-48 * time.Hour), SignupCloses: hour.Add(3 * time.Hour), Quotas: map[string]int{"": 30}},
		{TeamID: team.ID, Title: "义诊进村：老年人健康检查", Domain: "livelihood", Address: village.Name + "卫生室", Lng: p.Lng, Lat: p.Lat,
			StartsAt: tomorrow, EndsAt: tomorrow.Add(3 * time.Hour), SignupOpens: hour.Add(-48 * time.Hour), Quotas: map[string]int{"": 10, "nurse": 2}},
	} {
		if _, err := vol.CreateActivity(ctx, auth.Actor{UserID: lead.ID, Username: lead.Username, Role: lead.Role, RegionCode: lead.RegionCode, RegionPath: village.Path}, a); err != nil {
			return fmt.Errorf("demo activity: %w", err)
		}
	}
	shop, err := shops.Create(ctx, sys, village.Code, village.Name+"红色积分超市", village.Name+"党群服务中心一楼")
	if err != nil {
		return err
	}
	if err := shops.AddKeeper(ctx, sys, shop.ID, keeper.ID); err != nil {
		return err
	}
	for _, d := range []time.Time{now, time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, beijing), time.Date(now.Year(), now.Month()+2, 1, 0, 0, 0, 0, beijing)} {
		if err := shops.AddDay(ctx, sys, shop.ID, market.Day{Day: d.Format("2006-01-02"), Opens: "08:30", Closes: "23:30"}); err != nil {
			return err
		}
	}
	for _, it := range []market.Item{
		{Name: "食用油（5升）", Kind: "good", Price: 25, Stock: 20},
		{Name: "洗衣粉", Kind: "good", Price: 15, Stock: 30},
		{Name: "理发服务", Kind: "service", Price: 10, Stock: 50},
	} {
		it.MarketID = shop.ID
		if _, err := shops.SaveItem(ctx, sys, it); err != nil {
			return err
		}
	}
	return db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO meta(key, value) VALUES ('demo.volunteers', ?)", Version)
		return err
	})
}
