package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"civicgrid/internal/geo"
	"civicgrid/internal/ledger"
)

// shiftClock moves the volunteer service's clock (check-in times, QR codes)
// forward by d from now on, so a journey can live through an activity's
// hours in seconds. The shift is undone when the test ends.
func shiftClock(t *testing.T) *atomic.Int64 {
	t.Helper()
	var offset atomic.Int64
	server.main.Vol.SetClock(func() time.Time { return time.Now().Add(time.Duration(offset.Load())) })
	t.Cleanup(func() { server.main.Vol.SetClock(time.Now) })
	return &offset
}

// checkinURL reads the URL the organiser's QR code holds right now.
func checkinURL(b *browser, activityPath string) string {
	b.t.Helper()
	b.open(activityPath + "/manage")
	u := b.waitFor("the QR code", `(() => { const e = document.querySelector('[data-testid="qr-code"]'); return e ? e.dataset.url : ""; })()`, 10*time.Second)
	if ok := eval[bool](b, "QR image loaded", `(() => { const i = document.querySelector('[data-testid="qr"]'); return !!i && i.complete && i.naturalWidth > 100; })()`); !ok {
		b.waitFor("QR image", `(() => { const i = document.querySelector('[data-testid="qr"]'); return i && i.complete && i.naturalWidth > 100 ? "ok" : ""; })()`, 10*time.Second)
	}
	return strings.TrimPrefix(u, b.base)
}

