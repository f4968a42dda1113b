package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"civicgrid/internal/demo"
	"civicgrid/internal/xlsform"
)

// visibleQ reports whether a question's fieldset is shown.
func visibleQ(b *browser, name string) bool {
	b.t.Helper()
	return eval[bool](b, "is "+name+" shown", fmt.Sprintf(`(() => { const f = document.querySelector('[data-testid="q-%s"]'); return !!f && !f.hidden; })()`, name))
}

// waitQ waits until a question is shown (or hidden) after htmx redraws.
func waitQ(b *browser, name string, shown bool) {
	b.t.Helper()
	b.waitFor(name+" shown="+fmt.Sprint(shown), fmt.Sprintf(`(() => { const f = document.querySelector('[data-testid="q-%s"]'); return f && (!f.hidden) === %v ? "ok" : ""; })()`, name, shown), 10*time.Second)
}

// tick checks a radio button or checkbox from the page's script: a
// synthetic mouse click lands on whatever is drawn at the input's place,
// and the form's sticky button bar can cover an input at the bottom of the
// screen (the click then pressed "next").
func tick(b *browser, sel string) {
	b.t.Helper()
	b.do("tick "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).click()`, sel)))
}

// formStep presses a button of the answer form and waits for the next
// page: the old document is marked, and the step is done when a complete
// document without the mark is there. (Waiting for the navigation's
// response sometimes missed it while the form's own request was in flight.)
func formStep(b *browser, what, sel string) {
	b.t.Helper()
	b.do("mark the page before "+what, chromedp.Evaluate[chromedp.Void](`window.__before = true`))
	// The button is pressed from the page's script, not with a synthetic
	// mouse event: the protocol call for the mouse could stall when the
	// page navigated away under it. The press is queued, so the call
	// returns before the navigation starts.
	b.do("find "+what, chromedp.WaitVisible(chromedp.CSS(sel)))
	ctx, cancel := context.WithTimeout(b.ctx, 3*time.Second)
	_, _ = chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`setTimeout(() => document.querySelector(%q).click(), 0)`, sel)))
	cancel()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!window.__before && document.readyState === "complete"`))
		cancel()
		if err == nil && ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.fail(what, fmt.Errorf("no new page within 20s"))
}

// settled waits until the form has asked the server which questions to show
// after the last change (the request is debounced by 120 ms).
func settled(b *browser) {
	b.t.Helper()
	time.Sleep(200 * time.Millisecond)
	b.waitFor("skip logic settled", `document.querySelector("form[data-visible-url]") && !document.querySelector("form[data-busy]") ? "ok" : ""`, 10*time.Second)
}

