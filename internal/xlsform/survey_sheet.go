package xlsform

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

	"civicgrid/internal/survey"
)

// frame is an open group while reading the survey sheet.
type frame struct {
	kind     string // "page", "group", "matrix", "repeat"
	row      int
	relevant string
	matrix   *survey.Question // a table-list group being read
	list     string
	rows     []int
	required []bool
	reqMsg   survey.Text
}

// metaTypes are the fields ODK fills in by itself; questionnaires here do not
// collect them (an anonymous response must not carry a device id).
var metaTypes = map[string]bool{
	"start": true, "end": true, "today": true, "deviceid": true, "subscriberid": true, "simserial": true,
	"phonenumber": true, "username": true, "email": true, "audit": true, "start-geopoint": true, "background-audio": true,
}

// displayOnly are appearances that only say how a question looks; pages
// here have their own look, so they are read and let go.
var displayOnly = map[string]bool{
	"minimal": true, "horizontal": true, "horizontal-compact": true, "compact": true, "quickcompact": true,
	"likert": true, "columns": true, "columns-pack": true, "no-buttons": true, "quick": true, "numbers": true,
	"no-calendar": true, "label": true, "list-nolabel": true, "list": true, "maps": true, "placement-map": true,
}

var widthRe = regexp.MustCompile(`^(w[0-9]+|columns-[0-9]+)$`)

