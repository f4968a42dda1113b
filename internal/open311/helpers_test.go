package open311_test

// Helpers of the black-box suite: the real civicgrid (SQLite, the Heze demo
// data, the real router) with the Open311 handler mounted beside it as the
// lead will mount it, a small HTTP client, and a checker that a response's
// XML and JSON carry the same data under the spec's Spark convention.

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"civicgrid/internal/app"
	"civicgrid/internal/auth"
	"civicgrid/internal/cases"
	"civicgrid/internal/geo"
	"civicgrid/internal/open311"
	"civicgrid/internal/region"
)

const jurisdiction = "heze.gov.cn"

// env is one running civicgrid with the Open311 handler mounted.
type env struct {
	m     *app.Main
	h     *open311.Handler
	srv   *httptest.Server
	hc    *http.Client
	clock *atomic.Int64 // offset of the database clock, in nanoseconds
	point geo.Point     // well inside a grid of 单县
	grid  string

	mu     sync.Mutex
	tokens map[string]string
}

func startEnv(dir string) (*env, error) {
	ctx := context.Background()
	m := app.NewMain(app.Config{DataDir: dir, Demo: true, Out: io.Discard})
	if err := m.Open(ctx); err != nil {
		m.Close()
		return nil, err
	}
	e := &env{m: m, clock: &atomic.Int64{}, tokens: map[string]string{}}
	// The clock is swapped before the server starts and only its offset
	// moves afterwards, so tests can file "old" cases without a data race.
	m.DB.Now = func() time.Time { return time.Now().Add(time.Duration(e.clock.Load())) }
	e.h = open311.New(open311.Config{Jurisdiction: jurisdiction, FindAddress: m.Regions.FindAddress}, m.Cases, m.Accounts, m.Catalog)
	mux := http.NewServeMux()
	mux.Handle(open311.Prefix, e.h)
	mux.Handle("/", m.Web)
	e.srv = httptest.NewServer(mux)
	e.hc = &http.Client{Timeout: 60 * time.Second}
	var err error
	if e.grid, e.point, err = interiorPoint(m, "371722"); err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

func (e *env) close() {
	e.srv.Close()
	e.m.Close()
}

var shared struct {
	once sync.Once
	env  *env
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.env != nil {
		shared.env.close()
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// sharedEnv is one server for the tests that only add cases of their own.
func sharedEnv(t testing.TB) *env {
	t.Helper()
	shared.once.Do(func() {
		shared.dir, shared.err = os.MkdirTemp("", "civicgrid-open311-")
		if shared.err == nil {
			shared.env, shared.err = startEnv(shared.dir)
		}
	})
	if shared.err != nil {
		t.Fatalf("demo server: %v", shared.err)
	}
	return shared.env
}

// newEnv is a server of the test's own, for tests that move the clock or
// count everything.
func newEnv(t testing.TB) *env {
	t.Helper()
	e, err := startEnv(t.TempDir())
	if err != nil {
		t.Fatalf("demo server: %v", err)
	}
	t.Cleanup(e.close)
	return e
}

// interiorPoint finds a grid under county and a point that locates to it,
// away from its edges: the lattice point nearest the middle of all the
// lattice points inside.
func interiorPoint(m *app.Main, county string) (string, geo.Point, error) {
	n, ok := m.Regions.Tree().Get(county)
	for ok && len(n.Children) > 0 && n.Level != region.Grid {
		n = n.Children[0]
	}
	if !ok || n.Boundary == nil {
		return "", geo.Point{}, fmt.Errorf("no grid with a boundary under %s", county)
	}
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, poly := range n.Boundary {
		for _, ring := range poly {
			for _, p := range ring {
				minX, minY, maxX, maxY = math.Min(minX, p.Lng), math.Min(minY, p.Lat), math.Max(maxX, p.Lng), math.Max(maxY, p.Lat)
			}
		}
	}
	var in []geo.Point
	const k = 24
	for i := 1; i < k; i++ {
		for j := 1; j < k; j++ {
			p := geo.Point{Lng: minX + (maxX-minX)*float64(i)/k, Lat: minY + (maxY-minY)*float64(j)/k}
			if loc, err := m.Regions.Locate(p, region.WGS84); err == nil && loc.Grid.Code == n.Code {
				in = append(in, p)
			}
		}
	}
	if len(in) == 0 {
		return "", geo.Point{}, fmt.Errorf("no point inside grid %s", n.Code)
	}
	var cx, cy float64
	for _, p := range in {
		cx, cy = cx+p.Lng/float64(len(in)), cy+p.Lat/float64(len(in))
	}
	sort.Slice(in, func(i, j int) bool {
		return math.Hypot(in[i].Lng-cx, in[i].Lat-cy) < math.Hypot(in[j].Lng-cx, in[j].Lat-cy)
	})
	return n.Code, in[0], nil
}

// token returns an API token of a demo account, made once per server.
func (e *env) token(t testing.TB, username string) string {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if tok, ok := e.tokens[username]; ok {
		return tok
	}
	ctx := context.Background()
	u, err := e.m.Accounts.ByUsername(ctx, username)
	if err != nil {
		t.Fatalf("user %s: %v", username, err)
	}
	tok, err := e.m.Accounts.CreateToken(ctx, auth.System("test"), u.ID, "open311 test")
	if err != nil {
		t.Fatalf("token for %s: %v", username, err)
	}
	e.tokens[username] = tok
	return tok
}

// shift moves the database clock (filing "in the past").
func (e *env) shift(d time.Duration) { e.clock.Store(int64(d)) }

// response is a fully read HTTP response.
type response struct {
	t      testing.TB
	Method string
	Path   string
	Status int
	Header http.Header
	Body   []byte
}

func (r *response) String() string {
	b := string(r.Body)
	if len(b) > 800 {
		b = b[:800] + "…"
	}
	return fmt.Sprintf("%s %s → %d %s: %s", r.Method, r.Path, r.Status, r.Header.Get("Content-Type"), b)
}

// do sends a request; a url.Values body is sent as a form. hdr is key,
// value pairs.
func (e *env) do(t testing.TB, method, path string, form url.Values, hdr ...string) *response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		t.Fatalf("request %s %s: %v", method, path, err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read: %v", method, path, err)
	}
	return &response{t: t, Method: method, Path: path, Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func (e *env) get(t testing.TB, path string, hdr ...string) *response {
	t.Helper()
	return e.do(t, "GET", path, nil, hdr...)
}

func (e *env) post(t testing.TB, path string, form url.Values, hdr ...string) *response {
	t.Helper()
	return e.do(t, "POST", path, form, hdr...)
}

func (r *response) want(status int) *response {
	r.t.Helper()
	if r.Status != status {
		r.t.Fatalf("want %d, got %s", status, r)
	}
	return r
}

// json parses a JSON body, checking the media type.
func (r *response) json() any {
	r.t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		r.t.Fatalf("want application/json; charset=utf-8, got %s", r)
	}
	var v any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		r.t.Fatalf("JSON does not parse: %v: %s", err, r)
	}
	return v
}

// jsonList is a JSON body that must be an array of objects.
func (r *response) jsonList() []map[string]any {
	r.t.Helper()
	arr, ok := r.json().([]any)
	if !ok {
		r.t.Fatalf("want a JSON array: %s", r)
	}
	out := make([]map[string]any, len(arr))
	for i, it := range arr {
		if out[i], ok = it.(map[string]any); !ok {
			r.t.Fatalf("item %d is not an object: %s", i, r)
		}
	}
	return out
}

// xnode is any XML element, for checks that do not trust the package's
// own types.
type xnode struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Kids    []xnode    `xml:",any"`
}

func (n xnode) kid(name string) (xnode, bool) {
	for _, k := range n.Kids {
		if k.XMLName.Local == name {
			return k, true
		}
	}
	return xnode{}, false
}

// xml parses an XML body, checking the media type and the declaration.
func (r *response) xml() xnode {
	r.t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "text/xml; charset=utf-8" {
		r.t.Fatalf("want text/xml; charset=utf-8, got %s", r)
	}
	if !strings.HasPrefix(string(r.Body), `<?xml version="1.0" encoding="utf-8"?>`) {
		r.t.Fatalf("XML lacks the declaration: %s", r)
	}
	var n xnode
	if err := xml.Unmarshal(r.Body, &n); err != nil {
		r.t.Fatalf("XML does not parse: %v: %s", err, r)
	}
	return n
}

// both fetches path in both formats (path has no suffix; query may be "")
// and checks that the two carry the same data. It returns the JSON value
// and the XML root.
func (e *env) both(t testing.TB, path, query string, status int, hdr ...string) (any, xnode) {
	t.Helper()
	if query != "" {
		query = "?" + query
	}
	rj := e.get(t, path+".json"+query, hdr...).want(status)
	rx := e.get(t, path+".xml"+query, hdr...).want(status)
	j, x := rj.json(), rx.xml()
	spark(t, x.XMLName.Local, x, j)
	return j, x
}

// spark checks that an XML element and a JSON value say the same under the
// Spark convention: an element whose children are list items is an array,
// an element with named children an object, an empty element null, text a
// string, number or boolean.
func spark(t testing.TB, path string, x xnode, j any) {
	t.Helper()
	text := strings.TrimSpace(x.Text)
	switch v := j.(type) {
	case []any:
		if len(x.Kids) != len(v) {
			t.Errorf("%s: %d XML items, %d JSON items", path, len(x.Kids), len(v))
			return
		}
		if text != "" {
			t.Errorf("%s: list element has text %q", path, text)
		}
		for i, k := range x.Kids {
			spark(t, fmt.Sprintf("%s/%s[%d]", path, k.XMLName.Local, i), k, v[i])
		}
	case map[string]any:
		seen := map[string]bool{}
		for _, k := range x.Kids {
			name := k.XMLName.Local
			if seen[name] {
				t.Errorf("%s: element %s repeated", path, name)
			}
			seen[name] = true
			jv, ok := v[name]
			if !ok {
				t.Errorf("%s: XML has %s, JSON does not", path, name)
				continue
			}
			spark(t, path+"/"+name, k, jv)
		}
		for name := range v {
			if !seen[name] {
				t.Errorf("%s: JSON has %s, XML does not", path, name)
			}
		}
	case nil:
		if text != "" || len(x.Kids) > 0 {
			t.Errorf("%s: JSON null but XML has %q", path, text)
		}
	case string:
		if x.Text != v || len(x.Kids) > 0 {
			t.Errorf("%s: JSON %q, XML %q", path, v, x.Text)
		}
	case float64:
		f, err := strconv.ParseFloat(text, 64)
		if err != nil || f != v {
			t.Errorf("%s: JSON %v, XML %q", path, v, text)
		}
	case bool:
		if text != strconv.FormatBool(v) {
			t.Errorf("%s: JSON %v, XML %q", path, v, text)
		}
	default:
		t.Errorf("%s: unexpected JSON %T", path, j)
	}
}

// Field kinds of the spec's response tables.
const (
	kString   = "string"    // non-empty string
	kText     = "text"      // string, may be empty
	kOptional = "string?"   // string or null ("may not be returned")
	kNumber   = "number"    // JSON number
	kBool     = "bool"      // JSON boolean
	kTime     = "datetime"  // W3C datetime with +08:00
	kOptTime  = "datetime?" // the same or null
	kArray    = "array"     // JSON array
)

var w3RE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$`)

// fields checks that obj has exactly the fields of the table, each of its
// kind.
func fields(t testing.TB, where string, obj map[string]any, table map[string]string) {
	t.Helper()
	for name, kind := range table {
		v, ok := obj[name]
		if !ok {
			t.Errorf("%s: required field %s missing", where, name)
			continue
		}
		okKind := false
		switch kind {
		case kString:
			s, isS := v.(string)
			okKind = isS && s != ""
		case kText:
			_, okKind = v.(string)
		case kOptional:
			_, isS := v.(string)
			okKind = isS || v == nil
		case kNumber:
			_, okKind = v.(float64)
		case kBool:
			_, okKind = v.(bool)
		case kTime, kOptTime:
			s, isS := v.(string)
			okKind = (isS && w3RE.MatchString(s)) || (kind == kOptTime && v == nil)
		case kArray:
			_, okKind = v.([]any)
		}
		if !okKind {
			t.Errorf("%s: field %s = %#v is not %s", where, name, v, kind)
		}
	}
	for name := range obj {
		if _, ok := table[name]; !ok {
			t.Errorf("%s: field %s is not in the spec's table", where, name)
		}
	}
}

// wantErrors checks the spec's error array in both formats for a request
// that fails with status, and returns the descriptions (JSON).
func wantErrors(t testing.TB, rj, rx *response, status int) []string {
	t.Helper()
	rj.want(status)
	rx.want(status)
	list := rj.jsonList()
	x := rx.xml()
	if x.XMLName.Local != "errors" {
		t.Fatalf("XML error root is %s: %s", x.XMLName.Local, rx)
	}
	if len(list) == 0 || len(x.Kids) != len(list) {
		t.Fatalf("want a non-empty error array in both formats: %s / %s", rj, rx)
	}
	var ds []string
	for i, e := range list {
		fields(t, "error", e, map[string]string{"code": kNumber, "description": kString})
		if e["code"] != float64(status) {
			t.Errorf("error code %v, HTTP %d", e["code"], status)
		}
		k := x.Kids[i]
		code, _ := k.kid("code")
		desc, _ := k.kid("description")
		if k.XMLName.Local != "error" || code.Text != strconv.Itoa(status) || strings.TrimSpace(desc.Text) == "" {
			t.Errorf("XML error %d malformed: %s", i, rx)
		}
		ds = append(ds, e["description"].(string))
	}
	return ds
}

// report is a valid form for a safety hazard at the env's point.
func (e *env) report(t testing.TB, user string, extra url.Values) url.Values {
	t.Helper()
	f := url.Values{
		"api_key":      {e.token(t, user)},
		"service_code": {"1501"},
		"lat":          {strconv.FormatFloat(e.point.Lat, 'f', 7, 64)},
		"long":         {strconv.FormatFloat(e.point.Lng, 'f', 7, 64)},
		"description":  {"楼道被杂物堵住，消防通道不通"},
	}
	for k, v := range extra {
		f[k] = v
	}
	return f
}

// file posts a report and returns its service_request_id.
func (e *env) file(t testing.TB, form url.Values, hdr ...string) string {
	t.Helper()
	list := e.post(t, "/open311/v2/requests.json", form, hdr...).want(http.StatusCreated).jsonList()
	if len(list) != 1 {
		t.Fatalf("want one request in the answer, got %v", list)
	}
	id, _ := list[0]["service_request_id"].(string)
	if id == "" {
		t.Fatalf("no service_request_id in %v", list)
	}
	return id
}

// caseByNo finds a case through the domain, for workflow steps.
func (e *env) caseByNo(t testing.TB, no string) cases.Case {
	t.Helper()
	f := cases.Filter{Channel: cases.ChannelOpen311, Limit: 500}
	for {
		cs, next, err := e.m.Cases.List(context.Background(), auth.System("test"), f)
		if err != nil {
			t.Fatalf("list cases: %v", err)
		}
		for _, c := range cs {
			if c.No == no {
				return c
			}
		}
		if next == "" {
			t.Fatalf("case %s not found", no)
		}
		f.After = next
	}
}

// act runs a workflow step as the platform.
func (e *env) act(t testing.TB, no string, a cases.Action, in cases.Input) cases.Case {
	t.Helper()
	c, err := e.m.Cases.Act(context.Background(), auth.System("test"), e.caseByNo(t, no).ID, a, in, "")
	if err != nil {
		t.Fatalf("%s %s: %v", a, no, err)
	}
	return c
}

// requestsByID indexes a GET requests answer.
func requestsByID(list []map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, r := range list {
		out[r["service_request_id"].(string)] = r
	}
	return out
}

func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}
