package assets_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"civicgrid/internal/web/assets"
	"civicgrid/internal/web/static"
)

func hash10(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:10]
}

func mapFS() fstest.MapFS {
	return fstest.MapFS{
		"app.css":                           {Data: []byte("body{color:red}")},
		"app.js":                            {Data: []byte("console.log(1)")},
		"vendor/htmx/htmx.min.js":           {Data: []byte("var htmx={}")},
		"vendor/htmx/LICENSE":               {Data: []byte("0BSD")},
		"vendor/leaflet/leaflet.css":        {Data: []byte(".x{background:url(images/layers.png)}")},
		"vendor/leaflet/images/layers.png":  {Data: []byte("\x89PNG\r\n\x1a\nlayers")},
		"vendor/leaflet/images/marker.png":  {Data: []byte("\x89PNG\r\n\x1a\nmarker")},
		"vendor/leaflet/leaflet.js":         {Data: []byte("window.L={}")},
		"vendor/leaflet/sub/deeper/file.js": {Data: []byte("deep")},
	}
}

func mustNew(t *testing.T, fsys fs.FS) *assets.Assets {
	t.Helper()
	a, err := assets.New(fsys)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

func do(t *testing.T, h http.Handler, method, target string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestPathFormat(t *testing.T) {
	fsys := mapFS()
	a := mustNew(t, fsys)
	tests := []struct{ name, want string }{
		{"app.css", "/static/app." + hash10("body{color:red}") + ".css"},
		{"app.js", "/static/app." + hash10("console.log(1)") + ".js"},
		{"vendor/htmx/htmx.min.js", "/static/vendor/htmx/htmx.min." + hash10("var htmx={}") + ".js"},
		{"vendor/htmx/LICENSE", "/static/vendor/htmx/LICENSE." + hash10("0BSD")},
		{"vendor/leaflet/leaflet.css", "/static/vendor/leaflet/leaflet." + hash10(string(fsys["vendor/leaflet/leaflet.css"].Data)) + ".css"},
	}
	for _, tt := range tests {
		if got := a.Path(tt.name); got != tt.want {
			t.Errorf("Path(%q) = %q, want %q", tt.name, got, tt.want)
		}
		if got := a.MustPath(tt.name); got != tt.want {
			t.Errorf("MustPath(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestPathChangesWithContent(t *testing.T) {
	fsys := mapFS()
	a1 := mustNew(t, fsys)
	fsys["app.css"] = &fstest.MapFile{Data: []byte("body{color:blue}")}
	a2 := mustNew(t, fsys)

	p1, p2 := a1.Path("app.css"), a2.Path("app.css")
	if p1 == p2 {
		t.Fatalf("hashed path did not change with content: %q", p1)
	}
	re := regexp.MustCompile(`^/static/app\.[0-9a-f]{10}\.css$`)
	for _, p := range []string{p1, p2} {
		if !re.MatchString(p) {
			t.Errorf("path %q does not match %v", p, re)
		}
	}
	// Unchanged files keep their path.
	if a1.Path("app.js") != a2.Path("app.js") {
		t.Errorf("unchanged app.js got a new path: %q vs %q", a1.Path("app.js"), a2.Path("app.js"))
	}
	// The old hashed URL is gone in the new set.
	if rec := do(t, a2.Handler(), "GET", p1); rec.Code != http.StatusNotFound {
		t.Errorf("old hashed URL %s: status %d, want 404", p1, rec.Code)
	}
}

func TestUnknownName(t *testing.T) {
	a := mustNew(t, mapFS())
	if got, want := a.Path("nope.css"), "/static/nope.css"; got != want {
		t.Errorf("Path(unknown) = %q, want %q", got, want)
	}
	for _, name := range []string{"nope.css", "vendor", "vendor/leaflet", "/app.css", ""} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("MustPath(%q) did not panic", name)
				}
			}()
			a.MustPath(name)
		}()
	}
}

func TestHandler(t *testing.T) {
	fsys := mapFS()
	a := mustNew(t, fsys)
	h := a.Handler()

	tests := []struct {
		target string
		code   int
		cache  string
		ctype  string
		body   string
	}{
		{a.Path("app.css"), 200, "public, max-age=31536000, immutable", "text/css; charset=utf-8", "body{color:red}"},
		{"/static/app.css", 200, "public, max-age=3600", "text/css; charset=utf-8", "body{color:red}"},
		{a.Path("app.js"), 200, "public, max-age=31536000, immutable", "text/javascript; charset=utf-8", "console.log(1)"},
		{"/static/app.js", 200, "public, max-age=3600", "text/javascript; charset=utf-8", "console.log(1)"},
		{a.Path("vendor/leaflet/images/layers.png"), 200, "public, max-age=31536000, immutable", "image/png", "\x89PNG\r\n\x1a\nlayers"},
		{"/static/vendor/leaflet/images/layers.png", 200, "public, max-age=3600", "image/png", "\x89PNG\r\n\x1a\nlayers"},
		{a.Path("vendor/htmx/LICENSE"), 200, "public, max-age=31536000, immutable", "text/plain; charset=utf-8", "0BSD"},
		{a.Path("vendor/leaflet/sub/deeper/file.js"), 200, "public, max-age=31536000, immutable", "text/javascript; charset=utf-8", "deep"},
		// Wrong or outdated hash.
		{"/static/app.0000000000.css", 404, "no-store", "", ""},
		{"/static/app." + hash10("old content") + ".css", 404, "no-store", "", ""},
		// Hash on the wrong file.
		{"/static/app." + hash10("console.log(1)") + ".css", 404, "no-store", "", ""},
		// Unknown files, directories, listing attempts, traversal.
		{"/static/nope.css", 404, "no-store", "", ""},
		{"/static/", 404, "no-store", "", ""},
		{"/static", 404, "no-store", "", ""},
		{"/static/vendor", 404, "no-store", "", ""},
		{"/static/vendor/", 404, "no-store", "", ""},
		{"/static/vendor/leaflet/images/", 404, "no-store", "", ""},
		{"/static/./app.css", 404, "no-store", "", ""},
		{"/static/vendor/../app.css", 404, "no-store", "", ""},
		{"/static//app.css", 404, "no-store", "", ""},
		{"/app.css", 404, "no-store", "", ""},
		{"/", 404, "no-store", "", ""},
	}
	for _, tt := range tests {
		rec := do(t, h, "GET", tt.target)
		if rec.Code != tt.code {
			t.Errorf("GET %s: status %d, want %d", tt.target, rec.Code, tt.code)
			continue
		}
		if got := rec.Header().Get("Cache-Control"); got != tt.cache {
			t.Errorf("GET %s: Cache-Control %q, want %q", tt.target, got, tt.cache)
		}
		if tt.code != 200 {
			continue
		}
		if got := rec.Header().Get("Content-Type"); got != tt.ctype {
			t.Errorf("GET %s: Content-Type %q, want %q", tt.target, got, tt.ctype)
		}
		if got := rec.Body.String(); got != tt.body {
			t.Errorf("GET %s: body %q, want %q", tt.target, got, tt.body)
		}
		if got, want := rec.Header().Get("ETag"), `"`+hash10(tt.body)+`"`; got != want {
			t.Errorf("GET %s: ETag %q, want %q", tt.target, got, want)
		}
		if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q, want nosniff", tt.target, got)
		}
	}
}

