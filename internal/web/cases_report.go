package web

import (
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"civicgrid/internal/api"
	"civicgrid/internal/auth"
	"civicgrid/internal/cases"
	"civicgrid/internal/errs"
	"civicgrid/internal/media"
)

// ---- the resident's report and the quick report -------------------------

type reportData struct {
	Groups   []catGroup
	Quick    []catOption // the quick report's buttons
	Key      string
	Channel  cases.Channel
	CanQuick bool     // the viewer may use the one-screen quick report
	Photos   []string // photo ids already stored, kept when the form comes back
	Result   *reportResult
}

// maxFormPhotos is how many photos the report forms take; the domain allows
// more, but a report needs few and a phone on a slow line sends them all.
const maxFormPhotos = 3

var photoID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// formPhotos collects the photos of a report form: ids report.js uploaded
// already (hidden "photos" fields) and, without JavaScript, files sent in the
// multipart field "photo", stored here. A refused file gives the message to
// show next to the field (refused); the ids stored so far are returned with
// it. err is a failure of the store itself.
func (s *Server) formPhotos(r *http.Request) (ids []string, refused, err error) {
	seen := map[string]bool{}
	add := func(id string) {
		if id != "" && !seen[id] && len(ids) < maxFormPhotos {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if r.MultipartForm != nil {
		for _, id := range r.MultipartForm.Value["photos"] {
			if id = strings.TrimSpace(id); photoID.MatchString(id) {
				add(id)
			}
		}
		for _, fh := range r.MultipartForm.File["photo"] {
			if len(ids) >= maxFormPhotos {
				break
			}
			if fh.Size == 0 && fh.Filename == "" {
				continue // the browser's "no file chosen"
			}
			f, err := fh.Open()
			if err != nil {
				return ids, nil, err
			}
			ph, err := s.api.Photos.Save(f)
			f.Close()
			var me *media.Error
			if errors.As(err, &me) {
				return ids, errs.Literal("photo", errs.Text{ZH: me.Msg, EN: me.MsgEN}), nil
			}
			if err != nil {
				return ids, nil, err
			}
			add(ph.ID)
		}
		return ids, nil, nil
	}
	for _, id := range r.PostForm["photos"] {
		if id = strings.TrimSpace(id); photoID.MatchString(id) {
			add(id)
		}
	}
	return ids, nil, nil
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

func (s *Server) reportPage(w http.ResponseWriter, r *http.Request, status int, ch cases.Channel, p *Page, d *reportData) {
	groups, byCode, err := s.categories(r.Context(), p.Lang)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	d.Groups, d.Channel = groups, ch
	d.CanQuick = p.SignedIn && canFileQuick(p.Actor.Role)
	d.Quick = nil
	quick := cases.DefaultQuick
	if d.CanQuick {
		if quick, err = s.cases.QuickCategories(r.Context(), p.Actor, len(cases.DefaultQuick)); err != nil {
			s.errorPage(w, r, err)
			return
		}
	}
	for _, code := range quick {
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
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		r.ParseMultipartForm(32 << 20)
		if r.MultipartForm != nil {
			defer r.MultipartForm.RemoveAll()
		}
	}
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
	p := s.page(r, "", "report", nil)
	photos, refused, perr := s.formPhotos(r)
	if perr != nil {
		s.errorPage(w, r, errs.Wrap(perr, "save photo"))
		return
	}
	in.Photos = photos
	var res cases.Intake
	var err error
	if refused != nil {
		err = refused
	} else {
		res, err = s.cases.File(r.Context(), a, in)
	}
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
		s.reportPage(w, r, api.Status(err), ch, p, &reportData{Key: key, Photos: photos})
		return
	}
	// The case is stored; a failure reading the duplicate hints afterwards
	// only loses the hints.
	if err != nil {
		s.log.WarnContext(r.Context(), "duplicate hints", "err", err, "case", res.Case.ID)
	}
	token := res.FollowToken
	_, byCode, _ := s.categories(r.Context(), p.Lang)
	out := &reportResult{Case: res.Case, Category: catPath(p.Lang, byCode, res.Case.CategoryCode, res.Case.CategoryName),
		Grid: s.placeOf(res.Case.GridCode), Due: beijing(res.Case.Due()), Replayed: res.Replayed}
	if token != "" {
		out.FollowURL = api.AbsURL(r, followPath(res.Case.No, token))
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
