package e2e

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const (
	countyCode = "371722"          // 单县, demo_county's scope
	townCode   = "371722001"       // demo_town's scope
	gridCode   = "371722001001001" // demo_grid's grid, under demo_town's town
	otherCode  = "371721"          // 曹县: outside demo_town's scope
)

// mapState is what the map page has drawn.
type mapState struct {
	Features string `json:"features"` // #map data-features, set by map.js
	Status   string `json:"status"`   // #map-status text
	Paths    int    `json:"paths"`    // SVG paths in the overlay pane
	Canvases int    `json:"canvases"` // canvases in the overlay pane
	Painted  int    `json:"painted"`  // sampled non-transparent canvas pixels
}

// waitMapDrawn waits until map.js has loaded the GeoJSON and checks that
// Leaflet drew it, as SVG paths or as painted canvas pixels.
func waitMapDrawn(b *browser) mapState {
	b.t.Helper()
	features := run(b, "wait for #map data-features", chromedp.Poll[string](
		`document.getElementById("map") && document.getElementById("map").dataset.features || ""`,
		chromedp.WithPollingTimeout(15*time.Second)))
	if n, err := strconv.Atoi(features); err != nil || n <= 0 {
		b.fail("map features", fmt.Errorf("#map data-features = %q, want a positive number", features))
	}
	// Let Leaflet finish the frame it draws after fitBounds.
	b.do("let the map settle", chromedp.Sleep(300*time.Millisecond))
	st := eval[mapState](b, "inspect the map", `(() => {
		const m = document.getElementById("map");
		const pane = m.querySelector(".leaflet-overlay-pane");
		let painted = 0, canvases = 0;
		if (pane) for (const c of pane.querySelectorAll("canvas")) {
			canvases++;
			if (!c.width || !c.height) continue;
			const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
			for (let i = 3; i < d.length; i += 4 * 7) if (d[i]) painted++;
		}
		return {
			features: m.dataset.features || "",
			status: (document.getElementById("map-status") || {}).textContent || "",
			paths: pane ? pane.querySelectorAll("path").length : 0,
			canvases, painted,
		};
	})()`)
	if st.Paths == 0 && st.Painted == 0 {
		b.fail("map drawn", fmt.Errorf("Leaflet drew nothing: %+v", st))
	}
	return st
}

// noPageErrors fails the test on uncaught script errors or CSP refusals.
func noPageErrors(b *browser) {
	b.t.Helper()
	if errs := b.pageErrors(); len(errs) > 0 {
		b.t.Errorf("the page reported errors:\n  %s", strings.Join(errs, "\n  "))
	}
}

