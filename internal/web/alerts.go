package web

import (
	"net/http"

	"civicgrid/internal/auth"
)

type alertRow struct {
	CaseID, CaseNo, Category, What, At, Note string
	New                                      bool
}

// alertsPage lists the viewer's alerts (reminders, overdue marks,
// escalations, cases sent to their unit, returns and requests waiting for
// them) and marks them seen.
func (s *Server) alertsPage(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	p := s.page(r, "", "alerts", nil)
	p.Title = p.T("alerts.title")
	al, err := s.cases.AlertsFor(r.Context(), a, 100)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	_, byCode, _ := s.categories(r.Context(), p.Lang)
	rows := make([]alertRow, 0, len(al.Items))
	for _, x := range al.Items {
		cat := x.CategoryCode
		if k, ok := byCode[x.CategoryCode]; ok {
			cat = catName(p.Lang, k)
		}
		rows = append(rows, alertRow{CaseID: x.CaseID, CaseNo: x.CaseNo, Category: cat, What: caseActionName(p, x.Action),
			At: beijing(x.At), Note: x.Note, New: x.New})
	}
	if al.Unread > 0 {
		// Up to the newest shown: one written meanwhile stays new.
		if err := s.cases.MarkAlertsSeen(r.Context(), a, al.Items[0].At); err != nil {
			s.log.WarnContext(r.Context(), "mark alerts seen", "err", err)
		}
	}
	p.Data = rows
	s.render(w, r, http.StatusOK, "alerts", p)
}
