package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"civicgrid/internal/account"
	"civicgrid/internal/api"
	"civicgrid/internal/audit"
	"civicgrid/internal/auth"
	"civicgrid/internal/cases"
	"civicgrid/internal/errs"
	"civicgrid/internal/i18n"
	"civicgrid/internal/people"
	"civicgrid/internal/region"
)

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		api.WriteJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "database": s.db.Dialect().String()})
		return
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"status": "ok", "database": s.db.Dialect().String(), "version": s.cfg.Version, "regions": s.regions.Tree().Len(), "grids": s.regions.Tree().GridCount()})
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(s.openapi)
}

// favicon answers browsers' automatic request without a 404 in every console.
func (s *Server) favicon(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		api.WriteError(w, r, s.cat, errs.New(errs.NotFound, "err.route"))
		return
	}
	s.errorPage(w, r, errs.New(errs.NotFound, "err.route"))
}

func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, err error) {
	p := s.page(r, "", "", nil)
	p.Title = p.T("problem." + string(errs.CodeOf(err)))
	p.Error = s.cat.Error(p.Lang, err)
	if errs.CodeOf(err) == errs.Internal {
		s.log.ErrorContext(r.Context(), "page failed", "err", err, "path", r.URL.Path)
	}
	s.render(w, r, api.Status(err), "error", p)
}

