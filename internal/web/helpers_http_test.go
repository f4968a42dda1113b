package web_test

// Shared helpers of the HTTP test suite: a real civicgrid (SQLite file or a
// private PostgreSQL schema, the real router and domain services, the Heze
// demo data) behind httptest, and a small client that handles the Secure
// session cookies by hand (cookiejar will not send them over plain http).

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"civicgrid/internal/account"
	"civicgrid/internal/api"
	"civicgrid/internal/app"
	"civicgrid/internal/auth"
	"civicgrid/internal/geo"
	"civicgrid/internal/region"
	"civicgrid/internal/store/storetest"
)

const (
	demoPassword  = "Heze@2025"
	sessionCookie = "cg_session"
	csrfCookie    = "cg_csrf"
)

// demoUsers are the demo accounts, one per role (two officials).
var demoUsers = []string{"demo_city", "demo_county", "demo_town", "demo_dept", "demo_leader", "demo_grid", "demo_rider", "demo_volunteer", "demo_resident", "demo_auditor"}

// syncBuffer collects the server's log output safely across goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is one running civicgrid.
type env struct {
	m    *app.Main
	srv  *httptest.Server
	logs *syncBuffer
	hc   *http.Client

	mu     sync.Mutex
	tokens map[string]string
	users  map[string]account.User
}

func startEnv(dataDir, dbURL string) (*env, error) {
	ctx := context.Background()
	logs := &syncBuffer{}
	m := app.NewMain(app.Config{DataDir: dataDir, DBURL: dbURL, Demo: true, Out: logs, PointsValidMonths: 24})
	if err := m.Open(ctx); err != nil {
		m.Close()
		return nil, err
	}
	e := &env{m: m, logs: logs, tokens: map[string]string{}, users: map[string]account.User{}}
	e.srv = httptest.NewServer(m.Web)
	tr := e.srv.Client().Transport
	e.hc = &http.Client{Transport: tr, Timeout: 60 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return e, nil
}

func (e *env) close() {
	e.srv.Close()
	e.m.Close()
}

// lazyEnv is a demo server made on first use and closed by TestMain.
type lazyEnv struct {
	once    sync.Once
	env     *env
	dir     string
	cleanup func()
	err     error
}

var sharedSQLite, sharedPostgres lazyEnv

func TestMain(m *testing.M) {
	code := m.Run()
	for _, l := range []*lazyEnv{&sharedSQLite, &sharedPostgres} {
		if l.env != nil {
			l.env.close()
		}
		if l.cleanup != nil {
			l.cleanup()
		}
		if l.dir != "" {
			os.RemoveAll(l.dir)
		}
	}
	os.Exit(code)
}

// sharedEnv is one demo server on SQLite for the whole test binary. Top-level
// tests do not run in parallel, and tests that write use their own names,
// codes and far-away coordinates, so they cannot disturb each other.
func sharedEnv(t testing.TB) *env {
	t.Helper()
	l := &sharedSQLite
	l.once.Do(func() {
		l.dir, l.err = os.MkdirTemp("", "civicgrid-web-test-")
		if l.err == nil {
			l.env, l.err = startEnv(l.dir, "")
		}
	})
	if l.err != nil {
		t.Fatalf("shared demo server: %v", l.err)
	}
	return l.env
}

// sharedPostgresEnv is the same on a private PostgreSQL schema, skipped
// unless CIVICGRID_TEST_POSTGRES is set (and failing in CI without it).
func sharedPostgresEnv(t testing.TB) *env {
	t.Helper()
	base := storetest.PostgresURL(t)
	l := &sharedPostgres
	l.once.Do(func() {
		var dbURL string
		dbURL, l.cleanup, l.err = newSchema(base)
		if l.err == nil {
			l.dir, l.err = os.MkdirTemp("", "civicgrid-web-test-pg-")
		}
		if l.err == nil {
			l.env, l.err = startEnv(l.dir, dbURL)
		}
	})
	if l.err != nil {
		t.Fatalf("shared demo server on postgres: %v", l.err)
	}
	return l.env
}

// newSchema makes a schema that outlives any one test (storetest's is
// dropped when the test that made it ends) and returns its URL and a
// function dropping it.
func newSchema(base string) (string, func(), error) {
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_web_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("postgres at %s: %w", base, err)
	}
	drop := func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	}
	u, err := url.Parse(base)
	if err != nil {
		drop()
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}

