package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"civicgrid/internal/geo"
)

// caseNo is the shape of a case number: county, Beijing date, eight characters.
var caseNo = regexp.MustCompile(`^371722-\d{8}-[0-9A-Z]{8}$`)

// gridPoint is a point well inside demo_grid's grid 371722001001001, from
// the running server's own region tree.
func gridPoint(t *testing.T) geo.Point {
	t.Helper()
	baseURL(t)
	n, ok := server.main.Regions.Tree().Get(gridCode)
	if !ok || len(n.Boundary) == 0 {
		t.Fatalf("grid %s has no boundary in the demo", gridCode)
	}
	p := n.Boundary.InteriorPoint()
	if !n.Boundary.Contains(p) {
		t.Fatalf("interior point %+v is not inside grid %s", p, gridCode)
	}
	return p
}

// geolocate grants the page the geolocation permission and makes the
// browser report p as the phone's position (WGS-84).
func (b *browser) geolocate(p geo.Point) {
	b.t.Helper()
	bctx := chromedp.FromContext(b.ctx).BrowserContextID
	b.do("grant geolocation and put the phone at the point", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: "geolocation"}, Setting: cdpbrowser.PermissionSettingGranted,
			Origin: b.base, BrowserContextID: bctx,
		}); err != nil {
			return fmt.Errorf("grant geolocation: %w", err)
		}
		lat, lng, acc := p.Lat, p.Lng, 8.0
		_, err := cdp.Call(ctx, t, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{Latitude: &lat, Longitude: &lng, Accuracy: &acc})
		return err
	}))
}

// offline cuts the network for requests matching pattern (an absolute
// URLPattern); an empty pattern restores the network.
func (b *browser) offline(pattern string) {
	b.t.Helper()
	var conds []*network.Conditions
	if pattern != "" {
		conds = []*network.Conditions{{URLPattern: pattern, Offline: true, DownloadThroughput: -1, UploadThroughput: -1}}
	} else {
		conds = []*network.Conditions{}
	}
	b.do("network conditions for "+pattern, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: conds})
		return err
	}))
}

// evalAsync evaluates a JavaScript expression that yields a promise.
func evalAsync[T any](b *browser, what, js string) T {
	b.t.Helper()
	return run(b, what, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
}

// choose sets a <select> as a person does, so change handlers run.
func (b *browser) choose(sel, value string) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => { const s = document.querySelector(%q); if (!s) return "no element";
		s.value = %q; if (s.value !== %q) return "no option " + %q;
		s.dispatchEvent(new Event("input", {bubbles: true})); s.dispatchEvent(new Event("change", {bubbles: true})); return ""; })()`, sel, value, value, value)
	if msg := eval[string](b, "choose "+value+" in "+sel, js); msg != "" {
		b.fail("choose "+value+" in "+sel, fmt.Errorf("%s", msg))
	}
}

// waitFor polls until a JavaScript expression yields a non-empty string.
func (b *browser) waitFor(what, js string, timeout time.Duration) string {
	b.t.Helper()
	return run(b, what, chromedp.Poll[string](js, chromedp.WithPollingTimeout(timeout)))
}

// waitLocated waits until report.js has placed the phone and returns the
// outcome: found, failed or outside.
func waitLocated(b *browser) string {
	b.t.Helper()
	return b.waitFor("wait for the location", `(() => { const s = document.getElementById("locate-status");
		const st = s ? s.dataset.state || "" : ""; return st === "locating" ? "" : st; })()`, 15*time.Second)
}

// noSideScroll fails when the page is wider than the screen.
func noSideScroll(b *browser, page string) {
	b.t.Helper()
	if w := eval[int](b, "page width", `document.documentElement.scrollWidth - window.innerWidth`); w > 0 {
		b.t.Errorf("%s scrolls sideways by %dpx on a %dpx screen", page, w, b.dev.width)
	}
}

// reportOnPhone files an anonymous report through /report on a phone at p,
// as a resident does, and returns the case number and the follow link's
// path. b must be geolocated at p.
func reportOnPhone(b *browser, p geo.Point, description string, shots bool) (no, follow string) {
	b.t.Helper()
	if r := b.open("/report"); r.Status != 200 {
		b.fail("open /report", fmt.Errorf("status %s", statusOf(r)))
	}
	if h1 := b.text("main h1"); h1 != "我要反映" {
		b.t.Errorf("report page heading %q, want 我要反映", h1)
	}
	if shots {
		b.shot("report-phone")
	}
	// 市容环境 → 暴露垃圾: the class narrows the subcategories.
	b.choose("#class", "11")
	visible := eval[[]string](b, "visible subcategories", `[...document.querySelectorAll("#category optgroup")].filter(g => !g.hidden).map(g => g.label)`)
	if len(visible) != 1 || visible[0] != "市容环境" {
		b.t.Errorf("after choosing 市容环境 the subcategory select offers %v, want only 市容环境", visible)
	}
	b.choose("#category", "1101")
	if got := eval[string](b, "chosen subcategory", `document.querySelector("#category").selectedOptions[0].textContent`); got != "暴露垃圾" {
		b.t.Errorf("chosen subcategory %q, want 暴露垃圾", got)
	}
	b.do("describe the problem", chromedp.SendKeys(chromedp.CSS(`#description`), description))
	b.do("use my location", chromedp.Click(chromedp.CSS(testid("locate")), chromedp.NodeVisible))
	state := waitLocated(b)
	if state != "found" {
		b.fail("locate the phone", fmt.Errorf("location state %q: %s", state, b.text(testid("locate-status"))))
	}
	if st := b.text(testid("locate-status")); !strings.Contains(st, "兴华社区第一网格") {
		b.t.Errorf("location status %q does not name the grid 兴华社区第一网格", st)
	}
	lat := run(b, "read #lat", chromedp.Value(chromedp.CSS(`#lat`)))
	if want := fmt.Sprintf("%.6f", p.Lat); lat != want {
		b.t.Errorf("latitude field %q, want %s from the phone", lat, want)
	}
	if shots {
		b.shot("report-filled-phone")
	}
	noSideScroll(b, "/report")
	// Keep what the form sends, to send it again as a double submit would.
	body := eval[string](b, "the form's data", `new URLSearchParams(new FormData(document.getElementById("report-form"))).toString()`)
	resp := b.load("send the report", chromedp.Click(chromedp.CSS(testid("submit")), chromedp.NodeVisible))
	if resp.Status != 201 {
		b.fail("send the report", fmt.Errorf("status %s, want 201", statusOf(resp)))
	}
	no = b.text(testid("case-no"))
	if !caseNo.MatchString(no) {
		b.fail("case number", fmt.Errorf("%q does not look like a case number", no))
	}
	href := run(b, "follow link", chromedp.AttributeValue(chromedp.CSS(testid("follow-link")), "href")).Value
	if !strings.HasPrefix(href, b.base+"/follow/"+no+"?token=") || len(href) < len(b.base+"/follow/"+no+"?token=")+20 {
		b.fail("follow link", fmt.Errorf("%q is not %s/follow/%s?token=…", href, b.base, no))
	}
	if t := b.text(testid("follow-link")); t != href {
		b.t.Errorf("the follow link shows %q, want the whole link %q to copy", t, href)
	}
	if shots {
		b.shot("report-done-phone")
		noSideScroll(b, "the report receipt")
	}
	// A double submit (or a retry after a lost answer) stores nothing new and
	// still shows the same follow link.
	type replay struct {
		Status int    `json:"status"`
		Body   string `json:"body"`
	}
	again := evalAsync[replay](b, "send the same form again", fmt.Sprintf(`fetch("/report", {method: "POST", body: new URLSearchParams(%q), credentials: "same-origin"})
		.then(r => r.text().then(t => ({status: r.status, body: t})))`, body))
	if again.Status != 200 || !strings.Contains(again.Body, `data-testid="replayed"`) || !strings.Contains(again.Body, ">"+no+"<") {
		b.t.Errorf("sending the same form again: status %d, want 200 with the same case %s marked as already sent", again.Status, no)
	}
	if !strings.Contains(again.Body, href) {
		b.t.Errorf("the repeated submit does not show the follow link %s", href)
	}
	return no, strings.TrimPrefix(href, b.base)
}