// scan is the volunteer opening the QR's URL on the phone and pressing a
// button; it returns the page's notice or error.
func scan(b *browser, url, button string) string {
	b.t.Helper()
	b.open(url)
	b.do("press "+button, chromedp.Click(chromedp.CSS(testid(button)), chromedp.NodeVisible))
	// The page locates the phone, then posts; the answer is a new page.
	// Navigation can cut a poll short, so poll in short tries.
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const n = document.querySelector('.notice, [data-testid="error"]');
			return n && document.readyState === "complete" ? n.textContent.trim() : ""; })()`))
		cancel()
		if err == nil && got != "" {
			return got
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.fail("the answer to "+button, fmt.Errorf("no notice or error within 20s"))
	return ""
}

// Journey: a team leader creates an activity on a phone; two volunteers
// sign up on theirs, check in and out by scanning the rotating QR at the
// place (one is first turned away for standing too far); the leader approves
// the hours; the points arrive; one volunteer orders in the village
// supermarket and the keeper hands it over; the volunteer downloads a
// certificate whose QR check passes for anyone. The books verify.
func TestVolunteerJourney(t *testing.T) {
	lead := newBrowser(t, phone)
	p := gridPoint(t)
	offset := shiftClock(t)

	// The team leader publishes an activity starting in ten minutes.
	lead.mustLogin("demo_teamlead")
	lead.open("/activities")
	lead.load("new activity", chromedp.Click(chromedp.CSS(testid("new-activity")), chromedp.NodeVisible))
	start := time.Now().In(time.FixedZone("CST", 8*3600)).Add(10 * time.Minute).Truncate(time.Minute)
	lead.geolocate(p)
	lead.typeIn("#title", "周末义务清扫")
	lead.choose("#domain", "ecology")
	lead.do("times", chromedp.SetValue(`#starts_at`, start.Format("2006-01-02T15:04")), chromedp.SetValue(`#ends_at`, start.Add(3*time.Hour).Format("2006-01-02T15:04")))
	lead.typeIn("#address", "兴华社区广场")
	lead.do("use where I am", chromedp.Click(chromedp.CSS(testid("here")), chromedp.NodeVisible))
	lead.waitFor("the place", `document.getElementById("lat").value`, 10*time.Second)
	lead.do("places", chromedp.SetValue(testid("quota"), "5"))
	noSideScroll(lead, "the new-activity form")
	lead.shot("activity-new-phone")
	lead.load("publish", chromedp.Click(chromedp.CSS(testid("create-activity")), chromedp.NodeVisible))
	manage := lead.path()
	if !strings.HasSuffix(manage, "/manage") {
		t.Fatalf("after publishing: at %s, want the manage page", manage)
	}
	activity := strings.TrimSuffix(manage, "/manage")
	checkinURL(lead, activity)
	lead.shot("activity-manage-phone")

	// Two volunteers sign up on their phones.
	vol := lead.incognito(phone)
	vol.mustLogin("demo_volunteer")
	nurse := lead.incognito(phone)
	nurse.mustLogin("demo_nurse")
	for _, b := range []*browser{vol, nurse} {
		b.open("/activities")
		b.load("open the activity", chromedp.Click(chromedp.CSS(`a[href="`+activity+`"]`), chromedp.NodeVisible))
		b.load("sign up", chromedp.Click(chromedp.CSS(testid("signup")), chromedp.NodeVisible))
		if st := b.text(testid("signup-status")); st != "已录用" {
			t.Fatalf("after signing up: %q, want 已录用", st)
		}
	}
	vol.shot("activity-signed-up-phone")

	// Five minutes after the start, at the place.
	offset.Store(int64(time.Until(start.Add(5 * time.Minute))))
	url := checkinURL(lead, activity)
	vol.geolocate(p)
	if got := scan(vol, url, "checkin"); got != "签到成功。" {
		t.Fatalf("check-in at the place: %q", got)
	}
	vol.shot("checkin-phone")
	far := geo.Point{Lng: p.Lng + 0.02, Lat: p.Lat}
	nurse.geolocate(far)
	if got := scan(nurse, url, "checkin"); !strings.Contains(got, "超出 300 米的签到范围") {
		t.Fatalf("check-in 1.8 km away: %q, want a refusal naming the radius", got)
	}
	nurse.shot("checkin-too-far-phone")
	nurse.geolocate(p)
	if got := scan(nurse, url, "checkin"); got != "签到成功。" {
		t.Fatalf("nurse check-in at the place: %q", got)
	}

	// Two hours later they check out with the code then on the screen; the
	// old code no longer works.
	offset.Store(int64(time.Until(start.Add(2*time.Hour + 5*time.Minute))))
	if got := scan(vol, url, "checkout"); !strings.Contains(got, "签到码无效") {
		t.Fatalf("check-out with a code two hours old: %q", got)
	}
	url = checkinURL(lead, activity)
	if got := scan(vol, url, "checkout"); got != "签退成功，本次服务 2.0 小时，待组织者审核。" {
		t.Fatalf("check-out: %q", got)
	}
	if got := scan(nurse, url, "checkout"); !strings.HasPrefix(got, "签退成功") {
		t.Fatalf("nurse check-out: %q", got)
	}

	// The leader approves the hours.
	lead.open(manage)
	if n := eval[int](lead, "rows", `document.querySelectorAll('[data-testid="signup-row"]').length`); n != 2 {
		t.Fatalf("%d sign-ups on the manage page, want 2", n)
	}
	lead.do("people served", chromedp.SetValue(`#people_served`, "40"))
	lead.load("approve", chromedp.Click(chromedp.CSS(testid("approve")), chromedp.NodeVisible))
	if n := lead.text(".notice"); n != "已审核 2 人的服务时长，积分已发放。" {
		t.Fatalf("after approving: %q", n)
	}
	lead.shot("activity-approved-phone")

	// The points are in the wallet: 2 hours at the city's 10 per hour.
	vol.open("/wallet")
	before := vol.text(testid("balance"))
	if !strings.Contains(eval[string](vol, "movements", `document.querySelector('[data-testid="movements"]').innerText`), "志愿服务时长") {
		t.Fatal("the wallet does not show the hours' points")
	}
	var bal int
	fmt.Sscan(before, &bal)
	if bal < 20 {
		t.Fatalf("balance %d after two approved hours, want at least 20", bal)
	}
	vol.shot("wallet-phone")

	// An order in the village supermarket, handed over by the keeper.
	vol.open("/markets")
	vol.load("open the supermarket", chromedp.Click(chromedp.CSS(`[data-testid="markets"] a`), chromedp.NodeVisible))
	market := vol.path()
	vol.load("order washing powder", chromedp.Click(chromedp.CSS(`[data-testid="item"][data-name="洗衣粉"] `+testid("order")), chromedp.NodeVisible))
	if n := vol.text(".notice"); !strings.HasPrefix(n, "已预约兑换") {
		t.Fatalf("after ordering: %q", n)
	}
	noSideScroll(vol, "the supermarket")
	vol.shot("market-ordered-phone")
	vol.open("/wallet")
	if held := vol.text(testid("held")); held != "15" {
		t.Fatalf("held %s after ordering a 15-point item", held)
	}
	keeper := newBrowser(t, desktop)
	keeper.mustLogin("demo_leader")
	keeper.open(market)
	if n := eval[int](keeper, "orders", `document.querySelectorAll('[data-testid="order-row"]').length`); n < 1 {
		t.Fatal("the keeper sees no order to hand over")
	}
	keeper.shot("market-keeper-desktop")
	keeper.load("hand over", chromedp.Click(chromedp.CSS(testid("pickup")), chromedp.NodeVisible))
	if n := keeper.text(".notice"); n != "已确认领取，积分已划转。" {
		t.Fatalf("after handing over: %q", n)
	}
	vol.open("/wallet")
	var after int
	fmt.Sscan(vol.text(testid("balance")), &after)
	if after != bal-15 || vol.text(testid("held")) != "0" {
		t.Fatalf("balance %d (held %s) after a 15-point pickup from %d", after, vol.text(testid("held")), bal)
	}

	// The certificate: issued, downloaded as a PDF, checked by anyone.
	vol.open("/volunteer")
	vol.load("issue a certificate", chromedp.Click(chromedp.CSS(testid("issue-cert")), chromedp.NodeVisible))
	pdfURL := eval[string](vol, "certificate link", `document.querySelector('[data-testid="cert-pdf"]').getAttribute("href")`)
	head := evalAsync[string](vol, "download the PDF", `fetch(`+"`"+pdfURL+"`"+`).then(r => r.ok && r.headers.get("content-type") === "application/pdf" ? r.arrayBuffer() : Promise.reject(r.status)).then(b => String.fromCharCode(...new Uint8Array(b).slice(0, 5)))`)
	if head != "%PDF-" {
		t.Fatalf("certificate download starts %q", head)
	}
	vol.shot("volunteer-phone")
	no := strings.TrimSuffix(strings.TrimPrefix(pdfURL, "/certificates/"), "/pdf")
	anyone := newBrowser(t, phone)
	anyone.open("/verify/" + no)
	if r := anyone.text(testid("verify-result")); r != "核验通过：该证明真实有效。" {
		t.Fatalf("public check: %q", r)
	}
	if strings.Contains(eval[string](anyone, "page", `document.body.innerText`), "王志愿") {
		t.Error("the public check shows the volunteer's full name")
	}
	anyone.shot("verify-phone")

	rep, err := ledger.Verify(context.Background(), server.main.DB)
	if err != nil || !rep.OK() {
		t.Fatalf("ledger after the journey: %+v %v", rep.Problems, err)
	}
	for _, b := range []*browser{lead, vol, nurse, keeper, anyone} {
		noPageErrors(b)
	}
}

