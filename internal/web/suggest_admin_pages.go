package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"civicgrid/internal/api"
	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/qrcode"
	"civicgrid/internal/suggest"
)

// The office's side of suggestions beyond single ones: conversion figures,
// the registers of boxes, report points, makers and associations, and a
// box's printable poster.

type figuresData struct {
	F      suggest.Figures
	Region string
	From   string
	To     string
	Tables []figTable
}

type figTable struct {
	ID, Title string
	Rows      []suggest.Count
}

// tables names every row in the page's language: channels by their name,
// the rows without a topic or below no child region by what they are.
func (d *figuresData) tables(p *Page) {
	total := d.F.Total
	total.Name = p.T("suggest.total")
	d.Tables = append(d.Tables, figTable{"total", "suggest.total", []suggest.Count{total}})
	name := func(rows []suggest.Count, f func(c suggest.Count) string) []suggest.Count {
		out := slices.Clone(rows)
		for i := range out {
			if n := f(out[i]); n != "" {
				out[i].Name = n
			}
		}
		return out
	}
	d.Tables = append(d.Tables,
		figTable{"channel", "suggest.by_channel", name(d.F.ByChannel, func(c suggest.Count) string { return p.T("suggest.channel." + c.Key) })},
		figTable{"region", "suggest.by_region", name(d.F.ByRegion, func(c suggest.Count) string {
			if c.Key == "" {
				return p.T("suggest.region_itself", d.F.RegionName)
			}
			return ""
		})},
		figTable{"topic", "suggest.by_topic", name(d.F.ByTopic, func(c suggest.Count) string {
			if c.Key == "" {
				return p.T("suggest.no_topic")
			}
			return c.Key
		})},
		figTable{"maker", "suggest.by_maker", d.F.ByMaker},
		figTable{"association", "suggest.by_association", d.F.ByAssociation})
}

// suggestionFiguresPage shows the conversion figures of a region and period.
func (s *Server) suggestionFiguresPage(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "", "suggestions", nil)
	q := r.URL.Query()
	from, err1 := dayParam(q.Get("from"))
	to, err2 := dayParam(q.Get("to"))
	if err1 != nil || err2 != nil {
		s.errorPage(w, r, errs.Field("from", "err.suggest.date"))
		return
	}
	if !to.IsZero() {
		to = to.AddDate(0, 0, 1)
	}
	f, err := s.suggest.Figures(r.Context(), p.Actor, q.Get("region"), from, to)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p.Title = p.T("suggest.figures")
	d := &figuresData{F: f, Region: q.Get("region"), From: q.Get("from"), To: q.Get("to")}
	d.tables(p)
	p.Data = d
	s.render(w, r, http.StatusOK, "suggestion_figures", p)
}

type channelsData struct {
	Points       []suggest.Point
	Makers       []suggest.Maker
	Associations []suggest.Assoc
	CanEdit      bool
}

// suggestionChannelsPage lists the boxes, report points, invited makers and
// associations, with forms to register more.
func (s *Server) suggestionChannelsPage(w http.ResponseWriter, r *http.Request) {
	s.showChannels(w, r, http.StatusOK, s.page(r, "", "suggestions", nil))
}

func (s *Server) showChannels(w http.ResponseWriter, r *http.Request, status int, p *Page) {
	d := &channelsData{CanEdit: p.Can(string(auth.SuggestionHandle))}
	var err error
	if d.Points, err = s.suggest.Points(r.Context(), p.Actor, "", ""); err != nil {
		s.errorPage(w, r, err)
		return
	}
	d.Makers, _ = s.suggest.Makers(r.Context(), p.Actor, "")
	d.Associations, _ = s.suggest.Associations(r.Context(), p.Actor, "")
	p.Title = p.T("suggest.channels")
	if p.Form == nil {
		p.Form = map[string]string{"region_code": p.Actor.RegionCode}
	}
	p.Data = d
	s.render(w, r, status, "suggestion_channels", p)
}

func (s *Server) createSuggestionChannel(w http.ResponseWriter, r *http.Request) {
	a, _ := auth.FromContext(r.Context())
	f := func(k string) string { return r.PostFormValue(k) }
	var err error
	kind := r.PathValue("kind")
	switch kind {
	case "point":
		pt := suggest.Point{Kind: f("kind"), Code: f("code"), Name: f("name"), RegionCode: f("region_code"), Address: f("address")}
		pt.Lng, _ = strconv.ParseFloat(strings.TrimSpace(f("lng")), 64)
		pt.Lat, _ = strconv.ParseFloat(strings.TrimSpace(f("lat")), 64)
		_, err = s.suggest.CreatePoint(r.Context(), a, pt)
	case "maker":
		_, err = s.suggest.CreateMaker(r.Context(), a, suggest.Maker{Name: f("name"), Field: f("field"), RegionCode: f("region_code")})
	case "association":
		_, err = s.suggest.CreateAssociation(r.Context(), a, suggest.Assoc{Name: f("name"), Kind: f("kind"), RegionCode: f("region_code")})
	default:
		err = errs.New(errs.NotFound, "err.not_found")
	}
	if err != nil {
		p := s.page(r, "", "suggestions", nil)
		p.Error = s.cat.Error(p.Lang, err)
		p.Form = map[string]string{"form": kind}
		for k, v := range r.PostForm {
			if k != "csrf" && len(v) > 0 {
				p.Form[k] = v[0]
			}
		}
		s.showChannels(w, r, api.Status(err), p)
		return
	}
	http.Redirect(w, r, "/suggestions/channels?done="+url.QueryEscape(kind)+"#"+kind, http.StatusSeeOther)
}

type posterData struct {
	Point suggest.Point
	URL   string
}

// boxPoster is the printable poster of a box or report point: its name,
// place and a QR code that opens the form tagged with it.
func (s *Server) boxPoster(w http.ResponseWriter, r *http.Request) {
	pt, err := s.suggest.PointByCode(r.Context(), r.PathValue("code"))
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p := s.page(r, "", "suggestions", nil)
	p.Title = p.T("suggest.poster_title", pt.Name)
	p.Data = &posterData{Point: pt, URL: api.AbsURL(r, "/suggest?box="+url.QueryEscape(pt.Code))}
	s.render(w, r, http.StatusOK, "suggestion_poster", p)
}

// boxQR is the QR image on the poster (public: it only holds the form's URL).
func (s *Server) boxQR(w http.ResponseWriter, r *http.Request) {
	pt, err := s.suggest.PointByCode(r.Context(), r.PathValue("code"))
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	png, err := qrcode.PNG(api.AbsURL(r, "/suggest?box="+url.QueryEscape(pt.Code)), 600)
	if err != nil {
		s.errorPage(w, r, errs.Wrap(err, "qr"))
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Write(png)
}
