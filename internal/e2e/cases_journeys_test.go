package e2e

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"civicgrid/internal/auth"
)

var (
	beijingMinute = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$`)
	rateFigure    = regexp.MustCompile(`^\d+ / \d+ = (\d+\.\d%|—)$`)
)

// Journey: a resident without an account reports exposed rubbish from a
// phone, keeps the follow link and opens it.
func TestResidentReportsOnPhone(t *testing.T) {
	b := newBrowser(t, phone)
	p := gridPoint(t)
	b.geolocate(p)
	no, follow := reportOnPhone(b, p, "小区东门外路边堆了一大堆生活垃圾，已经两天没人清理。", true)
	t.Logf("filed %s, follow link %s", no, follow)

	if n := b.text(testid("accept-due")); !strings.Contains(n, "北京时间") {
		t.Errorf("the receipt's acceptance deadline %q does not say it is Beijing time", n)
	}
	b.load("open the follow link", chromedp.Click(chromedp.CSS(testid("follow-link")), chromedp.NodeVisible))
	if got := b.path(); got != follow {
		t.Errorf("the follow link went to %s, want %s", got, follow)
	}
	if got := b.text(testid("case-no")); got != no {
		t.Errorf("follow page shows case %q, want %s", got, no)
	}
	if st := b.text(testid("case-stage")); st != "上报" {
		t.Errorf("stage %q, want 上报", st)
	}
	dueLabel := eval[string](b, "deadline label", `document.querySelector('[data-testid="case-due"]').previousElementSibling.textContent.trim()`)
	if dueLabel != "受理时限" {
		t.Errorf("the deadline is labelled %q, want 受理时限", dueLabel)
	}
	due := eval[string](b, "deadline", `document.querySelector('[data-testid="case-due"] strong').textContent.trim()`)
	if !beijingMinute.MatchString(due) {
		t.Errorf("acceptance deadline %q, want a Beijing time like 2025-01-02 14:00", due)
	} else if d, err := time.ParseInLocation("2006-01-02 15:04", due, time.FixedZone("CST", 8*3600)); err != nil || !d.After(time.Now().Add(-time.Minute)) {
		t.Errorf("acceptance deadline %s is not in the future", due)
	}
	if c := b.text(testid("case-category")); c != "市容环境 › 暴露垃圾" {
		t.Errorf("category %q, want 市容环境 › 暴露垃圾", c)
	}
	if place := b.text(testid("case-place")); !strings.Contains(place, "兴华社区第一网格") {
		t.Errorf("place %q does not name the grid", place)
	}
	h := history(b)
	if len(h) != 1 || h[0].Name != "上报" || h[0].Who != "反映人 · 群众网页上报" {
		t.Errorf("history %+v, want one line 上报 by 反映人 · 群众网页上报", h)
	}
	if hasForm(b, "rate") || hasForm(b, "accept") {
		t.Error("the reporter is offered a form on an open case")
	}
	noSideScroll(b, "the follow page")
	b.shot("follow-phone")

	// A wrong token shows nothing of the case.
	wrong := follow[:len(follow)-4] + "AAAA"
	if r := b.open(wrong); r.Status != 404 {
		t.Errorf("follow link with a wrong token: status %d, want 404", r.Status)
	}
	if strings.Contains(eval[string](b, "page text", `document.body.innerText`), "垃圾") {
		t.Error("a wrong token shows the case's description")
	}
	noPageErrors(b)
}

// Journey: the handler's day. A town official accepts and dispatches a
// resident's report, the department's handler replies from a phone, the
// grid worker verifies it on the spot, the resident rates it through the
// follow link, and the history tells the story in order. On the way: a
// department handler cannot verify, and a refusal without a reason is sent
// back with the message.
func TestHandlersDay(t *testing.T) {
	res := newBrowser(t, phone)
	p := gridPoint(t)
	res.geolocate(p)
	no, follow := reportOnPhone(res, p, "菜市场北口垃圾桶旁边的垃圾散落一地。", false)
	other, _ := reportOnPhone(res, p, "测试：这是一条重复的测试信息。", false)

	// The town official, at a desk.
	town := res.incognito(desktop)
	town.mustLogin("demo_town")
	if !eval[bool](town, "nav link", `!!document.querySelector('.nav [data-testid="nav-cases"]')`) {
		t.Error("the town official's menu has no 事件 link")
	}
	town.open("/cases")
	if cur := town.text(`.tab[aria-current="page"]`); cur != "待我处理" {
		t.Errorf("the town official's work list opens on %q, want 待我处理", cur)
	}
	town.shot("cases-list-desktop")
	// Filters: another subcategory hides the case, its class shows it.
	listed := func(b *browser, query string) bool {
		b.open("/cases?" + query)
		return eval[bool](b, "look for "+no, `!!document.querySelector('[data-testid="case-row"][data-no="`+no+`"]')`)
	}
	if listed(town, "tab=all&category=1202") {
		t.Errorf("filtering on 1202 机动车乱停放 still lists %s (1101)", no)
	}
	if !listed(town, "tab=all&category=11&status=reported&channel=web") {
		t.Errorf("filtering on class 11, stage reported, channel web does not list %s", no)
	}
	openCaseFromList(town, "mine", no)
	if st := town.text(testid("case-stage")); st != "上报" {
		t.Errorf("stage %q, want 上报", st)
	}
	if !hasForm(town, "accept") || !hasForm(town, "reject") {
		t.Fatal("the town official is not offered 立案 and 不予立案 on a reported case")
	}
	if hasForm(town, "reply") || hasForm(town, "verify_pass") || hasForm(town, "dispatch") {
		t.Error("the town official is offered steps of other stages on a reported case")
	}
	town.shot("case-reported-desktop")
	caseURL := town.path()
	if s := act(town, "accept"); s != 200 {
		t.Fatalf("accept: status %d", s)
	}
	if n := town.text(`.notice`); n != "已完成：立案。" {
		t.Errorf("notice after accepting %q, want 已完成：立案。", n)
	}
	if st := town.text(testid("case-stage")); st != "立案" {
		t.Errorf("stage after accepting %q, want 立案", st)
	}
	def := eval[string](town, "dispatch default", `document.querySelector('#dispatch-unit_id').selectedOptions[0].textContent`)
	if !strings.Contains(def, "单县综合行政执法局") {
		t.Errorf("the dispatch form's default unit is %q, want the routed 单县综合行政执法局", def)
	}
	town.shot("case-dispatch-desktop")
	if s := act(town, "dispatch"); s != 200 {
		t.Fatalf("dispatch: status %d", s)
	}
	if st := town.text(testid("case-stage")); st != "处置中" {
		t.Errorf("stage after dispatch %q, want 处置中", st)
	}
	if u := town.text(testid("lead-unit")); u != "单县综合行政执法局" {
		t.Errorf("lead unit %q, want 单县综合行政执法局", u)
	}
	if due := town.text(testid("case-due")); !strings.Contains(due, "北京时间") {
		t.Errorf("handling deadline %q does not say Beijing time", due)
	}

	// A refusal without a reason comes back with the message beside the form.
	openCaseFromList(town, "mine", other)
	town.do("open 不予立案", chromedp.Click(chromedp.CSS(testid("more-reject")+` summary`), chromedp.NodeVisible))
	if s := act(town, "reject"); s != 400 {
		t.Errorf("reject without a reason: status %d, want 400", s)
	}
	if msg := town.text(testid("act-reject") + ` ` + testid("act-error")); msg != "请填写理由。" {
		t.Errorf("reject without a reason says %q, want 请填写理由。", msg)
	}
	if st := town.text(testid("case-stage")); st != "上报" {
		t.Errorf("after the refused reject the stage is %q, want 上报", st)
	}
	town.shot("case-reject-error-desktop")
	town.do("give a reason", chromedp.SendKeys(chromedp.CSS(`#reject-note`), "重复测试信息，不予立案。"))
	if s := act(town, "reject"); s != 200 {
		t.Errorf("reject with a reason: status %d", s)
	}
	if st := town.text(testid("case-stage")); st != "不予立案" {
		t.Errorf("after rejecting the stage is %q, want 不予立案", st)
	}

	// The department's handler, on a phone.
	dept := res.incognito(phone)
	dept.mustLogin("demo_dept")
	// The day starts with the alerts: the case just sent to the unit.
	dept.open("/alerts")
	if row := dept.text(`[data-testid="alert"][data-no="` + no + `"]`); !strings.Contains(row, "派遣") || !strings.Contains(row, "新") {
		t.Errorf("the handler's alerts do not show %s as newly dispatched: %q", no, row)
	}
	noSideScroll(dept, "the alerts")
	dept.shot("alerts-phone")
	dept.open("/cases")
	if h := dept.text(testid("mine-hint")); h != "派给本单位、正在办理的事件。" {
		t.Errorf("the handler's list hint %q", h)
	}
	if eval[bool](dept, "the rejected case", `!!document.querySelector('[data-testid="case-row"][data-no="`+other+`"]')`) {
		t.Errorf("the handler's 待我处理 lists the rejected case %s", other)
	}
	noSideScroll(dept, "the work list")
	dept.shot("cases-list-phone")
	openCaseFromList(dept, "mine", no)
	if !hasForm(dept, "reply") || !hasForm(dept, "return") || !hasForm(dept, "postpone_request") {
		t.Fatal("the lead unit's handler is not offered 反馈, 退回 and 申请延期")
	}
	if hasForm(dept, "reassign") || hasForm(dept, "accept") {
		t.Error("the handler is offered a dispatcher's step")
	}
	dept.do("write the result", chromedp.SendKeys(chromedp.CSS(`#reply-note`), "已安排环卫工人清运，现场已清理干净。"))
	dept.shot("case-reply-phone")
	noSideScroll(dept, "the case page")
	if s := act(dept, "reply"); s != 200 {
		t.Fatalf("reply: status %d", s)
	}
	if st := dept.text(testid("case-stage")); st != "待核查" {
		t.Errorf("stage after the reply %q, want 待核查", st)
	}
	// The handler cannot verify: no form, and the step itself is refused.
	if hasForm(dept, "verify_pass") || hasForm(dept, "verify_fail") {
		t.Error("the department handler is offered the verification forms")
	}
	type tried struct {
		Status int    `json:"status"`
		Text   string `json:"text"`
	}
	got := evalAsync[tried](dept, "try to verify anyway", fmt.Sprintf(`fetch(%q, {method: "POST", credentials: "same-origin",
		body: new URLSearchParams({csrf: document.querySelector('meta[name="csrf-token"]').content, version: "0"})})
		.then(r => r.text().then(t => ({status: r.status, text: new DOMParser().parseFromString(t, "text/html").querySelector('[data-testid="error"]')?.textContent || ""})))`,
		caseURL+"/act/verify_pass"))
	if got.Status != 403 || !han.MatchString(got.Text) {
		t.Errorf("a handler sending verify_pass: status %d %q, want 403 with a Chinese message", got.Status, got.Text)
	}

	// The grid worker checks on the spot.
	grid := res.incognito(phone)
	grid.mustLogin("demo_grid")
	openCaseFromList(grid, "mine", no)
	if !hasForm(grid, "verify_pass") || !hasForm(grid, "verify_fail") {
		t.Fatal("the grid worker is not offered 核查通过 / 核查不通过")
	}
	grid.shot("case-verify-phone")
	if s := act(grid, "verify_pass"); s != 200 {
		t.Fatalf("verify_pass: status %d", s)
	}
	if st := grid.text(testid("case-stage")); st != "结案" {
		t.Errorf("stage after verification %q, want 结案", st)
	}
	if hasForm(grid, "rate") {
		t.Error("the grid worker is offered the reporter's rating")
	}

	// The resident rates through the follow link.
	res.open(follow)
	if st := res.text(testid("case-stage")); st != "结案" {
		t.Errorf("the resident sees stage %q, want 结案", st)
	}
	if !hasForm(res, "rate") {
		t.Fatal("the reporter is not offered the rating on the closed case")
	}
	res.do("five stars", chromedp.Click(chromedp.CSS(`label[for="rate-satisfaction-5"]`), chromedp.NodeVisible))
	if !eval[bool](res, "5 checked", `document.getElementById("rate-satisfaction-5").checked`) {
		t.Error("tapping the fifth star did not choose 5")
	}
	if !eval[bool](res, "reopen disabled", `document.getElementById("rate-reopen").disabled`) {
		t.Error("with 5 stars the reporter can still ask to handle the case again")
	}
	res.shot("follow-rate-phone")
	if s := act(res, "rate"); s != 200 {
		t.Fatalf("rate: status %d", s)
	}
	if n := res.text(`.notice`); n != "感谢您的评价。" {
		t.Errorf("notice after rating %q, want 感谢您的评价。", n)
	}
	if stars := res.text(testid("case-stars")); stars != "★★★★★" {
		t.Errorf("rating shown as %q, want ★★★★★", stars)
	}
	if hasForm(res, "rate") {
		t.Error("the rating form is still offered after rating")
	}
	noSideScroll(res, "the rated follow page")

	// The story, in order, on the staff page.
	town.open(caseURL)
	h := history(town)
	var names []string
	for _, r := range h {
		names = append(names, r.Name)
	}
	want := []string{"上报", "立案", "派遣", "反馈", "核查通过", "评价"}
	if !slices.Equal(names, want) {
		t.Errorf("history %v, want %v", names, want)
	} else {
		for i, who := range []string{"反映人", "demo_town", "demo_town", "demo_dept", "demo_grid", "反映人"} {
			if !strings.HasPrefix(h[i].Who, who) {
				t.Errorf("history line %s by %q, want %s", h[i].Name, h[i].Who, who)
			}
		}
		if !strings.Contains(h[2].Who, "单县综合行政执法局") {
			t.Errorf("the dispatch line %q does not name the unit", h[2].Who)
		}
		if h[3].Note != "已安排环卫工人清运，现场已清理干净。" {
			t.Errorf("the reply line's note %q", h[3].Note)
		}
	}
	if forms := eval[int](town, "forms on a closed case", `document.querySelectorAll('form.act-form').length`); forms != 0 {
		t.Errorf("the town official is offered %d forms on a closed, rated case", forms)
	}
	town.shot("case-closed-desktop")

	// The rates of the town include it.
	if r := town.open("/cases/rates"); r.Status != 200 {
		t.Fatalf("/cases/rates: %s", statusOf(r))
	}
	if v := run(town, "region", chromedp.Value(chromedp.CSS(`#r-region`))); v != townCode {
		t.Errorf("rates default to region %q, want the official's %s", v, townCode)
	}
	for _, k := range []string{"response", "on_time", "resolution", "satisfaction", "rework"} {
		if f := town.text(testid("rate-"+k) + ` .stat-figure`); !rateFigure.MatchString(f) {
			t.Errorf("rate %s shown as %q, want num / den = xx.x%%", k, f)
		}
	}
	if n := town.text(testid("count-closed") + ` .big`); n == "0" {
		t.Error("the town's rates count no closed case")
	}
	town.shot("case-rates-desktop")
	noPageErrors(town)
	noPageErrors(dept)
	noPageErrors(grid)
	noPageErrors(res)
}

