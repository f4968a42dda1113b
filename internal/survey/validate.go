package survey

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"civicgrid/internal/errs"
)

// Limits that keep a questionnaire something a person can answer on a phone,
// and keep one request's work bounded.
const (
	maxQuestions = 500
	maxChoices   = 500
	maxTextRunes = 2000
	maxPhotoID   = 64
)

var (
	nameRe   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)
	choiceRe = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$`) // XLSForm lists often use 1, 2, 3
	langRe   = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$`)
)

// hasChoices reports whether a question type needs choices.
func hasChoices(t QType) bool {
	return t == Single || t == Multiple || t == Ranking || t == Matrix
}

func knownType(t QType) bool {
	for _, k := range Types {
		if k == t {
			return true
		}
	}
	return false
}

// Validate checks a questionnaire's structure and returns every problem,
// each pointing at its field (questions/3/name).
func (s *Schema) Validate() []*errs.Error {
	v := &validator{s: s}
	v.languages()
	v.text("title", s.Title, true)
	if len(s.Questions) == 0 {
		v.add("questions", "err.survey.no_questions")
	}
	if len(s.Questions) > maxQuestions {
		v.add("questions", "err.survey.too_many", maxQuestions)
		return v.list
	}
	seen := map[string]int{} // name → index
	page := 1
	for i := range s.Questions {
		q := &s.Questions[i]
		p := fmt.Sprintf("questions/%d", i)
		switch _, dup := seen[q.Name]; {
		case !nameRe.MatchString(q.Name):
			v.add(p+"/name", "err.survey.name")
		case dup:
			v.add(p+"/name", "err.survey.name_taken", q.Name)
		default:
			seen[q.Name] = i
		}
		if !knownType(q.Type) {
			v.add(p+"/type", "err.survey.type")
		}
		v.text(p+"/label", q.Label, true)
		v.text(p+"/hint", q.Hint, false)
		v.text(p+"/required_message", q.RequiredMessage, false)
		v.text(p+"/constraint_message", q.ConstraintMessage, false)
		if pg := max(q.Page, 1); q.Page < 0 || pg != page && pg != page+1 {
			v.add(p+"/page", "err.survey.page")
		} else {
			page = pg
		}
		if hasChoices(q.Type) {
			min := 1
			if q.Type == Ranking {
				min = 2
			}
			v.choices(p+"/choices", q.Choices, min)
		} else if len(q.Choices) > 0 {
			v.add(p+"/choices", "err.survey.choices_unexpected")
		}
		if q.Type == Matrix {
			v.choices(p+"/rows", q.Rows, 1)
		} else if len(q.Rows) > 0 {
			v.add(p+"/rows", "err.survey.rows_unexpected")
		}
		if q.Type == Rating && q.Scale != 0 && (q.Scale < 2 || q.Scale > 10) {
			v.add(p+"/scale", "err.survey.scale")
		}
		if q.Type == Note && q.Required {
			v.add(p+"/required", "err.survey.note_required")
		}
		v.expr(p+"/relevant", q.Relevant, false, seen, q.Name)
		if q.Constraint != "" && (q.Type == Note || q.Type == Matrix) {
			v.add(p+"/constraint", "err.survey.constraint_type")
		} else {
			v.expr(p+"/constraint", q.Constraint, true, seen, q.Name)
		}
	}
	return v.list
}

type validator struct {
	s       *Schema
	list    []*errs.Error
	langsOK bool // label languages are checked only against a sound list
}

func (v *validator) add(field, key string, args ...any) *errs.Error {
	e := errs.Field(field, key, args...)
	v.list = append(v.list, e)
	return e
}

func (v *validator) languages() {
	if len(v.s.Languages) == 0 {
		v.add("languages", "err.survey.languages")
		return
	}
	seen := map[string]bool{}
	v.langsOK = true
	for i, l := range v.s.Languages {
		if !langRe.MatchString(l) || seen[l] {
			v.add(fmt.Sprintf("languages/%d", i), "err.survey.language")
			v.langsOK = false
		}
		seen[l] = true
	}
}

// text checks a label: the default language present when required (or when
// the text is given at all), and no language the questionnaire lacks.
func (v *validator) text(field string, t Text, required bool) {
	if len(t) == 0 && !required {
		return
	}
	if len(v.s.Languages) > 0 && strings.TrimSpace(t[v.s.Languages[0]]) == "" {
		v.add(field, "err.survey.label_default", v.s.Languages[0])
	}
	for l, s := range t {
		known := false
		for _, k := range v.s.Languages {
			known = known || k == l
		}
		if v.langsOK && !known && s != "" {
			v.add(field, "err.survey.label_language", l)
		}
		if len(s) > 4*maxTextRunes {
			v.add(field, "err.survey.label_long")
		}
	}
}

func (v *validator) choices(field string, cs []Choice, min int) {
	if len(cs) < min {
		v.add(field, "err.survey.choices", min)
		return
	}
	if len(cs) > maxChoices {
		v.add(field, "err.survey.too_many_choices", maxChoices)
		return
	}
	seen := map[string]bool{}
	for j, c := range cs {
		p := fmt.Sprintf("%s/%d", field, j)
		switch {
		case !choiceRe.MatchString(c.Name):
			v.add(p+"/name", "err.survey.choice_name")
		case seen[c.Name]:
			v.add(p+"/name", "err.survey.choice_taken", c.Name)
		}
		seen[c.Name] = true
		v.text(p+"/label", c.Label, true)
	}
}

// expr checks that an expression parses and refers only to earlier
// questions; a constraint may also use "." and its own name.
func (v *validator) expr(field, src string, constraint bool, earlier map[string]int, self string) {
	if src == "" {
		return
	}
	e, err := ParseExpr(src)
	if err != nil {
		var ee *ExprError
		pos := 0
		if errors.As(err, &ee) {
			pos = ee.Pos
		}
		v.add(field, "err.survey.expr", pos+1).Cause = err
		return
	}
	if e.UsesSelf() && !constraint {
		v.add(field, "err.survey.expr_self")
	}
	for _, r := range e.Refs() {
		if constraint && r == self {
			continue
		}
		if _, ok := earlier[r]; ok && r != self {
			continue
		}
		known := false
		for _, q := range v.s.Questions {
			known = known || q.Name == r
		}
		if known {
			v.add(field, "err.survey.expr_later", r)
		} else {
			v.add(field, "err.survey.expr_ref", r)
		}
	}
}
