package cases_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"civicgrid/internal/account"
	"civicgrid/internal/auth"
	"civicgrid/internal/cases"
	"civicgrid/internal/errs"
	"civicgrid/internal/privacy"
	"civicgrid/internal/region"
	"civicgrid/internal/region/regiontest"
	"civicgrid/internal/store"
	"civicgrid/internal/store/storetest"
	"civicgrid/internal/workcal"
)

// world is a small county with its departments, a handler in each of two
// units, a grid worker, a resident and a county official, on a clock the
// test moves.
type world struct {
	t         *testing.T
	db        *store.DB
	svc       *cases.Service
	now       time.Time
	official  auth.Actor
	worker    auth.Actor
	resident  auth.Actor
	handler   auth.Actor // 单县综合行政执法局
	other     auth.Actor // 单县民政局
	unitCity  string     // 综合行政执法局
	unitCivil string     // 民政局

	mu       sync.Mutex
	notified []string // case ids announced to live pages, in order
}

var ctx = context.Background()

// Monday 2026-03-02 09:00 Beijing time.
var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	w := &world{t: t, db: db, now: start}
	db.Now = func() time.Time { return w.now }
	regions := regiontest.Load(t, db)
	keys, _ := privacy.NewKeys(make([]byte, 32))
	cal, err := workcal.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	w.svc = cases.New(db, regions, regions, cal, keys, cases.DefaultConfig, func(id, path string) {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.notified = append(w.notified, id)
	})
	county, _ := regions.Lookup(regiontest.CountyA)
	t1, _ := regions.Lookup(regiontest.TownA1)
	t2, _ := regions.Lookup(regiontest.TownA2)
	err = db.Write(ctx, func(tx *store.Tx) error {
		if err := cases.SeedCategories(ctx, tx); err != nil {
			return err
		}
		return cases.SeedUnits(ctx, tx, county, []region.Info{t1, t2})
	})
	if err != nil {
		t.Fatal(err)
	}
	accounts := account.NewService(db, keys, regions, account.DefaultConfig)
	sys := auth.System("test")
	mk := func(name string, role auth.Role, code string) auth.Actor {
		u, err := accounts.Create(ctx, sys, account.NewUser{Username: name, Password: "correct horse", Role: role, RegionCode: code})
		if err != nil {
			t.Fatal(err)
		}
		return u.Actor("127.0.0.1", "test")
	}
	w.official = mk("official", auth.Official, regiontest.CountyA)
	w.worker = mk("worker", auth.GridWorker, regiontest.GridA1a1)
	w.resident = mk("resident", auth.Resident, regiontest.GridA1a1)
	w.handler = mk("handler", auth.DeptHandler, regiontest.CountyA)
	w.other = mk("civil", auth.DeptHandler, regiontest.CountyA)
	units, err := w.svc.Units(ctx, w.official, regiontest.CountyA)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range units {
		switch u.Name {
		case "单县综合行政执法局":
			w.unitCity = u.ID
		case "单县民政局":
			w.unitCivil = u.ID
		}
	}
	if w.unitCity == "" || w.unitCivil == "" {
		t.Fatalf("demo units missing: %+v", units)
	}
	if err := w.svc.SetUserUnit(ctx, w.official, w.handler.UserID, w.unitCity); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.SetUserUnit(ctx, w.official, w.other.UserID, w.unitCivil); err != nil {
		t.Fatal(err)
	}
	return w
}

// checkRollup: the rollup the rates read equals a full scan of the cases,
// for the county and each town, over the test's whole period.
func (w *world) checkRollup() {
	w.t.Helper()
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, start.Location())
	to := from.AddDate(0, 1, 0)
	for _, p := range []string{"/371700/", "/371700/371722/", "/371700/371722/371722001/", "/371700/371722/371722002/"} {
		r, s, err := w.svc.RollupAndScan(p, from, to)
		if err != nil {
			w.t.Fatal(err)
		}
		if r != s {
			w.t.Fatalf("rollup for %s: %v, full scan %v", p, r, s)
		}
	}
}

func (w *world) file(a auth.Actor, r cases.Report) cases.Intake {
	w.t.Helper()
	if r.Channel == "" {
		r.Channel = cases.ChannelWeb
	}
	if r.Category == "" {
		r.Category = "1101"
	}
	if r.Lng == 0 {
		r.Lng, r.Lat = 116.1, 34.2 // inside grid A1a1
	}
	if r.Description == "" {
		r.Description = "路边有一堆垃圾"
	}
	in, err := w.svc.File(ctx, a, r)
	if err != nil {
		w.t.Fatalf("file: %v", err)
	}
	return in
}

func (w *world) act(a auth.Actor, id string, action cases.Action, in cases.Input) cases.Case {
	w.t.Helper()
	c, err := w.svc.Act(ctx, a, id, action, in, "")
	if err != nil {
		w.t.Fatalf("%s by %s: %v", action, a.Username, err)
	}
	return c
}

