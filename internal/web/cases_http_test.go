package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// fileCase files a patrol report as demo_grid at a point inside its grid and
// returns the case id; desc makes each test's cases findable.
func fileCase(t *testing.T, e *env, desc string, extra map[string]any) string {
	t.Helper()
	p := deepPoint(t, e.node(t, e.user(t, "demo_grid").RegionCode).Boundary)
	body := map[string]any{"channel": "patrol", "category": "1101", "description": desc, "lat": p.Lat, "lng": p.Lng}
	for k, v := range extra {
		body[k] = v
	}
	var out struct{ Case struct{ ID string } }
	e.as(t, "demo_grid").postJSON("/api/v1/cases", body).want(http.StatusCreated).decode(&out)
	return out.Case.ID
}

func TestCaseExportsStream(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		tag := fmt.Sprintf("导出测试-%d", time.Now().UnixNano())
		for i := 0; i < 3; i++ {
			fileCase(t, e, tag, nil)
		}
		// Text typed by anyone that a spreadsheet would run as a formula.
		formula := `=HYPERLINK("http://evil.example","点我")` + tag
		fileCase(t, e, formula, nil)
		r := e.as(t, "demo_county").get("/api/v1/cases/export.csv?region=371722001001001").want(http.StatusOK)
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || !bytes.HasPrefix(r.Body, []byte("\ufeff")) {
			t.Fatalf("csv headers: %v", r.Header)
		}
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.Body, []byte("\ufeff")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if recs[0][0] != "事件编号" {
			t.Fatalf("header row: %v", recs[0])
		}
		n, defused := 0, false
		for _, rec := range recs[1:] {
			if rec[6] == tag {
				n++
				if rec[1] != "网格巡查" || rec[4] != "上报" {
					t.Errorf("channel %q and stage %q, want them named in Chinese", rec[1], rec[4])
				}
			}
			if strings.HasSuffix(rec[6], tag) && strings.Contains(rec[6], "HYPERLINK") {
				defused = rec[6] == "'"+formula
			}
		}
		if n != 3 {
			t.Fatalf("csv has %d of the 3 cases", n)
		}
		if !defused {
			t.Errorf("the formula description is not defused in the CSV")
		}
		x := e.as(t, "demo_county").get("/api/v1/cases/export.xlsx?region=371722001001001").want(http.StatusOK)
		book, err := excelize.OpenReader(bytes.NewReader(x.Body))
		if err != nil {
			t.Fatalf("xlsx: %v", err)
		}
		rows, _ := book.GetRows("事件")
		if len(rows) != len(recs) || rows[0][0] != "事件编号" {
			t.Fatalf("xlsx has %d rows, csv %d", len(rows), len(recs))
		}
		// Out of scope: the other county's official gets nothing.
		e.as(t, "demo_town").get("/api/v1/cases/export.csv?region=371721").wantProblem(http.StatusForbidden, "forbidden")
	})
}

func TestCaseMapClusters(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		fileCase(t, e, "地图", nil)
		var fc struct {
			Type     string
			Features []struct {
				Geometry   struct{ Coordinates []float64 }
				Properties struct {
					Code string
					Open int
				}
			}
		}
		e.as(t, "demo_county").get("/api/v1/cases/map.geojson?region=371722").want(http.StatusOK).decode(&fc)
		if fc.Type != "FeatureCollection" || len(fc.Features) == 0 {
			t.Fatalf("no clusters: %+v", fc)
		}
		found := false
		for _, f := range fc.Features {
			if f.Properties.Code == "371722001" && f.Properties.Open > 0 && len(f.Geometry.Coordinates) == 2 {
				found = true
			}
		}
		if !found {
			t.Fatalf("the town with open cases is not on the map: %+v", fc.Features)
		}
	})
}

func TestLiveEventsReachScopedViewers(t *testing.T) {
	e := sharedEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+e.token(t, "demo_town"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	id := fileCase(t, e, "实时", nil)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("stream ended")
			}
			if l == "data: "+id {
				return
			}
		case <-ctx.Done():
			t.Fatal("no event for the new case")
		}
	}
}

