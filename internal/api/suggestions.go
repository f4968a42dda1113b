package api

import (
	"net/http"
	"strings"
	"time"

	"civicgrid/internal/suggest"
)

// People's suggestions (人民建议征集): filing from every channel, the
// office's steps, merge and split, following, figures, and the channels'
// registers.

// FileSuggestion files a suggestion; a retry with the same idempotency key
// (body or Idempotency-Key header) returns the first with 200.
func (h *Handlers) FileSuggestion(w http.ResponseWriter, r *http.Request) {
	var in suggest.NewSuggestion
	if err := decode(r, &in, 64<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	if k := r.Header.Get("Idempotency-Key"); k != "" && in.IdempotencyKey == "" {
		in.IdempotencyKey = k
	}
	f, err := h.Suggestions.File(r.Context(), actor(r), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	status := http.StatusCreated
	if f.Replayed {
		status = http.StatusOK
	}
	WriteJSON(w, status, f)
}

// periodParams reads from/to; a date-only "to" includes that day.
func periodParams(r *http.Request) (time.Time, time.Time, error) {
	from, err := timeParam(r, "from")
	if err != nil {
		return from, time.Time{}, err
	}
	to, err := timeParam(r, "to")
	if err == nil && !to.IsZero() && len(strings.TrimSpace(r.URL.Query().Get("to"))) == len("2006-01-02") {
		to = to.Add(24 * time.Hour)
	}
	return from, to, err
}

// SuggestionFilter reads the list filters shared by the API and the pages.
func (h *Handlers) SuggestionFilter(r *http.Request) (suggest.Filter, error) {
	q := r.URL.Query()
	var f suggest.Filter
	var err error
	if q.Get("region") != "" {
		if f.RegionPath, err = h.regionPath(r, q.Get("region")); err != nil {
			return f, err
		}
	}
	if s := q.Get("status"); s != "" {
		f.Status = strings.Split(s, ",")
	}
	f.Channel, f.Topic, f.PointID, f.MakerID, f.AssocID, f.UnitID = q.Get("channel"), q.Get("topic"), q.Get("point"), q.Get("maker"), q.Get("association"), q.Get("unit")
	f.Mine = q.Get("mine") == "1" || q.Get("mine") == "true"
	f.Query, f.After = q.Get("q"), q.Get("cursor")
	if f.From, f.To, err = periodParams(r); err != nil {
		return f, err
	}
	f.Limit, err = limitParam(r)
	return f, err
}

// ListSuggestions lists suggestions: staff their area's, a unit's handler
// what was forwarded to it, anyone else (or mine=1) their own.
func (h *Handlers) ListSuggestions(w http.ResponseWriter, r *http.Request) {
	f, err := h.SuggestionFilter(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out, next, err := h.Suggestions.List(r.Context(), actor(r), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[suggest.Suggestion]{Items: out, NextCursor: next})
}

// Suggestion returns one suggestion with its trail and lineage.
func (h *Handlers) Suggestion(w http.ResponseWriter, r *http.Request) {
	h.respond(w, r, http.StatusOK)(h.Suggestions.Get(r.Context(), actor(r), r.PathValue("id")))
}

// SuggestionAction takes one step of a suggestion's life.
func (h *Handlers) SuggestionAction(w http.ResponseWriter, r *http.Request) {
	var in suggest.Input
	if err := decode(r, &in, 16<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusOK)(h.Suggestions.Act(r.Context(), actor(r), r.PathValue("id"), r.PathValue("action"), in))
}

// MergeRequest names the suggestions (ids or numbers) to fold into one.
type MergeRequest struct {
	IDs  []string `json:"ids"`
	Note string   `json:"note,omitempty"`
}

// MergeSuggestions folds suggestions into the one in the path.
func (h *Handlers) MergeSuggestions(w http.ResponseWriter, r *http.Request) {
	var in MergeRequest
	if err := decode(r, &in, 16<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusOK)(h.Suggestions.Merge(r.Context(), actor(r), r.PathValue("id"), in.IDs, in.Note))
}

// SplitRequest lists the parts a suggestion is split into.
type SplitRequest struct {
	Parts []suggest.Part `json:"parts"`
}

// SplitSuggestion splits a suggestion into several.
func (h *Handlers) SplitSuggestion(w http.ResponseWriter, r *http.Request) {
	var in SplitRequest
	if err := decode(r, &in, 64<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusOK)(h.Suggestions.Split(r.Context(), actor(r), r.PathValue("id"), in.Parts))
}

// FollowSuggestion is the author's view by number with the follow token or
// the phone they left.
func (h *Handlers) FollowSuggestion(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	h.respond(w, r, http.StatusOK)(h.Suggestions.Follow(r.Context(), r.PathValue("no"), q.Get("token"), q.Get("phone")))
}

// SuggestionFigures returns the conversion figures of a region and period.
func (h *Handlers) SuggestionFigures(w http.ResponseWriter, r *http.Request) {
	from, to, err := periodParams(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusOK)(h.Suggestions.Figures(r.Context(), actor(r), r.URL.Query().Get("region"), from, to))
}

// SuggestionPoints lists report points and boxes.
func (h *Handlers) SuggestionPoints(w http.ResponseWriter, r *http.Request) {
	path, err := h.regionPath(r, r.URL.Query().Get("region"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out, err := h.Suggestions.Points(r.Context(), actor(r), path, r.URL.Query().Get("kind"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[suggest.Point]{Items: out})
}

// CreateSuggestionPoint registers a report point or a box.
func (h *Handlers) CreateSuggestionPoint(w http.ResponseWriter, r *http.Request) {
	var in suggest.Point
	if err := decode(r, &in, 16<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusCreated)(h.Suggestions.CreatePoint(r.Context(), actor(r), in))
}

// SuggestionPoint returns a box or point by its code (public: the poster's
// QR opens a form tagged with it).
func (h *Handlers) SuggestionPoint(w http.ResponseWriter, r *http.Request) {
	p, err := h.Suggestions.PointByCode(r.Context(), r.PathValue("code"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, PublicPoint{Kind: p.Kind, Code: p.Code, Name: p.Name, RegionCode: p.RegionCode, RegionName: p.RegionName, Address: p.Address, Active: p.Active})
}

// PublicPoint is what anyone may know of a box or report point.
type PublicPoint struct {
	Kind       string `json:"kind"`
	Code       string `json:"code"`
	Name       string `json:"name"`
	RegionCode string `json:"region_code"`
	RegionName string `json:"region_name"`
	Address    string `json:"address,omitempty"`
	Active     bool   `json:"active"`
}

// SuggestionMakers lists invited suggestion-makers.
func (h *Handlers) SuggestionMakers(w http.ResponseWriter, r *http.Request) {
	path, err := h.regionPath(r, r.URL.Query().Get("region"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out, err := h.Suggestions.Makers(r.Context(), actor(r), path)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[suggest.Maker]{Items: out})
}

// CreateSuggestionMaker registers an invited suggestion-maker.
func (h *Handlers) CreateSuggestionMaker(w http.ResponseWriter, r *http.Request) {
	var in suggest.Maker
	if err := decode(r, &in, 16<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusCreated)(h.Suggestions.CreateMaker(r.Context(), actor(r), in))
}

// Associations lists industry associations and chambers.
func (h *Handlers) Associations(w http.ResponseWriter, r *http.Request) {
	path, err := h.regionPath(r, r.URL.Query().Get("region"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out, err := h.Suggestions.Associations(r.Context(), actor(r), path)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[suggest.Assoc]{Items: out})
}

// CreateAssociation registers an association.
func (h *Handlers) CreateAssociation(w http.ResponseWriter, r *http.Request) {
	var in suggest.Assoc
	if err := decode(r, &in, 16<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusCreated)(h.Suggestions.CreateAssociation(r.Context(), actor(r), in))
}

func init() {
	for name, v := range map[string]any{
		"Suggestion": suggest.Suggestion{}, "SuggestionView": suggest.View{}, "NewSuggestion": suggest.NewSuggestion{}, "SuggestionFiled": suggest.Filed{},
		"SuggestionInput": suggest.Input{}, "MergeRequest": MergeRequest{}, "SplitRequest": SplitRequest{}, "SuggestionFigures": suggest.Figures{},
		"SuggestionPoint": suggest.Point{}, "PublicPoint": PublicPoint{}, "SuggestionMaker": suggest.Maker{}, "Association": suggest.Assoc{},
	} {
		schemas[name] = schemaOf(v)
	}
}