// Journey: a visitor answers the festival questionnaire on a phone without
// an account: skip logic shows the follow-up questions only to those who
// went, a wrong age is refused with the questionnaire's own Chinese
// message, the response goes in; an official sees it in the charts and
// exports everything with a progress bar.
func TestSurveyJourney(t *testing.T) {
	visitor := newBrowser(t, phone)
	visitor.open("/campaigns")
	href := eval[string](visitor, "the festival campaign's link", `[...document.querySelectorAll('[data-testid="campaigns"] a')].find(a => a.textContent.includes("牡丹")).getAttribute("href")`)
	visitor.load("open the festival campaign", chromedp.Click(chromedp.CSS(`a[href="`+href+`"]`), chromedp.NodeVisible))
	if h := visitor.text(testid("campaign-title")); !strings.Contains(h, "牡丹") {
		t.Fatalf("campaign %q", h)
	}
	visitor.load("answer", chromedp.Click(chromedp.CSS(testid("fill")), chromedp.NodeVisible))
	if !strings.Contains(visitor.text(testid("anonymous")), "不记录您的账号") {
		t.Error("the anonymous questionnaire does not say what it does not record")
	}
	if visibleQ(visitor, "satisfaction") {
		t.Fatal("the satisfaction question shows before the visitor said they went")
	}
	visitor.choose("#region_code", "371722")
	tick(visitor, `[data-testid="q-visited"] input[value="yes"]`)
	waitQ(visitor, "satisfaction", true)
	tick(visitor, `[data-testid="q-visited"] input[value="no"]`)
	waitQ(visitor, "satisfaction", false)
	tick(visitor, `[data-testid="q-visited"] input[value="yes"]`)
	waitQ(visitor, "satisfaction", true)
	// Next without the required rating: the page says so.
	settled(visitor)
	formStep(visitor, "next without the rating", testid("next"))
	if e := visitor.text(`[data-testid="q-satisfaction"] [data-testid="q-error"]`); !strings.Contains(e, "必") {
		t.Fatalf("missing rating: %q", e)
	}
	tick(visitor, `[data-testid="q-satisfaction"] input[value="5"]`)
	waitQ(visitor, "liked", true)
	tick(visitor, `[data-testid="q-liked"] input[value="flowers"]`)
	settled(visitor)
	noSideScroll(visitor, "the questionnaire")
	visitor.shot("survey-page1-phone")
	formStep(visitor, "next", testid("next"))
	if p := visitor.text(testid("page-of")); p != "第 2 页，共 2 页" {
		t.Fatalf("page %q", p)
	}
	for _, row := range []string{"parking", "toilets", "guides"} {
		tick(visitor, `input[name="services/`+row+`"][value="good"]`)
	}
	// The map is brought to the middle of the screen first, away from the
	// sticky buttons, since a tap must be a real one.
	visitor.do("tap the map", chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="map-spot"]').scrollIntoView({block: "center"})`),
		chromedp.Click(chromedp.CSS(testid("map-spot")), chromedp.NodeVisible))
	if la := eval[string](visitor, "spot latitude", `document.getElementById("spot-lat").value`); la == "" {
		t.Fatal("tapping the map did not set the location")
	}
	visitor.choose(`select[name="priorities#1"]`, "traffic")
	visitor.choose(`select[name="priorities#2"]`, "signs")
	visitor.choose(`select[name="priorities#3"]`, "prices")
	visitor.do("age 7", chromedp.SetValue(`input[name="age"]`, "7"))
	settled(visitor)
	noSideScroll(visitor, "the questionnaire's second page")
	// Nor does the matrix scroll inside its box: on a phone it is a list.
	if w := eval[int](visitor, "matrix box", `(() => { const b = document.querySelector('table.matrix').closest('.table-wrap'); return b.scrollWidth - b.clientWidth })()`); w > 0 {
		t.Errorf("the matrix scrolls sideways by %dpx inside its box on a phone", w)
	}
	visitor.shot("survey-page2-phone")
	formStep(visitor, "submit with a wrong age", testid("submit"))
	if e := visitor.text(`[data-testid="q-age"] [data-testid="q-error"]`); e != "年龄请填写 10 到 100 之间的整数" {
		t.Fatalf("age message %q", e)
	}
	visitor.do("age 34", chromedp.SetValue(`input[name="age"]`, "34"))
	visitor.typeIn(`textarea[name="idea"]`, "希望增加公交专线")
	settled(visitor)
	visitor.shot("survey-page2-phone")
	formStep(visitor, "submit", testid("submit"))
	if th := visitor.text(testid("thanks")); !strings.Contains(th, "提交成功") {
		t.Fatalf("after submitting: %q", th)
	}
	visitor.shot("survey-thanks-phone")

	// The official's results and export.
	off := newBrowser(t, desktop)
	off.mustLogin("demo_city")
	off.open("/surveys")
	results := eval[string](off, "the festival results link", `[...document.querySelectorAll('[data-testid="questionnaires"] tr')].find(r => r.textContent.includes("牡丹")).querySelector('a[href$="/results"]').getAttribute("href")`)
	off.load("results", chromedp.Click(chromedp.CSS(`a[href="`+results+`"]`), chromedp.NodeVisible))
	var n int
	fmt.Sscan(off.text(testid("responses")), &n)
	if n < 1 {
		t.Fatalf("%d responses on the results page", n)
	}
	off.waitFor("charts drawn", `document.getElementById("charts").dataset.drawn === "1" && document.querySelectorAll("#charts svg").length > 3 ? "ok" : ""`, 10*time.Second)
	off.shot("survey-results-desktop")
	off.load("cross-tabulate", chromedp.Click(chromedp.CSS(testid("cross")), chromedp.NodeVisible))
	off.load("export", chromedp.Click(chromedp.CSS(testid("export-xlsx")), chromedp.NodeVisible))
	off.waitFor("the export finishes", `(() => { const e = document.querySelector('[data-testid="export-state"]'); return e && e.dataset.state === "done" ? "ok" : ""; })()`, 20*time.Second)
	href = eval[string](off, "file link", `document.querySelector('[data-testid="export-file"]').getAttribute("href")`)
	head := evalAsync[string](off, "download", `fetch(`+"`"+href+"`"+`).then(r => r.ok ? r.arrayBuffer() : Promise.reject(r.status)).then(b => String.fromCharCode(...new Uint8Array(b).slice(0, 2)))`)
	if head != "PK" {
		t.Fatalf("export starts %q, want an xlsx (zip)", head)
	}
	off.shot("survey-export-desktop")
	noPageErrors(visitor)
	noPageErrors(off)
}