func (w *world) refuse(a auth.Actor, id string, action cases.Action, in cases.Input, code errs.Code) {
	w.t.Helper()
	_, err := w.svc.Act(ctx, a, id, action, in, "")
	if !errs.Is(err, code) {
		w.t.Fatalf("%s by %s: got %v, want %s", action, a.Username, err, code)
	}
}

func actions(t *testing.T, w *world, id string) string {
	_, evs, err := w.svc.Get(ctx, w.official, id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Action)
	}
	return strings.Join(out, " ")
}

func TestHappyPathAndHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		in := w.file(w.resident, cases.Report{})
		c := in.Case
		if c.Status != cases.Reported || c.GridCode != regiontest.GridA1a1 || c.AcceptDue.IsZero() || !strings.HasPrefix(c.No, "371722-20260302-") {
			t.Fatalf("filed: %+v", c)
		}
		w.now = w.now.Add(time.Hour)
		c = w.act(w.official, c.ID, cases.ActAccept, cases.Input{})
		c = w.act(w.official, c.ID, cases.ActDispatch, cases.Input{})
		if c.LeadUnitID != w.unitCity || c.Status != cases.Dispatched {
			t.Fatalf("routing: lead %s, want 综合行政执法局 %s", c.LeadUnitID, w.unitCity)
		}
		// 1101 (暴露垃圾) has 2 working days: Monday 10:00 → Wednesday 17:30.
		if want := time.Date(2026, 3, 4, 17, 30, 0, 0, start.Location()); !c.HandleDue.Equal(want) {
			t.Fatalf("handle due %v, want %v", c.HandleDue, want)
		}
		w.refuse(w.other, c.ID, cases.ActReply, cases.Input{Note: "已处理"}, errs.Forbidden) // not the lead unit
		w.refuse(w.handler, c.ID, cases.ActReply, cases.Input{}, errs.Invalid)            // no note
		w.now = w.now.Add(3 * time.Hour)
		c = w.act(w.handler, c.ID, cases.ActReply, cases.Input{Note: "已清运", Photos: []string{"abc123"}})
		w.refuse(w.resident, c.ID, cases.ActVerifyPass, cases.Input{}, errs.Forbidden)
		c = w.act(w.worker, c.ID, cases.ActVerifyPass, cases.Input{Note: "现场已干净"})
		if c.Status != cases.Closed {
			t.Fatalf("after verify: %s", c.Status)
		}
		w.refuse(w.worker, c.ID, cases.ActRate, cases.Input{Satisfaction: 5}, errs.Forbidden)
		c = w.act(w.resident, c.ID, cases.ActRate, cases.Input{Satisfaction: 5})
		w.refuse(w.resident, c.ID, cases.ActRate, cases.Input{Satisfaction: 1}, errs.Conflict) // once per closure
		if got := actions(t, w, c.ID); got != "report accept dispatch reply verify_pass rate" {
			t.Fatalf("history: %s", got)
		}
		// Invalid transitions get a clear conflict.
		w.refuse(w.official, c.ID, cases.ActAccept, cases.Input{}, errs.Conflict)
		r, err := w.svc.Rates(ctx, w.official, regiontest.CountyA, start.Add(-time.Hour), start.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if r.Reported != 1 || r.Closed != 1 || r.OnTime.Num != 1 || r.Satisfaction.Num != 1 || r.Response.Num != 1 || r.AvgWorkHours != 2 /* 10:00–13:00 less the 12:00–13:30 lunch break */ {
			t.Fatalf("rates: %+v", r)
		}
		rel, _ := w.svc.ReporterReliability(ctx, w.resident, w.resident.UserID)
		if rel.Filed != 1 || rel.Accepted != 1 || rel.Rate != 1 {
			t.Fatalf("reliability: %+v", rel)
		}
		w.checkRollup()
	})
}