func TestHandlerMethods(t *testing.T) {
	a := mustNew(t, mapFS())
	h := a.Handler()
	hashed := a.Path("app.css")

	rec := do(t, h, "HEAD", hashed)
	if rec.Code != 200 {
		t.Fatalf("HEAD: status %d, want 200", rec.Code)
	}
	if rec.Body.Len() != 0 {
		t.Errorf("HEAD: body %q, want empty", rec.Body.String())
	}
	if got := rec.Header().Get("Content-Length"); got != "15" {
		t.Errorf("HEAD: Content-Length %q, want 15", got)
	}
	if got := rec.Header().Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("HEAD: Cache-Control %q", got)
	}
	if got := rec.Header().Get("Content-Type"); got != "text/css; charset=utf-8" {
		t.Errorf("HEAD: Content-Type %q", got)
	}

	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS"} {
		for _, target := range []string{hashed, "/static/app.css", "/static/nope"} {
			rec := do(t, h, m, target)
			if rec.Code != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: status %d, want 405", m, target, rec.Code)
			}
			if got := rec.Header().Get("Allow"); got != "GET, HEAD" {
				t.Errorf("%s %s: Allow %q, want \"GET, HEAD\"", m, target, got)
			}
		}
	}
}

func TestHandlerConditional(t *testing.T) {
	a := mustNew(t, mapFS())
	h := a.Handler()
	target := a.Path("app.js")
	etag := do(t, h, "GET", target).Header().Get("ETag")

	rec := do(t, h, "GET", target, "If-None-Match", etag)
	if rec.Code != http.StatusNotModified {
		t.Errorf("If-None-Match match: status %d, want 304", rec.Code)
	}
	rec = do(t, h, "GET", target, "If-None-Match", `"0000000000"`)
	if rec.Code != 200 {
		t.Errorf("If-None-Match mismatch: status %d, want 200", rec.Code)
	}
	rec = do(t, h, "GET", target, "Range", "bytes=0-6")
	if rec.Code != http.StatusPartialContent || rec.Body.String() != "console" {
		t.Errorf("Range: status %d body %q, want 206 \"console\"", rec.Code, rec.Body.String())
	}
}

