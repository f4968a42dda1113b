package region

import (
	"reflect"
	"testing"

	"civicgrid/internal/geo"
)

func TestParseStoredMatchesGeneralParser(t *testing.T) {
	for _, s := range []string{
		`{"type":"Polygon","coordinates":[[[116.1,34.2],[116.2,34.2],[116.2,34.3],[116.1,34.2]]]}`,
		`{"type":"MultiPolygon","coordinates":[[[[1,1],[2,1],[2,2],[1,1]]],[[[3,3],[4,3],[4,4],[3,3]],[[3.1,3.1],[3.2,3.1],[3.2,3.2],[3.1,3.1]]]]}`,
		`{ "coordinates" : [ [ [ 1e-3 , -2.5E1 ] , [2,3],[4,5],[1e-3,-25] ] ], "type": "Polygon" }`,
	} {
		want, err := geo.ParseGeometry([]byte(s))
		if err != nil {
			t.Fatalf("general parser: %v", err)
		}
		got, err := parseStored([]byte(s))
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("parseStored(%s) = %v, %v; want %v", s, got, err, want)
		}
	}
	// Anything odd goes to the general parser, which reports it.
	if _, err := parseStored([]byte(`{"type":"Polygon","coordinates":"x"}`)); err == nil {
		t.Fatal("bad input accepted")
	}
}

func FuzzParseStored(f *testing.F) {
	f.Add([]byte(`{"type":"Polygon","coordinates":[[[116.1,34.2],[116.2,34.2],[116.2,34.3],[116.1,34.2]]]}`))
	f.Add([]byte(`{"type":"MultiPolygon","coordinates":[[[[1,1],[2,1],[2,2],[1,1]]]]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := parseStored(b)
		if err != nil {
			return
		}
		// Whatever the fast path accepts, the general parser agrees with,
		// unless the fast path fell back to it anyway.
		if want, err := geo.ParseGeometry(b); err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("fast %v != general %v", got, want)
		}
	})
}