func (s *Server) setLang(w http.ResponseWriter, r *http.Request) {
	l, ok := i18n.Parse(r.PathValue("lang"))
	if !ok {
		l = i18n.Default
	}
	http.SetCookie(w, &http.Cookie{Name: "lang", Value: string(l), Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, Secure: secureCookies(r)})
	back := r.URL.Query().Get("back")
	if !safeNext(back) {
		back = "/"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// safeNext accepts only local paths, so ?next= cannot send a user elsewhere.
func safeNext(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") && !strings.HasPrefix(p, "/\\")
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "login", nil)
	p.Title = p.T("login.title")
	p.Form = map[string]string{"next": r.URL.Query().Get("next")}
	s.render(w, r, http.StatusOK, "login", p)
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	username, password, next := r.PostFormValue("username"), r.PostFormValue("password"), r.PostFormValue("next")
	tok, _, err := s.accounts.Login(r.Context(), username, password, clientIP(r), r.UserAgent())
	if err != nil {
		p := s.page(r, "", "login", nil)
		p.Title = p.T("login.title")
		p.Error = s.cat.Error(p.Lang, err)
		p.Form = map[string]string{"username": username, "next": next}
		status := api.Status(err)
		s.render(w, r, status, "login", p)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok, Path: "/", HttpOnly: true, Secure: secureCookies(r), SameSite: http.SameSiteLaxMode, MaxAge: int(account.DefaultConfig.SessionAbsolute.Seconds())})
	if !safeNext(next) {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.accounts.Logout(r.Context(), c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: secureCookies(r), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

type homeData struct {
	Root      *region.Node
	User      account.User
	People    int
	Accounts  int
	LevelKids string
	Reports   *cases.Reliability // the viewer's own reports, for those who file them
	Rates     *cases.Rates       // the last 30 days in the viewer's area, for those who read cases
	AlertsNew string             // how many new alerts a handler or dispatcher has ("" none)
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	u, err := s.accounts.Get(r.Context(), a, a.UserID)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	d := homeData{User: u}
	if n, ok := s.regions.Tree().Get(a.RegionCode); ok {
		d.Root = n
	}
	if a.Role.Has(auth.PersonRead) {
		d.People, _ = s.people.CountIn(r.Context(), a.RegionPath)
	}
	if a.Role.Has(auth.CaseReport) {
		if rel, err := s.cases.ReporterReliability(r.Context(), a, a.UserID); err == nil && rel.Filed > 0 {
			d.Reports = &rel
		}
	}
	if a.Role.Has(auth.CaseRead) {
		now := time.Now().In(chinaTime)
		to := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, chinaTime).AddDate(0, 0, 1)
		if rt, err := s.cases.Rates(r.Context(), a, a.RegionCode, to.AddDate(0, 0, -30), to); err == nil {
			d.Rates = &rt
		}
	}
	if a.Role.Has(auth.CaseHandle) || a.Role.Has(auth.CaseDispatch) {
		if n, err := s.cases.UnreadAlerts(r.Context(), a); err == nil && n > 0 {
			d.AlertsNew = strconv.Itoa(n)
			if n >= cases.MaxUnreadAlerts {
				d.AlertsNew += "+"
			}
		}
	}
	p := s.page(r, "", "home", d)
	p.Title = p.T("home.title")
	// Deadlines of a year without the official calendar count Monday to
	// Friday: staff who set or watch deadlines are told, and the city
	// administrator what to do.
	if s.holidays != nil && (a.Role.Has(auth.CaseDispatch) || a.Role == auth.CityAdmin) {
		if missing := s.holidays.Missing(time.Now()); len(missing) > 0 {
			p.Notice = p.T("home.holidays_missing", missing[0])
			if a.Role == auth.CityAdmin {
				p.Notice += p.T("home.holidays_import")
			}
		}
	}
	s.render(w, r, http.StatusOK, "home", p)
}

type regionData struct {
	Node     *region.Node
	Children []*region.Node
	Roots    []*region.Node
}

func (s *Server) regionsPage(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	roots := s.regions.Roots(a)
	if len(roots) == 1 {
		http.Redirect(w, r, "/regions/"+roots[0].Code, http.StatusSeeOther)
		return
	}
	p := s.page(r, "", "regions", regionData{Roots: roots})
	p.Title = p.T("regions.title")
	s.render(w, r, http.StatusOK, "regions", p)
}

func (s *Server) regionPage(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	n, err := s.regions.Get(a, r.PathValue("code"))
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p := s.page(r, n.Name, "regions", regionData{Node: n, Children: n.Children})
	s.render(w, r, http.StatusOK, "region", p)
}

type mapData struct {
	Node    *region.Node
	DataURL string
	Level   region.Level
}

func (s *Server) mapPage(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	n, err := s.regions.Get(a, r.PathValue("code"))
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	// Towns and below show their grids; higher levels show their children,
	// so a county map is a few hundred polygons, not thousands.
	d := mapData{Node: n, Level: n.Level.Child(), DataURL: "/api/v1/regions/" + n.Code + "/children.geojson"}
	if n.Level == region.Town || n.Level == region.Village {
		d.Level, d.DataURL = region.Grid, "/api/v1/regions/"+n.Code+"/grids.geojson"
	}
	if n.Level == region.Grid {
		d.Level, d.DataURL = region.Grid, "/api/v1/regions/"+n.ParentCode+"/grids.geojson"
	}
	p := s.page(r, n.Name, "regions", d)
	p.Title = p.T("map.title", n.Name)
	s.render(w, r, http.StatusOK, "map", p)
}

func (s *Server) importForm(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	n, err := s.regions.Get(a, r.PathValue("code"))
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	if err := a.Authorize(auth.RegionWrite, n.Path); err != nil {
		s.errorPage(w, r, err)
		return
	}
	p := s.page(r, "", "regions", importData{Node: n})
	p.Title = p.T("import.title", n.Name)
	s.render(w, r, http.StatusOK, "import", p)
}

type importData struct {
	Node     *region.Node
	Result   *region.ImportResult
	Problems []string
}

func (s *Server) importRegions(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	n, err := s.regions.Get(a, r.PathValue("code"))
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	d := importData{Node: n}
	p := s.page(r, "", "regions", &d)
	p.Title = p.T("import.title", n.Name)
	r.Body = http.MaxBytesReader(w, r.Body, region.MaxImportBytes+1<<20)
	f, _, err := r.FormFile("file")
	if err != nil {
		p.Errors = map[string]string{"file": p.T("import.need_file")}
		s.render(w, r, http.StatusBadRequest, "import", p)
		return
	}
	defer f.Close()
	crs, err := region.ParseCRS(r.PostFormValue("crs"))
	if err == nil {
		var res region.ImportResult
		res, err = s.regions.Import(r.Context(), a, f, crs)
		d.Result = &res
	}
	if err != nil {
		d.Result = nil
		e := errs.As(err)
		p.Error = s.cat.Error(p.Lang, e)
		for _, sub := range e.List {
			d.Problems = append(d.Problems, s.cat.Error(p.Lang, sub))
		}
		s.render(w, r, api.Status(err), "import", p)
		return
	}
	p.Notice = p.T("import.done", d.Result.Created, d.Result.Updated)
	s.render(w, r, http.StatusOK, "import", p)
}

type accountsData struct {
	Users  []account.User
	Next   string
	Region string
	Roles  []auth.Role
	Root   *region.Node
}

func (s *Server) accountsPage(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	q := r.URL.Query()
	us, next, err := s.accounts.List(r.Context(), a, account.ListFilter{RegionCode: q.Get("region"), Role: auth.Role(q.Get("role")), After: q.Get("cursor")})
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p := s.page(r, "", "accounts", accountsData{Users: us, Next: next, Region: q.Get("region")})
	p.Title = p.T("accounts.title")
	s.render(w, r, http.StatusOK, "accounts", p)
}

func (s *Server) assignable(a auth.Actor) []auth.Role {
	var out []auth.Role
	for _, role := range auth.Roles {
		if a.Role.CanAssign(role) {
			out = append(out, role)
		}
	}
	return out
}

func (s *Server) accountForm(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	p := s.page(r, "", "accounts", accountsData{Roles: s.assignable(a)})
	p.Title = p.T("accounts.new")
	p.Form = map[string]string{"region_code": a.RegionCode}
	s.render(w, r, http.StatusOK, "account_new", p)
}

func (s *Server) createAccount(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	in := account.NewUser{
		Username: r.PostFormValue("username"), Password: r.PostFormValue("password"), DisplayName: r.PostFormValue("display_name"),
		Role: auth.Role(r.PostFormValue("role")), RegionCode: strings.TrimSpace(r.PostFormValue("region_code")), Unit: r.PostFormValue("unit"), Phone: r.PostFormValue("phone"),
	}
	u, err := s.accounts.Create(r.Context(), a, in)
	if err != nil {
		p := s.page(r, "", "accounts", accountsData{Roles: s.assignable(a)})
		p.Title = p.T("accounts.new")
		e := errs.As(err)
		msg := s.cat.Error(p.Lang, e)
		if e.Field != "" {
			p.Errors = map[string]string{e.Field: msg}
		}
		p.Error = msg
		p.Form = map[string]string{"username": in.Username, "display_name": in.DisplayName, "role": string(in.Role), "region_code": in.RegionCode, "unit": in.Unit, "phone": r.PostFormValue("phone")}
		s.render(w, r, api.Status(err), "account_new", p)
		return
	}
	http.Redirect(w, r, "/accounts/"+u.ID+"?created=1", http.StatusSeeOther)
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	u, err := s.accounts.Get(r.Context(), a, r.PathValue("id"))
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p := s.page(r, u.DisplayName, "accounts", u)
	if r.URL.Query().Get("created") != "" {
		p.Notice = p.T("accounts.created")
	}
	s.render(w, r, http.StatusOK, "account", p)
}

func (s *Server) accountStatus(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	id := r.PathValue("id")
	if err := s.accounts.SetStatus(r.Context(), a, id, r.PostFormValue("status")); err != nil {
		s.errorPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/accounts/"+id, http.StatusSeeOther)
}

type peopleData struct {
	People []people.Person
	Next   string
	Region string
	Search string
}

func (s *Server) peoplePage(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	q := r.URL.Query()
	d := peopleData{Region: q.Get("region"), Search: strings.TrimSpace(q.Get("q"))}
	p := s.page(r, "", "people", &d)
	p.Title = p.T("people.title")
	var err error
	if d.Search != "" {
		kind := people.FieldPhone
		if len(strings.TrimSpace(d.Search)) >= 15 {
			kind = people.FieldID
		}
		d.People, err = s.people.Find(r.Context(), a, kind, d.Search)
		if err != nil && errs.Is(err, errs.Invalid) {
			p.Errors = map[string]string{"q": s.cat.Error(p.Lang, err)}
			err = nil
		}
	} else {
		d.People, d.Next, err = s.people.List(r.Context(), a, people.Filter{RegionCode: d.Region, After: q.Get("cursor")})
	}
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "people", p)
}

// revealField answers an htmx request with the clear value in place of the
// masked one; the domain writes the audit entry.
func (s *Server) revealField(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	v, err := s.people.Reveal(r.Context(), a, r.PathValue("id"), r.PostFormValue("field"), r.PostFormValue("reason"))
	if err != nil {
		s.htmxError(w, r, err)
		return
	}
	p := s.page(r, "", "", nil)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	tmplText(w, `<span class="revealed" title="`, p.T("people.revealed_logged"), `">`, v, `</span>`)
}

type auditData struct {
	Entries []audit.Entry
	Next    int64
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	path := a.RegionPath
	if path == "/" {
		path = ""
	}
	var before int64
	if c := r.URL.Query().Get("cursor"); c != "" {
		n, err := strconv.ParseInt(c, 10, 64)
		if err != nil || n < 0 {
			s.errorPage(w, r, errs.Field("cursor", "err.number"))
			return
		}
		before = n
	}
	es, err := audit.List(r.Context(), s.db, audit.Filter{RegionPath: path, BeforeSeq: before, Limit: 50})
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	d := auditData{Entries: es}
	if len(es) == 50 {
		d.Next = es[len(es)-1].Seq
	}
	p := s.page(r, "", "audit", d)
	p.Title = p.T("audit.title")
	s.render(w, r, http.StatusOK, "audit", p)
}
