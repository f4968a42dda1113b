package volunteer

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/region"
	"civicgrid/internal/store"

	"github.com/oklog/ulid/v2"
)

// Brand is a county's volunteer brand or one of its sub-brands.
type Brand struct {
	ID         string    `json:"id"`
	RegionCode string    `json:"region_code"`
	ParentID   string    `json:"parent_id,omitempty"`
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at"`
}

// Team is a volunteer team under a region.
type Team struct {
	ID           string    `json:"id"`
	RegionCode   string    `json:"region_code"`
	RegionName   string    `json:"region_name"`
	RegionPath   string    `json:"-"`
	Name         string    `json:"name"`
	BrandID      string    `json:"brand_id,omitempty"`
	BrandName    string    `json:"brand_name,omitempty"`
	LeaderUserID string    `json:"leader_user_id,omitempty"`
	Skill        string    `json:"skill,omitempty"` // a professional team's skill
	Members      int       `json:"members"`
	CreatedAt    time.Time `json:"created_at"`
}

func checkName(field, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return s, errs.Field(field, "err.required")
	}
	if utf8.RuneCountInString(s) > max {
		return s, errs.Field(field, "err.too_long", max)
	}
	return s, nil
}

func (s *Service) regionIn(actor auth.Actor, code string, p auth.Permission) (region.Info, error) {
	r, ok := s.regions.Lookup(code)
	if !ok {
		return r, errs.Field("region_code", "err.not_found")
	}
	return r, actor.Authorize(p, r.Path)
}

// CreateBrand registers a brand in a county (or a sub-brand under parent).
func (s *Service) CreateBrand(ctx context.Context, actor auth.Actor, regionCode, parentID, name string) (Brand, error) {
	name, err := checkName("name", name, 40)
	if err != nil {
		return Brand{}, err
	}
	r, err := s.regionIn(actor, regionCode, auth.VolunteerManage)
	if err != nil {
		return Brand{}, err
	}
	if r.Level != region.County {
		return Brand{}, errs.Field("region_code", "err.volunteer.brand_county")
	}
	b := Brand{ID: ulid.Make().String(), RegionCode: r.Code, ParentID: parentID, Name: name}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if parentID != "" {
			var code string
			if err := tx.QueryRow(ctx, `SELECT region_code FROM brands WHERE id = ?`, parentID).Scan(&code); err != nil || code != r.Code {
				return errs.Field("parent_id", "err.not_found")
			}
		}
		b.CreatedAt = tx.Now()
		_, err := tx.Exec(ctx, `INSERT INTO brands (id, region_code, region_path, parent_id, name, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			b.ID, r.Code, r.Path, parentID, name, tx.NowText())
		if errs.Is(err, errs.Conflict) {
			return errs.Field("name", "err.volunteer.name_taken")
		}
		return err
	})
	return b, err
}

// Brands lists the brands of regions in the subtree at path.
func (s *Service) Brands(ctx context.Context, path string) ([]Brand, error) {
	var out []Brand
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		out, err = store.All(ctx, tx, func(r interface{ Scan(...any) error }) (Brand, error) {
			var b Brand
			var at string
			err := r.Scan(&b.ID, &b.RegionCode, &b.ParentID, &b.Name, &at)
			b.CreatedAt, _ = store.ParseTime(at)
			return b, err
		}, `SELECT id, region_code, parent_id, name, created_at FROM brands WHERE region_path LIKE ? ORDER BY region_code, parent_id, name`, path+"%")
		return err
	})
	return out, err
}

// NewTeam is the input to CreateTeam.
type NewTeam struct {
	RegionCode   string `json:"region_code"`
	Name         string `json:"name"`
	BrandID      string `json:"brand_id"`
	LeaderUserID string `json:"leader_user_id"`
	Skill        string `json:"skill"`
}

// CreateTeam registers a team under a region.
func (s *Service) CreateTeam(ctx context.Context, actor auth.Actor, in NewTeam) (Team, error) {
	name, err := checkName("name", in.Name, 40)
	if err != nil {
		return Team{}, err
	}
	if in.Skill != "" && !ValidSkill(in.Skill) {
		return Team{}, errs.Field("skill", "err.volunteer.skill", in.Skill)
	}
	r, err := s.regionIn(actor, in.RegionCode, auth.VolunteerManage)
	if err != nil {
		return Team{}, err
	}
	t := Team{ID: ulid.Make().String(), RegionCode: r.Code, RegionName: r.Name, RegionPath: r.Path, Name: name, BrandID: in.BrandID, LeaderUserID: in.LeaderUserID, Skill: in.Skill}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if in.BrandID != "" {
			var bpath string
			if err := tx.QueryRow(ctx, `SELECT region_path FROM brands WHERE id = ?`, in.BrandID).Scan(&bpath); err != nil || !strings.HasPrefix(r.Path, bpath) {
				return errs.Field("brand_id", "err.not_found")
			}
		}
		if in.LeaderUserID != "" {
			// The leader is an active account of the team's county: a
			// leader runs the team's activities and projects.
			var path, status string
			if err := tx.QueryRow(ctx, `SELECT region_path, status FROM users WHERE id = ?`, in.LeaderUserID).Scan(&path, &status); err != nil {
				return errs.Field("leader_user_id", "err.not_found")
			}
			if status != "active" || !strings.HasPrefix(path, countyOf(r.Path)) {
				return errs.Field("leader_user_id", "err.volunteer.leader_elsewhere")
			}
		}
		t.CreatedAt = tx.Now()
		_, err := tx.Exec(ctx, `INSERT INTO teams (id, region_code, region_path, name, brand_id, leader_user_id, skill, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			t.ID, r.Code, r.Path, name, in.BrandID, in.LeaderUserID, in.Skill, tx.NowText())
		if errs.Is(err, errs.Conflict) {
			return errs.Field("name", "err.volunteer.name_taken")
		}
		return err
	})
	return t, err
}

