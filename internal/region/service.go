package region

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/geo"
	"civicgrid/internal/store"
)

// CRS names the coordinate system of input points.
type CRS string

const (
	WGS84 CRS = "wgs84" // also CGCS2000, which differs by centimetres
	GCJ02 CRS = "gcj02" // what phones in China report
)

// ParseCRS accepts "", "wgs84", "cgcs2000", "gcj02" (case-insensitive).
func ParseCRS(s string) (CRS, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "wgs84", "wgs-84", "cgcs2000", "epsg:4326", "epsg:4490":
		return WGS84, nil
	case "gcj02", "gcj-02":
		return GCJ02, nil
	}
	return "", errs.Field("crs", "err.region.crs")
}

// ToWGS converts p from crs to WGS-84, which is what the platform stores.
func (c CRS) ToWGS(p geo.Point) geo.Point {
	if c == GCJ02 {
		return geo.GCJToWGS(p)
	}
	return p
}

// Service is the region domain: reads go to the in-memory tree, writes to the
// database and then rebuild the tree.
type Service struct {
	db     *store.DB
	tree   atomic.Pointer[Tree]
	reload sync.Mutex
}

// NewService makes a service with an empty tree; call Load.
func NewService(db *store.DB) *Service {
	s := &Service{db: db}
	s.tree.Store(buildTree(nil))
	return s
}

// Tree is the current snapshot.
func (s *Service) Tree() *Tree { return s.tree.Load() }

// Load reads every region and swaps in a new tree and index.
func (s *Service) Load(ctx context.Context) error {
	s.reload.Lock()
	defer s.reload.Unlock()
	var rows []*Node
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		rs, err := tx.Query(ctx, `SELECT code, COALESCE(parent_code, ''), name, level, kind, path, households, COALESCE(boundary, '')
			FROM regions ORDER BY depth, code`)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			n := &Node{}
			var boundary string
			if err := rs.Scan(&n.Code, &n.ParentCode, &n.Name, &n.Level, &n.Kind, &n.Path, &n.Households, &boundary); err != nil {
				return err
			}
			if boundary != "" {
				mp, err := parseStored([]byte(boundary))
				if err != nil {
					return fmt.Errorf("region %s: stored boundary: %w", n.Code, err)
				}
				n.Boundary = mp
			}
			rows = append(rows, n)
		}
		return rs.Err()
	})
	if err != nil {
		return errs.Wrap(err, "load regions")
	}
	s.tree.Store(buildTree(rows))
	return nil
}

// Info is what other domains need to know of a region.
type Info struct {
	Code  string
	Name  string
	Level Level
	Path  string
}

// Lookup returns a region's path and level, for scope checks elsewhere.
func (s *Service) Lookup(code string) (Info, bool) {
	n, ok := s.Tree().Get(code)
	if !ok {
		return Info{}, false
	}
	return Info{Code: n.Code, Name: n.Name, Level: n.Level, Path: n.Path}, true
}

// Get returns one region, if the actor may see it.
func (s *Service) Get(actor auth.Actor, code string) (*Node, error) {
	n, ok := s.Tree().Get(code)
	if !ok {
		return nil, errs.New(errs.NotFound, "err.region.not_found", code)
	}
	if err := actor.Authorize(auth.RegionRead, n.Path); err != nil {
		return nil, err
	}
	return n, nil
}

