package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"civicgrid/internal/account"
	"civicgrid/internal/audit"
	"civicgrid/internal/auth"
	"civicgrid/internal/i18n"
)

var seq atomic.Int64

// uniq makes a username no other test uses.
func uniq(prefix string) string { return fmt.Sprintf("%s_%d", prefix, seq.Add(1)) }

// newAccountForm is the account form for a resident in demo_town's town.
func newAccountForm(csrf, username string) url.Values {
	v := url.Values{"username": {username}, "password": {"Form@2025x"}, "role": {"resident"}, "region_code": {"371722001"}, "display_name": {"表单居民"}}
	if csrf != "" {
		v.Set("csrf", csrf)
	}
	return v
}

func accountExists(e *env, username string) bool {
	_, err := e.m.Accounts.ByUsername(context.Background(), username)
	return err == nil
}

// TestCSRF: cookie-authenticated writes need the double-submitted token;
// bearer-token API calls do not; cross-site browser writes are refused.
func TestCSRF(t *testing.T) {
	e := sharedEnv(t)
	csrfMsg := e.m.Catalog.T(i18n.ZH, "err.csrf")
	// A token of the right form, but not this browser's.
	foreign := e.anon(t)
	foreign.get("/login").want(http.StatusOK)
	wrong := foreign.csrf()
	if len(wrong) < 32 || wrong == "" {
		t.Fatalf("csrf cookie %q too short", wrong)
	}

	t.Run("logout", func(t *testing.T) {
		c := e.login(t, "demo_county")
		session := c.cookies[sessionCookie]
		for _, form := range []url.Values{{}, {"csrf": {wrong}}, {"csrf": {""}}, {"csrf": {c.csrf() + "x"}}} {
			r := c.postForm("/logout", form).want(http.StatusForbidden)
			if got := r.pageError(); got != csrfMsg {
				t.Errorf("logout with csrf %q: error %q, want %q", form.Get("csrf"), got, csrfMsg)
			}
			if c.cookies[sessionCookie] != session {
				t.Fatalf("a refused logout dropped the session cookie")
			}
			// The session is still alive on the server.
			c.get("/api/v1/me").want(http.StatusOK)
		}
		// The wrong header does not help either, even with the right form field.
		c.postForm("/logout", url.Values{"csrf": {c.csrf()}}, "X-CSRF-Token", wrong).want(http.StatusForbidden)
		c.get("/api/v1/me").want(http.StatusOK)

		r := c.postForm("/logout", url.Values{"csrf": {c.csrf()}}).want(http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != "/login" {
			t.Errorf("logout redirects to %q", loc)
		}
		if ck := r.cookie(sessionCookie); ck == nil || ck.MaxAge >= 0 {
			t.Errorf("logout does not clear the session cookie: %v", r.Cookies)
		}
		old := e.anon(t)
		old.cookies[sessionCookie] = session
		old.get("/api/v1/me").wantProblem(http.StatusUnauthorized, "unauthorized")
	})

	t.Run("form post", func(t *testing.T) {
		c := e.login(t, "demo_county")
		for _, csrf := range []string{"", wrong} {
			name := uniq("csrf_form")
			r := c.postForm("/accounts", newAccountForm(csrf, name)).want(http.StatusForbidden)
			if got := r.pageError(); got != csrfMsg {
				t.Errorf("csrf %q: error %q, want %q", csrf, got, csrfMsg)
			}
			if accountExists(e, name) {
				t.Errorf("csrf %q: account %s was created anyway", csrf, name)
			}
		}
		// The token in the header works for forms as well (htmx sends it so).
		name := uniq("csrf_form_hdr")
		c.postForm("/accounts", newAccountForm("", name), c.withCSRF()...).want(http.StatusSeeOther)
		if !accountExists(e, name) {
			t.Errorf("account %s not created with the CSRF header", name)
		}
		name = uniq("csrf_form_ok")
		r := c.postForm("/accounts", newAccountForm(c.csrf(), name)).want(http.StatusSeeOther)
		u, err := e.m.Accounts.ByUsername(context.Background(), name)
		if err != nil {
			t.Fatalf("account %s not created: %v", name, err)
		}
		if loc := r.Header.Get("Location"); loc != "/accounts/"+u.ID+"?created=1" {
			t.Errorf("created account redirects to %q", loc)
		}
		if u.Role != auth.Resident || u.RegionCode != "371722001" {
			t.Errorf("created account %+v", u)
		}
	})

	t.Run("api with session", func(t *testing.T) {
		c := e.login(t, "demo_county")
		body := func(name string) map[string]any {
			return map[string]any{"username": name, "password": "Api@2025xx", "role": "resident", "region_code": "371722001"}
		}
		for _, hdr := range [][]string{nil, {"X-CSRF-Token", wrong}, {"X-CSRF-Token", ""}} {
			name := uniq("csrf_api")
			p := c.postJSON("/api/v1/accounts", body(name), hdr...).wantProblem(http.StatusForbidden, "forbidden")
			if p.Detail != csrfMsg {
				t.Errorf("detail %q, want %q", p.Detail, csrfMsg)
			}
			if accountExists(e, name) {
				t.Errorf("account %s created without a valid CSRF token", name)
			}
		}
		name := uniq("csrf_api_ok")
		c.postJSON("/api/v1/accounts", body(name), c.withCSRF()...).want(http.StatusCreated)
		if !accountExists(e, name) {
			t.Errorf("account %s not created", name)
		}
		// Safe methods need no token.
		c.get("/api/v1/accounts?limit=1").want(http.StatusOK)
	})

	t.Run("bearer token needs no csrf", func(t *testing.T) {
		c := e.as(t, "demo_county")
		name := uniq("csrf_bearer")
		r := c.postJSON("/api/v1/accounts", map[string]any{"username": name, "password": "Api@2025xx", "role": "resident", "region_code": "371722001"}).want(http.StatusCreated)
		if v := r.obj(); v["username"] != name {
			t.Errorf("created %v", v)
		}
		// A token plus a stale session cookie: the token decides, no CSRF.
		c.cookies[sessionCookie] = "s_stale"
		c.do("PATCH", "/api/v1/accounts/"+r.obj()["id"].(string), map[string]any{"status": "disabled"}).want(http.StatusOK)
		// A broken Authorization header is 401, not a silent fallback.
		bad := e.anon(t)
		bad.get("/api/v1/me", "Authorization", "Basic Zm9vOmJhcg==").wantProblem(http.StatusUnauthorized, "unauthorized")
		bad.get("/api/v1/me", "Authorization", "Bearer cg_nope").wantProblem(http.StatusUnauthorized, "unauthorized")
	})

	t.Run("cross site", func(t *testing.T) {
		c := e.login(t, "demo_county")
		body := func(name string) map[string]any {
			return map[string]any{"username": name, "password": "Api@2025xx", "role": "resident", "region_code": "371722001"}
		}
		for _, hdr := range [][]string{
			{"Sec-Fetch-Site", "cross-site"},
			{"Sec-Fetch-Site", "same-site"},
			{"Origin", "https://evil.example"},
		} {
			name := uniq("xsite")
			r := c.postJSON("/api/v1/accounts", body(name), append(c.withCSRF(), hdr...)...)
			if r.Status != http.StatusForbidden {
				t.Errorf("%v: cross-site POST got %s", hdr, r)
			}
			if accountExists(e, name) {
				t.Errorf("%v: cross-site POST created %s", hdr, name)
			}
			// The HTML form door is closed the same way.
			fname := uniq("xsite_form")
			if r := c.postForm("/accounts", newAccountForm(c.csrf(), fname), hdr...); r.Status != http.StatusForbidden || accountExists(e, fname) {
				t.Errorf("%v: cross-site form POST got %d", hdr, r.Status)
			}
		}
		// Login CSRF: a cross-site login form post is refused too.
		a := e.anon(t)
		a.get("/login").want(http.StatusOK)
		r := a.postForm("/login", url.Values{"csrf": {a.csrf()}, "username": {"demo_town"}, "password": {demoPassword}}, "Sec-Fetch-Site", "cross-site")
		if r.Status != http.StatusForbidden || a.cookies[sessionCookie] != "" {
			t.Errorf("cross-site login: %d, session %q", r.Status, a.cookies[sessionCookie])
		}
		// Reads from elsewhere are fine, and so is a same-origin write.
		c.get("/api/v1/me", "Sec-Fetch-Site", "cross-site").want(http.StatusOK)
		name := uniq("samesite")
		c.postJSON("/api/v1/accounts", body(name), append(c.withCSRF(), "Sec-Fetch-Site", "same-origin")...).want(http.StatusCreated)
		name = uniq("sameorigin")
		c.postJSON("/api/v1/accounts", body(name), append(c.withCSRF(), "Origin", e.srv.URL)...).want(http.StatusCreated)
	})
}

var timeRE = regexp.MustCompile(`\d{1,2}:\d{2}`)

// TestLogin: lockout after five wrong passwords, one message for unknown
// users and wrong passwords, cookie flags, server-side logout.
func TestLogin(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		failed := e.m.Catalog.T(i18n.ZH, "err.login.failed")
		locked := e.m.Catalog.T(i18n.ZH, "err.login.locked", "HH:MM")

		t.Run("lockout", func(t *testing.T) {
			name := uniq("lockme")
			const pw = "Right@2025"
			if _, err := e.m.Accounts.Create(context.Background(), auth.System("test"), account.NewUser{Username: name, Password: pw, Role: auth.Resident, RegionCode: "371722001"}); err != nil {
				t.Fatal(err)
			}
			c := e.anon(t)
			for i := 1; i <= 5; i++ {
				r := c.login(name, fmt.Sprintf("wrong-%d-pass", i)).want(http.StatusUnauthorized)
				if got := r.pageError(); got != failed {
					t.Errorf("wrong password #%d: %q, want %q", i, got, failed)
				}
				if c.cookies[sessionCookie] != "" {
					t.Fatalf("wrong password #%d opened a session", i)
				}
			}
			for i := 6; i <= 7; i++ {
				r := c.login(name, pw)
				if r.Status != http.StatusUnauthorized || c.cookies[sessionCookie] != "" {
					t.Fatalf("attempt #%d with the right password after 5 wrong ones: %d, session %q", i, r.Status, c.cookies[sessionCookie])
				}
				got := r.pageError()
				if timeRE.ReplaceAllString(got, "HH:MM") != locked {
					t.Errorf("attempt #%d: %q, want the lockout message %q", i, got, locked)
				}
				if !strings.Contains(got, "锁定") {
					t.Errorf("lockout message %q is not the Chinese one", got)
				}
			}
			// A different account is not affected.
			e.login(t, "demo_town")

			// The lockout is in the audit log (it is there at all), and the
			// city auditor, whose scope covers the locked account, sees it.
			u := e.user(t, name)
			all, err := audit.List(context.Background(), e.m.DB, audit.Filter{ObjectType: "user", ObjectID: u.ID})
			if err != nil {
				t.Fatal(err)
			}
			inLog := false
			for _, en := range all {
				inLog = inLog || en.Action == "login.locked"
			}
			if !inLog {
				t.Fatalf("no login.locked audit entry for %s: %+v", name, all)
			}
			var page struct{ Items []audit.Entry }
			e.as(t, "demo_auditor").get("/api/v1/audit?object_type=user&object_id=" + u.ID).want(http.StatusOK).decode(&page)
			seen := false
			for _, en := range page.Items {
				seen = seen || en.Action == "login.locked"
			}
			if !seen {
				t.Errorf("the city auditor cannot see the login.locked entry of %s (region %s): %+v", name, u.RegionCode, page.Items)
			}
		})

		t.Run("unknown user", func(t *testing.T) {
			c := e.anon(t)
			r1 := c.login("no_such_user_"+uniq("x"), "Whatever@2025").want(http.StatusUnauthorized)
			r2 := c.login("demo_volunteer", "Whatever@2025").want(http.StatusUnauthorized)
			if r1.pageError() != r2.pageError() || r1.pageError() != failed {
				t.Errorf("unknown user %q vs wrong password %q; want both %q", r1.pageError(), r2.pageError(), failed)
			}
			// Reset the count on demo_volunteer so repeated runs never lock it.
			e.login(t, "demo_volunteer")
		})

		t.Run("cookie flags", func(t *testing.T) {
			c := e.anon(t)
			r := c.get("/login").want(http.StatusOK)
			cs := r.cookie(csrfCookie)
			if cs == nil || !cs.HttpOnly || !cs.Secure || cs.SameSite != http.SameSiteStrictMode || cs.Path != "/" {
				t.Errorf("csrf cookie flags: %+v", cs)
			}
			r = c.login("demo_town", demoPassword).want(http.StatusSeeOther)
			ck := r.cookie(sessionCookie)
			if ck == nil {
				t.Fatalf("no session cookie: %v", r.Cookies)
			}
			if !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" {
				t.Errorf("session cookie flags: HttpOnly=%v Secure=%v SameSite=%v Path=%q", ck.HttpOnly, ck.Secure, ck.SameSite, ck.Path)
			}
			if !strings.HasPrefix(ck.Value, "s_") || len(ck.Value) < 40 {
				t.Errorf("session token %q looks weak", ck.Value)
			}
			if loc := r.Header.Get("Location"); loc != "/" {
				t.Errorf("login redirects to %q", loc)
			}
			// ?next= is honoured for local paths only.
			for next, want := range map[string]string{"/regions": "/regions", "//evil.example/x": "/", "https://evil.example/": "/", `/\evil.example`: "/"} {
				c2 := e.anon(t)
				c2.get("/login")
				r := c2.postForm("/login", url.Values{"csrf": {c2.csrf()}, "username": {"demo_town"}, "password": {demoPassword}, "next": {next}}).want(http.StatusSeeOther)
				if loc := r.Header.Get("Location"); loc != want {
					t.Errorf("next=%q redirects to %q, want %q", next, loc, want)
				}
			}
		})

		t.Run("logout invalidates the session", func(t *testing.T) {
			c := e.login(t, "demo_town")
			session := c.cookies[sessionCookie]
			c.get("/").want(http.StatusOK)
			c.get("/api/v1/me").want(http.StatusOK)
			c.postForm("/logout", url.Values{"csrf": {c.csrf()}}).want(http.StatusSeeOther)

			replay := e.anon(t)
			replay.cookies[sessionCookie] = session
			r := replay.get("/regions").want(http.StatusSeeOther)
			if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, "/login") {
				t.Errorf("old session on a page redirects to %q, want /login", loc)
			}
			replay.cookies[sessionCookie] = session
			replay.get("/api/v1/me").wantProblem(http.StatusUnauthorized, "unauthorized")
			// Other sessions of the same user live on.
			other := e.login(t, "demo_town")
			other.get("/api/v1/me").want(http.StatusOK)
		})
	})
}

