package demo

import (
	"context"
	"fmt"

	"civicgrid/internal/account"
	"civicgrid/internal/auth"
	"civicgrid/internal/cases"
	"civicgrid/internal/errs"
	"civicgrid/internal/region"
	"civicgrid/internal/store"
	"civicgrid/internal/suggest"
)

// Demo codes of the opinion boxes and the report point, printed on their
// posters (the browser journeys open /suggest?box=XHBOX01).
const (
	DemoBox         = "XHBOX01"
	DemoBox2        = "XHBOX02"
	DemoReportPoint = "BCZB01"
)

// LoadSuggestions seeds people's suggestions in 单县 北城街道/兴华社区 once:
// a report point and two opinion boxes, two invited suggestion-makers, a
// logistics association, and ten suggestions at every stage, among them one
// implemented with dated milestones and a pair of box slips merged into one.
func LoadSuggestions(ctx context.Context, db *store.DB, regions *region.Service, accounts *account.Service, svc *suggest.Service, caseSvc *cases.Service) error {
	var have string
	err := db.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, "SELECT value FROM meta WHERE key = 'demo.suggestions'").Scan(&have)
	})
	if err == nil {
		return nil
	} else if !errs.Is(err, errs.NotFound) {
		return err
	}
	sys := auth.System("demo")
	county, _ := regions.Tree().Get("371722")
	town := county.Children[0]
	village := town.Children[0]
	grid := village.Children[0]
	keeper, err := accounts.ByUsername(ctx, "demo_leader")
	if err != nil {
		return err
	}
	units, err := caseSvc.Units(ctx, sys, county.Code)
	if err != nil {
		return err
	}
	unit := map[string]string{}
	for _, u := range units {
		unit[u.Name] = u.ID
	}
	enforce, centre := unit[county.Name+"综合行政执法局"], unit[town.Name+"综治中心"]
	if enforce == "" || centre == "" {
		return fmt.Errorf("demo suggestions: units of %s missing", county.Name)
	}
	p, ok := InsidePoint(regions, grid.Code)
	if !ok {
		return fmt.Errorf("demo: no point inside grid %s", grid.Code)
	}
	box, err := svc.CreatePoint(ctx, sys, suggest.Point{Kind: suggest.Box, Code: DemoBox, Name: village.Name + "东门社情民意箱", RegionCode: village.Code, Address: village.Name + "东门", Lng: p.Lng, Lat: p.Lat})
	if err != nil {
		return err
	}
	if _, err := svc.CreatePoint(ctx, sys, suggest.Point{Kind: suggest.Box, Code: DemoBox2, Name: village.Name + "党群服务中心意见箱", RegionCode: village.Code, Address: village.Name + "党群服务中心一楼"}); err != nil {
		return err
	}
	point, err := svc.CreatePoint(ctx, sys, suggest.Point{Kind: suggest.ReportPoint, Code: DemoReportPoint, Name: town.Name + "人民建议直报点", RegionCode: town.Code, Address: town.Name + "便民服务中心", KeeperUserID: keeper.ID})
	if err != nil {
		return err
	}
	lawyer, err := svc.CreateMaker(ctx, sys, suggest.Maker{Name: "张建国", Field: "法律", RegionCode: county.Code})
	if err != nil {
		return err
	}
	teacher, err := svc.CreateMaker(ctx, sys, suggest.Maker{Name: "李秀兰", Field: "教育", RegionCode: town.Code})
	if err != nil {
		return err
	}
	logistics, err := svc.CreateAssociation(ctx, sys, suggest.Assoc{Name: county.Name + "物流行业协会", Kind: "industry", RegionCode: county.Code})
	if err != nil {
		return err
	}
	n := 0
	file := func(in suggest.NewSuggestion) (string, error) {
		n++
		in.IdempotencyKey = fmt.Sprintf("demo-suggestion-%d", n)
		f, err := svc.File(ctx, sys, in)
		return f.Suggestion.ID, err
	}
	act := func(id string, steps ...step) error {
		for _, s := range steps {
			if _, err := svc.Act(ctx, sys, id, s.action, s.in); err != nil {
				return fmt.Errorf("demo suggestion %s %s: %w", id, s.action, err)
			}
		}
		return nil
	}
	pct := func(v int) *int { return &v }
	no := false
	type seed struct {
		in    suggest.NewSuggestion
		steps []step
	}
	seeds := []seed{
		{suggest.NewSuggestion{Title: "社区办一个老年食堂", Body: "兴华社区老人多，子女白天上班，希望社区办老年助餐食堂。", RegionCode: village.Code, AuthorName: "赵淑芬", AuthorPhone: "13905301001"},
			[]step{{suggest.ActAssess, suggest.Input{Topic: "养老服务", UnitID: centre}}, {suggest.ActForward, suggest.Input{}},
				{suggest.ActAdopt, suggest.Input{Decision: "在兴华社区党群服务中心开设老年助餐点，60岁以上老人每餐补贴3元。"}},
				{suggest.ActImplement, suggest.Input{Measure: "兴华社区老年助餐点建设", MeasureURL: "https://www.shanxian.gov.cn/", Progress: pct(20)}},
				{suggest.ActMilestone, suggest.Input{Day: "2026-03-15", Progress: pct(50), Note: "完成场地改造和厨房设备采购"}},
				{suggest.ActMilestone, suggest.Input{Day: "2026-04-20", Progress: pct(80), Note: "试运营，日均就餐40人"}}}},
		{suggest.NewSuggestion{Channel: suggest.Box, PointID: box.ID, Title: "东门至菜市场一段增设路灯", Body: "晚上这段路太黑，老人买菜回来容易摔倒。", Anonymous: true},
			[]step{{suggest.ActAssess, suggest.Input{Topic: "市政设施", UnitID: enforce}}, {suggest.ActForward, suggest.Input{}}}},
		{suggest.NewSuggestion{Channel: suggest.Box, PointID: box.ID, CollectedAt: "2026-04-28", Title: "东门路灯坏了", Body: "东门口的两盏路灯坏了一个多月。", AuthorName: "王大爷"}, nil},
		{suggest.NewSuggestion{Channel: suggest.ReportPoint, PointID: point.ID, Title: "规范菜市场周边占道经营", Body: "早市摊位占了半条路，车过不去。", AuthorName: "孙师傅", AuthorPhone: "13905301004"},
			[]step{{suggest.ActAssess, suggest.Input{Topic: "市容秩序", UnitID: enforce}}, {suggest.ActForward, suggest.Input{}},
				{suggest.ActAdopt, suggest.Input{Decision: "划定早市临时摊区，7:30前撤离，城管每日巡查。"}}}},
		{suggest.NewSuggestion{Channel: suggest.Invited, MakerID: lawyer.ID, Title: "小区设立物业纠纷调解室", Body: "物业纠纷多，建议依托社区设立调解室，律师定期坐班。"},
			[]step{{suggest.ActAssess, suggest.Input{Topic: "矛盾调解", UnitID: centre}}, {suggest.ActForward, suggest.Input{}},
				{suggest.ActAdopt, suggest.Input{Decision: "在北城街道各社区设立物业纠纷调解室，每周三律师坐班。"}}}},
		{suggest.NewSuggestion{Channel: suggest.Invited, MakerID: teacher.ID, Title: "学校门口设即停即走车位", Body: "放学时校门口堵车严重。"},
			[]step{{suggest.ActAssess, suggest.Input{Topic: "交通", UnitID: enforce}}, {suggest.ActForward, suggest.Input{}},
				{suggest.ActNotAdopt, suggest.Input{Reason: "校门口道路过窄，无法设置车位；已安排交警高峰时段疏导。"}}}},
		{suggest.NewSuggestion{Channel: suggest.Association, AssociationID: logistics.ID, Title: "城区物流车辆通行证网上办理", Body: "会员企业反映通行证须现场办理，希望网上办、当日办。"},
			[]step{{suggest.ActAssess, suggest.Input{Topic: "营商环境", UnitID: enforce}}, {suggest.ActForward, suggest.Input{}}}},
		{suggest.NewSuggestion{Channel: suggest.Door, RegionCode: grid.Code, Title: "老旧楼加装电梯", Body: "入户走访时，三号楼居民希望加装电梯。", AuthorName: "周阿姨", AuthorPhone: "13905301008"}, nil},
		{suggest.NewSuggestion{Title: "广场舞音响太吵", Body: "晚上九点后还在放音乐。", RegionCode: village.Code, Anonymous: true},
			[]step{{suggest.ActAssess, suggest.Input{Relevant: &no, Reason: "属于噪音投诉，已转为事件由网格员处理。"}}}},
		{suggest.NewSuggestion{Title: "增开一条到县医院的公交", Body: "兴华社区到县医院要换乘两次。", RegionCode: town.Code}, nil},
	}
	ids := make([]string, len(seeds))
	for i, s := range seeds {
		if ids[i], err = file(s.in); err != nil {
			return fmt.Errorf("demo suggestion %d: %w", i+1, err)
		}
		if err := act(ids[i], s.steps...); err != nil {
			return err
		}
	}
	// The slip about the broken lamps is the same matter as the QR one.
	if _, err := svc.Merge(ctx, sys, ids[1], []string{ids[2]}, "同一路段路灯问题，合并办理"); err != nil {
		return fmt.Errorf("demo merge: %w", err)
	}
	return db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO meta(key, value) VALUES ('demo.suggestions', ?)", Version)
		return err
	})
}

type step struct {
	action string
	in     suggest.Input
}