func TestPhotoUploadStripsAndServes(t *testing.T) {
	e := sharedEnv(t)
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	var pngBuf bytes.Buffer
	png.Encode(&pngBuf, img)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("photo", "x.png")
	fw.Write(pngBuf.Bytes())
	mw.Close()
	// Anonymous residents may upload (no session cookie, so no CSRF either).
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/photos", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %v %v", err, resp.Status)
	}
	var ph struct {
		ID, Type string
		Width    int
	}
	decodeBody(t, resp, &ph)
	if ph.Type != "image/png" || ph.Width != 40 || len(ph.ID) != 32 {
		t.Fatalf("photo: %+v", ph)
	}
	r := e.as(t, "demo_grid").get("/api/v1/photos/" + ph.ID).want(http.StatusOK)
	if r.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("served as %s", r.Header.Get("Content-Type"))
	}
	e.anon(t).get("/api/v1/photos/"+ph.ID).wantProblem(http.StatusUnauthorized, "unauthorized")
	// Text pretending to be a photo is refused by content.
	req, _ = http.NewRequest("POST", e.srv.URL+"/api/v1/photos", strings.NewReader("not an image at all"))
	req.Header.Set("Content-Type", "image/jpeg")
	resp, _ = http.DefaultClient.Do(req)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("text accepted as a photo: %s", resp.Status)
	}
	resp.Body.Close()
	// A case can carry it.
	id := fileCase(t, e, "带照片", map[string]any{"photos": []string{ph.ID}})
	var c struct{ Photos []string }
	e.as(t, "demo_grid").get("/api/v1/cases/" + id).want(http.StatusOK).decode(&c)
	if len(c.Photos) != 1 || c.Photos[0] != ph.ID {
		t.Fatalf("case photos: %v", c.Photos)
	}
	// The case page shows it as a thumbnail, which is served.
	page := string(e.login(t, "demo_grid").get("/cases/" + id).want(http.StatusOK).Body)
	if !strings.Contains(page, "/api/v1/photos/"+ph.ID+"/thumb") {
		t.Fatal("the case page does not show the photo")
	}
	th := e.as(t, "demo_grid").get("/api/v1/photos/" + ph.ID + "/thumb").want(http.StatusOK)
	if !strings.HasPrefix(th.Header.Get("Content-Type"), "image/") || len(th.Body) == 0 {
		t.Fatalf("thumbnail: %s", th.Header.Get("Content-Type"))
	}
}

// TestReporterWithoutAccountSeesCasePhotos: a resident who reported
// without an account sees the case's photos on the follow page, fetched
// with the follow token; a wrong token or a photo of another case gets
// nothing.
func TestReporterWithoutAccountSeesCasePhotos(t *testing.T) {
	e := sharedEnv(t)
	upload := func(w int) string {
		img := image.NewRGBA(image.Rect(0, 0, w, 24)) // the store is content-addressed
		var buf bytes.Buffer
		png.Encode(&buf, img)
		req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/photos", &buf)
		req.Header.Set("Content-Type", "image/png")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload: %v %v", err, resp.Status)
		}
		var ph struct{ ID string }
		decodeBody(t, resp, &ph)
		return ph.ID
	}
	mine, other := upload(32), upload(33)
	p := deepPoint(t, e.node(t, e.user(t, "demo_grid").RegionCode).Boundary)
	var in struct {
		Case        struct{ No string }
		FollowToken string `json:"follow_token"`
	}
	e.anon(t).postJSON("/api/v1/cases", map[string]any{"channel": "web", "category": "1101", "description": "垃圾堆在路口", "lat": p.Lat, "lng": p.Lng,
		"reporter_phone": "13800001111", "photos": []string{mine}}).want(http.StatusCreated).decode(&in)
	if in.FollowToken == "" {
		t.Fatal("no follow token")
	}
	base := "/api/v1/follow/" + in.Case.No + "/photos/"
	q := "?token=" + url.QueryEscape(in.FollowToken)
	page := string(e.anon(t).get("/follow/" + in.Case.No + q).want(http.StatusOK).Body)
	if !strings.Contains(page, base+mine+"/thumb"+html.EscapeString(q)) {
		t.Fatalf("the follow page does not show the photo through the follow link")
	}
	for _, path := range []string{base + mine + q, base + mine + "/thumb" + q} {
		r := e.anon(t).get(path).want(http.StatusOK)
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "image/") || len(r.Body) == 0 {
			t.Fatalf("%s: %s, %d bytes", path, r.Header.Get("Content-Type"), len(r.Body))
		}
	}
	e.anon(t).get(base+mine+"?token=wrong").wantProblem(http.StatusNotFound, "not_found")
	e.anon(t).get(base+mine).wantProblem(http.StatusNotFound, "not_found")
	e.anon(t).get(base+other+q).wantProblem(http.StatusNotFound, "not_found")
}