func TestReturnPostponeJointReworkReopen(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		c := w.file(w.worker, cases.Report{Channel: cases.ChannelPatrol, Category: "1201"}).Case
		c = w.act(w.official, c.ID, cases.ActAccept, cases.Input{})
		c = w.act(w.official, c.ID, cases.ActDispatch, cases.Input{AssistUnits: []string{w.unitCivil}})
		if len(c.AssistUnits) != 1 {
			t.Fatalf("joint handling: %+v", c.AssistUnits)
		}
		// The assisting unit sees the case but cannot reply for the lead.
		if _, _, err := w.svc.Get(ctx, w.other, c.ID); err != nil {
			t.Fatalf("assisting unit cannot read: %v", err)
		}
		w.refuse(w.other, c.ID, cases.ActReply, cases.Input{Note: "x"}, errs.Forbidden)
		// Postponement: asked before the deadline, approved by the dispatcher.
		before := c.HandleDue
		w.refuse(w.handler, c.ID, cases.ActPostponeRequest, cases.Input{Note: "需要协调", Days: 11}, errs.Invalid)
		c = w.act(w.handler, c.ID, cases.ActPostponeRequest, cases.Input{Note: "需要协调", Days: 3})
		w.refuse(w.handler, c.ID, cases.ActPostponeRequest, cases.Input{Note: "again", Days: 1}, errs.Conflict)
		pendingList := func() []string {
			cs, _, err := w.svc.List(ctx, w.official, cases.Filter{PostponePending: true})
			if err != nil {
				t.Fatal(err)
			}
			var nos []string
			for _, x := range cs {
				nos = append(nos, x.No)
			}
			return nos
		}
		if got := pendingList(); len(got) != 1 || got[0] != c.No {
			t.Fatalf("postponements to decide: %v, want only %s", got, c.No)
		}
		c = w.act(w.official, c.ID, cases.ActPostponeApprove, cases.Input{})
		if got := pendingList(); len(got) != 0 {
			t.Fatalf("postponements to decide after approving: %v", got)
		}
		if !c.HandleDue.After(before) || c.PostponeDays != 3 || c.PostponePending {
			t.Fatalf("postponed: due %v → %v, days %d", before, c.HandleDue, c.PostponeDays)
		}
		// Reply, fail verification (rework), reply again, pass.
		c = w.act(w.handler, c.ID, cases.ActReply, cases.Input{Note: "已劝离"})
		c = w.act(w.worker, c.ID, cases.ActVerifyFail, cases.Input{Note: "摊贩又回来了"})
		if c.Status != cases.Dispatched || c.ReworkCount != 1 {
			t.Fatalf("rework: %+v", c)
		}
		c = w.act(w.handler, c.ID, cases.ActReply, cases.Input{Note: "已取缔"})
		c = w.act(w.worker, c.ID, cases.ActVerifyPass, cases.Input{})
		// The reporter (grid worker) is dissatisfied and reopens it.
		c = w.act(w.worker, c.ID, cases.ActRate, cases.Input{Satisfaction: 2, Reopen: true})
		if c.Status != cases.Dispatched || !c.Reopened || c.ReworkCount != 2 {
			t.Fatalf("reopen: %+v", c)
		}
		// Closed again, it is rated again; a second reopen is allowed, a
		// third is not (the rating itself still counts).
		for i, wantReopen := range []bool{true, false} {
			c = w.act(w.handler, c.ID, cases.ActReply, cases.Input{Note: "再次清理"})
			c = w.act(w.official, c.ID, cases.ActVerifyPass, cases.Input{})
			if wantReopen {
				c = w.act(w.worker, c.ID, cases.ActRate, cases.Input{Satisfaction: 1, Reopen: true})
				continue
			}
			w.refuse(w.worker, c.ID, cases.ActRate, cases.Input{Satisfaction: 1, Reopen: true}, errs.Invalid)
			c = w.act(w.worker, c.ID, cases.ActRate, cases.Input{Satisfaction: 1})
			if c.Status != cases.Closed || c.Satisfaction != 1 {
				t.Fatalf("round %d: %s, satisfaction %d", i, c.Status, c.Satisfaction)
			}
		}

		// Return: the unit says "not ours" within 2 working days.
		d := w.file(w.resident, cases.Report{Category: "1601", Lng: 116.3, Lat: 34.7}).Case
		d = w.act(w.official, d.ID, cases.ActAccept, cases.Input{})
		d = w.act(w.official, d.ID, cases.ActDispatch, cases.Input{UnitID: w.unitCity})
		w.refuse(w.handler, d.ID, cases.ActReturn, cases.Input{UnitID: w.unitCivil}, errs.Invalid) // a reason is required
		w.refuse(w.handler, d.ID, cases.ActReturn, cases.Input{Note: "非本单位职责"}, errs.Invalid)      // and whose it is
		w.refuse(w.handler, d.ID, cases.ActReturn, cases.Input{Note: "非本单位职责", UnitID: w.unitCity}, errs.Invalid)
		d = w.act(w.handler, d.ID, cases.ActReturn, cases.Input{Note: "属于司法调解，非本单位职责", UnitID: w.unitCivil})
		if d.Status != cases.Accepted || d.LeadUnitID != "" {
			t.Fatalf("returned: %+v", d)
		}
		d = w.act(w.official, d.ID, cases.ActDispatch, cases.Input{}) // routed by the map: 1601 → town centre
		if d.LeadUnitName != "单县第1镇综治中心" {
			t.Fatalf("re-dispatched to %q", d.LeadUnitName)
		}
		_, evs, _ := w.svc.Get(ctx, w.official, d.ID)
		var chain []string
		for _, e := range evs {
			if e.Action == "return" {
				chain = append(chain, e.Note, e.Data)
			}
		}
		if len(chain) != 2 || !strings.Contains(chain[1], `"from_unit":"`+w.unitCity) || !strings.Contains(chain[1], `"suggested_unit":"`+w.unitCivil) {
			t.Fatalf("transfer chain lost: %v", chain)
		}
		// Returning later than 2 working days is refused.
		e := w.file(w.resident, cases.Report{Category: "1202", Lng: 116.3, Lat: 34.6}).Case
		w.act(w.official, e.ID, cases.ActAccept, cases.Input{})
		w.act(w.official, e.ID, cases.ActDispatch, cases.Input{})
		w.now = w.now.AddDate(0, 0, 7)
		w.refuse(w.handler, e.ID, cases.ActReturn, cases.Input{Note: "太晚", UnitID: w.unitCivil}, errs.Conflict)
		w.checkRollup()
	})
}

