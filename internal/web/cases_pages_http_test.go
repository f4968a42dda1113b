package web_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// quickMultipart is the no-JS /quick form as a browser sends it: the fields
// and one file in "photo".
func quickMultipart(t *testing.T, e *env, c *client, desc, filename string, file []byte) (body []byte, ctype string) {
	t.Helper()
	p := deepPoint(t, e.node(t, e.user(t, "demo_rider").RegionCode).Boundary)
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range map[string]string{
		"csrf": c.csrf(), "idempotency_key": fmt.Sprintf("photo-test-%d", time.Now().UnixNano()),
		"category": "1202", "description": desc, "crs": "wgs84",
		"lat": fmt.Sprint(p.Lat), "lng": fmt.Sprint(p.Lng),
	} {
		mw.WriteField(k, v)
	}
	fw, err := mw.CreateFormFile("photo", filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(file)
	mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

func testPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 32, 24))
	for x := 0; x < 32; x++ {
		for y := 0; y < 24; y++ {
			img.Set(x, y, color.RGBA{uint8(x * 8), uint8(y * 10), 120, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var caseLinkRE = regexp.MustCompile(`href="/cases/([^"/]+)" data-testid="case-link"`)

func TestQuickFormPhotoWithoutJS(t *testing.T) {
	e := sharedEnv(t)
	c := e.login(t, "demo_rider")
	c.get("/quick").want(http.StatusOK)
	body, ctype := quickMultipart(t, e, c, fmt.Sprintf("无脚本带照片-%d", time.Now().UnixNano()), "scene.png", testPNG(t))
	r := c.do("POST", "/quick", body, "Content-Type", ctype).want(http.StatusCreated)
	m := caseLinkRE.FindSubmatch(r.Body)
	if m == nil {
		t.Fatalf("no case link on the receipt: %s", r)
	}
	var got struct{ Photos []string }
	e.as(t, "demo_town").get("/api/v1/cases/" + string(m[1])).want(http.StatusOK).decode(&got)
	if len(got.Photos) != 1 || len(got.Photos[0]) != 32 {
		t.Fatalf("case photos %v, want the one sent with the form", got.Photos)
	}
	// The stored photo is served to the signed-in.
	e.as(t, "demo_town").get("/api/v1/photos/" + got.Photos[0]).want(http.StatusOK)
}

func TestQuickFormRefusesTextAsPhoto(t *testing.T) {
	e := sharedEnv(t)
	c := e.login(t, "demo_rider")
	c.get("/quick").want(http.StatusOK)
	desc := fmt.Sprintf("假照片-%d", time.Now().UnixNano())
	body, ctype := quickMultipart(t, e, c, desc, "note.png", []byte("this is plain text, not a picture"))
	r := c.do("POST", "/quick", body, "Content-Type", ctype).want(http.StatusBadRequest)
	page := string(r.Body)
	if !strings.Contains(page, `data-testid="quick-form"`) {
		t.Fatalf("the form did not come back: %s", r)
	}
	msg := r.pageError()
	if msg == "" || !regexp.MustCompile(`\p{Han}`).MatchString(msg) {
		t.Fatalf("error %q, want a Chinese message", msg)
	}
	if !regexp.MustCompile(`data-testid="photo-error"\s*>` + regexp.QuoteMeta(msg)).MatchString(page) {
		t.Errorf("the message %q is not next to the photo field", msg)
	}
	if !strings.Contains(page, desc) {
		t.Error("the description was not kept")
	}
}

func TestCaseMapPage(t *testing.T) {
	e := sharedEnv(t)
	r := e.login(t, "demo_county").get("/cases/map").want(http.StatusOK)
	for _, want := range []string{`id="casemap"`, `data-region="` + e.user(t, "demo_county").RegionCode + `"`, `href="/cases/map"`, "/casemap.", "leaflet"} {
		if !bytes.Contains(r.Body, []byte(want)) {
			t.Errorf("case map page lacks %s", want)
		}
	}
	e.login(t, "demo_rider").get("/cases/map").want(http.StatusForbidden, http.StatusSeeOther, http.StatusNotFound)
}