// eachDB runs fn against the shared SQLite server and, when configured, the
// shared PostgreSQL one, in parallel.
func eachDB(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, sharedEnv(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, sharedPostgresEnv(t))
	})
}

func (e *env) user(t testing.TB, username string) account.User {
	t.Helper()
	e.mu.Lock()
	u, ok := e.users[username]
	e.mu.Unlock()
	if ok {
		return u
	}
	u, err := e.m.Accounts.ByUsername(context.Background(), username)
	if err != nil {
		t.Fatalf("user %s: %v", username, err)
	}
	e.mu.Lock()
	e.users[username] = u
	e.mu.Unlock()
	return u
}

// token returns an API token of the user, made once per server.
func (e *env) token(t testing.TB, username string) string {
	t.Helper()
	e.mu.Lock()
	tok, ok := e.tokens[username]
	e.mu.Unlock()
	if ok {
		return tok
	}
	u := e.user(t, username)
	tok, err := e.m.Accounts.CreateToken(context.Background(), auth.System("test"), u.ID, "t")
	if err != nil {
		t.Fatalf("token for %s: %v", username, err)
	}
	e.mu.Lock()
	e.tokens[username] = tok
	e.mu.Unlock()
	return tok
}

func (e *env) node(t testing.TB, code string) *region.Node {
	t.Helper()
	n, ok := e.m.Regions.Tree().Get(code)
	if !ok {
		t.Fatalf("region %s not in the tree", code)
	}
	return n
}

// client is an HTTP client of one server, signed in by token, by session
// cookie, or not at all.
type client struct {
	t       testing.TB
	e       *env
	token   string
	cookies map[string]string
	header  http.Header
}

func (e *env) anon(t testing.TB) *client {
	return &client{t: t, e: e, cookies: map[string]string{}, header: http.Header{}}
}

// as is a client authenticated by an API token of username.
func (e *env) as(t testing.TB, username string) *client {
	c := e.anon(t)
	c.token = e.token(t, username)
	return c
}

// login signs username in through the login form and returns a client
// holding the session and CSRF cookies.
func (e *env) login(t testing.TB, username string) *client {
	t.Helper()
	c := e.anon(t)
	r := c.login(username, demoPassword)
	if r.Status != http.StatusSeeOther || c.cookies[sessionCookie] == "" {
		t.Fatalf("login %s: status %d, session cookie %q, error %q", username, r.Status, c.cookies[sessionCookie], r.pageError())
	}
	return c
}

// login fetches the form (for the CSRF cookie) and posts the credentials.
func (c *client) login(username, password string) *response {
	c.t.Helper()
	if c.cookies[csrfCookie] == "" {
		if r := c.get("/login"); r.Status != http.StatusOK {
			c.t.Fatalf("GET /login: %d", r.Status)
		}
	}
	return c.postForm("/login", url.Values{"csrf": {c.cookies[csrfCookie]}, "username": {username}, "password": {password}})
}

func (c *client) csrf() string { return c.cookies[csrfCookie] }

// response is a fully read HTTP response.
type response struct {
	t       testing.TB
	Method  string
	Path    string
	Status  int
	Header  http.Header
	Body    []byte
	Cookies []*http.Cookie
}

func (r *response) String() string {
	b := string(r.Body)
	if len(b) > 600 {
		b = b[:600] + "…"
	}
	return fmt.Sprintf("%s %s → %d %s: %s", r.Method, r.Path, r.Status, r.Header.Get("Content-Type"), b)
}

