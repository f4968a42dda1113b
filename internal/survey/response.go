package survey

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/store"

	"github.com/oklog/ulid/v2"
)

// Submission is a response as sent.
type Submission struct {
	Key        string         `json:"idempotency_key"` // a retry with the same key is stored once
	RegionCode string         `json:"region_code"`     // where the respondent lives (default: their account's region)
	Answers    map[string]any `json:"answers"`
}

// Receipt is what a respondent gets back.
type Receipt struct {
	ID          string    `json:"id"`
	SubmittedAt time.Time `json:"submitted_at"`
	Replay      bool      `json:"replay,omitempty"` // the same submission was already stored
}

// beijing is where days are counted.
var beijing = time.FixedZone("CST", 8*3600)

// randomID is an id that says nothing about when it was made (a ULID
// would carry the time to the millisecond).
func randomID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Submit stores one response in one transaction: checked against the
// questionnaire (skip logic, types, constraints), counted against the
// quotas of the respondent's region, once per key, and once per person in
// named mode.
func (s *Service) Submit(ctx context.Context, actor auth.Actor, id string, sub Submission) (Receipt, error) {
	sub.Key = strings.TrimSpace(sub.Key)
	switch {
	case sub.Key == "":
		return Receipt{}, errs.Field("idempotency_key", "err.required")
	case len(sub.Key) > 100:
		return Receipt{}, errs.Field("idempotency_key", "err.too_long", 100)
	case len(sub.Answers) > 500:
		return Receipt{}, errs.Field("answers", "err.too_long", 500)
	}
	q, err := s.forAnswers(ctx, id)
	if err != nil {
		return Receipt{}, err
	}
	if q.Status != "open" {
		return Receipt{}, errs.New(errs.Conflict, "err.survey.not_open")
	}
	var respondent any
	if q.Mode == Named {
		if actor.UserID == "" || actor.UserID == "system" {
			return Receipt{}, errs.New(errs.Unauthorized, "err.survey.sign_in")
		}
		respondent = actor.UserID
		// A named respondent counts where their account is, whatever the
		// form says: quotas cannot be dodged by naming another region.
		sub.RegionCode = actor.RegionCode
	}
	var regionPath string
	if sub.RegionCode != "" {
		r, ok := s.regions.Lookup(sub.RegionCode)
		if !ok {
			return Receipt{}, errs.Field("region_code", "err.not_found")
		}
		if !strings.HasPrefix(r.Path, q.RegionPath) {
			return Receipt{}, errs.Field("region_code", "err.survey.region_outside")
		}
		regionPath = r.Path
	} else if q.RegionPath != "" {
		regionPath = q.RegionPath
	}
	// With quotas, the region must be as precise as the finest quota, or
	// an answer from nowhere in particular would escape them all.
	for _, k := range q.Quotas {
		if strings.Count(regionPath, "/") < strings.Count(k.RegionPath, "/") {
			return Receipt{}, errs.Field("region_code", "err.survey.region_needed")
		}
	}
	now := s.now()
	clean, problems := s.form(q).Check(sub.Answers, now.In(beijing).Format("2006-01-02"))
	if len(problems) > 0 {
		return Receipt{}, &errs.Error{Code: errs.Invalid, Field: problems[0].Field, Key: "err.survey.answers", Args: []any{len(problems)}, List: problems}
	}
	body, err := json.Marshal(clean)
	if err != nil {
		return Receipt{}, errs.Wrap(err, "answers")
	}
	rec := Receipt{ID: ulid.Make().String(), SubmittedAt: now.UTC().Truncate(time.Millisecond)}
	if q.Mode == Anonymous {
		rec.ID = randomID()
		rec.SubmittedAt = now.UTC().Truncate(time.Hour)
	}
	day := rec.SubmittedAt.In(beijing).Format("2006-01-02")
	choices := choiceRows(q.Schema, clean)
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		// Responses share the questionnaire row; setting a quota takes it
		// alone, so it counts no response that is still on its way.
		var one int
		if err := tx.QueryRow(ctx, "SELECT 1 FROM questionnaires WHERE id = ?"+tx.Dialect().ForShare(), id).Scan(&one); err != nil {
			return err
		}
		var old, oldAt, oldBy string
		err := tx.QueryRow(ctx, `SELECT id, submitted_at, COALESCE(respondent_id, '') FROM responses WHERE questionnaire_id = ? AND idem_key = ?`, id, sub.Key).Scan(&old, &oldAt, &oldBy)
		if err == nil {
			if respondent != nil && oldBy != respondent {
				// Someone else's key: never take their answer for this one's.
				return errs.Field("idempotency_key", "err.survey.key_taken")
			}
			rec.ID, rec.Replay = old, true
			rec.SubmittedAt, _ = store.ParseTime(oldAt)
			return nil
		} else if !errs.Is(err, errs.NotFound) {
			return err
		}
		if respondent != nil {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM responses WHERE questionnaire_id = ? AND respondent_id = ?`, id, respondent).Scan(&n); err != nil {
				return err
			} else if n > 0 {
				return errs.New(errs.Conflict, "err.survey.already_answered")
			}
		}
		// Quotas of every region above the respondent's: all must have room.
		rows, err := tx.Query(ctx, `SELECT region_code, quota, used FROM questionnaire_quotas WHERE questionnaire_id = ? AND ? LIKE region_path || '%' ORDER BY region_code`, id, regionPath)
		if err != nil {
			return err
		}
		var codes []string
		for rows.Next() {
			var code string
			var quota, used int64
			if err := rows.Scan(&code, &quota, &used); err != nil {
				rows.Close()
				return err
			}
			codes = append(codes, code)
		}
		rows.Close()
		for _, code := range codes {
			res, err := tx.Exec(ctx, `UPDATE questionnaire_quotas SET used = used + 1 WHERE questionnaire_id = ? AND region_code = ? AND used < quota`, id, code)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				name := code
				if r, ok := s.regions.Lookup(code); ok {
					name = r.Name
				}
				return errs.New(errs.Conflict, "err.survey.quota_full", name)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO responses (id, questionnaire_id, respondent_id, idem_key, region_code, region_path, submitted_at, answers) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			rec.ID, id, respondent, sub.Key, sub.RegionCode, regionPath, store.FormatTime(rec.SubmittedAt), string(body)); err != nil {
			if errs.Is(err, errs.Conflict) {
				return errKeyRace
			}
			return err
		}
		if respondent != nil && s.onNamed != nil {
			// Answering a named survey earns its respondent points, once.
			if err := s.onNamed(ctx, tx, rec.ID, regionPath, actor.UserID); err != nil {
				return err
			}
		}
		if len(choices) == 0 {
			return nil
		}
		// One statement for all the response's choices.
		var sb strings.Builder
		args := make([]any, 0, 6*len(choices))
		sb.WriteString(`INSERT INTO response_choices (questionnaire_id, response_id, question, choice, region_path, day) VALUES `)
		for i, c := range choices {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, ?, ?, ?, ?, ?)")
			args = append(args, id, rec.ID, c[0], c[1], regionPath, day)
		}
		_, err = tx.Exec(ctx, sb.String(), args...)
		return err
	})
	if errors.Is(err, errKeyRace) {
		// A concurrent retry of the same submission won (PostgreSQL), or the
		// same person answered twice at once: run again to find which.
		return s.Submit(ctx, actor, id, sub)
	}
	return rec, err
}

var errKeyRace = errs.New(errs.Conflict, "err.conflict")

// cached is a questionnaire's parsed schema, kept while it is unchanged:
// at festival scale every response would otherwise parse it again.
type cached struct {
	updated string
	q       Questionnaire
	form    *Form // expressions parsed once
}

// form is the compiled questionnaire (from the cache when it is current).
func (s *Service) form(q Questionnaire) *Form {
	if c, ok := s.schemas.Load(q.ID); ok && c.(cached).form != nil {
		return c.(cached).form
	}
	return q.Schema.Compile()
}

// forAnswers reads what answering needs in one read: the status, mode and
// quota regions always, the schema from the cache unless the questionnaire
// changed.
func (s *Service) forAnswers(ctx context.Context, id string) (Questionnaire, error) {
	var q Questionnaire
	var updated string
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		err := tx.QueryRow(ctx, `SELECT id, title, mode, region_code, region_path, status, updated_at FROM questionnaires WHERE id = ?`, id).
			Scan(&q.ID, &q.Title, &q.Mode, &q.RegionCode, &q.RegionPath, &q.Status, &updated)
		if err != nil {
			return err
		}
		q.Quotas, err = store.All(ctx, tx, func(r interface{ Scan(...any) error }) (Quota, error) {
			var k Quota
			return k, r.Scan(&k.RegionPath)
		}, `SELECT region_path FROM questionnaire_quotas WHERE questionnaire_id = ?`, id)
		return err
	})
	if err != nil {
		return q, err
	}
	if c, ok := s.schemas.Load(id); ok && c.(cached).updated == updated {
		q.Schema = c.(cached).q.Schema
		return q, nil
	}
	quotas := q.Quotas
	err = s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		q, err = scanQ(tx.QueryRow(ctx, `SELECT `+qCols+` FROM questionnaires WHERE id = ?`, id))
		return err
	})
	if err == nil {
		s.schemas.Store(id, cached{updated: store.FormatTime(q.UpdatedAt), q: q, form: q.Schema.Compile()})
	}
	q.Quotas = quotas
	return q, err
}

// choiceRows flattens the choice answers into (question, choice) pairs:
// matrix cells as "question/row", ranking positions as "question#n".
func choiceRows(s Schema, answers map[string]any) [][2]string {
	var out [][2]string
	for _, q := range s.Questions {
		v, ok := answers[q.Name]
		if !ok {
			continue
		}
		switch q.Type {
		case Single:
			if c, ok := v.(string); ok {
				out = append(out, [2]string{q.Name, c})
			}
		case Multiple:
			for _, c := range stringList(v) {
				out = append(out, [2]string{q.Name, c})
			}
		case Rating:
			out = append(out, [2]string{q.Name, numberText(v)})
		case Matrix:
			m := map[string]string{}
			switch x := v.(type) {
			case map[string]string:
				m = x
			case map[string]any:
				for r, c := range x {
					if c, ok := c.(string); ok {
						m[r] = c
					}
				}
			}
			rows := make([]string, 0, len(m))
			for r := range m {
				rows = append(rows, r)
			}
			sort.Strings(rows)
			for _, r := range rows {
				out = append(out, [2]string{q.Name + "/" + r, m[r]})
			}
		case Ranking:
			for i, c := range stringList(v) {
				out = append(out, [2]string{q.Name + "#" + strconv.Itoa(i+1), c})
			}
		}
	}
	return out
}

func stringList(v any) []string {
	switch l := v.(type) {
	case []string:
		return l
	case []any:
		out := make([]string, 0, len(l))
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func numberText(v any) string {
	switch n := v.(type) {
	case float64:
		return strconv.FormatFloat(n, 'f', -1, 64)
	case int:
		return strconv.Itoa(n)
	case int64:
		return strconv.FormatInt(n, 10)
	case json.Number:
		return n.String()
	case string:
		return n
	}
	return ""
}
