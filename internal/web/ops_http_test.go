package web_test

import (
	"net/http"
	"strings"
	"testing"

	"civicgrid/internal/i18n"
)

// TestOps: health, metrics, request ids and the API's 404.
func TestOps(t *testing.T) {
	e := sharedEnv(t)
	c := e.anon(t)

	t.Run("healthz", func(t *testing.T) {
		c := e.anon(t)
		r := c.get("/healthz").want(http.StatusOK)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("healthz content type %q", ct)
		}
		body := r.obj()
		if body["status"] != "ok" {
			t.Errorf("healthz status %v, want ok: %s", body["status"], r)
		}
		if body["database"] != "sqlite" {
			t.Errorf("healthz database %v, want sqlite", body["database"])
		}
		if n, _ := body["grids"].(float64); n < 1000 {
			t.Errorf("healthz grids %v, want the demo's thousands", body["grids"])
		}
	})

	t.Run("metrics", func(t *testing.T) {
		c := e.anon(t)
		c.get("/healthz").want(http.StatusOK)
		c.get("/api/v1/no-such-thing").want(http.StatusNotFound)
		r := c.get("/metrics").want(http.StatusOK)
		body := string(r.Body)
		for _, want := range []string{
			"# TYPE civicgrid_http_requests_total counter",
			`civicgrid_http_requests_total{route="GET /healthz",status="200"}`,
			`civicgrid_http_requests_total{route="/",status="404"}`,
			"civicgrid_http_request_duration_seconds_bucket",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %q", want)
			}
		}
	})

	t.Run("request id", func(t *testing.T) {
		seen := map[string]bool{}
		for _, path := range []string{"/healthz", "/healthz", "/api/v1/me", "/login", "/api/v1/nope", "/static/nope.css"} {
			r := c.get(path)
			id := r.Header.Get("X-Request-ID")
			if len(id) < 8 {
				t.Errorf("%s: X-Request-ID %q", path, id)
			}
			if seen[id] {
				t.Errorf("%s: X-Request-ID %q repeated", path, id)
			}
			seen[id] = true
		}
		// A caller's id is kept (for tracing across services); an absurd one is not.
		if got := c.get("/healthz", "X-Request-ID", "trace-abc-123").Header.Get("X-Request-ID"); got != "trace-abc-123" {
			t.Errorf("X-Request-ID not propagated: %q", got)
		}
		long := strings.Repeat("x", 65)
		if got := c.get("/healthz", "X-Request-ID", long).Header.Get("X-Request-ID"); got == long || got == "" {
			t.Errorf("over-long X-Request-ID handled wrongly: %q", got)
		}
		// Error responses carry it too, and the usual security headers.
		r := c.get("/api/v1/nope")
		if r.Header.Get("X-Request-ID") == "" || r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("error response headers: %v", r.Header)
		}
	})

	t.Run("unknown api path", func(t *testing.T) {
		want := e.m.Catalog.T(i18n.ZH, "err.route")
		for _, tc := range []struct{ method, path string }{
			{"GET", "/api/v1/nope"},
			{"GET", "/api/v2/regions"},
			{"POST", "/api/v1/nope"},
			{"GET", "/api/v1/regions/371722/nope"},
		} {
			cl := e.as(t, "demo_city")
			r := cl.do(tc.method, tc.path, nil)
			p := r.wantProblem(http.StatusNotFound, "not_found")
			if p.Detail != want {
				t.Errorf("%s %s: detail %q, want %q", tc.method, tc.path, p.Detail, want)
			}
			if p.Instance != tc.path {
				t.Errorf("%s %s: instance %q", tc.method, tc.path, p.Instance)
			}
		}
		// A page path that does not exist is an HTML page, not JSON.
		r := c.get("/no-such-page").want(http.StatusNotFound)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("page 404 content type %q", ct)
		}
	})
}
