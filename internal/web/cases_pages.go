package web

// Case pages: the resident's report form, the part-time grid worker's quick
// report, the case page (for staff, for a signed-in reporter and, through
// the follow link, for a reporter without an account), the work lists and
// the rates. Every rule stays in package cases: the pages show the forms the
// workflow table allows the viewer now, and Service.Act decides.

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"civicgrid/internal/api"
	"civicgrid/internal/auth"
	"civicgrid/internal/cases"
	"civicgrid/internal/errs"
	"civicgrid/internal/i18n"
	"civicgrid/internal/store"
)

// ---- shared helpers -----------------------------------------------------

// catGroup is a class with its subcategories, for the category selects.
type catGroup struct {
	Code string
	Name string
	Subs []catOption
}

type catOption struct {
	Code, Name, Class string
}

// catName is a category's name in the page's language.
func catName(lang i18n.Lang, c cases.Category) string {
	if lang == i18n.EN && c.NameEN != "" {
		return c.NameEN
	}
	return c.Name
}

// categories returns the taxonomy grouped by class, and every category by code.
func (s *Server) categories(ctx context.Context, lang i18n.Lang) ([]catGroup, map[string]cases.Category, error) {
	cs, err := s.cases.Categories(ctx)
	if err != nil {
		return nil, nil, err
	}
	byCode := map[string]cases.Category{}
	var groups []catGroup
	idx := map[string]int{}
	for _, c := range cs {
		byCode[c.Code] = c
		if c.IsClass() {
			idx[c.Code] = len(groups)
			groups = append(groups, catGroup{Code: c.Code, Name: catName(lang, c)})
		}
	}
	for _, c := range cs {
		if i, ok := idx[c.ParentCode]; ok {
			groups[i].Subs = append(groups[i].Subs, catOption{Code: c.Code, Name: catName(lang, c), Class: c.ParentCode})
		}
	}
	return groups, byCode, nil
}

// catPath names a subcategory with its class ("市容环境 › 暴露垃圾");
// fallback is used for a code the taxonomy no longer has.
func catPath(lang i18n.Lang, byCode map[string]cases.Category, code, fallback string) string {
	c, ok := byCode[code]
	if !ok {
		return fallback
	}
	if parent, ok := byCode[c.ParentCode]; ok {
		return catName(lang, parent) + " › " + catName(lang, c)
	}
	return catName(lang, c)
}

// newFormKey is a fresh idempotency key for one rendering of a report form:
// a double submit or a retry of the same form stores one case.
func newFormKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// absURL makes a link the reporter can keep, with scheme and host.
func absURL(r *http.Request, path string) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}

func followPath(no, token string) string {
	return "/follow/" + url.PathEscape(no) + "?token=" + url.QueryEscape(token)
}

// gridName is a region's name (a grid's, mostly), or its code if unknown.
func (s *Server) gridName(code string) string {
	if g, ok := s.regions.Lookup(code); ok {
		return g.Name
	}
	return code
}

// placeOf is the chain of region names above and including a grid, town first.
func (s *Server) placeOf(code string) string {
	n, ok := s.regions.Tree().Get(code)
	if !ok {
		return code
	}
	var names []string
	for i, r := range n.Chain() {
		if i == 0 && len(n.Chain()) > 2 {
			continue // the city is the same for everyone
		}
		names = append(names, r.Name)
	}
	return strings.Join(names, " › ")
}

func stageName(p *Page, st cases.Status) string { return p.T("case.stage." + string(st)) }

func channelName(p *Page, ch cases.Channel) string {
	if k := "case.channel." + string(ch); p.cat.Has(k) {
		return p.T(k)
	}
	return string(ch)
}

func caseActionName(p *Page, a string) string {
	if k := "case.action." + a; p.cat.Has(k) {
		return p.T(k)
	}
	return a
}

// beijing formats a time in Beijing time, to the minute.
func beijing(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(chinaTime).Format("2006-01-02 15:04")
}

// followTokens remembers for a day the follow token given for an anonymous
// report's idempotency key. The domain keeps only the token's hash, so a
// double submit or a retry, which it answers with the stored case, would
// otherwise leave the reporter without their follow link.
var followTokens = &tokenCache{m: map[string]tokenEntry{}}

type tokenEntry struct {
	no, token string
	at        time.Time
}

type tokenCache struct {
	mu sync.Mutex
	m  map[string]tokenEntry
}

