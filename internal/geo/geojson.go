package geo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// ParseGeometry parses a GeoJSON geometry object (RFC 7946) of type Polygon
// or MultiPolygon into a MultiPolygon. Positions are [lng, lat] with an
// optional third element (altitude), which is dropped. Members other than
// "type" and "coordinates" (bbox, crs, foreign members) are ignored.
//
// Only structure is checked here; call Validate for geometry rules. All
// errors are *ValidationError, with Polygon/Ring/Vertex naming the place in
// the coordinates array where that applies.
func ParseGeometry(raw []byte) (MultiPolygon, error) {
	// A map rather than a struct: encoding/json matches struct fields
	// case-insensitively, but GeoJSON member names are case-sensitive.
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		msg := "not an object"
		if err != nil {
			msg = err.Error()
		}
		return nil, vErr(CodeGeoJSONSyntax, -1, -1, -1,
			"不是有效的 GeoJSON 几何对象："+msg,
			"not a valid GeoJSON geometry object: "+msg)
	}
	var typ string
	if t, ok := obj["type"]; !ok || json.Unmarshal(t, &typ) != nil {
		return nil, vErr(CodeGeoJSONType, -1, -1, -1, "缺少 type 字段或其值不是字符串", `missing or non-string "type" member`)
	}
	depth := 0
	switch typ {
	case "Polygon":
		depth = 3
	case "MultiPolygon":
		depth = 4
	default:
		t := typ
		if len(t) > 40 {
			t = t[:40] + "…"
		}
		return nil, vErr(CodeGeoJSONType, -1, -1, -1,
			fmt.Sprintf("几何类型 %q 不受支持，只接受 Polygon 或 MultiPolygon", t),
			fmt.Sprintf("geometry type %q is not supported; expected Polygon or MultiPolygon", t))
	}
	coords, ok := obj["coordinates"]
	if !ok {
		return nil, vErr(CodeGeoJSONNesting, -1, -1, -1, "缺少 coordinates 字段", `missing "coordinates" member`)
	}
	// Decoding into interface values (numbers kept as json.Number) lets
	// every nesting or type mistake be reported with its exact position,
	// which a typed [][][][]float64 decode cannot do.
	dec := json.NewDecoder(bytes.NewReader(coords))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, vErr(CodeGeoJSONSyntax, -1, -1, -1, "coordinates 不是有效的 JSON："+err.Error(), "coordinates is not valid JSON: "+err.Error())
	}
	if depth == 3 {
		poly, err := parsePolygon(v, 0)
		if err != nil {
			return nil, err
		}
		return MultiPolygon{poly}, nil
	}
	polys, ok := v.([]any)
	if !ok {
		return nil, nestErr(-1, -1, -1, "MultiPolygon 的 coordinates 必须是多边形数组", "MultiPolygon coordinates must be an array of polygons")
	}
	if len(polys) == 0 {
		return nil, vErr(CodeEmpty, -1, -1, -1, "MultiPolygon 不包含任何多边形", "MultiPolygon has no polygons")
	}
	m := make(MultiPolygon, len(polys))
	for i, pv := range polys {
		poly, err := parsePolygon(pv, i)
		if err != nil {
			return nil, err
		}
		m[i] = poly
	}
	return m, nil
}

func nestErr(poly, ring, vertex int, zh, en string) error {
	return vErr(CodeGeoJSONNesting, poly, ring, vertex, zh, en)
}

func parsePolygon(v any, pi int) (Polygon, error) {
	rings, ok := v.([]any)
	if !ok {
		return nil, nestErr(pi, -1, -1, "多边形必须是环的数组", "a polygon must be an array of rings")
	}
	if len(rings) == 0 {
		return nil, vErr(CodeEmpty, pi, -1, -1, "多边形没有任何环", "polygon has no rings")
	}
	poly := make(Polygon, len(rings))
	for ri, rv := range rings {
		pos, ok := rv.([]any)
		if !ok {
			return nil, nestErr(pi, ri, -1, "环必须是坐标点的数组", "a ring must be an array of positions")
		}
		r := make(Ring, len(pos))
		for vi, pv := range pos {
			p, err := parsePosition(pv, pi, ri, vi)
			if err != nil {
				return nil, err
			}
			r[vi] = p
		}
		poly[ri] = r
	}
	return poly, nil
}