// historyRow is one line of a case's history as the page shows it.
type historyRow struct {
	Action string `json:"action"`
	Name   string `json:"name"`
	Who    string `json:"who"`
	Note   string `json:"note"`
}

// history reads the case page's history, without the scheduler's reminders.
func history(b *browser) []historyRow {
	b.t.Helper()
	rows := eval[[]historyRow](b, "read the history", `[...document.querySelectorAll('[data-testid="history"] li')].map(li => ({
		action: li.dataset.action, name: li.querySelector(".tl-name").textContent.trim(),
		who: li.querySelector(".tl-who").textContent.trim(), note: (li.querySelector(".tl-note") || {textContent: ""}).textContent.trim()}))`)
	var out []historyRow
	for _, r := range rows {
		if r.Action == "remind" || r.Action == "overdue" || r.Action == "escalate" {
			continue
		}
		out = append(out, r)
	}
	return out
}

// openCaseFromList opens the work list's tab and taps the row of case no.
func openCaseFromList(b *browser, tab, no string) {
	b.t.Helper()
	if r := b.open("/cases?tab=" + tab); r.Status != 200 {
		b.fail("open /cases", fmt.Errorf("status %s", statusOf(r)))
	}
	row := `[data-testid="case-row"][data-no="` + no + `"] a`
	if !eval[bool](b, "find "+no+" in the list", `!!document.querySelector('`+row+`')`) {
		rows := eval[[]string](b, "list rows", `[...document.querySelectorAll('[data-testid="case-row"]')].map(r => r.dataset.no)`)
		b.fail("find the case in "+tab, fmt.Errorf("%s is not in the list %q: %v", no, tab, rows))
	}
	b.load("open case "+no, chromedp.Click(chromedp.CSS(row), chromedp.NodeVisible))
	if got := b.text(testid("case-no")); got != no {
		b.fail("open case "+no, fmt.Errorf("case page shows %q", got))
	}
}

// act sends a workflow form on the case page and returns the status.
func act(b *browser, action string) int64 {
	b.t.Helper()
	r := b.load("send "+action, chromedp.Click(chromedp.CSS(testid("do-"+action)), chromedp.NodeVisible))
	return r.Status
}

// hasForm reports whether the case page offers the action's form.
func hasForm(b *browser, action string) bool {
	b.t.Helper()
	return eval[bool](b, "look for the "+action+" form", `!!document.querySelector('[data-testid="act-`+action+`"]')`)
}
