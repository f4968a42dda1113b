package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"civicgrid/internal/api"
	"civicgrid/internal/auth"
	"civicgrid/internal/cases"
	"civicgrid/internal/errs"
	"civicgrid/internal/media"
	"civicgrid/internal/store"
)

// ---- the case page -------------------------------------------------------

type caseData struct {
	Case      cases.Case
	Category  string
	Stage     string
	Channel   string
	Grid      string
	Place     string
	Due       string
	DueLabel  string
	Reported  string
	Closed    string
	Steps     []stepView
	Events    []eventView
	Forms     []actForm
	Follow    bool // the reporter's page through the follow link
	Staff     bool // the viewer works on cases (sees usernames in the history)
	LeadUnit  string
	Assist    []string
	Stars     string // the rating given, as stars
	BackURL   string
	MergedURL string
	Stream    string // Server-Sent Events URL announcing changes to this case
	Photos    []photoLink
}

// photoLink is where a case photo and its thumbnail are fetched: by staff
// through the photo API, by a reporter without an account through the
// follow link, which carries the token.
type photoLink struct{ Full, Thumb string }

func photoLinks(c cases.Case, followToken string) []photoLink {
	return photoLinksOf(c, c.Photos, followToken)
}

// setPhotos links the case's photos and each step's own, the same way.
func (d *caseData) setPhotos(c cases.Case, evs []cases.Event, followToken string) {
	d.Photos = photoLinks(c, followToken)
	for i := range d.Events {
		if i < len(evs) && evs[i].Seq == d.Events[i].Seq {
			d.Events[i].Photos = photoLinksOf(c, evs[i].Photos, followToken)
		}
	}
}

func photoLinksOf(c cases.Case, ids []string, followToken string) []photoLink {
	out := make([]photoLink, 0, len(ids))
	for _, id := range ids {
		if followToken == "" {
			out = append(out, photoLink{"/api/v1/photos/" + url.PathEscape(id), "/api/v1/photos/" + url.PathEscape(id) + "/thumb"})
			continue
		}
		base := "/api/v1/follow/" + url.PathEscape(c.No) + "/photos/" + url.PathEscape(id)
		q := "?token=" + url.QueryEscape(followToken)
		out = append(out, photoLink{base + q, base + "/thumb" + q})
	}
	return out
}

type stepView struct {
	Name          string
	Done, Current bool
}

type eventView struct {
	Seq    int
	Action string
	Name   string
	Who    string
	At     string
	Unit   string
	Detail string
	Note   string
	Photos []photoLink // added in this step
}

// actForm is one workflow step the viewer may take now, as a form.
type actForm struct {
	Action  string
	Label   string // the submit button
	URL     string
	Primary bool // shown open; the others fold away
	Danger  bool
	Hint    string
	Fields  []actField
	Hidden  [][2]string
	Error   string
	Open    bool
}

type actField struct {
	Kind     string // textarea, text, number, select, checks, stars, check
	Name     string
	ID       string
	Label    string
	Hint     string
	Value    string
	Required bool
	Invalid  bool // the domain refused this field
	Min, Max int
	Options  []fieldOption
}

type fieldOption struct {
	Value, Label string
	Selected     bool
}

// progress is the path a case goes, for the step bar; a reworked case goes
// back to handling.
var progress = []string{"reported", "accepted", "dispatched", "replied", "closed", "rated"}

func progressAt(c cases.Case, evs []cases.Event) int {
	switch c.Status {
	case cases.Reported:
		return 0
	case cases.Accepted:
		return 1
	case cases.Dispatched:
		return 2
	case cases.Replied:
		return 3
	case cases.Closed:
		if ratedSinceClosed(evs) {
			return 5
		}
		return 4
	}
	return -1
}

