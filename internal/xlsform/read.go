package xlsform

import (
	"fmt"
	"strings"

	"civicgrid/internal/errs"
	"civicgrid/internal/survey"
)

// book is a workbook's three sheets as rows of cells, the first row the
// header; a sheet that is missing is nil.
type book struct {
	survey, choices, settings [][]string
}

// Limits of what one import reads, so a large or hostile file costs little.
const (
	maxSurveyRows  = 5000
	maxChoiceRows  = 20000
	maxProblems    = 200
	defaultLang    = "zh-CN" // the language of a plain "label" column when nothing says otherwise
	defaultRatingN = 5
)

// sheet is one sheet with its header understood.
type sheet struct {
	name string
	cols []column
	rows [][]string
}

// column is a header cell: base ("label", "type"…) and, for texts, the
// language tag its "::Language" suffix names ("" = the default language).
type column struct {
	header string
	base   string
	lang   string
	ok     bool // a column this importer understands
}

// aliases maps header spellings that pyxform accepts to one base name.
var aliases = map[string]string{
	"jr:requiredmsg":     "required_message",
	"jr:constraintmsg":   "constraint_message",
	"constraint message": "constraint_message",
	"list name":          "list_name",
	"value":              "name",
}

var textBases = map[string]bool{"label": true, "hint": true, "required_message": true, "constraint_message": true, "form_title": true}

var sheetColumns = map[string]map[string]bool{
	"survey":   {"type": true, "name": true, "label": true, "hint": true, "required": true, "required_message": true, "relevant": true, "constraint": true, "constraint_message": true, "appearance": true, "parameters": true},
	"choices":  {"list_name": true, "name": true, "label": true},
	"settings": {"form_title": true, "form_id": true, "version": true, "default_language": true, "style": true},
}

// importer carries one conversion's state.
type importer struct {
	problems  []*errs.Error
	truncated bool
	langs     []string // languages seen in "::" columns, in order
	def       string   // default language
	lists     map[string][]survey.Choice
	listRows  map[string][]int // spreadsheet row of each choice
	s         survey.Schema
	// Where each question came from, to point Validate's problems at rows.
	qRow      []int
	rowRows   [][]int // matrix rows' spreadsheet rows
	qList     []string
	pageGroup []int // 0: outside any field-list group
}

func (im *importer) add(field, key string, args ...any) {
	if len(im.problems) >= maxProblems {
		im.truncated = true
		return
	}
	im.problems = append(im.problems, errs.Field(field, key, args...))
}

func cellPath(sh string, row int, col string) string { return fmt.Sprintf("%s/%d/%s", sh, row, col) }

// fromSheets converts an XLSForm's sheets into a questionnaire. Everything
// that cannot be expressed is reported by sheet, row and column; the result
// is then validated and those problems too point at rows.
func fromSheets(b book) (survey.Schema, []*errs.Error) {
	im := &importer{lists: map[string][]survey.Choice{}, listRows: map[string][]int{}}
	if len(b.survey) == 0 {
		im.add("survey", "err.xlsform.no_survey")
		return im.s, im.problems
	}
	if len(b.survey) > maxSurveyRows+1 || len(b.choices) > maxChoiceRows+1 {
		im.add("survey", "err.xlsform.too_large", maxSurveyRows, maxChoiceRows)
		return im.s, im.problems
	}
	sv := im.header("survey", b.survey)
	ch := im.header("choices", b.choices)
	st := im.header("settings", b.settings)
	im.languages(st, sv, ch)
	im.readChoices(ch)
	im.readSurvey(sv)
	im.readSettings(st)
	im.assignPages()
	for _, e := range im.s.Validate() {
		if len(im.problems) >= maxProblems {
			im.truncated = true
			break
		}
		e.Field = im.mapField(e.Field)
		im.problems = append(im.problems, e)
	}
	if im.truncated {
		im.problems = append(im.problems, errs.Field("survey", "err.xlsform.too_many_problems", maxProblems))
	}
	return im.s, im.problems
}

func (im *importer) header(name string, rows [][]string) sheet {
	sh := sheet{name: name}
	if len(rows) == 0 {
		return sh
	}
	known := sheetColumns[name]
	for _, h := range rows[0] {
		h = strings.TrimSpace(h)
		c := column{header: h}
		base, suffix, hasLang := strings.Cut(h, "::")
		base = strings.ToLower(strings.TrimSpace(base))
		if a, ok := aliases[base]; ok {
			base = a
		}
		c.base = base
		c.ok = known[base] && (!hasLang || textBases[base])
		if hasLang && c.ok {
			tag, ok := langTag(suffix)
			if !ok {
				im.add(cellPath(name, 1, h), "err.xlsform.language", strings.TrimSpace(suffix))
				c.ok = false
			}
			c.lang = tag
		}
		sh.cols = append(sh.cols, c)
	}
	sh.rows = rows[1:]
	return sh
}

// get returns the cell of row r (0-based, after the header) in the column
// with this base and language.
func (sh sheet) get(r int, base, lang string) string {
	for i, c := range sh.cols {
		if c.ok && c.base == base && c.lang == lang && i < len(sh.rows[r]) {
			return strings.TrimSpace(sh.rows[r][i])
		}
	}
	return ""
}