func TestDuplicatesMergeIdempotencyReject(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		first := w.file(w.resident, cases.Report{Category: "0101", Description: "井盖没了", IdempotencyKey: "k1", Photos: []string{"p0"}}).Case
		again := w.file(w.resident, cases.Report{Category: "0101", Description: "井盖没了", IdempotencyKey: "k1", Photos: []string{"p0"}})
		if !again.Replayed || again.Case.ID != first.ID {
			t.Fatalf("retry stored twice: %+v", again)
		}
		if _, err := w.svc.File(ctx, w.resident, cases.Report{Channel: cases.ChannelWeb, Category: "0101", Description: "别的", Lng: 116.1, Lat: 34.2, IdempotencyKey: "k1"}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("same key, other content: %v", err)
		}
		// A rider reports the same manhole 30 m away: offered as a duplicate.
		rider := auth.Actor{UserID: "rider", Username: "rider", Role: auth.PartTimeWorker, RegionPath: "/371700/371722/371722001/"}
		second := w.file(rider, cases.Report{Channel: cases.ChannelQuick, Category: "0101", Description: "", Photos: []string{"p1"}, Lng: 116.1003, Lat: 34.2001})
		if len(second.Duplicates) != 1 || second.Duplicates[0].ID != first.ID {
			t.Fatalf("duplicates: %+v", second.Duplicates)
		}
		far := w.file(w.resident, cases.Report{Category: "0101", Lng: 116.2, Lat: 34.3})
		if len(far.Duplicates) != 0 {
			t.Fatal("a case 12 km away offered as duplicate")
		}
		// An anonymous reporter of the same hole, merged too, follows the
		// case it was merged into; so does the rider, through their account.
		third := w.file(auth.Actor{}, cases.Report{Category: "0101", Description: "井盖", Lng: 116.1002, Lat: 34.2001})
		w.act(w.official, second.Case.ID, cases.ActMerge, cases.Input{Into: first.ID, Note: "同一井盖"})
		w.mu.Lock()
		w.notified = nil
		w.mu.Unlock()
		w.act(w.official, third.Case.ID, cases.ActMerge, cases.Input{Into: first.ID, Note: "同一井盖"})
		w.mu.Lock()
		if got := strings.Join(w.notified, " "); got != third.Case.ID+" "+first.ID {
			t.Errorf("merging announced %q, want the merged case and the one it joined", got)
		}
		w.mu.Unlock()
		if c, _, err := w.svc.Follow(ctx, third.Case.No, third.FollowToken); err != nil || c.ID != first.ID {
			t.Fatalf("the merged report's follower does not see the case it joined: %v %v", c.ID, err)
		}
		if _, _, err := w.svc.Get(ctx, rider, first.ID); err != nil {
			t.Fatalf("the merged report's author cannot read the case it joined: %v", err)
		}
		if got := actions(t, w, first.ID); got != "report merged_from merged_from" {
			t.Fatalf("target history: %s", got)
		}
		// They see the case's handling through their own report: not the
		// first reporter's words, place or person.
		if c, _, _ := w.svc.Follow(ctx, third.Case.No, third.FollowToken); c.Description != "井盖" || c.ReporterID != "" || c.Lng != 116.1002 {
			t.Errorf("the anonymous follower of a merged report sees description %q, reporter %q, lng %v of the case it joined", c.Description, c.ReporterID, c.Lng)
		}
		if c, _, _ := w.svc.Get(ctx, rider, first.ID); c.ReporterID != "rider" || strings.Join(c.Photos, ",") != "p1" {
			t.Errorf("the rider sees reporter %q and photos %v of the case their report joined, want their own (p1)", c.ReporterID, c.Photos)
		}
		if c, _, _ := w.svc.Get(ctx, w.official, first.ID); c.Description != "井盖没了" || c.ReporterID != w.resident.UserID {
			t.Errorf("staff see %q by %q, want the case's own report", c.Description, c.ReporterID)
		}
		// Nor the first reporter's photo, in the history either; staff see
		// it on the report step.
		for who, evs := range map[string][]cases.Event{"rider": history(t, w, rider, first.ID), "staff": history(t, w, w.official, first.ID)} {
			var ps []string
			for _, e := range evs {
				for _, p := range e.Photos {
					ps = append(ps, e.Action+":"+p)
				}
			}
			if want := map[string]string{"rider": "report:p1", "staff": "report:p0"}[who]; strings.Join(ps, ",") != want {
				t.Errorf("%s sees step photos %v, want %q", who, ps, want)
			}
		}
		if _, evs, _ := w.svc.Follow(ctx, third.Case.No, third.FollowToken); len(evs) == 0 || len(evs[0].Photos) != 0 {
			t.Errorf("the anonymous follower sees the first report's photo in the history")
		}
		// The history they see starts with their own report and names no
		// other reporter or report.
		for who, evs := range map[string][]cases.Event{"rider": history(t, w, rider, first.ID)} {
			if len(evs) == 0 || evs[0].Action != "report" || evs[0].ActorID != "rider" {
				t.Errorf("%s's history does not start with their own report: %+v", who, evs)
			}
			for _, e := range evs[1:] {
				if e.Action == "report" || e.ActorID == w.resident.UserID || strings.Contains(e.Data, third.Case.ID) || strings.Contains(e.Data, first.ID) {
					t.Errorf("%s's history shows someone else's step: %+v", who, e)
				}
			}
		}
		if _, evs, _ := w.svc.Follow(ctx, third.Case.No, third.FollowToken); len(evs) == 0 || evs[0].Action != "report" || evs[0].ActorID != "" ||
			strings.Contains(fmt.Sprint(evs), w.resident.UserID) || strings.Contains(fmt.Sprint(evs), second.Case.ID) {
			t.Errorf("the anonymous follower's history shows someone else's step: %+v", evs)
		}
		// Merging only into a case one could dispatch themselves, of the same class.
		townA2 := auth.Actor{UserID: "t2", Username: "t2", Role: auth.Official, RegionPath: "/371700/371722/371722002/"}
		inA2 := w.file(w.resident, cases.Report{Category: "0101", Description: "井盖缺失", Lng: 116.9, Lat: 34.9}).Case
		w.refuse(townA2, inA2.ID, cases.ActMerge, cases.Input{Into: first.ID, Note: "x"}, errs.Invalid)
		litter := w.file(w.resident, cases.Report{Category: "1101", Lng: 116.1001, Lat: 34.2001}).Case
		w.refuse(w.official, litter.ID, cases.ActMerge, cases.Input{Into: first.ID, Note: "x"}, errs.Invalid)
		rej := w.file(w.resident, cases.Report{Category: "2103", Lng: 116.4, Lat: 34.8}).Case
		w.refuse(w.official, rej.ID, cases.ActReject, cases.Input{}, errs.Invalid)
		w.act(w.official, rej.ID, cases.ActReject, cases.Input{Note: "不属于受理范围"})
		r, _ := w.svc.Rates(ctx, w.official, regiontest.CountyA, start.Add(-time.Hour), start.Add(time.Hour))
		// 7 filed, the two merged ones count once: 5 reported, 1 rejected.
		if r.Reported != 5 || r.Rejected != 1 || r.Open != 4 { // before the anonymous reports below
			t.Fatalf("rates: %+v", r)
		}
		// Channel rules: a resident cannot pose as the hotline.
		if _, err := w.svc.File(ctx, w.resident, cases.Report{Channel: cases.ChannelHotline, Category: "0101", Description: "x", Lng: 116.1, Lat: 34.2}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("resident via hotline: %v", err)
		}
		// Nobody claims the Open311 channel outside the Open311 endpoint.
		for _, a := range []auth.Actor{{}, w.resident, w.official} {
			if _, err := w.svc.File(ctx, a, cases.Report{Channel: cases.ChannelOpen311, Category: "0101", Description: "x", Lng: 116.1, Lat: 34.2}); !errs.Is(err, errs.Forbidden) {
				t.Fatalf("%q filed as open311 through File: %v", a.Role, err)
			}
		}
		viaOpen311 := w.resident
		viaOpen311.Via = cases.ViaOpen311
		if in, err := w.svc.File(ctx, viaOpen311, cases.Report{Channel: cases.ChannelOpen311, Category: "0101", Description: "x", Lng: 116.1, Lat: 34.2}); err != nil || in.Case.Channel != cases.ChannelOpen311 {
			t.Fatalf("through the Open311 endpoint: %v %v", in.Case.Channel, err)
		}
		// Anonymous web report with a follow token.
		anon := w.file(auth.Actor{}, cases.Report{Category: "1102", ReporterPhone: "13800001111", Lng: 116.35, Lat: 34.55})
		if anon.FollowToken == "" || anon.Case.ReporterPhone != "138****1111" {
			t.Fatalf("anonymous: %+v", anon)
		}
		if _, _, err := w.svc.Follow(ctx, anon.Case.No, anon.FollowToken); err != nil {
			t.Fatalf("follow: %v", err)
		}
		// A retry of the anonymous report gets the same follow link again.
		anon1 := w.file(auth.Actor{}, cases.Report{Category: "1102", Description: "重试", IdempotencyKey: "anon-k", Lng: 116.36, Lat: 34.56})
		retry := w.file(auth.Actor{}, cases.Report{Category: "1102", Description: "重试", IdempotencyKey: "anon-k", Lng: 116.36, Lat: 34.56})
		if !retry.Replayed || retry.FollowToken == "" || retry.FollowToken != anon1.FollowToken {
			t.Fatalf("retry lost the follow token: %+v / %+v", anon1.FollowToken, retry)
		}
		if id, err := w.svc.IDByNo(ctx, w.official, anon1.Case.No); err != nil || id != anon1.Case.ID {
			t.Fatalf("IDByNo: %q %v", id, err)
		}
		if _, _, err := w.svc.Follow(ctx, anon.Case.No, "wrong"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("follow with a wrong token: %v", err)
		}
		// Outside every grid.
		if _, err := w.svc.File(ctx, w.resident, cases.Report{Channel: cases.ChannelWeb, Category: "0101", Description: "x", Lng: 120, Lat: 30}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("outside: %v", err)
		}
		w.checkRollup()
	})
}