func decodeBody(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func TestWrongStageSaysItInChinese(t *testing.T) {
	e := sharedEnv(t)
	id := fileCase(t, e, "环节", nil)
	e.as(t, "demo_town").postJSON("/api/v1/cases/"+id+"/accept", map[string]any{}).want(http.StatusOK)
	p := e.as(t, "demo_town").postJSON("/api/v1/cases/"+id+"/accept", map[string]any{}).wantProblem(http.StatusConflict, "conflict")
	if !strings.Contains(p.Detail, "立案") || strings.Contains(p.Detail, "accept") || strings.Contains(p.Detail, "accepted") {
		t.Fatalf("detail names codes instead of Chinese stage and step: %q", p.Detail)
	}
}

func TestHomeShowsReportsAndAreaRates(t *testing.T) {
	e := sharedEnv(t)
	p := deepPoint(t, e.node(t, e.user(t, "demo_grid").RegionCode).Boundary)
	e.as(t, "demo_rider").postJSON("/api/v1/cases", map[string]any{"channel": "quick", "category": "1104", "photos": []string{}, "description": "满溢", "lat": p.Lat, "lng": p.Lng}).want(http.StatusCreated)
	rider := string(e.login(t, "demo_rider").get("/").want(http.StatusOK).Body)
	if !strings.Contains(rider, `data-testid="my-reports"`) || !strings.Contains(rider, "立案率") {
		t.Fatal("the rider's home does not show their reports")
	}
	town := string(e.login(t, "demo_town").get("/").want(http.StatusOK).Body)
	if !strings.Contains(town, `data-testid="area-rates"`) || !strings.Contains(town, "按时办结率") {
		t.Fatal("the town official's home does not show the area's figures")
	}
}

func TestMyReportsPage(t *testing.T) {
	e := sharedEnv(t)
	p := deepPoint(t, e.node(t, e.user(t, "demo_grid").RegionCode).Boundary)
	var filed struct{ Case struct{ No string } }
	e.as(t, "demo_resident").postJSON("/api/v1/cases", map[string]any{"channel": "web", "category": "1103", "description": "我的反映页", "lat": p.Lat, "lng": p.Lng}).
		want(http.StatusCreated).decode(&filed)
	page := string(e.login(t, "demo_resident").get("/cases/mine").want(http.StatusOK).Body)
	if !strings.Contains(page, filed.Case.No) || !strings.Contains(page, `data-testid="nav-mine"`) {
		t.Fatal("the resident's own report is not listed on 我的反映")
	}
	// Someone else's reports are not there.
	other := string(e.login(t, "demo_volunteer").get("/cases/mine").want(http.StatusOK).Body)
	if strings.Contains(other, filed.Case.No) {
		t.Fatal("another person's report is listed")
	}
}

func TestListPageLinksToExports(t *testing.T) {
	e := sharedEnv(t)
	c := e.login(t, "demo_town")
	page := string(c.get("/cases?tab=all&category=11").want(http.StatusOK).Body)
	if !strings.Contains(page, `/api/v1/cases/export.xlsx?category=11`) {
		t.Fatal("the list does not offer an Excel export of what it shows")
	}
	// The link works with the session (no token) and keeps the filter.
	r := c.get("/api/v1/cases/export.csv?category=11").want(http.StatusOK)
	if !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("csv disposition: %q", r.Header.Get("Content-Disposition"))
	}
}