// caseView builds what the case page shows; forms are added by the caller.
func (s *Server) caseView(ctx context.Context, p *Page, c cases.Case, evs []cases.Event, follow bool, unitNames map[string]string) *caseData {
	_, byCode, _ := s.categories(ctx, p.Lang)
	d := &caseData{Case: c, Category: catPath(p.Lang, byCode, c.CategoryCode, c.CategoryName), Stage: stageName(p, c.Status), Channel: channelName(p, c.Channel),
		Grid: s.gridName(c.GridCode), Place: s.placeOf(c.GridCode), Reported: beijing(c.ReportedAt), Closed: beijing(c.ClosedAt),
		Follow: follow, Staff: !follow && p.Actor.Role.Staff(), LeadUnit: c.LeadUnitName}
	if due := c.Due(); !due.IsZero() {
		d.Due, d.DueLabel = beijing(due), p.T("case.due."+string(c.Status))
	}
	if unitNames == nil {
		unitNames = map[string]string{}
	}
	if c.LeadUnitID != "" {
		unitNames[c.LeadUnitID] = c.LeadUnitName
	}
	for _, u := range c.AssistUnits {
		if n, ok := unitNames[u]; ok {
			d.Assist = append(d.Assist, n)
		}
	}
	if c.Satisfaction > 0 {
		d.Stars = strings.Repeat("★", c.Satisfaction) + strings.Repeat("☆", 5-c.Satisfaction)
	}
	if c.MergedInto != "" && !follow {
		d.MergedURL = "/cases/" + c.MergedInto
	}
	if current := progressAt(c, evs); current >= 0 {
		for i, st := range progress {
			d.Steps = append(d.Steps, stepView{Name: p.T("case.step." + st), Done: i < current, Current: i == current})
		}
	}
	for _, e := range evs {
		v := eventView{Seq: e.Seq, Action: e.Action, Name: caseActionName(p, e.Action), At: beijing(e.At), Note: e.Note}
		switch {
		case e.ActorID == "system":
			v.Who = p.T("case.who.system")
		case e.ActorID == "" || e.Actor == "anonymous":
			v.Who = p.T("case.who.reporter")
		case follow:
			v.Who = roleOrBlank(p, e.Role)
		default:
			v.Who = e.Actor
			if r := roleOrBlank(p, e.Role); r != "" {
				v.Who += " · " + r
			}
		}
		if e.UnitID != "" {
			v.Unit = unitNames[e.UnitID]
		}
		v.Detail = eventDetail(p, e)
		if sid := suggestedIn(e); sid != "" {
			v.Detail = p.T("case.detail.suggested", unitNames[sid])
		}
		d.Events = append(d.Events, v)
	}
	return d
}

func roleOrBlank(p *Page, role string) string {
	if role == "" || !auth.Role(role).Valid() {
		return ""
	}
	return p.T("role." + role)
}

// eventDetail turns the few structured bits of an event into words.
func eventDetail(p *Page, e cases.Event) string {
	if e.Data == "" {
		return ""
	}
	var d struct {
		Days         int    `json:"days"`
		Satisfaction int    `json:"satisfaction"`
		Channel      string `json:"channel"`
	}
	if json.Unmarshal([]byte(e.Data), &d) != nil {
		return ""
	}
	switch {
	case d.Days > 0:
		return p.T("case.detail.days", d.Days)
	case d.Satisfaction > 0:
		return strings.Repeat("★", d.Satisfaction) + strings.Repeat("☆", max(0, 5-d.Satisfaction))
	case d.Channel != "":
		return channelName(p, cases.Channel(d.Channel))
	}
	return ""
}

// suggestedIn is the unit a return named as the one that should handle
// the case ("" for other events).
func suggestedIn(e cases.Event) string {
	if e.Action != "return" || e.Data == "" {
		return ""
	}
	var d struct {
		Suggested string `json:"suggested_unit"`
	}
	json.Unmarshal([]byte(e.Data), &d)
	return d.Suggested
}

// suggestedUnit is the unit the latest return named, if the case has not
// been dispatched since.
func suggestedUnit(evs []cases.Event) string {
	for i := len(evs) - 1; i >= 0; i-- {
		switch evs[i].Action {
		case "return":
			return suggestedIn(evs[i])
		case "dispatch", "reassign":
			return ""
		}
	}
	return ""
}

// myUnit is the unit a department handler works for ("" for everyone else).
func (s *Server) myUnit(ctx context.Context, a auth.Actor) string {
	if !a.Role.Has(auth.CaseHandle) || a.UserID == "" {
		return ""
	}
	var unit string
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		unit, err = cases.UnitOf(ctx, tx, a.UserID)
		return err
	})
	if err != nil {
		s.log.WarnContext(ctx, "unit of user", "err", err)
	}
	return unit
}

