package api

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"civicgrid/internal/account"
	"civicgrid/internal/audit"
	"civicgrid/internal/auth"
	"civicgrid/internal/cases"
	"civicgrid/internal/errs"
	"civicgrid/internal/geo"
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
	"civicgrid/internal/workcal"
)

// Handlers serves the JSON API. Each method is thin: parse, call the
// domain, write the answer.
type Handlers struct {
	DB       *store.DB
	Catalog  *i18n.Catalog
	Regions  *region.Service
	Accounts *account.Service
	People   *people.Service
	Cases    *cases.Service
	Live     *live.Hub
	Photos   *media.Store

	Volunteers *volunteer.Service
	Ledger     *ledger.Service
	Markets    *market.Service
	Surveys    *survey.Service

	// Suggestions is people's suggestions (人民建议征集).
	Suggestions *suggest.Service
	// Holidays is the official calendar deadlines count with.
	Holidays *workcal.Book
}

// respond writes the answer of a domain call with status, or its problem:
//
//	h.respond(w, r, http.StatusOK)(h.Cases.Get(ctx, actor(r), id))
func (h *Handlers) respond(w http.ResponseWriter, r *http.Request, status int) func(any, error) {
	return func(v any, err error) {
		if err != nil {
			h.fail(w, r, err)
			return
		}
		WriteJSON(w, status, v)
	}
}

func actor(r *http.Request) auth.Actor {
	a, _ := auth.FromContext(r.Context())
	return a
}

func (h *Handlers) fail(w http.ResponseWriter, r *http.Request, err error) {
	WriteError(w, r, h.Catalog, err)
}

func limitParam(r *http.Request) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 500 {
		return 0, errs.Field("limit", "err.range", 1, 500)
	}
	return n, nil
}

// Me returns the signed-in user.
func (h *Handlers) Me(w http.ResponseWriter, r *http.Request) {
	a := actor(r)
	u, err := h.Accounts.Get(r.Context(), a, a.UserID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{"user": u, "permissions": a.Role.Permissions()})
}

