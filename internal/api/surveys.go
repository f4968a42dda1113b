package api

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"civicgrid/internal/errs"
	"civicgrid/internal/i18n"
	"civicgrid/internal/survey"
)

// Questionnaires, campaigns and responses.

// surveyFilter reads region, from and to.
func (h *Handlers) surveyFilter(r *http.Request) (survey.Filter, error) {
	var f survey.Filter
	if code := r.URL.Query().Get("region"); code != "" {
		reg, ok := h.Regions.Lookup(code)
		if !ok {
			return f, errs.Field("region", "err.not_found")
		}
		f.RegionPath = reg.Path
	}
	var err error
	if f.From, err = timeParam(r, "from"); err != nil {
		return f, err
	}
	if f.To, err = timeParam(r, "to"); err != nil {
		return f, err
	}
	return f, nil
}

// CreateQuestionnaire stores a questionnaire from its JSON schema.
func (h *Handlers) CreateQuestionnaire(w http.ResponseWriter, r *http.Request) {
	var in survey.NewQuestionnaire
	if err := decode(r, &in, 2<<20); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusCreated)(h.Surveys.Create(r.Context(), actor(r), in))
}

// Questionnaires lists questionnaires in scope.
func (h *Handlers) Questionnaires(w http.ResponseWriter, r *http.Request) {
	path, err := h.regionPath(r, r.URL.Query().Get("region"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	qs, err := h.Surveys.List(r.Context(), actor(r), path)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if qs == nil {
		qs = []survey.Questionnaire{}
	}
	WriteJSON(w, http.StatusOK, Page[survey.Questionnaire]{Items: qs})
}

// Questionnaire returns one questionnaire with its schema.
func (h *Handlers) Questionnaire(w http.ResponseWriter, r *http.Request) {
	h.respond(w, r, http.StatusOK)(h.Surveys.Get(r.Context(), actor(r), r.PathValue("id")))
}

// ReplaceSchema changes a draft's schema.
func (h *Handlers) ReplaceSchema(w http.ResponseWriter, r *http.Request) {
	var sch survey.Schema
	if err := decode(r, &sch, 2<<20); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusOK)(h.Surveys.Replace(r.Context(), actor(r), r.PathValue("id"), sch))
}

// StatusRequest is the body of the status endpoints.
type StatusRequest struct {
	Status string `json:"status"`
}

// SetQuestionnaireStatus opens, closes or returns to draft.
func (h *Handlers) SetQuestionnaireStatus(w http.ResponseWriter, r *http.Request) {
	var in StatusRequest
	if err := decode(r, &in, 1<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusOK)(h.Surveys.SetStatus(r.Context(), actor(r), r.PathValue("id"), in.Status))
}

// QuotaRequest is the body of SetQuota.
type QuotaRequest struct {
	RegionCode string `json:"region_code"`
	Quota      int64  `json:"quota"`
}

// SetQuota caps the responses from a region.
func (h *Handlers) SetQuota(w http.ResponseWriter, r *http.Request) {
	var in QuotaRequest
	if err := decode(r, &in, 1<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusOK)(h.Surveys.SetQuota(r.Context(), actor(r), r.PathValue("id"), in.RegionCode, in.Quota))
}

// SubmitResponse stores a response (anonymous questionnaires need no
// sign-in); a retry with the same idempotency key returns the first (200).
func (h *Handlers) SubmitResponse(w http.ResponseWriter, r *http.Request) {
	var in survey.Submission
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 256<<10))
	dec.UseNumber()
	if err := dec.Decode(&in); err != nil {
		h.fail(w, r, errs.Field("answers", "err.json"))
		return
	}
	if in.Key == "" {
		in.Key = strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	}
	rec, err := h.Surveys.Submit(r.Context(), actor(r), r.PathValue("id"), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	status := http.StatusCreated
	if rec.Replay {
		status = http.StatusOK
	}
	WriteJSON(w, status, rec)
}

// SurveyResults counts the answers of a questionnaire.
func (h *Handlers) SurveyResults(w http.ResponseWriter, r *http.Request) {
	f, err := h.surveyFilter(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusOK)(h.Surveys.Results(r.Context(), actor(r), r.PathValue("id"), string(i18n.FromRequest(r)), f))
}