// Journey 1: a county official on a phone signs in, browses the region tree
// down to a town, opens its grid map and signs out through the phone menu.
func TestPhoneCountyJourney(t *testing.T) {
	b := newBrowser(t, phone)

	b.open("/login")
	b.do("login form visible", chromedp.WaitVisible(chromedp.CSS(`#username`)))
	b.shot("login-phone")

	b.mustLogin("demo_county")
	if p := b.path(); p != "/" {
		t.Fatalf("after login at %s, want /", p)
	}
	if h1 := b.text("main h1"); h1 != "您好，单县社工部" {
		t.Errorf("home heading = %q, want the welcome 您好，单县社工部", h1)
	}
	b.shot("home-phone")

	// The county's region page: its towns and their grids.
	if r := b.open("/regions/" + countyCode); r.Status != 200 {
		t.Fatalf("/regions/%s: %s", countyCode, statusOf(r))
	}
	if name := b.text(testid("region-name")); name != "单县" {
		t.Errorf("region name = %q, want 单县", name)
	}
	if n, err := strconv.Atoi(b.text(testid("grid-count"))); err != nil || n <= 0 {
		t.Errorf("grid count %q, want a positive number", b.text(testid("grid-count")))
	}
	type row struct {
		Name  string `json:"name"`
		Code  string `json:"code"`
		Level string `json:"level"`
		Grids string `json:"grids"`
	}
	rows := eval[[]row](b, "read the children table", `[...document.querySelectorAll('[data-testid="children"] tbody tr')].map(r => ({
		name: r.cells[0].innerText.trim(), code: r.cells[1].innerText.trim(), level: r.cells[2].innerText.trim(),
		grids: r.cells[3].innerText.trim()}))`)
	if len(rows) == 0 {
		t.Fatal("the children table of 单县 is empty")
	}
	withGrids := 0
	for _, r := range rows {
		if r.Level != "镇街" || !strings.HasPrefix(r.Code, countyCode) || len(r.Code) != 9 {
			t.Errorf("child row %+v: want a town (镇街) with a 9-digit code under %s", r, countyCode)
		}
		if n, _ := strconv.Atoi(r.Grids); n > 0 {
			withGrids++
		}
	}
	if withGrids == 0 {
		t.Errorf("no town of 单县 has grids: %+v", rows)
	}
	if w := eval[int](b, "page width", `document.documentElement.scrollWidth - window.innerWidth`); w > 0 {
		t.Errorf("on a phone the region page scrolls sideways by %dpx (the table should scroll inside .table-wrap)", w)
	}
	b.shot("region-phone")

	// Tap the first town.
	town := rows[0]
	b.load("open the town "+town.Name, chromedp.Click(chromedp.CSS(`[data-testid="children"] tbody tr:first-child td:first-child a`), chromedp.NodeVisible))
	if p := b.path(); p != "/regions/"+town.Code {
		t.Fatalf("after tapping %s at %s, want /regions/%s", town.Name, p, town.Code)
	}
	if name := b.text(testid("region-name")); name != town.Name {
		t.Errorf("town page name = %q, want %q", name, town.Name)
	}

	// Its map: the grids drawn by Leaflet.
	b.load("open the map", chromedp.Click(chromedp.CSS(testid("map-link")), chromedp.NodeVisible))
	if p := b.path(); p != "/regions/"+town.Code+"/map" {
		t.Fatalf("map at %s, want /regions/%s/map", p, town.Code)
	}
	st := waitMapDrawn(b)
	t.Logf("phone map of %s: %+v", town.Name, st)
	b.shot("map-phone")

	// Sign out: on a phone the button is inside the collapsed menu.
	b.do("open the menu",
		chromedp.Click(chromedp.CSS(testid("menu")), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(testid("logout"))),
	)
	b.load("sign out", chromedp.Click(chromedp.CSS(testid("logout")), chromedp.NodeVisible))
	if p := b.path(); p != "/login" {
		t.Errorf("after signing out at %s, want /login", p)
	}
	b.open("/")
	if p := b.path(); !strings.HasPrefix(p, "/login") {
		t.Errorf("after signing out / went to %s, want the login page", p)
	}
	b.do("login form after sign-out", chromedp.WaitVisible(chromedp.CSS(`#username`)))
	noPageErrors(b)
}

var (
	maskedPhone = regexp.MustCompile(`^1\d{2}\*{4}\d{4}$`)
	clearPhone  = regexp.MustCompile(`^1\d{10}$`)
)

