package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"civicgrid/internal/account"
	"civicgrid/internal/auth"
	"civicgrid/internal/region"
)

// scopeOp is one column group of the scope matrix: a read or a write that
// acts on a region (the "object") picked inside the target region.
type scopeOp struct {
	name string
	perm auth.Permission
	// object picks the region acted on inside target, away from the
	// actor's own subtree where it can (so a "parent" cell really acts
	// outside the actor's scope); nil means the cell does not apply (no
	// village below a grid to import under).
	object func(target, avoid *region.Node) *region.Node
	// extra is a rule beyond permission and scope (roles one may assign).
	extra func(role auth.Role) bool
	// run sends the request; check then verifies the answer on success and
	// that nothing was written on refusal.
	run func(t *testing.T, e *env, c *client, obj *region.Node, k int) (r *response, check func(allowed bool))
}

func inSubtree(e *env, code string, root *region.Node) bool {
	n, ok := e.m.Regions.Tree().Get(code)
	return ok && strings.HasPrefix(n.Path, root.Path)
}

func scopeOps() []scopeOp {
	self := func(n, _ *region.Node) *region.Node { return n }
	return []scopeOp{
		{name: "reg", perm: auth.RegionRead, object: self,
			run: func(t *testing.T, e *env, c *client, obj *region.Node, k int) (*response, func(bool)) {
				r := c.get("/api/v1/regions/" + obj.Code)
				return r, func(ok bool) {
					if !ok {
						return
					}
					var v struct {
						Code  string       `json:"code"`
						Chain []region.Ref `json:"chain"`
					}
					r.decode(&v)
					if v.Code != obj.Code || len(v.Chain) == 0 || v.Chain[len(v.Chain)-1].Code != obj.Code {
						t.Errorf("region %s answered %+v", obj.Code, v)
					}
				}
			}},
		{name: "acc", perm: auth.AccountRead, object: self,
			run: func(t *testing.T, e *env, c *client, obj *region.Node, k int) (*response, func(bool)) {
				r := c.get("/api/v1/accounts?region=" + obj.Code)
				return r, func(ok bool) {
					if !ok {
						return
					}
					var page struct{ Items []account.User }
					r.decode(&page)
					for _, u := range page.Items {
						if !inSubtree(e, u.RegionCode, obj) {
							t.Errorf("accounts?region=%s listed %s of %s, outside the subtree", obj.Code, u.Username, u.RegionCode)
						}
					}
				}
			}},
		{name: "ppl", perm: auth.PersonRead, object: self,
			run: func(t *testing.T, e *env, c *client, obj *region.Node, k int) (*response, func(bool)) {
				r := c.get("/api/v1/people?region=" + obj.Code)
				return r, func(ok bool) {
					if !ok {
						return
					}
					var page struct {
						Items []struct {
							GridCode string `json:"grid_code"`
							Phone    string `json:"phone"`
						}
					}
					r.decode(&page)
					for _, p := range page.Items {
						if !inSubtree(e, p.GridCode, obj) {
							t.Errorf("people?region=%s listed a resident of %s", obj.Code, p.GridCode)
						}
						if p.Phone != "" && !strings.Contains(p.Phone, "****") {
							t.Errorf("people list shows an unmasked phone %q", p.Phone)
						}
					}
				}
			}},
		{name: "+acc", perm: auth.AccountWrite, object: self, extra: func(r auth.Role) bool { return r.CanAssign(auth.Resident) },
			run: func(t *testing.T, e *env, c *client, obj *region.Node, k int) (*response, func(bool)) {
				username := fmt.Sprintf("matrix_%04d", k)
				r := c.postJSON("/api/v1/accounts", map[string]any{"username": username, "password": "Matrix@2025", "role": "resident", "region_code": obj.Code}, c.withCSRF()...)
				return r, func(ok bool) {
					u, err := e.m.Accounts.ByUsername(context.Background(), username)
					if !ok {
						if err == nil {
							t.Errorf("refused account creation still wrote %s", username)
						}
						return
					}
					if r.Status != http.StatusCreated {
						t.Errorf("account created with status %d, want 201", r.Status)
					}
					if err != nil || u.RegionCode != obj.Code || u.Role != auth.Resident {
						t.Errorf("created account %s: %+v, %v", username, u, err)
					}
				}
			}},
		{name: "+ppl", perm: auth.PersonWrite, object: func(n, avoid *region.Node) *region.Node { return descendantAvoiding(n, region.Grid, avoid) },
			run: func(t *testing.T, e *env, c *client, grid *region.Node, k int) (*response, func(bool)) {
				ctx := context.Background()
				before, err := e.m.People.CountIn(ctx, grid.Path)
				if err != nil {
					t.Fatal(err)
				}
				r := c.postJSON("/api/v1/people", map[string]any{"grid_code": grid.Code, "name": fmt.Sprintf("矩阵居民%d", k), "phone": fmt.Sprintf("137%08d", k)}, c.withCSRF()...)
				return r, func(ok bool) {
					after, _ := e.m.People.CountIn(ctx, grid.Path)
					want := before
					if ok {
						want++
						if r.Status != http.StatusCreated {
							t.Errorf("person created with status %d, want 201", r.Status)
						}
						if v := r.obj(); v["grid_code"] != grid.Code || !strings.Contains(fmt.Sprint(v["phone"]), "****") {
							t.Errorf("created person: %s", r)
						}
					}
					if after != want {
						t.Errorf("residents in %s: %d → %d (allowed=%v)", grid.Code, before, after, ok)
					}
				}
			}},
		{name: "+imp", perm: auth.RegionWrite, object: func(n, avoid *region.Node) *region.Node { return descendantAvoiding(n, region.Village, avoid) },
			run: func(t *testing.T, e *env, c *client, village *region.Node, k int) (*response, func(bool)) {
				code := fmt.Sprintf("%s%03d", village.Code, 700+k%300)
				// Far from Heze (and from every other import of this
				// test), so it overlaps no sibling and no demo grid.
				fc := collection(feature(code, village.Code, "grid", fmt.Sprintf("矩阵网格%d", k), square(100+0.01*float64(k), 30, 0.003)))
				r := c.postJSON("/api/v1/regions/import", fc, c.withCSRF()...)
				return r, func(ok bool) {
					_, have := e.m.Regions.Tree().Get(code)
					if !ok {
						if have {
							t.Errorf("refused import still created %s", code)
						}
						return
					}
					var res struct{ Features, Created, Updated int }
					r.decode(&res)
					if !have || res.Created != 1 || res.Features != 1 {
						t.Errorf("import of %s: result %+v, in tree %v", code, res, have)
					}
				}
			}},
	}
}