// TestWeekendReportIsNotDueAtOnce: a report filed on a Saturday, to be
// accepted within 4 working hours (Monday 12:00), is not "due soon" when it
// arrives; the reminder comes on Monday morning, with half the stage's
// working time left, and escalation a working day after the deadline.
func TestWeekendReportIsNotDueAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		cst := start.Location()
		w.now = time.Date(2026, 3, 7, 10, 0, 0, 0, cst) // Saturday (28 February was a make-up working day)
		c := w.file(w.resident, cases.Report{Category: "1501"}).Case
		if want := time.Date(2026, 3, 9, 14, 0, 0, 0, cst); !c.AcceptDue.Equal(want) {
			t.Fatalf("acceptance due %v, want %v", c.AcceptDue, want)
		}
		for _, tc := range []struct {
			at   time.Time
			want cases.TickResult
		}{
			{w.now, cases.TickResult{}},
			{time.Date(2026, 3, 8, 20, 0, 0, 0, cst), cases.TickResult{}},             // Sunday night
			{time.Date(2026, 3, 9, 10, 10, 0, 0, cst), cases.TickResult{}},            // 1 h 50 min of 3 h 30 min left
			{time.Date(2026, 3, 9, 10, 35, 0, 0, cst), cases.TickResult{Reminded: 1}}, // under half left
			{time.Date(2026, 3, 9, 14, 1, 0, 0, cst), cases.TickResult{Overdue: 1}},
			{time.Date(2026, 3, 10, 17, 0, 0, 0, cst), cases.TickResult{}},
			{time.Date(2026, 3, 10, 17, 31, 0, 0, cst), cases.TickResult{Escalated: 1}}, // end of the next working day
		} {
			w.now = tc.at
			if res, err := w.svc.Tick(ctx, 0); err != nil || res != tc.want {
				t.Fatalf("at %s: %+v %v, want %+v", tc.at.Format("Mon 15:04"), res, err, tc.want)
			}
		}
	})
}

