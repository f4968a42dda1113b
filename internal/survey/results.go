package survey

import (
	"context"
	"strings"
	"time"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/store"
)

// Filter narrows results and exports.
type Filter struct {
	RegionPath string    // a subtree of the questionnaire's region ("" = all)
	From, To   time.Time // submission time (zero = open)
}

func (f Filter) where() (string, []any) {
	var w []string
	var args []any
	if f.RegionPath != "" {
		w = append(w, "region_path LIKE ?")
		args = append(args, f.RegionPath+"%")
	}
	if !f.From.IsZero() {
		w = append(w, "submitted_at >= ?")
		args = append(args, store.FormatTime(f.From))
	}
	if !f.To.IsZero() {
		w = append(w, "submitted_at < ?")
		args = append(args, store.FormatTime(f.To))
	}
	if len(w) == 0 {
		return "", nil
	}
	return " AND " + strings.Join(w, " AND "), args
}

// choiceWhere is the filter on response_choices, whose rows carry the
// Beijing day of the response (from and to are taken to whole days).
func (f Filter) choiceWhere(prefix string) (string, []any) {
	where := ""
	var args []any
	if f.RegionPath != "" {
		where += " AND " + prefix + "region_path LIKE ?"
		args = append(args, f.RegionPath+"%")
	}
	if !f.From.IsZero() {
		where += " AND " + prefix + "day >= ?"
		args = append(args, f.From.In(beijing).Format("2006-01-02"))
	}
	if !f.To.IsZero() {
		where += " AND " + prefix + "day < ?"
		args = append(args, f.To.In(beijing).Format("2006-01-02"))
	}
	return where, args
}

// Count is how many chose an option.
type Count struct {
	Choice string `json:"choice"`
	Label  string `json:"label"`
	N      int64  `json:"n"`
}

// QuestionResult is one question's figures.
type QuestionResult struct {
	Name     string  `json:"name"`
	Type     QType   `json:"type"`
	Label    string  `json:"label"`
	Answered int64   `json:"answered"`
	Counts   []Count `json:"counts,omitempty"` // choice questions, in the questionnaire's order
	// Rows are a matrix's rows, each with its counts.
	Rows []QuestionResult `json:"rows,omitempty"`
	// Number questions.
	Mean *float64 `json:"mean,omitempty"`
	Min  *float64 `json:"min,omitempty"`
	Max  *float64 `json:"max,omitempty"`
	// Text questions: the latest few answers.
	Samples []string `json:"samples,omitempty"`
}

// Results is a questionnaire's figures under a filter.
type Results struct {
	Questionnaire string           `json:"questionnaire"`
	Responses     int64            `json:"responses"`
	Questions     []QuestionResult `json:"questions"`
}

func label(t Text, lang string, langs []string) string {
	if v := t[lang]; v != "" {
		return v
	}
	for _, l := range langs {
		if v := t[l]; v != "" {
			return v
		}
	}
	return ""
}

func (s *Service) readable(ctx context.Context, actor auth.Actor, id string) (Questionnaire, error) {
	var q Questionnaire
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		if q, err = s.get(ctx, tx, id); err != nil {
			return err
		}
		return actor.Authorize(auth.SurveyManage, q.RegionPath)
	})
	return q, err
}

