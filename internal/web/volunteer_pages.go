package web

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"civicgrid/internal/api"
	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/ledger"
	"civicgrid/internal/market"
	"civicgrid/internal/qrcode"
	"civicgrid/internal/region"
	"civicgrid/internal/volunteer"
)

// formFail shows a form again with the error next to its field, keeping
// what was typed.
func (s *Server) formFail(w http.ResponseWriter, r *http.Request, p *Page, tmpl string, err error) {
	e := errs.As(err)
	msg := s.cat.Error(p.Lang, e)
	if e.Code == errs.Internal {
		s.log.ErrorContext(r.Context(), "form failed", "err", err, "path", r.URL.Path)
	}
	if e.Field != "" {
		p.Errors = map[string]string{e.Field: msg}
	}
	p.Error = msg
	if p.Form == nil {
		p.Form = map[string]string{}
		r.ParseForm()
		for k, v := range r.PostForm {
			if k != "csrf" && len(v) > 0 {
				p.Form[k] = v[0]
			}
		}
	}
	s.render(w, r, api.Status(err), tmpl, p)
}

// localTime reads a datetime-local value as Beijing time.
func localTime(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, true
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, v, chinaTime); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func newKey() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Activity pages.

type activityCard struct {
	volunteer.Activity
	When, Place, Domain string
	Full                bool
}

func (s *Server) card(p *Page, a volunteer.Activity) activityCard {
	c := activityCard{Activity: a, Domain: p.T("domain." + a.Domain), Full: a.Filled() >= a.Places()}
	c.When = beijing(a.StartsAt) + " – " + a.EndsAt.In(chinaTime).Format("15:04")
	if a.EndsAt.Sub(a.StartsAt) > 20*time.Hour {
		c.When = beijing(a.StartsAt) + " – " + beijing(a.EndsAt)
	}
	c.Place = a.Address
	if g := s.gridName(a.GridCode); g != "" {
		c.Place = strings.TrimSpace(c.Place + " · " + g)
	}
	return c
}

type activitiesData struct {
	Cards       []activityCard
	Domains     []string
	Domain      string
	Region      string
	ICS         string
	CanOrganise bool
}

// activitiesPage is the public calendar of activities, by area and domain.
func (s *Server) activitiesPage(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "activities", nil)
	p.Title = p.T("vol.activities")
	q := r.URL.Query()
	f := volunteer.ActivityFilter{Domain: q.Get("domain"), From: time.Now().Add(-12 * time.Hour), Limit: 100}
	d := &activitiesData{Domains: volunteer.Domains, Domain: f.Domain, Region: q.Get("region")}
	if d.Region != "" {
		if reg, ok := s.regions.Lookup(d.Region); ok {
			f.RegionPath = reg.Path
		}
	}
	if f.Domain != "" && !contains(volunteer.Domains, f.Domain) {
		f.Domain, d.Domain = "", ""
	}
	as, err := s.vol.Activities(r.Context(), f)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	for _, a := range as {
		d.Cards = append(d.Cards, s.card(p, a))
	}
	ics := url.Values{}
	if d.Region != "" {
		ics.Set("region", d.Region)
	}
	if d.Domain != "" {
		ics.Set("domain", d.Domain)
	}
	d.ICS = "/api/v1/activities.ics"
	if len(ics) > 0 {
		d.ICS += "?" + ics.Encode()
	}
	d.CanOrganise = p.SignedIn && (p.Can(string(auth.VolunteerManage)) || s.vol.LeadsTeam(r.Context(), p.Actor.UserID))
	p.Data = d
	s.render(w, r, http.StatusOK, "activities", p)
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

type activityData struct {
	Card      activityCard
	Skills    []string // the skills with a quota, "" first
	Mine      *volunteer.Signup
	Volunteer *volunteer.Volunteer
	Organiser bool
}

// activityPage shows one activity; a volunteer signs up here.
func (s *Server) activityPage(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "activities", nil)
	a, err := s.vol.Activity(r.Context(), r.PathValue("id"))
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p.Title = a.Title
	d := &activityData{Card: s.card(p, a)}
	if _, ok := a.Quotas[""]; ok {
		d.Skills = append(d.Skills, "")
	}
	for _, k := range volunteer.Skills {
		if _, ok := a.Quotas[k]; ok {
			d.Skills = append(d.Skills, k)
		}
	}
	if p.SignedIn {
		if v, err := s.vol.Mine(r.Context(), p.Actor); err == nil {
			d.Volunteer = &v
			if gs, err := s.vol.MySignups(r.Context(), p.Actor); err == nil {
				for i := range gs {
					if gs[i].ActivityID == a.ID {
						d.Mine = &gs[i]
					}
				}
			}
		}
		d.Organiser = s.vol.CanOrganise(r.Context(), p.Actor, a)
	}
	switch r.URL.Query().Get("done") {
	case "signup":
		p.Notice = p.T("vol.signed_up")
	case "cancel":
		p.Notice = p.T("vol.cancelled")
	}
	p.Data = d
	s.render(w, r, http.StatusOK, "activity", p)
}

