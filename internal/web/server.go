// Package web owns the HTTP side: the one routing table (HTML pages and the
// JSON API), middleware, server-rendered pages and their templates. Handlers
// are thin; rules live in the domain packages.
package web

import (
	"civicgrid/internal/workcal"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"civicgrid/internal/account"
	"civicgrid/internal/api"
	"civicgrid/internal/auth"
	"civicgrid/internal/cases"
	"civicgrid/internal/i18n"
	"civicgrid/internal/ledger"
	"civicgrid/internal/live"
	"civicgrid/internal/market"
	"civicgrid/internal/media"
	"civicgrid/internal/people"
	"civicgrid/internal/region"
	"civicgrid/internal/store"
	"civicgrid/internal/suggest"
	"civicgrid/internal/survey"
	"civicgrid/internal/volunteer"
	"civicgrid/internal/web/assets"
	"civicgrid/internal/web/static"
)

//go:embed templates/*.html
var templateFS embed.FS

// Config is what the web layer needs beyond the domain services.
type Config struct {
	Version string
	// TileURL is a Leaflet tile URL template (e.g. 天地图); empty draws the
	// polygons on a plain background, with nothing fetched from outside.
	TileURL         string
	TileAttribution string
	// Demo shows the demo-accounts hint on the login page.
	Demo bool
	// PointsValidMonths is how long points stay valid (0 = forever); the
	// wallet says what will expire within 30 days.
	PointsValidMonths int
}

// Server holds the services and renders pages.
type Server struct {
	cfg      Config
	db       *store.DB
	cat      *i18n.Catalog
	regions  *region.Service
	accounts *account.Service
	people   *people.Service
	cases    *cases.Service
	live     *live.Hub
	vol      *volunteer.Service
	ledger   *ledger.Service
	markets  *market.Service
	surveys  *survey.Service
	api      *api.Handlers
	assets   *assets.Assets
	pages    map[string]*template.Template
	openapi  []byte
	metrics  *metrics
	handler  http.Handler
	log      *slog.Logger

	suggest *suggest.Service
	// holidays is the official calendar (a banner warns when a year is missing).
	holidays *workcal.Book
}

// Deps are the domain services the server serves.
type Deps struct {
	DB       *store.DB
	Catalog  *i18n.Catalog
	Regions  *region.Service
	Accounts *account.Service
	People   *people.Service
	Cases    *cases.Service
	Live     *live.Hub
	Photos   *media.Store
	Logger   *slog.Logger

	Volunteers *volunteer.Service
	Ledger     *ledger.Service
	Markets    *market.Service
	Surveys    *survey.Service

	Suggestions *suggest.Service
	Holidays    *workcal.Book
}

// New builds the server and its routing table.
func New(cfg Config, d Deps) (*Server, error) {
	a, err := assets.New(static.FS)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, db: d.DB, cat: d.Catalog, regions: d.Regions, accounts: d.Accounts, people: d.People, cases: d.Cases, live: d.Live, vol: d.Volunteers, ledger: d.Ledger, markets: d.Markets, surveys: d.Surveys, assets: a, log: d.Logger}
	s.api = &api.Handlers{DB: d.DB, Catalog: d.Catalog, Regions: d.Regions, Accounts: d.Accounts, People: d.People, Cases: d.Cases, Live: d.Live, Photos: d.Photos,
		Volunteers: d.Volunteers, Ledger: d.Ledger, Markets: d.Markets, Surveys: d.Surveys}
	s.suggest, s.api.Suggestions = d.Suggestions, d.Suggestions
	s.holidays, s.api.Holidays = d.Holidays, d.Holidays
	if s.log == nil {
		s.log = slog.Default()
	}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	s.metrics = newMetrics()
	var eps []api.Endpoint
	for _, rt := range s.routes() {
		eps = append(eps, api.Endpoint{Method: rt.method, Path: rt.path, Permission: string(rt.perm), Op: rt.doc})
	}
	if s.openapi, err = api.Document(cfg.Version, eps); err != nil {
		return nil, err
	}
	s.handler = s.buildMux()
	return s, nil
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Endpoints lists the routes as the OpenAPI document sees them (for tests).
func (s *Server) Endpoints() []api.Endpoint {
	var eps []api.Endpoint
	for _, rt := range s.routes() {
		eps = append(eps, api.Endpoint{Method: rt.method, Path: rt.path, Permission: string(rt.perm), Op: rt.doc})
	}
	return eps
}

func (s *Server) parseTemplates() error {
	funcs := template.FuncMap{
		"asset":     s.assets.MustPath,
		"join":      strings.Join,
		"add":       func(a, b int) int { return a + b },
		"roleName":  func(p *Page, r auth.Role) string { return p.T("role." + string(r)) },
		"levelName": func(p *Page, l region.Level) string { return p.T("level." + string(l)) },
		"revealArgs": func(p *Page, id, field, value string) revealArgs {
			return revealArgs{Page: p, ID: id, Field: field, Value: value}
		},
		"pct":         func(v float64) string { return strconv.FormatFloat(v*100, 'f', 1, 64) + "%" },
		"cst":         func(t time.Time) string { return t.In(chinaTime).Format("2006-01-02 15:04:05") },
		"beijingTime": beijing,
		"hours":       hoursText,
		"actionName": func(p *Page, action string) string {
			if k := "action." + action; p.cat.Has(k) {
				return p.T(k)
			}
			return action
		},
		"canSee": func(p *Page, code string) bool {
			info, ok := s.regions.Lookup(code)
			return ok && p.Actor.InScope(info.Path)
		},
	}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return err
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return err
	}
	s.pages = map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimPrefix(n, "templates/")
		if base == "layout.html" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return fmt.Errorf("template %s: %w", base, err)
		}
		s.pages[strings.TrimSuffix(base, ".html")] = t
	}
	return nil
}

// chinaTime is Beijing time, in which every time is shown (UTC+8, no DST).
var chinaTime = time.FixedZone("CST", 8*3600)

// revealArgs feeds the masked-field-with-reveal-button template.
type revealArgs struct {
	Page             *Page
	ID, Field, Value string
}

// Page is what every template gets.
type Page struct {
	Lang     i18n.Lang
	cat      *i18n.Catalog
	Actor    auth.Actor
	SignedIn bool
	CSRF     string
	Title    string
	Nav      string
	Data     any
	Error    string            // form-level error
	Errors   map[string]string // field → message
	Form     map[string]string // values to refill a form
	Notice   string
	Server   *Config
	Path     string
}

// T translates a catalogue key in the page's language.
func (p *Page) T(key string, args ...any) string { return p.cat.T(p.Lang, key, args...) }

// Can reports whether the viewer's role has a permission (for showing links;
// the handlers and domain check again).
func (p *Page) Can(perm string) bool { return p.SignedIn && p.Actor.Role.Has(auth.Permission(perm)) }

func (s *Server) page(r *http.Request, title, nav string, data any) *Page {
	a, ok := auth.FromContext(r.Context())
	return &Page{Lang: i18n.FromRequest(r), cat: s.cat, Actor: a, SignedIn: ok && a.UserID != "", CSRF: csrfToken(r), Title: title, Nav: nav, Data: data, Server: &s.cfg, Path: r.URL.RequestURI()}
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *Page) {
	t, ok := s.pages[name]
	if !ok {
		http.Error(w, "template "+name+" missing", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := t.ExecuteTemplate(w, "layout.html", p); err != nil {
		s.log.ErrorContext(r.Context(), "render", "template", name, "err", err)
	}
}

// Ready reports whether the database answers.
func (s *Server) Ready(ctx context.Context) error { return s.db.Ping(ctx) }
