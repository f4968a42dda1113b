package workcal

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParse: Parse never panics; it either returns an *Error naming a sensible
// entry, or days that New/With accept and that honour Parse's promises.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("holidays/*.json")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		``, `null`, `[]`, `{}`, `{"year":2026}`, `{"year":2026,"days":[]}`,
		`{"year":2026,"days":[{"name":"元旦","date":"2026-01-01","isOffDay":true}]}`,
		`{"year":2026,"days":[{"name":"元旦","date":"2025-12-31","isOffDay":true}]}`,
		`{"year":2026,"days":[{"name":"元旦","date":"2026-01-01"}]}`,
		`{"year":2026,"days":[{"name":"a","date":"2026-01-01","isOffDay":true},{"name":"b","date":"2026-01-01","isOffDay":false}]}`,
		`{"year":1e3,"days":[{"date":"\u0000","isOffDay":null}]}`,
		`{"year":2026,"days":[{"name":"x","date":"2026-02-29","isOffDay":true,"date":"2026-03-01"}]}`,
		"{\"year\":2026,\"days\":[{\"name\":\"x\",\"date\":\"\xff\xfe\",\"isOffDay\":true}]}",
	} {
		f.Add([]byte(s))
	}
	base := New(nil, WorkHours{}, nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		year, days, err := Parse(bytes.NewReader(data))
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not *Error", err)
			}
			if e.Msg == "" || e.MsgEN == "" || e.Index < -1 {
				t.Fatalf("bad error %#v", e)
			}
			if !utf8.ValidString(e.Msg) || !utf8.ValidString(e.MsgEN) {
				t.Fatalf("error message is not UTF-8: %q", e.MsgEN)
			}
			return
		}
		if year < MinYear || year > MaxYear || len(days) == 0 {
			t.Fatalf("year %d with %d days accepted", year, len(days))
		}
		seen := map[string]bool{}
		for _, d := range days {
			v, err := time.Parse(time.DateOnly, d.Date)
			if err != nil || v.Year() != year || seen[d.Date] || d.Name == "" {
				t.Fatalf("accepted bad day %+v of %d", d, year)
			}
			seen[d.Date] = true
		}
		c := base.With(days)
		if ys := c.Years(); len(ys) != 1 || ys[0] != year || len(c.Days(year)) != len(days) {
			t.Fatalf("With: years %v, %d days", ys, len(c.Days(year)))
		}
		for _, d := range days {
			v, _ := time.ParseInLocation(time.DateOnly, d.Date, Shanghai)
			if c.IsWorkday(v) == d.Off {
				t.Fatalf("IsWorkday(%s) disagrees with Off=%v", d.Date, d.Off)
			}
		}
	})
}