// Journey 2: a town official reveals one resident's phone number on the
// residents page; an auditor then finds that reveal in the audit log.
func TestDesktopRevealIsAudited(t *testing.T) {
	b := newBrowser(t, desktop)
	b.mustLogin("demo_town")

	if r := b.open("/people"); r.Status != 200 {
		t.Fatalf("/people: %s", statusOf(r))
	}
	type person struct {
		ID    string `json:"id"`
		Phone string `json:"phone"`
	}
	people := eval[[]person](b, "read the residents table", `[...document.querySelectorAll('[data-testid="people"] tbody tr')].map(r => {
		const f = r.querySelector('form[hx-post]');
		const m = r.cells[3] && r.cells[3].querySelector(".masked");
		return {id: f ? f.getAttribute("hx-post").split("/")[2] : "", phone: m ? m.textContent.trim() : ""};
	})`)
	if len(people) == 0 {
		t.Fatal("the residents table is empty")
	}
	for _, p := range people {
		if p.Phone != "" && !maskedPhone.MatchString(p.Phone) {
			t.Errorf("resident %s: phone shown as %q, want it masked like 138****5678", p.ID, p.Phone)
		}
	}
	var who person
	for _, p := range people {
		if p.ID != "" && p.Phone != "" {
			who = p
			break
		}
	}
	if who.ID == "" {
		t.Fatalf("no resident with a phone and a reveal button: %+v", people)
	}
	t.Logf("revealing the phone of resident %s (%s)", who.ID, who.Phone)

	cell := fmt.Sprintf(`[data-testid="people"] tbody tr:has(form[hx-post="/people/%s/reveal"]) td:nth-child(4)`, who.ID)
	b.do("reveal the phone",
		chromedp.Click(chromedp.CSS(cell+` `+testid("reveal-phone")), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="people"] .revealed, [data-testid="people"] td [role="alert"]`)),
	)
	got := b.text(`[data-testid="people"] .revealed`)
	if !clearPhone.MatchString(got) {
		t.Fatalf("revealed phone %q, want 11 digits", got)
	}
	if got[:3] != who.Phone[:3] || got[7:] != who.Phone[7:] {
		t.Errorf("revealed %s does not fit the mask %s", got, who.Phone)
	}
	if p := b.path(); p != "/people" {
		t.Errorf("the reveal navigated to %s; it should swap in place (htmx)", p)
	}
	b.shot("people-desktop")
	noPageErrors(b)

	// The auditor, in a browser context of their own.
	a := b.incognito(desktop)
	a.mustLogin("demo_auditor")
	if r := a.open("/audit"); r.Status != 200 {
		t.Fatalf("/audit: %s", statusOf(r))
	}
	type entry struct {
		Actor  string `json:"actor"`
		Action string `json:"action"`
		Object string `json:"object"`
	}
	entries := eval[[]entry](a, "read the audit table", `[...document.querySelectorAll('[data-testid="audit"] tbody tr')].filter(r => r.cells.length >= 5).map(r => ({
		actor: r.cells[2].innerText.trim(), action: r.cells[3].dataset.action || '', object: r.cells[4].innerText.trim()}))`)
	found := false
	for _, e := range entries {
		if e.Actor == "demo_town" && e.Action == "person.reveal.phone" && strings.Contains(e.Object, who.ID) {
			found = true
		}
	}
	if !found {
		t.Errorf("no person.reveal.phone entry by demo_town about %s on /audit; entries: %+v", who.ID, entries)
	}
	a.shot("audit-desktop")
	noPageErrors(a)
}

// Journey 3: region scope, a wrong password and the English switch, as a
// person sees them.
func TestScopeLoginErrorAndEnglish(t *testing.T) {
	b := newBrowser(t, desktop)
	b.mustLogin("demo_town")

	r := b.open("/regions/" + otherCode)
	if r.Status != 403 {
		t.Errorf("demo_town on /regions/%s: status %d, want 403", otherCode, r.Status)
	}
	if msg := b.text(testid("error")); msg != "该记录不在您的管辖范围内。" {
		t.Errorf("out-of-scope page says %q, want 该记录不在您的管辖范围内。", msg)
	}
	if h1 := b.text("main h1"); !han.MatchString(h1) {
		t.Errorf("out-of-scope page heading %q is not Chinese", h1)
	}

	// A wrong password, in a fresh browser context.
	c := b.incognito(desktop)
	r = c.login("demo_resident", "not-the-password")
	if r.Status != 401 {
		t.Errorf("wrong password: status %d, want 401", r.Status)
	}
	if p := c.path(); p != "/login" {
		t.Errorf("wrong password landed on %s, want /login", p)
	}
	if msg := c.text(testid("error")); msg != "用户名或密码错误。" {
		t.Errorf("wrong password says %q, want 用户名或密码错误。", msg)
	}
	if u := run(c, "read the username", chromedp.Value(chromedp.CSS(`#username`))); u != "demo_resident" {
		t.Errorf("the username field holds %q after a wrong password, want demo_resident", u)
	}
	if pw := run(c, "read the password", chromedp.Value(chromedp.CSS(`#password`))); pw != "" {
		t.Errorf("the password field was refilled")
	}

	// Switch to English with the footer link.
	if l := c.text(`.footer .lang a`); l != "English" {
		t.Errorf("footer language link = %q, want English", l)
	}
	c.load("switch to English", chromedp.Click(chromedp.CSS(`.footer .lang a`), chromedp.NodeVisible))
	if p := c.path(); p != "/login" {
		t.Errorf("after the language switch at %s, want /login", p)
	}
	if h1 := c.text("main h1"); h1 != "Sign in" {
		t.Errorf("English login heading = %q, want Sign in", h1)
	}
	if l := c.text(`label[for="username"]`); l != "Username" {
		t.Errorf("English username label = %q, want Username", l)
	}
	if btn := c.text(`form[action="/login"] button[type="submit"]`); btn != "Sign in" {
		t.Errorf("English submit button = %q, want Sign in", btn)
	}
	if lang := eval[string](c, "html lang", `document.documentElement.lang`); lang != "en" {
		t.Errorf("<html lang=%q>, want en", lang)
	}
	if l := c.text(`.footer .lang a`); l != "中文" {
		t.Errorf("footer language link in English = %q, want 中文", l)
	}
	noPageErrors(b)
	noPageErrors(c)
}