// signupActivity signs the viewer up.
func (s *Server) signupActivity(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	id := r.PathValue("id")
	if _, err := s.vol.SignUp(r.Context(), a, id, r.PostFormValue("skill")); err != nil {
		s.errorPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/activities/"+id+"?done=signup", http.StatusSeeOther)
}

// cancelSignup withdraws (or, by the organiser, rejects) a sign-up.
func (s *Server) cancelSignup(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	g, err := s.vol.Cancel(r.Context(), a, r.PathValue("id"), r.PostFormValue("note"))
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	if g.Status == "rejected" {
		http.Redirect(w, r, "/activities/"+g.ActivityID+"/manage", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/activities/"+g.ActivityID+"?done=cancel", http.StatusSeeOther)
}

type activityFormData struct {
	Teams   []volunteer.Team
	Domains []string
	Skills  []string
}

func (s *Server) activityFormData(r *http.Request, p *Page) *activityFormData {
	d := &activityFormData{Domains: volunteer.Domains, Skills: volunteer.Skills}
	ts, _ := s.vol.Teams(r.Context(), "/")
	for _, t := range ts {
		if t.LeaderUserID == p.Actor.UserID || p.Actor.Authorize(auth.VolunteerManage, t.RegionPath) == nil {
			d.Teams = append(d.Teams, t)
		}
	}
	return d
}

// activityForm is the organiser's form for a new activity.
func (s *Server) activityForm(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "activities", nil)
	p.Title = p.T("vol.new_activity")
	d := s.activityFormData(r, p)
	if len(d.Teams) == 0 && !p.Can(string(auth.VolunteerManage)) {
		s.errorPage(w, r, errs.New(errs.Forbidden, "err.volunteer.not_organiser"))
		return
	}
	start := time.Now().In(chinaTime).Add(24 * time.Hour)
	start = time.Date(start.Year(), start.Month(), start.Day(), 9, 0, 0, 0, chinaTime)
	p.Form = map[string]string{"starts_at": start.Format("2006-01-02T15:04"), "ends_at": start.Add(3 * time.Hour).Format("2006-01-02T15:04"), "quota": "20", "radius_m": "300"}
	p.Data = d
	s.render(w, r, http.StatusOK, "activity_new", p)
}

// createActivity creates an activity from the form.
func (s *Server) createActivity(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	p := s.page(r, "", "activities", nil)
	p.Title = p.T("vol.new_activity")
	p.Data = s.activityFormData(r, p)
	in := volunteer.NewActivity{TeamID: r.PostFormValue("team_id"), Title: r.PostFormValue("title"), Description: r.PostFormValue("description"),
		Domain: r.PostFormValue("domain"), Address: r.PostFormValue("address"), Quotas: map[string]int{}}
	var ok bool
	if in.StartsAt, ok = localTime(r.PostFormValue("starts_at")); !ok {
		s.formFail(w, r, p, "activity_new", errs.Field("starts_at", "err.invalid_date"))
		return
	}
	if in.EndsAt, ok = localTime(r.PostFormValue("ends_at")); !ok {
		s.formFail(w, r, p, "activity_new", errs.Field("ends_at", "err.invalid_date"))
		return
	}
	var err1, err2 error
	in.Lat, err1 = strconv.ParseFloat(strings.TrimSpace(r.PostFormValue("lat")), 64)
	in.Lng, err2 = strconv.ParseFloat(strings.TrimSpace(r.PostFormValue("lng")), 64)
	if err1 != nil || err2 != nil {
		s.formFail(w, r, p, "activity_new", errs.Field("lat", "err.volunteer.place_needed"))
		return
	}
	if v := strings.TrimSpace(r.PostFormValue("radius_m")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			s.formFail(w, r, p, "activity_new", errs.Field("radius_m", "err.number"))
			return
		}
		in.RadiusM = n
	}
	for _, k := range append([]string{""}, volunteer.Skills...) {
		name := "quota"
		if k != "" {
			name = "quota_" + k
		}
		v := strings.TrimSpace(r.PostFormValue(name))
		if v == "" || v == "0" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			s.formFail(w, r, p, "activity_new", errs.Field(name, "err.number"))
			return
		}
		in.Quotas[k] = n
	}
	act, err := s.vol.CreateActivity(r.Context(), a, in)
	if err != nil {
		if e := errs.As(err); e.Field == "quotas" {
			e.Field = "quota"
		}
		s.formFail(w, r, p, "activity_new", err)
		return
	}
	http.Redirect(w, r, "/activities/"+act.ID+"/manage", http.StatusSeeOther)
}