func parsePosition(v any, pi, ri, vi int) (Point, error) {
	arr, ok := v.([]any)
	if !ok {
		return Point{}, nestErr(pi, ri, vi, "坐标点必须是 [经度, 纬度] 数组", "a position must be an array [lng, lat]")
	}
	for _, e := range arr {
		if _, deeper := e.([]any); deeper {
			return Point{}, nestErr(pi, ri, vi, "坐标嵌套层数过多（几何类型与坐标结构不符？）",
				"coordinates are nested too deeply (geometry type does not match the coordinates?)")
		}
	}
	if len(arr) < 2 || len(arr) > 3 {
		return Point{}, nestErr(pi, ri, vi,
			fmt.Sprintf("坐标点应有2个（或含高程3个）数值，实际为%d个", len(arr)),
			fmt.Sprintf("a position must have 2 numbers (3 with altitude), got %d", len(arr)))
	}
	var xy [2]float64
	for k, e := range arr {
		n, ok := e.(json.Number)
		if !ok {
			return Point{}, vErr(CodeGeoJSONNumber, pi, ri, vi, "坐标值必须是数字", "coordinate values must be numbers")
		}
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil || math.IsInf(f, 0) {
			return Point{}, vErr(CodeGeoJSONNumber, pi, ri, vi,
				fmt.Sprintf("坐标值 %s 超出数值范围", n), fmt.Sprintf("coordinate value %s is out of numeric range", n))
		}
		if k < 2 {
			xy[k] = f
		}
	}
	return Point{xy[0], xy[1]}, nil
}

// MarshalGeometry encodes m as a GeoJSON geometry: a Polygon when m has
// exactly one member, else a MultiPolygon. Numbers use the shortest
// representation that parses back to the identical float64, so
// MarshalGeometry followed by ParseGeometry is lossless. NaN and infinities
// cannot be represented in JSON and are an error.
func (m MultiPolygon) MarshalGeometry() ([]byte, error) {
	n := 0
	for _, poly := range m {
		for _, r := range poly {
			n += len(r)
		}
	}
	buf := make([]byte, 0, 48+n*40)
	if len(m) == 1 {
		buf = append(buf, `{"type":"Polygon","coordinates":`...)
	} else {
		buf = append(buf, `{"type":"MultiPolygon","coordinates":[`...)
	}
	for pi, poly := range m {
		if pi > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, '[')
		for ri, r := range poly {
			if ri > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, '[')
			for vi, p := range r {
				if math.IsNaN(p.Lng) || math.IsInf(p.Lng, 0) || math.IsNaN(p.Lat) || math.IsInf(p.Lat, 0) {
					return nil, vErr(CodeBadCoordinate, pi, ri, vi, "坐标不是有限数值，无法编码为 GeoJSON",
						"coordinate is not finite and cannot be encoded as GeoJSON")
				}
				if vi > 0 {
					buf = append(buf, ',')
				}
				buf = append(buf, '[')
				buf = appendNumber(buf, p.Lng)
				buf = append(buf, ',')
				buf = appendNumber(buf, p.Lat)
				buf = append(buf, ']')
			}
			buf = append(buf, ']')
		}
		buf = append(buf, ']')
	}
	if len(m) != 1 {
		buf = append(buf, ']')
	}
	buf = append(buf, '}')
	return buf, nil
}

// appendNumber formats like encoding/json: plain decimals for ordinary
// magnitudes, exponent form for tiny or huge ones.
func appendNumber(b []byte, f float64) []byte {
	a := math.Abs(f)
	if a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.AppendFloat(b, f, 'e', -1, 64)
	}
	return strconv.AppendFloat(b, f, 'f', -1, 64)
}
