// Package open311 serves the Open311 GeoReport v2 interface
// (http://wiki.open311.org/GeoReport_v2) under /open311/v2/: service
// discovery, the subcategories as services with their definitions, filing a
// report (a case of channel open311) with an API token as api_key, and
// reading requests, which are public as the spec wants them, without any
// reporter data. Every resource comes as .xml and .json; errors are the
// spec's error array in the format asked for.
package open311

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"log/slog"
	"net/http"
	"strings"

	"civicgrid/internal/api"
	"civicgrid/internal/auth"
	"civicgrid/internal/cases"
	"civicgrid/internal/errs"
	"civicgrid/internal/geo"
	"civicgrid/internal/i18n"
)

// Prefix is where the handler is mounted.
const Prefix = "/open311/v2/"

// Specification is the discovery token of GeoReport v2.
const Specification = "http://wiki.open311.org/GeoReport_v2"

// changeset marks the last change to this endpoint's services or their
// definitions (the attributes below); clients refresh their caches when it
// moves. Bump it with every change to classAttributes.
const changeset = "2026-11-29T00:00:00+08:00"

// Config describes the jurisdiction.
type Config struct {
	// Jurisdiction is the jurisdiction_id, e.g. "heze.gov.cn". A request that
	// names another one gets 404; empty accepts any.
	Jurisdiction string
	// BaseURL is the public scheme and host (https://grid.heze.gov.cn) for
	// the discovery document; empty uses the request's host.
	BaseURL string
	// Contact and KeyService are the discovery document's human-readable
	// help texts; empty uses a generic one in the request's language.
	Contact    string
	KeyService string
	// FindAddress places an address_string sent without lat and long
	// (region.Tree.FindAddress): the name of the region found and a point
	// inside it. Nil refuses such requests.
	FindAddress func(addr string) (name string, p geo.Point, err error)
}

// TokenChecker resolves an API token (the spec's api_key) to its account.
type TokenChecker interface {
	TokenActor(ctx context.Context, token, ip string) (auth.Actor, error)
}

// Handler serves everything under /open311/v2/.
type Handler struct {
	cfg    Config
	cases  *cases.Service
	tokens TokenChecker
	cat    *i18n.Catalog
	// reader reads cases for the public endpoints: the spec has no
	// per-user scope, so it sees the whole city, and the mapping to the wire
	// decides what leaves.
	reader auth.Actor
}

// New builds the handler.
func New(cfg Config, cs *cases.Service, tokens TokenChecker, catalog *i18n.Catalog) *Handler {
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &Handler{cfg: cfg, cases: cs, tokens: tokens, cat: catalog, reader: auth.System("open311")}
}

// format is the response format chosen by the resource's suffix.
type format int

const (
	formatXML format = iota
	formatJSON
)

// ServeHTTP routes by resource, format suffix and method.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rel, ok := strings.CutPrefix(r.URL.Path, Prefix)
	if !ok {
		// Mounted behind http.StripPrefix, or at the bare prefix.
		rel = strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, strings.TrimSuffix(Prefix, "/")), "/")
	}
	lang := langOf(r)
	dir, last := "", rel
	if i := strings.LastIndexByte(rel, '/'); i >= 0 {
		dir, last = rel[:i], rel[i+1:]
	}
	name, ext, hasExt := cutLast(last, '.')
	var f format
	switch strings.ToLower(ext) {
	case "xml":
		f = formatXML
	case "json":
		f = formatJSON
	default:
		f = negotiate(r)
		if rel == "" || (!hasExt && !knownResource(dir, name)) {
			h.errors(w, r, f, http.StatusNotFound, msgNotFound.in(lang, short(r.URL.Path)))
			return
		}
		h.errors(w, r, f, http.StatusBadRequest, msgFormat.in(lang))
		return
	}
	var get, post http.HandlerFunc
	switch {
	case dir == "" && name == "discovery":
		get = func(w http.ResponseWriter, r *http.Request) { h.discovery(w, r, f) }
	case dir == "" && name == "services":
		get = func(w http.ResponseWriter, r *http.Request) { h.services(w, r, f) }
	case dir == "services" && name != "":
		get = func(w http.ResponseWriter, r *http.Request) { h.definition(w, r, f, name) }
	case dir == "" && name == "requests":
		get = func(w http.ResponseWriter, r *http.Request) { h.listRequests(w, r, f) }
		post = func(w http.ResponseWriter, r *http.Request) { h.postRequest(w, r, f) }
	case dir == "requests" && name != "":
		get = func(w http.ResponseWriter, r *http.Request) { h.oneRequest(w, r, f, name) }
	case dir == "tokens" && name != "":
		get = func(w http.ResponseWriter, r *http.Request) { h.token(w, r, f, name) }
	default:
		h.errors(w, r, f, http.StatusNotFound, msgNotFound.in(lang, short(r.URL.Path)))
		return
	}
	// A POST names its jurisdiction in the form, read (with a size limit)
	// by the handler; everything else in the query.
	if r.Method != http.MethodPost && !h.jurisdictionOK(w, r, f, r.URL.Query().Get("jurisdiction_id")) {
		return
	}
	switch {
	case (r.Method == http.MethodGet || r.Method == http.MethodHead) && get != nil:
		get(w, r)
	case r.Method == http.MethodPost && post != nil:
		post(w, r)
	default:
		allow := []string{}
		if get != nil {
			allow = append(allow, "GET", "HEAD")
		}
		if post != nil {
			allow = append(allow, "POST")
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		h.errors(w, r, f, http.StatusMethodNotAllowed, msgMethod.in(lang, short(r.URL.Path), short(r.Method)))
	}
}