// Locate resolves lat/lng to a grid and its chain.
func (h *Handlers) Locate(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lat, err1 := strconv.ParseFloat(strings.TrimSpace(q.Get("lat")), 64)
	if err1 != nil {
		h.fail(w, r, errs.Field("lat", "err.number"))
		return
	}
	lng, err2 := strconv.ParseFloat(strings.TrimSpace(q.Get("lng")), 64)
	if err2 != nil {
		h.fail(w, r, errs.Field("lng", "err.number"))
		return
	}
	crs, err := region.ParseCRS(q.Get("crs"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusOK)(h.Regions.Locate(geo.Point{Lng: lng, Lat: lat}, crs))
}

// RegionView is a region on the wire.
type RegionView struct {
	region.Region
	Grids       int          `json:"grids"`
	Children    int          `json:"children"`
	HasBoundary bool         `json:"has_boundary"`
	Chain       []region.Ref `json:"chain,omitempty"`
}

func view(n *region.Node, chain bool) RegionView {
	v := RegionView{Region: n.Region, Grids: n.Grids, Children: len(n.Children), HasBoundary: n.Boundary != nil}
	v.Households = n.Households
	if chain {
		v.Chain = n.Chain()
	}
	return v
}

// RegionRoots lists the roots of the actor's scope.
func (h *Handlers) RegionRoots(w http.ResponseWriter, r *http.Request) {
	var out []RegionView
	for _, n := range h.Regions.Roots(actor(r)) {
		out = append(out, view(n, true))
	}
	WriteJSON(w, http.StatusOK, Page[RegionView]{Items: out})
}

// Region returns one region with its chain.
func (h *Handlers) Region(w http.ResponseWriter, r *http.Request) {
	n, err := h.Regions.Get(actor(r), r.PathValue("code"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, view(n, true))
}

// RegionChildren lists a region's children, a page at a time.
func (h *Handlers) RegionChildren(w http.ResponseWriter, r *http.Request) {
	limit, err := limitParam(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	kids, next, err := h.Regions.Children(actor(r), r.PathValue("code"), r.URL.Query().Get("cursor"), limit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := make([]RegionView, 0, len(kids))
	for _, n := range kids {
		out = append(out, view(n, false))
	}
	WriteJSON(w, http.StatusOK, Page[RegionView]{Items: out, NextCursor: next})
}

func (h *Handlers) geojson(w http.ResponseWriter, r *http.Request, level region.Level) {
	n, err := h.Regions.Get(actor(r), r.PathValue("code"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if level == "" {
		level = n.Level.Child()
		if level == "" {
			level = region.Grid
		}
	}
	w.Header().Set("Content-Type", "application/geo+json; charset=utf-8")
	w.Header().Set("Cache-Control", "private, max-age=60")
	// Once streaming starts, a failure can only cut the body short; the
	// client's JSON parser then reports it.
	if err := h.Regions.WriteGeoJSON(r.Context(), actor(r), n.Code, level, w); err != nil {
		slog.ErrorContext(r.Context(), "geojson stream cut short", "region", n.Code, "err", err)
	}
}

// Grids streams the grids under a region as GeoJSON.
func (h *Handlers) Grids(w http.ResponseWriter, r *http.Request) { h.geojson(w, r, region.Grid) }

// ChildrenGeoJSON streams a region's children as GeoJSON.
func (h *Handlers) ChildrenGeoJSON(w http.ResponseWriter, r *http.Request) { h.geojson(w, r, "") }

// ImportRegions takes a GeoJSON FeatureCollection and writes all of it or none.
func (h *Handlers) ImportRegions(w http.ResponseWriter, r *http.Request) {
	crs, err := region.ParseCRS(r.URL.Query().Get("crs"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusOK)(h.Regions.Import(r.Context(), actor(r), http.MaxBytesReader(w, r.Body, region.MaxImportBytes), crs))
}

// ListAccounts lists accounts in scope.
func (h *Handlers) ListAccounts(w http.ResponseWriter, r *http.Request) {
	limit, err := limitParam(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	us, next, err := h.Accounts.List(r.Context(), actor(r), account.ListFilter{RegionCode: q.Get("region"), Role: auth.Role(q.Get("role")), After: q.Get("cursor"), Limit: limit})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[account.User]{Items: us, NextCursor: next})
}

// CreateAccount adds an account.
func (h *Handlers) CreateAccount(w http.ResponseWriter, r *http.Request) {
	var in account.NewUser
	if err := decode(r, &in, 64<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusCreated)(h.Accounts.Create(r.Context(), actor(r), in))
}

// Account returns one account.
func (h *Handlers) Account(w http.ResponseWriter, r *http.Request) {
	h.respond(w, r, http.StatusOK)(h.Accounts.Get(r.Context(), actor(r), r.PathValue("id")))
}

// UpdateAccount changes an account's status and/or password.
func (h *Handlers) UpdateAccount(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Status   string `json:"status"`
		Password string `json:"password"`
	}
	if err := decode(r, &in, 16<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	id, a := r.PathValue("id"), actor(r)
	if in.Status == "" && in.Password == "" {
		h.fail(w, r, errs.Field("status", "err.required"))
		return
	}
	if in.Status != "" {
		if err := h.Accounts.SetStatus(r.Context(), a, id, in.Status); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if in.Password != "" {
		if err := h.Accounts.SetPassword(r.Context(), a, id, in.Password); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	h.Account(w, r)
}

// CreateToken issues an API token for an account.
func (h *Handlers) CreateToken(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
	}
	if err := decode(r, &in, 4<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	tok, err := h.Accounts.CreateToken(r.Context(), actor(r), r.PathValue("id"), in.Name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusCreated, map[string]string{"token": tok, "note": h.Catalog.T(Lang(r), "token.shown_once")})
}

// ListPeople lists residents (masked).
func (h *Handlers) ListPeople(w http.ResponseWriter, r *http.Request) {
	limit, err := limitParam(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	a := actor(r)
	if phone, id := q.Get("phone"), q.Get("id_number"); phone != "" || id != "" {
		kind, v := people.FieldPhone, phone
		if id != "" {
			kind, v = people.FieldID, id
		}
		ps, err := h.People.Find(r.Context(), a, kind, v)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		WriteJSON(w, http.StatusOK, Page[people.Person]{Items: ps})
		return
	}
	ps, next, err := h.People.List(r.Context(), a, people.Filter{RegionCode: q.Get("region"), After: q.Get("cursor"), Limit: limit})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[people.Person]{Items: ps, NextCursor: next})
}

// CreatePerson registers a resident.
func (h *Handlers) CreatePerson(w http.ResponseWriter, r *http.Request) {
	var in people.NewPerson
	if err := decode(r, &in, 16<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusCreated)(h.People.Create(r.Context(), actor(r), in))
}

// Person returns one resident (masked).
func (h *Handlers) Person(w http.ResponseWriter, r *http.Request) {
	h.respond(w, r, http.StatusOK)(h.People.Get(r.Context(), actor(r), r.PathValue("id")))
}

// RevealPerson returns one field in clear and audits it.
func (h *Handlers) RevealPerson(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Field  string `json:"field"`
		Reason string `json:"reason"`
	}
	if err := decode(r, &in, 4<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	v, err := h.People.Reveal(r.Context(), actor(r), r.PathValue("id"), in.Field, in.Reason)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, map[string]string{"field": in.Field, "value": v})
}

// Audit lists audit entries about records in the actor's scope.
func (h *Handlers) Audit(w http.ResponseWriter, r *http.Request) {
	a := actor(r)
	if err := a.Authorize(auth.AuditRead, a.RegionPath); err != nil {
		h.fail(w, r, err)
		return
	}
	limit, err := limitParam(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	var before int64
	if c := q.Get("cursor"); c != "" {
		if before, err = strconv.ParseInt(c, 10, 64); err != nil {
			h.fail(w, r, errs.Field("cursor", "err.number"))
			return
		}
	}
	path := a.RegionPath
	if path == "/" {
		path = ""
	}
	es, err := audit.List(r.Context(), h.DB, audit.Filter{RegionPath: path, ObjectType: q.Get("object_type"), ObjectID: q.Get("object_id"), BeforeSeq: before, Limit: limit})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	next := ""
	if len(es) > 0 && (limit == 0 && len(es) == 50 || len(es) == limit) {
		next = strconv.FormatInt(es[len(es)-1].Seq, 10)
	}
	WriteJSON(w, http.StatusOK, Page[audit.Entry]{Items: es, NextCursor: next})
}