// unitNames names the units a case's history and facts mention. Events
// carry only unit ids and Service.Units lists only the viewer's area, while
// a town's case is often handled by a county department; unit names are not
// personal data, so they are read here for display.
func (s *Server) unitNames(ctx context.Context, c cases.Case, evs []cases.Event) map[string]string {
	ids := append([]string{c.LeadUnitID}, c.AssistUnits...)
	for _, e := range evs {
		ids = append(ids, e.UnitID, suggestedIn(e))
	}
	out, err := s.cases.UnitNames(ctx, ids)
	if err != nil {
		s.log.WarnContext(ctx, "unit names", "err", err)
	}
	return out
}

// caseForms lists the workflow steps the viewer may take on c now, following
// the workflow table; the domain checks again when a form is sent.
func (s *Server) caseForms(ctx context.Context, p *Page, c cases.Case, evs []cases.Event, unitNames map[string]string) []actForm {
	a := p.Actor
	if a.UserID == "" {
		return nil
	}
	dispatcher := a.Role.Has(auth.CaseDispatch) && a.InScope(c.RegionPath)
	verifier := a.Role.Has(auth.CaseVerify) && a.InScope(c.RegionPath)
	lead := c.LeadUnitID != "" && a.Role.Has(auth.CaseHandle) && s.myUnit(ctx, a) == c.LeadUnitID
	base := "/cases/" + c.ID + "/act/"
	version := strconv.Itoa(c.Version)
	mk := func(action, label string, primary bool, fields ...actField) actForm {
		f := actForm{Action: action, Label: label, URL: base + action, Primary: primary, Fields: fields, Hidden: [][2]string{{"csrf", p.CSRF}, {"version", version}}}
		for i := range f.Fields {
			f.Fields[i].ID = action + "-" + f.Fields[i].Name
		}
		return f
	}
	note := func(label string, required bool) actField {
		return actField{Kind: "textarea", Name: "note", Label: label, Required: required}
	}
	var units []cases.Unit
	needUnits := dispatcher && (c.Status == cases.Accepted || c.Status == cases.Dispatched)
	if needUnits {
		var err error
		if units, err = s.cases.Units(ctx, a, ""); err != nil {
			s.log.WarnContext(ctx, "units", "err", err)
		}
		for _, u := range units {
			unitNames[u.ID] = u.Name
		}
	}
	unitOptions := func(skip string) []fieldOption {
		var out []fieldOption
		for _, u := range units {
			if u.ID != skip {
				out = append(out, fieldOption{Value: u.ID, Label: u.Name})
			}
		}
		return out
	}
	var out []actForm
	switch c.Status {
	case cases.Reported:
		if dispatcher {
			out = append(out,
				mk("accept", p.T("case.do.accept"), true, note(p.T("case.f.accept_note"), false)),
				mk("reject", p.T("case.do.reject"), false, note(p.T("case.f.reject_reason"), true)))
			out[len(out)-1].Danger = true
		}
	case cases.Accepted:
		if dispatcher {
			a, _ := auth.FromContext(ctx)
			var rid, rname string
			if u, err := s.cases.RouteFor(ctx, a, c); err == nil {
				rid, rname = u.ID, u.Name
			}
			def := p.T("case.f.routed_none")
			if rname != "" {
				def = p.T("case.f.routed", rname)
				unitNames[rid] = rname
			}
			lead := actField{Kind: "select", Name: "unit_id", Label: p.T("case.f.lead_unit"), Hint: p.T("case.f.lead_unit_hint"),
				Options: append([]fieldOption{{Value: "", Label: def, Selected: true}}, unitOptions(rid)...)}
			// After a return, the unit that returned it says whose it is.
			if sid := suggestedUnit(evs); sid != "" {
				lead.Hint = p.T("case.f.suggested", unitNames[sid]) + " " + lead.Hint
			}
			assist := actField{Kind: "checks", Name: "assist_unit_ids", Label: p.T("case.f.assist_units"), Options: unitOptions("")}
			out = append(out, mk("dispatch", p.T("case.do.dispatch"), true, lead, assist, note(p.T("case.f.dispatch_note"), false)))
		}
	case cases.Dispatched:
		if lead {
			photo := actField{Kind: "file", Name: "photo", ID: "reply-photo", Label: p.T("case.f.reply_photos"), Hint: p.T("case.f.reply_photos_hint")}
			out = append(out, mk("reply", p.T("case.do.reply"), true, note(p.T("case.f.reply_note"), true), photo))
			if !c.PostponePending {
				left := cases.DefaultConfig.MaxPostpone - c.PostponeDays
				if left >= 1 {
					out = append(out, mk("postpone_request", p.T("case.do.postpone_request"), false,
						actField{Kind: "number", Name: "days", Label: p.T("case.f.days", left), Min: 1, Max: left, Value: "1", Required: true},
						note(p.T("case.f.postpone_reason"), true)))
				}
			}
			var whose []fieldOption
			if around, err := s.cases.UnitsAround(ctx, a, c.GridCode); err == nil {
				for _, u := range around {
					if u.ID != c.LeadUnitID {
						whose = append(whose, fieldOption{Value: u.ID, Label: u.Name})
					}
				}
			} else {
				s.log.WarnContext(ctx, "units around", "err", err)
			}
			ret := mk("return", p.T("case.do.return"), false,
				actField{Kind: "select", Name: "unit_id", Label: p.T("case.f.return_unit"), Required: true,
					Options: append([]fieldOption{{Value: "", Label: p.T("case.f.choose")}}, whose...)},
				note(p.T("case.f.return_reason"), true))
			ret.Hint, ret.Danger = p.T("case.f.return_hint", cases.DefaultConfig.ReturnDays), true
			out = append(out, ret)
		}
		if dispatcher {
			if c.PostponePending {
				days := 0
				reason := ""
				for _, e := range evs {
					if e.Action == "postpone_request" {
						var d struct{ Days int }
						json.Unmarshal([]byte(e.Data), &d)
						days, reason = d.Days, e.Note
					}
				}
				ap := mk("postpone_approve", p.T("case.do.postpone_approve"), true, note(p.T("case.f.opinion"), false))
				ap.Hint = p.T("case.f.postpone_pending", days, reason)
				out = append(out, ap, mk("postpone_deny", p.T("case.do.postpone_deny"), false, note(p.T("case.f.opinion"), false)))
			}
			out = append(out, mk("reassign", p.T("case.do.reassign"), false,
				actField{Kind: "select", Name: "unit_id", Label: p.T("case.f.new_unit"), Required: true,
					Options: append([]fieldOption{{Value: "", Label: p.T("case.f.choose")}}, unitOptions(c.LeadUnitID)...)},
				note(p.T("case.f.reassign_reason"), true)))
		}
	case cases.Replied:
		if verifier && lastActor(evs, "reply") != a.UserID {
			out = append(out,
				mk("verify_pass", p.T("case.do.verify_pass"), true, note(p.T("case.f.verify_note"), false)),
				mk("verify_fail", p.T("case.do.verify_fail"), false, note(p.T("case.f.verify_fail_reason"), true)))
			out[len(out)-1].Hint = p.T("case.f.verify_fail_hint")
		}
	case cases.Closed:
		onBehalf := dispatcher && c.ReporterID == "" && (c.Channel == cases.ChannelHotline || c.Channel == cases.ChannelOpinionBox || c.Channel == cases.ChannelDoorToDoor)
		if !ratedSinceClosed(evs) && (a.UserID == c.ReporterID || onBehalf) {
			f := rateForm(p, base+"rate", version)
			if onBehalf {
				f.Hint = p.T("case.f.rate_on_behalf")
			}
			out = append(out, f)
		}
	}
	if dispatcher && (c.Status == cases.Reported || c.Status == cases.Accepted || c.Status == cases.Dispatched) {
		out = append(out, mk("merge", p.T("case.do.merge"), false,
			actField{Kind: "text", Name: "into", Label: p.T("case.f.merge_into"), Hint: p.T("case.f.merge_hint"), Required: true},
			note(p.T("case.f.merge_note"), false)))
	}
	if dispatcher && c.Status.Open() {
		sup := mk("supervise", p.T("case.do.supervise"), false, note(p.T("case.f.supervise_note"), true))
		sup.Hint = p.T("case.f.supervise_hint")
		out = append(out, sup)
	}
	return out
}

