package survey

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/region"
	"civicgrid/internal/store"

	"github.com/oklog/ulid/v2"
)

// Mode says whether responses can be linked to a person.
type Mode string

const (
	Anonymous Mode = "anonymous" // no account, no IP, the time cut to the hour
	Named     Mode = "named"     // one response per person, enforced by the database
)

// Questionnaire is a stored questionnaire.
type Questionnaire struct {
	ID         string    `json:"id"`
	Title      string    `json:"title"`
	Schema     Schema    `json:"schema"`
	Mode       Mode      `json:"mode"`
	RegionCode string    `json:"region_code"`
	RegionPath string    `json:"-"`
	Status     string    `json:"status"` // draft | open | closed
	Responses  int64     `json:"responses"`
	Quotas     []Quota   `json:"quotas"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Quota caps the responses from a region subtree.
type Quota struct {
	RegionCode string `json:"region_code"`
	RegionName string `json:"region_name,omitempty"`
	RegionPath string `json:"-"`
	Quota      int64  `json:"quota"`
	Used       int64  `json:"used"`
}

// NewQuestionnaire is the input to Create.
type NewQuestionnaire struct {
	Title      string `json:"title"`
	Schema     Schema `json:"schema"`
	Mode       Mode   `json:"mode"`
	RegionCode string `json:"region_code"`
}

// Regions is what the package needs of the region tree.
type Regions interface {
	Lookup(code string) (region.Info, bool)
}

// Service stores questionnaires, campaigns and responses.
type Service struct {
	db      *store.DB
	regions Regions
	now     func() time.Time
	jobs    *jobs
	schemas sync.Map // id → cached
	onNamed func(ctx context.Context, tx *store.Tx, responseID, regionPath, userID string) error
}

// OnNamedResponse sets the hook run inside the transaction that stores a
// named response (points for taking part). Set it before serving.
func (s *Service) OnNamedResponse(fn func(ctx context.Context, tx *store.Tx, responseID, regionPath, userID string) error) {
	s.onNamed = fn
}

// New wires the service; exports are written under exportDir.
func New(db *store.DB, regions Regions, exportDir string) *Service {
	return &Service{db: db, regions: regions, now: time.Now, jobs: newJobs(exportDir)}
}

// schemaErrors joins a schema's problems into one error (nil if none).
func schemaErrors(list []*errs.Error) error {
	if len(list) == 0 {
		return nil
	}
	for _, e := range list {
		e.Field = "schema/" + strings.TrimPrefix(e.Field, "schema/")
	}
	return &errs.Error{Code: errs.Invalid, Field: list[0].Field, Key: "err.survey.schema", Args: []any{len(list)}, List: list}
}

func (n *NewQuestionnaire) validate() error {
	n.Title = strings.TrimSpace(n.Title)
	if n.Title == "" {
		for _, l := range n.Schema.Languages {
			if t := strings.TrimSpace(n.Schema.Title[l]); t != "" {
				n.Title = t
				break
			}
		}
	}
	switch {
	case n.Title == "":
		return errs.Field("title", "err.required")
	case utf8.RuneCountInString(n.Title) > 100:
		return errs.Field("title", "err.too_long", 100)
	case n.Mode != Anonymous && n.Mode != Named:
		return errs.Field("mode", "err.survey.mode")
	case n.RegionCode == "":
		return errs.Field("region_code", "err.required")
	}
	return schemaErrors(n.Schema.Validate())
}

// Create stores a questionnaire (a draft until opened).
func (s *Service) Create(ctx context.Context, actor auth.Actor, n NewQuestionnaire) (Questionnaire, error) {
	if err := n.validate(); err != nil {
		return Questionnaire{}, err
	}
	r, ok := s.regions.Lookup(n.RegionCode)
	if !ok {
		return Questionnaire{}, errs.Field("region_code", "err.not_found")
	}
	if err := actor.Authorize(auth.SurveyManage, r.Path); err != nil {
		return Questionnaire{}, err
	}
	body, err := json.Marshal(n.Schema)
	if err != nil {
		return Questionnaire{}, errs.Wrap(err, "schema")
	}
	q := Questionnaire{ID: ulid.Make().String(), Title: n.Title, Schema: n.Schema, Mode: n.Mode, RegionCode: r.Code, RegionPath: r.Path, Status: "draft", Quotas: []Quota{}}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		q.CreatedAt, q.UpdatedAt = tx.Now(), tx.Now()
		_, err := tx.Exec(ctx, `INSERT INTO questionnaires (id, title, schema, mode, region_code, region_path, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			q.ID, q.Title, string(body), string(q.Mode), r.Code, r.Path, actor.UserID, tx.NowText(), tx.NowText())
		return err
	})
	return q, err
}