// TestResponsibilityMapEditedInScope: a town official maps illegal parking in
// the town to the town's own centre through the page; new cases follow it;
// a grid worker and another town cannot change it.
func TestResponsibilityMapEditedInScope(t *testing.T) {
	e := newEnvForWrite(t)
	var units struct{ Items []struct{ ID, Name string } }
	e.as(t, "demo_town").get("/api/v1/units?region=371722001").want(http.StatusOK).decode(&units)
	centre := ""
	for _, u := range units.Items {
		if strings.HasSuffix(u.Name, "综治中心") {
			centre = u.ID
		}
	}
	if centre == "" {
		t.Fatal("the town has no governance centre in the demo")
	}
	town := e.login(t, "demo_town")
	page := string(town.get("/regions/371722001/responsibilities").want(http.StatusOK).Body)
	if !strings.Contains(page, `data-testid="resp-form"`) {
		t.Fatal("the town official gets no form")
	}
	town.postForm("/regions/371722001/responsibilities", url.Values{"category": {"1202"}, "unit_id": {centre}}, town.withCSRF()...).want(http.StatusSeeOther)
	page = string(town.get("/regions/371722001/responsibilities").want(http.StatusOK).Body)
	if !strings.Contains(page, "1202") {
		t.Fatal("the new entry is not listed")
	}
	// A new parking case in the town is now routed to the centre.
	id := fileCase(t, e, "停车", map[string]any{"category": "1202"})
	e.as(t, "demo_town").postJSON("/api/v1/cases/"+id+"/accept", map[string]any{}).want(http.StatusOK)
	var c struct {
		LeadUnitID string `json:"lead_unit_id"`
	}
	e.as(t, "demo_town").postJSON("/api/v1/cases/"+id+"/dispatch", map[string]any{}).want(http.StatusOK).decode(&c)
	if c.LeadUnitID != centre {
		t.Fatalf("dispatched to %s, want the town centre %s", c.LeadUnitID, centre)
	}
	// A grid worker sees the map but has no form and cannot post.
	grid := e.login(t, "demo_grid")
	if strings.Contains(string(grid.get("/regions/371722001001001/responsibilities").want(http.StatusOK).Body), `data-testid="resp-form"`) {
		t.Fatal("a grid worker gets the form")
	}
	grid.postForm("/regions/371722001001001/responsibilities", url.Values{"category": {"1202"}, "unit_id": {centre}}, grid.withCSRF()...).want(http.StatusForbidden)
	// The town official cannot edit the county.
	town.postForm("/regions/371722/responsibilities", url.Values{"category": {"1202"}, "unit_id": {centre}}, town.withCSRF()...).want(http.StatusForbidden)
}

// newEnvForWrite starts a demo server of its own, for tests that change
// shared settings such as the responsibility map.
func newEnvForWrite(t *testing.T) *env {
	t.Helper()
	e, err := startEnv(t.TempDir(), "")
	if err != nil {
		t.Fatalf("demo server: %v", err)
	}
	t.Cleanup(e.close)
	return e
}

// TestReplyWithPhotos: the department handler replies through the case page
// with a photo of the work done; the case then carries it.
func TestReplyWithPhotos(t *testing.T) {
	e := sharedEnv(t)
	id := fileCase(t, e, "反馈照片", nil)
	e.as(t, "demo_town").postJSON("/api/v1/cases/"+id+"/accept", map[string]any{}).want(http.StatusOK)
	var c struct{ Version int }
	e.as(t, "demo_town").postJSON("/api/v1/cases/"+id+"/dispatch", map[string]any{}).want(http.StatusOK).decode(&c)
	img := image.NewRGBA(image.Rect(0, 0, 30, 20))
	var pngBuf bytes.Buffer
	png.Encode(&pngBuf, img)
	dept := e.login(t, "demo_dept")
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", dept.csrf())
	mw.WriteField("note", "已清运，附现场照片")
	mw.WriteField("version", fmt.Sprint(c.Version))
	fw, _ := mw.CreateFormFile("photo", "after.png")
	fw.Write(pngBuf.Bytes())
	mw.Close()
	dept.do("POST", "/cases/"+id+"/act/reply", body.Bytes(), "Content-Type", mw.FormDataContentType()).want(http.StatusSeeOther)
	var got struct {
		Status string
		Photos []string
	}
	e.as(t, "demo_town").get("/api/v1/cases/" + id).want(http.StatusOK).decode(&got)
	if got.Status != "replied" || len(got.Photos) != 1 {
		t.Fatalf("after the reply: %+v", got)
	}
	// The photo belongs to the reply in the history, there and on the page.
	var view struct {
		History []struct {
			Action string
			Photos []string
		}
	}
	e.as(t, "demo_town").get("/api/v1/cases/" + id).want(http.StatusOK).decode(&view)
	for _, h := range view.History {
		if want := h.Action == "reply"; (len(h.Photos) == 1 && h.Photos[0] == got.Photos[0]) != want {
			t.Errorf("step %s has photos %v", h.Action, h.Photos)
		}
	}
	page := string(e.login(t, "demo_town").get("/cases/" + id).want(http.StatusOK).Body)
	if i := strings.Index(page, `data-action="reply"`); i < 0 || !strings.Contains(page[i:], `data-testid="step-photos"`) ||
		!strings.Contains(page[i:], "/api/v1/photos/"+got.Photos[0]+"/thumb") {
		t.Error("the reply in the page's history does not show its photo")
	}
}