func TestSchedulerRemindsMarksOverdueEscalates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		c := w.file(w.resident, cases.Report{Category: "1501"}).Case // fire lane: 1 working day
		w.act(w.official, c.ID, cases.ActAccept, cases.Input{})
		c = w.act(w.official, c.ID, cases.ActDispatch, cases.Input{UnitID: w.unitCity})
		res, _ := w.svc.Tick(ctx, 0)
		if res != (cases.TickResult{}) {
			t.Fatalf("nothing due yet: %+v", res)
		}
		w.now = c.HandleDue.Add(-time.Hour)
		if res, _ := w.svc.Tick(ctx, 0); res.Reminded != 1 {
			t.Fatalf("remind: %+v", res)
		}
		w.now = c.HandleDue.Add(time.Minute)
		if res, _ := w.svc.Tick(ctx, 0); res.Overdue != 1 {
			t.Fatalf("overdue: %+v", res)
		}
		if res, _ := w.svc.Tick(ctx, 0); res != (cases.TickResult{}) {
			t.Fatalf("second tick did something: %+v", res)
		}
		w.now = c.HandleDue.Add(25 * time.Hour)
		if res, _ := w.svc.Tick(ctx, 0); res.Escalated != 1 {
			t.Fatalf("escalate: %+v", res)
		}
		got, _, _ := w.svc.Get(ctx, w.official, c.ID)
		if !got.Overdue || !got.Escalated {
			t.Fatalf("flags: %+v", got)
		}
		if h := actions(t, w, c.ID); h != "report accept dispatch remind overdue escalate" {
			t.Fatalf("history: %s", h)
		}
		list, _, err := w.svc.List(ctx, w.official, cases.Filter{Overdue: true})
		if err != nil || len(list) != 1 {
			t.Fatalf("overdue list: %d %v", len(list), err)
		}
		// A late reply still closes, counted as not on time.
		w.act(w.handler, c.ID, cases.ActReply, cases.Input{Note: "已清理"})
		w.act(w.worker, c.ID, cases.ActVerifyPass, cases.Input{})
		r, _ := w.svc.Rates(ctx, w.official, regiontest.CountyA, start.Add(-time.Hour), start.Add(time.Hour))
		if r.Closed != 1 || r.OnTime.Num != 0 {
			t.Fatalf("late closure counted on time: %+v", r)
		}
		w.checkRollup()
	})
}

func TestScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		c := w.file(w.resident, cases.Report{}).Case
		countyB := auth.Actor{UserID: "b", Username: "b", Role: auth.Official, RegionPath: "/371700/371721/"}
		if _, _, err := w.svc.Get(ctx, countyB, c.ID); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("other county reads: %v", err)
		}
		w.refuse(countyB, c.ID, cases.ActAccept, cases.Input{}, errs.Forbidden)
		if _, _, err := w.svc.Get(ctx, w.resident, c.ID); err != nil {
			t.Fatalf("reporter cannot read own case: %v", err)
		}
		otherResident := auth.Actor{UserID: "x", Username: "x", Role: auth.Resident, RegionPath: "/371700/371722/"}
		if _, _, err := w.svc.Get(ctx, otherResident, c.ID); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("another resident reads: %v", err)
		}
		w.checkRollup()
	})
}

// TestGroupCommit files 300 reports from 30 goroutines with batching on:
// retries of one idempotency key store one case, a bad report in a batch
// fails alone, and fewer transactions than reports were committed.
func TestGroupCommit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		bctx, cancel := context.WithCancel(ctx)
		defer cancel()
		w.svc.StartBatching(bctx, 64)
		type res struct {
			in  cases.Intake
			err error
		}
		out := make(chan res, 300)
		for g := 0; g < 30; g++ {
			go func() {
				for i := 0; i < 10; i++ {
					r := cases.Report{Channel: cases.ChannelWeb, Category: "1101", Description: "批量", Lng: 116.1, Lat: 34.2,
						IdempotencyKey: fmt.Sprintf("g%d-%d", g, i%5)} // each key sent twice
					if g == 7 && i == 3 {
						r.Category = "9999"
						r.IdempotencyKey = "bad"
					}
					in, err := w.svc.File(ctx, w.resident, r)
					out <- res{in, err}
				}
			}()
		}
		ids := map[string]bool{}
		var replays, failures int
		for i := 0; i < 300; i++ {
			r := <-out
			switch {
			case r.err != nil:
				failures++
				if !errs.Is(r.err, errs.Invalid) {
					t.Fatalf("unexpected error: %v", r.err)
				}
			case r.in.Replayed:
				replays++
			default:
				ids[r.in.Case.ID] = true
			}
		}
		if failures != 1 || len(ids) != 150 || replays != 149 {
			t.Fatalf("failures %d, cases %d, replays %d", failures, len(ids), replays)
		}
		var n int
		db.Read(ctx, func(tx *store.Tx) error { return tx.QueryRow(ctx, "SELECT count(*) FROM cases").Scan(&n) })
		if n != 150 {
			t.Fatalf("%d cases stored, want 150", n)
		}
		reports, txs := w.svc.BatchStats()
		t.Logf("%d reports in %d transactions", reports, txs)
		if reports != 299 || txs >= reports {
			t.Fatalf("no grouping: %d reports, %d transactions", reports, txs)
		}
		w.checkRollup()
	})
}

// TestQuickCategoriesFollowWhatIsReported: the quick report's buttons are
// the reporter's own most reported subcategories of the last 90 days, then
// their area's of the last 30, then the defaults; reports from outside the
// area or from long ago do not count.
func TestQuickCategoriesFollowWhatIsReported(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		n := len(cases.DefaultQuick)
		got, err := w.svc.QuickCategories(ctx, w.worker, n)
		if err != nil || strings.Join(got, ",") != strings.Join(cases.DefaultQuick, ",") {
			t.Fatalf("with no reports: %v, %v; want the defaults", got, err)
		}
		many := func(a auth.Actor, code string, k int, lng, lat float64) {
			for range k {
				w.file(a, cases.Report{Category: code, Lng: lng, Lat: lat})
			}
		}
		many(w.worker, "0201", 5, 0, 0) // long ago
		w.now = w.now.AddDate(0, 0, 100)
		many(w.worker, "1403", 3, 0, 0)
		many(w.worker, "0102", 2, 0, 0)
		many(w.resident, "1301", 4, 0, 0)
		many(w.resident, "1402", 6, 116.9, 34.9) // another grid
		got, err = w.svc.QuickCategories(ctx, w.worker, n)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"1403", "0102", "1301", "1101", "1104", "1202"}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("buttons %v, want %v", got, want)
		}
	})
}

