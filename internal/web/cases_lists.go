package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"civicgrid/internal/api"
	"civicgrid/internal/auth"
	"civicgrid/internal/cases"
	"civicgrid/internal/errs"
)

// ---- work lists ----------------------------------------------------------

type listData struct {
	Tab                   string
	Tabs                  []tabLink
	Rows                  []caseRow
	Next                  string
	F                     map[string]string
	Groups                []catGroup
	Stages                []fieldOption
	Channels              []fieldOption
	MineHint              string
	Filtered              bool   // a filter is set: the filter form stays open
	ExportXLSX, ExportCSV string // export links carrying the list's filters
}

type tabLink struct {
	Key, Label, URL string
	Current         bool
}

type caseRow struct {
	ID, No, Category, Stage, Due, Grid, Reported string
	Overdue, Escalated, Postpone                 bool
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
	case "mine", "overdue", "postpone", "all":
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
	if d.Tab == "postpone" && !a.Role.Has(auth.CaseDispatch) {
		d.Tab = "all"
	}
	for _, t := range []string{"mine", "postpone", "overdue", "all"} {
		if t == "mine" && !worker || t == "postpone" && !a.Role.Has(auth.CaseDispatch) {
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

	ev := url.Values{}
	for _, k := range []string{"region", "category", "status", "channel", "from", "to"} {
		if v := d.F[k]; v != "" {
			ev.Set(k, v)
		}
	}
	d.ExportXLSX, d.ExportCSV = "/api/v1/cases/export.xlsx?"+ev.Encode(), "/api/v1/cases/export.csv?"+ev.Encode()
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
	case "postpone":
		f.PostponePending = true
		d.MineHint = p.T("case.postpone_hint")
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
				Grid: s.gridName(c.GridCode), Reported: beijing(c.ReportedAt), Overdue: c.Overdue && c.Status.Open(), Escalated: c.Escalated && c.Status.Open(),
				Postpone: c.PostponePending && c.Status == cases.Dispatched})
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
