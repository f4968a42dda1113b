package suggest_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/privacy"
	"civicgrid/internal/region/regiontest"
	"civicgrid/internal/store"
	"civicgrid/internal/store/storetest"
	"civicgrid/internal/suggest"
)

const (
	countyPath  = "/371700/371722/"
	townPath    = countyPath + "371722001/"
	villagePath = townPath + "371722001001/"
)

type world struct {
	db       *store.DB
	s        *suggest.Service
	ctx      context.Context
	clock    time.Time
	official auth.Actor
	grid     auth.Actor
	resident auth.Actor
	handler  auth.Actor
	unit     string
	other    string // a unit the handler is not in
}

func addUser(t testing.TB, db *store.DB, id string, role auth.Role, code, path, unit string) auth.Actor {
	t.Helper()
	ctx := context.Background()
	err := db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO users (id, username, display_name, password_hash, role, region_code, region_path, unit_id, created_at, updated_at) VALUES (?, ?, ?, 'x', ?, ?, ?, ?, ?, ?)`,
			id, id, "用户"+id, string(role), code, path, unit, tx.NowText(), tx.NowText())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return auth.Actor{UserID: id, Username: id, Role: role, RegionCode: code, RegionPath: path}
}

func newWorld(t *testing.T, db *store.DB) *world {
	regions := regiontest.Load(t, db)
	keys, err := privacy.NewKeys(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	w := &world{db: db, ctx: context.Background(), clock: time.Date(2026, 5, 1, 1, 0, 0, 0, time.UTC)}
	db.Now = func() time.Time { return w.clock }
	w.s = suggest.New(db, keys, regions)
	w.unit, w.other = "U-TRANSPORT", "U-EDU"
	err = db.Write(w.ctx, func(tx *store.Tx) error {
		for _, u := range [][2]string{{w.unit, "单县交通运输局"}, {w.other, "单县教育和体育局"}} {
			if _, err := tx.Exec(w.ctx, `INSERT INTO units (id, name, kind, region_code, region_path, created_at) VALUES (?, ?, 'department', ?, ?, ?)`,
				u[0], u[1], regiontest.CountyA, countyPath, tx.NowText()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	w.official = addUser(t, db, "official", auth.Official, regiontest.CountyA, countyPath, "")
	w.grid = addUser(t, db, "grid", auth.GridWorker, regiontest.VillA1a, villagePath, "")
	w.resident = addUser(t, db, "resident", auth.Resident, regiontest.GridA1a1, villagePath+regiontest.GridA1a1+"/", "")
	w.handler = addUser(t, db, "handler", auth.DeptHandler, regiontest.CountyA, countyPath, w.unit)
	return w
}

func check[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func wantErr(t *testing.T, err error, key string) {
	t.Helper()
	if err == nil || errs.As(err).Key != key {
		t.Fatalf("got %v, want %s", err, key)
	}
}

func ptr[T any](v T) *T { return &v }

func actions(v suggest.View) []string {
	var out []string
	for _, e := range v.Trail {
		out = append(out, e.Action)
	}
	return out
}

// TestLife is the journey in the domain: a resident files from a
// box's QR form, a collector enters three slips from the same box, the
// office assesses them, merges two, forwards to a unit; the unit adopts
// one and records the measure and its progress, turns one down with a
// reason; every author sees the outcome; wrong steps are refused.
func TestLife(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := w.ctx
		box := check(w.s.CreatePoint(ctx, w.official, suggest.Point{Kind: suggest.Box, Name: "兴华社区东门意见箱", RegionCode: regiontest.VillA1a, Address: "东门"}))(t)
		if box.Code == "" || box.RegionPath != villagePath {
			t.Fatalf("box %+v", box)
		}
		if _, err := w.s.CreatePoint(ctx, w.grid, suggest.Point{Kind: suggest.Box, Name: "x", RegionCode: regiontest.VillA1a}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("grid worker registered a box: %v", err)
		}
		// The resident scans the poster: anonymous, no account, a phone to follow.
		web := check(w.s.File(ctx, auth.Actor{}, suggest.NewSuggestion{Channel: suggest.Box, PointCode: box.Code, Title: "东门路灯太暗", Body: "晚上回家看不清路。",
			Anonymous: true, AuthorPhone: "13800001111", IdempotencyKey: "k1"}))(t)
		if web.FollowToken == "" || web.Suggestion.PointID != box.ID || web.Suggestion.RegionCode != regiontest.VillA1a || web.Suggestion.EnteredBy != "" {
			t.Fatalf("filed %+v", web)
		}
		again := check(w.s.File(ctx, auth.Actor{}, suggest.NewSuggestion{Channel: suggest.Box, PointCode: box.Code, Title: "东门路灯太暗", Body: "晚上回家看不清路。", Anonymous: true, IdempotencyKey: "k1"}))(t)
		if !again.Replayed || again.Suggestion.ID != web.Suggestion.ID || again.FollowToken != web.FollowToken {
			t.Fatalf("retry: %+v", again)
		}
		// A slip needs the collector: the resident cannot enter one.
		slip := suggest.NewSuggestion{Channel: suggest.Box, PointID: box.ID, CollectedAt: "2026-04-30", SlipPhotoID: "photo1", AuthorName: "王大爷"}
		s1 := slip
		s1.Title, s1.Body = "路灯坏了", "东门的路灯坏了三盏。"
		if _, err := w.s.File(ctx, w.resident, s1); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("resident entered a slip: %v", err)
		}
		noDate := s1
		noDate.CollectedAt = ""
		if _, err := w.s.File(ctx, w.grid, noDate); err == nil || errs.As(err).Field != "collected_at" {
			t.Fatalf("slip without a date: %v", err)
		}
		af := check(w.s.File(ctx, w.grid, s1))(t)
		a := af.Suggestion
		s2 := slip
		s2.Title, s2.Body, s2.AuthorName = "增设路灯", "东门到菜市场一段没有路灯。", ""
		b := check(w.s.File(ctx, w.grid, s2))(t).Suggestion
		s3 := slip
		s3.Title, s3.Body = "建一个篮球场", "小区没有运动场地。"
		c := check(w.s.File(ctx, w.grid, s3))(t)
		if a.EnteredBy != w.grid.UserID || a.CollectedAt != "2026-04-30" || a.SlipPhotoID != "photo1" || a.AuthorName != "王**" || a.Channel != suggest.Box {
			t.Fatalf("slip %+v", a)
		}

		// Wrong steps are refused with a clear error.
		_, err := w.s.Act(ctx, w.official, a.ID, suggest.ActAdopt, suggest.Input{Decision: "x"})
		wantErr(t, err, "err.suggest.transition")
		_, err = w.s.Act(ctx, w.resident, a.ID, suggest.ActAssess, suggest.Input{Topic: "市政"})
		if !errs.Is(err, errs.Forbidden) {
			t.Fatalf("resident assessed: %v", err)
		}
		_, err = w.s.Act(ctx, w.official, a.ID, suggest.ActAssess, suggest.Input{})
		if err == nil || errs.As(err).Field != "topic" {
			t.Fatalf("assess without a topic: %v", err)
		}

		// The office assesses, merges the three lighting ones into the
		// resident's, and forwards that to the transport bureau.
		target := web.Suggestion.ID
		check(w.s.Act(ctx, w.official, target, suggest.ActAssess, suggest.Input{Topic: "市政设施", UnitID: w.unit}))(t)
		check(w.s.Act(ctx, w.official, a.ID, suggest.ActAssess, suggest.Input{Topic: "市政设施"}))(t)
		merged := check(w.s.Merge(ctx, w.official, target, []string{a.ID, b.No}, "同一路段的路灯"))(t)
		if len(merged.MergedFrom) != 2 {
			t.Fatalf("merged from %+v", merged.MergedFrom)
		}
		_, err = w.s.Merge(ctx, w.official, target, []string{a.ID}, "")
		wantErr(t, err, "err.suggest.merge_closed")
		check(w.s.Act(ctx, w.official, target, suggest.ActForward, suggest.Input{}))(t)
		// The basketball court is forwarded to education and turned down there.
		check(w.s.Act(ctx, w.official, c.Suggestion.ID, suggest.ActAssess, suggest.Input{Topic: "文体", UnitID: w.other}))(t)
		check(w.s.Act(ctx, w.official, c.Suggestion.ID, suggest.ActForward, suggest.Input{}))(t)
		// A handler outside the unit cannot decide; the unit's handler can.
		_, err = w.s.Act(ctx, w.handler, c.Suggestion.ID, suggest.ActNotAdopt, suggest.Input{Reason: "x"})
		if !errs.Is(err, errs.Forbidden) {
			t.Fatalf("other unit decided: %v", err)
		}
		check(w.s.Act(ctx, w.official, c.Suggestion.ID, suggest.ActNotAdopt, suggest.Input{Reason: "场地不足，已纳入明年规划研究。"}))(t)
		w.clock = w.clock.Add(24 * time.Hour)
		check(w.s.Act(ctx, w.handler, target, suggest.ActAdopt, suggest.Input{Decision: "东门至菜市场增设路灯12盏，维修3盏。"}))(t)
		_, err = w.s.Act(ctx, w.handler, target, suggest.ActImplement, suggest.Input{Measure: "路灯改造工程", MeasureURL: "javascript:alert(1)"})
		if err == nil || errs.As(err).Field != "measure_url" {
			t.Fatalf("bad link: %v", err)
		}
		check(w.s.Act(ctx, w.handler, target, suggest.ActImplement, suggest.Input{Measure: "单县城区路灯改造工程", MeasureURL: "https://www.shanxian.gov.cn/lamps", Progress: ptr(10)}))(t)
		v := check(w.s.Act(ctx, w.handler, target, suggest.ActMilestone, suggest.Input{Day: "2026-05-10", Progress: ptr(60), Note: "完成线路铺设"}))(t)
		if v.Status != suggest.Implemented || v.Progress != 60 || len(v.Milestones) != 1 || v.Milestones[0].Day != "2026-05-10" {
			t.Fatalf("implemented %+v", v.Suggestion)
		}
		_, err = w.s.Act(ctx, w.handler, target, suggest.ActMilestone, suggest.Input{Progress: ptr(120), Note: "x"})
		if err == nil || errs.As(err).Field != "progress" {
			t.Fatalf("progress 120: %v", err)
		}
		want := []string{"received", "assessed", "merged_from", "merged_from", "forwarded", "adopted", "implemented", "milestone"}
		if got := actions(v); !slices.Equal(got, want) {
			t.Fatalf("trail %v, want %v", got, want)
		}

		// The resident follows with the token (or the phone) and sees every step.
		f := check(w.s.Follow(ctx, web.Suggestion.No, web.FollowToken, ""))(t)
		if f.Status != suggest.Implemented || f.Measure == "" || f.AuthorPhone != "" || !slices.Equal(actions(f), want) {
			t.Fatalf("follow %+v %v", f.Suggestion, actions(f))
		}
		check(w.s.Follow(ctx, web.Suggestion.No, "", "138 0000 1111"))(t)
		if _, err := w.s.Follow(ctx, web.Suggestion.No, "wrong", "13800002222"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("wrong token: %v", err)
		}
		// A merged slip keeps its author and channel and shows the outcome.
		fa := check(w.s.Follow(ctx, a.No, af.FollowToken, ""))(t)
		if fa.Status != suggest.Merged || fa.Channel != suggest.Box || fa.Target == nil || fa.Outcome().Status != suggest.Implemented || fa.Outcome().Progress != 60 {
			t.Fatalf("merged follow %+v", fa)
		}
		ga := check(w.s.Get(ctx, w.official, a.ID))(t)
		if ga.AuthorName != "王**" || ga.MergedInto != target || ga.Target.No != web.Suggestion.No {
			t.Fatalf("merged original %+v", ga.Suggestion)
		}
		fc := check(w.s.Follow(ctx, c.Suggestion.No, c.FollowToken, ""))(t)
		if fc.Status != suggest.NotAdopted || fc.Reason == "" {
			t.Fatalf("not adopted %+v", fc.Suggestion)
		}
	})
}

// TestSplit: one slip raising two matters becomes two suggestions that
// keep its author and channel; the author follows both with one token.
func TestSplit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := w.ctx
		f := check(w.s.File(ctx, w.grid, suggest.NewSuggestion{Channel: suggest.Door, RegionCode: regiontest.GridA1a1, Title: "两件事", Body: "修路，再建个图书室。", AuthorName: "李四", AuthorPhone: "13900002222"}))(t)
		_, err := w.s.Split(ctx, w.official, f.Suggestion.ID, []suggest.Part{{Title: "只有一件"}})
		wantErr(t, err, "err.suggest.split_two")
		v := check(w.s.Split(ctx, w.official, f.Suggestion.ID, []suggest.Part{{Title: "修路", Topic: "交通"}, {Title: "建图书室", Body: "村里建个图书室。"}}))(t)
		if v.Status != suggest.Split || len(v.Children) != 2 {
			t.Fatalf("split %+v", v)
		}
		for _, ch := range v.Children {
			c := check(w.s.Follow(ctx, ch.No, f.FollowToken, ""))(t)
			if c.Parent == nil || c.Parent.ID != f.Suggestion.ID || c.Channel != suggest.Door || c.Status != suggest.Received {
				t.Fatalf("child %+v", c)
			}
			g := check(w.s.Get(ctx, w.official, ch.ID))(t)
			if g.AuthorName != "李*" || g.AuthorPhone != "139****2222" || g.SplitFrom != f.Suggestion.ID {
				t.Fatalf("child author %+v", g.Suggestion)
			}
		}
		_, err = w.s.Act(ctx, w.official, f.Suggestion.ID, suggest.ActAssess, suggest.Input{Topic: "x"})
		wantErr(t, err, "err.suggest.transition")
		// A resident sees their own, not others'.
		mine := check(w.s.File(ctx, w.resident, suggest.NewSuggestion{RegionCode: regiontest.GridA1a1, Title: "我的建议", Body: "内容"}))(t)
		list, _, err := w.s.List(ctx, w.resident, suggest.Filter{})
		if err != nil || len(list) != 1 || list[0].ID != mine.Suggestion.ID {
			t.Fatalf("mine %v %v", list, err)
		}
		if _, err := w.s.Get(ctx, w.resident, v.Children[0].ID); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("resident saw another's: %v", err)
		}
	})
}

// TestFigures files twelve suggestions through every channel, takes them
// to known ends, and checks the conversion figures against a hand count.
func TestFigures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx, o := w.ctx, w.official
		box := check(w.s.CreatePoint(ctx, o, suggest.Point{Kind: suggest.Box, Name: "箱", RegionCode: regiontest.VillA1a}))(t)
		point := check(w.s.CreatePoint(ctx, o, suggest.Point{Kind: suggest.ReportPoint, Code: "zb-001", Name: "直报点", RegionCode: regiontest.VillA1b}))(t)
		if point.Code != "ZB-001" {
			t.Fatalf("code %q", point.Code)
		}
		m1 := check(w.s.CreateMaker(ctx, o, suggest.Maker{Name: "张律师", Field: "法律", RegionCode: regiontest.VillA1a}))(t)
		m2 := check(w.s.CreateMaker(ctx, o, suggest.Maker{Name: "刘老师", Field: "教育", RegionCode: regiontest.TownA2}))(t)
		as := check(w.s.CreateAssociation(ctx, o, suggest.Assoc{Name: "单县物流协会", Kind: "industry", RegionCode: regiontest.CountyA, UserID: w.resident.UserID}))(t)
		file := func(in suggest.NewSuggestion, by auth.Actor) string {
			t.Helper()
			in.Title, in.Body = "建议", "内容"
			return check(w.s.File(ctx, by, in))(t).Suggestion.ID
		}
		act := func(id string, steps ...string) {
			t.Helper()
			for _, st := range steps {
				in := suggest.Input{Topic: "交通", UnitID: w.unit, Decision: "采纳", Reason: "理由", Measure: "措施", Progress: ptr(50), Note: "进展"}
				if st == "irrelevant" {
					st, in.Relevant, in.Topic = suggest.ActAssess, ptr(false), ""
				}
				check(w.s.Act(ctx, o, id, st, in))(t)
			}
		}
		topic := func(id, topic string) {
			t.Helper()
			check(w.s.Act(ctx, o, id, suggest.ActAssess, suggest.Input{Topic: topic}))(t)
		}
		const as_, fw, ad, im = suggest.ActAssess, suggest.ActForward, suggest.ActAdopt, suggest.ActImplement

		// 12: online, before the period.
		w.clock = time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC)
		file(suggest.NewSuggestion{RegionCode: regiontest.GridA1a1}, auth.Actor{})
		w.clock = time.Date(2026, 5, 1, 1, 0, 0, 0, time.UTC)
		s1 := file(suggest.NewSuggestion{RegionCode: regiontest.GridA1a1}, auth.Actor{})
		act(s1, as_, fw, ad, im)
		s2 := file(suggest.NewSuggestion{Channel: suggest.Box, PointCode: box.Code}, auth.Actor{})
		act(s2, as_, fw, ad)
		s3 := file(suggest.NewSuggestion{Channel: suggest.Box, PointID: box.ID, CollectedAt: "2026-04-30"}, w.grid)
		s4 := file(suggest.NewSuggestion{Channel: suggest.ReportPoint, PointID: point.ID}, o)
		topic(s4, "教育")
		act(s4, fw, suggest.ActNotAdopt)
		s5 := file(suggest.NewSuggestion{Channel: suggest.Invited, MakerID: m1.ID}, w.grid)
		topic(s5, "教育")
		act(s5, fw, ad)
		s6 := file(suggest.NewSuggestion{Channel: suggest.Invited, MakerID: m1.ID}, w.grid)
		act(s6, "irrelevant")
		file(suggest.NewSuggestion{Channel: suggest.Invited, MakerID: m2.ID}, o)
		// The association files as itself (its account is linked).
		s8 := file(suggest.NewSuggestion{Channel: suggest.Association, AssociationID: as.ID}, w.resident)
		topic(s8, "营商环境")
		act(s8, fw)
		s9 := file(suggest.NewSuggestion{Channel: suggest.Association, AssociationID: as.ID}, w.resident)
		topic(s9, "营商环境")
		act(s9, fw, ad, im)
		s10 := file(suggest.NewSuggestion{Channel: suggest.Door, RegionCode: "371722002001"}, w.official)
		kids := check(w.s.Split(ctx, o, s10, []suggest.Part{{Title: "一"}, {Title: "二"}}))(t).Children
		topic(kids[0].ID, "文体")
		// 11: another county.
		file(suggest.NewSuggestion{RegionCode: regiontest.VillB1a}, auth.Actor{})
		check(w.s.Merge(ctx, o, s1, []string{s3}, ""))(t)

		f := check(w.s.Figures(ctx, o, regiontest.CountyA, time.Time{}, time.Time{}))(t)
		type row = [5]int // received, assessed, relevant, adopted, implemented
		got := func(c suggest.Count) row { return row{c.Received, c.Assessed, c.Relevant, c.Adopted, c.Implemented} }
		if g := got(f.Total); g != (row{12, 9, 8, 5, 3}) || f.Total.Rate != 5.0/8 {
			t.Fatalf("total %v rate %v", g, f.Total.Rate)
		}
		want := func(name string, rows []suggest.Count, exp map[string]row) {
			t.Helper()
			seen := 0
			for _, c := range rows {
				e, ok := exp[c.Key]
				if !ok {
					if c.Received != 0 {
						t.Errorf("%s %q: %v unexpected", name, c.Key, got(c))
					}
					continue
				}
				seen++
				if got(c) != e {
					t.Errorf("%s %q (%s): got %v, want %v", name, c.Key, c.Name, got(c), e)
				}
			}
			if seen != len(exp) {
				t.Errorf("%s: %d of %d rows", name, seen, len(exp))
			}
		}
		want("channel", f.ByChannel, map[string]row{
			suggest.Online: {2, 1, 1, 1, 1}, suggest.Box: {2, 2, 2, 2, 1}, suggest.ReportPoint: {1, 1, 1, 0, 0},
			suggest.Invited: {3, 2, 1, 1, 0}, suggest.Door: {2, 1, 1, 0, 0}, suggest.Association: {2, 2, 2, 1, 1}, suggest.Campaign: {},
		})
		want("region", f.ByRegion, map[string]row{regiontest.TownA1: {7, 6, 5, 4, 2}, regiontest.TownA2: {3, 1, 1, 0, 0}, "": {2, 2, 2, 1, 1}})
		want("topic", f.ByTopic, map[string]row{"交通": {2, 2, 2, 2, 1}, "": {5, 2, 1, 1, 1}, "教育": {2, 2, 2, 1, 0}, "营商环境": {2, 2, 2, 1, 1}, "文体": {1, 1, 1, 0, 0}})
		want("maker", f.ByMaker, map[string]row{m1.ID: {2, 2, 1, 1, 0}, m2.ID: {1, 0, 0, 0, 0}})
		want("association", f.ByAssociation, map[string]row{as.ID: {2, 2, 2, 1, 1}})
		for _, c := range f.ByChannel {
			if c.Key == suggest.Invited && c.Rate != 1 {
				t.Errorf("invited rate %v", c.Rate)
			}
		}
		// The period leaves out the one filed in March.
		p := check(w.s.Figures(ctx, o, regiontest.CountyA, time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)))(t)
		if g := got(p.Total); g != (row{11, 9, 8, 5, 3}) {
			t.Fatalf("period total %v", g)
		}
		// A grid worker sees the figures of their village only; a resident none.
		g := check(w.s.Figures(ctx, w.grid, "", time.Time{}, time.Time{}))(t)
		if g.Total.Received != 6 {
			t.Fatalf("village figures %v", got(g.Total))
		}
		if _, err := w.s.Figures(ctx, w.resident, "", time.Time{}, time.Time{}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("resident figures: %v", err)
		}
	})
}