// TestTokenIssuance: issuing an API token acting as an account is as
// strong as setting its password, so it obeys the same rule: only for
// accounts in scope whose role the issuer may assign. Otherwise a grid
// leader could act as an official of the village, or a county official as
// a town official.
func TestTokenIssuance(t *testing.T) {
	e := sharedEnv(t)
	ctx := context.Background()
	// Fresh targets only: an allowed case resets the target's password,
	// which must not touch the demo accounts other tests sign in with.
	mk := func(role auth.Role, region string) string {
		t.Helper()
		u, err := e.m.Accounts.Create(ctx, auth.System("test"), account.NewUser{Username: uniq("token_target"), Password: "Target@2025", Role: role, RegionCode: region})
		if err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	village := e.user(t, "demo_leader").RegionCode
	town := e.user(t, "demo_town").RegionCode
	grid := e.user(t, "demo_grid").RegionCode
	cases := []struct {
		issuer, target, targetName string
		allowed                    bool
	}{
		{"demo_leader", mk(auth.Resident, village), "resident of the village", true},
		{"demo_leader", mk(auth.Official, village), "official of the village", false},
		{"demo_county", mk(auth.Official, town), "town official", false},
		{"demo_county", mk(auth.GridWorker, grid), "grid worker", true},
		{"demo_county", mk(auth.CityAdmin, "371700"), "city admin (out of scope)", false},
		{"demo_town", mk(auth.Auditor, town), "auditor of the town", false},
		{"demo_grid", mk(auth.Resident, grid), "resident (no account.write)", false},
	}
	for _, tc := range cases {
		t.Run(tc.issuer+" for "+tc.targetName, func(t *testing.T) {
			c := e.as(t, tc.issuer)
			r := c.postJSON("/api/v1/accounts/"+tc.target+"/tokens", map[string]any{"name": "probe"})
			// The same actor's password reset of that account, for comparison.
			pw := c.do("PATCH", "/api/v1/accounts/"+tc.target, map[string]any{"password": "Probe@2025xx"})
			if tc.allowed {
				r.want(http.StatusCreated)
				pw.want(http.StatusOK)
				if tok, _ := r.obj()["token"].(string); !strings.HasPrefix(tok, "cg_") {
					t.Errorf("token %q", tok)
				}
				return
			}
			if pw.Status != http.StatusForbidden {
				t.Errorf("password reset: %s", pw)
			}
			if r.Status != http.StatusForbidden {
				t.Fatalf("token issued for an account whose role %s may not manage (password reset says %d): %s", tc.issuer, pw.Status, r)
			}
			r.wantProblem(http.StatusForbidden, "forbidden")
		})
	}
}
