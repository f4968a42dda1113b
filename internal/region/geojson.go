package region

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/geo"
	"civicgrid/internal/store"
)

// MaxImportBytes bounds an uploaded GeoJSON document.
const MaxImportBytes = 64 << 20

// maxReported caps how many problems one failed import lists.
const maxReported = 100

type featureIn struct {
	Type       string          `json:"type"`
	Properties map[string]any  `json:"properties"`
	Geometry   json.RawMessage `json:"geometry"`
}

type collectionIn struct {
	Type     string      `json:"type"`
	Features []featureIn `json:"features"`
}

// ImportResult says what an import did.
type ImportResult struct {
	Features int `json:"features"`
	Created  int `json:"created"`
	Updated  int `json:"updated"`
}

// Import reads a GeoJSON FeatureCollection whose features carry code, name,
// parent and level properties, validates every feature (codes, parents,
// scope, rings, self-intersections, grids overlapping a sibling) and writes
// all of them in one transaction — or none, with every problem listed by
// feature. Coordinates in crs are converted to WGS-84.
func (s *Service) Import(ctx context.Context, actor auth.Actor, r io.Reader, crs CRS) (ImportResult, error) {
	var res ImportResult
	var fc collectionIn
	dec := json.NewDecoder(io.LimitReader(r, MaxImportBytes+1))
	if err := dec.Decode(&fc); err != nil {
		return res, errs.Field("", "err.geojson.parse", err.Error())
	}
	if fc.Type != "FeatureCollection" {
		return res, errs.Field("type", "err.geojson.not_collection")
	}
	if len(fc.Features) == 0 {
		return res, errs.Field("features", "err.geojson.empty")
	}
	tree := s.Tree()
	var problems []*errs.Error
	report := func(i int, code string, e *errs.Error) {
		if len(problems) < maxReported {
			e.Field = fmt.Sprintf("features/%d/%s", i, e.Field)
			e.Args = append([]any{i + 1, code}, e.Args...)
			e.Key = "err.geojson.feature:" + e.Key
			problems = append(problems, e)
		}
	}
	type staged struct {
		Row
		index  int
		exists bool
	}
	rows := make([]*staged, 0, len(fc.Features))
	byCode := map[string]*staged{}
	for i, f := range fc.Features {
		if f.Type != "Feature" {
			report(i, "", errs.Field("type", "err.geojson.not_feature"))
			continue
		}
		st := &staged{index: i}
		st.Code = propString(f.Properties, "code")
		st.Name = propString(f.Properties, "name")
		st.ParentCode = propString(f.Properties, "parent")
		st.Level = Level(propString(f.Properties, "level"))
		st.Kind = Kind(propString(f.Properties, "kind"))
		if h, ok := f.Properties["households"]; ok {
			n, err := strconv.Atoi(strings.TrimSpace(fmt.Sprint(h)))
			if err != nil {
				report(i, st.Code, errs.Field("properties/households", "err.number"))
				continue
			}
			st.Households = n
		}
		if err := st.Validate(); err != nil {
			e := errs.As(err)
			e.Field = "properties/" + e.Field
			report(i, st.Code, e)
			continue
		}
		if _, dup := byCode[st.Code]; dup {
			report(i, st.Code, errs.Field("properties/code", "err.geojson.duplicate_code"))
			continue
		}
		if g := strings.TrimSpace(string(f.Geometry)); g != "" && g != "null" {
			mp, err := geo.ParseGeometry(f.Geometry)
			if err == nil {
				mp = convertShape(mp, crs)
				err = mp.Validate()
			}
			if err != nil {
				report(i, st.Code, geoError(err))
				continue
			}
			st.Boundary = mp
		} else if st.Level == Grid {
			report(i, st.Code, errs.Field("geometry", "err.geojson.grid_needs_boundary"))
			continue
		}
		if old, ok := tree.Get(st.Code); ok {
			st.exists = true
			if old.ParentCode != st.ParentCode || old.Level != st.Level {
				report(i, st.Code, errs.Field("properties/parent", "err.geojson.reparent", old.ParentCode))
				continue
			}
		}
		byCode[st.Code] = st
		rows = append(rows, st)
	}
	// Parents: in the tree already or earlier in the same file (any order).
	paths := map[string]string{}
	for _, st := range rows {
		parentLevel, parentPath := Level(""), ""
		if p, ok := byCode[st.ParentCode]; ok && st.ParentCode != "" {
			parentLevel = p.Level
		} else if n, ok := tree.Get(st.ParentCode); ok {
			parentLevel, parentPath = n.Level, n.Path
			paths[n.Code] = n.Path
		} else if st.ParentCode != "" {
			report(st.index, st.Code, errs.Field("properties/parent", "err.geojson.parent_missing", st.ParentCode))
			continue
		}
		if err := ValidateCode(st.Code, st.Level, st.ParentCode, parentLevel); err != nil {
			e := errs.As(err)
			e.Field = "properties/" + e.Field
			report(st.index, st.Code, e)
			continue
		}
		// Scope: the parent must be in the actor's subtree (a root region
		// can only be created by an actor whose scope is everything).
		scopePath := parentPath
		if scopePath == "" {
			// The parent is new too: the nearest ancestor already in the
			// tree decides; a whole new tree needs city-wide scope.
			scopePath = "/"
			for c := st.ParentCode; c != ""; {
				if n, ok := tree.Get(c); ok {
					scopePath = n.Path
					break
				}
				p, ok := byCode[c]
				if !ok || p.ParentCode == c {
					break
				}
				c = p.ParentCode
			}
		}
		if st.exists {
			n, _ := tree.Get(st.Code)
			scopePath = n.Path
		}
		if err := actor.Authorize(auth.RegionWrite, scopePath); err != nil {
			e := errs.As(err)
			report(st.index, st.Code, &errs.Error{Code: e.Code, Field: "properties/parent", Key: e.Key})
		}
	}
	// Overlap between sibling grids, in the file and against the tree.
	siblings := map[string][]*staged{}
	for _, st := range rows {
		if st.Level == Grid && st.Boundary != nil {
			siblings[st.ParentCode] = append(siblings[st.ParentCode], st)
		}
	}
	for parent, group := range siblings {
		sort.Slice(group, func(i, j int) bool { return group[i].index < group[j].index })
		type shape struct {
			code  string
			mp    geo.MultiPolygon
			box   geo.BBox
			index int
		}
		var shapes []shape
		for _, st := range group {
			shapes = append(shapes, shape{st.Code, st.Boundary, st.Boundary.BBox(), st.index})
		}
		if p, ok := tree.Get(parent); ok {
			for _, c := range p.Children {
				if _, replaced := byCode[c.Code]; !replaced && c.Level == Grid && c.Boundary != nil {
					shapes = append(shapes, shape{c.Code, c.Boundary, c.Boundary.BBox(), -1})
				}
			}
		}
		for i := range shapes {
			if shapes[i].index < 0 {
				continue
			}
			for j := range shapes {
				if i == j || (shapes[j].index >= 0 && j < i) || !boxesTouch(shapes[i].box, shapes[j].box) {
					continue
				}
				if geo.Overlaps(shapes[i].mp, shapes[j].mp) {
					report(shapes[i].index, shapes[i].code, errs.Field("geometry", "err.geojson.overlap", shapes[j].code))
				}
			}
		}
	}
	if len(problems) > 0 {
		sort.SliceStable(problems, func(i, j int) bool { return problems[i].Args[0].(int) < problems[j].Args[0].(int) })
		// Writing outside one's area is a matter of permission, not of a
		// malformed file: answer 403 whatever else is wrong.
		code := errs.Invalid
		for _, p := range problems {
			if p.Code == errs.Forbidden {
				code = errs.Forbidden
			}
		}
		return res, &errs.Error{Code: code, Field: problems[0].Field, Key: "err.geojson.rejected", Args: []any{len(problems)}, List: problems}
	}
	// Parents first, so paths and foreign keys resolve.
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Level.Depth() < rows[j].Level.Depth() })
	out := make([]Row, len(rows))
	for i, st := range rows {
		out[i] = st.Row
		if st.exists {
			res.Updated++
		} else {
			res.Created++
		}
	}
	res.Features = len(rows)
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		return Upsert(ctx, tx, out, paths)
	})
	if err != nil {
		return res, err
	}
	return res, s.Load(ctx)
}