const tokenCacheTTL = 24 * time.Hour

func (c *tokenCache) put(key, no, token string) {
	if key == "" || token == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if len(c.m) > 20000 {
		for k, e := range c.m {
			if now.Sub(e.at) > tokenCacheTTL || len(c.m) > 20000 {
				delete(c.m, k)
			}
		}
	}
	c.m[key] = tokenEntry{no: no, token: token, at: now}
}

func (c *tokenCache) get(key, no string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || e.no != no || time.Since(e.at) > tokenCacheTTL {
		return ""
	}
	return e.token
}

// waitToken waits briefly for the first request of a double submit to put
// its token in the cache (it reads duplicate hints after the commit).
func (c *tokenCache) wait(ctx context.Context, key, no string) string {
	for i := 0; i < 60; i++ {
		if t := c.get(key, no); t != "" {
			return t
		}
		select {
		case <-ctx.Done():
			return ""
		case <-time.After(50 * time.Millisecond):
		}
	}
	return ""
}

// ---- the resident's report and the quick report -------------------------

type reportData struct {
	Groups   []catGroup
	Quick    []catOption // the quick report's buttons
	Key      string
	Channel  cases.Channel
	CanQuick bool // the viewer may use the one-screen quick report
	Result   *reportResult
}

type reportResult struct {
	Case       cases.Case
	Category   string
	Grid       string
	Due        string // the acceptance deadline
	FollowURL  string // for reporters without an account
	CaseURL    string // for signed-in reporters
	Replayed   bool
	Duplicates []dupRow
}

type dupRow struct {
	No, Category, Stage, Reported, Grid string
}

// quickCodes are the subcategories part-time grid workers report most (the
// domain keeps no frequency figures yet): rubbish, full bins, parking,
// street trading, manhole covers and blocked fire lanes.
var quickCodes = []string{"1101", "1104", "1202", "1201", "0101", "1501"}

func (s *Server) reportPage(w http.ResponseWriter, r *http.Request, status int, ch cases.Channel, p *Page, d *reportData) {
	groups, byCode, err := s.categories(r.Context(), p.Lang)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	d.Groups, d.Channel = groups, ch
	d.CanQuick = p.SignedIn && canFileQuick(p.Actor.Role)
	d.Quick = nil
	for _, code := range quickCodes {
		if c, ok := byCode[code]; ok {
			d.Quick = append(d.Quick, catOption{Code: c.Code, Name: catName(p.Lang, c), Class: c.ParentCode})
		}
	}
	title := "report.title"
	if ch == cases.ChannelQuick {
		title = "report.quick_title"
	}
	if d.Result != nil {
		title = "report.done_title"
	}
	p.Title = p.T(title)
	p.Data = d
	s.render(w, r, status, "report", p)
}

func canFileQuick(r auth.Role) bool {
	return r == auth.PartTimeWorker || r == auth.GridWorker || r == auth.GridLeader
}

func (s *Server) reportForm(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "report", nil)
	p.Form = map[string]string{"crs": "wgs84"}
	s.reportPage(w, r, http.StatusOK, cases.ChannelWeb, p, &reportData{Key: newFormKey()})
}

func (s *Server) quickForm(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "report", nil)
	if !canFileQuick(p.Actor.Role) {
		// Residents and volunteers report through the ordinary form.
		http.Redirect(w, r, "/report", http.StatusSeeOther)
		return
	}
	p.Form = map[string]string{"crs": "wgs84"}
	s.reportPage(w, r, http.StatusOK, cases.ChannelQuick, p, &reportData{Key: newFormKey()})
}

func (s *Server) fileReport(w http.ResponseWriter, r *http.Request) { s.file(w, r, cases.ChannelWeb) }
func (s *Server) fileQuick(w http.ResponseWriter, r *http.Request)  { s.file(w, r, cases.ChannelQuick) }

// parseCoord reads a coordinate field; a blank or bad value is 0, which the
// domain refuses with its "give a location" message.
func parseCoord(v string) float64 {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return 0
	}
	return f
}