type manageData struct {
	Card    activityCard
	Signups []signupRow
	Ready   int // checked out, hours not yet approved
}

type signupRow struct {
	volunteer.Signup
	Skill, Status, In, Out, Hours string
}

func hoursText(min int64) string { return strconv.FormatFloat(float64(min)/60, 'f', 1, 64) }

// manageActivity is the organiser's page: the rotating QR, who came, hand
// marks and approval.
func (s *Server) manageActivity(w http.ResponseWriter, r *http.Request) {
	actor, _ := auth.FromContext(r.Context())
	p := s.page(r, "", "activities", nil)
	a, err := s.vol.Activity(r.Context(), r.PathValue("id"))
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	gs, err := s.vol.Signups(r.Context(), actor, a.ID)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p.Title = p.T("vol.manage") + " · " + a.Title
	d := &manageData{Card: s.card(p, a)}
	for _, g := range gs {
		row := signupRow{Signup: g, Skill: p.T("skill.general"), Status: p.T("signup." + g.Status), In: beijing(g.CheckinAt), Out: beijing(g.CheckoutAt), Hours: hoursText(g.Minutes)}
		if g.Skill != "" {
			row.Skill = p.T("skill." + g.Skill)
		}
		if g.Status == "approved" && g.HoursStatus == "none" && g.Minutes > 0 {
			d.Ready++
		}
		d.Signups = append(d.Signups, row)
	}
	switch r.URL.Query().Get("done") {
	case "approve":
		p.Notice = p.T("vol.approved_n", r.URL.Query().Get("n"))
	case "mark":
		p.Notice = p.T("vol.marked")
	}
	p.Data = d
	s.render(w, r, http.StatusOK, "activity_manage", p)
}

type qrData struct {
	ID, Code, URL string
	Seconds       int
}

// activityQR is the fragment the organiser's page reloads: the current QR.
func (s *Server) activityQR(w http.ResponseWriter, r *http.Request) {
	actor, _ := auth.FromContext(r.Context())
	id := r.PathValue("id")
	code, left, err := s.vol.Code(r.Context(), actor, id)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p := s.page(r, "", "", &qrData{ID: id, Code: code, URL: api.CheckinURL(r, id, code), Seconds: int(left.Seconds()) + 1})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.pages["activity_manage"].ExecuteTemplate(w, "qr", p); err != nil {
		s.log.ErrorContext(r.Context(), "render qr", "err", err)
	}
}

// activityQRImage is the QR code of the current check-in URL.
func (s *Server) activityQRImage(w http.ResponseWriter, r *http.Request) {
	actor, _ := auth.FromContext(r.Context())
	id := r.PathValue("id")
	code, _, err := s.vol.Code(r.Context(), actor, id)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	png, err := qrcode.PNG(api.CheckinURL(r, id, code), 480)
	if err != nil {
		s.errorPage(w, r, errs.Wrap(err, "qr"))
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(png)
}

// approveHours approves all checked-out hours of an activity.
func (s *Server) approveHours(w http.ResponseWriter, r *http.Request) {
	actor, _ := auth.FromContext(r.Context())
	id := r.PathValue("id")
	if v := strings.TrimSpace(r.PostFormValue("people_served")); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			s.errorPage(w, r, errs.Field("people_served", "err.number"))
			return
		}
		if err := s.vol.SetServed(r.Context(), actor, id, n); err != nil {
			s.errorPage(w, r, err)
			return
		}
	}
	n, err := s.vol.ApproveHours(r.Context(), actor, id, r.PostForm["signup"])
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/activities/"+id+"/manage?done=approve&n="+strconv.Itoa(n), http.StatusSeeOther)
}

// markSignup is the organiser's hand record for one volunteer.
func (s *Server) markSignup(w http.ResponseWriter, r *http.Request) {
	actor, _ := auth.FromContext(r.Context())
	m := volunteer.Mark{What: r.PostFormValue("what"), Reason: r.PostFormValue("reason")}
	if v := r.PostFormValue("at"); v != "" {
		t, ok := localTime(v)
		if !ok {
			s.errorPage(w, r, errs.Field("at", "err.invalid_date"))
			return
		}
		m.At = t
	}
	g, err := s.vol.MarkByHand(r.Context(), actor, r.PathValue("id"), m)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/activities/"+g.ActivityID+"/manage?done=mark", http.StatusSeeOther)
}

type checkinData struct {
	Card   activityCard
	Code   string
	Signup *volunteer.Signup
	Done   string
}

