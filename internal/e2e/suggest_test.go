package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Journey: the office prints the poster of the demo opinion box; a resident
// scans its QR on a phone and files a suggestion; an official assesses it,
// forwards it to the county's enforcement bureau, adopts it, records the
// measure and a dated milestone; the resident's follow page shows every
// step, the decision, the measure and its progress.
func TestSuggestionJourney(t *testing.T) {
	office := newBrowser(t, desktop)
	office.mustLogin("demo_town")
	office.open("/suggestions/channels")
	office.load("open the poster", chromedp.Click(chromedp.CSS(testid("poster-XHBOX01")), chromedp.NodeVisible))
	qr := office.waitFor("the QR image", `(() => { const i = document.querySelector('[data-testid="poster-qr"]'); return i && i.complete && i.naturalWidth > 100 ? "ok" : ""; })()`, 10*time.Second)
	if qr != "ok" {
		t.Fatal("poster has no QR image")
	}
	link := office.text(testid("poster-url"))
	if !strings.Contains(link, "/suggest?box=XHBOX01") {
		t.Fatalf("poster URL %q", link)
	}

	// The resident scans it on the phone.
	resident := newBrowser(t, phone)
	resident.open(strings.TrimPrefix(link, resident.base))
	if got := resident.text(testid("suggest-point")); !strings.Contains(got, "东门社情民意箱") {
		t.Fatalf("the form does not name the box: %q", got)
	}
	noSideScroll(resident, "the suggestion form")
	title := fmt.Sprintf("东门增设快递柜 %d", time.Now().UnixNano()%100000)
	resident.typeIn(testid("suggest-title"), title)
	resident.typeIn(testid("suggest-body"), "快递经常放在门卫室，老人取件不方便，建议在东门增设智能快递柜。")
	resident.typeIn(testid("suggest-phone"), "13905309999")
	resident.load("submit the suggestion", chromedp.Click(chromedp.CSS(testid("suggest-submit")), chromedp.NodeVisible))
	no := resident.text(testid("suggest-no"))
	follow := eval[string](resident, "follow link", `document.querySelector('[data-testid="follow-link"]').getAttribute("href")`)
	if no == "" || !strings.HasPrefix(follow, "/suggest/follow/"+no) {
		t.Fatalf("no %q, follow %q", no, follow)
	}

	// The official finds it and takes it through every step.
	office.open("/suggestions?q=" + no)
	office.load("open the suggestion", chromedp.Click(chromedp.CSS(`[data-testid="suggestion-list"] li[data-no="`+no+`"] a`), chromedp.NodeVisible))
	if got := office.text(testid("suggest-channel")); got != "社情民意箱" {
		t.Fatalf("channel %q", got)
	}
	step := func(action string, fill func()) {
		t.Helper()
		form := testid("act-" + action)
		fill()
		office.load(action, chromedp.Click(chromedp.CSS(form+" "+testid("submit-"+action)), chromedp.NodeVisible))
		if eval[bool](office, "error shown", `!!document.querySelector('[data-testid="error"]')`) {
			t.Fatalf("%s: %s", action, office.text(testid("error")))
		}
	}
	step("assess", func() {
		office.typeIn(testid("act-assess")+" "+testid("topic"), "便民服务")
		office.chooseOption(testid("act-assess")+" "+testid("unit"), "综合行政执法局")
	})
	step("forward", func() {})
	if got := office.text(testid("suggest-status")); got != "已转办" {
		t.Fatalf("status after forwarding %q", got)
	}
	step("adopt", func() {
		office.typeIn(testid("decision"), "在兴华社区东门增设智能快递柜一组，由邮政公司运营。")
	})
	step("implement", func() {
		office.typeIn(testid("measure"), "兴华社区智能快递柜建设")
		office.typeIn(testid("measure-url"), "https://www.shanxian.gov.cn/express")
	})
	step("milestone", func() {
		office.typeIn(testid("act-milestone")+" "+testid("progress"), "60")
		office.typeIn(testid("act-milestone")+" "+testid("note"), "快递柜已安装，正在调试")
	})
	if got := office.text(testid("suggest-progress")); got != "60%" {
		t.Fatalf("progress %q", got)
	}

	// The resident's follow page tells every step.
	resident.open(follow)
	noSideScroll(resident, "the follow page")
	if got := resident.text(testid("suggest-status")); got != "已落实" {
		t.Fatalf("resident sees status %q", got)
	}
	steps := eval[[]string](resident, "trail", `[...document.querySelectorAll('[data-testid="trail"] li')].map(li => li.dataset.action)`)
	want := []string{"received", "assessed", "forwarded", "adopted", "implemented", "milestone"}
	if strings.Join(steps, ",") != strings.Join(want, ",") {
		t.Fatalf("trail %v, want %v", steps, want)
	}
	for id, want := range map[string]string{"suggest-decision": "智能快递柜", "suggest-measure": "兴华社区智能快递柜建设", "suggest-progress": "60%", "suggest-unit": "综合行政执法局", "milestones": "快递柜已安装"} {
		if got := resident.text(testid(id)); !strings.Contains(got, want) {
			t.Errorf("%s: %q lacks %q", id, got, want)
		}
	}
	if eval[bool](resident, "author shown", `!!document.querySelector('[data-testid="suggest-author"]')`) {
		t.Error("the follow page shows the author")
	}
	noPageErrors(resident)
	noPageErrors(office)
	resident.shot("suggestion-follow")
}