// descendantAvoiding walks down from n to level l, at each step taking the
// first child outside avoid's subtree (the first child if there is none).
func descendantAvoiding(n *region.Node, l region.Level, avoid *region.Node) *region.Node {
	for n != nil && n.Level != l {
		if len(n.Children) == 0 {
			return nil
		}
		next := n.Children[0]
		if avoid != nil {
			for _, c := range n.Children {
				if !strings.HasPrefix(c.Path, avoid.Path) && !strings.HasPrefix(avoid.Path, c.Path) {
					next = c
					break
				}
			}
		}
		n = next
	}
	return n
}

// scopeTargets are the regions an account is tested against: inside its own
// subtree (a child, or the grid itself), a sibling of its scope root, and
// its scope root's parent. Missing ones (a city has no parent) are nil.
func scopeTargets(e *env, t *testing.T, u account.User) (names []string, targets []*region.Node) {
	root := e.node(t, u.RegionCode)
	own := root
	if root.Level != region.Grid {
		own = root.Children[0]
	}
	var sibling *region.Node
	if root.Parent != nil {
		for _, s := range root.Parent.Children {
			if s.Code != root.Code && s.Level == root.Level {
				sibling = s
				break
			}
		}
	}
	return []string{"own", "sibling", "parent"}, []*region.Node{own, sibling, root.Parent}
}