// checkinPage is where the QR code leads the volunteer's phone.
func (s *Server) checkinPage(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "activities", nil)
	a, err := s.vol.Activity(r.Context(), r.PathValue("id"))
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p.Title = p.T("vol.checkin")
	d := &checkinData{Card: s.card(p, a), Code: r.URL.Query().Get("c"), Done: r.URL.Query().Get("done")}
	if gs, err := s.vol.MySignups(r.Context(), p.Actor); err == nil {
		for i := range gs {
			if gs[i].ActivityID == a.ID {
				d.Signup = &gs[i]
			}
		}
	}
	switch d.Done {
	case "in":
		p.Notice = p.T("vol.checked_in")
	case "out":
		if d.Signup != nil {
			p.Notice = p.T("vol.checked_out", hoursText(d.Signup.Minutes))
		}
	}
	p.Data = d
	s.render(w, r, http.StatusOK, "checkin", p)
}

// checkin records the scan: code, and where the phone is.
func (s *Server) checkin(w http.ResponseWriter, r *http.Request) {
	actor, _ := auth.FromContext(r.Context())
	id := r.PathValue("id")
	sc := volunteer.Scan{Code: r.PostFormValue("code")}
	lat, e1 := strconv.ParseFloat(r.PostFormValue("lat"), 64)
	lng, e2 := strconv.ParseFloat(r.PostFormValue("lng"), 64)
	acc, _ := strconv.ParseFloat(r.PostFormValue("accuracy"), 64)
	sc.Lat, sc.Lng, sc.Accuracy = lat, lng, acc
	var err error
	if e1 != nil || e2 != nil {
		err = errs.Field("lat", "err.volunteer.no_location")
	} else if r.PostFormValue("what") == "out" {
		_, err = s.vol.CheckOut(r.Context(), actor, id, sc)
	} else {
		_, err = s.vol.CheckIn(r.Context(), actor, id, sc)
	}
	if err != nil {
		p := s.page(r, "", "activities", nil)
		p.Title = p.T("vol.checkin")
		a, aerr := s.vol.Activity(r.Context(), id)
		if aerr != nil {
			s.errorPage(w, r, aerr)
			return
		}
		p.Data = &checkinData{Card: s.card(p, a), Code: sc.Code}
		p.Form = map[string]string{}
		s.formFail(w, r, p, "checkin", err)
		return
	}
	what := "in"
	if r.PostFormValue("what") == "out" {
		what = "out"
	}
	http.Redirect(w, r, "/checkin/"+id+"?c="+url.QueryEscape(sc.Code)+"&done="+what, http.StatusSeeOther)
}

// My volunteer page.

type myVolunteerData struct {
	Volunteer *volunteer.Volunteer
	Hours     string
	Signups   []signupRow
	Certs     []volunteer.Certificate
	Honours   []volunteer.Honour
	Skills    []string
	Grid      string
}

func (s *Server) myVolunteer(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "volunteer", nil)
	p.Title = p.T("vol.mine")
	d := &myVolunteerData{Skills: volunteer.Skills}
	v, err := s.vol.Mine(r.Context(), p.Actor)
	switch {
	case errs.Is(err, errs.NotFound):
		if reg, ok := s.regions.Lookup(p.Actor.RegionCode); ok && reg.Level == "grid" {
			d.Grid = reg.Code
		}
		p.Form = map[string]string{"grid_code": d.Grid}
	case err != nil:
		s.errorPage(w, r, err)
		return
	default:
		d.Volunteer = &v
		d.Hours = hoursText(v.Minutes)
		gs, err := s.vol.MySignups(r.Context(), p.Actor)
		if err != nil {
			s.errorPage(w, r, err)
			return
		}
		for _, g := range gs {
			d.Signups = append(d.Signups, signupRow{Signup: g, Status: p.T("signup." + g.Status), Hours: hoursText(g.Minutes)})
		}
		if d.Certs, err = s.vol.Certificates(r.Context(), p.Actor, v.ID); err != nil {
			s.errorPage(w, r, err)
			return
		}
		if rec, err := s.vol.Record(r.Context(), p.Actor, v.ID); err == nil {
			d.Honours = rec.Honours
		}
	}
	switch r.URL.Query().Get("done") {
	case "registered":
		p.Notice = p.T("vol.registered")
	case "cert":
		p.Notice = p.T("vol.cert_issued")
	}
	p.Data = d
	s.render(w, r, http.StatusOK, "volunteer", p)
}

func (s *Server) registerVolunteer(w http.ResponseWriter, r *http.Request) {
	actor, _ := auth.FromContext(r.Context())
	r.ParseForm()
	in := volunteer.NewVolunteer{Name: r.PostFormValue("name"), Phone: r.PostFormValue("phone"), IDNumber: r.PostFormValue("id_number"),
		GridCode: strings.TrimSpace(r.PostFormValue("grid_code")), Skills: r.PostForm["skills"]}
	if _, err := s.vol.Register(r.Context(), actor, in); err != nil {
		p := s.page(r, "", "volunteer", &myVolunteerData{Skills: volunteer.Skills})
		p.Title = p.T("vol.mine")
		p.Form = map[string]string{"name": in.Name, "phone": in.Phone, "grid_code": in.GridCode}
		for _, k := range in.Skills {
			p.Form["skill_"+k] = "1"
		}
		s.formFail(w, r, p, "volunteer", err)
		return
	}
	http.Redirect(w, r, "/volunteer?done=registered", http.StatusSeeOther)
}

