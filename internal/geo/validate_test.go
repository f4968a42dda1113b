package geo

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	sq := rect(115, 35, 115.01, 35.01)
	hole := rect(115.002, 35.002, 115.004, 35.004)
	hole2 := rect(115.006, 35.006, 115.008, 35.008)
	cases := []struct {
		name         string
		m            MultiPolygon
		code         string // "" means valid
		poly, ring   int
		vertex       int // -2: do not check
		msgSubstring string
	}{
		{name: "square", m: mp(sq)},
		{name: "clockwise square", m: mp(Ring{{0, 0}, {0, 1}, {1, 1}, {1, 0}, {0, 0}})},
		{name: "triangle", m: mp(Ring{{0, 0}, {1, 0}, {0, 1}, {0, 0}})},
		{name: "with two holes", m: mp(sq, hole, hole2)},
		{name: "repeated points tolerated", m: mp(Ring{{0, 0}, {1, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 1}, {0, 0}})},
		{name: "concave", m: mp(Ring{{0, 0}, {10, 0}, {10, 10}, {5, 1}, {0, 10}, {0, 0}})},
		{name: "multipolygon sharing an edge", m: MultiPolygon{{rect(0, 0, 1, 1)}, {rect(1, 0, 2, 1)}}},
		{name: "multipolygon apart", m: MultiPolygon{{rect(0, 0, 1, 1)}, {rect(3, 0, 4, 1)}}},
		{name: "island in a hole", m: MultiPolygon{{rect(0, 0, 10, 10), rect(2, 2, 8, 8)}, {rect(4, 4, 6, 6)}}},
		{name: "range edges", m: mp(Ring{{-180, -90}, {180, -90}, {180, 90}, {-180, -90}})},

		{name: "empty", m: MultiPolygon{}, code: CodeEmpty, poly: -1, ring: -1, vertex: -1},
		{name: "polygon without rings", m: MultiPolygon{{}}, code: CodeEmpty, poly: 0, ring: -1, vertex: -1},
		{name: "NaN", m: mp(Ring{{0, 0}, {1, 0}, {math.NaN(), 1}, {0, 0}}), code: CodeBadCoordinate, poly: 0, ring: 0, vertex: 2},
		{name: "Inf", m: mp(Ring{{0, 0}, {math.Inf(1), 0}, {1, 1}, {0, 0}}), code: CodeBadCoordinate, poly: 0, ring: 0, vertex: 1},
		{name: "lng out of range", m: mp(Ring{{0, 0}, {181, 0}, {1, 1}, {0, 0}}), code: CodeBadCoordinate, poly: 0, ring: 0, vertex: 1, msgSubstring: "181"},
		{name: "lat out of range", m: mp(sq, Ring{{0, 0}, {1, 0}, {1, -91}, {0, 0}}), code: CodeBadCoordinate, poly: 0, ring: 1, vertex: 2},
		{name: "not closed", m: mp(Ring{{0, 0}, {1, 0}, {1, 1}, {0, 1}}), code: CodeRingNotClosed, poly: 0, ring: 0, vertex: 3},
		{name: "three positions", m: mp(Ring{{0, 0}, {1, 0}, {0, 0}}), code: CodeTooFewPoints, poly: 0, ring: 0, vertex: -1},
		{name: "two distinct vertices", m: mp(Ring{{0, 0}, {1, 0}, {1, 0}, {0, 0}}), code: CodeTooFewPoints, poly: 0, ring: 0, vertex: -1},
		{name: "collinear", m: mp(Ring{{0, 0}, {1, 1}, {2, 2}, {0, 0}}), code: CodeZeroArea, poly: 0, ring: 0, vertex: -1},
		{name: "bow tie", m: mp(Ring{{0, 0}, {1, 1}, {1, 0}, {0, 1}, {0, 0}}), code: CodeSelfIntersection, poly: 0, ring: 0, vertex: 0},
		{name: "figure eight through a vertex", m: mp(Ring{{0, 0}, {2, 0}, {1, 1}, {2, 2}, {0, 2}, {1, 1}, {0, 0}}), code: CodeSelfIntersection, poly: 0, ring: 0, vertex: -2},
		{name: "vertex touching own edge", m: mp(Ring{{0, 0}, {4, 0}, {4, 4}, {2, 0}, {0, 4}, {0, 0}}), code: CodeSelfIntersection, poly: 0, ring: 0, vertex: -2},
		{name: "spike doubling back", m: mp(Ring{{0, 0}, {4, 0}, {6, 0}, {5, 0}, {4, 4}, {0, 4}, {0, 0}}), code: CodeSelfIntersection, poly: 0, ring: 0, vertex: -2},
		{name: "collinear overlap of non-adjacent edges", m: mp(Ring{{0, 0}, {4, 0}, {4, 1}, {3, 1}, {3, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}), code: CodeSelfIntersection, poly: 0, ring: 0, vertex: -2},
		{name: "error in second ring of second polygon", m: MultiPolygon{{rect(10, 10, 11, 11)}, {sq, Ring{{115.002, 35.002}, {115.004, 35.004}, {115.004, 35.002}, {115.002, 35.004}, {115.002, 35.002}}}}, code: CodeSelfIntersection, poly: 1, ring: 1, vertex: -2},
		{name: "hole outside", m: mp(sq, rect(116, 36, 116.001, 36.001)), code: CodeHoleOutside, poly: 0, ring: 1, vertex: -1},
		{name: "hole crossing outer", m: mp(sq, rect(115.005, 35.005, 115.02, 35.006)), code: CodeHoleCrossesOuter, poly: 0, ring: 1, vertex: -2},
		{name: "hole touching outer at a vertex", m: mp(sq, Ring{{115, 35}, {115.002, 35.001}, {115.001, 35.002}, {115, 35}}), code: CodeHoleCrossesOuter, poly: 0, ring: 1, vertex: -2},
		{name: "hole sharing outer edge", m: mp(sq, rect(115, 35.002, 115.004, 35.004)), code: CodeHoleCrossesOuter, poly: 0, ring: 1, vertex: -2},
		{name: "hole equal to outer", m: mp(sq, sq), code: CodeHoleCrossesOuter, poly: 0, ring: 1, vertex: -2},
		{name: "holes crossing", m: mp(sq, hole, rect(115.003, 35.003, 115.005, 35.005)), code: CodeHolesOverlap, poly: 0, ring: 2, vertex: -2},
		{name: "hole in hole", m: mp(sq, rect(115.001, 35.001, 115.009, 35.009), hole), code: CodeHolesOverlap, poly: 0, ring: 2, vertex: -1},
		{name: "members overlapping", m: MultiPolygon{{rect(0, 0, 2, 2)}, {rect(1, 1, 3, 3)}}, code: CodePolygonsOverlap, poly: 1, ring: -1, vertex: -1},
		{name: "members identical", m: MultiPolygon{{sq}, {sq}}, code: CodePolygonsOverlap, poly: 1, ring: -1, vertex: -1},
	}
	for _, c := range cases {
		err := c.m.Validate()
		if c.code == "" {
			if err != nil {
				t.Errorf("%s: unexpected error %v", c.name, err)
			}
			continue
		}
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("%s: got %v, want *ValidationError %s", c.name, err, c.code)
			continue
		}
		if ve.Code != c.code || ve.Polygon != c.poly || ve.Ring != c.ring || (c.vertex != -2 && ve.Vertex != c.vertex) {
			t.Errorf("%s: got code=%s polygon=%d ring=%d vertex=%d (%s), want %s %d %d %d",
				c.name, ve.Code, ve.Polygon, ve.Ring, ve.Vertex, ve.MsgEN, c.code, c.poly, c.ring, c.vertex)
		}
		if ve.Msg == "" || ve.MsgEN == "" || ve.Error() != ve.MsgEN {
			t.Errorf("%s: missing messages: %q / %q", c.name, ve.Msg, ve.MsgEN)
		}
		if !hasHan(ve.Msg) {
			t.Errorf("%s: Chinese message has no Chinese: %q", c.name, ve.Msg)
		}
		if c.msgSubstring != "" && (!strings.Contains(ve.Msg, c.msgSubstring) || !strings.Contains(ve.MsgEN, c.msgSubstring)) {
			t.Errorf("%s: messages %q / %q lack %q", c.name, ve.Msg, ve.MsgEN, c.msgSubstring)
		}
	}
}

