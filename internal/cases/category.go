package cases

import (
	"context"
	"strings"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/store"
)

// Category is a class (大类, two digits) or a subcategory (小类, four digits)
// of the taxonomy, in the style of the urban-management standard GB/T 30428:
// facilities (部件) and events (事件).
type Category struct {
	Code            string `json:"code"`
	ParentCode      string `json:"parent_code,omitempty"`
	Kind            string `json:"kind"` // component | event
	Name            string `json:"name"`
	NameEN          string `json:"name_en"`
	HandleDays      int    `json:"handle_days"` // working days to handle after dispatch
	Priority        int    `json:"priority"`    // 1 urgent, 2 normal, 3 low
	FilingStandard  string `json:"filing_standard,omitempty"`
	ClosingStandard string `json:"closing_standard,omitempty"`
}

// IsClass reports whether c is a top-level class.
func (c Category) IsClass() bool { return c.ParentCode == "" }

type sub struct {
	code, name, en string
	days, prio     int
}

type class struct {
	code, kind, name, en string
	subs                 []sub
	filing, closing      string
}

// seed is the taxonomy every installation starts with: 15 classes and 80
// subcategories covering what grid workers, riders and residents report.
// Deadlines follow the Shandong hotline default of 5 working days, shorter
// for hazards and longer for works that need budgets.
var seed = []class{
	{"01", "component", "公用设施", "Public utilities", []sub{
		{"0101", "井盖破损、缺失", "Manhole cover broken or missing", 1, 1},
		{"0102", "路灯不亮、损坏", "Street light out or broken", 3, 2},
		{"0103", "消防栓损坏", "Fire hydrant damaged", 2, 1},
		{"0104", "电力设施隐患", "Power installation hazard", 2, 1},
		{"0105", "通信线缆凌乱", "Loose telecom cables", 5, 3},
		{"0106", "供水管道漏水", "Water main leaking", 2, 1},
		{"0107", "燃气设施损坏", "Gas installation damaged", 1, 1},
	}, "设施确有损坏、缺失或隐患，位置明确", "设施修复或更换，现场照片可见恢复正常"},
	{"02", "component", "道路交通设施", "Roads and traffic facilities", []sub{
		{"0201", "道路破损、坑洼", "Road damage or pothole", 5, 2},
		{"0202", "交通标志标线损坏", "Traffic sign or marking damaged", 5, 2},
		{"0203", "护栏隔离设施损坏", "Guard rail damaged", 5, 2},
		{"0204", "公交站亭损坏", "Bus shelter damaged", 5, 3},
		{"0205", "桥梁涵洞隐患", "Bridge or culvert hazard", 2, 1},
		{"0206", "交通信号灯故障", "Traffic light fault", 1, 1},
	}, "设施损坏影响通行或安全", "设施修复，通行恢复"},
	{"03", "component", "市容环卫设施", "Sanitation facilities", []sub{
		{"0301", "垃圾桶破损、缺失", "Bin broken or missing", 3, 3},
		{"0302", "公厕设施损坏", "Public toilet out of order", 3, 2},
		{"0303", "广告牌匾破损", "Shop sign damaged", 5, 2},
		{"0304", "户外设施倾斜有坠落风险", "Outdoor fixture about to fall", 1, 1},
	}, "设施损坏或缺失", "设施修复或补齐"},
	{"04", "component", "园林绿化", "Parks and greenery", []sub{
		{"0401", "树木倒伏、枯死", "Tree fallen or dead", 3, 2},
		{"0402", "绿地被毁、被占", "Green space damaged or occupied", 5, 3},
		{"0403", "公园健身设施损坏", "Park or fitness equipment broken", 5, 3},
		{"0404", "绿化带杂草丛生", "Overgrown verge", 5, 3},
	}, "绿化或设施受损", "补植、清理或修复完成"},
	{"11", "event", "市容环境", "Street cleanliness", []sub{
		{"1101", "暴露垃圾", "Exposed rubbish", 2, 2},
		{"1102", "乱堆乱放", "Materials dumped", 3, 2},
		{"1103", "道路不洁", "Dirty road", 2, 3},
		{"1104", "垃圾满溢", "Overflowing bins", 1, 2},
		{"1105", "焚烧垃圾、秸秆", "Burning rubbish or straw", 1, 1},
		{"1106", "污水外溢", "Sewage overflow", 2, 1},
	}, "现场可见，影响环境卫生", "清理完毕，现场整洁"},
	{"12", "event", "街面秩序", "Street order", []sub{
		{"1201", "占道经营", "Street trading on the road", 3, 2},
		{"1202", "机动车乱停放", "Illegal parking", 2, 2},
		{"1203", "流动摊贩", "Unlicensed hawkers", 3, 3},
		{"1204", "乱贴小广告", "Fly-posting", 3, 3},
		{"1205", "非机动车乱停放", "Bikes parked in the way", 3, 3},
	}, "占用公共空间、影响通行", "现场恢复秩序"},
	{"13", "event", "施工管理", "Construction", []sub{
		{"1301", "夜间施工扰民", "Night construction noise", 1, 2},
		{"1302", "工地扬尘", "Construction dust", 2, 2},
		{"1303", "渣土车撒漏", "Spilled spoil from trucks", 2, 2},
		{"1304", "无证施工", "Unpermitted construction", 5, 2},
		{"1305", "施工围挡破损", "Broken site hoarding", 2, 2},
	}, "施工行为违反管理规定", "违规行为停止或整改到位"},
	{"14", "event", "噪声与污染", "Noise and pollution", []sub{
		{"1401", "生活噪声扰民", "Household noise", 3, 3},
		{"1402", "商业经营噪声", "Commercial noise", 3, 2},
		{"1403", "餐饮油烟", "Cooking fumes", 5, 2},
		{"1404", "水体污染", "Water pollution", 2, 1},
		{"1405", "异味污染", "Odour", 3, 2},
	}, "污染或噪声持续影响群众", "污染源整改，复测达标或群众认可"},
	{"15", "event", "安全隐患", "Safety hazards", []sub{
		{"1501", "消防通道堵塞", "Fire lane blocked", 1, 1},
		{"1502", "电动车违规充电", "E-bike charged indoors or in corridors", 1, 1},
		{"1503", "燃气使用隐患", "Unsafe gas use", 1, 1},
		{"1504", "自建房安全隐患", "Unsafe self-built house", 3, 1},
		{"1505", "危险化学品隐患", "Hazardous chemicals", 1, 1},
		{"1506", "防汛隐患", "Flood hazard", 1, 1},
		{"1507", "高空坠物隐患", "Object may fall from height", 1, 1},
	}, "存在现实危险，可能造成人身财产损失", "隐患消除，附整改前后照片"},
	{"16", "event", "矛盾纠纷", "Disputes", []sub{
		{"1601", "邻里纠纷", "Neighbour dispute", 5, 2},
		{"1602", "家庭婚姻纠纷", "Family or marriage dispute", 5, 2},
		{"1603", "土地承包纠纷", "Land contract dispute", 10, 2},
		{"1604", "物业服务纠纷", "Property management dispute", 5, 2},
		{"1605", "劳资纠纷（讨薪）", "Unpaid wages", 3, 1},
		{"1606", "宅基地纠纷", "Homestead dispute", 10, 2},
	}, "当事人明确，矛盾已经显现", "调解达成协议或依法引导解决，当事人签字确认"},
	{"17", "event", "民生服务", "Welfare and care", []sub{
		{"1701", "独居老人关爱", "Elderly living alone needs care", 3, 2},
		{"1702", "困难群众救助", "Hardship relief", 5, 2},
		{"1703", "残疾人帮扶", "Support for a disabled person", 5, 2},
		{"1704", "留守儿童关爱", "Left-behind child needs care", 5, 2},
		{"1705", "养老服务需求", "Elderly care service needed", 5, 2},
		{"1706", "就医就诊困难", "Difficulty getting medical care", 3, 1},
		{"1707", "帮办代办需求", "Errand or paperwork on a resident's behalf", 3, 2},
	}, "需求真实，对象明确", "服务已提供或救助已落实，当事人确认"},
	{"18", "event", "农业农村", "Farming and villages", []sub{
		{"1801", "农田水利设施损坏", "Irrigation facility damaged", 5, 2},
		{"1802", "村内道路损坏", "Village road damaged", 10, 2},
		{"1803", "人居环境脏乱", "Village environment untidy", 5, 3},
		{"1804", "农技服务需求", "Farming advice needed", 5, 3},
		{"1805", "动物疫病隐患", "Animal disease risk", 1, 1},
		{"1806", "农村危房", "Unsafe rural house", 5, 1},
	}, "影响生产生活", "问题解决或服务到位"},
	{"19", "event", "社会治安", "Public security", []sub{
		{"1901", "可疑人员、车辆", "Suspicious person or vehicle", 1, 1},
		{"1902", "赌博迹象", "Signs of gambling", 2, 2},
		{"1903", "电信诈骗风险", "Fraud risk to residents", 2, 2},
		{"1904", "出租房屋安全隐患", "Unsafe rental housing", 3, 2},
	}, "线索具体", "核查处置完毕"},
	{"20", "event", "企业诉求", "Business concerns", []sub{
		{"2001", "营商环境问题", "Business environment problem", 5, 2},
		{"2002", "惠企政策咨询", "Question on support policies", 3, 3},
		{"2003", "企业用工需求", "Company needs workers", 5, 3},
		{"2004", "涉企执法投诉", "Complaint about enforcement against a business", 5, 2},
		{"2005", "企业融资需求", "Company needs financing", 5, 3},
	}, "诉求明确，企业身份可核", "答复企业并解决或说明依据"},
	{"21", "event", "基层治理其他", "Other local matters", []sub{
		{"2101", "群众意见建议", "Suggestion from residents", 5, 3},
		{"2102", "政策咨询", "Policy question", 3, 3},
		{"2103", "其他问题", "Other problem", 5, 3},
	}, "事项明确", "答复或办理完毕"},
}