func (s *Server) issueCertificate(w http.ResponseWriter, r *http.Request) {
	actor, _ := auth.FromContext(r.Context())
	v, err := s.vol.Mine(r.Context(), actor)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	if _, err := s.vol.IssueCertificate(r.Context(), actor, v.ID); err != nil {
		s.errorPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/volunteer?done=cert", http.StatusSeeOther)
}

// verifyPage is where a certificate's QR code leads: anyone can check it.
func (s *Server) verifyPage(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "", nil)
	p.Title = p.T("vol.verify")
	c, err := s.vol.PublicCheck(r.Context(), r.PathValue("no"))
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p.Data = struct {
		volunteer.Certificate
		Hours, Issued string
	}{c, hoursText(c.Minutes), beijing(c.IssuedAt)}
	s.render(w, r, http.StatusOK, "verify", p)
}

// Wallet.

type walletData struct {
	Code      string // for counter sales, valid a few minutes
	Expiring  int64  // points that expire within 30 days, when points expire
	ValidFor  int    // months points stay valid (0 = forever)
	Account   ledger.Account
	Holds     []ledger.Hold
	Movements []movementRow
	Next      string
}

type movementRow struct {
	ledger.Movement
	When, Reason, Counterparty string
}

func (s *Server) walletPage(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "wallet", nil)
	p.Title = p.T("points.wallet")
	acc, holds, err := s.ledger.MyWallet(r.Context(), p.Actor)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	ms, next, err := s.ledger.Movements(r.Context(), p.Actor, acc.ID, r.URL.Query().Get("cursor"), 50)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	d := &walletData{Account: acc, Holds: holds, Code: s.markets.CounterCode(p.Actor.UserID, time.Now()), ValidFor: s.cfg.PointsValidMonths}
	if months := s.cfg.PointsValidMonths; months > 0 {
		// What a cutoff 30 days from now will have reached.
		if d.Expiring, err = s.ledger.ExpiringBy(r.Context(), acc.ID, ledger.Cutoff(time.Now().AddDate(0, 0, 30), months)); err != nil {
			s.errorPage(w, r, err)
			return
		}
	}
	for _, m := range ms {
		cp := m.Counterparty
		if m.CounterKind == ledger.Issuer {
			cp = p.T("points.issuer")
			if reg, ok := s.regions.Lookup(m.CounterArea); ok {
				cp = reg.Name + cp
			}
		}
		d.Movements = append(d.Movements, movementRow{Movement: m, When: beijing(m.CreatedAt), Reason: p.T("reason." + string(m.Reason)), Counterparty: cp})
	}
	if next != "" {
		d.Next = "/wallet?cursor=" + url.QueryEscape(next)
	}
	p.Data = d
	s.render(w, r, http.StatusOK, "wallet", p)
}

// Supermarkets.

func (s *Server) marketsPage(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "markets", nil)
	p.Title = p.T("market.title")
	ms, err := s.markets.Near(r.Context(), p.Actor.RegionPath)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p.Data = ms
	s.render(w, r, http.StatusOK, "markets", p)
}

type marketData struct {
	Market    market.Market
	Keeper    bool
	Orders    []market.Order
	Mine      []market.Order
	Available int64
	Key       string
	Today     string
}

func (s *Server) marketPage(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "markets", nil)
	m, err := s.markets.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p.Title = m.Name
	d := &marketData{Market: m, Keeper: s.markets.IsKeeper(p.Actor, m), Key: newKey(), Today: time.Now().In(chinaTime).Format("2006-01-02")}
	if d.Keeper {
		if d.Orders, err = s.markets.Orders(r.Context(), p.Actor, m.ID, "held"); err != nil {
			s.errorPage(w, r, err)
			return
		}
	}
	if acc, _, err := s.ledger.MyWallet(r.Context(), p.Actor); err == nil {
		d.Available = acc.Available
	}
	if mine, err := s.markets.MyOrders(r.Context(), p.Actor); err == nil {
		for _, o := range mine {
			if o.MarketID == m.ID {
				d.Mine = append(d.Mine, o)
			}
		}
	}
	switch r.URL.Query().Get("done") {
	case "order":
		p.Notice = p.T("market.ordered")
	case "pickup":
		p.Notice = p.T("market.picked_up")
	case "cancel":
		p.Notice = p.T("market.cancelled")
	case "item":
		p.Notice = p.T("market.item_saved")
	case "day":
		p.Notice = p.T("market.day_saved")
	}
	p.Data = d
	s.render(w, r, http.StatusOK, "market", p)
}