func TestValidateMessagesNameLocation(t *testing.T) {
	err := MultiPolygon{{rect(0, 0, 1, 1)}, {rect(5, 5, 6, 6), rect(5.1, 5.1, 5.2, 5.2), Ring{{0, 0}, {1, 0}, {1, 1}}}}.Validate()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatal(err)
	}
	// Messages count from 1; fields from 0.
	if ve.Polygon != 1 || ve.Ring != 2 || !strings.Contains(ve.Msg, "第2个多边形") || !strings.Contains(ve.Msg, "第2个内环") ||
		!strings.Contains(ve.MsgEN, "polygon 2") || !strings.Contains(ve.MsgEN, "hole 2") {
		t.Errorf("location not named: %+v", ve)
	}
}

// TestValidateLargeRing makes sure the sweep keeps a district-sized
// boundary (20,000 vertices) fast: a quadratic pair test would take seconds.
func TestValidateLargeRing(t *testing.T) {
	const n = 20000
	r := make(Ring, 0, n+1)
	for i := 0; i < n; i++ {
		a := 2 * math.Pi * float64(i) / n
		rad := 0.1 + 0.01*math.Sin(37*a)
		r = append(r, Point{115 + rad*math.Cos(a), 35 + rad*math.Sin(a)})
	}
	r = append(r, r[0])
	mustValid(t, mp(r))
	// Now make it self-intersect by swapping two neighbouring vertices.
	r[100], r[101] = r[101], r[100]
	var ve *ValidationError
	if err := mp(r).Validate(); !errors.As(err, &ve) || ve.Code != CodeSelfIntersection || ve.Vertex < 98 || ve.Vertex > 101 {
		t.Fatalf("got %v", err)
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

// FuzzValidate feeds arbitrary small rings through Validate, Contains,
// Area and InteriorPoint. None may panic, and whatever Validate accepts
// must behave like a polygon.
func FuzzValidate(f *testing.F) {
	f.Add([]byte{0, 0, 10, 0, 10, 10, 0, 10}, []byte{})
	f.Add([]byte{0, 0, 10, 10, 10, 0, 0, 10}, []byte{3, 3, 4, 3, 4, 4})
	f.Add([]byte{0, 0, 20, 0, 20, 20, 0, 20}, []byte{5, 5, 8, 5, 8, 8, 5, 8})
	f.Fuzz(func(t *testing.T, outer, hole []byte) {
		ring := func(b []byte) Ring {
			var r Ring
			for i := 0; i+1 < len(b) && len(r) < 40; i += 2 {
				r = append(r, Point{115 + float64(b[i])/1000, 35 + float64(b[i+1])/1000})
			}
			if len(r) > 0 {
				r = append(r, r[0])
			}
			return r
		}
		m := mp(ring(outer))
		if h := ring(hole); len(h) > 0 {
			m[0] = append(m[0], h)
		}
		err := m.Validate()
		a := m.Area()
		ip := m.InteriorPoint()
		_ = m.Centroid()
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Code == "" || ve.Msg == "" {
				t.Fatalf("bad error %v", err)
			}
			return
		}
		if !(a > 0) {
			t.Fatalf("valid shape with area %v", a)
		}
		if !m.Contains(ip) {
			t.Fatalf("InteriorPoint %v not inside valid shape", ip)
		}
		if !Overlaps(m, m) {
			t.Fatal("valid shape does not overlap itself")
		}
	})
}
