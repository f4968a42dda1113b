package suggest

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"strings"
	"time"
	"unicode/utf8"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/store"

	"github.com/oklog/ulid/v2"
)

// Point is a direct report point (直报点: a place with its keeper) or an
// opinion box (社情民意箱: a box on a wall whose QR poster opens the online
// form tagged with it).
type Point struct {
	ID           string    `json:"id"`
	Kind         string    `json:"kind"` // report_point or box
	Code         string    `json:"code"`
	Name         string    `json:"name"`
	RegionCode   string    `json:"region_code"`
	RegionName   string    `json:"region_name"`
	RegionPath   string    `json:"-"`
	Lng          float64   `json:"lng,omitempty"`
	Lat          float64   `json:"lat,omitempty"`
	Address      string    `json:"address,omitempty"`
	KeeperUserID string    `json:"keeper_user_id,omitempty"`
	Active       bool      `json:"active"`
	CreatedAt    time.Time `json:"created_at"`
}

// Maker is an invited suggestion-maker (特邀建议人): a named person with
// their field, whose suggestions are marked and counted on their own.
type Maker struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Field      string    `json:"field,omitempty"`
	UserID     string    `json:"user_id,omitempty"`
	RegionCode string    `json:"region_code"`
	RegionName string    `json:"region_name"`
	RegionPath string    `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
}

// Assoc is an industry association or chamber of commerce (行业协会商会)
// that voices its members' concerns ("12341荷协心声").
type Assoc struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Kind       string    `json:"kind"` // industry or chamber
	UserID     string    `json:"user_id,omitempty"`
	RegionCode string    `json:"region_code"`
	RegionName string    `json:"region_name"`
	RegionPath string    `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
}

func (s *Service) region(field, code string) (string, string, string, error) {
	info, ok := s.regions.Lookup(code)
	if !ok {
		return "", "", "", errs.Field(field, "err.region.not_found", code)
	}
	return info.Code, info.Name, info.Path, nil
}

func checkName(name string, max int) error {
	switch {
	case name == "":
		return errs.Field("name", "err.required")
	case utf8.RuneCountInString(name) > max:
		return errs.Field("name", "err.too_long", max)
	}
	return nil
}

func newCode(kind string) string {
	var b [4]byte
	rand.Read(b[:])
	prefix := "XX"
	if kind == ReportPoint {
		prefix = "ZB"
	}
	return prefix + base32.StdEncoding.EncodeToString(b[:])[:6]
}

// CreatePoint registers a report point or a box in the actor's scope. The
// code printed on the box is given or made up.
func (s *Service) CreatePoint(ctx context.Context, actor auth.Actor, p Point) (Point, error) {
	p.Name, p.Address, p.Code = strings.TrimSpace(p.Name), strings.TrimSpace(p.Address), strings.ToUpper(strings.TrimSpace(p.Code))
	if p.Kind != Box && p.Kind != ReportPoint {
		return Point{}, errs.Field("kind", "err.invalid")
	}
	if err := checkName(p.Name, 60); err != nil {
		return Point{}, err
	}
	if len(p.Code) > 20 || strings.ContainsAny(p.Code, " /?&#%") {
		return Point{}, errs.Field("code", "err.invalid")
	}
	var err error
	if p.RegionCode, p.RegionName, p.RegionPath, err = s.region("region_code", p.RegionCode); err != nil {
		return Point{}, err
	}
	if err := actor.Authorize(auth.SuggestionHandle, p.RegionPath); err != nil {
		return Point{}, err
	}
	if p.Code == "" {
		p.Code = newCode(p.Kind)
	}
	p.ID, p.Active = ulid.Make().String(), true
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		var lng, lat any
		if p.Lng != 0 || p.Lat != 0 {
			lng, lat = p.Lng, p.Lat
		}
		_, err := tx.Exec(ctx, `INSERT INTO suggestion_points (id, kind, code, name, region_code, region_path, lng, lat, address, keeper_user_id, active, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`, p.ID, p.Kind, p.Code, p.Name, p.RegionCode, p.RegionPath, lng, lat, p.Address, p.KeeperUserID, tx.NowText())
		if errs.Is(err, errs.Conflict) {
			return &errs.Error{Code: errs.Conflict, Field: "code", Key: "err.suggest.code_taken"}
		}
		p.CreatedAt = tx.Now()
		return err
	})
	return p, err
}

