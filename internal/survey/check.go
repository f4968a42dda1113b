package survey

import (
	"math"
	"math/bits"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"civicgrid/internal/errs"
)

// Check validates one response against the questionnaire. Questions are
// taken in order, so skip logic sees only answers that were themselves
// relevant and valid. The answer to a question that is not relevant is
// dropped, as the respondent never saw it. clean holds the accepted answers
// in a normal form (numbers float64, ratings int, lists []string, matrix
// map[string]string, location {"lat","lng"}); Check(clean) accepts clean
// unchanged. To check many responses, Compile once and use Form.Check.
func (s *Schema) Check(answers map[string]any, today string) (clean map[string]any, problems []*errs.Error) {
	return s.Compile().Check(answers, today)
}

// Form is a questionnaire with its expressions parsed, to check many
// responses without parsing (and compiling regexes) for each. It is safe
// for concurrent use; the schema must not change after Compile.
type Form struct {
	s                    *Schema
	relevant, constraint []*Expr // nil: none, or one that does not parse
	bad                  []bool  // an expression does not parse
}

// Compile parses the questionnaire's expressions once.
func (s *Schema) Compile() *Form {
	f := &Form{s: s, relevant: make([]*Expr, len(s.Questions)), constraint: make([]*Expr, len(s.Questions)), bad: make([]bool, len(s.Questions))}
	for i, q := range s.Questions {
		var err1, err2 error
		if q.Relevant != "" {
			f.relevant[i], err1 = ParseExpr(q.Relevant)
		}
		if q.Constraint != "" {
			f.constraint[i], err2 = ParseExpr(q.Constraint)
		}
		f.bad[i] = err1 != nil || err2 != nil
	}
	return f
}