func (im *importer) readSurvey(sv sheet) {
	var stack []*frame
	pageSeq, curPage := 0, 0
	skip := 0 // depth inside an unsupported repeat
	for r, row := range sv.rows {
		line := r + 2
		if blank(row) {
			continue
		}
		typ := normType(sv.get(r, "type", ""))
		if skip > 0 {
			switch typ {
			case "begin repeat":
				skip++
			case "end repeat":
				skip--
			}
			continue
		}
		if typ == "" {
			im.add(cellPath("survey", line, "type"), "err.xlsform.type_missing")
			continue
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch typ {
		case "begin group":
			im.beginGroup(sv, r, &stack, top, &pageSeq, &curPage)
			continue
		case "end group":
			if top == nil || top.kind == "repeat" {
				im.add(cellPath("survey", line, "type"), "err.xlsform.group_end")
				continue
			}
			im.unknownCells(sv, r)
			stack = stack[:len(stack)-1]
			switch top.kind {
			case "matrix":
				im.endMatrix(top, curPage)
			case "page":
				curPage = 0
			}
			continue
		case "begin repeat":
			im.add(cellPath("survey", line, "type"), "err.xlsform.repeat")
			skip = 1
			continue
		case "end repeat":
			im.add(cellPath("survey", line, "type"), "err.xlsform.group_end")
			continue
		}
		if top != nil && top.kind == "matrix" {
			im.matrixRow(sv, r, top, typ)
			continue
		}
		im.question(sv, r, typ, stack, curPage)
	}
	for _, f := range stack {
		im.add(cellPath("survey", f.row, "type"), "err.xlsform.group_open")
	}
}

// normType lowercases a type and accepts pyxform's other spellings
// ("begin_group", "select one").
func normType(t string) string {
	s := strings.Join(strings.Fields(strings.ToLower(t)), " ")
	for _, r := range [][2]string{
		{"begin_group", "begin group"}, {"end_group", "end group"}, {"begin_repeat", "begin repeat"},
		{"end_repeat", "end repeat"}, {"select one ", "select_one "}, {"select multiple ", "select_multiple "},
	} {
		if strings.HasPrefix(s, r[0]) {
			s = r[1] + s[len(r[0]):]
		}
	}
	return s
}

func (im *importer) beginGroup(sv sheet, r int, stack *[]*frame, top *frame, pageSeq, curPage *int) {
	line := r + 2
	app := strings.Fields(strings.ToLower(sv.get(r, "appearance", "")))
	f := &frame{kind: "group", row: line, relevant: sv.get(r, "relevant", "")}
	if _, err := survey.ParseExpr(f.relevant); f.relevant != "" && err != nil {
		var ee *survey.ExprError
		pos := 0
		if errors.As(err, &ee) {
			pos = ee.Pos
		}
		im.add(cellPath("survey", line, "relevant"), "err.survey.expr", pos+1)
		f.relevant = ""
	}
	switch {
	case top != nil && top.kind == "matrix":
		im.add(cellPath("survey", line, "type"), "err.xlsform.matrix_type", "begin group")
	case contains(app, "table-list"):
		f.kind = "matrix"
		f.matrix = &survey.Question{
			Name: sv.get(r, "name", ""), Type: survey.Matrix,
			Label: im.text(sv, r, "label"), Hint: im.text(sv, r, "hint"),
			Relevant: joinRelevant(*stack, f.relevant),
		}
	case contains(app, "field-list") && *curPage == 0:
		f.kind = "page"
		*pageSeq++
		*curPage = *pageSeq
	}
	im.unknownCells(sv, r, "required", "required_message", "constraint", "constraint_message", "parameters")
	for _, a := range app {
		if a != "field-list" && a != "table-list" && !displayOnly[a] && !widthRe.MatchString(a) {
			im.add(cellPath("survey", line, "appearance"), "err.xlsform.appearance", a)
		}
	}
	if f.kind != "matrix" {
		// A group's label and hint are shown as a note at its start, so a
		// page keeps its heading.
		label, hint := im.text(sv, r, "label"), im.text(sv, r, "hint")
		if label != nil || hint != nil {
			if label == nil {
				label, hint = hint, nil
			}
			im.addQuestion(survey.Question{
				Name: sv.get(r, "name", ""), Type: survey.Note, Label: label, Hint: hint,
				Relevant: joinRelevant(append(*stack, f), ""),
			}, line, "", *curPage)
		}
	}
	*stack = append(*stack, f)
}

func (im *importer) matrixRow(sv sheet, r int, f *frame, typ string) {
	line := r + 2
	parts := strings.Fields(typ)
	if len(parts) != 2 || parts[0] != "select_one" {
		im.add(cellPath("survey", line, "type"), "err.xlsform.matrix_type", typ)
		return
	}
	if f.list == "" {
		f.list = parts[1]
	} else if parts[1] != f.list {
		im.add(cellPath("survey", line, "type"), "err.xlsform.matrix_list", f.list)
		return
	}
	im.unknownCells(sv, r, "relevant", "constraint", "constraint_message", "hint")
	params := im.params(sv, r)
	for k, v := range params {
		if k == "randomize" && (v == "true" || v == "false") {
			f.matrix.Randomize = f.matrix.Randomize || v == "true"
		} else {
			im.add(cellPath("survey", line, "parameters"), "err.xlsform.parameter", k)
		}
	}
	if contains(strings.Fields(strings.ToLower(sv.get(r, "appearance", ""))), "label") {
		return // the header row ODK draws the columns' labels with
	}
	req, ok := im.required(sv, r)
	if !ok {
		return
	}
	f.matrix.Rows = append(f.matrix.Rows, survey.Choice{Name: sv.get(r, "name", ""), Label: im.text(sv, r, "label")})
	f.rows = append(f.rows, line)
	f.required = append(f.required, req)
	if m := im.text(sv, r, "required_message"); m != nil && f.reqMsg == nil {
		f.reqMsg = m
	}
}

func (im *importer) endMatrix(f *frame, page int) {
	q := *f.matrix
	if len(q.Rows) == 0 {
		im.add(cellPath("survey", f.row, "type"), "err.xlsform.matrix_empty")
		return
	}
	n := 0
	for _, r := range f.required {
		if r {
			n++
		}
	}
	if n > 0 && n < len(f.required) {
		im.add(cellPath("survey", f.rows[0], "required"), "err.xlsform.matrix_required")
	}
	q.Required = n == len(f.required)
	q.RequiredMessage = f.reqMsg
	q.Choices = im.choices(f.list, f.row)
	im.addQuestion(q, f.row, f.list, page)
	im.rowRows[len(im.rowRows)-1] = f.rows
}

func (im *importer) choices(list string, line int) []survey.Choice {
	cs, ok := im.lists[list]
	if !ok {
		im.add(cellPath("survey", line, "type"), "err.xlsform.list", list)
		return nil
	}
	return append([]survey.Choice(nil), cs...)
}

func (im *importer) addQuestion(q survey.Question, line int, list string, page int) {
	im.s.Questions = append(im.s.Questions, q)
	im.qRow = append(im.qRow, line)
	im.qList = append(im.qList, list)
	im.rowRows = append(im.rowRows, nil)
	im.pageGroup = append(im.pageGroup, page)
}

// required reads the required column: yes/no; an expression (required only
// sometimes) cannot be expressed.
func (im *importer) required(sv sheet, r int) (bool, bool) {
	switch v := strings.ToLower(sv.get(r, "required", "")); v {
	case "yes", "true", "1", "true()", "y":
		return true, true
	case "", "no", "false", "0", "false()", "n":
		return false, true
	}
	im.add(cellPath("survey", r+2, "required"), "err.xlsform.required")
	return false, false
}

// params reads "randomize=true start=1" (spaces, commas or semicolons).
func (im *importer) params(sv sheet, r int) map[string]string {
	out := map[string]string{}
	for _, p := range strings.FieldsFunc(sv.get(r, "parameters", ""), func(c rune) bool { return c == ' ' || c == ',' || c == ';' }) {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			im.add(cellPath("survey", r+2, "parameters"), "err.xlsform.parameter", p)
			continue
		}
		out[strings.ToLower(strings.TrimSpace(k))] = strings.ToLower(strings.TrimSpace(v))
	}
	return out
}

