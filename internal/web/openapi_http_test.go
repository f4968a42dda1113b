package web_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"civicgrid/internal/i18n"
)

// isRouteMiss reports whether r is the mux's own "no such route" answer (a
// 404 problem with the err.route message, or a 405), as opposed to a
// handler's answer such as a record that does not exist.
func isRouteMiss(e *env, r *response) bool {
	if r.Status == http.StatusMethodNotAllowed {
		return true
	}
	if r.Status != http.StatusNotFound {
		return false
	}
	p := r.problem()
	return p.Code == "not_found" && p.Detail == e.m.Catalog.T(i18n.ZH, "err.route")
}

var pathParamRE = regexp.MustCompile(`\{([a-zA-Z_]+)\}`)

// TestOpenAPIMatchesRoutes: the document at /api/openapi.json and the
// routing table describe the same API, and every documented operation is
// actually served.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := sharedEnv(t)
	r := e.anon(t).get("/api/openapi.json").want(http.StatusOK)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("openapi.json content type %q", ct)
	}
	doc := r.obj()

	// Shape of an OpenAPI 3.x document.
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.") {
		t.Fatalf("openapi version %q, want 3.x", v)
	}
	if info, _ := doc["info"].(map[string]any); info == nil || info["title"] == "" || info["version"] == nil {
		t.Errorf("info missing title/version: %v", doc["info"])
	}
	paths, _ := doc["paths"].(map[string]any)
	if len(paths) == 0 {
		t.Fatalf("document has no paths")
	}
	comps, _ := doc["components"].(map[string]any)
	schemas, _ := comps["schemas"].(map[string]any)
	if len(schemas) == 0 {
		t.Fatalf("document has no components.schemas")
	}

	// Every $ref resolves to a component schema.
	refs := 0
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"]; ok {
				refs++
				s, _ := ref.(string)
				name, ok := strings.CutPrefix(s, "#/components/schemas/")
				if !ok || schemas[name] == nil {
					t.Errorf("%s: $ref %q does not resolve", at, s)
				}
			}
			for k, c := range x {
				walk(at+"/"+k, c)
			}
		case []any:
			for i, c := range x {
				walk(fmt.Sprintf("%s/%d", at, i), c)
			}
		}
	}
	walk("#", doc)
	if refs < 10 {
		t.Errorf("only %d $refs found; the walk is not seeing the document", refs)
	}

	// Routes → document.
	type key struct{ method, path string }
	routes := map[key]string{} // → permission
	for _, ep := range e.m.Web.Endpoints() {
		if !strings.HasPrefix(ep.Path, "/api/v1/") {
			continue
		}
		routes[key{ep.Method, ep.Path}] = ep.Permission
		if ep.Op == nil {
			t.Errorf("route %s %s has no OpenAPI operation", ep.Method, ep.Path)
			continue
		}
		item, _ := paths[ep.Path].(map[string]any)
		op, _ := item[strings.ToLower(ep.Method)].(map[string]any)
		if op == nil {
			t.Errorf("route %s %s is missing from the document", ep.Method, ep.Path)
			continue
		}
		if op["x-permission"] != ep.Permission {
			t.Errorf("%s %s: x-permission %v, route needs %s", ep.Method, ep.Path, op["x-permission"], ep.Permission)
		}
		// security: [] exactly for the public operations.
		sec, hasSec := op["security"].([]any)
		public := ep.Permission == "public"
		if public != (hasSec && len(sec) == 0) {
			t.Errorf("%s %s: permission %s but security %v", ep.Method, ep.Path, ep.Permission, op["security"])
		}
		// Path parameters are declared, and nothing else is "in: path".
		want := map[string]bool{}
		for _, m := range pathParamRE.FindAllStringSubmatch(ep.Path, -1) {
			want[m[1]] = true
		}
		params, _ := op["parameters"].([]any)
		for _, p := range params {
			pm, _ := p.(map[string]any)
			if pm["in"] == "path" {
				name, _ := pm["name"].(string)
				if !want[name] {
					t.Errorf("%s %s: undeclared path parameter %q", ep.Method, ep.Path, name)
				}
				if pm["required"] != true {
					t.Errorf("%s %s: path parameter %q not required", ep.Method, ep.Path, name)
				}
				delete(want, name)
			}
		}
		for name := range want {
			t.Errorf("%s %s: path parameter %q not documented", ep.Method, ep.Path, name)
		}
		resp, _ := op["responses"].(map[string]any)
		if resp["default"] == nil {
			t.Errorf("%s %s: no default (problem) response", ep.Method, ep.Path)
		}
		ok2xx := false
		for code := range resp {
			if strings.HasPrefix(code, "2") {
				ok2xx = true
			}
		}
		if !ok2xx {
			t.Errorf("%s %s: no 2xx response", ep.Method, ep.Path)
		}
	}
	if len(routes) < 15 {
		t.Fatalf("only %d /api/v1 routes in the table", len(routes))
	}

	// Real ids for path parameters, all inside demo_city's scope.
	var people struct{ Items []struct{ ID string } }
	e.as(t, "demo_city").get("/api/v1/people?limit=1").want(http.StatusOK).decode(&people)
	if len(people.Items) == 0 {
		t.Fatal("demo has no residents")
	}
	userID := e.user(t, "demo_resident").ID
	inside := deepPoint(t, e.node(t, e.user(t, "demo_grid").RegionCode).Boundary)
	var filed struct {
		Case struct{ ID, No string }
	}
	e.as(t, "demo_grid").postJSON("/api/v1/cases", map[string]any{"channel": "patrol", "category": "1101", "description": "openapi test", "lat": inside.Lat, "lng": inside.Lng}).
		want(http.StatusCreated).decode(&filed)
	var acts, shops, vols struct{ Items []struct{ ID string } }
	e.as(t, "demo_city").get("/api/v1/activities?limit=1").want(http.StatusOK).decode(&acts)
	e.as(t, "demo_city").get("/api/v1/markets").want(http.StatusOK).decode(&shops)
	e.as(t, "demo_city").get("/api/v1/volunteers?limit=1").want(http.StatusOK).decode(&vols)
	if len(acts.Items) == 0 || len(shops.Items) == 0 || len(vols.Items) == 0 {
		t.Fatal("demo has no activities, supermarkets or volunteers")
	}
	var qs, camps struct{ Items []struct{ ID string } }
	e.as(t, "demo_city").get("/api/v1/questionnaires").want(http.StatusOK).decode(&qs)
	e.as(t, "demo_city").get("/api/v1/campaigns").want(http.StatusOK).decode(&camps)
	if len(qs.Items) == 0 || len(camps.Items) == 0 {
		t.Fatal("demo has no questionnaires or campaigns")
	}
	fill := func(p string) string {
		return pathParamRE.ReplaceAllStringFunc(p, func(m string) string {
			switch {
			case m == "{code}":
				return "371722001"
			case m == "{id}" && strings.HasPrefix(p, "/api/v1/people/"):
				return people.Items[0].ID
			case m == "{id}" && strings.HasPrefix(p, "/api/v1/accounts/"):
				return userID
			case m == "{id}" && strings.HasPrefix(p, "/api/v1/cases/"):
				return filed.Case.ID
			case m == "{action}":
				return "accept"
			case m == "{no}":
				return filed.Case.No
			case m == "{id}" && strings.HasPrefix(p, "/api/v1/reporters/"):
				return "me"
			case m == "{id}" && strings.HasPrefix(p, "/api/v1/photos/"):
				return "0123456789abcdef0123456789abcdef"
			case m == "{id}" && strings.HasPrefix(p, "/api/v1/activities/"):
				return acts.Items[0].ID
			case m == "{id}" && strings.HasPrefix(p, "/api/v1/markets/"):
				return shops.Items[0].ID
			case m == "{id}" && strings.HasPrefix(p, "/api/v1/volunteers/"):
				return vols.Items[0].ID
			case m == "{id}" && strings.HasPrefix(p, "/api/v1/suggestions/"):
				return "01JAAAAAAAAAAAAAAAAAAAAAAA"
			case m == "{id}" && strings.HasPrefix(p, "/api/v1/questionnaires/"):
				return qs.Items[0].ID
			case m == "{id}" && strings.HasPrefix(p, "/api/v1/campaigns/"):
				return camps.Items[0].ID
			case m == "{year}":
				return "2033"
			case m == "{job}":
				return "01JAAAAAAAAAAAAAAAAAAAAAAA"
			case m == "{item}":
				return "01JAAAAAAAAAAAAAAAAAAAAAAA"
			case m == "{id}" && strings.HasPrefix(p, "/api/v1/follow/"):
				return "0123456789abcdef0123456789abcdef"
			case m == "{id}" && (strings.HasPrefix(p, "/api/v1/ledger/") || strings.HasPrefix(p, "/api/v1/signups/") || strings.HasPrefix(p, "/api/v1/orders/") || strings.HasPrefix(p, "/api/v1/teams/")):
				return "01JAAAAAAAAAAAAAAAAAAAAAAA"
			}
			t.Errorf("%s: no test value for %s", p, m)
			return "x"
		})
	}

	// Document → mux: every documented operation is served. Writes carry a
	// body with an unknown member, which every write handler refuses
	// before doing anything, so this changes no data.
	var ops []key
	for p, item := range paths {
		for m := range item.(map[string]any) {
			ops = append(ops, key{strings.ToUpper(m), p})
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].path+ops[i].method < ops[j].path+ops[j].method })
	for _, k := range ops {
		if _, ok := routes[k]; !ok {
			t.Errorf("documented %s %s is not in the routing table", k.method, k.path)
		}
		c := e.as(t, "demo_city")
		var body any
		if k.method != "GET" {
			body = `{"__probe__": true}`
		}
		path := fill(k.path)
		if k.path == "/api/v1/locate" { // its required query parameters
			path += fmt.Sprintf("?lat=%v&lng=%v", inside.Lat, inside.Lng)
		}
		op := paths[k.path].(map[string]any)[strings.ToLower(k.method)].(map[string]any)
		documented := documentedType(op)
		if documented == "text/event-stream" {
			// A stream never ends: check it opens with the right type.
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+path, nil)
			req.Header.Set("Authorization", "Bearer "+c.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("%s: %v", k.path, err)
			} else {
				// Following needs the reporter's token, which this probe lacks:
				// a handler 404 problem shows the route is served.
				refused := resp.StatusCode == 404 && strings.Contains(k.path, "/follow/") && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json")
				if !refused && (resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream")) {
					t.Errorf("%s: stream answered %d %s", k.path, resp.StatusCode, resp.Header.Get("Content-Type"))
				}
				resp.Body.Close()
			}
			cancel()
			continue
		}
		r := c.do(k.method, path, body)
		if isRouteMiss(e, r) {
			t.Errorf("documented %s %s is not served: %s", k.method, k.path, r)
			continue
		}
		switch {
		case r.Status >= 200 && r.Status < 300:
			if k.method != "GET" {
				t.Errorf("%s %s accepted a body with an unknown member: %s", k.method, k.path, r)
			}
			ct := r.Header.Get("Content-Type")
			if documented != "application/json" {
				if !strings.HasPrefix(ct, documented) {
					t.Errorf("%s %s: content type %q, documented %q", k.method, k.path, ct, documented)
				}
				break
			}
			if !strings.HasPrefix(ct, "application/json") {
				t.Errorf("%s %s: content type %q", k.method, k.path, ct)
			}
			checkAgainstSchema(t, k.method+" "+k.path, r, op, schemas)
		case r.Status >= 500:
			t.Errorf("%s %s: server error %s", k.method, k.path, r)
		default:
			r.problem() // every failure is a problem object
		}
		t.Logf("%-6s %-45s → %d", k.method, k.path, r.Status)
	}

	// The check above can fail: a path the mux does not serve is seen.
	if r := e.as(t, "demo_city").get("/api/v1/regions/371722001/nonexistent"); !isRouteMiss(e, r) {
		t.Errorf("route-miss detection is broken: %s", r)
	}
	if r := e.as(t, "demo_city").get("/api/v1/people/NOSUCHID"); isRouteMiss(e, r) || r.Status != http.StatusNotFound {
		t.Errorf("a missing record should be a handler 404, not a route miss: %s", r)
	}
}