// Children lists a region's children in code order after the cursor.
func (s *Service) Children(actor auth.Actor, code, after string, limit int) ([]*Node, string, error) {
	n, err := s.Get(actor, code)
	if err != nil {
		return nil, "", err
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var out []*Node
	for _, c := range n.Children {
		if c.Code > after {
			out = append(out, c)
			if len(out) == limit {
				break
			}
		}
	}
	next := ""
	if len(out) == limit && out[len(out)-1] != n.Children[len(n.Children)-1] {
		next = out[len(out)-1].Code
	}
	return out, next, nil
}

// Roots returns the regions the actor may browse from: their own scope root.
func (s *Service) Roots(actor auth.Actor) []*Node {
	t := s.Tree()
	if actor.RegionPath == "/" {
		return t.Roots()
	}
	if n, ok := t.Get(actor.RegionCode); ok {
		return []*Node{n}
	}
	return nil
}

// Location is the answer to "where is this point".
type Location struct {
	Grid  Ref    `json:"grid"`
	Chain []Ref  `json:"chain"`
	Point LngLat `json:"wgs84"`
}

// LngLat is a WGS-84 point on the wire.
type LngLat struct {
	Lng float64 `json:"lng"`
	Lat float64 `json:"lat"`
}

// Locate resolves a point to its grid and the chain of regions above it. It
// needs no permission: residents reporting a problem use it anonymously, and
// region names and codes are public.
func (s *Service) Locate(p geo.Point, crs CRS) (Location, error) {
	if math.IsNaN(p.Lat) || math.IsInf(p.Lat, 0) || p.Lat < -90 || p.Lat > 90 {
		return Location{}, errs.Field("lat", "err.range", -90, 90)
	}
	if math.IsNaN(p.Lng) || math.IsInf(p.Lng, 0) || p.Lng < -180 || p.Lng > 180 {
		return Location{}, errs.Field("lng", "err.range", -180, 180)
	}
	w := crs.ToWGS(p)
	n, ok := s.Tree().Locate(w)
	if !ok {
		return Location{}, errs.New(errs.NotFound, "err.region.no_grid")
	}
	return Location{Grid: Ref{n.Code, n.Name, n.Level}, Chain: n.Chain(), Point: LngLat{w.Lng, w.Lat}}, nil
}

// Row is a region to write, with its boundary already validated.
type Row struct {
	Region
	Boundary geo.MultiPolygon
}

// Upsert writes rows inside tx: new codes are inserted, existing ones get
// their name, households and boundary updated (a code never changes parent).
// Rows must come parents first. Callers reload the tree after commit.
func Upsert(ctx context.Context, tx *store.Tx, rows []Row, paths map[string]string) error {
	const batch = 200
	now := tx.NowText()
	for start := 0; start < len(rows); start += batch {
		end := min(start+batch, len(rows))
		var q strings.Builder
		q.WriteString(`INSERT INTO regions(code, parent_code, name, level, kind, path, depth, households, boundary, min_lng, min_lat, max_lng, max_lat, created_at, updated_at) VALUES `)
		args := make([]any, 0, (end-start)*15)
		for i, r := range rows[start:end] {
			if i > 0 {
				q.WriteString(",")
			}
			q.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
			var parent any
			if r.ParentCode != "" {
				parent = r.ParentCode
			}
			path := PathFor(paths[r.ParentCode], r.Code)
			paths[r.Code] = path
			var boundary any
			var bb [4]any
			if r.Boundary != nil {
				b, err := r.Boundary.MarshalGeometry()
				if err != nil {
					return err
				}
				boundary = string(b)
				box := r.Boundary.BBox()
				bb = [4]any{box.MinLng, box.MinLat, box.MaxLng, box.MaxLat}
			}
			args = append(args, r.Code, parent, r.Name, string(r.Level), string(r.Kind), path, r.Level.Depth(), r.Households, boundary, bb[0], bb[1], bb[2], bb[3], now, now)
		}
		q.WriteString(` ON CONFLICT(code) DO UPDATE SET name = excluded.name, households = excluded.households,
			boundary = COALESCE(excluded.boundary, regions.boundary),
			min_lng = COALESCE(excluded.min_lng, regions.min_lng), min_lat = COALESCE(excluded.min_lat, regions.min_lat),
			max_lng = COALESCE(excluded.max_lng, regions.max_lng), max_lat = COALESCE(excluded.max_lat, regions.max_lat),
			updated_at = excluded.updated_at`)
		if _, err := tx.Exec(ctx, q.String(), args...); err != nil {
			return errs.Wrap(err, "upsert regions")
		}
	}
	return nil
}

// Count returns the number of stored regions (cheap check for the demo loader).
func Count(ctx context.Context, tx *store.Tx, level Level) (int, error) {
	var n int
	err := tx.QueryRow(ctx, "SELECT count(*) FROM regions WHERE level = ?", string(level)).Scan(&n)
	return n, err
}