// rateForm is the reporter's rating: 1–5 stars and, when dissatisfied, a
// request to handle the case again.
func rateForm(p *Page, action, version string) actForm {
	stars := actField{Kind: "stars", Name: "satisfaction", ID: "rate-satisfaction", Label: p.T("case.f.satisfaction"), Required: true}
	for n := 5; n >= 1; n-- {
		stars.Options = append(stars.Options, fieldOption{Value: strconv.Itoa(n), Label: p.T("case.f.stars", n)})
	}
	return actForm{Action: "rate", Label: p.T("case.do.rate"), URL: action, Primary: true, Hidden: [][2]string{{"csrf", p.CSRF}, {"version", version}},
		Fields: []actField{stars,
			{Kind: "check", Name: "reopen", ID: "rate-reopen", Label: p.T("case.f.reopen"), Hint: p.T("case.f.reopen_hint")},
			{Kind: "textarea", Name: "note", ID: "rate-note", Label: p.T("case.f.rate_note")}}}
}

// ratedSinceClosed reports whether the reporter has rated the case since it
// was last closed: a case reworked after a low rating may be rated again.
func ratedSinceClosed(evs []cases.Event) bool {
	rated := false
	for _, e := range evs {
		switch e.Action {
		case string(cases.ActVerifyPass):
			rated = false
		case string(cases.ActRate):
			rated = true
		}
	}
	return rated
}

