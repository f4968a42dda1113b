package web

import (
	"encoding/json"
	"hash/fnv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"civicgrid/internal/api"
	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/i18n"
	"civicgrid/internal/qrcode"
	"civicgrid/internal/survey"
	"civicgrid/internal/xlsform"
)

// Questionnaire pages: answering (phone first, one page at a time, skip
// logic decided by the server on every change), campaigns, and the staff's
// list, results with charts, and exports with a progress bar.

func textIn(t survey.Text, lang i18n.Lang, langs []string) string {
	if v := t[string(lang)]; v != "" {
		return v
	}
	for _, l := range langs {
		if v := t[l]; v != "" {
			return v
		}
	}
	for _, v := range t {
		return v
	}
	return ""
}

// fieldView is one question as the form shows it.
type fieldView struct {
	Q        survey.Question
	Label    string
	Hint     string
	Choices  []choiceView
	Rows     []choiceView
	Value    string          // text, number, date, single, rating, photo
	Values   map[string]bool // multiple
	Cells    map[string]string
	Ranks    []string // ranking: chosen order
	Lat, Lng string
	Scale    []int
	Error    string
	Hidden   bool
}

type choiceView struct{ Name, Label string }

type fillData struct {
	Q         survey.Questionnaire
	Title     string
	Page      int
	Pages     int
	Fields    []fieldView
	Answers   string // JSON of the answers so far (other pages)
	Key       string
	Region    string
	Regions   []choiceView
	Done      *survey.Receipt
	Closed    bool
	Campaign  string
	Full      bool
	NeedLogin bool
}

func pagesOf(s survey.Schema) int {
	n := 1
	for _, q := range s.Questions {
		if q.Page > n {
			n = q.Page
		}
	}
	return n
}

func pageOf(q survey.Question) int {
	if q.Page < 1 {
		return 1
	}
	return q.Page
}

// formAnswers reads the current page's inputs into answers.
func formAnswers(s survey.Schema, page int, form url.Values, answers map[string]any) {
	for _, q := range s.Questions {
		if pageOf(q) != page || q.Type == survey.Note {
			continue
		}
		delete(answers, q.Name)
		switch q.Type {
		case survey.Multiple:
			if vs := form[q.Name]; len(vs) > 0 {
				l := make([]any, len(vs))
				for i, v := range vs {
					l[i] = v
				}
				answers[q.Name] = l
			}
		case survey.Matrix:
			m := map[string]any{}
			for _, r := range q.Rows {
				if v := form.Get(q.Name + "/" + r.Name); v != "" {
					m[r.Name] = v
				}
			}
			if len(m) > 0 {
				answers[q.Name] = m
			}
		case survey.Ranking:
			var l []any
			for i := range q.Choices {
				if v := form.Get(q.Name + "#" + strconv.Itoa(i+1)); v != "" {
					l = append(l, v)
				}
			}
			if len(l) > 0 {
				answers[q.Name] = l
			}
		case survey.Location:
			lat, e1 := strconv.ParseFloat(strings.TrimSpace(form.Get(q.Name+".lat")), 64)
			lng, e2 := strconv.ParseFloat(strings.TrimSpace(form.Get(q.Name+".lng")), 64)
			if e1 == nil && e2 == nil {
				answers[q.Name] = map[string]any{"lat": lat, "lng": lng}
			}
		case survey.Number, survey.Rating:
			v := strings.TrimSpace(form.Get(q.Name))
			if v == "" {
				continue
			}
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				answers[q.Name] = f
			} else {
				answers[q.Name] = v // the check names the problem
			}
		default:
			if v := strings.TrimSpace(form.Get(q.Name)); v != "" {
				answers[q.Name] = v
			}
		}
	}
}

func seedOf(key string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	return h.Sum64()
}