// SeedCategories writes the built-in taxonomy; existing codes are kept as an
// administrator may have edited them.
func SeedCategories(ctx context.Context, tx *store.Tx) error {
	for _, c := range seed {
		if _, err := tx.Exec(ctx, `INSERT INTO case_categories(code, parent_code, kind, name, name_en, handle_days, priority, filing_standard, closing_standard)
			VALUES (?, '', ?, ?, ?, 5, 2, ?, ?) ON CONFLICT(code) DO NOTHING`, c.code, c.kind, c.name, c.en, c.filing, c.closing); err != nil {
			return err
		}
		for _, s := range c.subs {
			if _, err := tx.Exec(ctx, `INSERT INTO case_categories(code, parent_code, kind, name, name_en, handle_days, priority, filing_standard, closing_standard)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(code) DO NOTHING`, s.code, c.code, c.kind, s.name, s.en, s.days, s.prio, c.filing, c.closing); err != nil {
				return err
			}
		}
	}
	return nil
}

// Categories lists the taxonomy, classes before their subcategories.
func (s *Service) Categories(ctx context.Context) ([]Category, error) {
	var out []Category
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT code, parent_code, kind, name, name_en, handle_days, priority, filing_standard, closing_standard
			FROM case_categories WHERE active = 1 ORDER BY code`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c Category
			if err := rows.Scan(&c.Code, &c.ParentCode, &c.Kind, &c.Name, &c.NameEN, &c.HandleDays, &c.Priority, &c.FilingStandard, &c.ClosingStandard); err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, errs.Wrap(err, "categories")
}

// category is getCategory through the in-memory cache.
func (s *Service) category(ctx context.Context, tx *store.Tx, code string) (Category, error) {
	if c, ok := s.cats.Load(code); ok {
		return c.(Category), nil
	}
	c, err := getCategory(ctx, tx, code)
	if err == nil {
		s.cats.Store(code, c)
	}
	return c, err
}

func getCategory(ctx context.Context, tx *store.Tx, code string) (Category, error) {
	var c Category
	err := tx.QueryRow(ctx, `SELECT code, parent_code, kind, name, name_en, handle_days, priority, filing_standard, closing_standard
		FROM case_categories WHERE code = ? AND active = 1`, strings.TrimSpace(code)).
		Scan(&c.Code, &c.ParentCode, &c.Kind, &c.Name, &c.NameEN, &c.HandleDays, &c.Priority, &c.FilingStandard, &c.ClosingStandard)
	if errs.Is(err, errs.NotFound) {
		return c, errs.Field("category", "err.cases.category")
	}
	return c, err
}

// DefaultQuick are the subcategories part-time grid workers report most in
// Heze's figures: rubbish, full bins, parking, street trading, manhole
// covers and blocked fire lanes. They fill the quick report's buttons until
// a reporter and their area have figures of their own.
var DefaultQuick = []string{"1101", "1104", "1202", "1201", "0101", "1501"}

// QuickCategories picks n subcategories for a reporter's one-screen
// buttons: those they reported most in the last 90 days, then those
// reported most in their area in the last 30, then DefaultQuick. Ties go
// to the lower code, so the buttons do not shuffle between visits.
func (s *Service) QuickCategories(ctx context.Context, actor auth.Actor, n int) ([]string, error) {
	now := s.db.Now()
	var out []string
	seen := map[string]bool{}
	add := func(codes []string) {
		for _, c := range codes {
			if len(out) < n && !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	code := func(row interface{ Scan(...any) error }) (string, error) {
		var c string
		var k int
		err := row.Scan(&c, &k)
		return c, err
	}
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		const tail = ` GROUP BY c.category_code ORDER BY count(*) DESC, c.category_code LIMIT ?`
		if actor.UserID != "" {
			mine, err := store.All(ctx, tx, code, `SELECT c.category_code, count(*) FROM cases c
				WHERE c.reporter_id = ? AND c.reported_at >= ?`+tail, actor.UserID, store.FormatTime(now.AddDate(0, 0, -90)), n)
			if err != nil {
				return err
			}
			add(mine)
		}
		if len(out) < n && actor.RegionPath != "" {
			area, err := store.All(ctx, tx, code, `SELECT c.category_code, count(*) FROM cases c
				WHERE c.region_path LIKE ? AND c.reported_at >= ?`+tail, actor.RegionPath+"%", store.FormatTime(now.AddDate(0, 0, -30)), 2*n)
			if err != nil {
				return err
			}
			add(area)
		}
		return nil
	})
	if err != nil {
		return nil, errs.Wrap(err, "quick categories")
	}
	add(DefaultQuick)
	return out, nil
}