const qCols = `id, title, schema, mode, region_code, region_path, status, created_at, updated_at`

func scanQ(r interface{ Scan(...any) error }) (Questionnaire, error) {
	var q Questionnaire
	var body, at, up string
	if err := r.Scan(&q.ID, &q.Title, &body, &q.Mode, &q.RegionCode, &q.RegionPath, &q.Status, &at, &up); err != nil {
		return q, err
	}
	if err := json.Unmarshal([]byte(body), &q.Schema); err != nil {
		return q, errs.Wrap(err, "stored schema of "+q.ID)
	}
	q.CreatedAt, _ = store.ParseTime(at)
	q.UpdatedAt, _ = store.ParseTime(up)
	return q, nil
}

func (s *Service) get(ctx context.Context, tx *store.Tx, id string) (Questionnaire, error) {
	q, err := scanQ(tx.QueryRow(ctx, `SELECT `+qCols+` FROM questionnaires WHERE id = ?`, id))
	if err != nil {
		return q, err
	}
	q.Quotas = []Quota{}
	rows, err := tx.Query(ctx, `SELECT region_code, region_path, quota, used FROM questionnaire_quotas WHERE questionnaire_id = ? ORDER BY region_path`, id)
	if err != nil {
		return q, err
	}
	defer rows.Close()
	for rows.Next() {
		var k Quota
		if err := rows.Scan(&k.RegionCode, &k.RegionPath, &k.Quota, &k.Used); err != nil {
			return q, err
		}
		if r, ok := s.regions.Lookup(k.RegionCode); ok {
			k.RegionName = r.Name
		}
		q.Quotas = append(q.Quotas, k)
	}
	if err := rows.Err(); err != nil {
		return q, err
	}
	return q, tx.QueryRow(ctx, `SELECT count(*) FROM responses WHERE questionnaire_id = ?`, id).Scan(&q.Responses)
}

// Get returns a questionnaire. Open ones are public (they are being
// answered); drafts and closed ones need survey.manage in scope.
func (s *Service) Get(ctx context.Context, actor auth.Actor, id string) (Questionnaire, error) {
	var q Questionnaire
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		if q, err = s.get(ctx, tx, id); err != nil {
			return err
		}
		if q.Status != "open" {
			return actor.Authorize(auth.SurveyManage, q.RegionPath)
		}
		return nil
	})
	return q, err
}

// List lists the questionnaires under a region subtree for their managers.
func (s *Service) List(ctx context.Context, actor auth.Actor, path string) ([]Questionnaire, error) {
	if path == "" {
		path = actor.RegionPath
	}
	if err := actor.Authorize(auth.SurveyManage, path); err != nil {
		return nil, err
	}
	var out []Questionnaire
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+qCols+`, (SELECT count(*) FROM responses r WHERE r.questionnaire_id = questionnaires.id) FROM questionnaires WHERE region_path LIKE ? ORDER BY created_at DESC LIMIT 200`, path+"%")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var q Questionnaire
			var body, at, up string
			if err := rows.Scan(&q.ID, &q.Title, &body, &q.Mode, &q.RegionCode, &q.RegionPath, &q.Status, &at, &up, &q.Responses); err != nil {
				return err
			}
			json.Unmarshal([]byte(body), &q.Schema)
			q.CreatedAt, _ = store.ParseTime(at)
			q.UpdatedAt, _ = store.ParseTime(up)
			out = append(out, q)
		}
		return rows.Err()
	})
	return out, err
}

