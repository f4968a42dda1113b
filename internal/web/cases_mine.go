package web

import (
	"net/http"
	"net/url"

	"civicgrid/internal/auth"
	"civicgrid/internal/cases"
)

type mineData struct {
	Rows   []caseRow
	Next   string
	Record *cases.Reliability
}

// myCases lists the cases the viewer reported, for residents, riders and
// volunteers who have no work list: stage and deadline of each, newest first.
func (s *Server) myCases(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	p := s.page(r, "", "mine", nil)
	p.Title = p.T("case.mine_title")
	cs, next, err := s.cases.List(r.Context(), a, cases.Filter{ReporterID: a.UserID, After: r.URL.Query().Get("cursor"), Limit: 30})
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	_, byCode, _ := s.categories(r.Context(), p.Lang)
	d := &mineData{}
	for _, c := range cs {
		cat := c.CategoryName
		if k, ok := byCode[c.CategoryCode]; ok {
			cat = catName(p.Lang, k)
		}
		d.Rows = append(d.Rows, caseRow{ID: c.ID, No: c.No, Category: cat, Stage: stageName(p, c.Status), Due: beijing(c.Due()),
			Grid: s.gridName(c.GridCode), Reported: beijing(c.ReportedAt), Overdue: c.Overdue && c.Status.Open()})
	}
	if next != "" {
		d.Next = "/cases/mine?cursor=" + url.QueryEscape(next)
	}
	if rel, err := s.cases.ReporterReliability(r.Context(), a, a.UserID); err == nil && rel.Filed > 0 {
		d.Record = &rel
	}
	p.Data = d
	s.render(w, r, http.StatusOK, "case_mine", p)
}