func (s *Server) file(w http.ResponseWriter, r *http.Request, ch cases.Channel) {
	a, _ := auth.FromContext(r.Context())
	f := func(k string) string { return r.PostFormValue(k) }
	category := strings.TrimSpace(f("category"))
	if category == "" {
		category = strings.TrimSpace(f("category_more"))
	}
	if category == "" {
		// A class alone gets the domain's "choose the subcategory".
		category = strings.TrimSpace(f("class"))
	}
	key := strings.TrimSpace(f("idempotency_key"))
	if key == "" || len(key) > 100 {
		key = newFormKey()
	}
	in := cases.Report{
		Channel: ch, Category: category, Description: f("description"),
		Lat: parseCoord(f("lat")), Lng: parseCoord(f("lng")), CRS: f("crs"), Address: f("address"),
		ReporterName: f("reporter_name"), ReporterPhone: f("reporter_phone"), IdempotencyKey: key,
	}
	if ch == cases.ChannelQuick {
		in.ReporterName, in.ReporterPhone = "", ""
	}
	res, err := s.cases.File(r.Context(), a, in)
	p := s.page(r, "", "report", nil)
	if err != nil && res.Case.ID == "" {
		e := errs.As(err)
		msg := s.cat.Error(p.Lang, e)
		p.Error = msg
		if e.Field != "" {
			field := e.Field
			if field == "lng" {
				field = "lat"
			}
			p.Errors = map[string]string{field: msg}
		}
		p.Form = map[string]string{"category": f("category"), "category_more": f("category_more"), "description": f("description"), "lat": f("lat"), "lng": f("lng"), "crs": f("crs"),
			"address": f("address"), "reporter_name": f("reporter_name"), "reporter_phone": f("reporter_phone")}
		if in.CRS == "" {
			p.Form["crs"] = "wgs84"
		}
		if len(category) >= 2 {
			p.Form["class"] = category[:2]
		}
		if ch == cases.ChannelWeb {
			p.Form["category"] = category
		}
		s.reportPage(w, r, api.Status(err), ch, p, &reportData{Key: key})
		return
	}
	// The case is stored; a failure reading the duplicate hints afterwards
	// only loses the hints.
	if err != nil {
		s.log.WarnContext(r.Context(), "duplicate hints", "err", err, "case", res.Case.ID)
	}
	token := res.FollowToken
	if a.UserID == "" {
		if token != "" {
			followTokens.put(key, res.Case.No, token)
		} else if res.Replayed {
			token = followTokens.wait(r.Context(), key, res.Case.No)
		}
	}
	_, byCode, _ := s.categories(r.Context(), p.Lang)
	out := &reportResult{Case: res.Case, Category: catPath(p.Lang, byCode, res.Case.CategoryCode, res.Case.CategoryName),
		Grid: s.placeOf(res.Case.GridCode), Due: beijing(res.Case.Due()), Replayed: res.Replayed}
	if token != "" {
		out.FollowURL = absURL(r, followPath(res.Case.No, token))
	}
	if a.UserID != "" && a.UserID == res.Case.ReporterID {
		out.CaseURL = "/cases/" + res.Case.ID
	}
	for _, d := range res.Duplicates {
		name := d.CategoryName
		if c, ok := byCode[d.CategoryCode]; ok {
			name = catName(p.Lang, c)
		}
		out.Duplicates = append(out.Duplicates, dupRow{No: d.No, Category: name, Stage: stageName(p, d.Status), Reported: beijing(d.ReportedAt), Grid: s.gridName(d.GridCode)})
	}
	status := http.StatusCreated
	if res.Replayed {
		status = http.StatusOK
	}
	s.reportPage(w, r, status, ch, p, &reportData{Result: out})
}

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

