package survey

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/store"

	"github.com/oklog/ulid/v2"
)

// Campaign is a thematic call (专题征集): a topic, a period, the regions it
// covers, a questionnaire and/or an open call for suggestions.
type Campaign struct {
	ID              string    `json:"id"`
	Title           string    `json:"title"`
	Topic           string    `json:"topic,omitempty"`
	Description     string    `json:"description,omitempty"`
	RegionCode      string    `json:"region_code"`
	RegionPath      string    `json:"-"`
	Regions         []string  `json:"regions"` // codes covered (default: the region itself)
	StartsAt        time.Time `json:"starts_at"`
	EndsAt          time.Time `json:"ends_at"`
	QuestionnaireID string    `json:"questionnaire_id,omitempty"`
	OpenCall        bool      `json:"open_call"`
	Status          string    `json:"status"` // draft | open | closed
	CreatedAt       time.Time `json:"created_at"`
}

// Live reports whether the campaign takes part now.
func (c Campaign) Live(now time.Time) bool {
	return c.Status == "open" && !now.Before(c.StartsAt) && now.Before(c.EndsAt)
}

// CreateCampaign stores a campaign (a draft until opened).
func (s *Service) CreateCampaign(ctx context.Context, actor auth.Actor, c Campaign) (Campaign, error) {
	c.Title = strings.TrimSpace(c.Title)
	c.Topic = strings.TrimSpace(c.Topic)
	c.Description = strings.TrimSpace(c.Description)
	switch {
	case c.Title == "":
		return Campaign{}, errs.Field("title", "err.required")
	case utf8.RuneCountInString(c.Title) > 100:
		return Campaign{}, errs.Field("title", "err.too_long", 100)
	case utf8.RuneCountInString(c.Topic) > 40:
		return Campaign{}, errs.Field("topic", "err.too_long", 40)
	case utf8.RuneCountInString(c.Description) > 5000:
		return Campaign{}, errs.Field("description", "err.too_long", 5000)
	case c.StartsAt.IsZero():
		return Campaign{}, errs.Field("starts_at", "err.required")
	case !c.EndsAt.After(c.StartsAt):
		return Campaign{}, errs.Field("ends_at", "err.volunteer.ends_before")
	case c.QuestionnaireID == "" && !c.OpenCall:
		return Campaign{}, errs.Field("questionnaire_id", "err.survey.campaign_empty")
	}
	r, ok := s.regions.Lookup(c.RegionCode)
	if !ok {
		return Campaign{}, errs.Field("region_code", "err.not_found")
	}
	if err := actor.Authorize(auth.SurveyManage, r.Path); err != nil {
		return Campaign{}, err
	}
	if len(c.Regions) == 0 {
		c.Regions = []string{r.Code}
	}
	for i, code := range c.Regions {
		sub, ok := s.regions.Lookup(strings.TrimSpace(code))
		if !ok || !strings.HasPrefix(sub.Path, r.Path) {
			return Campaign{}, errs.Field("regions", "err.survey.region_outside")
		}
		c.Regions[i] = sub.Code
	}
	c.ID, c.RegionCode, c.RegionPath, c.Status = ulid.Make().String(), r.Code, r.Path, "draft"
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		if c.QuestionnaireID != "" {
			var qpath string
			if err := tx.QueryRow(ctx, `SELECT region_path FROM questionnaires WHERE id = ?`, c.QuestionnaireID).Scan(&qpath); err != nil || !strings.HasPrefix(qpath, r.Path) && !strings.HasPrefix(r.Path, qpath) {
				return errs.Field("questionnaire_id", "err.not_found")
			}
			// Opening the campaign opens its questionnaire: the actor
			// must manage that questionnaire too.
			if err := actor.Authorize(auth.SurveyManage, qpath); err != nil {
				return errs.Field("questionnaire_id", "err.out_of_scope")
			}
		}
		c.CreatedAt = tx.Now()
		_, err := tx.Exec(ctx, `INSERT INTO campaigns (id, title, topic, description, region_code, region_path, regions, starts_at, ends_at, questionnaire_id, open_call, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, c.Title, c.Topic, c.Description, r.Code, r.Path, strings.Join(c.Regions, ","),
			store.FormatTime(c.StartsAt), store.FormatTime(c.EndsAt), c.QuestionnaireID, boolInt(c.OpenCall), actor.UserID, tx.NowText())
		return err
	})
	return c, err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

const campCols = `id, title, topic, description, region_code, region_path, regions, starts_at, ends_at, questionnaire_id, open_call, status, created_at`

func scanCampaign(r interface{ Scan(...any) error }) (Campaign, error) {
	var c Campaign
	var regions, st, en, at string
	var open int
	if err := r.Scan(&c.ID, &c.Title, &c.Topic, &c.Description, &c.RegionCode, &c.RegionPath, &regions, &st, &en, &c.QuestionnaireID, &open, &c.Status, &at); err != nil {
		return c, err
	}
	c.Regions = strings.Split(regions, ",")
	c.OpenCall = open == 1
	c.StartsAt, _ = store.ParseTime(st)
	c.EndsAt, _ = store.ParseTime(en)
	c.CreatedAt, _ = store.ParseTime(at)
	return c, nil
}

// Campaign returns one campaign; drafts only to their managers.
func (s *Service) Campaign(ctx context.Context, actor auth.Actor, id string) (Campaign, error) {
	var c Campaign
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		if c, err = scanCampaign(tx.QueryRow(ctx, `SELECT `+campCols+` FROM campaigns WHERE id = ?`, id)); err != nil {
			return err
		}
		if c.Status == "draft" {
			return actor.Authorize(auth.SurveyManage, c.RegionPath)
		}
		return nil
	})
	return c, err
}

// Campaigns lists campaigns: open and past ones for everyone, drafts too
// for their managers (all=true).
func (s *Service) Campaigns(ctx context.Context, actor auth.Actor, all bool) ([]Campaign, error) {
	var out []Campaign
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+campCols+` FROM campaigns ORDER BY starts_at DESC LIMIT 200`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanCampaign(rows)
			if err != nil {
				return err
			}
			if c.Status == "draft" && (!all || actor.Authorize(auth.SurveyManage, c.RegionPath) != nil) {
				continue
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// SetCampaignStatus opens or closes a campaign; opening it opens its
// questionnaire too.
func (s *Service) SetCampaignStatus(ctx context.Context, actor auth.Actor, id, status string) (Campaign, error) {
	if status != "open" && status != "closed" {
		return Campaign{}, errs.Field("status", "err.invalid")
	}
	var c Campaign
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		if c, err = scanCampaign(tx.QueryRow(ctx, `SELECT `+campCols+` FROM campaigns WHERE id = ?`, id)); err != nil {
			return err
		}
		if err := actor.Authorize(auth.SurveyManage, c.RegionPath); err != nil {
			return err
		}
		c.Status = status
		if _, err := tx.Exec(ctx, `UPDATE campaigns SET status = ? WHERE id = ?`, status, id); err != nil {
			return err
		}
		if c.QuestionnaireID != "" {
			var qpath string
			if err := tx.QueryRow(ctx, `SELECT region_path FROM questionnaires WHERE id = ?`, c.QuestionnaireID).Scan(&qpath); err != nil {
				return err
			}
			if err := actor.Authorize(auth.SurveyManage, qpath); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `UPDATE questionnaires SET status = ?, updated_at = ? WHERE id = ?`, status, tx.NowText(), c.QuestionnaireID)
		}
		return err
	})
	return c, err
}
