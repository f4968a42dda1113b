package volunteer_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/ledger"
	"civicgrid/internal/market"
	"civicgrid/internal/privacy"
	"civicgrid/internal/region/regiontest"
	"civicgrid/internal/store"
	"civicgrid/internal/store/storetest"
	"civicgrid/internal/volunteer"

	"github.com/xuri/excelize/v2"
)

const (
	countyPath  = "/371700/371722/"
	villagePath = "/371700/371722/371722001/371722001001/"
	gridPath    = villagePath + "371722001001001/"
)

// A point inside grid 371722001001001 (116.0–116.25°E, 34.0–34.5°N).
const lng, lat = 116.1, 34.2

type world struct {
	db     *store.DB
	vol    *volunteer.Service
	mkt    *market.Service
	clock  time.Time
	admin  auth.Actor
	leader auth.Actor
	users  []auth.Actor
	ctx    context.Context
}

func addUser(t testing.TB, db *store.DB, id string, role auth.Role, code, path string) auth.Actor {
	t.Helper()
	ctx := context.Background()
	err := db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO users (id, username, display_name, password_hash, role, region_code, region_path, created_at, updated_at) VALUES (?, ?, ?, 'x', ?, ?, ?, ?, ?)`,
			id, id, "用户"+id, string(role), code, path, tx.NowText(), tx.NowText())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return auth.Actor{UserID: id, Username: id, Role: role, RegionCode: code, RegionPath: path}
}

func newWorld(t *testing.T, db *store.DB, tb ...testing.TB) *world {
	var tt testing.TB = t
	if t == nil {
		tt = tb[0]
	}
	regions := regiontest.Load(tt, db)
	keys, err := privacy.NewKeys(make([]byte, 32))
	if err != nil {
		tt.Fatal(err)
	}
	w := &world{db: db, ctx: context.Background(), clock: time.Date(2026, 5, 1, 1, 0, 0, 0, time.UTC)}
	w.vol = volunteer.New(db, keys, regions, ledger.Earner{}, volunteer.DefaultConfig)
	w.vol.SetClock(func() time.Time { return w.clock })
	db.Now = func() time.Time { return w.clock }
	w.mkt = market.New(db, regions)
	w.admin = addUser(tt, db, "official", auth.Official, regiontest.CountyA, countyPath)
	w.leader = addUser(tt, db, "leader", auth.Volunteer, regiontest.VillA1a, villagePath)
	for i := 0; i < 3; i++ {
		w.users = append(w.users, addUser(tt, db, fmt.Sprintf("v%d", i), auth.Volunteer, regiontest.VillA1a, villagePath))
	}
	return w
}

func must[T any](t *testing.T, v T, err error) T {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func wantErr(t *testing.T, err error, key string) {
	t.Helper()
	if err == nil || errs.As(err).Key != key {
		t.Fatalf("got %v, want %s", err, key)
	}
}

// TestJourney is the issue's journey in the domain: a team leader creates an
// activity, volunteers sign up, check in and out by QR at the place, the
// organiser approves, points arrive, one orders in the village supermarket
// and picks up; the certificate verifies; the ledger holds.
func TestJourney(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := w.ctx
		// Points: 10 per hour in the county.
		if _, err := ledger.NewService(db).SetRule(ctx, w.admin, ledger.Rule{RegionCode: regiontest.CountyA, RegionPath: countyPath, Source: ledger.SourceHour, Points: 10}); err != nil {
			t.Fatal(err)
		}
		team := check(w.vol.CreateTeam(ctx, w.admin, volunteer.NewTeam{RegionCode: regiontest.VillA1a, Name: "荷美先锋队", LeaderUserID: w.leader.UserID}))(t)
		// Volunteers register themselves; one is a nurse.
		var vols []volunteer.Volunteer
		for i, u := range w.users {
			skills := []string{}
			if i == 0 {
				skills = []string{"nurse"}
			}
			vols = append(vols, check(w.vol.Register(ctx, u, volunteer.NewVolunteer{Name: fmt.Sprintf("张%d三", i), Phone: fmt.Sprintf("1380000000%d", i), Skills: skills, GridCode: regiontest.GridA1a1}))(t))
		}
		if vols[0].Name == "张0三" || vols[0].Phone == "13800000000" {
			t.Fatalf("personal data not masked: %+v", vols[0])
		}
		_, err := w.vol.Register(ctx, w.users[0], volunteer.NewVolunteer{Name: "again", Phone: "13800000009", GridCode: regiontest.GridA1a1})
		wantErr(t, err, "err.volunteer.already")
		// An ID number is not taken from the person themselves (it would
		// let anyone test whose number is registered).
		extra := addUser(t, db, "v9", auth.Volunteer, regiontest.VillA1a, villagePath)
		_, err = w.vol.Register(ctx, extra, volunteer.NewVolunteer{Name: "某某", Phone: "13800000019", IDNumber: "11010519491231002X", GridCode: regiontest.GridA1a1})
		wantErr(t, err, "err.volunteer.id_by_staff")
		// A volunteer who is not the leader cannot create the team's activity.
		na := volunteer.NewActivity{TeamID: team.ID, Title: "义诊进社区", Domain: "livelihood", Lng: lng, Lat: lat,
			StartsAt: w.clock.Add(2 * time.Hour), EndsAt: w.clock.Add(5 * time.Hour), Quotas: map[string]int{"": 1, "nurse": 1}}
		_, err = w.vol.CreateActivity(ctx, w.users[1], na)
		if errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("non-leader created an activity: %v", err)
		}
		act := check(w.vol.CreateActivity(ctx, w.leader, na))(t)
		if act.GridCode != regiontest.GridA1a1 {
			t.Fatalf("grid %s", act.GridCode)
		}
		// Sign-ups: nurse place, general place, then the waiting list.
		s0 := check(w.vol.SignUp(ctx, w.users[0], act.ID, "nurse"))(t)
		s1 := check(w.vol.SignUp(ctx, w.users[1], act.ID, ""))(t)
		s2 := check(w.vol.SignUp(ctx, w.users[2], act.ID, ""))(t)
		if s0.Status != "approved" || s1.Status != "approved" || s2.Status != "waitlist" {
			t.Fatalf("statuses %s %s %s", s0.Status, s1.Status, s2.Status)
		}
		_, err = w.vol.SignUp(ctx, w.users[1], act.ID, "nurse")
		if err != nil {
			t.Fatalf("signing up twice should return the first sign-up: %v", err)
		}
		_, err = w.vol.SignUp(ctx, w.users[2], act.ID, "nurse")
		// user 2 already waits for a general place; same sign-up returned.
		if err != nil {
			t.Fatal(err)
		}
		// A clashing activity at the same time is refused.
		na2 := na
		na2.Title, na2.TeamID = "同时的活动", ""
		other := check(w.vol.CreateActivity(ctx, w.admin, na2))(t)
		_, err = w.vol.SignUp(ctx, w.users[1], other.ID, "")
		wantErr(t, err, "err.volunteer.clash")
		// User 1 withdraws: user 2 moves up from the waiting list.
		check(w.vol.Cancel(ctx, w.users[1], s1.ID, ""))(t)
		list := check(w.vol.Signups(ctx, w.leader, act.ID))(t)
		for _, g := range list {
			if g.VolunteerID == vols[2].ID && g.Status != "approved" {
				t.Fatalf("waiting volunteer not promoted: %s", g.Status)
			}
		}
		// Check-in: the code must be current, the phone near, the time right.
		code, _ := must2(t)(w.vol.Code(ctx, w.leader, act.ID))
		w.clock = act.StartsAt.Add(-2 * time.Hour) // too early
		_, err = w.vol.CheckIn(ctx, w.users[0], act.ID, volunteer.Scan{Code: code, Lng: lng, Lat: lat})
		if err == nil {
			t.Fatal("check-in two hours early")
		}
		w.clock = act.StartsAt.Add(-10 * time.Minute)
		code, _ = must2(t)(w.vol.Code(ctx, w.leader, act.ID))
		_, err = w.vol.CheckIn(ctx, w.users[0], act.ID, volunteer.Scan{Code: code, Lng: lng + 0.01, Lat: lat})
		wantErr(t, err, "err.volunteer.too_far")
		_, err = w.vol.CheckIn(ctx, w.users[0], act.ID, volunteer.Scan{Code: "AAAAAAAAAA", Lng: lng, Lat: lat})
		wantErr(t, err, "err.volunteer.code")
		_, err = w.vol.CheckIn(ctx, w.users[1], act.ID, volunteer.Scan{Code: code, Lng: lng, Lat: lat})
		wantErr(t, err, "err.volunteer.not_signed_up")
		in0 := check(w.vol.CheckIn(ctx, w.users[0], act.ID, volunteer.Scan{Code: code, Lng: lng + 0.001, Lat: lat}))(t)
		if in0.CheckinAt.IsZero() || in0.CheckinHow != "qr" {
			t.Fatalf("check-in %+v", in0)
		}
		// An old code (two windows ago) no longer works.
		w.clock = w.clock.Add(3 * time.Minute)
		_, err = w.vol.CheckIn(ctx, w.users[2], act.ID, volunteer.Scan{Code: code, Lng: lng, Lat: lat})
		wantErr(t, err, "err.volunteer.code")
		// User 2's phone failed: the organiser marks the arrival by hand.
		var s2id string
		for _, g := range check(w.vol.Signups(ctx, w.leader, act.ID))(t) {
			if g.VolunteerID == vols[2].ID {
				s2id = g.ID
			}
		}
		_, err = w.vol.MarkByHand(ctx, w.leader, s2id, volunteer.Mark{What: "in", At: act.StartsAt})
		if errs.As(err).Field != "reason" {
			t.Fatalf("hand mark without reason: %v", err)
		}
		check(w.vol.MarkByHand(ctx, w.leader, s2id, volunteer.Mark{What: "in", At: act.StartsAt.Add(30 * time.Minute), Reason: "手机没电"}))(t)
		// Check-out after the end: hours capped at the window (3 h for user 0).
		w.clock = act.EndsAt.Add(20 * time.Minute)
		code, _ = must2(t)(w.vol.Code(ctx, w.leader, act.ID))
		out0 := check(w.vol.CheckOut(ctx, w.users[0], act.ID, volunteer.Scan{Code: code, Lng: lng, Lat: lat}))(t)
		if out0.Minutes != 180 {
			t.Fatalf("minutes %d, want 180 (capped at the window)", out0.Minutes)
		}
		check(w.vol.MarkByHand(ctx, w.leader, s2id, volunteer.Mark{What: "out", At: act.EndsAt.Add(-30 * time.Minute), Reason: "手机没电"}))(t)
		// A county-B point is outside the team's area.
		far := na
		far.Lng, far.Lat = 115.1, 34.2
		far.StartsAt, far.EndsAt = w.clock.Add(time.Hour), w.clock.Add(2*time.Hour)
		if _, err := w.vol.CreateActivity(ctx, w.leader, far); errs.As(err).Key != "err.volunteer.outside_team" {
			t.Fatalf("activity outside the team's area: %v", err)
		}
		// Approve all: points arrive (10/h: 30 and 20).
		n := check(w.vol.ApproveHours(ctx, w.leader, act.ID, nil))(t)
		if n != 2 {
			t.Fatalf("approved %d", n)
		}
		if again := check(w.vol.ApproveHours(ctx, w.leader, act.ID, nil))(t); again != 0 {
			t.Fatalf("approved again: %d", again)
		}
		wal0, _, err := ledger.NewService(db).MyWallet(ctx, w.users[0])
		if err != nil || wal0.Balance != 30 {
			t.Fatalf("wallet 0: %+v %v", wal0, err)
		}
		wal2, _, _ := ledger.NewService(db).MyWallet(ctx, w.users[2])
		if wal2.Balance != 20 {
			t.Fatalf("wallet 2: %+v", wal2)
		}
		// The village supermarket: a redemption day, an item.
		m := check(w.mkt.Create(ctx, w.admin, regiontest.VillA1a, "红色积分超市", "村委会东侧"))(t)
		must(t, struct{}{}, w.mkt.AddKeeper(ctx, w.admin, m.ID, w.leader.UserID))
		day := w.clock.Add(24 * time.Hour).In(time.FixedZone("", 8*3600)).Format("2006-01-02")
		must(t, struct{}{}, w.mkt.AddDay(ctx, w.leader, m.ID, market.Day{Day: day}))
		oil := check(w.mkt.SaveItem(ctx, w.leader, market.Item{MarketID: m.ID, Name: "食用油", Kind: "good", Price: 25, Stock: 1}))(t)
		o := check(w.mkt.Place(ctx, w.users[0], market.NewOrder{MarketID: m.ID, ItemID: oil.ID, Qty: 1, Key: "k1"}))(t)
		if o.Status != "held" || o.PickupDay != day {
			t.Fatalf("order %+v", o)
		}
		if again := check(w.mkt.Place(ctx, w.users[0], market.NewOrder{MarketID: m.ID, ItemID: oil.ID, Qty: 1, Key: "k1"}))(t); again.ID != o.ID {
			t.Fatal("retried order made a second order")
		}
		_, err = w.mkt.Place(ctx, w.users[2], market.NewOrder{MarketID: m.ID, ItemID: oil.ID, Qty: 1, Key: "k2"})
		wantErr(t, err, "err.market.out_of_stock")
		wal0, holds, _ := ledger.NewService(db).MyWallet(ctx, w.users[0])
		if wal0.Available != 5 || len(holds) != 1 {
			t.Fatalf("after ordering: %+v %v", wal0, holds)
		}
		// Only a keeper hands over.
		if _, err := w.mkt.Pickup(ctx, w.users[0], o.ID); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("buyer picked up their own order: %v", err)
		}
		p := check(w.mkt.Pickup(ctx, w.leader, o.ID))(t)
		if p.Status != "picked_up" {
			t.Fatal(p.Status)
		}
		wal0, _, _ = ledger.NewService(db).MyWallet(ctx, w.users[0])
		if wal0.Balance != 5 || wal0.Held != 0 {
			t.Fatalf("after pickup: %+v", wal0)
		}
		// Training and commendations go into the record.
		if _, err := w.vol.AddHonour(ctx, w.users[0], vols[0].ID, volunteer.Honour{Kind: "training", Title: "急救培训", Day: "2026-04-01", Issuer: "单县红十字会"}); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("a volunteer recorded their own training: %v", err)
		}
		check(w.vol.AddHonour(ctx, w.admin, vols[0].ID, volunteer.Honour{Kind: "commendation", Title: "优秀志愿者", Day: "2026-05-04", Issuer: "单县文明办"}))(t)
		if rec := check(w.vol.Record(ctx, w.users[0], vols[0].ID))(t); len(rec.Honours) != 1 || rec.Honours[0].Title != "优秀志愿者" || rec.Minutes != 180 {
			t.Fatalf("record %+v", rec)
		}
		// Certificate of service, and its public check.
		c := check(w.vol.IssueCertificate(ctx, w.users[0], vols[0].ID))(t)
		if c.Minutes != 180 || c.Activities != 1 || c.Name != "张0三" {
			t.Fatalf("certificate %+v", c)
		}
		pub := check(w.vol.VerifyCertificate(ctx, c.No))(t)
		if !pub.Valid || pub.Name == "张0三" || pub.VolunteerNo != vols[0].No {
			t.Fatalf("public check %+v", pub)
		}
		if p := check(w.vol.PublicCheck(ctx, c.No))(t); p.VolunteerID != "" || !p.Valid {
			t.Fatalf("public check shows the internal id: %+v", p)
		}
		if again := check(w.vol.IssueCertificate(ctx, w.users[0], vols[0].ID))(t); again.No == c.No || len(strings.Split(again.No, "-")[3]) != 8 {
			t.Fatalf("certificate numbers %s and %s", c.No, again.No)
		}
		if _, err := w.vol.IssueCertificate(ctx, w.users[1], vols[0].ID); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("someone else's certificate: %v", err)
		}
		r, err := ledger.Verify(ctx, db)
		if err != nil || !r.OK() {
			t.Fatalf("ledger: %+v %v", r, err)
		}
	})
}

func TestOrderExpiresAndReturnsStock(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := w.ctx
		issuer, wal := "", ""
		err := db.Write(ctx, func(tx *store.Tx) error {
			var err error
			issuer, _ = ledger.EnsureAccount(ctx, tx, ledger.Issuer, regiontest.CountyA, regiontest.CountyA, countyPath, "")
			wal, err = ledger.EnsureAccount(ctx, tx, ledger.Wallet, w.users[0].UserID, regiontest.VillA1a, villagePath, "")
			if err != nil {
				return err
			}
			_, _, err = ledger.Post(ctx, tx, ledger.NewTransfer{Key: "seed", Debit: issuer, Credit: wal, Amount: 100, Reason: ledger.ReasonAward}, "t")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		m := check(w.mkt.Create(ctx, w.admin, regiontest.VillA1a, "积分超市", ""))(t)
		today := w.clock.In(time.FixedZone("", 8*3600))
		_, err = w.mkt.Place(ctx, w.users[0], market.NewOrder{MarketID: m.ID, ItemID: "x", Qty: 1, Key: "a"})
		if errs.Is(err, errs.Invalid) == false && err == nil {
			t.Fatal("order without an item")
		}
		must(t, struct{}{}, w.mkt.AddDay(ctx, w.admin, m.ID, market.Day{Day: today.Format("2006-01-02"), Opens: "00:00", Closes: "23:59"}))
		soap := check(w.mkt.SaveItem(ctx, w.admin, market.Item{MarketID: m.ID, Name: "肥皂", Kind: "good", Price: 10, Stock: 5}))(t)
		o := check(w.mkt.Place(ctx, w.users[0], market.NewOrder{MarketID: m.ID, ItemID: soap.ID, Qty: 3, Key: "a"}))(t)
		// The keeper adds one to the stock from a form loaded before the
		// order: the reservation is kept (5 − 3 + 1 = 3, not 6).
		was := int64(5)
		edited := check(w.mkt.SaveItem(ctx, w.admin, market.Item{ID: soap.ID, MarketID: m.ID, Name: "肥皂", Kind: "good", Price: 10, Stock: 6, StockWas: &was, Active: true}))(t)
		if edited.Stock != 3 {
			t.Fatalf("stock %d after a stale edit, want 3", edited.Stock)
		}
		// The day passes: the scheduler expires the order.
		w.clock = today.Add(48 * time.Hour)
		n := check(w.mkt.ExpireDue(ctx))(t)
		if n != 1 {
			t.Fatalf("expired %d", n)
		}
		got := check(w.mkt.MyOrders(ctx, w.users[0]))(t)
		if got[0].ID != o.ID || got[0].Status != "expired" {
			t.Fatalf("%+v", got)
		}
		mk := check(w.mkt.Get(ctx, m.ID))(t)
		if mk.Items[0].Stock != 6 {
			t.Fatalf("stock %d after expiry", mk.Items[0].Stock)
		}
		a, _, _ := ledger.NewService(db).MyWallet(ctx, w.users[0])
		if a.Balance != 100 || a.Held != 0 {
			t.Fatalf("wallet %+v", a)
		}
	})
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

func must2(t *testing.T) func(string, time.Duration, error) (string, time.Duration) {
	return func(s string, d time.Duration, err error) (string, time.Duration) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return s, d
	}
}

func xlsx(t *testing.T, rows [][]string) *bytes.Buffer {
	t.Helper()
	f := excelize.NewFile()
	for r, row := range rows {
		for c, v := range row {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			f.SetCellStr("Sheet1", cell, v)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return &buf
}

var labels = map[string]string{"护士": "nurse", "电工": "electrician", "nurse": "nurse"}

// TestImport: a register with bad rows reports every one by row and field
// and stores nothing; the corrected register is stored whole.
func TestImport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		head := []string{"姓名", "手机号", "身份证号", "专业技能", "网格编码"}
		bad := [][]string{head,
			{"张三", "13800000001", "", "护士、电工", regiontest.GridA1a1},
			{"", "13800000002", "", "", regiontest.GridA1a1},      // row 3: no name
			{"李四", "12345", "", "", regiontest.GridA1a1},          // row 4: bad phone
			{"王五", "13800000003", "", "飞行员", regiontest.GridA1a1}, // row 5: unknown skill
			{"赵六", "13800000004", "", "", regiontest.GridB1a1},    // row 6: other county
			{"孙七", "13800000001", "", "", regiontest.GridA1a2},    // row 7: phone of row 2
			{"周八", "13800000005", "", "", "371722001"},            // row 8: not a grid
		}
		_, err := w.vol.Import(w.ctx, w.admin, xlsx(t, bad), labels)
		e := errs.As(err)
		var fields []string
		for _, p := range e.List {
			fields = append(fields, p.Field)
		}
		want := []string{"rows/3/name", "rows/4/phone", "rows/5/skills", "rows/7/phone", "rows/6/grid_code", "rows/8/grid_code"}
		if fmt.Sprint(fields) != fmt.Sprint(want) {
			t.Fatalf("problems %v, want %v", fields, want)
		}
		if vs, _, _ := w.vol.List(w.ctx, w.admin, volunteer.Filter{}); len(vs) != 0 {
			t.Fatalf("%d volunteers stored from a register with errors", len(vs))
		}
		good := [][]string{head,
			{"张三", "13800000001", "", "护士、电工", regiontest.GridA1a1},
			{"", "", "", "", ""},
			{"孙七", "138 0000 0006", "", "", regiontest.GridA1a2},
		}
		res, err := w.vol.Import(w.ctx, w.admin, xlsx(t, good), labels)
		if err != nil || res.Created != 2 {
			t.Fatalf("import: %+v %v", res, err)
		}
		vs, _, _ := w.vol.List(w.ctx, w.admin, volunteer.Filter{Skill: "nurse"})
		if len(vs) != 1 || vs[0].Phone == "13800000001" {
			t.Fatalf("nurses %+v", vs)
		}
		if _, err := w.vol.Import(w.ctx, w.admin, bytes.NewBufferString("not a workbook"), labels); errs.As(err).Field != "file" {
			t.Fatalf("garbage: %v", err)
		}
	})
}

// FuzzParseRows: whatever a sheet holds, parsing neither panics nor lets a
// row through without a name, a valid phone and a grid code.
func FuzzParseRows(f *testing.F) {
	f.Add("姓名\t手机号\t网格编码\n张三\t13800000000\t371722001001001\n", "护士")
	f.Add("name\tphone\tgrid_code\tskills\n\t\t\t\nx\t+86 138-0000-0000\tg\tnurse,护士\n", "电工")
	f.Fuzz(func(t *testing.T, sheet, skill string) {
		var rows [][]string
		for _, line := range strings.Split(sheet, "\n") {
			rows = append(rows, strings.Split(line, "\t"))
		}
		vs, lines, _ := volunteer.ParseRows(rows, map[string]string{skill: "nurse"})
		if len(vs) != len(lines) {
			t.Fatalf("%d volunteers, %d line numbers", len(vs), len(lines))
		}
		for _, v := range vs {
			if v.Name == "" || v.GridCode == "" || len(v.Phone) < 7 {
				t.Fatalf("invalid row accepted: %+v", v)
			}
		}
	})
}

// TestLeaderCannotPayThemselves: a team leader who is also a volunteer can
// neither record nor approve their own hours; staff can.
func TestLeaderCannotPayThemselves(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := w.ctx
		team := check(w.vol.CreateTeam(ctx, w.admin, volunteer.NewTeam{RegionCode: regiontest.VillA1a, Name: "队", LeaderUserID: w.leader.UserID}))(t)
		check(w.vol.Register(ctx, w.leader, volunteer.NewVolunteer{Name: "队长", Phone: "13800000099", GridCode: regiontest.GridA1a1}))(t)
		act := check(w.vol.CreateActivity(ctx, w.leader, volunteer.NewActivity{TeamID: team.ID, Title: "巡河", Domain: "ecology", Lng: lng, Lat: lat,
			StartsAt: w.clock.Add(time.Hour), EndsAt: w.clock.Add(4 * time.Hour), Quotas: map[string]int{"": 5}}))(t)
		g := check(w.vol.SignUp(ctx, w.leader, act.ID, ""))(t)
		w.clock = act.StartsAt.Add(10 * time.Minute)
		if _, err := w.vol.MarkByHand(ctx, w.leader, g.ID, volunteer.Mark{What: "in", At: act.StartsAt, Reason: "到了"}); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("leader marked their own arrival: %v", err)
		}
		check(w.vol.MarkByHand(ctx, w.admin, g.ID, volunteer.Mark{What: "in", At: act.StartsAt, Reason: "手机没电"}))(t)
		check(w.vol.MarkByHand(ctx, w.admin, g.ID, volunteer.Mark{What: "out", At: act.StartsAt.Add(2 * time.Hour), Reason: "手机没电"}))(t)
		if n := check(w.vol.ApproveHours(ctx, w.leader, act.ID, nil))(t); n != 0 {
			t.Fatalf("the leader approved %d of their own", n)
		}
		if n := check(w.vol.ApproveHours(ctx, w.admin, act.ID, nil))(t); n != 1 {
			t.Fatalf("staff approved %d", n)
		}
	})
}