func lastActor(evs []cases.Event, action string) string {
	who := ""
	for _, e := range evs {
		if e.Action == action {
			who = e.ActorID
		}
	}
	return who
}

// markFailed puts an action's error next to its form and refills it.
func markFailed(p *Page, forms []actForm) {
	action := p.Form["action"]
	for i := range forms {
		f := &forms[i]
		if f.Action != action {
			continue
		}
		f.Error, f.Open = p.Errors[action], true
		for j := range f.Fields {
			fl := &f.Fields[j]
			fl.Invalid = fl.Name == p.Form["field"]
			v, ok := p.Form[fl.Name]
			if !ok {
				continue
			}
			switch fl.Kind {
			case "select", "stars", "checks":
				for k := range fl.Options {
					fl.Options[k].Selected = fl.Options[k].Value == v || (fl.Kind == "checks" && strings.Contains(","+v+",", ","+fl.Options[k].Value+","))
				}
			default:
				fl.Value = v
			}
		}
	}
}

func (s *Server) casePage(w http.ResponseWriter, r *http.Request) {
	s.showCase(w, r, http.StatusOK, s.page(r, "", "cases", nil))
}

func (s *Server) showCase(w http.ResponseWriter, r *http.Request, status int, p *Page) {
	c, evs, err := s.cases.Get(r.Context(), p.Actor, r.PathValue("id"))
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	names := s.unitNames(r.Context(), c, evs)
	forms := s.caseForms(r.Context(), p, c, evs, names)
	d := s.caseView(r.Context(), p, c, evs, false, names)
	d.Forms = forms
	d.Stream = "/api/v1/cases/" + url.PathEscape(c.ID) + "/events"
	d.setPhotos(c, evs, "")
	markFailed(p, d.Forms)
	if p.Actor.Role.Has(auth.CaseRead) {
		d.BackURL = "/cases"
	}
	if done := r.URL.Query().Get("done"); done != "" && p.Error == "" {
		p.Notice = p.T("case.done", caseActionName(p, done))
	}
	p.Title = p.T("case.title", c.No)
	p.Data = d
	s.render(w, r, status, "case", p)
}

// actInput reads a workflow step's form.
func (s *Server) actInput(r *http.Request, a auth.Actor, action cases.Action) (cases.Input, map[string]string, error) {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		r.ParseMultipartForm(32 << 20)
	} else {
		r.ParseForm()
	}
	f := r.PostFormValue
	in := cases.Input{Note: f("note"), UnitID: strings.TrimSpace(f("unit_id")), AssistUnits: r.PostForm["assist_unit_ids"], Reopen: f("reopen") == "1"}
	// Photos of the work done (a reply's 现场照片): stored and stripped of
	// metadata before the step is taken, at most 3.
	if r.MultipartForm != nil {
		for i, fh := range r.MultipartForm.File["photo"] {
			if i == 3 || fh.Size == 0 {
				break
			}
			file, err := fh.Open()
			if err != nil {
				continue
			}
			ph, err := s.api.Photos.Save(file)
			file.Close()
			if err != nil {
				if me, ok := err.(*media.Error); ok {
					return in, map[string]string{"action": string(action), "note": f("note")}, errs.Literal("photo", errs.Text{ZH: me.Msg, EN: me.MsgEN})
				}
				return in, nil, errs.Wrap(err, "save photo")
			}
			in.Photos = append(in.Photos, ph.ID)
		}
	}
	form := map[string]string{"action": string(action), "note": f("note"), "unit_id": in.UnitID, "assist_unit_ids": strings.Join(in.AssistUnits, ","),
		"days": f("days"), "satisfaction": f("satisfaction"), "into": f("into")}
	if in.Reopen {
		form["reopen"] = "1"
	}
	if v := f("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return in, form, errs.Field("version", "err.number")
		}
		in.Version = n
	}
	if action == cases.ActPostponeRequest {
		n, err := strconv.Atoi(strings.TrimSpace(f("days")))
		if err != nil {
			return in, form, errs.Field("days", "err.number")
		}
		in.Days = n
	}
	if action == cases.ActRate {
		n, _ := strconv.Atoi(f("satisfaction"))
		in.Satisfaction = n
	}
	if action == cases.ActMerge {
		id, err := s.findCase(r.Context(), a, f("into"))
		if err != nil {
			return in, form, err
		}
		in.Into = id
	}
	return in, form, nil
}

