package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
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
	visitor.do("went: yes", chromedp.Click(chromedp.CSS(`[data-testid="q-visited"] input[value="yes"]`), chromedp.NodeVisible))
	waitQ(visitor, "satisfaction", true)
	visitor.do("went: no", chromedp.Click(chromedp.CSS(`[data-testid="q-visited"] input[value="no"]`), chromedp.NodeVisible))
	waitQ(visitor, "satisfaction", false)
	visitor.do("went: yes again", chromedp.Click(chromedp.CSS(`[data-testid="q-visited"] input[value="yes"]`), chromedp.NodeVisible))
	waitQ(visitor, "satisfaction", true)
	// Next without the required rating: the page says so.
	settled(visitor)
	visitor.load("next without the rating", chromedp.Click(chromedp.CSS(testid("next")), chromedp.NodeVisible))
	if e := visitor.text(`[data-testid="q-satisfaction"] [data-testid="q-error"]`); !strings.Contains(e, "必") {
		t.Fatalf("missing rating: %q", e)
	}
	visitor.do("rate 5", chromedp.Click(chromedp.CSS(`[data-testid="q-satisfaction"] input[value="5"]`), chromedp.NodeVisible))
	waitQ(visitor, "liked", true)
	visitor.do("liked flowers", chromedp.Click(chromedp.CSS(`[data-testid="q-liked"] input[value="flowers"]`), chromedp.NodeVisible))
	settled(visitor)
	noSideScroll(visitor, "the questionnaire")
	visitor.shot("survey-page1-phone")
	visitor.load("next", chromedp.Click(chromedp.CSS(testid("next")), chromedp.NodeVisible))
	if p := visitor.text(testid("page-of")); p != "第 2 页，共 2 页" {
		t.Fatalf("page %q", p)
	}
	for _, row := range []string{"parking", "toilets", "guides"} {
		visitor.do("rate "+row, chromedp.Click(chromedp.CSS(`input[name="services/`+row+`"][value="good"]`), chromedp.NodeVisible))
	}
	visitor.choose(`select[name="priorities#1"]`, "traffic")
	visitor.choose(`select[name="priorities#2"]`, "signs")
	visitor.choose(`select[name="priorities#3"]`, "prices")
	visitor.do("age 7", chromedp.SetValue(`input[name="age"]`, "7"))
	settled(visitor)
	noSideScroll(visitor, "the questionnaire's second page")
	visitor.load("submit with a wrong age", chromedp.Click(chromedp.CSS(testid("submit")), chromedp.NodeVisible))
	if e := visitor.text(`[data-testid="q-age"] [data-testid="q-error"]`); e != "年龄请填写 10 到 100 之间的整数" {
		t.Fatalf("age message %q", e)
	}
	visitor.do("age 34", chromedp.SetValue(`input[name="age"]`, "34"))
	visitor.typeIn(`textarea[name="idea"]`, "希望增加公交专线")
	settled(visitor)
	visitor.shot("survey-page2-phone")
	visitor.load("submit", chromedp.Click(chromedp.CSS(testid("submit")), chromedp.NodeVisible))
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
