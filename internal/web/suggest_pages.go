package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"civicgrid/internal/api"
	"civicgrid/internal/auth"
	"civicgrid/internal/cases"
	"civicgrid/internal/errs"
	"civicgrid/internal/media"
	"civicgrid/internal/region"
	"civicgrid/internal/suggest"
)

// People's suggestions (人民建议征集): the resident's form and follow page,
// the staff's list, entry form, suggestion page with its steps, figures,
// and the registers of boxes, report points, makers and associations.

type regionGroup struct {
	Name    string
	Regions []region.Ref
}

type suggestFormData struct {
	Key       string
	Point     *suggest.Point
	Campaign  string
	Groups    []regionGroup
	Identity  suggest.Identity
	Filed     *suggest.Filed
	FollowURL string
}

// townGroups lists the towns of each county, for choosing where a
// suggestion is about when no box says so.
func (s *Server) townGroups() []regionGroup {
	var out []regionGroup
	for _, city := range s.regions.Tree().Roots() {
		for _, county := range city.Children {
			g := regionGroup{Name: county.Name, Regions: []region.Ref{{Code: county.Code, Name: county.Name + "（全县）"}}}
			for _, town := range county.Children {
				g.Regions = append(g.Regions, region.Ref{Code: town.Code, Name: town.Name})
			}
			out = append(out, g)
		}
	}
	return out
}

func (s *Server) suggestData(r *http.Request, p *Page) *suggestFormData {
	q := r.URL.Query()
	d := &suggestFormData{Key: newKey(), Campaign: strings.TrimSpace(q.Get("campaign"))}
	if p.Form == nil {
		p.Form = map[string]string{}
	}
	box := q.Get("box")
	if box == "" {
		box = p.Form["point_code"]
	}
	if d.Campaign == "" {
		d.Campaign = p.Form["campaign_id"]
	}
	if box != "" {
		if pt, err := s.suggest.PointByCode(r.Context(), box); err == nil && pt.Active {
			d.Point = &pt
		}
	}
	if d.Point == nil {
		d.Groups = s.townGroups()
	}
	if p.SignedIn {
		d.Identity, _ = s.suggest.IdentityOf(r.Context(), p.Actor.UserID)
	}
	return d
}

// suggestForm is the resident's form: from the online column, a box's QR
// poster (?box=CODE) or a campaign's call (?campaign=ID).
func (s *Server) suggestForm(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "suggest", nil)
	p.Title = p.T("suggest.title")
	p.Data = s.suggestData(r, p)
	s.render(w, r, http.StatusOK, "suggest_form", p)
}

func (s *Server) fileSuggestion(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	f := func(k string) string { return r.PostFormValue(k) }
	in := suggest.NewSuggestion{Title: f("title"), Body: f("body"), RegionCode: f("region_code"), Anonymous: f("anonymous") == "1",
		AuthorName: f("author_name"), AuthorPhone: f("author_phone"), IdempotencyKey: f("idempotency_key"), CampaignID: f("campaign_id")}
	if code := strings.TrimSpace(f("point_code")); code != "" {
		in.Channel, in.PointCode = suggest.Box, code
		if pt, err := s.suggest.PointByCode(r.Context(), code); err == nil {
			in.Channel = pt.Kind
		}
	} else if in.CampaignID != "" {
		in.Channel = suggest.Campaign
	}
	switch as := f("as"); {
	case strings.HasPrefix(as, "maker:"):
		in.Channel, in.MakerID = suggest.Invited, strings.TrimPrefix(as, "maker:")
	case strings.HasPrefix(as, "association:"):
		in.Channel, in.AssociationID = suggest.Association, strings.TrimPrefix(as, "association:")
	}
	filed, err := s.suggest.File(r.Context(), a, in)
	p := s.page(r, "", "suggest", nil)
	p.Title = p.T("suggest.title")
	if err != nil {
		r.ParseForm()
		p.Form = map[string]string{}
		for k, v := range r.PostForm {
			if k != "csrf" && len(v) > 0 {
				p.Form[k] = v[0]
			}
		}
		p.Data = s.suggestData(r, p)
		s.formFail(w, r, p, "suggest_form", err)
		return
	}
	d := &suggestFormData{Filed: &filed}
	d.FollowURL = "/suggest/follow/" + url.PathEscape(filed.Suggestion.No) + "?token=" + url.QueryEscape(filed.FollowToken)
	p.Data = d
	status := http.StatusCreated
	if filed.Replayed {
		status = http.StatusOK
	}
	s.render(w, r, status, "suggest_form", p)
}

