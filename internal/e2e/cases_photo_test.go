package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"civicgrid/internal/auth"
	"civicgrid/internal/cases"
)

// writePNG writes a small photo-like PNG to a temporary file.
func writePNG(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := 0; x < 64; x++ {
		for y := 0; y < 48; y++ {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 90, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "scene.png")
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Journey: a rider attaches a photo to a quick report on a phone; it is
// uploaded at once, previewed, and filed with the case.
func TestRiderQuickReportWithPhoto(t *testing.T) {
	b := newBrowser(t, phone)
	b.geolocate(gridPoint(t))
	b.mustLogin("demo_rider")
	if r := b.open("/quick"); r.Status != 200 {
		t.Fatalf("/quick: %s", statusOf(r))
	}
	if st := waitLocated(b); st != "found" {
		b.fail("locate on opening /quick", fmt.Errorf("state %q", st))
	}
	b.do("attach a photo", chromedp.SetUploadFiles(chromedp.CSS(`#photo`), []string{writePNG(t)}))
	st := b.waitFor("wait for the upload", `(() => { const li = document.querySelector('#photo-list li');
		const e = document.getElementById("photo-error");
		if (e && !e.hidden && e.textContent) return "error: " + e.textContent;
		return li && li.dataset.state === "done" ? "done" : ""; })()`, 15*time.Second)
	if st != "done" {
		b.fail("photo upload", fmt.Errorf("%s", st))
	}
	if w := eval[int](b, "preview", `(document.querySelector('[data-testid="photo-preview"]') || {}).naturalWidth || 0`); w != 64 {
		t.Errorf("preview is %dpx wide, want the 64px photo", w)
	}
	if n := eval[int](b, "hidden ids", `document.querySelectorAll('#quick-form input[type="hidden"][name="photos"]').length`); n != 1 {
		t.Errorf("%d hidden photo ids, want 1", n)
	}
	noSideScroll(b, "/quick with a photo")
	b.shot("quick-photo-phone")
	b.do("tap 机动车乱停放", chromedp.Click(chromedp.CSS(`label[for="q-1202"]`), chromedp.NodeVisible))
	b.do("describe", chromedp.SendKeys(chromedp.CSS(`#description`), "路口违停，附照片。"))
	b.do("send", chromedp.Click(chromedp.CSS(testid("submit")), chromedp.NodeVisible))
	b.waitFor("wait for the receipt", `document.querySelector('[data-testid="report-done"]') ? "yes" : (document.querySelector('[data-testid="error"]') || {textContent: ""}).textContent`, 20*time.Second)
	href := run(b, "case link", chromedp.AttributeValue(chromedp.CSS(testid("case-link")), "href")).Value
	id := strings.TrimPrefix(href, "/cases/")
	if id == "" || id == href {
		b.fail("case link", fmt.Errorf("%q", href))
	}
	c, _, err := server.main.Cases.Get(context.Background(), auth.System("e2e"), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Photos) != 1 {
		t.Errorf("the case has photos %v, want 1", c.Photos)
	}
	noPageErrors(b)
}

// Journey: a county official opens the case map and sees clusters.
func TestCountyCaseMap(t *testing.T) {
	b := newBrowser(t, desktop)
	b.mustLogin("demo_county")
	// An open case in the county, so there is a cluster to see.
	ctx := context.Background()
	grid, err := server.main.Accounts.ByUsername(ctx, "demo_grid")
	if err != nil {
		t.Fatal(err)
	}
	p := gridPoint(t)
	if _, err := server.main.Cases.File(ctx, grid.Actor("127.0.0.1", "test"), cases.Report{Channel: cases.ChannelPatrol, Category: "1101", Description: "事件地图测试", Lng: p.Lng, Lat: p.Lat}); err != nil {
		t.Fatal(err)
	}
	if r := b.open("/cases/map"); r.Status != 200 {
		t.Fatalf("/cases/map: %s", statusOf(r))
	}
	b.do("wait for a cluster", chromedp.WaitVisible(chromedp.CSS(`.casemap-cluster`)))
	status := b.text(testid("casemap-status"))
	if !strings.Contains(status, "未办结") {
		t.Errorf("status %q, want the open total", status)
	}
	// A click drills down to the town; the back button comes up again.
	// Wait until the first level has loaded and the map has stopped moving,
	// then click the marker element itself (a click at coordinates taken
	// before the fit-to-bounds animation can miss it on a busy machine).
	b.waitFor("first level loaded", `document.getElementById("casemap").dataset.state === "loaded" ? "yes" : ""`, 10*time.Second)
	time.Sleep(500 * time.Millisecond)
	eval[bool](b, "open a cluster", `(document.querySelector('.casemap-cluster').click(), true)`)
	b.do("wait for the level below", chromedp.WaitVisible(chromedp.CSS(testid("casemap-up"))))
	// The breadcrumb is redrawn once the level below has loaded: poll for it.
	if got := b.waitFor("breadcrumb with one link up",
		`document.querySelectorAll('#casemap-crumbs a').length === 1 && document.getElementById("casemap").dataset.state === "loaded" ? "yes" : ""`, 10*time.Second); got != "yes" {
		t.Errorf("breadcrumb: %q", got)
	}
	b.do("go up", chromedp.Click(chromedp.CSS(testid("casemap-up")), chromedp.NodeVisible))
	b.waitFor("wait for the top again", `document.getElementById("casemap-up").hidden && document.getElementById("casemap").dataset.state === "loaded" ? "yes" : ""`, 10*time.Second)
	b.shot("case-map-desktop")
	noPageErrors(b)
}
