package web_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

type sgView struct {
	ID, No, Status, Channel, Measure, Reason, Decision string
	PointID                                            string `json:"point_id"`
	AuthorName                                         string `json:"author_name"`
	MergedInto                                         string `json:"merged_into"`
	Progress                                           int
	Trail                                              []struct{ Action, Note string }
	Milestones                                         []struct {
		Day      string
		Progress int
	}
	Children []struct{ ID, No string }
	Target   *struct {
		No, Status, Measure string
		Progress            int
		Trail               []struct{ Action string }
	}
}

type sgFiled struct {
	Suggestion  sgView
	FollowToken string `json:"follow_token"`
	Replayed    bool
}

type sgCount struct {
	Key                                                string
	Received, Assessed, Relevant, Adopted, Implemented int
	Rate                                               float64
}

type sgFigures struct {
	Total                  sgCount
	ByChannel              []sgCount `json:"by_channel"`
	ByRegion               []sgCount `json:"by_region"`
	ByMaker, ByAssociation []sgCount
	ByTopic                []sgCount `json:"by_topic"`
}

func row(cs []sgCount, key string) sgCount {
	for _, c := range cs {
		if c.Key == key {
			return c
		}
	}
	return sgCount{Key: key}
}

func trailOf(v sgView) []string {
	var out []string
	for _, e := range v.Trail {
		out = append(out, e.Action)
	}
	return out
}