func boxesTouch(a, b geo.BBox) bool {
	return a.MinLng <= b.MaxLng && b.MinLng <= a.MaxLng && a.MinLat <= b.MaxLat && b.MinLat <= a.MaxLat
}

func convertShape(mp geo.MultiPolygon, crs CRS) geo.MultiPolygon {
	if crs != GCJ02 {
		return mp
	}
	return mp.Transform(geo.GCJToWGS)
}

func geoError(err error) *errs.Error {
	if ve, ok := err.(*geo.ValidationError); ok {
		return errs.Literal("geometry", errs.Text{ZH: ve.Msg, EN: ve.MsgEN})
	}
	return errs.Field("geometry", "err.geojson.geometry", err.Error())
}

func propString(m map[string]any, k string) string {
	v, ok := m[k]
	if !ok || v == nil {
		return ""
	}
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return strings.TrimSpace(fmt.Sprint(v))
}

// WriteGeoJSON streams the regions of one level under code (grids by
// default) as a FeatureCollection with code, name, parent, level, kind and
// households properties, straight from the database.
func (s *Service) WriteGeoJSON(ctx context.Context, actor auth.Actor, code string, level Level, w io.Writer) error {
	n, err := s.Get(actor, code)
	if err != nil {
		return err
	}
	if level == "" {
		level = Grid
	}
	if !level.Valid() {
		return errs.Field("level", "err.region.level")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	return s.db.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT code, COALESCE(parent_code, ''), name, level, kind, households, COALESCE(boundary, '')
			FROM regions WHERE path LIKE ? AND level = ? ORDER BY code`, n.Path+"%", string(level))
		if err != nil {
			return err
		}
		defer rows.Close()
		bw.WriteString(`{"type":"FeatureCollection","features":[`)
		first := true
		for rows.Next() {
			var f struct {
				Code, Parent, Name, Level, Kind, Boundary string
				Households                                int
			}
			if err := rows.Scan(&f.Code, &f.Parent, &f.Name, &f.Level, &f.Kind, &f.Households, &f.Boundary); err != nil {
				return err
			}
			if !first {
				bw.WriteByte(',')
			}
			first = false
			props, _ := json.Marshal(map[string]any{"code": f.Code, "name": f.Name, "parent": f.Parent, "level": f.Level, "kind": f.Kind, "households": f.Households})
			geom := f.Boundary
			if geom == "" {
				geom = "null"
			}
			fmt.Fprintf(bw, `{"type":"Feature","id":%q,"properties":%s,"geometry":%s}`, f.Code, props, geom)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		bw.WriteString("]}\n")
		return bw.Flush()
	})
}