// Journey 4: a town official creates a grid worker's account; a bad phone
// number brings the form back with the error beside the field and the
// values kept.
func TestAccountCreation(t *testing.T) {
	b := newBrowser(t, desktop)
	b.mustLogin("demo_town")

	if r := b.open("/accounts/new"); r.Status != 200 {
		t.Fatalf("/accounts/new: %s", statusOf(r))
	}
	username := fmt.Sprintf("e2e_grid_%d", time.Now().UnixNano()%1_000_000_000)
	const (
		display  = "测试网格员"
		password = "Grid@2025e2e"
		unit     = "第一网格"
		badPhone = "1381234abcd"
		phoneNo  = "13812345678"
	)
	if rc := run(b, "region code default", chromedp.Value(chromedp.CSS(`#region_code`))); rc != townCode {
		t.Errorf("region code defaults to %q, want the official's own %s", rc, townCode)
	}
	b.do("fill the account form",
		chromedp.SendKeys(chromedp.CSS(`#username`), username),
		chromedp.SendKeys(chromedp.CSS(`#display_name`), display),
		chromedp.SendKeys(chromedp.CSS(`#password`), password),
		chromedp.SetValue(chromedp.CSS(`#role`), "grid_worker"),
		chromedp.Clear(chromedp.CSS(`#region_code`)),
		chromedp.SendKeys(chromedp.CSS(`#region_code`), gridCode),
		chromedp.SendKeys(chromedp.CSS(`#unit`), unit),
		chromedp.SendKeys(chromedp.CSS(`#phone`), badPhone),
	)
	submit := chromedp.Click(chromedp.CSS(`form[action="/accounts"] button[type="submit"]`), chromedp.NodeVisible)
	r := b.load("submit with a bad phone", submit)
	if r.Status != 400 {
		t.Errorf("bad phone: status %d, want 400", r.Status)
	}
	if p := b.path(); p != "/accounts" {
		t.Errorf("bad phone: at %s, want the form again at /accounts", p)
	}
	phoneErr := b.text(`.field:has(#phone) .error`)
	if !han.MatchString(phoneErr) {
		t.Errorf("error beside the phone field = %q, want a Chinese message", phoneErr)
	}
	for _, f := range []struct{ sel, want string }{
		{`#username`, username}, {`#display_name`, display}, {`#role`, "grid_worker"},
		{`#region_code`, gridCode}, {`#unit`, unit}, {`#phone`, badPhone},
	} {
		if v := run(b, "read "+f.sel, chromedp.Value(chromedp.CSS(f.sel))); v != f.want {
			t.Errorf("after the error %s holds %q, want %q", f.sel, v, f.want)
		}
	}
	if n := eval[int](b, "count field errors", `document.querySelectorAll('.field .error').length`); n != 1 {
		t.Errorf("%d field errors shown, want 1 (the phone)", n)
	}
	b.shot("account-form-error")

	// Fix the phone; the password is not sent back, so type it again.
	b.do("fix the form",
		chromedp.Clear(chromedp.CSS(`#phone`)),
		chromedp.SendKeys(chromedp.CSS(`#phone`), phoneNo),
		chromedp.SendKeys(chromedp.CSS(`#password`), password),
	)
	b.load("submit the fixed form", submit)
	p := b.path()
	if !regexp.MustCompile(`^/accounts/[^/?]+\?created=1$`).MatchString(p) {
		t.Fatalf("after creating the account at %s, want /accounts/{id}?created=1", p)
	}
	if name := b.text(testid("account-name")); name != display {
		t.Errorf("account page name = %q, want %s", name, display)
	}
	if n := b.text(`.notice`); n != "账号已创建。" {
		t.Errorf("notice = %q, want 账号已创建。", n)
	}
	facts := b.text(`dl.facts`)
	for _, want := range []string{username, "网格员", gridCode, unit, "138****5678", "启用"} {
		if !strings.Contains(facts, want) {
			t.Errorf("account page lacks %q:\n%s", want, facts)
		}
	}
	b.shot("account-created")
	noPageErrors(b)
}

// The town's region page and grid map on a desktop screen.
func TestDesktopTownMap(t *testing.T) {
	b := newBrowser(t, desktop)
	b.mustLogin("demo_town")
	if r := b.open("/regions/" + townCode); r.Status != 200 {
		t.Fatalf("/regions/%s: %s", townCode, statusOf(r))
	}
	if n := eval[int](b, "children rows", `document.querySelectorAll('[data-testid="children"] tbody tr').length`); n == 0 {
		t.Error("the town has no villages listed")
	}
	b.shot("region-desktop")
	// On a desktop the menu is always there: every section and sign-out visible.
	for _, sel := range []string{`.nav a[href="/regions"]`, `.nav a[href="/accounts"]`, `.nav a[href="/people"]`, `[data-testid="logout"]`} {
		if !eval[bool](b, "nav "+sel, `document.querySelector('`+sel+`').checkVisibility()`) {
			t.Errorf("%s is not visible on a desktop", sel)
		}
	}
	b.load("open the map", chromedp.Click(chromedp.CSS(testid("map-link")), chromedp.NodeVisible))
	st := waitMapDrawn(b)
	t.Logf("desktop map of %s: %+v", townCode, st)
	if !strings.Contains(st.Status, st.Features) {
		t.Errorf("map status %q does not tell the %s features loaded", st.Status, st.Features)
	}
	b.shot("map-desktop")
	noPageErrors(b)
}
