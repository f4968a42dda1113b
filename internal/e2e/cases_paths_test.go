package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"civicgrid/internal/auth"
	"civicgrid/internal/cases"
)

// fileAnonymous stores a resident's web report directly, for journeys that
// are about what happens after it.
func fileAnonymous(t *testing.T, category, description string) cases.Intake {
	t.Helper()
	p := gridPoint(t)
	in, err := server.main.Cases.File(context.Background(), auth.Actor{}, cases.Report{
		Channel: cases.ChannelWeb, Category: category, Description: description, Lat: p.Lat, Lng: p.Lng, CRS: "wgs84",
	})
	if err != nil {
		t.Fatalf("file a report: %v", err)
	}
	return in
}

// chooseOption picks the option of a select whose text contains label.
func (b *browser) chooseOption(sel, label string) {
	b.t.Helper()
	v := eval[string](b, "find option "+label, fmt.Sprintf(`(() => { const o = [...document.querySelectorAll(%q + " option")].find(o => o.textContent.includes(%q)); return o ? o.value : ""; })()`, sel, label))
	if v == "" {
		b.fail("choose "+label, fmt.Errorf("no option %q in %s", label, sel))
	}
	b.choose(sel, v)
}

func (b *browser) openMore(action string) {
	b.t.Helper()
	b.do("open "+action, chromedp.Click(chromedp.CSS(testid("more-"+action)+` summary`), chromedp.NodeVisible))
}

func (b *browser) typeIn(sel, text string) {
	b.t.Helper()
	b.do("type in "+sel, chromedp.SendKeys(chromedp.CSS(sel), text))
}

func wantStage(t *testing.T, b *browser, step, want string) {
	t.Helper()
	if st := b.text(testid("case-stage")); st != want {
		t.Errorf("%s: stage %q, want %s", step, st, want)
	}
}

func wantOK(t *testing.T, b *browser, action string) {
	t.Helper()
	if s := act(b, action); s != 200 {
		msg := ""
		if eval[bool](b, "error shown", `!!document.querySelector('[data-testid="error"]')`) {
			msg = b.text(testid("error"))
		}
		b.fail(action, fmt.Errorf("status %d: %s", s, msg))
	}
}