// jurisdictionOK answers 404 when the request names a jurisdiction this
// endpoint does not serve (the spec makes the parameter optional for an
// endpoint with one jurisdiction).
func (h *Handler) jurisdictionOK(w http.ResponseWriter, r *http.Request, f format, j string) bool {
	j = strings.TrimSpace(j)
	if j == "" || h.cfg.Jurisdiction == "" || strings.EqualFold(j, h.cfg.Jurisdiction) {
		return true
	}
	h.errors(w, r, f, http.StatusNotFound, msgJurisdiction.in(langOf(r), j, h.cfg.Jurisdiction))
	return false
}

// knownResource tells a resource asked for without a suffix (400: say the
// format) from a path that names nothing (404).
func knownResource(dir, name string) bool {
	switch dir {
	case "":
		return name == "discovery" || name == "services" || name == "requests"
	case "services", "requests", "tokens":
		return name != ""
	}
	return false
}

func cutLast(s string, sep byte) (before, after string, found bool) {
	if i := strings.LastIndexByte(s, sep); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}

// negotiate picks the error format when the suffix does not say: JSON if
// the client accepts it, else XML, the spec's required format.
func negotiate(r *http.Request) format {
	if strings.Contains(r.Header.Get("Accept"), "json") {
		return formatJSON
	}
	return formatXML
}

// langOf is the language of messages: Chinese unless English is asked for.
func langOf(r *http.Request) i18n.Lang { return api.Lang(r) }

const xmlDecl = `<?xml version="1.0" encoding="utf-8"?>` + "\n"

// write sends xmlV or jsonV, whichever the format asks for. The body is
// built first so an encoding failure never sends half a document.
func (h *Handler) write(w http.ResponseWriter, r *http.Request, f format, status int, xmlV, jsonV any) {
	var buf bytes.Buffer
	var ctype string
	var err error
	if f == formatJSON {
		ctype = "application/json; charset=utf-8"
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		err = enc.Encode(jsonV)
	} else {
		ctype = "text/xml; charset=utf-8"
		buf.WriteString(xmlDecl)
		enc := xml.NewEncoder(&buf)
		enc.Indent("", "  ")
		if err = enc.Encode(xmlV); err == nil {
			buf.WriteByte('\n')
		}
	}
	if err != nil {
		slog.ErrorContext(r.Context(), "open311: encode response", "err", err, "path", r.URL.Path)
		status = http.StatusInternalServerError
		buf.Reset()
		if f == formatJSON {
			buf.WriteString(`[{"code":500,"description":"internal error"}]` + "\n")
		} else {
			buf.WriteString(xmlDecl + "<errors><error><code>500</code><description>internal error</description></error></errors>\n")
		}
	}
	hd := w.Header()
	hd.Set("Content-Type", ctype)
	if hd.Get("Cache-Control") == "" || status >= 400 {
		hd.Set("Cache-Control", "no-store")
	}
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Add("Vary", "Accept-Language") // messages and descriptions follow it
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}

// errors sends the spec's error array; each entry's code is the HTTP status.
func (h *Handler) errors(w http.ResponseWriter, r *http.Request, f format, status int, descriptions ...string) {
	list := errorList{}
	for _, d := range descriptions {
		list.Items = append(list.Items, apiError{Code: status, Description: d})
	}
	h.write(w, r, f, status, list, list.Items)
}

// fail sends a domain error. The spec knows 404 for what does not exist, 403
// for a missing or bad api_key and 400 for everything else the client can
// fix; a failure of our own is 500 and goes to the log, not to the client.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, f format, err error) {
	e := errs.As(err)
	lang := langOf(r)
	var status int
	switch e.Code {
	case errs.NotFound:
		status = http.StatusNotFound
	case errs.Forbidden, errs.Unauthorized:
		status = http.StatusForbidden
	case errs.Invalid, errs.Conflict:
		status = http.StatusBadRequest
	default:
		slog.ErrorContext(r.Context(), "open311 request failed", "err", err, "path", r.URL.Path)
		h.errors(w, r, f, http.StatusInternalServerError, msgInternal.in(lang))
		return
	}
	items := []*errs.Error{e}
	if len(e.List) > 0 {
		items = e.List
	}
	var ds []string
	for _, it := range items {
		d := h.cat.Error(lang, it)
		if name := fieldNames[it.Field]; name != "" {
			d = name + ": " + d
		} else if it.Field != "" {
			d = it.Field + ": " + d
		}
		ds = append(ds, d)
	}
	h.errors(w, r, f, status, ds...)
}

func (h *Handler) discovery(w http.ResponseWriter, r *http.Request, f format) {
	lang := langOf(r)
	base := h.cfg.BaseURL
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	d := Discovery{Changeset: changeset, Contact: h.cfg.Contact, KeyService: h.cfg.KeyService}
	if d.Contact == "" {
		d.Contact = contactText.in(lang)
	}
	if d.KeyService == "" {
		d.KeyService = keyServiceText.in(lang)
	}
	d.Endpoints.Items = []Endpoint{{
		Specification: Specification, URL: base + strings.TrimSuffix(Prefix, "/"), Changeset: changeset, Type: "production",
		Formats: formatList{Items: []string{"text/xml", "application/json"}},
	}}
	w.Header().Set("Cache-Control", "public, max-age=300")
	h.write(w, r, f, http.StatusOK, d, d)
}