// SurveyCross cross-tabulates two choice questions.
func (h *Handlers) SurveyCross(w http.ResponseWriter, r *http.Request) {
	f, err := h.surveyFilter(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	h.respond(w, r, http.StatusOK)(h.Surveys.Cross(r.Context(), actor(r), r.PathValue("id"), q.Get("a"), q.Get("b"), string(i18n.FromRequest(r)), f))
}

// ResponsesCSV streams the responses as CSV.
func (h *Handlers) ResponsesCSV(w http.ResponseWriter, r *http.Request) {
	h.streamResponses(w, r, "csv")
}

// ResponsesXLSX streams the responses as an Excel workbook.
func (h *Handlers) ResponsesXLSX(w http.ResponseWriter, r *http.Request) {
	h.streamResponses(w, r, "xlsx")
}

func (h *Handlers) streamResponses(w http.ResponseWriter, r *http.Request, format string) {
	longDownload(w)
	f, err := h.surveyFilter(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id := r.PathValue("id")
	lang := string(i18n.FromRequest(r))
	if _, err := h.Surveys.Get(r.Context(), actor(r), id); err != nil {
		h.fail(w, r, err)
		return
	}
	name := "responses-" + id + "-" + time.Now().Format("20060102") + "." + format
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		err = h.Surveys.WriteCSV(r.Context(), actor(r), id, lang, f, w)
	} else {
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		err = h.Surveys.WriteXLSX(r.Context(), actor(r), id, lang, f, w)
	}
	if err != nil {
		h.fail(w, r, err) // only reaches the client if nothing was written yet
	}
}

// ExportRequest is the body of StartExport.
type ExportRequest struct {
	Format string `json:"format"` // csv or xlsx (default)
}

// StartExport begins a background export with progress; the region, from
// and to query parameters filter the responses.
func (h *Handlers) StartExport(w http.ResponseWriter, r *http.Request) {
	f, err := h.surveyFilter(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in ExportRequest
	if r.ContentLength != 0 {
		if err := decode(r, &in, 1<<10); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	format := in.Format
	if format == "" {
		format = "xlsx"
	}
	h.respond(w, r, http.StatusAccepted)(h.Surveys.StartExport(r.Context(), actor(r), r.PathValue("id"), format, string(i18n.FromRequest(r)), f))
}

// ExportJob reports an export's progress.
func (h *Handlers) ExportJob(w http.ResponseWriter, r *http.Request) {
	h.respond(w, r, http.StatusOK)(h.Surveys.Export(actor(r), r.PathValue("job")))
}

// ExportFile downloads a finished export.
func (h *Handlers) ExportFile(w http.ResponseWriter, r *http.Request) {
	f, name, err := h.Surveys.ExportFile(actor(r), r.PathValue("job"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer f.Close()
	ct := "text/csv; charset=utf-8"
	if strings.HasSuffix(name, ".xlsx") {
		ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	if st, err := f.Stat(); err == nil {
		w.Header().Set("Content-Length", strconv.FormatInt(st.Size(), 10))
	}
	io.Copy(w, f)
}

// CreateCampaign stores a campaign.
func (h *Handlers) CreateCampaign(w http.ResponseWriter, r *http.Request) {
	var in survey.Campaign
	if err := decode(r, &in, 64<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusCreated)(h.Surveys.CreateCampaign(r.Context(), actor(r), in))
}

// Campaigns lists campaigns (drafts too for their managers, with all=1).
func (h *Handlers) Campaigns(w http.ResponseWriter, r *http.Request) {
	cs, err := h.Surveys.Campaigns(r.Context(), actor(r), r.URL.Query().Get("all") == "1")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if cs == nil {
		cs = []survey.Campaign{}
	}
	WriteJSON(w, http.StatusOK, Page[survey.Campaign]{Items: cs})
}

// Campaign returns one campaign.
func (h *Handlers) Campaign(w http.ResponseWriter, r *http.Request) {
	h.respond(w, r, http.StatusOK)(h.Surveys.Campaign(r.Context(), actor(r), r.PathValue("id")))
}

// SetCampaignStatus opens or closes a campaign (and its questionnaire).
func (h *Handlers) SetCampaignStatus(w http.ResponseWriter, r *http.Request) {
	var in StatusRequest
	if err := decode(r, &in, 1<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusOK)(h.Surveys.SetCampaignStatus(r.Context(), actor(r), r.PathValue("id"), in.Status))
}

func init() {
	for name, v := range map[string]any{
		"Questionnaire": survey.Questionnaire{}, "NewQuestionnaire": survey.NewQuestionnaire{}, "Schema": survey.Schema{},
		"StatusRequest": StatusRequest{}, "QuotaRequest": QuotaRequest{}, "Submission": survey.Submission{}, "Receipt": survey.Receipt{},
		"Results": survey.Results{}, "Crosstab": survey.Crosstab{}, "ExportJob": survey.Job{}, "ExportRequest": ExportRequest{}, "Campaign": survey.Campaign{},
	} {
		schemas[name] = schemaOf(v)
	}
}