// suggestionData is what the suggestion page shows, to its author (Follow)
// or to staff with the steps they may take.
type suggestionData struct {
	View    suggest.View
	Follow  bool
	Token   string
	Allowed []string
	Units   []cases.Unit
	Steps   []stepItem
	Lineage []lineItem
	Events  []eventItem
	Forms   []formItem
	Today   string
	Parts   []int
}

type stepItem struct {
	Name          string
	Done, Current bool
}

type lineItem struct{ Label, No, URL, Title, Extra string }

// eventItem and formItem carry the page into the sub-templates.
type eventItem struct {
	P *Page
	X suggest.Event
}

type formItem struct {
	P *Page
	D *suggestionData
	X string
}

var mainLine = []string{suggest.Received, suggest.Assessed, suggest.Forwarded, suggest.Adopted, suggest.Implemented}

// fill works out what the template shows from the view: the progress bar
// (the outcome's, which is the target's when merged), the lineage with
// links the viewer can open, the trail (the merged one's own steps, then
// its target's), and the forms of the allowed steps.
func (d *suggestionData) fill(p *Page) {
	o := d.View.Outcome()
	reached := map[string]bool{suggest.Received: true}
	for _, e := range o.Trail {
		reached[e.Action] = true
	}
	for _, st := range mainLine {
		d.Steps = append(d.Steps, stepItem{Name: st, Done: reached[st] && st != o.Status, Current: st == o.Status})
	}
	link := func(r suggest.Ref) string {
		if d.Follow {
			return "/suggest/follow/" + url.PathEscape(r.No) + "?token=" + url.QueryEscape(d.Token)
		}
		return "/suggestions/" + url.PathEscape(r.ID)
	}
	if r := d.View.Parent; r != nil {
		d.Lineage = append(d.Lineage, lineItem{"suggest.split_from", r.No, link(*r), r.Title, p.T("suggest.status." + r.Status)})
	}
	for _, r := range d.View.MergedFrom {
		d.Lineage = append(d.Lineage, lineItem{"suggest.merged_from", r.No, link(r), r.Title, p.T("suggest.channel." + r.Channel)})
	}
	for _, r := range d.View.Children {
		d.Lineage = append(d.Lineage, lineItem{"suggest.split_into", r.No, link(r), r.Title, p.T("suggest.status." + r.Status)})
	}
	for _, e := range d.View.Trail {
		d.Events = append(d.Events, eventItem{p, e})
	}
	if d.View.Target != nil {
		for _, e := range d.View.Target.Trail {
			d.Events = append(d.Events, eventItem{p, e})
		}
	}
	for _, a := range d.Allowed {
		d.Forms = append(d.Forms, formItem{p, d, a})
	}
	d.Parts = []int{1, 2, 3}
}

func (s *Server) suggestFollowPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v, err := s.suggest.Follow(r.Context(), r.PathValue("no"), q.Get("token"), q.Get("phone"))
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p := s.page(r, "", "suggest", nil)
	p.Title = p.T("suggest.follow_title", v.No)
	d := &suggestionData{View: v, Follow: true, Token: q.Get("token")}
	d.fill(p)
	p.Data = d
	s.render(w, r, http.StatusOK, "suggestion", p)
}

// suggestLookup finds a suggestion by its number and the phone its author
// left, for someone who lost the link; posted, so the phone stays out of
// URLs and logs.
func (s *Server) suggestLookup(w http.ResponseWriter, r *http.Request) {
	v, err := s.suggest.Follow(r.Context(), r.PostFormValue("no"), "", r.PostFormValue("phone"))
	if err != nil {
		p := s.page(r, "", "suggest", nil)
		p.Title = p.T("suggest.title")
		p.Form = map[string]string{"lookup_no": r.PostFormValue("no")}
		p.Data = s.suggestData(r, p)
		s.formFail(w, r, p, "suggest_form", err)
		return
	}
	p := s.page(r, "", "suggest", nil)
	p.Title = p.T("suggest.follow_title", v.No)
	d := &suggestionData{View: v, Follow: true}
	d.fill(p)
	p.Data = d
	s.render(w, r, http.StatusOK, "suggestion", p)
}