const pointCols = `id, kind, code, name, region_code, region_path, COALESCE(lng, 0), COALESCE(lat, 0), address, keeper_user_id, active, created_at`

func scanPoint(r interface{ Scan(...any) error }) (Point, error) {
	var p Point
	var active int
	var at string
	err := r.Scan(&p.ID, &p.Kind, &p.Code, &p.Name, &p.RegionCode, &p.RegionPath, &p.Lng, &p.Lat, &p.Address, &p.KeeperUserID, &active, &at)
	p.Active = active == 1
	p.CreatedAt, _ = store.ParseTime(at)
	return p, err
}

func pointBy(ctx context.Context, tx *store.Tx, col, v string) (Point, error) {
	return scanPoint(tx.QueryRow(ctx, `SELECT `+pointCols+` FROM suggestion_points WHERE `+col+` = ?`, v))
}

// PointByCode finds a box or report point by the code on its poster; it is
// public, since the poster's QR opens the resident's form.
func (s *Service) PointByCode(ctx context.Context, code string) (Point, error) {
	var p Point
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		p, err = pointBy(ctx, tx, "code", strings.ToUpper(strings.TrimSpace(code)))
		if errs.Is(err, errs.NotFound) {
			return errs.New(errs.NotFound, "err.suggest.point")
		}
		return err
	})
	s.name(&p.RegionName, p.RegionCode)
	return p, err
}

func (s *Service) name(dst *string, code string) {
	if info, ok := s.regions.Lookup(code); ok {
		*dst = info.Name
	}
}

// Points lists the report points and boxes in a region subtree.
func (s *Service) Points(ctx context.Context, actor auth.Actor, regionPath, kind string) ([]Point, error) {
	if regionPath == "" {
		regionPath = actor.RegionPath
	}
	if err := actor.Authorize(auth.SuggestionEnter, regionPath); err != nil {
		return nil, err
	}
	var out []Point
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+pointCols+` FROM suggestion_points WHERE region_path LIKE ? AND (? = '' OR kind = ?) ORDER BY kind, region_path, code`, regionPath+"%", kind, kind)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			p, err := scanPoint(rows)
			if err != nil {
				return err
			}
			s.name(&p.RegionName, p.RegionCode)
			out = append(out, p)
		}
		return rows.Err()
	})
	return out, err
}

// CreateMaker registers an invited suggestion-maker.
func (s *Service) CreateMaker(ctx context.Context, actor auth.Actor, m Maker) (Maker, error) {
	m.Name, m.Field = strings.TrimSpace(m.Name), strings.TrimSpace(m.Field)
	if err := checkName(m.Name, 50); err != nil {
		return Maker{}, err
	}
	if utf8.RuneCountInString(m.Field) > 50 {
		return Maker{}, errs.Field("field", "err.too_long", 50)
	}
	var err error
	if m.RegionCode, m.RegionName, m.RegionPath, err = s.region("region_code", m.RegionCode); err != nil {
		return Maker{}, err
	}
	if err := actor.Authorize(auth.SuggestionHandle, m.RegionPath); err != nil {
		return Maker{}, err
	}
	m.ID = ulid.Make().String()
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		var user any
		if m.UserID != "" {
			user = m.UserID
		}
		_, err := tx.Exec(ctx, `INSERT INTO suggestion_makers (id, name, field, user_id, region_code, region_path, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			m.ID, m.Name, m.Field, user, m.RegionCode, m.RegionPath, tx.NowText())
		if errs.Is(err, errs.Conflict) {
			return &errs.Error{Code: errs.Conflict, Field: "user_id", Key: "err.suggest.user_taken"}
		}
		m.CreatedAt = tx.Now()
		return err
	})
	return m, err
}

const makerCols = `id, name, field, COALESCE(user_id, ''), region_code, region_path, created_at`

func scanMaker(r interface{ Scan(...any) error }) (Maker, error) {
	var m Maker
	var at string
	err := r.Scan(&m.ID, &m.Name, &m.Field, &m.UserID, &m.RegionCode, &m.RegionPath, &at)
	m.CreatedAt, _ = store.ParseTime(at)
	return m, err
}

func makerByID(ctx context.Context, tx *store.Tx, id string) (Maker, error) {
	return scanMaker(tx.QueryRow(ctx, `SELECT `+makerCols+` FROM suggestion_makers WHERE id = ?`, id))
}

// Makers lists the invited suggestion-makers of a region subtree.
func (s *Service) Makers(ctx context.Context, actor auth.Actor, regionPath string) ([]Maker, error) {
	if regionPath == "" {
		regionPath = actor.RegionPath
	}
	if err := actor.Authorize(auth.SuggestionEnter, regionPath); err != nil {
		return nil, err
	}
	var out []Maker
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+makerCols+` FROM suggestion_makers WHERE region_path LIKE ? ORDER BY region_path, name`, regionPath+"%")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			m, err := scanMaker(rows)
			if err != nil {
				return err
			}
			s.name(&m.RegionName, m.RegionCode)
			out = append(out, m)
		}
		return rows.Err()
	})
	return out, err
}

// CreateAssociation registers an industry association or chamber.
func (s *Service) CreateAssociation(ctx context.Context, actor auth.Actor, a Assoc) (Assoc, error) {
	a.Name = strings.TrimSpace(a.Name)
	if err := checkName(a.Name, 60); err != nil {
		return Assoc{}, err
	}
	if a.Kind == "" {
		a.Kind = "industry"
	}
	if a.Kind != "industry" && a.Kind != "chamber" {
		return Assoc{}, errs.Field("kind", "err.invalid")
	}
	var err error
	if a.RegionCode, a.RegionName, a.RegionPath, err = s.region("region_code", a.RegionCode); err != nil {
		return Assoc{}, err
	}
	if err := actor.Authorize(auth.SuggestionHandle, a.RegionPath); err != nil {
		return Assoc{}, err
	}
	a.ID = ulid.Make().String()
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		var user any
		if a.UserID != "" {
			user = a.UserID
		}
		_, err := tx.Exec(ctx, `INSERT INTO associations (id, name, kind, user_id, region_code, region_path, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.Name, a.Kind, user, a.RegionCode, a.RegionPath, tx.NowText())
		if errs.Is(err, errs.Conflict) {
			return &errs.Error{Code: errs.Conflict, Field: "name", Key: "err.suggest.association_taken"}
		}
		a.CreatedAt = tx.Now()
		return err
	})
	return a, err
}