func TestNewRejectsNameCollision(t *testing.T) {
	fsys := fstest.MapFS{
		"a.css": {Data: []byte("x")},
	}
	fsys["a."+hash10("x")+".css"] = &fstest.MapFile{Data: []byte("y")}
	if _, err := assets.New(fsys); err == nil {
		t.Fatal("New: want error for plain name equal to another file's hashed name")
	}
}

func TestNewEmpty(t *testing.T) {
	a := mustNew(t, fstest.MapFS{})
	if rec := do(t, a.Handler(), "GET", "/static/app.css"); rec.Code != 404 {
		t.Errorf("empty set: status %d, want 404", rec.Code)
	}
}

func TestConcurrentUse(t *testing.T) {
	a := mustNew(t, mapFS())
	h := a.Handler()
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				p := a.Path("app.css")
				req := httptest.NewRequest("GET", p, nil)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					t.Errorf("status %d", rec.Code)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// The real embedded files.

var realFiles = []struct{ name, ctype string }{
	{"app.css", "text/css; charset=utf-8"},
	{"app.js", "text/javascript; charset=utf-8"},
	{"vendor/htmx/htmx.min.js", "text/javascript; charset=utf-8"},
	{"vendor/htmx/LICENSE", "text/plain; charset=utf-8"},
	{"vendor/leaflet/leaflet.js", "text/javascript; charset=utf-8"},
	{"vendor/leaflet/leaflet.css", "text/css; charset=utf-8"},
	{"vendor/leaflet/LICENSE", "text/plain; charset=utf-8"},
	{"vendor/leaflet/images/marker-icon.png", "image/png"},
	{"vendor/leaflet/images/marker-icon-2x.png", "image/png"},
	{"vendor/leaflet/images/marker-shadow.png", "image/png"},
	{"vendor/leaflet/images/layers.png", "image/png"},
	{"vendor/leaflet/images/layers-2x.png", "image/png"},
	{"vendor/VERSIONS.txt", "text/plain; charset=utf-8"},
}

func TestRealStaticFS(t *testing.T) {
	a, err := assets.New(static.FS)
	if err != nil {
		t.Fatalf("New(static.FS): %v", err)
	}
	h := a.Handler()
	for _, f := range realFiles {
		p := a.MustPath(f.name) // panics if the file is not embedded
		dir, base := path.Split(f.name)
		if !strings.HasPrefix(p, "/static/"+dir) || p == "/static/"+f.name {
			t.Errorf("MustPath(%q) = %q: not a hashed path in the same directory", f.name, p)
		}
		if !strings.Contains(path.Base(p), strings.TrimSuffix(base, path.Ext(base))+".") {
			t.Errorf("MustPath(%q) = %q: base name not kept", f.name, p)
		}

		want, err := static.FS.ReadFile(f.name)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ target, cache string }{
			{p, "public, max-age=31536000, immutable"},
			{"/static/" + f.name, "public, max-age=3600"},
		} {
			rec := do(t, h, "GET", tc.target)
			if rec.Code != 200 {
				t.Errorf("GET %s: status %d, want 200", tc.target, rec.Code)
				continue
			}
			if got := rec.Header().Get("Cache-Control"); got != tc.cache {
				t.Errorf("GET %s: Cache-Control %q, want %q", tc.target, got, tc.cache)
			}
			if got := rec.Header().Get("Content-Type"); got != f.ctype {
				t.Errorf("GET %s: Content-Type %q, want %q", tc.target, got, f.ctype)
			}
			if rec.Body.String() != string(want) {
				t.Errorf("GET %s: body differs from embedded file", tc.target)
			}
		}
		if rec := do(t, h, "HEAD", p); rec.Code != 200 || rec.Body.Len() != 0 {
			t.Errorf("HEAD %s: status %d, body length %d", p, rec.Code, rec.Body.Len())
		}
		if rec := do(t, h, "POST", p); rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("POST %s: status %d, want 405", p, rec.Code)
		}
	}
	for _, target := range []string{"/static/", "/static/vendor", "/static/vendor/", "/static/vendor/leaflet/images/", "/static/static.go", "/static/app.0000000000.css"} {
		if rec := do(t, h, "GET", target); rec.Code != 404 {
			t.Errorf("GET %s: status %d, want 404", target, rec.Code)
		}
	}
}