// answerNo fills the festival form as someone who did not go, from region.
func answerNo(b *browser, campaign, region string) string {
	b.t.Helper()
	b.open(campaign)
	b.load("answer", chromedp.Click(chromedp.CSS(testid("fill")), chromedp.NodeVisible))
	b.choose("#region_code", region)
	tick(b, `[data-testid="q-visited"] input[value="no"]`)
	settled(b)
	formStep(b, "next", testid("next"))
	formStep(b, "submit", testid("submit"))
	return eval[string](b, "the answer", `(document.querySelector('[data-testid="thanks"], [data-testid="error"]') || {textContent: ""}).textContent.trim()`)
}

// Journey: an official imports a questionnaire from an XLSForm workbook,
// caps 曹县 at one response, publishes a campaign with it; residents answer
// on phones, the second from 曹县 is told politely that it is full; the
// results and the CSV export count exactly what was accepted.
func TestXLSFormCampaignJourney(t *testing.T) {
	baseURL(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "牡丹节.xlsx")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := xlsform.Export(f, demo.PeonySchema()); err != nil {
		t.Fatal(err)
	}
	f.Close()

	off := newBrowser(t, desktop)
	off.mustLogin("demo_city")
	off.open("/surveys")
	title := fmt.Sprint("XLSForm 导入问卷 ", time.Now().UnixNano())
	off.typeIn("#title", title)
	off.do("choose the workbook", chromedp.SetUploadFiles(`#file`, []string{path}))
	off.load("upload", chromedp.Click(chromedp.CSS(testid("xlsform-upload")), chromedp.NodeVisible))
	results := off.path()
	if !strings.HasSuffix(results, "/results") {
		t.Fatalf("after the upload: at %s", results)
	}
	qid := strings.TrimSuffix(strings.TrimPrefix(results, "/surveys/"), "/results")
	off.typeIn("#qr", "371721")
	off.typeIn("#qn", "1")
	off.load("cap 曹县 at one", chromedp.Submit(chromedp.CSS(`#qn`)))
	off.open("/surveys")
	off.typeIn("#campaign_title", "XLSForm 专题征集")
	today := time.Now().In(time.FixedZone("CST", 8*3600))
	off.do("dates", chromedp.SetValue(testid("starts_on"), today.Format("2006-01-02")), chromedp.SetValue(testid("ends_on"), today.Add(30*24*time.Hour).Format("2006-01-02")))
	off.choose("#questionnaire_id", qid)
	off.load("create the campaign", chromedp.Click(chromedp.CSS(testid("create-campaign")), chromedp.NodeVisible))
	campaign := off.path()
	if !strings.HasPrefix(campaign, "/campaigns/") {
		t.Fatalf("after creating the campaign: at %s", campaign)
	}
	off.shot("campaign-desktop")

	a := newBrowser(t, phone)
	if got := answerNo(a, campaign, "371721"); !strings.Contains(got, "提交成功") {
		t.Fatalf("first answer from 曹县: %q", got)
	}
	b := newBrowser(t, phone)
	if got := answerNo(b, campaign, "371721"); !strings.Contains(got, "曹县的答卷名额已满") {
		t.Fatalf("second answer from 曹县: %q", got)
	}
	b.shot("survey-quota-full-phone")
	c := newBrowser(t, phone)
	if got := answerNo(c, campaign, "371722"); !strings.Contains(got, "提交成功") {
		t.Fatalf("answer from 单县: %q", got)
	}

	off.open(results)
	if n := off.text(testid("responses")); n != "2" {
		t.Fatalf("responses %s, want 2", n)
	}
	no := eval[float64](off, "no count", `JSON.parse(document.getElementById("charts").dataset.results).find(q => q.name === "visited").counts.find(c => c.choice === "no").n`)
	if no != 2 {
		t.Fatalf("'did not go' counted %v times, want 2", no)
	}
	lines := evalAsync[float64](off, "CSV rows", `fetch("/api/v1/questionnaires/`+qid+`/responses.csv").then(r => r.text()).then(t => t.trim().split("\n").length)`)
	if lines != 3 {
		t.Fatalf("CSV has %v lines, want a header and 2 rows", lines)
	}
	for _, br := range []*browser{off, a, b, c} {
		noPageErrors(br)
	}
}