func history(t *testing.T, w *world, a auth.Actor, id string) []cases.Event {
	t.Helper()
	_, evs, err := w.svc.Get(ctx, a, id)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestAlertsReachWhoMustAct: the unit's handler hears that a case was sent
// to it, that its deadline is near and then passed; the dispatcher hears of
// a return waiting for them; other units hear nothing; what was seen is no
// longer new.
func TestAlertsReachWhoMustAct(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		kinds := func(a auth.Actor) (string, int) {
			t.Helper()
			al, err := w.svc.AlertsFor(ctx, a, 0)
			if err != nil {
				t.Fatal(err)
			}
			var ks []string
			for _, x := range al.Items {
				ks = append(ks, x.Action)
			}
			if n, err := w.svc.UnreadAlerts(ctx, a); err != nil || n != al.Unread {
				t.Errorf("%s: UnreadAlerts %d (%v), the list says %d", a.Username, n, err, al.Unread)
			}
			return strings.Join(ks, " "), al.Unread
		}
		c := w.file(w.resident, cases.Report{Category: "1501"}).Case
		w.act(w.official, c.ID, cases.ActAccept, cases.Input{})
		w.now = w.now.Add(time.Minute)
		c = w.act(w.official, c.ID, cases.ActDispatch, cases.Input{UnitID: w.unitCity})
		w.now = c.HandleDue.Add(-time.Hour)
		w.svc.Tick(ctx, 0)
		w.now = c.HandleDue.Add(time.Minute)
		w.svc.Tick(ctx, 0)
		if got, n := kinds(w.handler); got != "overdue remind dispatch" || n != 3 {
			t.Errorf("the handler hears %q (%d new), want overdue remind dispatch", got, n)
		}
		if got, _ := kinds(w.other); got != "" {
			t.Errorf("another unit hears %q", got)
		}
		if got, _ := kinds(w.official); got != "" {
			t.Errorf("the dispatcher hears %q of a case waiting on the unit", got)
		}
		if err := w.svc.MarkAlertsSeen(ctx, w.handler, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if _, n := kinds(w.handler); n != 0 {
			t.Errorf("%d still new after seeing them", n)
		}
		// A return waits on the dispatcher.
		w.now = w.now.Add(time.Minute)
		d := w.file(w.resident, cases.Report{Category: "1601", Lng: 116.3, Lat: 34.7}).Case
		w.act(w.official, d.ID, cases.ActAccept, cases.Input{})
		w.act(w.official, d.ID, cases.ActDispatch, cases.Input{UnitID: w.unitCity})
		w.now = w.now.Add(time.Minute)
		w.act(w.handler, d.ID, cases.ActReturn, cases.Input{Note: "非本单位职责", UnitID: w.unitCivil})
		if got, n := kinds(w.official); got != "return" || n != 1 {
			t.Errorf("the dispatcher hears %q (%d new), want the return", got, n)
		}
		if got, n := kinds(w.handler); !strings.HasPrefix(got, "overdue remind dispatch") || n != 0 {
			t.Errorf("after returning d the handler hears %q (%d new)", got, n)
		}
		if got, _ := kinds(w.resident); got != "" {
			t.Errorf("a resident hears %q", got)
		}
		// The verification deadline reaches those who verify: the grid
		// worker of the area and the dispatcher.
		if err := w.svc.MarkAlertsSeen(ctx, w.official, time.Time{}); err != nil {
			t.Fatal(err)
		}
		w.now = w.now.Add(time.Minute)
		v := w.file(w.resident, cases.Report{Category: "1101"}).Case
		w.act(w.official, v.ID, cases.ActAccept, cases.Input{})
		w.act(w.official, v.ID, cases.ActDispatch, cases.Input{UnitID: w.unitCity})
		v = w.act(w.handler, v.ID, cases.ActReply, cases.Input{Note: "已清理"})
		w.now = v.VerifyDue.Add(time.Minute)
		w.svc.Tick(ctx, 0) // straight to overdue: the reminder's time has passed too
		if got, n := kinds(w.worker); got != "overdue" || n != 1 {
			t.Errorf("the grid worker hears %q (%d new), want the verification overdue", got, n)
		}
		// (and the returned case, waiting for dispatch, is overdue too)
		if got, _ := kinds(w.official); got != "overdue overdue return" {
			t.Errorf("the dispatcher hears %q, want two overdue stages, then the return", got)
		}
		// Seen up to an instant: what came after it stays new.
		if err := w.svc.MarkAlertsSeen(ctx, w.worker, v.VerifyDue); err != nil {
			t.Fatal(err)
		}
		if _, n := kinds(w.worker); n != 1 {
			t.Errorf("%d new after marking up to before the alert, want 1", n)
		}
	})
}
