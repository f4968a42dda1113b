package cases

import (
	"context"
	"strings"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/store"
)

// CatchAll is the category code of a region's catch-all responsibility.
const CatchAll = "*"

// Responsibility says which unit handles a category in a region subtree.
type Responsibility struct {
	CategoryCode string `json:"category_code"`
	RegionCode   string `json:"region_code"`
	UnitID       string `json:"unit_id"`
	UnitName     string `json:"unit_name,omitempty"`
}

// SetResponsibility maps a category (subcategory, class, or "*") in a region
// to a unit; administrators edit the map within their scope.
func (s *Service) SetResponsibility(ctx context.Context, actor auth.Actor, r Responsibility) error {
	reg, ok := s.regions.Lookup(r.RegionCode)
	if !ok {
		return errs.Field("region_code", "err.region.not_found", r.RegionCode)
	}
	if err := actor.Authorize(auth.RegionWrite, reg.Path); err != nil {
		return err
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		if r.CategoryCode != CatchAll {
			if _, err := getCategory(ctx, tx, r.CategoryCode); err != nil {
				return err
			}
		}
		u, err := getUnit(ctx, tx, r.UnitID)
		if err != nil {
			return err
		}
		// A unit can only be made responsible inside or above its own area.
		if !strings.HasPrefix(reg.Path, u.RegionPath) {
			return errs.Field("unit_id", "err.cases.unit_area")
		}
		return setResponsibility(ctx, tx, actor.UserID, r.CategoryCode, reg.Code, reg.Path, u.ID)
	})
}

func setResponsibility(ctx context.Context, tx *store.Tx, by, category, regionCode, regionPath, unitID string) error {
	_, err := tx.Exec(ctx, `INSERT INTO responsibilities(category_code, region_code, region_path, unit_id, updated_by, updated_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(category_code, region_code) DO UPDATE SET unit_id = excluded.unit_id, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
		category, regionCode, regionPath, unitID, by, tx.NowText())
	return err
}

// route finds the responsible unit for a subcategory at a grid: the most
// specific region on the grid's chain wins; within one region a subcategory
// mapping beats its class, which beats the catch-all.
func route(ctx context.Context, tx *store.Tx, cat Category, gridPath string) (string, error) {
	codes := strings.Split(strings.Trim(gridPath, "/"), "/")
	args := []any{cat.Code, cat.ParentCode, CatchAll}
	ph := make([]string, len(codes))
	for i, c := range codes {
		ph[i] = "?"
		args = append(args, c)
	}
	rows, err := tx.Query(ctx, `SELECT category_code, region_path, unit_id FROM responsibilities
		WHERE category_code IN (?, ?, ?) AND region_code IN (`+strings.Join(ph, ",")+`)`, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	best, bestScore := "", -1
	for rows.Next() {
		var cc, path, unit string
		if err := rows.Scan(&cc, &path, &unit); err != nil {
			return "", err
		}
		spec := 0
		switch cc {
		case cat.Code:
			spec = 2
		case cat.ParentCode:
			spec = 1
		}
		score := len(path)*4 + spec
		if score > bestScore {
			best, bestScore = unit, score
		}
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	if best == "" {
		return "", errs.New(errs.Invalid, "err.cases.no_route")
	}
	return best, nil
}

// Responsibilities lists the map for a region (its own entries).
func (s *Service) Responsibilities(ctx context.Context, actor auth.Actor, regionCode string) ([]Responsibility, error) {
	reg, ok := s.regions.Lookup(regionCode)
	if !ok {
		return nil, errs.Field("region", "err.region.not_found", regionCode)
	}
	if err := actor.Authorize(auth.RegionRead, reg.Path); err != nil {
		return nil, err
	}
	var out []Responsibility
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT r.category_code, r.region_code, r.unit_id, u.name FROM responsibilities r JOIN units u ON u.id = r.unit_id
			WHERE r.region_code = ? ORDER BY r.category_code`, reg.Code)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r Responsibility
			if err := rows.Scan(&r.CategoryCode, &r.RegionCode, &r.UnitID, &r.UnitName); err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, errs.Wrap(err, "responsibilities")
}

// RouteFor names the unit the responsibility map gives a case now (the
// default a dispatcher sees), without dispatching it.
func (s *Service) RouteFor(ctx context.Context, actor auth.Actor, c Case) (Unit, error) {
	if err := actor.Authorize(auth.CaseRead, c.RegionPath); err != nil {
		return Unit{}, err
	}
	var u Unit
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		cat, err := s.category(ctx, tx, c.CategoryCode)
		if err != nil {
			return err
		}
		id, err := route(ctx, tx, cat, c.RegionPath)
		if err != nil {
			return err
		}
		u, err = getUnit(ctx, tx, id)
		return err
	})
	return u, err
}

// UnitNames names units by id, for showing a case's history (unit names are
// not personal data, and a town's case is often handled by a county unit).
func (s *Service) UnitNames(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		for _, id := range ids {
			if id == "" || out[id] != "" {
				continue
			}
			var name string
			if err := tx.QueryRow(ctx, "SELECT name FROM units WHERE id = ?", id).Scan(&name); err == nil {
				out[id] = name
			}
		}
		return nil
	})
	return out, err
}