// joinRelevant gives a question its groups' conditions as well as its own.
// A condition that does not parse is left alone, so its problem is
// reported at its own cell with the right position.
func joinRelevant(stack []*frame, own string) string {
	if _, err := survey.ParseExpr(own); own != "" && err != nil {
		return own
	}
	var parts []string
	for _, f := range stack {
		if f.relevant != "" {
			parts = append(parts, f.relevant)
		}
	}
	if own != "" {
		parts = append(parts, own)
	}
	if len(parts) == 1 {
		return parts[0]
	}
	for i, p := range parts {
		parts[i] = "(" + p + ")"
	}
	return strings.Join(parts, " and ")
}

func (im *importer) question(sv sheet, r int, typ string, stack []*frame, page int) {
	line := r + 2
	parts := strings.Fields(typ)
	q := survey.Question{
		Name:              sv.get(r, "name", ""),
		Label:             im.text(sv, r, "label"),
		Hint:              im.text(sv, r, "hint"),
		RequiredMessage:   im.text(sv, r, "required_message"),
		Constraint:        sv.get(r, "constraint", ""),
		ConstraintMessage: im.text(sv, r, "constraint_message"),
		Relevant:          joinRelevant(stack, sv.get(r, "relevant", "")),
	}
	q.Required, _ = im.required(sv, r)
	im.unknownCells(sv, r)
	app := strings.Fields(strings.ToLower(sv.get(r, "appearance", "")))
	params := im.params(sv, r)
	list := ""
	switch {
	case len(parts) == 2 && (parts[0] == "select_one" || parts[0] == "select_multiple" || parts[0] == "rank"):
		q.Type = map[string]survey.QType{"select_one": survey.Single, "select_multiple": survey.Multiple, "rank": survey.Ranking}[parts[0]]
		list = parts[1]
		q.Choices = im.choices(list, line)
		if v, ok := params["randomize"]; ok {
			q.Randomize = v == "true"
			if v != "true" && v != "false" {
				im.add(cellPath("survey", line, "parameters"), "err.xlsform.parameter", "randomize")
			}
			delete(params, "randomize")
		}
	case len(parts) == 3 && (parts[0] == "select_one" || parts[0] == "select_multiple") && parts[2] == "or_other":
		im.add(cellPath("survey", line, "type"), "err.xlsform.or_other")
		return
	case len(parts) != 1:
		im.add(cellPath("survey", line, "type"), "err.xlsform.type", typ)
		return
	case typ == "text":
		q.Type = survey.Short
		if contains(app, "multiline") {
			q.Type = survey.Long
		}
	case typ == "integer" || typ == "int":
		q.Type, q.Integer = survey.Number, true
	case typ == "decimal":
		q.Type = survey.Number
	case typ == "date":
		q.Type = survey.Date
	case typ == "geopoint":
		q.Type = survey.Location
	case typ == "image":
		q.Type = survey.Photo
	case typ == "note":
		q.Type = survey.Note
	case typ == "range":
		q.Type = survey.Rating
		q.Scale = im.rangeScale(params, line)
		for _, k := range []string{"start", "end", "step"} {
			delete(params, k)
		}
	case metaTypes[typ]:
		im.add(cellPath("survey", line, "type"), "err.xlsform.meta", typ)
		return
	default:
		im.add(cellPath("survey", line, "type"), "err.xlsform.type", typ)
		return
	}
	for k := range params {
		im.add(cellPath("survey", line, "parameters"), "err.xlsform.parameter", k)
	}
	for _, a := range app {
		if a == "multiline" && (q.Type == survey.Long) || displayOnly[a] || widthRe.MatchString(a) {
			continue
		}
		im.add(cellPath("survey", line, "appearance"), "err.xlsform.appearance", a)
	}
	im.addQuestion(q, line, list, page)
}

// rangeScale reads a range question as a rating: ODK's defaults are
// start=1 end=10 step=1, and only 1..N in steps of 1 is a rating.
func (im *importer) rangeScale(p map[string]string, line int) int {
	get := func(k string, def int) int {
		v, ok := p[k]
		if !ok {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return -1
		}
		return n
	}
	start, end, step := get("start", 1), get("end", 10), get("step", 1)
	if start != 1 || step != 1 || end < 2 || end > 10 {
		im.add(cellPath("survey", line, "parameters"), "err.xlsform.range")
		return defaultRatingN
	}
	return end
}

var tagRe = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$`)

// langNames are language names authors write without a tag.
var langNames = map[string]string{
	"chinese": "zh-CN", "中文": "zh-CN", "简体中文": "zh-CN", "汉语": "zh-CN", "chinese (simplified)": "zh-CN",
	"english": "en", "英文": "en", "英语": "en", "zh": "zh-CN",
}

// langTag reads a "::Language" suffix: "Chinese (zh-CN)", "zh-CN" or a
// known language name.
func langTag(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if tag, ok := langNames[strings.ToLower(s)]; ok {
		return tag, true
	}
	if i := strings.LastIndexByte(s, '('); i >= 0 && strings.HasSuffix(s, ")") {
		if t := strings.TrimSpace(s[i+1 : len(s)-1]); tagRe.MatchString(t) {
			return t, true
		}
	}
	if tagRe.MatchString(s) {
		return s, true
	}
	return "", false
}