// Check is Schema.Check with the expressions already parsed.
func (f *Form) Check(answers map[string]any, today string) (clean map[string]any, problems []*errs.Error) {
	s := f.s
	clean = map[string]any{}
	known := make(map[string]bool, len(s.Questions))
	for _, q := range s.Questions {
		known[q.Name] = true
	}
	var unknown []string
	for name := range answers {
		if !known[name] {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	for _, name := range unknown {
		problems = append(problems, errs.Field("answers/"+name, "err.survey.unknown"))
	}
	for i := range s.Questions {
		q := &s.Questions[i]
		field := "answers/" + q.Name
		if f.bad[i] {
			// Validate refuses such a questionnaire; one stored before the
			// rule existed fails loudly rather than skipping its logic.
			problems = append(problems, errs.Field(field, "err.survey.expr", 1))
			continue
		}
		if e := f.relevant[i]; e != nil {
			if ok, _ := e.True(Env{Answers: clean, Today: today}); !ok {
				continue
			}
		}
		raw, present := answers[q.Name]
		if q.Type == Note {
			if present && !unanswered(raw) {
				problems = append(problems, errs.Field(field, "err.survey.note_answer"))
			}
			continue
		}
		if !present || unanswered(raw) {
			if q.Required {
				problems = append(problems, requiredError(s, q, field))
			}
			continue
		}
		val, bad := checkType(s, q, field, raw)
		if len(bad) > 0 {
			problems = append(problems, bad...)
			continue
		}
		if e := f.constraint[i]; e != nil {
			clean[q.Name] = val // a constraint may name its own question
			ok, _ := e.True(Env{Answers: clean, Self: val, Today: today})
			delete(clean, q.Name)
			if !ok {
				problems = append(problems, customMessage(field, s, q.ConstraintMessage, "err.survey.constraint"))
				continue
			}
		}
		clean[q.Name] = val
	}
	return clean, problems
}

func evalCond(src string, env Env) (bool, error) {
	e, err := ParseExpr(src)
	if err != nil {
		return false, err
	}
	return e.True(env)
}

// unanswered reports an answer that is not there: null, blank text, an empty
// list or object.
func unanswered(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(v) == ""
	case []any:
		return len(v) == 0
	case []string:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	case map[string]string:
		return len(v) == 0
	}
	return false
}

func requiredError(s *Schema, q *Question, field string) *errs.Error {
	return customMessage(field, s, q.RequiredMessage, "err.survey.required")
}

// customMessage uses the questionnaire's own message when it has one (in both
// languages, falling back to the default language), else the catalogue's.
func customMessage(field string, s *Schema, t Text, key string) *errs.Error {
	def := ""
	if len(s.Languages) > 0 {
		def = t[s.Languages[0]]
	}
	pick := func(lang string) string {
		if m := t[lang]; m != "" {
			return m
		}
		if def != "" {
			return def
		}
		for _, l := range s.Languages {
			if t[l] != "" {
				return t[l]
			}
		}
		return ""
	}
	zh, en := pick("zh-CN"), pick("en")
	if zh == "" && en == "" {
		return errs.Field(field, key)
	}
	return errs.Literal(field, errs.Text{ZH: zh, EN: en})
}

// checkType checks an answer against its question's type and returns it in
// normal form.
func checkType(s *Schema, q *Question, field string, raw any) (any, []*errs.Error) {
	bad := func(key string, args ...any) (any, []*errs.Error) {
		return nil, []*errs.Error{errs.Field(field, key, args...)}
	}
	switch q.Type {
	case Single:
		c, ok := raw.(string)
		if !ok || !isChoice(q.Choices, c) {
			return bad("err.survey.choice")
		}
		return c, nil
	case Multiple:
		l, ok := answerList(raw)
		if !ok {
			return bad("err.survey.choices_answer")
		}
		seen := map[string]bool{}
		for _, c := range l {
			if !isChoice(q.Choices, c) || seen[c] {
				return bad("err.survey.choices_answer")
			}
			seen[c] = true
		}
		return l, nil
	case Ranking:
		l, ok := answerList(raw)
		if !ok || len(l) != len(q.Choices) {
			return bad("err.survey.ranking")
		}
		seen := map[string]bool{}
		for _, c := range l {
			if !isChoice(q.Choices, c) || seen[c] {
				return bad("err.survey.ranking")
			}
			seen[c] = true
		}
		return l, nil
	case Short, Long:
		t, ok := raw.(string)
		switch {
		case !ok || !utf8.ValidString(t):
			return bad("err.survey.text")
		case utf8.RuneCountInString(t) > maxTextRunes:
			return bad("err.survey.text_long", maxTextRunes)
		}
		return t, nil
	case Number:
		f, ok := parseNumber(raw)
		if !ok {
			return bad("err.survey.number")
		}
		if q.Integer && (f != math.Trunc(f) || math.Abs(f) > 1<<53) {
			return bad("err.survey.integer")
		}
		return f, nil
	case Date:
		d, ok := raw.(string)
		if !ok || len(d) != 10 {
			return bad("err.survey.date")
		}
		if _, err := time.Parse("2006-01-02", d); err != nil {
			return bad("err.survey.date")
		}
		return d, nil
	case Rating:
		scale := q.Scale
		if scale == 0 {
			scale = 5
		}
		f, ok := parseNumber(raw)
		if !ok || f != math.Trunc(f) || f < 1 || f > float64(scale) {
			return bad("err.survey.rating", scale)
		}
		return int(f), nil
	case Matrix:
		return checkMatrix(q, field, raw)
	case Location:
		m, ok := raw.(map[string]any)
		if !ok {
			return bad("err.survey.location")
		}
		lat, ok1 := parseNumber(m["lat"])
		lng, ok2 := parseNumber(m["lng"])
		if !ok1 || !ok2 || lat < -90 || lat > 90 || lng < -180 || lng > 180 {
			return bad("err.survey.location")
		}
		return map[string]any{"lat": lat, "lng": lng}, nil
	case Photo:
		id, ok := raw.(string)
		if !ok || len(id) > maxPhotoID || !photoID(id) {
			return bad("err.survey.photo")
		}
		return id, nil
	}
	return bad("err.survey.type")
}

func checkMatrix(q *Question, field string, raw any) (any, []*errs.Error) {
	var m map[string]any
	switch r := raw.(type) {
	case map[string]any:
		m = r
	case map[string]string:
		m = make(map[string]any, len(r))
		for k, v := range r {
			m[k] = v
		}
	default:
		return nil, []*errs.Error{errs.Field(field, "err.survey.matrix")}
	}
	var problems []*errs.Error
	var unknown []string
	for row := range m {
		if !isChoice(q.Rows, row) {
			unknown = append(unknown, row)
		}
	}
	sort.Strings(unknown)
	for _, row := range unknown {
		problems = append(problems, errs.Field(field+"/"+row, "err.survey.matrix_row"))
	}
	out := make(map[string]string, len(q.Rows))
	for _, row := range q.Rows {
		v, present := m[row.Name]
		if !present || unanswered(v) {
			if q.Required {
				problems = append(problems, errs.Field(field+"/"+row.Name, "err.survey.required"))
			}
			continue
		}
		c, ok := v.(string)
		if !ok || !isChoice(q.Choices, c) {
			problems = append(problems, errs.Field(field+"/"+row.Name, "err.survey.choice"))
			continue
		}
		out[row.Name] = c
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return out, nil
}

func isChoice(cs []Choice, name string) bool {
	for _, c := range cs {
		if c.Name == name {
			return true
		}
	}
	return false
}

// answerList reads a JSON array of strings.
func answerList(v any) ([]string, bool) {
	switch l := v.(type) {
	case []string:
		return append([]string(nil), l...), true
	case []any:
		out := make([]string, 0, len(l))
		for _, x := range l {
			s, ok := x.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

// photoID accepts the ids the photo upload hands out, and nothing that
// could be a path or markup.
func photoID(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isIdentChar(c) || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// Order is the order in which one respondent sees a question's choices:
// shuffled when the question says Randomize, the same for the same seed
// (so a page reload does not reshuffle), different between questions.
func (s *Schema) Order(q Question, seed uint64) []Choice {
	out := append([]Choice(nil), q.Choices...)
	if !q.Randomize {
		return out
	}
	// splitmix64, written out so the order never changes with a Go release.
	x := seed
	for i := 0; i < len(q.Name); i++ {
		x = (x ^ uint64(q.Name[i])) * 0x100000001b3
	}
	next := func() uint64 {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		return z ^ (z >> 31)
	}
	for i := len(out) - 1; i > 0; i-- {
		j, _ := bits.Mul64(next(), uint64(i+1))
		out[i], out[j] = out[j], out[i]
	}
	return out
}
