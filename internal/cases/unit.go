package cases

import (
	"context"
	"strings"
	"unicode/utf8"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/region"
	"civicgrid/internal/store"

	"github.com/oklog/ulid/v2"
)

// Unit is an organisation that handles cases: a county department (民政局),
// a town's governance centre (综治中心), a utility company.
type Unit struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	RegionCode string `json:"region_code"`
	RegionPath string `json:"-"`
}

// Regions is what the case domain needs of the region tree.
type Regions interface {
	Lookup(code string) (region.Info, bool)
}

// CreateUnit registers a unit in a region the actor administers.
func (s *Service) CreateUnit(ctx context.Context, actor auth.Actor, name, kind, regionCode string) (Unit, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Unit{}, errs.Field("name", "err.required")
	}
	if utf8.RuneCountInString(name) > 60 {
		return Unit{}, errs.Field("name", "err.too_long", 60)
	}
	if kind == "" {
		kind = "department"
	}
	r, ok := s.regions.Lookup(regionCode)
	if !ok {
		return Unit{}, errs.Field("region_code", "err.region.not_found", regionCode)
	}
	if err := actor.Authorize(auth.RegionWrite, r.Path); err != nil {
		return Unit{}, err
	}
	u := Unit{ID: ulid.Make().String(), Name: name, Kind: kind, RegionCode: r.Code, RegionPath: r.Path}
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		return insertUnit(ctx, tx, u)
	})
	return u, err
}

func insertUnit(ctx context.Context, tx *store.Tx, u Unit) error {
	_, err := tx.Exec(ctx, "INSERT INTO units(id, name, kind, region_code, region_path, created_at) VALUES (?, ?, ?, ?, ?, ?)",
		u.ID, u.Name, u.Kind, u.RegionCode, u.RegionPath, tx.NowText())
	if errs.Is(err, errs.Conflict) {
		return errs.Field("name", "err.cases.unit_exists")
	}
	return err
}

// Units lists the units in a subtree of the actor's scope.
func (s *Service) Units(ctx context.Context, actor auth.Actor, regionCode string) ([]Unit, error) {
	path := actor.RegionPath
	if regionCode != "" {
		r, ok := s.regions.Lookup(regionCode)
		if !ok {
			return nil, errs.Field("region", "err.region.not_found", regionCode)
		}
		path = r.Path
	}
	if err := actor.Authorize(auth.RegionRead, path); err != nil {
		return nil, err
	}
	var out []Unit
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		out, err = store.All(ctx, tx, scanUnit, "SELECT "+unitCols+" FROM units WHERE region_path LIKE ? ORDER BY region_path, name", path+"%")
		return err
	})
	return out, errs.Wrap(err, "units")
}

const unitCols = "id, name, kind, region_code, region_path"

func scanUnit(r interface{ Scan(...any) error }) (Unit, error) {
	var u Unit
	return u, r.Scan(&u.ID, &u.Name, &u.Kind, &u.RegionCode, &u.RegionPath)
}

func getUnit(ctx context.Context, tx *store.Tx, id string) (Unit, error) {
	u, err := scanUnit(tx.QueryRow(ctx, "SELECT "+unitCols+" FROM units WHERE id = ?", id))
	if errs.Is(err, errs.NotFound) {
		return u, errs.Field("unit_id", "err.cases.unit")
	}
	return u, err
}

// UnitOf returns the unit a user belongs to ("" when none).
func UnitOf(ctx context.Context, tx *store.Tx, userID string) (string, error) {
	var id string
	err := tx.QueryRow(ctx, "SELECT unit_id FROM users WHERE id = ?", userID).Scan(&id)
	if errs.Is(err, errs.NotFound) {
		return "", nil
	}
	return id, err
}

// SetUserUnit attaches a department handler to a unit.
func (s *Service) SetUserUnit(ctx context.Context, actor auth.Actor, userID, unitID string) error {
	return s.db.Write(ctx, func(tx *store.Tx) error {
		u, err := getUnit(ctx, tx, unitID)
		if err != nil {
			return err
		}
		if err := actor.Authorize(auth.AccountWrite, u.RegionPath); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, "UPDATE users SET unit_id = ?, unit = ?, updated_at = ? WHERE id = ?", u.ID, u.Name, tx.NowText(), userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.New(errs.NotFound, "err.account.not_found")
		}
		return nil
	})
}

// UnitsAround lists the units that may be made responsible in a region: its
// own and those below it, and those above it (a county department serves its
// towns).
func (s *Service) UnitsAround(ctx context.Context, actor auth.Actor, regionCode string) ([]Unit, error) {
	r, ok := s.regions.Lookup(regionCode)
	if !ok {
		return nil, errs.Field("region", "err.region.not_found", regionCode)
	}
	if err := actor.Authorize(auth.RegionRead, r.Path); err != nil {
		return nil, err
	}
	var out []Unit
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		out, err = store.All(ctx, tx, scanUnit, "SELECT "+unitCols+` FROM units
			WHERE region_path LIKE ? OR ? LIKE region_path || '%' ORDER BY region_path, name`, r.Path+"%", r.Path)
		return err
	})
	return out, errs.Wrap(err, "units around")
}