// routedUnit previews the unit the responsibility map gives for the case, to
// name the dispatch form's default. The dispatch itself sends no unit and
// the domain routes; this read mirrors cases.route, which is not exported.
func (s *Server) routedUnit(ctx context.Context, c cases.Case, cat cases.Category) (id, name string) {
	codes := strings.Split(strings.Trim(c.RegionPath, "/"), "/")
	if len(codes) == 0 || codes[0] == "" {
		return "", ""
	}
	args := []any{cat.Code, cat.ParentCode, cases.CatchAll}
	ph := make([]string, len(codes))
	for i, code := range codes {
		ph[i] = "?"
		args = append(args, code)
	}
	best := -1
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT r.category_code, r.region_path, u.id, u.name FROM responsibilities r JOIN units u ON u.id = r.unit_id
			WHERE r.category_code IN (?, ?, ?) AND r.region_code IN (`+strings.Join(ph, ",")+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var cc, path, uid, uname string
			if err := rows.Scan(&cc, &path, &uid, &uname); err != nil {
				return err
			}
			spec := 0
			switch cc {
			case cat.Code:
				spec = 2
			case cat.ParentCode:
				spec = 1
			}
			if score := len(path)*4 + spec; score > best {
				best, id, name = score, uid, uname
			}
		}
		return rows.Err()
	})
	if err != nil {
		s.log.WarnContext(ctx, "routed unit preview", "err", err)
		return "", ""
	}
	return id, name
}

// unitNames names the units a case's history and facts mention. Events
// carry only unit ids and Service.Units lists only the viewer's area, while
// a town's case is often handled by a county department; unit names are not
// personal data, so they are read here for display.
func (s *Server) unitNames(ctx context.Context, c cases.Case, evs []cases.Event) map[string]string {
	seen := map[string]bool{}
	var ids []any
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	add(c.LeadUnitID)
	for _, u := range c.AssistUnits {
		add(u)
	}
	for _, e := range evs {
		add(e.UnitID)
	}
	out := map[string]string{}
	if len(ids) == 0 {
		return out
	}
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, "SELECT id, name FROM units WHERE id IN (?"+strings.Repeat(", ?", len(ids)-1)+")", ids...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, name string
			if err := rows.Scan(&id, &name); err != nil {
				return err
			}
			out[id] = name
		}
		return rows.Err()
	})
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
			_, byCode, _ := s.categories(ctx, p.Lang)
			rid, rname := s.routedUnit(ctx, c, byCode[c.CategoryCode])
			def := p.T("case.f.routed_none")
			if rname != "" {
				def = p.T("case.f.routed", rname)
				unitNames[rid] = rname
			}
			lead := actField{Kind: "select", Name: "unit_id", Label: p.T("case.f.lead_unit"), Hint: p.T("case.f.lead_unit_hint"),
				Options: append([]fieldOption{{Value: "", Label: def, Selected: true}}, unitOptions(rid)...)}
			assist := actField{Kind: "checks", Name: "assist_unit_ids", Label: p.T("case.f.assist_units"), Options: unitOptions("")}
			out = append(out, mk("dispatch", p.T("case.do.dispatch"), true, lead, assist, note(p.T("case.f.dispatch_note"), false)))
		}
	case cases.Dispatched:
		if lead {
			out = append(out, mk("reply", p.T("case.do.reply"), true, note(p.T("case.f.reply_note"), true)))
			if !c.PostponePending {
				left := cases.DefaultConfig.MaxPostpone - c.PostponeDays
				if left >= 1 {
					out = append(out, mk("postpone_request", p.T("case.do.postpone_request"), false,
						actField{Kind: "number", Name: "days", Label: p.T("case.f.days", left), Min: 1, Max: left, Value: "1", Required: true},
						note(p.T("case.f.postpone_reason"), true)))
				}
			}
			ret := mk("return", p.T("case.do.return"), false, note(p.T("case.f.return_reason"), true))
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
	r.ParseForm()
	f := r.PostFormValue
	in := cases.Input{Note: f("note"), UnitID: strings.TrimSpace(f("unit_id")), AssistUnits: r.PostForm["assist_unit_ids"], Reopen: f("reopen") == "1"}
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
	notFound := errs.Field("into", "err.cases.merge_target")
	if ref == "" {
		return "", notFound
	}
	parts := strings.Split(ref, "-")
	if len(parts) != 3 {
		return ref, nil // an id; the domain checks it
	}
	day, err := time.ParseInLocation("20060102", parts[1], chinaTime)
	if err != nil {
		return "", notFound
	}
	f := cases.Filter{From: day, To: day.AddDate(0, 0, 1), Limit: 500}
	for range 20 {
		cs, next, err := s.cases.List(ctx, a, f)
		if err != nil {
			return "", err
		}
		for _, c := range cs {
			if c.No == ref {
				return c.ID, nil
			}
		}
		if next == "" {
			break
		}
		f.After = next
	}
	return "", notFound
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

// ---- work lists ----------------------------------------------------------

type listData struct {
	Tab      string
	Tabs     []tabLink
	Rows     []caseRow
	Next     string
	F        map[string]string
	Groups   []catGroup
	Stages   []fieldOption
	Channels []fieldOption
	MineHint string
	Filtered bool // a filter is set: the filter form stays open
}

type tabLink struct {
	Key, Label, URL string
	Current         bool
}

type caseRow struct {
	ID, No, Category, Stage, Due, Grid, Reported string
	Overdue, Escalated                           bool
}

var listStages = []cases.Status{cases.Reported, cases.Accepted, cases.Dispatched, cases.Replied, cases.Closed, cases.Rejected, cases.Merged}
var openStages = []cases.Status{cases.Reported, cases.Accepted, cases.Dispatched, cases.Replied}

func (s *Server) casesPage(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	q := r.URL.Query()
	p := s.page(r, "", "cases", nil)
	p.Title = p.T("case.list_title")
	worker := a.Role.Has(auth.CaseDispatch) || a.Role.Has(auth.CaseHandle) || a.Role.Has(auth.CaseVerify)
	d := &listData{Tab: q.Get("tab"), F: map[string]string{}}
	for _, k := range []string{"region", "category", "status", "channel", "from", "to"} {
		d.F[k] = strings.TrimSpace(q.Get(k))
	}
	switch d.Tab {
	case "mine", "overdue", "all":
	default:
		d.Tab = "all"
		if worker {
			d.Tab = "mine"
		}
	}
	if d.Tab == "mine" && !worker {
		d.Tab = "all"
	}
	keep := url.Values{}
	for k, v := range d.F {
		if v != "" {
			keep.Set(k, v)
			d.Filtered = true
		}
	}
	for _, t := range []string{"mine", "overdue", "all"} {
		if t == "mine" && !worker {
			continue
		}
		v := url.Values{}
		for k, vs := range keep {
			v[k] = vs
		}
		v.Set("tab", t)
		d.Tabs = append(d.Tabs, tabLink{Key: t, Label: p.T("case.tab." + t), URL: "/cases?" + v.Encode(), Current: t == d.Tab})
	}
	groups, byCode, err := s.categories(r.Context(), p.Lang)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	d.Groups = groups
	for _, st := range listStages {
		d.Stages = append(d.Stages, fieldOption{Value: string(st), Label: stageName(p, st), Selected: string(st) == d.F["status"]})
	}
	for _, ch := range cases.Channels {
		d.Channels = append(d.Channels, fieldOption{Value: string(ch), Label: channelName(p, ch), Selected: string(ch) == d.F["channel"]})
	}
	p.Data = d

	f := cases.Filter{RegionCode: d.F["region"], Category: d.F["category"], Channel: cases.Channel(d.F["channel"]), After: q.Get("cursor"), Limit: 30}
	p.Errors = map[string]string{}
	for _, k := range []string{"from", "to"} {
		if v := d.F[k]; v != "" {
			t, err := time.ParseInLocation("2006-01-02", v, chinaTime)
			if err != nil {
				p.Errors[k] = s.cat.Error(p.Lang, errs.Field(k, "err.date"))
				continue
			}
			if k == "to" {
				t = t.AddDate(0, 0, 1) // the whole day
			}
			if k == "from" {
				f.From = t
			} else {
				f.To = t
			}
		}
	}
	switch d.Tab {
	case "mine":
		if a.Role.Has(auth.CaseDispatch) {
			f.Status = append(f.Status, cases.Reported, cases.Accepted)
		}
		if a.Role.Has(auth.CaseVerify) {
			f.Status = append(f.Status, cases.Replied)
		}
		if a.Role.Has(auth.CaseHandle) {
			f.Status = append(f.Status, cases.Dispatched)
			f.UnitID = s.myUnit(r.Context(), a)
			if f.UnitID == "" {
				d.MineHint = p.T("case.no_unit")
			}
		}
		d.MineHint = firstNonEmpty(d.MineHint, p.T("case.mine_hint."+mineKind(a.Role)))
	case "overdue":
		f.Overdue, f.Status = true, openStages
	}
	if st := d.F["status"]; st != "" {
		f.Status = []cases.Status{cases.Status(st)}
	}
	status := http.StatusOK
	if len(p.Errors) == 0 && !(d.Tab == "mine" && a.Role.Has(auth.CaseHandle) && f.UnitID == "") {
		cs, next, err := s.cases.List(r.Context(), a, f)
		if err != nil {
			e := errs.As(err)
			if e.Code == errs.Internal || e.Field == "" {
				s.errorPage(w, r, err)
				return
			}
			p.Errors[e.Field] = s.cat.Error(p.Lang, e)
			status = api.Status(err)
		}
		for _, c := range cs {
			cat := c.CategoryName
			if k, ok := byCode[c.CategoryCode]; ok {
				cat = catName(p.Lang, k)
			}
			d.Rows = append(d.Rows, caseRow{ID: c.ID, No: c.No, Category: cat, Stage: stageName(p, c.Status), Due: beijing(c.Due()),
				Grid: s.gridName(c.GridCode), Reported: beijing(c.ReportedAt), Overdue: c.Overdue && c.Status.Open(), Escalated: c.Escalated && c.Status.Open()})
		}
		if next != "" {
			v := url.Values{}
			for k, vs := range keep {
				v[k] = vs
			}
			v.Set("tab", d.Tab)
			v.Set("cursor", next)
			d.Next = "/cases?" + v.Encode()
		}
	} else if len(p.Errors) > 0 {
		status = http.StatusBadRequest
	}
	s.render(w, r, status, "case_list", p)
}

func mineKind(r auth.Role) string {
	switch {
	case r.Has(auth.CaseDispatch):
		return "dispatch"
	case r.Has(auth.CaseHandle):
		return "handle"
	}
	return "verify"
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// ---- rates ---------------------------------------------------------------

type ratesData struct {
	R      cases.Rates
	Region string
	Place  string
	From   string
	To     string
	Cards  []rateCard
	Counts []countCard
	Hours  string
}

type rateCard struct {
	Key, Label, Hint, Figure, Value string
}

type countCard struct {
	Key, Label string
	N          int
}

func (s *Server) ratesPage(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	q := r.URL.Query()
	p := s.page(r, "", "cases", nil)
	p.Title = p.T("case.rates_title")
	d := &ratesData{Region: strings.TrimSpace(q.Get("region")), From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to"))}
	if d.Region == "" {
		d.Region = a.RegionCode
	}
	today := time.Now().In(chinaTime)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, chinaTime)
	if d.To == "" {
		d.To = today.Format("2006-01-02")
	}
	if d.From == "" {
		d.From = today.AddDate(0, 0, -29).Format("2006-01-02")
	}
	p.Data = d
	p.Errors = map[string]string{}
	from, err1 := time.ParseInLocation("2006-01-02", d.From, chinaTime)
	to, err2 := time.ParseInLocation("2006-01-02", d.To, chinaTime)
	if err1 != nil {
		p.Errors["from"] = s.cat.Error(p.Lang, errs.Field("from", "err.date"))
	}
	if err2 != nil {
		p.Errors["to"] = s.cat.Error(p.Lang, errs.Field("to", "err.date"))
	}
	if len(p.Errors) > 0 {
		s.render(w, r, http.StatusBadRequest, "case_rates", p)
		return
	}
	rt, err := s.cases.Rates(r.Context(), a, d.Region, from, to.AddDate(0, 0, 1))
	if err != nil {
		e := errs.As(err)
		if e.Field == "" || e.Code == errs.Internal {
			s.errorPage(w, r, err)
			return
		}
		p.Errors[e.Field] = s.cat.Error(p.Lang, e)
		s.render(w, r, api.Status(err), "case_rates", p)
		return
	}
	d.R = rt
	d.Place = s.gridName(rt.Region)
	d.Counts = []countCard{
		{"reported", p.T("case.rate.reported"), rt.Reported}, {"open", p.T("case.rate.open"), rt.Open},
		{"closed", p.T("case.rate.closed"), rt.Closed}, {"rejected", p.T("case.rate.rejected"), rt.Rejected},
		{"overdue", p.T("case.rate.overdue"), rt.Overdue},
	}
	for _, c := range []struct {
		key string
		r   cases.Rate
	}{{"response", rt.Response}, {"on_time", rt.OnTime}, {"resolution", rt.Resolution}, {"satisfaction", rt.Satisfaction}, {"rework", rt.Rework}} {
		v := "—"
		if c.r.Den > 0 {
			v = strconv.FormatFloat(c.r.Value*100, 'f', 1, 64) + "%"
		}
		d.Cards = append(d.Cards, rateCard{Key: c.key, Label: p.T("case.rate." + c.key), Hint: p.T("case.rate." + c.key + "_hint"),
			Figure: strconv.Itoa(c.r.Num) + " / " + strconv.Itoa(c.r.Den) + " = " + v, Value: v})
	}
	d.Hours = strconv.FormatFloat(rt.AvgWorkHours, 'f', 1, 64)
	s.render(w, r, http.StatusOK, "case_rates", p)
}