// Results counts the answers: choices per option (from the per-choice
// rows), numbers' mean and range, text answers' latest samples.
func (s *Service) Results(ctx context.Context, actor auth.Actor, id, lang string, f Filter) (Results, error) {
	q, err := s.readable(ctx, actor, id)
	if err != nil {
		return Results{}, err
	}
	res := Results{Questionnaire: q.ID}
	where, args := f.where()
	err = s.db.Read(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM responses WHERE questionnaire_id = ?`+where, append([]any{id}, args...)...).Scan(&res.Responses); err != nil {
			return err
		}
		counts := map[string]map[string]int64{}
		cw, cargs := f.choiceWhere("")
		rows, err := tx.Query(ctx, `SELECT question, choice, count(*) FROM response_choices WHERE questionnaire_id = ?`+cw+` GROUP BY question, choice`, append([]any{id}, cargs...)...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var qn, c string
			var n int64
			if err := rows.Scan(&qn, &c, &n); err != nil {
				rows.Close()
				return err
			}
			if counts[qn] == nil {
				counts[qn] = map[string]int64{}
			}
			counts[qn][c] = n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, qu := range q.Schema.Questions {
			if qu.Type == Note {
				continue
			}
			qr := QuestionResult{Name: qu.Name, Type: qu.Type, Label: label(qu.Label, lang, q.Schema.Languages)}
			switch qu.Type {
			case Single, Multiple:
				qr.Counts = countsOf(qu.Choices, counts[qu.Name], lang, q.Schema.Languages)
			case Rating:
				scale := qu.Scale
				if scale == 0 {
					scale = 5
				}
				var cs []Choice
				for i := 1; i <= scale; i++ {
					n := numberText(float64(i))
					cs = append(cs, Choice{Name: n, Label: Text{"": n}})
				}
				qr.Counts = countsOf(cs, counts[qu.Name], lang, q.Schema.Languages)
			case Ranking:
				// Counts of each choice at first place.
				qr.Counts = countsOf(qu.Choices, counts[qu.Name+"#1"], lang, q.Schema.Languages)
			case Matrix:
				for _, r := range qu.Rows {
					rr := QuestionResult{Name: r.Name, Label: label(r.Label, lang, q.Schema.Languages)}
					rr.Counts = countsOf(qu.Choices, counts[qu.Name+"/"+r.Name], lang, q.Schema.Languages)
					for _, c := range rr.Counts {
						rr.Answered += c.N
					}
					qr.Rows = append(qr.Rows, rr)
				}
			}
			for _, c := range qr.Counts {
				if qu.Type != Multiple {
					qr.Answered += c.N
				}
			}
			res.Questions = append(res.Questions, qr)
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	// Numbers, texts and multiple-choice answered counts need the answers
	// themselves: one streaming pass.
	idx := map[string]int{}
	for i, qr := range res.Questions {
		idx[qr.Name] = i
	}
	sums := map[string]float64{}
	err = s.stream(ctx, q, f, func(r Row) error {
		for _, qr := range res.Questions {
			v, ok := r.Answers[qr.Name]
			if !ok {
				continue
			}
			i := idx[qr.Name]
			switch qr.Type {
			case Multiple:
				res.Questions[i].Answered++
			case Number:
				n, ok := toFloat(v)
				if !ok {
					continue
				}
				res.Questions[i].Answered++
				sums[qr.Name] += n
				if m := res.Questions[i].Min; m == nil || n < *m {
					res.Questions[i].Min = &n
				}
				if m := res.Questions[i].Max; m == nil || n > *m {
					res.Questions[i].Max = &n
				}
			case Short, Long, Date, Location, Photo:
				res.Questions[i].Answered++
				if t, ok := v.(string); ok && (qr.Type == Short || qr.Type == Long) {
					res.Questions[i].Samples = append(res.Questions[i].Samples, t)
					if len(res.Questions[i].Samples) > 10 {
						res.Questions[i].Samples = res.Questions[i].Samples[1:]
					}
				}
			}
		}
		return nil
	})
	for i, qr := range res.Questions {
		if qr.Type == Number && qr.Answered > 0 {
			m := sums[qr.Name] / float64(qr.Answered)
			res.Questions[i].Mean = &m
		}
	}
	return res, err
}

func countsOf(cs []Choice, got map[string]int64, lang string, langs []string) []Count {
	out := make([]Count, 0, len(cs))
	for _, c := range cs {
		l := label(c.Label, lang, langs)
		if l == "" {
			l = c.Name
		}
		out = append(out, Count{Choice: c.Name, Label: l, N: got[c.Name]})
	}
	return out
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}

// Crosstab counts the responses by the choices of two choice questions
// (rows: a, columns: b).
type Crosstab struct {
	Rows    []Count   `json:"rows"`
	Columns []Count   `json:"columns"`
	Cells   [][]int64 `json:"cells"`
}

// Cross tabulates two choice questions (single, multiple or rating).
func (s *Service) Cross(ctx context.Context, actor auth.Actor, id, a, b, lang string, f Filter) (Crosstab, error) {
	q, err := s.readable(ctx, actor, id)
	if err != nil {
		return Crosstab{}, err
	}
	find := func(name, field string) (Question, error) {
		for _, qu := range q.Schema.Questions {
			if qu.Name == name {
				if qu.Type == Single || qu.Type == Multiple || qu.Type == Rating {
					return qu, nil
				}
				return qu, errs.Field(field, "err.survey.cross_type")
			}
		}
		return Question{}, errs.Field(field, "err.not_found")
	}
	qa, err := find(a, "a")
	if err != nil {
		return Crosstab{}, err
	}
	qb, err := find(b, "b")
	if err != nil {
		return Crosstab{}, err
	}
	choices := func(qu Question) []Choice {
		if qu.Type != Rating {
			return qu.Choices
		}
		scale := qu.Scale
		if scale == 0 {
			scale = 5
		}
		var cs []Choice
		for i := 1; i <= scale; i++ {
			n := numberText(float64(i))
			cs = append(cs, Choice{Name: n, Label: Text{"": n}})
		}
		return cs
	}
	ca, cb := choices(qa), choices(qb)
	ct := Crosstab{Rows: countsOf(ca, nil, lang, q.Schema.Languages), Columns: countsOf(cb, nil, lang, q.Schema.Languages)}
	ia, ib := map[string]int{}, map[string]int{}
	for i, c := range ca {
		ia[c.Name] = i
	}
	for i, c := range cb {
		ib[c.Name] = i
	}
	ct.Cells = make([][]int64, len(ca))
	for i := range ct.Cells {
		ct.Cells[i] = make([]int64, len(cb))
	}
	where, args := f.choiceWhere("x.")
	err = s.db.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT x.choice, y.choice, count(*) FROM response_choices x JOIN response_choices y ON y.response_id = x.response_id AND y.question = ?
			WHERE x.questionnaire_id = ? AND x.question = ?`+where+` GROUP BY x.choice, y.choice`, append([]any{b, id, a}, args...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var x, y string
			var n int64
			if err := rows.Scan(&x, &y, &n); err != nil {
				return err
			}
			i, ok1 := ia[x]
			j, ok2 := ib[y]
			if ok1 && ok2 {
				ct.Cells[i][j] = n
				ct.Rows[i].N += n
				ct.Columns[j].N += n
			}
		}
		return rows.Err()
	})
	return ct, err
}