func (s *Server) fillFields(p *Page, q survey.Questionnaire, page int, answers map[string]any, key string, problems map[string]string) []fieldView {
	langs := q.Schema.Languages
	show := q.Schema.Visible(answers, time.Now().In(chinaTime).Format("2006-01-02"))
	var out []fieldView
	for _, qu := range q.Schema.Questions {
		if pageOf(qu) != page {
			continue
		}
		f := fieldView{Q: qu, Label: textIn(qu.Label, p.Lang, langs), Hint: textIn(qu.Hint, p.Lang, langs), Hidden: !show[qu.Name], Error: problems[qu.Name]}
		for _, c := range q.Schema.Order(qu, seedOf(key+qu.Name)) {
			f.Choices = append(f.Choices, choiceView{c.Name, textIn(c.Label, p.Lang, langs)})
		}
		for _, r := range qu.Rows {
			f.Rows = append(f.Rows, choiceView{r.Name, textIn(r.Label, p.Lang, langs)})
		}
		if qu.Type == survey.Rating {
			n := qu.Scale
			if n == 0 {
				n = 5
			}
			for i := 1; i <= n; i++ {
				f.Scale = append(f.Scale, i)
			}
		}
		v := answers[qu.Name]
		switch qu.Type {
		case survey.Multiple:
			f.Values = map[string]bool{}
			if l, ok := v.([]any); ok {
				for _, x := range l {
					if s, ok := x.(string); ok {
						f.Values[s] = true
					}
				}
			}
		case survey.Matrix:
			f.Cells = map[string]string{}
			if m, ok := v.(map[string]any); ok {
				for k, x := range m {
					f.Cells[k], _ = x.(string)
				}
			}
		case survey.Ranking:
			if l, ok := v.([]any); ok {
				for _, x := range l {
					s, _ := x.(string)
					f.Ranks = append(f.Ranks, s)
				}
			}
		case survey.Location:
			if m, ok := v.(map[string]any); ok {
				f.Lat, f.Lng = numText(m["lat"]), numText(m["lng"])
			}
		default:
			f.Value = numText(v)
		}
		out = append(out, f)
	}
	return out
}

func numText(v any) string {
	switch n := v.(type) {
	case float64:
		return strconv.FormatFloat(n, 'f', -1, 64)
	case string:
		return n
	case json.Number:
		return n.String()
	}
	return ""
}

func (s *Server) fillRegions(p *Page, q survey.Questionnaire) []choiceView {
	n, err := s.regions.Get(auth.System("web"), q.RegionCode)
	if err != nil {
		return nil
	}
	var out []choiceView
	for _, c := range n.Children {
		out = append(out, choiceView{c.Code, c.Name})
	}
	return out
}

// fillPage shows a questionnaire to answer, page by page.
func (s *Server) fillPage(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "campaigns", nil)
	q, err := s.surveys.Get(r.Context(), p.Actor, r.PathValue("id"))
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	d := &fillData{Q: q, Title: textIn(q.Schema.Title, p.Lang, q.Schema.Languages), Page: 1, Pages: pagesOf(q.Schema), Answers: "{}", Key: newKey(),
		Closed: q.Status != "open", Campaign: r.URL.Query().Get("campaign"), Regions: s.fillRegions(p, q), NeedLogin: q.Mode == survey.Named && !p.SignedIn}
	if d.Title == "" {
		d.Title = q.Title
	}
	p.Title = d.Title
	d.Fields = s.fillFields(p, q, 1, map[string]any{}, d.Key, nil)
	p.Data = d
	s.render(w, r, http.StatusOK, "fill", p)
}

