package web

import (
	"net/http"
	"strings"

	"civicgrid/internal/api"
	"civicgrid/internal/auth"
	"civicgrid/internal/cases"
	"civicgrid/internal/errs"
	"civicgrid/internal/region"
)

type respData struct {
	Node    *region.Node
	Entries []respRow
	Groups  []catGroup
	Units   []cases.Unit
}

type respRow struct {
	Category, Unit string
}

// responsibilitiesPage shows a region's own entries of the responsibility
// map (which unit handles which category here) and, for administrators of
// the region, a form to set one.
func (s *Server) responsibilitiesPage(w http.ResponseWriter, r *http.Request) {
	s.showResponsibilities(w, r, http.StatusOK, nil)
}

func (s *Server) showResponsibilities(w http.ResponseWriter, r *http.Request, status int, formErr error) {
	a, _ := auth.FromContext(r.Context())
	n, err := s.regions.Get(a, r.PathValue("code"))
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p := s.page(r, "", "regions", nil)
	p.Title = p.T("resp.title", n.Name)
	if r.URL.Query().Get("saved") != "" && formErr == nil {
		p.Notice = p.T("resp.saved")
	}
	entries, err := s.cases.Responsibilities(r.Context(), a, n.Code)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	groups, byCode, _ := s.categories(r.Context(), p.Lang)
	d := &respData{Node: n, Groups: groups}
	for _, e := range entries {
		name := p.T("resp.catch_all")
		if k, ok := byCode[e.CategoryCode]; ok {
			name = e.CategoryCode + " " + catName(p.Lang, k)
		} else if e.CategoryCode != cases.CatchAll {
			for _, g := range groups {
				if g.Code == e.CategoryCode {
					name = g.Code + " " + g.Name
				}
			}
		}
		d.Entries = append(d.Entries, respRow{Category: name, Unit: e.UnitName})
	}
	if p.Can("region.write") && a.InScope(n.Path) {
		d.Units, _ = s.cases.UnitsAround(r.Context(), a, n.Code)
	}
	if formErr != nil {
		e := errs.As(formErr)
		p.Error = s.cat.Error(p.Lang, e)
		p.Form = map[string]string{"category": r.PostFormValue("category"), "unit_id": r.PostFormValue("unit_id")}
	}
	p.Data = d
	s.render(w, r, status, "responsibilities", p)
}

func (s *Server) setResponsibility(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	code := r.PathValue("code")
	err := s.cases.SetResponsibility(r.Context(), a, cases.Responsibility{
		CategoryCode: strings.TrimSpace(r.PostFormValue("category")), RegionCode: code, UnitID: r.PostFormValue("unit_id"),
	})
	if err != nil {
		s.showResponsibilities(w, r, api.Status(err), err)
		return
	}
	http.Redirect(w, r, "/regions/"+code+"/responsibilities?saved=1", http.StatusSeeOther)
}