var cssURL = regexp.MustCompile(`url\(\s*['"]?([^'")]+)['"]?\s*\)`)

// Relative url(...) references in the embedded CSS must resolve, from the
// hashed CSS URL the browser actually loads, to files the handler serves;
// and nothing may point to another host.
func TestRealCSSReferences(t *testing.T) {
	a, err := assets.New(static.FS)
	if err != nil {
		t.Fatal(err)
	}
	h := a.Handler()
	checked := 0
	for _, name := range []string{"app.css", "vendor/leaflet/leaflet.css"} {
		css, err := static.FS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		base, _ := url.Parse("https://example.test" + a.MustPath(name))
		for _, m := range cssURL.FindAllStringSubmatch(string(css), -1) {
			ref := m[1]
			if strings.HasPrefix(ref, "#") || strings.HasPrefix(ref, "data:") {
				continue // old-IE VML behaviour, inline data
			}
			u, err := base.Parse(ref)
			if err != nil {
				t.Errorf("%s: bad url(%s): %v", name, ref, err)
				continue
			}
			if u.Host != "example.test" {
				t.Errorf("%s: url(%s) points to another host", name, ref)
				continue
			}
			rec := do(t, h, "GET", u.Path)
			if rec.Code != 200 {
				t.Errorf("%s: url(%s) -> %s: status %d, want 200", name, ref, u.Path, rec.Code)
			}
			checked++
		}
	}
	if checked < 3 {
		t.Errorf("checked only %d url() references in leaflet.css, want >= 3 (leaflet.css has 3)", checked)
	}
}

// Leaflet finds marker-icon-2x.png and marker-shadow.png in the directory of
// the marker-icon.png referenced by leaflet.css, i.e. under plain names.
func TestLeafletDefaultIconImages(t *testing.T) {
	a, err := assets.New(static.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range []string{"marker-icon.png", "marker-icon-2x.png", "marker-shadow.png"} {
		target := "/static/vendor/leaflet/images/" + img
		rec := do(t, a.Handler(), "GET", target)
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/png" {
			t.Errorf("GET %s: status %d, type %q", target, rec.Code, rec.Header().Get("Content-Type"))
		}
		if b, _ := io.ReadAll(rec.Body); !strings.HasPrefix(string(b), "\x89PNG") {
			t.Errorf("GET %s: not a PNG", target)
		}
	}
}