// fillStep handles the form: "visible" answers which questions a change
// shows (skip logic), "next"/"back" move between pages, "submit" stores it.
func (s *Server) fillStep(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "campaigns", nil)
	q, err := s.surveys.Get(r.Context(), p.Actor, r.PathValue("id"))
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	r.ParseForm()
	answers := map[string]any{}
	if err := json.Unmarshal([]byte(r.PostFormValue("answers")), &answers); err != nil {
		answers = map[string]any{}
	}
	page, _ := strconv.Atoi(r.PostFormValue("page"))
	pages := pagesOf(q.Schema)
	if page < 1 || page > pages {
		page = 1
	}
	formAnswers(q.Schema, page, r.PostForm, answers)
	if r.PostFormValue("action") == "visible" {
		// A change on the page: which questions to show now. Only their
		// visibility changes in the browser, so nothing typed is lost.
		api.WriteJSON(w, http.StatusOK, map[string]any{"visible": q.Schema.Visible(answers, time.Now().In(chinaTime).Format("2006-01-02"))})
		return
	}
	key := r.PostFormValue("key")
	if key == "" {
		key = newKey()
	}
	d := &fillData{Q: q, Title: textIn(q.Schema.Title, p.Lang, q.Schema.Languages), Pages: pages, Key: key, Region: r.PostFormValue("region_code"),
		Campaign: r.PostFormValue("campaign"), Regions: s.fillRegions(p, q), Closed: q.Status != "open", NeedLogin: q.Mode == survey.Named && !p.SignedIn}
	p.Title = d.Title
	problems := map[string]string{}
	// The problems of this page's relevant questions.
	_, list := q.Schema.Check(answers, time.Now().In(chinaTime).Format("2006-01-02"))
	onPage := map[string]bool{}
	for _, qu := range q.Schema.Questions {
		if pageOf(qu) == page {
			onPage[qu.Name] = true
		}
	}
	for _, e := range list {
		parts := strings.Split(e.Field, "/")
		if len(parts) > 1 && onPage[parts[1]] {
			if _, dup := problems[parts[1]]; !dup {
				problems[parts[1]] = s.cat.Error(p.Lang, e)
			}
		}
	}
	action := r.PostFormValue("action")
	status := http.StatusOK
	switch {
	case action == "back" && page > 1:
		page--
		problems = nil
	case action == "next" && len(problems) == 0 && page < pages:
		page++
		problems = nil
	case action == "submit" && len(problems) == 0:
		rec, err := s.surveys.Submit(r.Context(), p.Actor, q.ID, survey.Submission{Key: key, RegionCode: d.Region, Answers: answers})
		if err == nil {
			d.Done = &rec
			p.Data = d
			s.render(w, r, http.StatusOK, "fill", p)
			return
		}
		e := errs.As(err)
		for _, sub := range e.List {
			if parts := strings.Split(sub.Field, "/"); len(parts) > 1 {
				problems[parts[1]] = s.cat.Error(p.Lang, sub)
			}
		}
		p.Error = s.cat.Error(p.Lang, e)
		if e.Field == "region_code" {
			p.Errors = map[string]string{"region_code": p.Error}
		}
		d.Full = e.Key == "err.survey.quota_full"
		status = api.Status(err)
	default:
		if len(problems) > 0 {
			p.Error = p.T("survey.fix_page")
			status = http.StatusBadRequest
		}
	}
	d.Page = page
	b, _ := json.Marshal(answers)
	d.Answers = string(b)
	d.Fields = s.fillFields(p, q, page, answers, key, problems)
	p.Data = d
	s.render(w, r, status, "fill", p)
}

// Campaigns.

type campaignRow struct {
	survey.Campaign
	When string
	Live bool
}

func (s *Server) campaignsPage(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "campaigns", nil)
	p.Title = p.T("survey.campaigns")
	cs, err := s.surveys.Campaigns(r.Context(), p.Actor, p.Can(string(auth.SurveyManage)))
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	var rows []campaignRow
	now := time.Now()
	for _, c := range cs {
		rows = append(rows, campaignRow{Campaign: c, When: c.StartsAt.In(chinaTime).Format("2006-01-02") + " – " + c.EndsAt.In(chinaTime).Format("2006-01-02"), Live: c.Live(now)})
	}
	p.Data = rows
	s.render(w, r, http.StatusOK, "campaigns", p)
}

type campaignData struct {
	C       campaignRow
	FillURL string
	Poster  bool
}

func (s *Server) campaignPage(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "campaigns", nil)
	c, err := s.surveys.Campaign(r.Context(), p.Actor, r.PathValue("id"))
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p.Title = c.Title
	d := &campaignData{C: campaignRow{Campaign: c, When: beijing(c.StartsAt) + " – " + beijing(c.EndsAt), Live: c.Live(time.Now())}, Poster: r.URL.Query().Get("poster") == "1"}
	if c.QuestionnaireID != "" {
		d.FillURL = "/q/" + c.QuestionnaireID + "?campaign=" + c.ID
	}
	p.Data = d
	tmpl := "campaign"
	if d.Poster {
		tmpl = "poster"
	}
	s.render(w, r, http.StatusOK, tmpl, p)
}

// campaignQR is the QR code of a campaign's public page, for posters.
func (s *Server) campaignQR(w http.ResponseWriter, r *http.Request) {
	png, err := qrcode.PNG(api.AbsURL(r, "/campaigns/"+r.PathValue("id")), 512)
	if err != nil {
		s.errorPage(w, r, errs.Wrap(err, "qr"))
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Write(png)
}

// Staff pages.

func (s *Server) surveysPage(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "surveys", nil)
	p.Title = p.T("survey.title")
	qs, err := s.surveys.List(r.Context(), p.Actor, "")
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p.Data = qs
	if n := r.URL.Query().Get("created"); n != "" {
		p.Notice = p.T("survey.created")
	}
	s.render(w, r, http.StatusOK, "surveys", p)
}