// findCase resolves a merge target given by case number or id. A number
// names the day it was reported, so only that day's cases in the viewer's
// scope are searched.
func (s *Server) findCase(ctx context.Context, a auth.Actor, ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return "", errs.Field("into", "err.cases.merge_target")
	}
	if strings.Count(ref, "-") != 2 {
		return ref, nil // an id; the domain checks it
	}
	id, err := s.cases.IDByNo(ctx, a, ref)
	if err != nil {
		return "", errs.Field("into", "err.cases.merge_target")
	}
	return id, nil
}

func (s *Server) caseAct(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	id, action := r.PathValue("id"), cases.Action(r.PathValue("action"))
	in, form, err := s.actInput(r, a, action)
	if err == nil {
		_, err = s.cases.Act(r.Context(), a, id, action, in, "")
	}
	if err != nil {
		p := s.page(r, "", "cases", nil)
		msg := s.cat.Error(p.Lang, err)
		p.Error = p.T("case.act_failed", caseActionName(p, string(action)), msg)
		p.Errors = map[string]string{string(action): msg}
		p.Form = form
		p.Form["field"] = errs.As(err).Field
		s.showCase(w, r, api.Status(err), p)
		return
	}
	http.Redirect(w, r, "/cases/"+id+"?done="+url.QueryEscape(string(action)), http.StatusSeeOther)
}

// ---- following a case without an account --------------------------------

func (s *Server) followPage(w http.ResponseWriter, r *http.Request) {
	s.showFollow(w, r, http.StatusOK, s.page(r, "", "report", nil), r.URL.Query().Get("token"))
}

func (s *Server) showFollow(w http.ResponseWriter, r *http.Request, status int, p *Page, token string) {
	no := r.PathValue("no")
	c, evs, err := s.cases.Follow(r.Context(), no, token)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	d := s.caseView(r.Context(), p, c, evs, true, s.unitNames(r.Context(), c, evs))
	d.Stream = "/api/v1/follow/" + url.PathEscape(c.No) + "/events?token=" + url.QueryEscape(token)
	d.setPhotos(c, evs, token)
	if c.Status == cases.Closed && !ratedSinceClosed(evs) {
		f := rateForm(p, "/follow/"+url.PathEscape(c.No)+"/rate", strconv.Itoa(c.Version))
		f.Hidden = append(f.Hidden, [2]string{"token", token})
		d.Forms = []actForm{f}
		markFailed(p, d.Forms)
	}
	if r.URL.Query().Get("done") == "rate" && p.Error == "" {
		p.Notice = p.T("case.rated")
	}
	p.Title = p.T("case.title", c.No)
	p.Data = d
	s.render(w, r, status, "case", p)
}

func (s *Server) followRate(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	token := r.PostFormValue("token")
	c, _, err := s.cases.Follow(r.Context(), r.PathValue("no"), token)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	in, form, err := s.actInput(r, a, cases.ActRate)
	if err == nil {
		_, err = s.cases.Act(r.Context(), a, c.ID, cases.ActRate, in, token)
	}
	if err != nil {
		p := s.page(r, "", "report", nil)
		msg := s.cat.Error(p.Lang, err)
		p.Error = p.T("case.act_failed", caseActionName(p, "rate"), msg)
		p.Errors = map[string]string{"rate": msg}
		p.Form = form
		p.Form["field"] = errs.As(err).Field
		s.showFollow(w, r, api.Status(err), p, token)
		return
	}
	http.Redirect(w, r, followPath(c.No, token)+"&done=rate", http.StatusSeeOther)
}
