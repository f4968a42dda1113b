package web_test

import (
	"net/http"
	"strings"
	"testing"

	"civicgrid/internal/i18n"
)

// TestProblems: invalid input is a 400 problem object naming the field,
// Chinese by default and English on request.
func TestProblems(t *testing.T) {
	e := sharedEnv(t)
	cat := e.m.Catalog
	newUser := func(extra map[string]any) map[string]any {
		v := map[string]any{"username": uniq("problem"), "password": "Problem@2025", "role": "resident", "region_code": "371722001"}
		for k, x := range extra {
			v[k] = x
		}
		return v
	}

	cases := []struct {
		name   string
		send   func(c *client) *response
		field  string
		detail func(lang i18n.Lang) string // exact detail, when known
	}{
		{"bad phone", func(c *client) *response {
			return c.postJSON("/api/v1/accounts", newUser(map[string]any{"phone": "12345"}))
		}, "phone", nil},
		{"bad phone letters", func(c *client) *response {
			return c.postJSON("/api/v1/accounts", newUser(map[string]any{"phone": "138abc45678"}))
		}, "phone", nil},
		{"short password", func(c *client) *response {
			return c.postJSON("/api/v1/accounts", newUser(map[string]any{"password": "short"}))
		}, "password", func(l i18n.Lang) string { return cat.T(l, "err.account.password_short", 8) }},
		{"bad role", func(c *client) *response {
			return c.postJSON("/api/v1/accounts", newUser(map[string]any{"role": "emperor"}))
		}, "role", func(l i18n.Lang) string { return cat.T(l, "err.account.role") }},
		{"unknown region", func(c *client) *response {
			return c.postJSON("/api/v1/accounts", newUser(map[string]any{"region_code": "999999"}))
		}, "region_code", nil},
		{"bad lat", func(c *client) *response { return c.get("/api/v1/locate?lat=abc&lng=115.5") }, "lat",
			func(l i18n.Lang) string { return cat.T(l, "err.number") }},
		{"lat out of range", func(c *client) *response { return c.get("/api/v1/locate?lat=95&lng=115.5") }, "lat", nil},
		{"lat NaN", func(c *client) *response { return c.get("/api/v1/locate?lat=NaN&lng=115.5") }, "lat", nil},
		{"lng infinite", func(c *client) *response { return c.get("/api/v1/locate?lat=35&lng=-Inf") }, "lng", nil},
		{"bad lng", func(c *client) *response { return c.get("/api/v1/locate?lat=35&lng=") }, "lng", nil},
		{"bad crs", func(c *client) *response { return c.get("/api/v1/locate?lat=35&lng=115&crs=bd09") }, "crs", nil},
		{"bad limit", func(c *client) *response { return c.get("/api/v1/accounts?limit=0") }, "limit", nil},
		{"bad id number", func(c *client) *response {
			return c.postJSON("/api/v1/people", map[string]any{"grid_code": "371722001001001", "name": "错号", "id_number": "371722199001011236"})
		}, "id_number", nil},
		{"person in a town", func(c *client) *response {
			return c.postJSON("/api/v1/people", map[string]any{"grid_code": "371722001", "name": "镇上"})
		}, "grid_code", nil},
		{"wrong json type", func(c *client) *response {
			return c.postJSON("/api/v1/accounts", `{"username": 5}`)
		}, "username", nil},
		{"reveal unknown field", func(c *client) *response {
			return c.postJSON("/api/v1/people/x/reveal", map[string]any{"field": "salary"})
		}, "field", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var details [2]string
			for i, lang := range []i18n.Lang{i18n.ZH, i18n.EN} {
				c := e.as(t, "demo_city")
				if lang == i18n.EN {
					c.header.Set("Accept-Language", "en-US,en;q=0.9")
				}
				r := tc.send(c)
				p := r.wantProblem(http.StatusBadRequest, "invalid")
				if p.Field != tc.field {
					t.Errorf("%s: field %q, want %q (%s)", lang, p.Field, tc.field, r)
				}
				if p.Instance == "" || !strings.HasPrefix(p.Type, "urn:civicgrid:problem:") {
					t.Errorf("%s: problem type/instance %q %q", lang, p.Type, p.Instance)
				}
				if p.Title != cat.T(lang, "problem.invalid") {
					t.Errorf("%s: title %q", lang, p.Title)
				}
				if p.Detail == "" || strings.Contains(p.Detail, "err.") {
					t.Errorf("%s: detail %q is not a translated message", lang, p.Detail)
				}
				if lang == i18n.ZH && !hasHan(p.Detail) {
					t.Errorf("default detail is not Chinese: %q", p.Detail)
				}
				if lang == i18n.EN && hasHan(p.Detail) {
					t.Errorf("English detail has Chinese in it: %q", p.Detail)
				}
				if tc.detail != nil && p.Detail != tc.detail(lang) {
					t.Errorf("%s: detail %q, want %q", lang, p.Detail, tc.detail(lang))
				}
				details[i] = p.Detail
			}
			if details[0] == details[1] {
				t.Errorf("same detail in both languages: %q", details[0])
			}
		})
	}

	t.Run("unknown json member", func(t *testing.T) {
		c := e.as(t, "demo_city")
		name := uniq("unknown_member")
		r := c.postJSON("/api/v1/accounts", newUser(map[string]any{"username": name, "is_admin": true}))
		p := r.wantProblem(http.StatusBadRequest, "invalid")
		if !strings.Contains(p.Detail, "is_admin") {
			t.Errorf("detail %q does not name the unknown member", p.Detail)
		}
		if accountExists(e, name) {
			t.Errorf("account created despite the unknown member")
		}
		// Not JSON at all, and trailing garbage.
		c.postJSON("/api/v1/accounts", `{"username":`).wantProblem(http.StatusBadRequest, "invalid")
		c.postJSON("/api/v1/people", `[1,2]`).wantProblem(http.StatusBadRequest, "invalid")
	})

	t.Run("lang cookie", func(t *testing.T) {
		c := e.as(t, "demo_city")
		c.cookies["lang"] = "en"
		p := c.get("/api/v1/locate?lat=abc&lng=1").wantProblem(http.StatusBadRequest, "invalid")
		if p.Detail != cat.T(i18n.EN, "err.number") {
			t.Errorf("lang=en cookie: %q", p.Detail)
		}
		// Auth failures are problems too, in the asked-for language.
		p = e.anon(t).get("/api/v1/me", "Accept-Language", "en").wantProblem(http.StatusUnauthorized, "unauthorized")
		if p.Detail != cat.T(i18n.EN, "err.unauthorized") {
			t.Errorf("401 detail %q", p.Detail)
		}
		p = e.as(t, "demo_resident").get("/api/v1/audit").wantProblem(http.StatusForbidden, "forbidden")
		if p.Detail != cat.T(i18n.ZH, "err.forbidden") {
			t.Errorf("403 detail %q", p.Detail)
		}
	})
}