// TestQuickButtonsFollowTheReporter: a grid worker who keeps reporting
// cooking fumes finds them among the quick report's buttons, which start
// as the defaults.
func TestQuickButtonsFollowTheReporter(t *testing.T) {
	e := sharedEnv(t)
	c := e.login(t, "demo_grid")
	if page := string(c.get("/quick").want(http.StatusOK).Body); strings.Contains(page, `id="q-1403"`) {
		t.Skip("cooking fumes is already a button (the shared server has such reports)")
	}
	for range 3 {
		fileCase(t, e, "餐饮油烟扰民", map[string]any{"category": "1403"})
	}
	page := string(c.get("/quick").want(http.StatusOK).Body)
	if !strings.Contains(page, `id="q-1403"`) {
		t.Fatal("after three reports of cooking fumes the quick report has no button for them")
	}
	if n := strings.Count(page, `class="chip-input"`); n != 6 {
		t.Errorf("%d quick buttons, want 6", n)
	}
}

// TestRatesDefaultToWholeDays: without from and to, the rates cover the
// last 30 whole days (today included) in Beijing time, the period the
// per-day rollup answers without scanning the cases.
func TestRatesDefaultToWholeDays(t *testing.T) {
	e := sharedEnv(t)
	var rt struct{ From, To time.Time }
	e.as(t, "demo_county").get("/api/v1/case-rates").want(http.StatusOK).decode(&rt)
	cst := time.FixedZone("CST", 8*3600)
	from, to := rt.From.In(cst), rt.To.In(cst)
	if from.Hour() != 0 || from.Minute() != 0 || to.Hour() != 0 || to.Sub(from) != 30*24*time.Hour || !to.After(time.Now()) || time.Until(to) > 24*time.Hour {
		t.Fatalf("default period %v – %v, want the 30 whole days up to the end of today", from, to)
	}
}

// TestUnknownPhotoRefused: a report or a step naming a photo the store does
// not hold is refused with the photo's place, and nothing is stored.
func TestUnknownPhotoRefused(t *testing.T) {
	e := sharedEnv(t)
	p := deepPoint(t, e.node(t, e.user(t, "demo_grid").RegionCode).Boundary)
	desc := fmt.Sprintf("照片不存在-%d", time.Now().UnixNano())
	body := map[string]any{"channel": "patrol", "category": "1101", "description": desc, "lat": p.Lat, "lng": p.Lng,
		"photos": []string{"0123456789abcdef0123456789abcdef"}}
	if pr := e.as(t, "demo_grid").postJSON("/api/v1/cases", body).wantProblem(http.StatusBadRequest, "invalid"); pr.Field != "photos/0" {
		t.Fatalf("field %q, want photos/0", pr.Field)
	}
	var list struct {
		Items []struct{ Description string }
	}
	e.as(t, "demo_grid").get("/api/v1/cases?mine=1&limit=100").want(http.StatusOK).decode(&list)
	for _, c := range list.Items {
		if c.Description == desc {
			t.Fatal("the refused report was stored")
		}
	}
}

// TestCaseListEdges: an empty list is [] (not null), and a stage that does
// not exist is refused rather than listing nothing.
func TestCaseListEdges(t *testing.T) {
	e := sharedEnv(t)
	r := e.as(t, "demo_county").get("/api/v1/cases?category=1101&from=2001-01-01&to=2001-01-02").want(http.StatusOK)
	if !strings.Contains(string(r.Body), `"items":[]`) {
		t.Errorf("empty list: %s", r.Body)
	}
	if p := e.as(t, "demo_county").get("/api/v1/cases?status=closd").wantProblem(http.StatusBadRequest, "invalid"); p.Field != "status" {
		t.Errorf("field %q", p.Field)
	}
	e.as(t, "demo_county").get("/api/v1/cases/export.csv?status=bogus").wantProblem(http.StatusBadRequest, "invalid")
}