// checkAgainstSchema checks a 2xx JSON answer carries the required members
// of its documented schema (and of the first item of a page).
func checkAgainstSchema(t *testing.T, what string, r *response, op map[string]any, schemas map[string]any) {
	t.Helper()
	var media map[string]any
	for code, v := range op["responses"].(map[string]any) {
		if strings.HasPrefix(code, "2") {
			c, _ := v.(map[string]any)["content"].(map[string]any)
			media, _ = c["application/json"].(map[string]any)
		}
	}
	if media == nil {
		return // not a JSON schema (GeoJSON)
	}
	resolve := func(s map[string]any) map[string]any {
		if ref, ok := s["$ref"].(string); ok {
			m, _ := schemas[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
			return m
		}
		return s
	}
	var check func(at string, schema map[string]any, v any)
	check = func(at string, schema map[string]any, v any) {
		schema = resolve(schema)
		obj, ok := v.(map[string]any)
		if !ok {
			t.Errorf("%s: %s is %T, schema wants an object", what, at, v)
			return
		}
		req, _ := schema["required"].([]any)
		for _, f := range req {
			if _, ok := obj[f.(string)]; !ok {
				t.Errorf("%s: %s lacks required member %q", what, at, f)
			}
		}
		props, _ := schema["properties"].(map[string]any)
		for name := range obj {
			if _, ok := props[name]; !ok && len(props) > 0 {
				t.Errorf("%s: %s has undocumented member %q", what, at, name)
			}
		}
		for name, ps := range props {
			pm := resolve(ps.(map[string]any))
			switch pm["type"] {
			case "object":
				if obj[name] != nil {
					check(at+"."+name, pm, obj[name])
				}
			case "array":
				arr, _ := obj[name].([]any)
				items, _ := pm["items"].(map[string]any)
				if len(arr) > 0 && items != nil && resolve(items)["type"] == "object" {
					check(at+"."+name+"[0]", items, arr[0])
				}
			}
		}
	}
	var body any
	r.decode(&body)
	check("body", media["schema"].(map[string]any), body)
}

// documentedType is the media type of an operation's success response.
func documentedType(op map[string]any) string {
	for code, resp := range op["responses"].(map[string]any) {
		if !strings.HasPrefix(code, "2") {
			continue
		}
		content, _ := resp.(map[string]any)["content"].(map[string]any)
		for mt := range content {
			return mt
		}
	}
	return "application/json"
}