// do sends a request. body may be nil, []byte or string (sent as is, JSON
// content type unless a header says otherwise), url.Values (a form) or any
// other value (marshalled to JSON). hdr is key, value pairs.
func (c *client) do(method, path string, body any, hdr ...string) *response {
	c.t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ctype = bytes.NewReader(b), "application/json"
	case string:
		rd, ctype = strings.NewReader(b), "application/json"
	case url.Values:
		rd, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatalf("marshal body: %v", err)
		}
		rd, ctype = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, c.e.srv.URL+path, rd)
	if err != nil {
		c.t.Fatalf("request %s %s: %v", method, path, err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, vs := range c.header {
		req.Header[k] = vs
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range c.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	if len(hdr)%2 != 0 {
		c.t.Fatalf("odd header list %q", hdr)
	}
	for i := 0; i < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.e.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	for _, ck := range resp.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	return &response{t: c.t, Method: method, Path: path, Status: resp.StatusCode, Header: resp.Header, Body: b, Cookies: resp.Cookies()}
}

func (c *client) get(path string, hdr ...string) *response { return c.do("GET", path, nil, hdr...) }

func (c *client) postJSON(path string, v any, hdr ...string) *response {
	return c.do("POST", path, v, hdr...)
}

func (c *client) postForm(path string, form url.Values, hdr ...string) *response {
	return c.do("POST", path, form, hdr...)
}

// withCSRF is the header pair a cookie-authenticated API write needs.
func (c *client) withCSRF() []string { return []string{"X-CSRF-Token", c.csrf()} }

// want fails the test unless the status is one of codes.
func (r *response) want(codes ...int) *response {
	r.t.Helper()
	for _, c := range codes {
		if r.Status == c {
			return r
		}
	}
	r.t.Fatalf("want status %v, got %s", codes, r)
	return r
}

// decode parses the JSON body into v.
func (r *response) decode(v any) {
	r.t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		r.t.Fatalf("decode %s: %v", r, err)
	}
}

// obj parses the JSON body as an object.
func (r *response) obj() map[string]any {
	r.t.Helper()
	var m map[string]any
	r.decode(&m)
	return m
}

// problem parses an RFC 9457 problem object, checking the media type and
// that status in the body matches the response.
func (r *response) problem() api.Problem {
	r.t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		r.t.Fatalf("want application/problem+json, got %s", r)
	}
	var p api.Problem
	r.decode(&p)
	if p.Status != r.Status {
		r.t.Errorf("problem status %d != HTTP status %d: %s", p.Status, r.Status, r)
	}
	if p.Type == "" || p.Title == "" || p.Code == "" {
		r.t.Errorf("problem lacks type/title/code: %s", r)
	}
	return p
}

// wantProblem checks status and problem code and returns the problem.
func (r *response) wantProblem(status int, code string) api.Problem {
	r.t.Helper()
	if r.Status != status {
		r.t.Fatalf("want %d %s problem, got %s", status, code, r)
	}
	p := r.problem()
	if string(p.Code) != code {
		r.t.Fatalf("want problem code %q, got %q: %s", code, p.Code, r)
	}
	return p
}

var pageErrorRE = regexp.MustCompile(`data-testid="error">([^<]*)<`)