func (s *Server) suggestionPage(w http.ResponseWriter, r *http.Request) {
	s.showSuggestion(w, r, http.StatusOK, s.page(r, "", "suggestions", nil))
}

func (s *Server) showSuggestion(w http.ResponseWriter, r *http.Request, status int, p *Page) {
	v, err := s.suggest.Get(r.Context(), p.Actor, r.PathValue("id"))
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	d := &suggestionData{View: v, Allowed: s.suggest.Allowed(r.Context(), p.Actor, v.Suggestion), Today: todayCST()}
	if slices.Contains(d.Allowed, suggest.ActAssess) || slices.Contains(d.Allowed, suggest.ActForward) {
		// The units a suggestion may go to are those of its county, which a
		// town's office may not otherwise list; their names are no secret.
		county := ""
		if parts := strings.Split(strings.Trim(v.RegionPath, "/"), "/"); len(parts) > 1 {
			county = parts[1]
		}
		d.Units, _ = s.cases.Units(r.Context(), auth.System("web"), county)
	}
	if done := r.URL.Query().Get("done"); done != "" && p.Error == "" {
		p.Notice = p.T("suggest.done", p.T("suggest.action."+done))
	}
	p.Title = p.T("suggest.follow_title", v.No)
	d.fill(p)
	p.Data = d
	s.render(w, r, status, "suggestion", p)
}

func todayCST() string { return time.Now().In(chinaTime).Format("2006-01-02") }

// dayParam reads a YYYY-MM-DD date as the start of that day in Beijing.
func dayParam(v string) (time.Time, error) {
	if v = strings.TrimSpace(v); v == "" {
		return time.Time{}, nil
	}
	return time.ParseInLocation("2006-01-02", v, chinaTime)
}

// suggestionAct takes a step from the suggestion page's forms.
func (s *Server) suggestionAct(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	id, action := r.PathValue("id"), r.PathValue("action")
	f := func(k string) string { return r.PostFormValue(k) }
	var err error
	switch action {
	case "merge":
		ids := strings.FieldsFunc(f("ids"), func(c rune) bool { return c == ',' || c == '，' || c == ' ' || c == '\n' || c == '、' })
		_, err = s.suggest.Merge(r.Context(), a, id, ids, f("note"))
	case "split":
		var parts []suggest.Part
		for i := 1; i <= 3; i++ {
			n := strconv.Itoa(i)
			if t := strings.TrimSpace(f("title" + n)); t != "" || strings.TrimSpace(f("body"+n)) != "" {
				parts = append(parts, suggest.Part{Title: t, Body: f("body" + n)})
			}
		}
		_, err = s.suggest.Split(r.Context(), a, id, parts)
	default:
		in := suggest.Input{Topic: f("topic"), UnitID: f("unit_id"), Decision: f("decision"), Reason: f("reason"), Measure: f("measure"),
			MeasureURL: f("measure_url"), Day: f("day"), Note: f("note")}
		if v := f("relevant"); v != "" {
			rel := v == "1"
			in.Relevant = &rel
		}
		if v := strings.TrimSpace(f("progress")); v != "" {
			n, perr := strconv.Atoi(v)
			if perr != nil {
				err = errs.Field("progress", "err.number")
			}
			in.Progress = &n
		}
		if err == nil {
			_, err = s.suggest.Act(r.Context(), a, id, action, in)
		}
	}
	if err != nil {
		p := s.page(r, "", "suggestions", nil)
		p.Error = s.cat.Error(p.Lang, err)
		if errs.CodeOf(err) == errs.Internal {
			s.log.ErrorContext(r.Context(), "suggestion step", "err", err)
		}
		s.showSuggestion(w, r, api.Status(err), p)
		return
	}
	http.Redirect(w, r, "/suggestions/"+url.PathEscape(id)+"?done="+url.QueryEscape(action), http.StatusSeeOther)
}

type suggestionsData struct {
	Items    []suggest.Suggestion
	Next     string
	Staff    bool
	Statuses []string
	Channels []string
	Query    url.Values
}