// SetStatus opens or closes a questionnaire (a draft may also be edited).
func (s *Service) SetStatus(ctx context.Context, actor auth.Actor, id, status string) (Questionnaire, error) {
	if status != "open" && status != "closed" && status != "draft" {
		return Questionnaire{}, errs.Field("status", "err.invalid")
	}
	var q Questionnaire
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		if q, err = s.get(ctx, tx, id); err != nil {
			return err
		}
		if err := actor.Authorize(auth.SurveyManage, q.RegionPath); err != nil {
			return err
		}
		if status == "draft" && q.Responses > 0 {
			return errs.New(errs.Conflict, "err.survey.has_responses")
		}
		q.Status = status
		_, err = tx.Exec(ctx, `UPDATE questionnaires SET status = ?, updated_at = ? WHERE id = ?`, status, tx.NowText(), id)
		return err
	})
	return q, err
}

// Replace changes a draft's schema (once answered, a questionnaire is fixed:
// its responses must keep meaning what they meant).
func (s *Service) Replace(ctx context.Context, actor auth.Actor, id string, sch Schema) (Questionnaire, error) {
	if err := schemaErrors(sch.Validate()); err != nil {
		return Questionnaire{}, err
	}
	body, _ := json.Marshal(sch)
	var q Questionnaire
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		if q, err = s.get(ctx, tx, id); err != nil {
			return err
		}
		if err := actor.Authorize(auth.SurveyManage, q.RegionPath); err != nil {
			return err
		}
		if q.Responses > 0 || q.Status != "draft" {
			return errs.New(errs.Conflict, "err.survey.has_responses")
		}
		q.Schema = sch
		_, err = tx.Exec(ctx, `UPDATE questionnaires SET schema = ?, updated_at = ? WHERE id = ?`, string(body), tx.NowText(), id)
		return err
	})
	return q, err
}

// SetQuota caps the responses from a region subtree (0 removes the cap).
func (s *Service) SetQuota(ctx context.Context, actor auth.Actor, id, regionCode string, quota int64) (Questionnaire, error) {
	if quota < 0 || quota > 100_000_000 {
		return Questionnaire{}, errs.Field("quota", "err.range", 0, 100_000_000)
	}
	r, ok := s.regions.Lookup(regionCode)
	if !ok {
		return Questionnaire{}, errs.Field("region_code", "err.not_found")
	}
	var q Questionnaire
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		if q, err = s.get(ctx, tx, id); err != nil {
			return err
		}
		if err := actor.Authorize(auth.SurveyManage, q.RegionPath); err != nil {
			return err
		}
		if !strings.HasPrefix(r.Path, q.RegionPath) {
			return errs.Field("region_code", "err.out_of_scope")
		}
		if quota == 0 {
			_, err = tx.Exec(ctx, `DELETE FROM questionnaire_quotas WHERE questionnaire_id = ? AND region_code = ?`, id, r.Code)
		} else {
			// Wait for the responses being stored, and hold new ones back,
			// so the count below is the quota's true start (see Submit).
			var one int
			if err := tx.QueryRow(ctx, "SELECT 1 FROM questionnaires WHERE id = ?"+tx.Dialect().ForUpdate(), id).Scan(&one); err != nil {
				return err
			}
			var used int64
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM responses WHERE questionnaire_id = ? AND region_path LIKE ?`, id, r.Path+"%").Scan(&used); err != nil {
				return err
			}
			if used > quota {
				return errs.Field("quota", "err.survey.quota_below_used", used)
			}
			_, err = tx.Exec(ctx, `INSERT INTO questionnaire_quotas (questionnaire_id, region_code, region_path, quota, used) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (questionnaire_id, region_code) DO UPDATE SET quota = excluded.quota`, id, r.Code, r.Path, quota, used)
		}
		if err != nil {
			return err
		}
		q, err = s.get(ctx, tx, id)
		return err
	})
	return q, err
}