// Journey: a delivery rider (part-time grid worker) files two quick reports
// from the same spot; the second survives a dropped connection and shows the
// first as a likely duplicate.
func TestRiderQuickReport(t *testing.T) {
	b := newBrowser(t, phone)
	p := gridPoint(t)
	b.geolocate(p)
	b.mustLogin("demo_rider")
	rider, err := server.main.Accounts.ByUsername(context.Background(), "demo_rider")
	if err != nil {
		t.Fatal(err)
	}
	before, err := server.main.Cases.ReporterReliability(context.Background(), auth.System("e2e"), rider.ID)
	if err != nil {
		t.Fatal(err)
	}

	quick := func(desc string, shot string) {
		t.Helper()
		if r := b.open("/quick"); r.Status != 200 {
			t.Fatalf("/quick: %s", statusOf(r))
		}
		if st := waitLocated(b); st != "found" {
			b.fail("locate on opening /quick", fmt.Errorf("state %q: %s", st, b.text(testid("locate-status"))))
		}
		if n := eval[int](b, "category buttons", `document.querySelectorAll('[data-testid="quick-categories"] .chip').length`); n != 6 {
			t.Errorf("%d category buttons, want 6", n)
		}
		if !eval[bool](b, "photo field", `document.querySelector('[data-testid="photo"]').type === "file"`) {
			t.Error("the quick report has no photo field")
		}
		b.do("tap 机动车乱停放", chromedp.Click(chromedp.CSS(`label[for="q-1202"]`), chromedp.NodeVisible))
		b.do("describe", chromedp.SendKeys(chromedp.CSS(`#description`), desc))
		if shot != "" {
			noSideScroll(b, "/quick")
			b.shot(shot)
		}
	}
	done := func() string {
		t.Helper()
		b.waitFor("wait for the receipt", `document.querySelector('[data-testid="report-done"]') ? "yes" : (document.querySelector('[data-testid="error"]') || {textContent: ""}).textContent`, 20*time.Second)
		if !eval[bool](b, "receipt", `!!document.querySelector('[data-testid="report-done"]')`) {
			b.fail("quick report", fmt.Errorf("no receipt: %s", b.text(testid("error"))))
		}
		no := b.text(testid("case-no"))
		if !caseNo.MatchString(no) {
			b.fail("quick report number", fmt.Errorf("%q", no))
		}
		if eval[bool](b, "follow link", `!!document.querySelector('[data-testid="follow-link"]')`) {
			t.Error("a signed-in rider gets an anonymous follow link")
		}
		if href := run(b, "case link", chromedp.AttributeValue(chromedp.CSS(testid("case-link")), "href")).Value; !strings.HasPrefix(href, "/cases/") {
			t.Errorf("case link %q, want /cases/{id}", href)
		}
		return no
	}

	quick("十字路口人行道上停了三辆车，行人只能走机动车道。", "quick-phone")
	b.do("send", chromedp.Click(chromedp.CSS(testid("submit")), chromedp.NodeVisible))
	first := done()
	if p := b.path(); p != "/quick" {
		t.Errorf("the quick report navigated to %s; it is sent in the background", p)
	}
	b.shot("quick-done-phone")

	// The second report, with the connection gone for the first tries.
	quick("同一路口又有车辆占用人行道。", "")
	b.offline(b.base + "/quick")
	b.do("send while offline", chromedp.Click(chromedp.CSS(testid("submit")), chromedp.NodeVisible))
	prog := b.waitFor("wait for a retry", `(() => { const f = document.getElementById("quick-form"); return f && f.dataset.state === "retrying" && +f.dataset.attempts >= 2 ? document.getElementById("submit-progress").textContent : ""; })()`, 15*time.Second)
	if !strings.Contains(prog, "重试") {
		t.Errorf("progress while offline %q, want it to say it retries", prog)
	}
	b.shot("quick-retrying-phone")
	b.offline("")
	second := done()
	if second == first {
		t.Fatalf("the second quick report got the first one's number %s", first)
	}
	dups := eval[[]string](b, "duplicate hints", `[...document.querySelectorAll('[data-testid="duplicates"] li')].map(li => li.dataset.no)`)
	if !slices.Contains(dups, first) {
		t.Errorf("the second report at the same spot lists duplicates %v, want %s among them", dups, first)
	}
	if h := b.text(testid("duplicates") + ` h2`); h != "附近可能已有相同问题" {
		t.Errorf("duplicate heading %q", h)
	}
	b.shot("quick-duplicate-phone")
	after, err := server.main.Cases.ReporterReliability(context.Background(), auth.System("e2e"), rider.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n := after.Filed - before.Filed; n != 2 {
		t.Errorf("the rider filed %d cases, want 2 (retries must not file twice)", n)
	}
	// The rider follows the case from the receipt.
	b.load("open the case", chromedp.Click(chromedp.CSS(testid("case-link")), chromedp.NodeVisible))
	if got := b.text(testid("case-no")); got != second {
		t.Errorf("case page shows %q, want %s", got, second)
	}
	if st := b.text(testid("case-stage")); st != "上报" {
		t.Errorf("stage %q, want 上报", st)
	}
	if hasForm(b, "accept") {
		t.Error("the rider is offered 立案")
	}
	noSideScroll(b, "the rider's case page")
	noPageErrors(b)
}