// suggestionsPage is the staff's list with filters, or one's own list.
func (s *Server) suggestionsPage(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "suggestions", nil)
	f, err := s.api.SuggestionFilter(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	items, next, err := s.suggest.List(r.Context(), p.Actor, f)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	d := &suggestionsData{Items: items, Next: next, Staff: p.Can(string(auth.SuggestionEnter)) && !f.Mine, Statuses: suggest.Statuses, Channels: suggest.Channels, Query: r.URL.Query()}
	p.Title = p.T("suggest.list")
	if !d.Staff {
		p.Title = p.T("suggest.mine")
	}
	p.Data = d
	s.render(w, r, http.StatusOK, "suggestions", p)
}

type entryData struct {
	Key          string
	Points       []suggest.Point
	Makers       []suggest.Maker
	Associations []suggest.Assoc
	Channels     []string
	Filed        *suggest.Filed
}

func (s *Server) entryData(r *http.Request, p *Page) *entryData {
	d := &entryData{Key: newKey(), Channels: []string{suggest.Box, suggest.ReportPoint, suggest.Door, suggest.Invited, suggest.Association}}
	d.Points, _ = s.suggest.Points(r.Context(), p.Actor, "", "")
	d.Makers, _ = s.suggest.Makers(r.Context(), p.Actor, "")
	d.Associations, _ = s.suggest.Associations(r.Context(), p.Actor, "")
	return d
}

// suggestionEntryForm is the collector's form: slips from a box, what was
// said at a report point or on a door-to-door visit, for a maker or an
// association.
func (s *Server) suggestionEntryForm(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "suggestions", nil)
	p.Title = p.T("suggest.enter")
	p.Form = map[string]string{"channel": r.URL.Query().Get("channel"), "point_id": r.URL.Query().Get("point"), "collected_at": todayCST(), "region_code": p.Actor.RegionCode}
	p.Data = s.entryData(r, p)
	s.render(w, r, http.StatusOK, "suggestion_new", p)
}

func (s *Server) enterSuggestion(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		r.ParseMultipartForm(32 << 20)
		if r.MultipartForm != nil {
			defer r.MultipartForm.RemoveAll()
		}
	}
	f := func(k string) string { return r.PostFormValue(k) }
	in := suggest.NewSuggestion{Channel: f("channel"), PointID: f("point_id"), MakerID: f("maker_id"), AssociationID: f("association_id"),
		Title: f("title"), Body: f("body"), RegionCode: strings.TrimSpace(f("region_code")), AuthorName: f("author_name"), AuthorPhone: f("author_phone"),
		Anonymous: f("anonymous") == "1", IdempotencyKey: f("idempotency_key")}
	if in.Channel == suggest.Box {
		in.CollectedAt = f("collected_at")
	}
	p := s.page(r, "", "suggestions", nil)
	p.Title = p.T("suggest.enter")
	var err error
	if file, _, ferr := r.FormFile("slip"); ferr == nil {
		var ph media.Photo
		ph, err = s.api.Photos.Save(file)
		file.Close()
		if me, ok := err.(*media.Error); ok {
			err = errs.Literal("slip", errs.Text{ZH: me.Msg, EN: me.MsgEN})
		}
		in.SlipPhotoID = ph.ID
	}
	var filed suggest.Filed
	if err == nil {
		filed, err = s.suggest.File(r.Context(), a, in)
	}
	if err != nil {
		p.Form = map[string]string{}
		for k, v := range r.PostForm {
			if k != "csrf" && len(v) > 0 {
				p.Form[k] = v[0]
			}
		}
		p.Data = s.entryData(r, p)
		s.formFail(w, r, p, "suggestion_new", err)
		return
	}
	d := s.entryData(r, p)
	d.Filed = &filed
	// The next slip from the same box keeps the box and the date.
	p.Form = map[string]string{"channel": in.Channel, "point_id": in.PointID, "collected_at": in.CollectedAt, "region_code": in.RegionCode,
		"maker_id": in.MakerID, "association_id": in.AssociationID}
	p.Notice = p.T("suggest.entered", filed.Suggestion.No)
	p.Data = d
	s.render(w, r, http.StatusCreated, "suggestion_new", p)
}