// TestSuggestionAPI is the "done when" through the JSON API: a
// resident files from a box's QR link, a collector enters three slips from
// the same box, the office assesses them, merges two, forwards to a unit,
// the unit adopts one and records the measure and its progress, turns
// another down; each author sees the outcome; wrong steps are refused; the
// figures by channel move exactly by the hand count.
func TestSuggestionAPI(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		town, dept, grid, leader := e.as(t, "demo_town"), e.as(t, "demo_dept"), e.as(t, "demo_grid"), e.as(t, "demo_leader")
		suffix := fmt.Sprint(time.Now().UnixNano())
		// A box of its own, so other tests' suggestions do not move its figures.
		var box struct{ ID, Code string }
		town.postJSON("/api/v1/suggestion-points", map[string]any{"kind": "box", "name": "测试意见箱" + suffix, "region_code": "371722001001"}).want(http.StatusCreated).decode(&box)
		e.as(t, "demo_grid").postJSON("/api/v1/suggestion-points", map[string]any{"kind": "box", "name": "x", "region_code": "371722001001"}).wantProblem(http.StatusForbidden, "forbidden")
		var pub struct{ Kind, Name string }
		e.anon(t).get("/api/v1/suggestion-points/" + box.Code).want(http.StatusOK).decode(&pub)
		if pub.Kind != "box" || !strings.HasPrefix(pub.Name, "测试意见箱") {
			t.Fatalf("public point %+v", pub)
		}
		var before sgFigures
		town.get("/api/v1/suggestions/figures?region=371722001001").want(http.StatusOK).decode(&before)

		// The resident scans the poster and files, anonymous but with a phone.
		var web sgFiled
		in := map[string]any{"channel": "box", "point_code": box.Code, "title": "东门路灯太暗", "body": "晚上看不清路。", "anonymous": true, "author_phone": "13800001111"}
		e.anon(t).postJSON("/api/v1/suggestions", in, "Idempotency-Key", "sg-"+suffix).want(http.StatusCreated).decode(&web)
		var again sgFiled
		e.anon(t).postJSON("/api/v1/suggestions", in, "Idempotency-Key", "sg-"+suffix).want(http.StatusOK).decode(&again)
		if web.FollowToken == "" || again.Suggestion.ID != web.Suggestion.ID || again.FollowToken != web.FollowToken || web.Suggestion.PointID != box.ID {
			t.Fatalf("filed %+v, retry %+v", web, again)
		}
		// The collector enters three slips; a resident may not.
		slip := func(title string) sgFiled {
			var f sgFiled
			leader.postJSON("/api/v1/suggestions", map[string]any{"channel": "box", "point_id": box.ID, "collected_at": "2026-04-30", "title": title, "body": title + "。", "author_name": "王大爷"}).want(http.StatusCreated).decode(&f)
			return f
		}
		e.as(t, "demo_resident").postJSON("/api/v1/suggestions", map[string]any{"channel": "box", "point_id": box.ID, "collected_at": "2026-04-30", "title": "x", "body": "x"}).wantProblem(http.StatusForbidden, "forbidden")
		a, b, c := slip("路灯坏了"), slip("增设路灯"), slip("建篮球场")
		if a.Suggestion.AuthorName != "王**" {
			t.Fatalf("slip author %q", a.Suggestion.AuthorName)
		}

		var units struct{ Items []struct{ ID, Name string } }
		e.as(t, "demo_county").get("/api/v1/units?region=371722").want(http.StatusOK).decode(&units)
		unit := ""
		for _, u := range units.Items {
			if u.Name == "单县综合行政执法局" {
				unit = u.ID
			}
		}
		step := func(cl *client, id, action string, body map[string]any) *response {
			return cl.postJSON("/api/v1/suggestions/"+id+"/"+action, body)
		}
		// Wrong steps: a decision before assessment, a resident assessing.
		p := step(town, a.Suggestion.ID, "adopt", map[string]any{"decision": "x"}).wantProblem(http.StatusConflict, "conflict")
		if !hasHan(p.Detail) {
			t.Fatalf("transition problem %+v", p)
		}
		step(e.as(t, "demo_resident"), a.Suggestion.ID, "assess", map[string]any{"topic": "x"}).wantProblem(http.StatusForbidden, "forbidden")
		step(town, a.Suggestion.ID, "nonsense", map[string]any{}).wantProblem(http.StatusNotFound, "not_found")

		id := web.Suggestion.ID
		step(town, id, "assess", map[string]any{"topic": "市政设施", "unit_id": unit}).want(http.StatusOK)
		var merged sgView
		town.postJSON("/api/v1/suggestions/"+id+"/merge", map[string]any{"ids": []string{a.Suggestion.ID, b.Suggestion.No}, "note": "同一路段"}).want(http.StatusOK).decode(&merged)
		step(town, id, "forward", map[string]any{}).want(http.StatusOK)
		step(town, c.Suggestion.ID, "assess", map[string]any{"topic": "文体", "unit_id": unit}).want(http.StatusOK)
		step(town, c.Suggestion.ID, "forward", map[string]any{}).want(http.StatusOK)
		// The unit's handler decides on what was forwarded to the unit.
		step(dept, c.Suggestion.ID, "not_adopt", map[string]any{"reason": "场地不足，纳入明年规划研究。"}).want(http.StatusOK)
		step(dept, id, "adopt", map[string]any{"decision": "东门至菜市场增设路灯12盏。"}).want(http.StatusOK)
		step(dept, id, "implement", map[string]any{"measure": "城区路灯改造工程", "measure_url": "https://www.shanxian.gov.cn/lamps", "progress": 10}).want(http.StatusOK)
		var done sgView
		step(dept, id, "milestone", map[string]any{"day": "2026-05-10", "progress": 60, "note": "完成线路铺设"}).want(http.StatusOK).decode(&done)
		want := []string{"received", "assessed", "merged_from", "merged_from", "forwarded", "adopted", "implemented", "milestone"}
		if !slices.Equal(trailOf(done), want) || done.Progress != 60 || len(done.Milestones) != 1 {
			t.Fatalf("done %+v", done)
		}

		// Each author sees the outcome: the resident by token or phone, the
		// merged slip's author through the target.
		var f sgView
		e.anon(t).get("/api/v1/suggestions/follow/" + web.Suggestion.No + "?token=" + url.QueryEscape(web.FollowToken)).want(http.StatusOK).decode(&f)
		if f.Status != "implemented" || f.Measure == "" || f.AuthorName != "" || !slices.Equal(trailOf(f), want) {
			t.Fatalf("follow %+v", f)
		}
		e.anon(t).get("/api/v1/suggestions/follow/" + web.Suggestion.No + "?phone=13800001111").want(http.StatusOK)
		e.anon(t).get("/api/v1/suggestions/follow/"+web.Suggestion.No+"?token=wrong").wantProblem(http.StatusNotFound, "not_found")
		var fa sgView
		e.anon(t).get("/api/v1/suggestions/follow/" + a.Suggestion.No + "?token=" + url.QueryEscape(a.FollowToken)).want(http.StatusOK).decode(&fa)
		if fa.Status != "merged" || fa.Channel != "box" || fa.Target == nil || fa.Target.Status != "implemented" || fa.Target.Progress != 60 {
			t.Fatalf("merged follow %+v", fa)
		}
		var fc sgView
		e.anon(t).get("/api/v1/suggestions/follow/" + c.Suggestion.No + "?token=" + url.QueryEscape(c.FollowToken)).want(http.StatusOK).decode(&fc)
		if fc.Status != "not_adopted" || fc.Reason == "" {
			t.Fatalf("not adopted follow %+v", fc)
		}

		// Hand count: four box suggestions, all assessed and relevant (the
		// two merged ones take the target's outcome); three adopted and
		// implemented (the target and the two merged into it).
		var after sgFigures
		town.get("/api/v1/suggestions/figures?region=371722001001").want(http.StatusOK).decode(&after)
		d := func(k string) [5]int {
			x, y := row(after.ByChannel, k), row(before.ByChannel, k)
			return [5]int{x.Received - y.Received, x.Assessed - y.Assessed, x.Relevant - y.Relevant, x.Adopted - y.Adopted, x.Implemented - y.Implemented}
		}
		if got := d("box"); got != [5]int{4, 4, 4, 3, 3} {
			t.Fatalf("box figures moved by %v", got)
		}
		if got := d("online"); got != [5]int{} {
			t.Fatalf("online figures moved by %v", got)
		}
		if after.Total.Received-before.Total.Received != 4 {
			t.Fatalf("total moved by %d", after.Total.Received-before.Total.Received)
		}
		e.as(t, "demo_resident").get("/api/v1/suggestions/figures").wantProblem(http.StatusForbidden, "forbidden")

		// Lists: the box's four for staff; the unit's handler sees the unit's.
		var list struct{ Items []sgView }
		town.get("/api/v1/suggestions?point=" + box.ID).want(http.StatusOK).decode(&list)
		if len(list.Items) != 4 {
			t.Fatalf("box list %d", len(list.Items))
		}
		dept.get("/api/v1/suggestions?point=" + box.ID).want(http.StatusOK).decode(&list)
		if len(list.Items) != 2 {
			t.Fatalf("unit list %d", len(list.Items))
		}

		// Split: a door-to-door note raising two matters.
		var door sgFiled
		grid.postJSON("/api/v1/suggestions", map[string]any{"channel": "door", "region_code": "371722001001001", "title": "两件事", "body": "修路，建图书室。"}).want(http.StatusCreated).decode(&door)
		town.postJSON("/api/v1/suggestions/"+door.Suggestion.ID+"/split", map[string]any{"parts": []map[string]any{{"title": "只有一条"}}}).wantProblem(http.StatusBadRequest, "invalid")
		var split sgView
		town.postJSON("/api/v1/suggestions/"+door.Suggestion.ID+"/split", map[string]any{"parts": []map[string]any{{"title": "修路"}, {"title": "建图书室"}}}).want(http.StatusOK).decode(&split)
		if split.Status != "split" || len(split.Children) != 2 {
			t.Fatalf("split %+v", split)
		}
		var child sgView
		e.anon(t).get("/api/v1/suggestions/follow/" + split.Children[1].No + "?token=" + url.QueryEscape(door.FollowToken)).want(http.StatusOK).decode(&child)
		if child.Status != "received" || child.Channel != "door" {
			t.Fatalf("child %+v", child)
		}
	})
}