const assocCols = `id, name, kind, COALESCE(user_id, ''), region_code, region_path, created_at`

func scanAssoc(r interface{ Scan(...any) error }) (Assoc, error) {
	var a Assoc
	var at string
	err := r.Scan(&a.ID, &a.Name, &a.Kind, &a.UserID, &a.RegionCode, &a.RegionPath, &at)
	a.CreatedAt, _ = store.ParseTime(at)
	return a, err
}

func associationByID(ctx context.Context, tx *store.Tx, id string) (Assoc, error) {
	return scanAssoc(tx.QueryRow(ctx, `SELECT `+assocCols+` FROM associations WHERE id = ?`, id))
}

// Associations lists the associations of a region subtree.
func (s *Service) Associations(ctx context.Context, actor auth.Actor, regionPath string) ([]Assoc, error) {
	if regionPath == "" {
		regionPath = actor.RegionPath
	}
	if err := actor.Authorize(auth.SuggestionEnter, regionPath); err != nil {
		return nil, err
	}
	var out []Assoc
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+assocCols+` FROM associations WHERE region_path LIKE ? ORDER BY region_path, name`, regionPath+"%")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			a, err := scanAssoc(rows)
			if err != nil {
				return err
			}
			s.name(&a.RegionName, a.RegionCode)
			out = append(out, a)
		}
		return rows.Err()
	})
	return out, err
}

// Identity is what a signed-in user may file as: the invited maker and the
// association their account is linked to, if any.
type Identity struct {
	Maker       *Maker `json:"maker,omitempty"`
	Association *Assoc `json:"association,omitempty"`
}

// IdentityOf finds the maker and association linked to a user.
func (s *Service) IdentityOf(ctx context.Context, userID string) (Identity, error) {
	var id Identity
	if userID == "" {
		return id, nil
	}
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		if m, err := scanMaker(tx.QueryRow(ctx, `SELECT `+makerCols+` FROM suggestion_makers WHERE user_id = ?`, userID)); err == nil {
			id.Maker = &m
		} else if !errs.Is(err, errs.NotFound) {
			return err
		}
		if a, err := scanAssoc(tx.QueryRow(ctx, `SELECT `+assocCols+` FROM associations WHERE user_id = ?`, userID)); err == nil {
			id.Association = &a
		} else if !errs.Is(err, errs.NotFound) {
			return err
		}
		return nil
	})
	return id, err
}