type resultsData struct {
	Q        survey.Questionnaire
	Results  survey.Results
	Charts   string // JSON for the charts
	Region   string
	From, To string
	Choice   []choiceView
	A, B     string
	Cross    *survey.Crosstab
	Query    string
}

func (s *Server) resultsPage(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "surveys", nil)
	id := r.PathValue("id")
	q, err := s.surveys.Get(r.Context(), p.Actor, id)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	qs := r.URL.Query()
	d := &resultsData{Q: q, Region: qs.Get("region"), From: qs.Get("from"), To: qs.Get("to"), A: qs.Get("a"), B: qs.Get("b")}
	// A filter that cannot be read is an error, never "no filter": the
	// page (and an export from it) must not show more than was asked.
	var f survey.Filter
	if d.Region != "" {
		reg, ok := s.regions.Lookup(d.Region)
		if !ok {
			s.errorPage(w, r, errs.Field("region", "err.not_found"))
			return
		}
		f.RegionPath = reg.Path
	}
	for _, x := range []struct {
		v   string
		to  *time.Time
		add time.Duration
	}{{d.From, &f.From, 0}, {d.To, &f.To, 24 * time.Hour}} {
		if x.v == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", x.v, chinaTime)
		if err != nil {
			s.errorPage(w, r, errs.Field("from", "err.invalid_date"))
			return
		}
		*x.to = t.Add(x.add)
	}
	d.Results, err = s.surveys.Results(r.Context(), p.Actor, id, string(p.Lang), f)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	for _, qu := range q.Schema.Questions {
		if qu.Type == survey.Single || qu.Type == survey.Multiple || qu.Type == survey.Rating {
			d.Choice = append(d.Choice, choiceView{qu.Name, textIn(qu.Label, p.Lang, q.Schema.Languages)})
		}
	}
	if d.A != "" && d.B != "" {
		if ct, err := s.surveys.Cross(r.Context(), p.Actor, id, d.A, d.B, string(p.Lang), f); err == nil {
			d.Cross = &ct
		} else {
			p.Error = s.cat.Error(p.Lang, err)
		}
	}
	b, _ := json.Marshal(d.Results.Questions)
	d.Charts = string(b)
	v := url.Values{}
	for k, x := range map[string]string{"region": d.Region, "from": d.From, "to": d.To} {
		if x != "" {
			v.Set(k, x)
		}
	}
	d.Query = v.Encode()
	p.Title = q.Title
	p.Data = d
	s.render(w, r, http.StatusOK, "survey_results", p)
}

// startExport begins an export and shows its progress.
func (s *Server) startExport(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "surveys", nil)
	id := r.PathValue("id")
	var f survey.Filter
	if code := r.PostFormValue("region"); code != "" {
		reg, ok := s.regions.Lookup(code)
		if !ok {
			s.errorPage(w, r, errs.Field("region", "err.not_found"))
			return
		}
		f.RegionPath = reg.Path
	}
	j, err := s.surveys.StartExport(r.Context(), p.Actor, id, r.PostFormValue("format"), string(p.Lang), f)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/exports/"+j.ID, http.StatusSeeOther)
}

type exportView struct {
	survey.Job
	Percent int
}

func (s *Server) exportPage(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "surveys", nil)
	j, err := s.surveys.Export(p.Actor, r.PathValue("job"))
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	v := exportView{Job: j, Percent: 100}
	if j.Total > 0 {
		v.Percent = int(j.Done * 100 / j.Total)
	}
	if j.State != "done" && v.Percent > 99 {
		v.Percent = 99
	}
	p.Title = p.T("survey.export")
	p.Data = v
	if r.Header.Get("HX-Request") == "true" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		s.pages["export"].ExecuteTemplate(w, "progress", p)
		return
	}
	s.render(w, r, http.StatusOK, "export", p)
}