// runScopeMatrix runs every op against every target for each account and
// returns the printed matrix. session says whether to sign in by cookie
// instead of an API token.
func runScopeMatrix(t *testing.T, e *env, users []string, session bool, k *int) string {
	ops := scopeOps()
	var b strings.Builder
	via := "token"
	if session {
		via = "session"
	}
	fmt.Fprintf(&b, "\nscope matrix via %s — Y allowed and 2xx, . refused with 403 forbidden, - n/a, ! wrong\n", via)
	fmt.Fprintf(&b, "%-15s %-16s %-16s", "account", "role", "scope")
	tnames := []string{"own", "sibling", "parent"}
	for _, tn := range tnames {
		fmt.Fprintf(&b, "| %-26s", tn)
	}
	fmt.Fprintf(&b, "\n%-49s", "")
	for range tnames {
		var hs []string
		for _, op := range ops {
			hs = append(hs, fmt.Sprintf("%-4s", op.name))
		}
		fmt.Fprintf(&b, "| %-26s", strings.Join(hs, ""))
	}
	b.WriteString("\n")
	for _, name := range users {
		u := e.user(t, name)
		var c *client
		if session {
			c = e.login(t, name)
		} else {
			c = e.as(t, name)
		}
		_, targets := scopeTargets(e, t, u)
		root := e.node(t, u.RegionCode)
		fmt.Fprintf(&b, "%-15s %-16s %-16s", name, u.Role, u.RegionCode)
		for ti, target := range targets {
			var cells []string
			for _, op := range ops {
				var obj *region.Node
				if target != nil {
					avoid := root
					if ti == 0 {
						avoid = nil
					}
					obj = op.object(target, avoid)
				}
				if obj == nil {
					cells = append(cells, "-   ")
					continue
				}
				*k++
				allowed := u.Role.Has(op.perm) && strings.HasPrefix(obj.Path, u.RegionPath) && (op.extra == nil || op.extra(u.Role))
				label := fmt.Sprintf("%s via %s: %s %s %s", name, via, tnames[ti], op.name, obj.Code)
				var r *response
				var check func(bool)
				ok := t.Run(label, func(t *testing.T) {
					c.t = t
					r, check = op.run(t, e, c, obj, *k)
					if allowed {
						if r.Status < 200 || r.Status > 299 {
							t.Errorf("expected allowed, got %s", r)
						}
					} else {
						if r.Status != http.StatusForbidden {
							t.Errorf("expected 403 forbidden, got %s", r)
						} else if p := r.problem(); p.Code != "forbidden" {
							t.Errorf("expected problem code forbidden, got %q", p.Code)
						}
					}
					check(allowed)
				})
				switch {
				case !ok:
					cells = append(cells, "!   ")
				case allowed:
					cells = append(cells, "Y   ")
				default:
					cells = append(cells, ".   ")
				}
			}
			fmt.Fprintf(&b, "| %-26s", strings.Join(cells, ""))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestScopeMatrix: role × own subtree / sibling / parent × read / write;
// every forbidden cell is refused with 403 "forbidden" and writes nothing,
// every permitted cell succeeds. The expectation comes from the role table
// (auth grants) and the subtree rule, not from a hand-written list.
func TestScopeMatrix(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		k := 0
		// The demo accounts must be what the matrix assumes: one per role.
		roles := map[auth.Role]bool{}
		for _, name := range demoUsers {
			roles[e.user(t, name).Role] = true
		}
		if len(roles) != len(auth.Roles) {
			t.Fatalf("demo accounts cover %d roles, want %d", len(roles), len(auth.Roles))
		}
		t.Log(runScopeMatrix(t, e, demoUsers, false, &k))
		// A few rows again through the browser door: session cookie plus
		// the CSRF header. Scope must hold whichever door is used.
		t.Log(runScopeMatrix(t, e, []string{"demo_town", "demo_dept", "demo_grid"}, true, &k))

		// The matrix must have refused something and allowed something
		// of every kind, or it proves little.
		if k < 150 {
			t.Errorf("only %d cells ran", k)
		}
	})
}

// TestScopeListDefaults: without ?region= the lists cover exactly the
// actor's own subtree.
func TestScopeListDefaults(t *testing.T) {
	e := sharedEnv(t)
	for _, name := range []string{"demo_county", "demo_leader", "demo_grid", "demo_auditor"} {
		u := e.user(t, name)
		root := e.node(t, u.RegionCode)
		c := e.as(t, name)
		if u.Role.Has(auth.AccountRead) {
			var page struct{ Items []account.User }
			c.get("/api/v1/accounts?limit=200").want(http.StatusOK).decode(&page)
			if len(page.Items) == 0 {
				t.Errorf("%s sees no accounts", name)
			}
			for _, x := range page.Items {
				if !inSubtree(e, x.RegionCode, root) {
					t.Errorf("%s sees account %s of %s", name, x.Username, x.RegionCode)
				}
			}
		}
		if u.Role.Has(auth.PersonRead) {
			var page struct {
				Items []struct {
					ID       string `json:"id"`
					GridCode string `json:"grid_code"`
				}
			}
			c.get("/api/v1/people?limit=200").want(http.StatusOK).decode(&page)
			if len(page.Items) == 0 {
				t.Errorf("%s sees no residents", name)
			}
			for _, p := range page.Items {
				if !inSubtree(e, p.GridCode, root) {
					t.Errorf("%s sees resident of %s", name, p.GridCode)
				}
			}
		}
		var roots struct{ Items []struct{ Code string } }
		c.get("/api/v1/regions").want(http.StatusOK).decode(&roots)
		if len(roots.Items) != 1 || roots.Items[0].Code != u.RegionCode {
			t.Errorf("%s: region roots %+v, want [%s]", name, roots.Items, u.RegionCode)
		}
	}
	// A resident (region.read only) cannot list people or accounts at all.
	c := e.as(t, "demo_resident")
	c.get("/api/v1/people").wantProblem(http.StatusForbidden, "forbidden")
	c.get("/api/v1/accounts").wantProblem(http.StatusForbidden, "forbidden")
	c.get("/api/v1/audit").wantProblem(http.StatusForbidden, "forbidden")
	// Nobody signed in: 401.
	e.anon(t).get("/api/v1/regions").wantProblem(http.StatusUnauthorized, "unauthorized")
}