func (s *Server) marketFail(w http.ResponseWriter, r *http.Request, err error) {
	p := s.page(r, "", "markets", nil)
	m, gerr := s.markets.Get(r.Context(), r.PathValue("id"))
	if gerr != nil {
		s.errorPage(w, r, err)
		return
	}
	p.Title = m.Name
	d := &marketData{Market: m, Keeper: s.markets.IsKeeper(p.Actor, m), Key: newKey(), Today: time.Now().In(chinaTime).Format("2006-01-02")}
	if d.Keeper {
		d.Orders, _ = s.markets.Orders(r.Context(), p.Actor, m.ID, "held")
	}
	if acc, _, err := s.ledger.MyWallet(r.Context(), p.Actor); err == nil {
		d.Available = acc.Available
	}
	p.Data = d
	s.formFail(w, r, p, "market", err)
}

func (s *Server) placeOrder(w http.ResponseWriter, r *http.Request) {
	actor, _ := auth.FromContext(r.Context())
	qty, err := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("qty")), 10, 64)
	if err != nil {
		s.marketFail(w, r, errs.Field("qty", "err.number"))
		return
	}
	id := r.PathValue("id")
	in := market.NewOrder{MarketID: id, ItemID: r.PostFormValue("item_id"), Qty: qty, Key: r.PostFormValue("key")}
	if name := strings.TrimSpace(r.PostFormValue("buyer")); name != "" {
		// A counter sale: the keeper names the buyer's account.
		u, err := s.accounts.ByUsername(r.Context(), name)
		if err != nil {
			s.marketFail(w, r, errs.Field("buyer", "err.market.no_buyer"))
			return
		}
		in.BuyerUserID, in.BuyerCode = u.ID, strings.TrimSpace(r.PostFormValue("buyer_code"))
	}
	if _, err := s.markets.Place(r.Context(), actor, in); err != nil {
		s.marketFail(w, r, err)
		return
	}
	http.Redirect(w, r, "/markets/"+id+"?done=order", http.StatusSeeOther)
}

func (s *Server) saveItem(w http.ResponseWriter, r *http.Request) {
	actor, _ := auth.FromContext(r.Context())
	price, e1 := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("price")), 10, 64)
	stock, e2 := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("stock")), 10, 64)
	switch {
	case e1 != nil:
		s.marketFail(w, r, errs.Field("price", "err.number"))
		return
	case e2 != nil:
		s.marketFail(w, r, errs.Field("stock", "err.number"))
		return
	}
	it := market.Item{ID: r.PostFormValue("item_id"), MarketID: r.PathValue("id"), Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), Price: price, Stock: stock, Active: r.PostFormValue("active") != "0"}
	if _, err := s.markets.SaveItem(r.Context(), actor, it); err != nil {
		s.marketFail(w, r, err)
		return
	}
	http.Redirect(w, r, "/markets/"+it.MarketID+"?done=item", http.StatusSeeOther)
}

func (s *Server) addMarketDay(w http.ResponseWriter, r *http.Request) {
	actor, _ := auth.FromContext(r.Context())
	id := r.PathValue("id")
	if err := s.markets.AddDay(r.Context(), actor, id, market.Day{Day: r.PostFormValue("day"), Opens: r.PostFormValue("opens"), Closes: r.PostFormValue("closes")}); err != nil {
		s.marketFail(w, r, err)
		return
	}
	http.Redirect(w, r, "/markets/"+id+"?done=day", http.StatusSeeOther)
}

func (s *Server) settleOrder(w http.ResponseWriter, r *http.Request) {
	actor, _ := auth.FromContext(r.Context())
	var o market.Order
	var err error
	done := "pickup"
	if r.PathValue("what") == "cancel" {
		o, err = s.markets.Cancel(r.Context(), actor, r.PathValue("id"))
		done = "cancel"
	} else {
		o, err = s.markets.Pickup(r.Context(), actor, r.PathValue("id"))
	}
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/markets/"+o.MarketID+"?done="+done, http.StatusSeeOther)
}

// Staff: the volunteer register of an area, teams, and the XLSX import.

type volunteersData struct {
	Volunteers []volunteer.Volunteer
	Teams      []volunteer.Team
	Brands     []volunteer.Brand
	Projects   []projectRow
	Counties   []fieldOption // where a brand may be registered
	Places     []fieldOption // where a team or project may be: counties and towns in scope
	Skills     []string
	Skill      string
	Next       string
	Problems   []string
	Created    int
}