// pageError is the form-level error message of an HTML page ("" if none).
func (r *response) pageError() string {
	m := pageErrorRE.FindSubmatch(r.Body)
	if m == nil {
		return ""
	}
	return htmlUnescape(string(m[1]))
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

func (r *response) cookie(name string) *http.Cookie {
	for _, c := range r.Cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// hasHan reports whether s contains Chinese characters.
func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

// --- geometry, computed here independently of package geo ---

// ringContains is the even-odd rule on one ring.
func ringContains(r geo.Ring, p geo.Point) bool {
	in := false
	for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
		a, b := r[i], r[j]
		if (a.Lat > p.Lat) != (b.Lat > p.Lat) && p.Lng < (b.Lng-a.Lng)*(p.Lat-a.Lat)/(b.Lat-a.Lat)+a.Lng {
			in = !in
		}
	}
	return in
}

func shapeContains(m geo.MultiPolygon, p geo.Point) bool {
	for _, poly := range m {
		if len(poly) == 0 || !ringContains(poly[0], p) {
			continue
		}
		inHole := false
		for _, h := range poly[1:] {
			if ringContains(h, p) {
				inHole = true
			}
		}
		if !inHole {
			return true
		}
	}
	return false
}

func segDist(p, a, b geo.Point) float64 {
	dx, dy := b.Lng-a.Lng, b.Lat-a.Lat
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = math.Max(0, math.Min(1, ((p.Lng-a.Lng)*dx+(p.Lat-a.Lat)*dy)/l))
	}
	x, y := a.Lng+t*dx-p.Lng, a.Lat+t*dy-p.Lat
	return math.Hypot(x, y)
}

// deepPoint returns a point well inside m: of a 40×40 lattice over the
// bounding box, the inside point farthest from every edge.
func deepPoint(t testing.TB, m geo.MultiPolygon) geo.Point {
	t.Helper()
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, poly := range m {
		for _, r := range poly {
			for _, p := range r {
				minX, minY, maxX, maxY = math.Min(minX, p.Lng), math.Min(minY, p.Lat), math.Max(maxX, p.Lng), math.Max(maxY, p.Lat)
			}
		}
	}
	best, bestD := geo.Point{}, -1.0
	const n = 40
	for i := 1; i < n; i++ {
		for j := 1; j < n; j++ {
			p := geo.Point{Lng: minX + (maxX-minX)*float64(i)/n, Lat: minY + (maxY-minY)*float64(j)/n}
			if !shapeContains(m, p) {
				continue
			}
			d := math.Inf(1)
			for _, poly := range m {
				for _, r := range poly {
					for k := 1; k < len(r); k++ {
						d = math.Min(d, segDist(p, r[k-1], r[k]))
					}
				}
			}
			if d > bestD {
				best, bestD = p, d
			}
		}
	}
	if bestD <= 0 {
		t.Fatalf("no interior point found in shape with bbox %v,%v–%v,%v", minX, minY, maxX, maxY)
	}
	return best
}

// square is a GeoJSON Polygon geometry: a closed counter-clockwise square.
func square(lng, lat, half float64) map[string]any {
	return map[string]any{"type": "Polygon", "coordinates": [][][]float64{{
		{lng - half, lat - half}, {lng + half, lat - half}, {lng + half, lat + half}, {lng - half, lat + half}, {lng - half, lat - half},
	}}}
}

// rectGeom is a GeoJSON Polygon of the box w,s–e,n.
func rectGeom(w, s, e, n float64) map[string]any {
	return map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{w, s}, {e, s}, {e, n}, {w, n}, {w, s}}}}
}

// feature is a GeoJSON Feature for the import endpoint.
func feature(code, parent, level, name string, geometry any) map[string]any {
	return map[string]any{"type": "Feature", "properties": map[string]any{"code": code, "parent": parent, "level": level, "name": name}, "geometry": geometry}
}

func collection(features ...map[string]any) map[string]any {
	return map[string]any{"type": "FeatureCollection", "features": features}
}

// locate asks the public locate endpoint about p.
func (c *client) locate(p geo.Point, crs string) *response {
	q := url.Values{"lat": {fmt.Sprint(p.Lat)}, "lng": {fmt.Sprint(p.Lng)}}
	if crs != "" {
		q.Set("crs", crs)
	}
	return c.get("/api/v1/locate?" + q.Encode())
}

// location is the locate answer.
type location struct {
	Grid  region.Ref    `json:"grid"`
	Chain []region.Ref  `json:"chain"`
	Point region.LngLat `json:"wgs84"`
}