var followLinkRE = regexp.MustCompile(`href="(/suggest/follow/[^"]+)" class="follow-link"`)

// TestSuggestFormPage: the resident's form from the demo box's QR link on a
// phone, a refusal in Chinese next to the field, then the suggestion and
// its follow page.
func TestSuggestFormPage(t *testing.T) {
	e := sharedEnv(t)
	c := e.anon(t)
	r := c.get("/suggest?box=XHBOX01", "User-Agent", "Mozilla/5.0 (iPhone)").want(http.StatusOK)
	if body := string(r.Body); !strings.Contains(body, "东门社情民意箱") || !strings.Contains(body, `name="point_code" value="XHBOX01"`) {
		t.Fatalf("form does not name the box: %s", r)
	}
	form := url.Values{"csrf": {c.csrf()}, "idempotency_key": {fmt.Sprint(time.Now().UnixNano())}, "point_code": {"XHBOX01"}, "title": {""}, "body": {"小区里缺少休息的长椅。"}, "author_phone": {"13905307777"}}
	r = c.postForm("/suggest", form).want(http.StatusBadRequest)
	if body := string(r.Body); !strings.Contains(body, "此项为必填项") || !strings.Contains(body, "小区里缺少休息的长椅") {
		t.Fatalf("refusal: %s", r.pageError())
	}
	form.Set("title", "增设休息长椅")
	r = c.postForm("/suggest", form).want(http.StatusCreated)
	m := followLinkRE.FindStringSubmatch(string(r.Body))
	if m == nil {
		t.Fatalf("no follow link: %s", r)
	}
	f := c.get(htmlUnescape(m[1])).want(http.StatusOK)
	if body := string(f.Body); !strings.Contains(body, "增设休息长椅") || !strings.Contains(body, "已收到") || !strings.Contains(body, "社情民意箱") {
		t.Fatalf("follow page: %s", f)
	}
	// Whoever lost the link looks it up by number and phone.
	no := strings.TrimPrefix(strings.SplitN(htmlUnescape(m[1]), "?", 2)[0], "/suggest/follow/")
	l := c.postForm("/suggest/lookup", url.Values{"csrf": {c.csrf()}, "no": {no}, "phone": {"139 0530 7777"}}).want(http.StatusOK)
	if !strings.Contains(string(l.Body), "增设休息长椅") {
		t.Fatalf("lookup: %s", l)
	}
	c.postForm("/suggest/lookup", url.Values{"csrf": {c.csrf()}, "no": {no}, "phone": {"13905307778"}}).want(http.StatusNotFound)
	// Staff pages render for the office.
	town := e.login(t, "demo_town")
	for _, p := range []string{"/suggestions", "/suggestions/figures", "/suggestions/channels", "/suggestions/new", "/suggestions/boxes/XHBOX01/poster"} {
		if r := town.get(p); r.Status != http.StatusOK {
			t.Errorf("%s: %d %s", p, r.Status, r.pageError())
		}
	}
	if r := e.anon(t).get("/suggestions/boxes/XHBOX01/qr.png").want(http.StatusOK); r.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("qr: %s", r.Header.Get("Content-Type"))
	}
}

