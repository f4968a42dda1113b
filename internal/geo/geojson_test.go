package geo

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestParseGeometry(t *testing.T) {
	good := []struct {
		name string
		in   string
		want MultiPolygon
	}{
		{"polygon", `{"type":"Polygon","coordinates":[[[115,35],[115.1,35],[115.1,35.1],[115,35]]]}`,
			mp(Ring{{115, 35}, {115.1, 35}, {115.1, 35.1}, {115, 35}})},
		{"polygon with hole and altitude", `{"type":"Polygon","coordinates":[
			[[0,0,12.5],[10,0,12.5],[10,10,1],[0,10,0],[0,0,0]],
			[[2,2],[4,2],[4,4],[2,2]]]}`,
			mp(rect(0, 0, 10, 10), Ring{{2, 2}, {4, 2}, {4, 4}, {2, 2}})},
		{"multipolygon", `{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]]]]}`,
			MultiPolygon{{Ring{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, {Ring{{5, 5}, {6, 5}, {6, 6}, {5, 5}}}}},
		{"foreign members and bbox ignored", `{"bbox":[0,0,1,1],"type":"Polygon","crs":null,"x":{"y":[1]},"coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`,
			mp(Ring{{0, 0}, {1, 0}, {1, 1}, {0, 0}})},
		{"exponents and negatives", `{"type":"Polygon","coordinates":[[[-1e-7,0],[1.5E1,0],[0,-0.25],[-1e-7,0]]]}`,
			mp(Ring{{-1e-7, 0}, {15, 0}, {0, -0.25}, {-1e-7, 0}})},
	}
	for _, c := range good {
		got, err := ParseGeometry([]byte(c.in))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}

	bad := []struct {
		name, in, code string
		poly, ring, v  int
	}{
		{"not json", `{"type":`, CodeGeoJSONSyntax, -1, -1, -1},
		{"array", `[1,2]`, CodeGeoJSONSyntax, -1, -1, -1},
		{"null", `null`, CodeGeoJSONSyntax, -1, -1, -1},
		{"no type", `{"coordinates":[]}`, CodeGeoJSONType, -1, -1, -1},
		{"type not string", `{"type":5,"coordinates":[]}`, CodeGeoJSONType, -1, -1, -1},
		{"point", `{"type":"Point","coordinates":[1,2]}`, CodeGeoJSONType, -1, -1, -1},
		{"feature", `{"type":"Feature","geometry":null}`, CodeGeoJSONType, -1, -1, -1},
		{"type is case-sensitive", `{"type":"polygon","coordinates":[]}`, CodeGeoJSONType, -1, -1, -1},
		{"member names case-sensitive", `{"Type":"Polygon","coordinates":[]}`, CodeGeoJSONType, -1, -1, -1},
		{"no coordinates", `{"type":"Polygon"}`, CodeGeoJSONNesting, -1, -1, -1},
		{"coordinates null", `{"type":"Polygon","coordinates":null}`, CodeGeoJSONNesting, 0, -1, -1},
		{"polygon given multipolygon nesting", `{"type":"Polygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}`, CodeGeoJSONNesting, 0, 0, 0},
		{"multipolygon given polygon nesting", `{"type":"MultiPolygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`, CodeGeoJSONNesting, 0, 0, 0},
		{"ring not array", `{"type":"Polygon","coordinates":[5]}`, CodeGeoJSONNesting, 0, 0, -1},
		{"position not array", `{"type":"Polygon","coordinates":[[5]]}`, CodeGeoJSONNesting, 0, 0, 0},
		{"position too short", `{"type":"Polygon","coordinates":[[[1,2],[3]]]}`, CodeGeoJSONNesting, 0, 0, 1},
		{"position too long", `{"type":"Polygon","coordinates":[[[1,2,3,4]]]}`, CodeGeoJSONNesting, 0, 0, 0},
		{"string coordinate", `{"type":"Polygon","coordinates":[[[0,0],[1,0],["1",1],[0,0]]]}`, CodeGeoJSONNumber, 0, 0, 2},
		{"null coordinate", `{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[0,0],[null,0]]]]}`, CodeGeoJSONNumber, 1, 0, 1},
		{"huge number", `{"type":"Polygon","coordinates":[[[1e400,0]]]}`, CodeGeoJSONNumber, 0, 0, 0},
		{"empty polygon", `{"type":"Polygon","coordinates":[]}`, CodeEmpty, 0, -1, -1},
		{"empty multipolygon", `{"type":"MultiPolygon","coordinates":[]}`, CodeEmpty, -1, -1, -1},
		{"bad json inside coordinates", `{"type":"Polygon","coordinates":[[[0,0],[1,0]]}`, CodeGeoJSONSyntax, -1, -1, -1},
	}
	for _, c := range bad {
		_, err := ParseGeometry([]byte(c.in))
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("%s: got %v, want %s", c.name, err, c.code)
			continue
		}
		if ve.Code != c.code || ve.Polygon != c.poly || ve.Ring != c.ring || ve.Vertex != c.v {
			t.Errorf("%s: got %s %d/%d/%d (%s), want %s %d/%d/%d", c.name, ve.Code, ve.Polygon, ve.Ring, ve.Vertex, ve.MsgEN,
				c.code, c.poly, c.ring, c.v)
		}
		if !hasHan(ve.Msg) || ve.MsgEN == "" {
			t.Errorf("%s: messages %q / %q", c.name, ve.Msg, ve.MsgEN)
		}
	}
}

func TestMarshalGeometry(t *testing.T) {
	one := mp(Ring{{115.123456789012, 35.1}, {115.2, 35.1}, {115.2, 35.2}, {115.123456789012, 35.1}})
	b, err := one.MarshalGeometry()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"type":"Polygon","coordinates":[[[115.123456789012,35.1],[115.2,35.1],[115.2,35.2],[115.123456789012,35.1]]]}`; string(b) != want {
		t.Errorf("got %s", b)
	}
	two := MultiPolygon{one[0], {rect(1e-9, -0.5, 1, 1)}}
	b, err = two.MarshalGeometry()
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(b) || !strings.HasPrefix(string(b), `{"type":"MultiPolygon","coordinates":[[[[`) {
		t.Errorf("got %s", b)
	}
	back, err := ParseGeometry(b)
	if err != nil || !reflect.DeepEqual(back, two) {
		t.Errorf("round trip: %v %v", back, err)
	}
	if _, err := mp(Ring{{math.NaN(), 0}}).MarshalGeometry(); err == nil {
		t.Error("NaN marshalled")
	}
	if b, _ := (MultiPolygon{}).MarshalGeometry(); string(b) != `{"type":"MultiPolygon","coordinates":[]}` {
		t.Errorf("empty: %s", b)
	}
}

// FuzzParseGeometry: arbitrary bytes must never panic the parser, and a
// geometry that parses and validates must survive MarshalGeometry →
// ParseGeometry bit for bit.
func FuzzParseGeometry(f *testing.F) {
	seeds := []string{
		`{"type":"Polygon","coordinates":[[[115,35],[115.1,35],[115.1,35.1],[115,35]]]}`,
		`{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[2,2],[4,2],[4,4],[2,2]]]}`,
		`{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]]]]}`,
		`{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[1,0],[2,0],[2,1],[1,0]]]]}`,
		`{"type":"Polygon","coordinates":[[[0,0,5],[1e-7,0],[1,1],[0,0]]]}`,
		`{"type":"Point","coordinates":[1,2]}`,
		`{"type":"Polygon","coordinates":[[["a",0]]]}`,
		`[]`, `null`, `{}`, ``,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := ParseGeometry(raw)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Code == "" || ve.Msg == "" || ve.MsgEN == "" {
				t.Fatalf("error is not a complete *ValidationError: %#v", err)
			}
			return
		}
		if m.Validate() != nil {
			return
		}
		out, err := m.MarshalGeometry()
		if err != nil {
			t.Fatalf("valid geometry failed to marshal: %v", err)
		}
		back, err := ParseGeometry(out)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		if !reflect.DeepEqual(back, m) {
			t.Fatalf("round trip changed the geometry:\n%v\n%v", m, back)
		}
	})
}