func (s *Server) volunteersData(r *http.Request, p *Page) (*volunteersData, error) {
	q := r.URL.Query()
	d := &volunteersData{Skills: volunteer.Skills, Skill: q.Get("skill")}
	if d.Skill != "" && !contains(volunteer.Skills, d.Skill) {
		d.Skill = ""
	}
	vs, next, err := s.vol.List(r.Context(), p.Actor, volunteer.Filter{Skill: d.Skill, After: q.Get("cursor"), Limit: 50})
	if err != nil {
		return nil, err
	}
	d.Volunteers = vs
	if next != "" {
		d.Next = "/volunteers?skill=" + url.QueryEscape(d.Skill) + "&cursor=" + url.QueryEscape(next)
	}
	if d.Teams, err = s.vol.Teams(r.Context(), p.Actor.RegionPath); err != nil {
		return nil, err
	}
	if d.Brands, err = s.vol.Brands(r.Context(), p.Actor.RegionPath); err != nil {
		return nil, err
	}
	projects, err := s.vol.Projects(r.Context(), p.Actor.RegionPath)
	if err != nil {
		return nil, err
	}
	teamNames := map[string]string{}
	for _, t := range d.Teams {
		teamNames[t.ID] = t.Name
	}
	for _, pr := range projects {
		row := projectRow{Project: pr, Team: teamNames[pr.TeamID]}
		if n, ok := s.regions.Lookup(pr.RegionCode); ok {
			row.Place = n.Name
		}
		d.Projects = append(d.Projects, row)
	}
	// Counties and towns of the viewer's area, for the forms below.
	if root, ok := s.regions.Tree().Get(p.Actor.RegionCode); ok {
		var walk func(n *region.Node)
		walk = func(n *region.Node) {
			if n.Level == region.County || n.Level == region.Town {
				d.Places = append(d.Places, fieldOption{Value: n.Code, Label: n.Name, Selected: n.Code == p.Form["region_code"]})
				if n.Level == region.County {
					d.Counties = append(d.Counties, fieldOption{Value: n.Code, Label: n.Name, Selected: n.Code == p.Form["region_code"]})
				}
			}
			if n.Level.Depth() < region.Town.Depth() {
				for _, c := range n.Children {
					walk(c)
				}
			}
		}
		walk(root)
	}
	return d, nil
}

// projectRow is a project with the names of its team and place.
type projectRow struct {
	volunteer.Project
	Team, Place string
}

// createBrand, createTeam and createProject register a county brand, a
// team and a project from the volunteers page; a refusal shows the page
// again with the message by the field and what was typed.
func (s *Server) createBrand(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	b, err := s.vol.CreateBrand(r.Context(), a, r.PostFormValue("region_code"), r.PostFormValue("parent_id"), r.PostFormValue("name"))
	s.afterOrganising(w, r, "brand", b.Name, err)
}

func (s *Server) createTeam(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	in := volunteer.NewTeam{RegionCode: r.PostFormValue("region_code"), Name: r.PostFormValue("name"), BrandID: r.PostFormValue("brand_id"), Skill: r.PostFormValue("skill")}
	var err error
	if leader := strings.TrimSpace(r.PostFormValue("leader")); leader != "" {
		// Named by username; CreateTeam checks the account is of the
		// team's county.
		u, lerr := s.accounts.ByUsername(r.Context(), leader)
		if lerr != nil {
			err = errs.Field("leader", "err.volunteer.leader_unknown", leader)
		}
		in.LeaderUserID = u.ID
	}
	var t volunteer.Team
	if err == nil {
		t, err = s.vol.CreateTeam(r.Context(), a, in)
		if e := errs.As(err); e.Field == "leader_user_id" {
			err = errs.Field("leader", "err.volunteer.leader_unknown", r.PostFormValue("leader"))
		}
	}
	s.afterOrganising(w, r, "team", t.Name, err)
}

func (s *Server) createProject(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	pr, err := s.vol.CreateProject(r.Context(), a, volunteer.Project{RegionCode: r.PostFormValue("region_code"), TeamID: r.PostFormValue("team_id"),
		Name: r.PostFormValue("name"), Description: r.PostFormValue("description")})
	s.afterOrganising(w, r, "project", pr.Name, err)
}

func (s *Server) afterOrganising(w http.ResponseWriter, r *http.Request, what, name string, err error) {
	if err == nil {
		http.Redirect(w, r, "/volunteers?created="+what+"&name="+url.QueryEscape(name)+"#organise", http.StatusSeeOther)
		return
	}
	p := s.page(r, "", "volunteers", nil)
	p.Title = p.T("vol.register_title")
	p.Form = map[string]string{"form": what}
	for k, v := range r.PostForm {
		if k != "csrf" && len(v) > 0 {
			p.Form[k] = v[0]
		}
	}
	d, derr := s.volunteersData(r, p)
	if derr != nil {
		s.errorPage(w, r, derr)
		return
	}
	p.Data = d
	s.formFail(w, r, p, "volunteers", err)
}