// surveyAction opens/closes a questionnaire or a campaign, or sets a quota.
func (s *Server) surveyAction(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "surveys", nil)
	id := r.PathValue("id")
	var err error
	switch r.PostFormValue("do") {
	case "open", "closed":
		_, err = s.surveys.SetStatus(r.Context(), p.Actor, id, r.PostFormValue("do"))
	case "quota":
		n, perr := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("quota")), 10, 64)
		if perr != nil {
			err = errs.Field("quota", "err.number")
			break
		}
		_, err = s.surveys.SetQuota(r.Context(), p.Actor, id, strings.TrimSpace(r.PostFormValue("region_code")), n)
	default:
		err = errs.Field("do", "err.invalid")
	}
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/surveys/"+id+"/results", http.StatusSeeOther)
}

// importXLSForm creates a questionnaire from an uploaded XLSForm workbook;
// what cannot be expressed is listed by sheet and row.
func (s *Server) importXLSForm(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "surveys", nil)
	p.Title = p.T("survey.title")
	r.Body = http.MaxBytesReader(w, r.Body, 11<<20)
	fail := func(err error) {
		qs, _ := s.surveys.List(r.Context(), p.Actor, "")
		p.Data = qs
		e := errs.As(err)
		p.Error = s.cat.Error(p.Lang, e)
		var list []string
		for _, sub := range e.List {
			list = append(list, sub.Field+"："+s.cat.Error(p.Lang, sub))
		}
		p.Form = map[string]string{"title": r.PostFormValue("title"), "mode": r.PostFormValue("mode"), "region": r.PostFormValue("region")}
		p.Errors = map[string]string{}
		for i, l := range list {
			p.Errors[strconv.Itoa(i)] = l
		}
		s.render(w, r, api.Status(err), "surveys", p)
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		fail(errs.Field("file", "err.volunteer.import_xlsx"))
		return
	}
	defer f.Close()
	sch, problems := xlsform.Import(f)
	if len(problems) > 0 {
		fail(&errs.Error{Code: errs.Invalid, Field: problems[0].Field, Key: "err.xlsform.problems", Args: []any{len(problems)}, List: problems})
		return
	}
	region := strings.TrimSpace(r.PostFormValue("region"))
	if region == "" {
		region = p.Actor.RegionCode
	}
	q, err := s.surveys.Create(r.Context(), p.Actor, survey.NewQuestionnaire{Title: r.PostFormValue("title"), Schema: sch, Mode: survey.Mode(r.PostFormValue("mode")), RegionCode: region})
	if err != nil {
		fail(err)
		return
	}
	http.Redirect(w, r, "/surveys/"+q.ID+"/results", http.StatusSeeOther)
}

// createCampaign publishes a campaign from the staff page.
func (s *Server) createCampaign(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "surveys", nil)
	day := func(name string, end bool) (time.Time, error) {
		t, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(r.PostFormValue(name)), chinaTime)
		if err != nil {
			return t, errs.Field(name, "err.invalid_date")
		}
		if end {
			t = t.Add(24 * time.Hour)
		}
		return t, nil
	}
	fail := func(err error) {
		qs, _ := s.surveys.List(r.Context(), p.Actor, "")
		p.Title = p.T("survey.title")
		p.Data = qs
		s.formFail(w, r, p, "surveys", err)
	}
	start, err := day("starts_on", false)
	if err != nil {
		fail(err)
		return
	}
	end, err := day("ends_on", true)
	if err != nil {
		fail(err)
		return
	}
	region := strings.TrimSpace(r.PostFormValue("campaign_region"))
	if region == "" {
		region = p.Actor.RegionCode
	}
	c, err := s.surveys.CreateCampaign(r.Context(), p.Actor, survey.Campaign{Title: r.PostFormValue("campaign_title"), Topic: r.PostFormValue("topic"),
		Description: r.PostFormValue("description"), RegionCode: region, StartsAt: start, EndsAt: end,
		QuestionnaireID: r.PostFormValue("questionnaire_id"), OpenCall: r.PostFormValue("open_call") == "1"})
	if err != nil {
		if e := errs.As(err); e.Field == "title" {
			e.Field = "campaign_title"
		}
		fail(err)
		return
	}
	if r.PostFormValue("publish") == "1" {
		if _, err := s.surveys.SetCampaignStatus(r.Context(), p.Actor, c.ID, "open"); err != nil {
			fail(err)
			return
		}
	}
	http.Redirect(w, r, "/campaigns/"+c.ID, http.StatusSeeOther)
}
