// Package assets serves the embedded static files under content-hashed URLs.
//
// New reads every file of an fs.FS (normally static.FS from
// civicgrid/internal/web/static) once and computes a short content hash for
// each. Templates refer to files through Path or MustPath, which return a URL
// whose file name carries the hash, e.g.
//
//	a.MustPath("app.css")                    // "/static/app.3f2a9c1b0d.css"
//	a.MustPath("vendor/leaflet/leaflet.css") // "/static/vendor/leaflet/leaflet.<hash>.css"
//
// Because the URL changes whenever the content changes, Handler serves hashed
// URLs with "Cache-Control: public, max-age=31536000, immutable".
//
// Handler also serves every file under its plain, unhashed name with a short
// cache lifetime (one hour). That is needed for relative references that
// cannot carry our hash, such as url(images/layers.png) inside leaflet.css.
//
// Mount the handler at Prefix without stripping it:
//
//	mux.Handle(assets.Prefix, a.Handler())
package assets

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// Prefix is the URL path under which Handler serves files and which Path
// puts in front of every name.
const Prefix = "/static/"

// hashLen is the number of hex digits of the SHA-256 used in URLs.
const hashLen = 10

const (
	cacheImmutable = "public, max-age=31536000, immutable"
	cacheShort     = "public, max-age=3600"
)

// file is one static file, read and hashed by New.
type file struct {
	name   string // path in the fs.FS, e.g. "vendor/leaflet/leaflet.css"
	hashed string // name with the hash, e.g. "vendor/leaflet/leaflet.0123456789.css"
	etag   string // quoted hash
	ctype  string // Content-Type header value
	data   []byte
}

// Assets is a set of static files with their content hashes. It is immutable
// after New and safe for concurrent use.
type Assets struct {
	byName   map[string]*file // plain name -> file
	byHashed map[string]*file // hashed name -> file
}

// New walks all files of fsys, reads them into memory and computes the
// SHA-256 of each (the first 10 hex digits are used in URLs). Directories are
// not served. It returns an error if a file cannot be read or if a file's
// plain name equals another file's hashed name.
func New(fsys fs.FS) (*Assets, error) {
	a := &Assets{
		byName:   make(map[string]*file),
		byHashed: make(map[string]*file),
	}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		hash := hex.EncodeToString(sum[:])[:hashLen]
		f := &file{
			name:   name,
			hashed: hashedName(name, hash),
			etag:   `"` + hash + `"`,
			ctype:  contentType(name),
			data:   data,
		}
		a.byName[f.name] = f
		a.byHashed[f.hashed] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("assets: %w", err)
	}
	for _, f := range a.byHashed {
		if other, ok := a.byName[f.hashed]; ok {
			return nil, fmt.Errorf("assets: file %q has the same name as the hashed name of %q", other.name, f.name)
		}
	}
	return a, nil
}

// hashedName inserts hash before the last extension of the base name:
// "vendor/htmx/htmx.min.js" -> "vendor/htmx/htmx.min.<hash>.js",
// "vendor/htmx/LICENSE" -> "vendor/htmx/LICENSE.<hash>".
func hashedName(name, hash string) string {
	dir, base := path.Split(name)
	ext := path.Ext(base)
	if ext == "" || ext == base { // no extension, or a dot file like ".keep"
		return dir + base + "." + hash
	}
	return dir + strings.TrimSuffix(base, ext) + "." + hash + ext
}

// contentTypes fixes the types of the files we actually serve, independent
// of the host's mime.types.
var contentTypes = map[string]string{
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".json":  "application/json",
	".map":   "application/json",
	".png":   "image/png",
	".svg":   "image/svg+xml",
	".jpg":   "image/jpeg",
	".jpeg":  "image/jpeg",
	".gif":   "image/gif",
	".webp":  "image/webp",
	".ico":   "image/x-icon",
	".woff2": "font/woff2",
	".woff":  "font/woff",
	".txt":   "text/plain; charset=utf-8",
	"":       "text/plain; charset=utf-8", // LICENSE
}

func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if ct, ok := contentTypes[ext]; ok {
		return ct
	}
	if ct := mime.TypeByExtension(ext); ct != "" {
		return ct
	}
	return "application/octet-stream"
}

// Path returns the content-hashed URL path of the named file, for example
// "app.css" -> "/static/app.3f2a9c1b0d.css". name is the file's path in the
// fs.FS given to New, without a leading slash. For an unknown name Path
// returns Prefix+name (which Handler will answer with 404); use MustPath to
// catch such mistakes.
func (a *Assets) Path(name string) string {
	if f, ok := a.byName[name]; ok {
		return Prefix + f.hashed
	}
	return Prefix + name
}

// MustPath is like Path but panics if name is unknown. It is meant for
// templates that are executed once at start-up to validate them.
func (a *Assets) MustPath(name string) string {
	f, ok := a.byName[name]
	if !ok {
		panic(fmt.Sprintf("assets: unknown static file %q", name))
	}
	return Prefix + f.hashed
}

// Handler returns an http.Handler serving the files under Prefix (the
// request path must still include Prefix):
//
//   - Prefix + hashed name: 200 with Cache-Control "public, max-age=31536000, immutable";
//   - Prefix + plain name: 200 with Cache-Control "public, max-age=3600";
//   - anything else, including directories and outdated hashes: 404;
//   - methods other than GET and HEAD: 405.
//
// Responses carry the file's Content-Type, ETag (the quoted hash) and
// X-Content-Type-Options: nosniff; conditional and range requests are
// handled by http.ServeContent.
func (a *Assets) Handler() http.Handler {
	return http.HandlerFunc(a.serveHTTP)
}

func (a *Assets) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	name, ok := strings.CutPrefix(r.URL.Path, Prefix)
	var f *file
	cache := cacheImmutable
	if ok {
		f = a.byHashed[name]
		if f == nil {
			f = a.byName[name]
			cache = cacheShort
		}
	}
	if f == nil {
		w.Header().Set("Cache-Control", "no-store")
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("Cache-Control", cache)
	h.Set("ETag", f.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.data))
}