// text collects a multilingual text from base and base::Language columns;
// a plain column is the default language.
func (im *importer) text(sh sheet, r int, base string) survey.Text {
	t := survey.Text{}
	for i, c := range sh.cols {
		if !c.ok || c.base != base || i >= len(sh.rows[r]) {
			continue
		}
		v := strings.TrimSpace(sh.rows[r][i])
		lang := c.lang
		if lang == "" {
			lang = im.def
			if t[lang] != "" { // an explicit column for the default language wins
				continue
			}
		}
		if strings.Contains(v, "${") {
			// ODK fills earlier answers into a label; here a label is
			// shown as written, so say so rather than show "${name}".
			im.add(cellPath(sh.name, r+2, c.header), "err.xlsform.piping")
		}
		if v != "" {
			t[lang] = v
		}
	}
	if len(t) == 0 {
		return nil
	}
	return t
}

// unknownCells reports every filled cell of a column this importer does not
// understand (calculation, choice_filter, media…), or of one listed in deny.
func (im *importer) unknownCells(sh sheet, r int, deny ...string) {
	for i, c := range sh.cols {
		if i >= len(sh.rows[r]) || strings.TrimSpace(sh.rows[r][i]) == "" {
			continue
		}
		denied := false
		for _, d := range deny {
			denied = denied || c.base == d
		}
		if !c.ok || denied {
			im.add(cellPath(sh.name, r+2, c.header), "err.xlsform.column", c.header)
		}
	}
}

func blank(row []string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// languages decides the questionnaire's languages: the settings'
// default_language first (else, with plain label columns, Chinese; else
// the first language column), then the others in column order.
func (im *importer) languages(st sheet, sheets ...sheet) {
	plain := false
	for _, sh := range append(sheets, st) {
		for _, c := range sh.cols {
			if !c.ok || !textBases[c.base] {
				continue
			}
			if c.lang == "" {
				plain = plain || c.base != "form_title"
			} else if !contains(im.langs, c.lang) {
				im.langs = append(im.langs, c.lang)
			}
		}
	}
	switch {
	case len(st.rows) > 0 && st.get(0, "default_language", "") != "":
		v := st.get(0, "default_language", "")
		if tag, ok := langTag(v); ok {
			im.def = tag
		} else {
			im.add(cellPath("settings", 2, "default_language"), "err.xlsform.language", v)
		}
	case plain || len(im.langs) == 0:
		im.def = defaultLang
	default:
		im.def = im.langs[0]
	}
	if im.def == "" {
		im.def = defaultLang
	}
	im.s.Languages = []string{im.def}
	for _, l := range im.langs {
		if l != im.def {
			im.s.Languages = append(im.s.Languages, l)
		}
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func (im *importer) readChoices(ch sheet) {
	for r, row := range ch.rows {
		if blank(row) {
			continue
		}
		im.unknownCells(ch, r)
		list, name := ch.get(r, "list_name", ""), ch.get(r, "name", "")
		switch {
		case list == "":
			im.add(cellPath("choices", r+2, "list_name"), "err.xlsform.list_name")
		case name == "":
			im.add(cellPath("choices", r+2, "name"), "err.xlsform.choice_name")
		default:
			im.lists[list] = append(im.lists[list], survey.Choice{Name: name, Label: im.text(ch, r, "label")})
			im.listRows[list] = append(im.listRows[list], r+2)
		}
	}
}

func (im *importer) readSettings(st sheet) {
	if len(st.rows) == 0 {
		return
	}
	im.unknownCells(st, 0)
	im.s.Title = im.text(st, 0, "form_title")
	if im.s.Title == nil {
		if id := st.get(0, "form_id", ""); id != "" {
			im.s.Title = survey.Text{im.def: id}
		}
	}
	for r := 1; r < len(st.rows); r++ {
		if !blank(st.rows[r]) {
			im.add(cellPath("settings", r+2, "form_title"), "err.xlsform.settings_rows")
		}
	}
}

// mapField turns a Validate field path (questions/3/label) into the cell it
// came from (survey/7/label).
func (im *importer) mapField(f string) string {
	parts := strings.Split(f, "/")
	switch parts[0] {
	case "title":
		return cellPath("settings", 2, "form_title")
	case "languages":
		return cellPath("settings", 2, "default_language")
	case "questions":
	default:
		return f
	}
	var i int
	if len(parts) < 2 || sscan(parts[1], &i) != nil || i < 0 || i >= len(im.qRow) {
		return "survey"
	}
	row := im.qRow[i]
	if len(parts) < 3 {
		return cellPath("survey", row, "type")
	}
	var j int
	switch field := parts[2]; {
	case field == "choices" && len(parts) >= 5 && sscan(parts[3], &j) == nil && j < len(im.listRows[im.qList[i]]):
		return cellPath("choices", im.listRows[im.qList[i]][j], parts[4])
	case field == "rows" && len(parts) >= 5 && sscan(parts[3], &j) == nil && j < len(im.rowRows[i]):
		return cellPath("survey", im.rowRows[i][j], parts[4])
	case field == "choices" || field == "rows" || field == "page":
		return cellPath("survey", row, "type")
	case field == "scale":
		return cellPath("survey", row, "parameters")
	default:
		return cellPath("survey", row, field)
	}
}

func sscan(s string, i *int) error {
	_, err := fmt.Sscanf(s, "%d", i)
	return err
}

// assignPages numbers pages: each top-level field-list group is a page, and
// so is each run of questions between them; without such groups the whole
// questionnaire is one page.
func (im *importer) assignPages() {
	grouped := false
	for _, g := range im.pageGroup {
		grouped = grouped || g != 0
	}
	if !grouped {
		return
	}
	page, last := 0, -1
	for i := range im.s.Questions {
		g := im.pageGroup[i]
		if i == 0 || g != last {
			page++
		}
		last = g
		im.s.Questions[i].Page = page
	}
}
