package api

import (
	"net/http"
	"strings"
	"time"

	"civicgrid/internal/auth"
	"civicgrid/internal/cases"
	"civicgrid/internal/errs"
)

// NewUnit is the input for CreateUnit.
type NewUnit struct {
	Name       string `json:"name"`
	Kind       string `json:"kind,omitempty"`
	RegionCode string `json:"region_code"`
}

// CaseView is a case with its history.
type CaseView struct {
	cases.Case
	History []cases.Event `json:"history"`
}

// Categories lists the case taxonomy.
func (h *Handlers) Categories(w http.ResponseWriter, r *http.Request) {
	cs, err := h.Cases.Categories(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[cases.Category]{Items: cs})
}

// FileCase files a report from any channel; anonymous residents may use the
// web channel. A retry with the same idempotency key returns the first case.
func (h *Handlers) FileCase(w http.ResponseWriter, r *http.Request) {
	var in cases.Report
	if err := decode(r, &in, 64<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	if k := r.Header.Get("Idempotency-Key"); k != "" && in.IdempotencyKey == "" {
		in.IdempotencyKey = k
	}
	res, err := h.Cases.File(r.Context(), actor(r), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	status := http.StatusCreated
	if res.Replayed {
		status = http.StatusOK
	}
	WriteJSON(w, status, res)
}

func timeParam(r *http.Request, name string) (time.Time, error) {
	s := strings.TrimSpace(r.URL.Query().Get(name))
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, chinaTime); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errs.Field(name, "err.date")
}

var chinaTime = time.FixedZone("CST", 8*3600)

// ListCases is a work list with filters.
func (h *Handlers) ListCases(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := limitParam(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f := cases.Filter{RegionCode: q.Get("region"), Category: q.Get("category"), Channel: cases.Channel(q.Get("channel")), UnitID: q.Get("unit"),
		Overdue: q.Get("overdue") == "1" || q.Get("overdue") == "true", After: q.Get("cursor"), Limit: limit,
		PostponePending: q.Get("postpone_pending") == "1" || q.Get("postpone_pending") == "true"}
	if q.Get("mine") == "1" || q.Get("mine") == "true" {
		f.ReporterID = actor(r).UserID
	}
	if f.Status, err = statusParam(q.Get("status")); err != nil {
		h.fail(w, r, err)
		return
	}
	if f.From, err = timeParam(r, "from"); err != nil {
		h.fail(w, r, err)
		return
	}
	if f.To, err = timeParam(r, "to"); err != nil {
		h.fail(w, r, err)
		return
	}
	cs, next, err := h.Cases.List(r.Context(), actor(r), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[cases.Case]{Items: cs, NextCursor: next})
}

// Case returns one case with its history.
func (h *Handlers) Case(w http.ResponseWriter, r *http.Request) {
	c, evs, err := h.Cases.Get(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, CaseView{Case: c, History: evs})
}

// FollowCase shows a case to a reporter without an account.
func (h *Handlers) FollowCase(w http.ResponseWriter, r *http.Request) {
	c, evs, err := h.Cases.Follow(r.Context(), r.PathValue("no"), r.URL.Query().Get("token"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, CaseView{Case: c, History: evs})
}

// CaseAction performs a workflow step.
func (h *Handlers) CaseAction(w http.ResponseWriter, r *http.Request) {
	var in cases.Input
	if err := decode(r, &in, 16<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusOK)(h.Cases.Act(r.Context(), actor(r), r.PathValue("id"), cases.Action(r.PathValue("action")), in, r.Header.Get("X-Follow-Token")))
}

// CaseRates returns the standard rates for a region and period.
func (h *Handlers) CaseRates(w http.ResponseWriter, r *http.Request) {
	from, err := timeParam(r, "from")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	to, err := timeParam(r, "to")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// By default the last 30 whole days, today included: whole days are
	// what the per-day rollup answers without scanning the cases.
	if to.IsZero() {
		now := time.Now().In(chinaTime)
		to = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, chinaTime).AddDate(0, 0, 1)
	}
	if from.IsZero() {
		from = to.AddDate(0, 0, -30)
	}
	a := actor(r)
	region := r.URL.Query().Get("region")
	if region == "" {
		region = a.RegionCode
	}
	h.respond(w, r, http.StatusOK)(h.Cases.Rates(r.Context(), a, region, from, to))
}

// Units lists units in scope.
func (h *Handlers) Units(w http.ResponseWriter, r *http.Request) {
	us, err := h.Cases.Units(r.Context(), actor(r), r.URL.Query().Get("region"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[cases.Unit]{Items: us})
}

// CreateUnit registers a unit.
func (h *Handlers) CreateUnit(w http.ResponseWriter, r *http.Request) {
	var in NewUnit
	if err := decode(r, &in, 4<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusCreated)(h.Cases.CreateUnit(r.Context(), actor(r), in.Name, in.Kind, in.RegionCode))
}

// Responsibilities lists a region's own entries of the responsibility map.
func (h *Handlers) Responsibilities(w http.ResponseWriter, r *http.Request) {
	rs, err := h.Cases.Responsibilities(r.Context(), actor(r), r.PathValue("code"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[cases.Responsibility]{Items: rs})
}

// SetResponsibility maps a category in a region to a unit.
func (h *Handlers) SetResponsibility(w http.ResponseWriter, r *http.Request) {
	var in cases.Responsibility
	if err := decode(r, &in, 4<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	in.RegionCode = r.PathValue("code")
	if err := h.Cases.SetResponsibility(r.Context(), actor(r), in); err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, in)
}

// Reliability returns a reporter's record.
func (h *Handlers) Reliability(w http.ResponseWriter, r *http.Request) {
	a := actor(r)
	id := r.PathValue("id")
	if id == "me" {
		id = a.UserID
	}
	if id != a.UserID && !a.Role.Has(auth.CaseRead) {
		h.fail(w, r, errs.New(errs.Forbidden, "err.forbidden"))
		return
	}
	h.respond(w, r, http.StatusOK)(h.Cases.ReporterReliability(r.Context(), a, id))
}

// statusParam reads a comma-separated list of stages, refusing one that is
// not a stage (a typo would otherwise list nothing, silently).
func statusParam(v string) ([]cases.Status, error) {
	var out []cases.Status
	for _, st := range strings.Split(v, ",") {
		if st = strings.TrimSpace(st); st == "" {
			continue
		}
		if !cases.Status(st).Valid() {
			return nil, errs.Field("status", "err.cases.status", st)
		}
		out = append(out, cases.Status(st))
	}
	return out, nil
}

// ListAlerts lists the viewer's alerts.
func (h *Handlers) ListAlerts(w http.ResponseWriter, r *http.Request) {
	limit, err := limitParam(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusOK)(h.Cases.AlertsFor(r.Context(), actor(r), limit))
}

// AlertsSeenRequest says up to which alert the viewer has seen (the newest
// one shown); without it, up to now.
type AlertsSeenRequest struct {
	UpTo time.Time `json:"up_to,omitempty"`
}

// AlertsSeen marks the viewer's alerts seen.
func (h *Handlers) AlertsSeen(w http.ResponseWriter, r *http.Request) {
	var in AlertsSeenRequest
	if r.ContentLength != 0 {
		if err := decode(r, &in, 1024); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if err := h.Cases.MarkAlertsSeen(r.Context(), actor(r), in.UpTo); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