// TestSuggestionEntryPage: the collector enters a slip from the demo box
// through the page, with the day the box was opened and a photo of the
// slip; the next slip's form keeps the box and the day.
func TestSuggestionEntryPage(t *testing.T) {
	e := sharedEnv(t)
	var points struct{ Items []struct{ ID, Code string } }
	e.as(t, "demo_leader").get("/api/v1/suggestion-points?kind=box").want(http.StatusOK).decode(&points)
	boxID := ""
	for _, p := range points.Items {
		if p.Code == "XHBOX01" {
			boxID = p.ID
		}
	}
	c := e.login(t, "demo_leader")
	c.get("/suggestions/new").want(http.StatusOK)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range map[string]string{"csrf": c.csrf(), "idempotency_key": fmt.Sprint(time.Now().UnixNano()), "channel": "box", "point_id": boxID,
		"collected_at": "2026-04-30", "title": "垃圾桶太少", "body": "东门只有一个垃圾桶。", "author_name": "刘奶奶"} {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("slip", "slip.png")
	fw.Write(testPNG(t))
	mw.Close()
	r := c.do("POST", "/suggestions/new", body.Bytes(), "Content-Type", mw.FormDataContentType()).want(http.StatusCreated)
	m := regexp.MustCompile(`href="/suggestions/([^"]+)" data-testid="entered-link"`).FindStringSubmatch(string(r.Body))
	if m == nil || !strings.Contains(string(r.Body), `value="2026-04-30"`) {
		t.Fatalf("entered: %s", r)
	}
	var v struct {
		Channel     string
		SlipPhotoID string `json:"slip_photo_id"`
		CollectedAt string `json:"collected_at"`
		EnteredBy   string `json:"entered_by"`
	}
	e.as(t, "demo_town").get("/api/v1/suggestions/" + m[1]).want(http.StatusOK).decode(&v)
	if v.Channel != "box" || v.SlipPhotoID == "" || v.CollectedAt != "2026-04-30" || v.EnteredBy != e.user(t, "demo_leader").ID {
		t.Fatalf("slip %+v", v)
	}
	e.as(t, "demo_town").get("/api/v1/photos/" + v.SlipPhotoID).want(http.StatusOK)
}