// Journey: a county official registers a team with its leader from the
// volunteers page on a desktop; a leader named wrong is refused by the
// field first, and nothing typed is lost.
func TestOfficialRegistersATeam(t *testing.T) {
	b := newBrowser(t, desktop)
	b.mustLogin("demo_county")
	b.open("/volunteers")
	name := fmt.Sprintf("应急救援队%d", time.Now().UnixNano()%100000)
	b.typeIn(`#team-name`, name)
	b.typeIn(`#team-leader`, "no_such_leader")
	b.load("create the team", chromedp.Click(chromedp.CSS(testid("create-team")), chromedp.NodeVisible))
	if msg := b.text(testid("leader-error")); !strings.Contains(msg, "no_such_leader") {
		t.Errorf("the leader field says %q", msg)
	}
	if got := eval[string](b, "the typed name", `document.querySelector('#team-name').value`); got != name {
		t.Errorf("the team name %q was not kept", got)
	}
	b.do("clear the leader", chromedp.Clear(chromedp.CSS(`#team-leader`)))
	b.typeIn(`#team-leader`, "demo_teamlead")
	b.choose(`#team-skill`, "rescue")
	b.load("create the team", chromedp.Click(chromedp.CSS(testid("create-team")), chromedp.NodeVisible))
	listed := false
	for _, li := range eval[[]string](b, "teams", `[...document.querySelectorAll('[data-testid="team"]')].map(li => li.textContent)`) {
		listed = listed || strings.Contains(li, name) && strings.Contains(li, "救援")
	}
	if !listed {
		t.Errorf("the new team %s is not listed with its skill", name)
	}
	b.shot("volunteers-organise-desktop")
}