func (s *Server) volunteersPage(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "volunteers", nil)
	p.Title = p.T("vol.register_title")
	d, err := s.volunteersData(r, p)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	if n := r.URL.Query().Get("imported"); n != "" {
		p.Notice = p.T("vol.imported", n)
	}
	if what := r.URL.Query().Get("created"); what == "brand" || what == "team" || what == "project" {
		p.Notice = p.T("vol.created_"+what, r.URL.Query().Get("name"))
	}
	p.Data = d
	s.render(w, r, http.StatusOK, "volunteers", p)
}

// importRow names a problem's row and column: field paths are rows/{n}/{field}.
func (s *Server) importRow(p *Page, e *errs.Error) string {
	msg := s.cat.Error(p.Lang, e)
	parts := strings.Split(e.Field, "/")
	if len(parts) == 3 && parts[0] == "rows" {
		col := parts[2]
		if k := "vol.col." + col; p.cat.Has(k) {
			col = p.T(k)
		}
		return p.T("vol.import_row", parts[1], col, msg)
	}
	return msg
}

func (s *Server) importVolunteers(w http.ResponseWriter, r *http.Request) {
	actor, _ := auth.FromContext(r.Context())
	p := s.page(r, "", "volunteers", nil)
	p.Title = p.T("vol.register_title")
	r.Body = http.MaxBytesReader(w, r.Body, volunteer.MaxImportBytes+1<<20)
	var res volunteer.ImportResult
	f, _, err := r.FormFile("file")
	if err != nil {
		err = errs.Field("file", "err.volunteer.import_xlsx")
	} else {
		defer f.Close()
		res, err = s.vol.Import(r.Context(), actor, f, api.SkillLabels(s.cat))
	}
	if err != nil {
		d, derr := s.volunteersData(r, p)
		if derr != nil {
			s.errorPage(w, r, derr)
			return
		}
		e := errs.As(err)
		p.Error = s.cat.Error(p.Lang, e)
		for _, sub := range e.List {
			d.Problems = append(d.Problems, s.importRow(p, sub))
		}
		p.Data = d
		s.render(w, r, api.Status(err), "volunteers", p)
		return
	}
	http.Redirect(w, r, "/volunteers?imported="+strconv.Itoa(res.Created), http.StatusSeeOther)
}

// Earning rules of a region, for those who manage points there.

type rulesData struct {
	Region  string
	Name    string
	Rules   []ruleRow
	Sources []string
}

type ruleRow struct {
	ledger.Rule
	Source, Where string
	Inherited     bool
}

func (s *Server) rulesPage(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "wallet", nil)
	p.Title = p.T("points.rules")
	code := r.URL.Query().Get("region")
	if code == "" {
		code = p.Actor.RegionCode
	}
	reg, ok := s.regions.Lookup(code)
	if !ok {
		s.errorPage(w, r, errs.New(errs.NotFound, "err.not_found"))
		return
	}
	rules, err := s.ledger.Rules(r.Context(), p.Actor, reg.Path)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	d := &rulesData{Region: reg.Code, Name: reg.Name}
	for _, src := range ledger.Sources {
		d.Sources = append(d.Sources, string(src))
	}
	for _, ru := range rules {
		where := ru.RegionCode
		if g, ok := s.regions.Lookup(ru.RegionCode); ok {
			where = g.Name
		}
		d.Rules = append(d.Rules, ruleRow{Rule: ru, Source: p.T("points.source." + string(ru.Source)), Where: where, Inherited: ru.RegionCode != reg.Code && !strings.HasPrefix(ru.RegionPath, reg.Path)})
	}
	if r.URL.Query().Get("done") == "1" {
		p.Notice = p.T("points.rule_saved")
	}
	p.Data = d
	s.render(w, r, http.StatusOK, "rules", p)
}

func (s *Server) setRule(w http.ResponseWriter, r *http.Request) {
	actor, _ := auth.FromContext(r.Context())
	reg, ok := s.regions.Lookup(r.PostFormValue("region"))
	if !ok {
		s.errorPage(w, r, errs.Field("region", "err.not_found"))
		return
	}
	points, e1 := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("points")), 10, 64)
	cap := int64(0)
	var e2 error
	if v := strings.TrimSpace(r.PostFormValue("daily_cap")); v != "" {
		cap, e2 = strconv.ParseInt(v, 10, 64)
	}
	if e1 != nil || e2 != nil {
		s.errorPage(w, r, errs.Field("points", "err.number"))
		return
	}
	if _, err := s.ledger.SetRule(r.Context(), actor, ledger.Rule{RegionCode: reg.Code, RegionPath: reg.Path, Source: ledger.Source(r.PostFormValue("source")), Points: points, DailyCap: cap}); err != nil {
		s.errorPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/points/rules?region="+url.QueryEscape(reg.Code)+"&done=1", http.StatusSeeOther)
}
