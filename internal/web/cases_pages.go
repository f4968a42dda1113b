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
	"net/url"
	"strings"
	"time"

	"civicgrid/internal/cases"
	"civicgrid/internal/i18n"
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
