package api

import (
	"net/http"

	"civicgrid/internal/errs"
	"civicgrid/internal/survey"
	"civicgrid/internal/xlsform"
)

// ImportXLSForm creates a questionnaire from an XLSForm workbook; what
// cannot be expressed is reported by sheet and row.
func (h *Handlers) ImportXLSForm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sch, problems := xlsform.Import(http.MaxBytesReader(w, r.Body, 10<<20))
	if len(problems) > 0 {
		h.fail(w, r, &errs.Error{Code: errs.Invalid, Field: problems[0].Field, Key: "err.xlsform.problems", Args: []any{len(problems)}, List: problems})
		return
	}
	mode := survey.Mode(q.Get("mode"))
	if mode == "" {
		mode = survey.Anonymous
	}
	region := q.Get("region")
	if region == "" {
		region = actor(r).RegionCode
	}
	h.respond(w, r, http.StatusCreated)(h.Surveys.Create(r.Context(), actor(r), survey.NewQuestionnaire{Title: q.Get("title"), Schema: sch, Mode: mode, RegionCode: region}))
}

// QuestionnaireXLSForm exports a questionnaire as an XLSForm workbook.
func (h *Handlers) QuestionnaireXLSForm(w http.ResponseWriter, r *http.Request) {
	q, err := h.Surveys.Get(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="questionnaire-`+q.ID+`.xlsx"`)
	if err := xlsform.Export(w, q.Schema); err != nil {
		h.fail(w, r, errs.Wrap(err, "xlsform export"))
	}
}