const teamCols = `t.id, t.region_code, t.region_path, t.name, t.brand_id, COALESCE(b.name, ''), t.leader_user_id, t.skill, t.created_at,
	(SELECT count(*) FROM team_members m WHERE m.team_id = t.id)`

func (s *Service) scanTeam(r interface{ Scan(...any) error }) (Team, error) {
	var t Team
	var at string
	if err := r.Scan(&t.ID, &t.RegionCode, &t.RegionPath, &t.Name, &t.BrandID, &t.BrandName, &t.LeaderUserID, &t.Skill, &at, &t.Members); err != nil {
		return t, err
	}
	t.CreatedAt, _ = store.ParseTime(at)
	if r, ok := s.regions.Lookup(t.RegionCode); ok {
		t.RegionName = r.Name
	}
	return t, nil
}

// Teams lists the teams under a region subtree.
func (s *Service) Teams(ctx context.Context, path string) ([]Team, error) {
	var out []Team
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		found, err := store.All(ctx, tx, s.scanTeam, `SELECT `+teamCols+` FROM teams t LEFT JOIN brands b ON b.id = t.brand_id WHERE t.region_path LIKE ? ORDER BY t.region_path, t.name LIMIT 500`, path+"%")
		out = found
		return err
	})
	return out, err
}

func (s *Service) team(ctx context.Context, tx *store.Tx, id string) (Team, error) {
	return s.scanTeam(tx.QueryRow(ctx, `SELECT `+teamCols+` FROM teams t LEFT JOIN brands b ON b.id = t.brand_id WHERE t.id = ?`, id))
}

// LeadsTeam reports whether the user leads any team (they may organise).
func (s *Service) LeadsTeam(ctx context.Context, userID string) bool {
	var n int
	_ = s.db.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM teams WHERE leader_user_id = ?`, userID).Scan(&n)
	})
	return n > 0 && userID != ""
}

// canRunTeam: the team's leader, or staff managing volunteers there.
func canRunTeam(actor auth.Actor, t Team) error {
	if t.LeaderUserID != "" && t.LeaderUserID == actor.UserID {
		return nil
	}
	return actor.Authorize(auth.VolunteerManage, t.RegionPath)
}

// AddMember puts a volunteer in a team.
func (s *Service) AddMember(ctx context.Context, actor auth.Actor, teamID, volunteerID string) error {
	return s.db.Write(ctx, func(tx *store.Tx) error {
		t, err := s.team(ctx, tx, teamID)
		if err != nil {
			return err
		}
		if err := canRunTeam(actor, t); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM volunteers WHERE id = ?`, volunteerID).Scan(&n); err != nil || n == 0 {
			return errs.Field("volunteer_id", "err.not_found")
		}
		_, err = tx.Exec(ctx, `INSERT INTO team_members (team_id, volunteer_id, joined_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, teamID, volunteerID, tx.NowText())
		return err
	})
}

// Project groups activities (项目化运作).
type Project struct {
	ID          string    `json:"id"`
	RegionCode  string    `json:"region_code"`
	TeamID      string    `json:"team_id,omitempty"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// CreateProject registers a project under a region (by staff or a team leader for their team).
func (s *Service) CreateProject(ctx context.Context, actor auth.Actor, p Project) (Project, error) {
	var err error
	if p.Name, err = checkName("name", p.Name, 60); err != nil {
		return Project{}, err
	}
	r, ok := s.regions.Lookup(p.RegionCode)
	if !ok {
		return Project{}, errs.Field("region_code", "err.not_found")
	}
	p.ID = ulid.Make().String()
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if p.TeamID != "" {
			t, err := s.team(ctx, tx, p.TeamID)
			if err != nil {
				return errs.Field("team_id", "err.not_found")
			}
			if err := canRunTeam(actor, t); err != nil {
				return err
			}
			// A team's project is in the team's area.
			if !strings.HasPrefix(r.Path, t.RegionPath) {
				return errs.Field("region_code", "err.volunteer.project_outside_team", t.Name)
			}
		} else if err := actor.Authorize(auth.VolunteerManage, r.Path); err != nil {
			return err
		}
		p.CreatedAt = tx.Now()
		_, err := tx.Exec(ctx, `INSERT INTO projects (id, region_code, region_path, team_id, name, description, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			p.ID, r.Code, r.Path, p.TeamID, p.Name, p.Description, actor.UserID, tx.NowText())
		return err
	})
	return p, err
}

// Projects lists the projects of regions in the subtree at path, newest
// first.
func (s *Service) Projects(ctx context.Context, path string) ([]Project, error) {
	var out []Project
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		found, err := store.All(ctx, tx, func(r interface{ Scan(...any) error }) (Project, error) {
			var p Project
			var at string
			err := r.Scan(&p.ID, &p.RegionCode, &p.TeamID, &p.Name, &p.Description, &at)
			p.CreatedAt, _ = store.ParseTime(at)
			return p, err
		}, `SELECT id, region_code, team_id, name, description, created_at FROM projects WHERE region_path LIKE ? ORDER BY created_at DESC, id LIMIT 500`, path+"%")
		out = found
		return err
	})
	return out, err
}

// countyOf is the county part of a region path ("/city/county/…" →
// "/city/county/"); a city path stays as it is.
func countyOf(path string) string {
	parts := strings.SplitN(strings.Trim(path, "/"), "/", 3)
	if len(parts) < 2 {
		return path
	}
	return "/" + parts[0] + "/" + parts[1] + "/"
}
