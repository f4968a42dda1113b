package web

import (
	"net/http"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/region"
)

// ---- the case map -------------------------------------------------------------

type caseMapData struct {
	Node *region.Node // where the map starts: the viewer's own region
}

// caseMapPage shows open cases clustered by the regions below the viewer's
// own; casemap.js draws them from /api/v1/cases/map.geojson and drills down.
func (s *Server) caseMapPage(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	code := r.URL.Query().Get("region")
	if code == "" {
		code = a.RegionCode
	}
	n, ok := s.regions.Tree().Get(code)
	if !ok {
		s.errorPage(w, r, errs.New(errs.NotFound, "err.region.not_found", code))
		return
	}
	if err := a.Authorize(auth.CaseRead, n.Path); err != nil {
		s.errorPage(w, r, err)
		return
	}
	p := s.page(r, "", "casemap", caseMapData{Node: n})
	p.Title = p.T("casemap.title")
	s.render(w, r, http.StatusOK, "case_map", p)
}
