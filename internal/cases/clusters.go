package cases

import (
	"context"
	"sort"
	"strings"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/region"
	"civicgrid/internal/store"
)

// Cluster is the open cases of one region, placed at their mean position:
// what the case map draws at a given zoom.
type Cluster struct {
	Code    string  `json:"code"`
	Name    string  `json:"name"`
	Open    int     `json:"open"`
	Overdue int     `json:"overdue"`
	Lng     float64 `json:"lng"`
	Lat     float64 `json:"lat"`
}

// Clusters counts open cases under a region, grouped at one level below it
// (towns of a county, grids of a village…): one SQL group-by per grid, rolled
// up here through the materialised paths.
func (s *Service) Clusters(ctx context.Context, actor auth.Actor, regionCode string, level region.Level) ([]Cluster, error) {
	reg, ok := s.regions.Lookup(regionCode)
	if !ok {
		return nil, errs.Field("region", "err.region.not_found", regionCode)
	}
	if err := actor.Authorize(auth.CaseRead, reg.Path); err != nil {
		return nil, err
	}
	if level == "" {
		level = reg.Level.Child()
		if level == "" {
			level = region.Grid
		}
	}
	depth := level.Depth()
	if depth < reg.Level.Depth() {
		return nil, errs.Field("level", "err.region.level")
	}
	groups := map[string]*Cluster{}
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT region_path, COUNT(*), SUM(overdue), SUM(lat), SUM(lng) FROM cases
			WHERE region_path LIKE ? AND status IN ('reported','accepted','dispatched','replied') GROUP BY region_path`, reg.Path+"%")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var path string
			var n, over int
			var slat, slng float64
			if err := rows.Scan(&path, &n, &over, &slat, &slng); err != nil {
				return err
			}
			codes := strings.Split(strings.Trim(path, "/"), "/")
			if depth >= len(codes) {
				continue
			}
			code := codes[depth]
			g := groups[code]
			if g == nil {
				g = &Cluster{Code: code}
				if r, ok := s.regions.Lookup(code); ok {
					g.Name = r.Name
				}
				groups[code] = g
			}
			g.Open += n
			g.Overdue += over
			g.Lat += slat
			g.Lng += slng
		}
		return rows.Err()
	})
	if err != nil {
		return nil, errs.Wrap(err, "clusters")
	}
	out := make([]Cluster, 0, len(groups))
	for _, g := range groups {
		g.Lat /= float64(g.Open)
		g.Lng /= float64(g.Open)
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}