// TestAlertsPage: a case dispatched to the department's unit shows up as a
// new alert on the handler's home page and alerts page; after the page is
// opened nothing is new.
func TestAlertsPage(t *testing.T) {
	e := sharedEnv(t)
	id := fileCase(t, e, "提醒测试", nil)
	e.as(t, "demo_town").postJSON("/api/v1/cases/"+id+"/accept", map[string]any{}).want(http.StatusOK)
	var units struct {
		Items []struct{ ID, Name string }
	}
	e.as(t, "demo_county").get("/api/v1/units?region=371722").want(http.StatusOK).decode(&units)
	unit := ""
	for _, u := range units.Items {
		if u.Name == "单县综合行政执法局" {
			unit = u.ID
		}
	}
	var c struct {
		No   string `json:"no"`
		Lead string `json:"lead_unit_name"`
	}
	e.as(t, "demo_town").postJSON("/api/v1/cases/"+id+"/dispatch", map[string]any{"unit_id": unit}).want(http.StatusOK).decode(&c)
	if c.Lead != "单县综合行政执法局" {
		t.Fatalf("dispatched to %q", c.Lead)
	}
	dept := e.login(t, "demo_dept")
	if home := string(dept.get("/").want(http.StatusOK).Body); !strings.Contains(home, `data-testid="home-alerts"`) {
		t.Error("the handler's home does not announce new alerts")
	}
	page := string(dept.get("/alerts").want(http.StatusOK).Body)
	i := strings.Index(page, `data-no="`+c.No+`"`)
	if i < 0 || !strings.Contains(page[i:min(len(page), i+800)], "派遣") || !strings.Contains(page[i:min(len(page), i+800)], `data-testid="alert-new"`) {
		t.Fatalf("the alerts page does not list %s as newly dispatched", c.No)
	}
	var al struct{ Unread int }
	e.as(t, "demo_dept").get("/api/v1/alerts").want(http.StatusOK).decode(&al)
	if al.Unread != 0 {
		t.Errorf("%d alerts still new after opening the page", al.Unread)
	}
	// Through the API: a bad body is refused, a good one accepted.
	e.as(t, "demo_dept").postJSON("/api/v1/alerts/seen", map[string]any{"up_to": "yesterday"}).wantProblem(http.StatusBadRequest, "invalid")
	e.as(t, "demo_dept").postJSON("/api/v1/alerts/seen", map[string]any{"up_to": time.Now().UTC().Format(time.RFC3339)}).want(http.StatusNoContent)
	if home := string(dept.get("/").want(http.StatusOK).Body); strings.Contains(home, `data-testid="home-alerts"`) {
		t.Error("the home page still announces new alerts")
	}
	e.anon(t).get("/api/v1/alerts").wantProblem(http.StatusUnauthorized, "unauthorized")
}

// TestOpen311MediaURLOnTheCasePage: the media_url an Open311 client sends is
// a link on the case page for staff, and not shown to the reporter.
func TestOpen311MediaURLOnTheCasePage(t *testing.T) {
	e := sharedEnv(t)
	p := deepPoint(t, e.node(t, e.user(t, "demo_grid").RegionCode).Boundary)
	form := url.Values{"api_key": {e.token(t, "demo_resident")}, "service_code": {"1101"}, "description": {"垃圾成堆"},
		"lat": {fmt.Sprint(p.Lat)}, "long": {fmt.Sprint(p.Lng)}, "media_url": {"https://img.example.com/m/2.jpg"}}
	r := e.anon(t).postForm("/open311/v2/requests.json", form).want(http.StatusCreated)
	var got []struct {
		No string `json:"service_request_id"`
	}
	if err := json.Unmarshal(r.Body, &got); err != nil || len(got) != 1 {
		t.Fatalf("open311 answer %s: %v", r.Body, err)
	}
	var list struct {
		Items []struct{ ID, No string }
	}
	e.as(t, "demo_county").get("/api/v1/cases?channel=open311&limit=100").want(http.StatusOK).decode(&list)
	id := ""
	for _, c := range list.Items {
		if c.No == got[0].No {
			id = c.ID
		}
	}
	if id == "" {
		t.Fatalf("case %s not listed", got[0].No)
	}
	staff := string(e.login(t, "demo_town").get("/cases/" + id).want(http.StatusOK).Body)
	if !strings.Contains(staff, `data-testid="case-media"`) || !strings.Contains(staff, `href="https://img.example.com/m/2.jpg"`) {
		t.Error("staff do not see the media_url as a link")
	}
	if mine := string(e.login(t, "demo_resident").get("/cases/" + id).want(http.StatusOK).Body); strings.Contains(mine, `data-testid="case-media"`) {
		t.Error("the reporter is shown the media link block meant for staff")
	}
}

// TestWalletSaysHowLongPointsLast: with a validity set, the wallet says
// how long points last (and, when some do within 30 days, how many).
func TestWalletSaysHowLongPointsLast(t *testing.T) {
	e := sharedEnv(t)
	page := string(e.login(t, "demo_volunteer").get("/wallet").want(http.StatusOK).Body)
	if !strings.Contains(page, `data-testid="points-validity"`) || !strings.Contains(page, "积分自获得起 24 个月内有效") {
		t.Error("the wallet does not say how long points stay valid")
	}
}