// Journey: the other paths a case can take, in the browser, as each role
// does them: joint handling with an assisting unit, a postponement asked
// for, approved and refused, supervision, a return to the dispatcher, a
// failed check and rework, a reporter's low rating that reopens the case, a
// reassignment, a merge of a duplicate by its number, and two people acting
// at once.
func TestCaseOtherPaths(t *testing.T) {
	a := fileAnonymous(t, "1202", "小区门口消防通道被私家车长期占用。")
	dup := fileAnonymous(t, "1202", "小区门口又停满了车。")
	caseURL := "/cases/" + a.Case.ID

	town := newBrowser(t, desktop)
	town.mustLogin("demo_town")
	dept := town.incognito(desktop)
	dept.mustLogin("demo_dept")
	grid := town.incognito(phone)
	grid.mustLogin("demo_grid")

	// Two people at once: the page was loaded before someone else acted.
	town.open("/cases/" + dup.Case.ID)
	other := town.incognito(desktop)
	other.mustLogin("demo_town")
	other.open("/cases/" + dup.Case.ID)
	wantOK(t, other, "accept")
	if s := act(town, "accept"); s != 409 {
		t.Errorf("accepting from a stale page: status %d, want 409", s)
	}
	if msg := town.text(testid("error")); !strings.Contains(msg, "该事件刚被他人处理过") {
		t.Errorf("stale page says %q, want 该事件刚被他人处理过…", msg)
	}
	wantStage(t, town, "after the stale accept", "立案")

	// Accept and dispatch with an assisting unit (joint handling).
	town.open(caseURL)
	wantOK(t, town, "accept")
	town.do("tick the assisting unit", chromedp.Click(chromedp.CSS(`label[for="dispatch-assist_unit_ids-0"]`), chromedp.NodeVisible))
	assist := town.text(`label[for="dispatch-assist_unit_ids-0"]`)
	wantOK(t, town, "dispatch")
	wantStage(t, town, "dispatch", "处置中")
	if got := town.text(testid("lead-unit")); got != "单县综合行政执法局" {
		t.Errorf("lead unit %q", got)
	}
	if facts := town.text(`dl.case-facts`); !strings.Contains(facts, "协办单位") || !strings.Contains(facts, assist) {
		t.Errorf("the facts do not list the assisting unit %q:\n%s", assist, facts)
	}
	due0 := town.text(testid("case-due"))

	// The handler asks for 3 more days; the town approves.
	dept.open(caseURL)
	dept.openMore("postpone_request")
	dept.do("3 days", chromedp.Clear(chromedp.CSS(`#postpone_request-days`)))
	dept.typeIn(`#postpone_request-days`, "3")
	dept.typeIn(`#postpone_request-note`, "需要协调交警部门联合执法。")
	wantOK(t, dept, "postpone_request")
	if hasForm(dept, "postpone_request") {
		t.Error("a second postponement can be asked while one is pending")
	}
	// The town finds the request under 待批延期 and opens it from there.
	town.open("/cases")
	town.load("the 待批延期 tab", chromedp.Click(chromedp.CSS(`a[href*="tab=postpone"]`), chromedp.NodeVisible))
	row := `[data-testid="case-row"][data-no="` + a.Case.No + `"]`
	if n := eval[int](town, "postponement rows", `document.querySelectorAll('[data-testid="case-row"]').length`); n < 1 || !strings.Contains(town.text(row), "延期待审批") {
		t.Errorf("the 待批延期 tab (%d rows) does not list %s with its badge", n, a.Case.No)
	}
	town.shot("case-list-postpone-desktop")
	town.load("open the request", chromedp.Click(chromedp.CSS(row+` a`), chromedp.NodeVisible))
	if !strings.Contains(town.text(`.badges`), "延期待审批") {
		t.Errorf("no 延期待审批 badge: %q", town.text(`.badges`))
	}
	if h := town.text(testid("act-postpone_approve") + ` .hint`); !strings.Contains(h, "3 个工作日") || !strings.Contains(h, "需要协调交警部门联合执法") {
		t.Errorf("the approval form says %q, want the 3 days and the reason", h)
	}
	town.shot("case-postpone-desktop")
	wantOK(t, town, "postpone_approve")
	if due := town.text(testid("case-due")); due == due0 {
		t.Errorf("the handling deadline did not move after approving 3 days: %s", due)
	}
	if facts := town.text(`dl.case-facts`); !strings.Contains(facts, "已延期") || !strings.Contains(facts, "3 个工作日") {
		t.Errorf("facts do not show the postponement:\n%s", facts)
	}
	// Asked again, refused.
	dept.open(caseURL)
	dept.openMore("postpone_request")
	dept.typeIn(`#postpone_request-note`, "再延一天。")
	wantOK(t, dept, "postpone_request")
	town.open(caseURL)
	town.openMore("postpone_deny")
	wantOK(t, town, "postpone_deny")
	if strings.Contains(town.text(`.badges`), "延期待审批") {
		t.Error("the pending badge stays after refusing")
	}

	// Supervision.
	town.openMore("supervise")
	if s := act(town, "supervise"); s != 400 {
		t.Errorf("supervise without a note: status %d, want 400", s)
	}
	if s := town.text(testid("act-supervise") + ` ` + testid("act-error")); s != "请填写理由。" {
		t.Errorf("supervise without a note says %q", s)
	}
	town.typeIn(`#supervise-note`, "请加快办理。")
	wantOK(t, town, "supervise")
	if town.text(testid("badge-escalated")) != "已督办" {
		t.Error("no 已督办 badge after supervising")
	}

	// The handler returns it: not theirs after all.
	dept.open(caseURL)
	dept.openMore("return")
	whose := eval[string](dept, "a unit to name", `document.querySelector('#return-unit_id').options[1].value`)
	whoseName := eval[string](dept, "its name", `document.querySelector('#return-unit_id').options[1].textContent.trim()`)
	dept.choose(`#return-unit_id`, whose)
	dept.typeIn(`#return-note`, "经核实属于小区物业管理范围。")
	wantOK(t, dept, "return")
	wantStage(t, dept, "after the return", "立案")
	if hasForm(dept, "reply") {
		t.Error("the handler can still reply after returning the case")
	}

	// Dispatched again, replied, the check fails, reworked, passed. The
	// town sees whose the unit said it is, in the history and by the form.
	town.open(caseURL)
	said := false
	for _, h := range history(town) {
		said = said || h.Action == "return" && strings.Contains(h.Who, "建议由 "+whoseName+" 办理")
	}
	if !said {
		t.Errorf("the return in the history does not say whose it is (%s): %+v", whoseName, history(town))
	}
	if hint := town.text(testid("act-dispatch")); !strings.Contains(hint, "建议由“"+whoseName+"”办理") {
		t.Errorf("the dispatch form does not show the returning unit's suggestion %s", whoseName)
	}
	wantOK(t, town, "dispatch")
	dept.open(caseURL)
	dept.typeIn(`#reply-note`, "已通知车主挪车。")
	wantOK(t, dept, "reply")
	grid.open(caseURL)
	grid.openMore("verify_fail")
	grid.typeIn(`#verify_fail-note`, "现场仍有车辆占用消防通道。")
	wantOK(t, grid, "verify_fail")
	wantStage(t, grid, "after the failed check", "处置中")
	if !strings.Contains(grid.text(`.badges`), "返工 1 次") {
		t.Errorf("no rework badge: %q", grid.text(`.badges`))
	}
	grid.shot("case-rework-phone")
	dept.open(caseURL)
	dept.typeIn(`#reply-note`, "已设置隔离桩，通道畅通。")
	wantOK(t, dept, "reply")
	grid.open(caseURL)
	wantOK(t, grid, "verify_pass")
	wantStage(t, grid, "after the check passed", "结案")

	// The reporter is not satisfied and asks for it to be handled again.
	res := town.incognito(phone)
	res.open("/follow/" + a.Case.No + "?token=" + a.FollowToken)
	res.do("one star", chromedp.Click(chromedp.CSS(`label[for="rate-satisfaction-1"]`), chromedp.NodeVisible))
	if eval[bool](res, "reopen enabled", `document.getElementById("rate-reopen").disabled`) {
		t.Fatal("with one star the reporter cannot ask to handle it again")
	}
	res.do("ask again", chromedp.Click(chromedp.CSS(`#rate-reopen`), chromedp.NodeVisible))
	wantOK(t, res, "rate")
	wantStage(t, res, "after the reopening rating", "处置中")
	if !strings.Contains(res.text(`.badges`), "重新办理") {
		t.Errorf("no 重新办理 badge: %q", res.text(`.badges`))
	}
	if hasForm(res, "rate") {
		t.Error("the rating form is offered on a reopened case")
	}

	// The town reassigns it to its own governance centre.
	town.open(caseURL)
	town.openMore("reassign")
	town.chooseOption(`#reassign-unit_id`, "综治中心")
	town.typeIn(`#reassign-note`, "涉及物业纠纷，改由街道综治中心牵头。")
	wantOK(t, town, "reassign")
	if got := town.text(testid("lead-unit")); !strings.HasSuffix(got, "综治中心") {
		t.Errorf("lead unit after reassigning %q, want the town's 综治中心", got)
	}
	if hasForm(town, "reply") {
		t.Error("the town official is offered the unit's reply")
	}

	// The duplicate is merged into it by its number.
	town.open("/cases/" + dup.Case.ID)
	town.openMore("merge")
	town.typeIn(`#merge-into`, a.Case.No)
	wantOK(t, town, "merge")
	wantStage(t, town, "the merged duplicate", "已合并")
	town.load("open the target", chromedp.Click(chromedp.CSS(`dl.case-facts a[href="`+caseURL+`"]`), chromedp.NodeVisible))
	var names []string
	h := history(town)
	for _, r := range h {
		names = append(names, r.Name)
	}
	for _, i := range []int{2, 8} { // the first dispatch and the return, to the county unit that no longer has the case
		if i < len(h) && !strings.Contains(h[i].Who, "单县综合行政执法局") {
			t.Errorf("history line %s by %q does not name 单县综合行政执法局", h[i].Name, h[i].Who)
		}
	}
	want := []string{"上报", "立案", "派遣", "申请延期", "同意延期", "申请延期", "不同意延期", "督办", "退回", "派遣", "反馈", "核查不通过", "反馈", "核查通过", "评价", "改派", "并入重复事件"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("history\n  %v\nwant\n  %v", names, want)
	}
	town.shot("case-paths-desktop")
	// A merge target that does not exist is refused with the message.
	third := fileAnonymous(t, "1202", "第三条测试。")
	town.open("/cases/" + third.Case.ID)
	town.openMore("merge")
	town.typeIn(`#merge-into`, "371722-20200101-NOSUCH")
	if s := act(town, "merge"); s != 400 {
		t.Errorf("merging into a missing case: status %d, want 400", s)
	}
	if msg := town.text(testid("act-merge") + ` ` + testid("act-error")); !han.MatchString(msg) {
		t.Errorf("merge error %q, want a Chinese message", msg)
	}
	if !eval[bool](town, "invalid field", `document.getElementById("merge-into").getAttribute("aria-invalid") === "true"`) {
		t.Error("the merge target field is not marked invalid")
	}
	for _, b := range []*browser{town, dept, grid, res, other} {
		noPageErrors(b)
	}
}
