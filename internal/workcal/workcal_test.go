package workcal

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func mustEmbedded(t testing.TB) *Calendar {
	t.Helper()
	c, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// at parses "2006-01-02 15:04" in China Standard Time.
func at(t testing.TB, s string) time.Time {
	t.Helper()
	layout := "2006-01-02 15:04"
	if len(s) == len("2006-01-02") {
		layout = "2006-01-02"
	}
	v, err := time.ParseInLocation(layout, s, Shanghai)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// reference is a naive, obviously-correct model built straight from the JSON files.
type reference struct{ exc map[[3]int]bool } // {y, m, d} → isOffDay

func loadReference(t testing.TB) reference {
	t.Helper()
	r := reference{exc: map[[3]int]bool{}}
	files, _ := filepath.Glob("holidays/*.json")
	if len(files) != 3 {
		t.Fatalf("want 3 holiday files, have %v", files)
	}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		_, days, err := Parse(fh)
		fh.Close()
		if err != nil {
			t.Fatal(f, err)
		}
		for _, d := range days {
			v, err := time.Parse(time.DateOnly, d.Date)
			if err != nil {
				t.Fatal(err)
			}
			r.exc[[3]int{v.Year(), int(v.Month()), v.Day()}] = d.Off
		}
	}
	return r
}

func (r reference) isWork(t time.Time) bool {
	t = t.In(Shanghai)
	y, m, d := t.Date()
	if off, ok := r.exc[[3]int{y, int(m), d}]; ok {
		return !off
	}
	return t.Weekday() != time.Saturday && t.Weekday() != time.Sunday
}

// addWorkdays walks day by day.
func (r reference) addWorkdays(from time.Time, n int) time.Time {
	from = from.In(Shanghai)
	d := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, Shanghai)
	switch {
	case n == 0:
		for !r.isWork(d) {
			d = d.AddDate(0, 0, 1)
		}
	case n > 0:
		for n > 0 {
			d = d.AddDate(0, 0, 1)
			if r.isWork(d) {
				n--
			}
		}
	default:
		for n < 0 {
			d = d.AddDate(0, 0, -1)
			if r.isWork(d) {
				n++
			}
		}
	}
	return d.Add(17*time.Hour + 30*time.Minute)
}

// inHours reports whether the minute starting at t is working time.
func (r reference) inHours(t time.Time) bool {
	t = t.In(Shanghai)
	m := t.Hour()*60 + t.Minute()
	if !(m >= 8*60+30 && m < 17*60+30) || !r.isWork(t) {
		return false
	}
	return (m >= 8*60+30 && m < 12*60) || (m >= 13*60+30 && m < 17*60+30)
}

// workBetween counts minutes one by one (a and b on whole minutes).
func (r reference) workBetween(a, b time.Time) time.Duration {
	var w time.Duration
	for t := a; t.Before(b); t = t.Add(time.Minute) {
		if r.inHours(t) {
			w += time.Minute
		}
	}
	return w
}

// addWorkHours counts minutes one by one (from on a whole minute, d in minutes).
func (r reference) addWorkHours(from time.Time, d time.Duration) time.Time {
	t := from
	for d > 0 {
		if r.inHours(t) {
			d -= time.Minute
		}
		t = t.Add(time.Minute)
	}
	return t
}

func TestEmbeddedYears(t *testing.T) {
	c := mustEmbedded(t)
	if got, want := c.Years(), []int{2024, 2025, 2026}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Years() = %v, want %v", got, want)
	}
	if got := len(c.Days(2026)); got != 39 {
		t.Errorf("2026 has %d entries, want 39", got)
	}
	if d, ok := c.Lookup(at(t, "2026-10-01")); !ok || d.Name != "国庆节" || !d.Off {
		t.Errorf("Lookup(2026-10-01) = %+v, %v", d, ok)
	}
	if d, ok := c.Lookup(at(t, "2026-01-04")); !ok || d.Name != "元旦" || d.Off {
		t.Errorf("Lookup(2026-01-04) = %+v, %v", d, ok)
	}
	if _, ok := c.Lookup(at(t, "2026-03-09")); ok {
		t.Error("Lookup(2026-03-09) found an entry")
	}
}

func TestIsWorkday(t *testing.T) {
	c := mustEmbedded(t)
	tests := []struct {
		date string
		want bool
		why  string
	}{
		{"2026-01-01", false, "元旦, Thursday"},
		{"2026-01-02", false, "元旦, Friday"},
		{"2026-01-03", false, "元旦, Saturday"},
		{"2026-01-04", true, "Sunday, make-up day for 元旦"},
		{"2026-01-05", true, "ordinary Monday"},
		{"2026-02-13", true, "Friday before 春节"},
		{"2026-02-14", true, "Saturday, make-up day for 春节"},
		{"2026-02-15", false, "春节 starts (Sunday)"},
		{"2026-02-16", false, "春节, Monday"},
		{"2026-02-20", false, "春节, Friday"},
		{"2026-02-23", false, "春节 ends (Monday)"},
		{"2026-02-24", true, "back to work, Tuesday"},
		{"2026-02-28", true, "Saturday, make-up day for 春节"},
		{"2026-03-01", false, "ordinary Sunday"},
		{"2026-04-06", false, "清明节, Monday"},
		{"2026-05-05", false, "劳动节, Tuesday"},
		{"2026-05-09", true, "Saturday, make-up day for 劳动节"},
		{"2026-06-19", false, "端午节, Friday"},
		{"2026-09-20", true, "Sunday, make-up day for 国庆节"},
		{"2026-09-25", false, "中秋节, Friday"},
		{"2026-10-07", false, "国庆节, Wednesday"},
		{"2026-10-08", true, "Thursday after 国庆节"},
		{"2026-10-10", true, "Saturday, make-up day for 国庆节"},
		{"2026-10-11", false, "ordinary Sunday"},
		{"2025-01-26", true, "Sunday, make-up day for 春节 2025"},
		{"2025-02-04", false, "春节 2025, Tuesday"},
		{"2025-02-08", true, "Saturday, make-up day for 春节 2025"},
		{"2025-09-28", true, "Sunday, make-up day for 国庆节、中秋节 2025"},
		{"2025-10-08", false, "国庆节、中秋节 2025, Wednesday"},
		{"2025-10-11", true, "Saturday, make-up day 2025"},
		{"2024-02-18", true, "Sunday, make-up day 2024"},
		{"2023-12-29", true, "2023 not in the table: Friday"},
		{"2023-12-30", false, "2023 not in the table: Saturday"},
		{"2030-01-01", true, "2030 not in the table: Tuesday works (Monday–Friday fallback)"},
		{"2030-01-05", false, "2030 not in the table: Saturday"},
		{"2030-01-06", false, "2030 not in the table: Sunday"},
		{"2030-01-07", true, "2030 not in the table: Monday"},
	}
	for _, tt := range tests {
		for _, hm := range []string{" 00:00", " 12:00", " 23:59"} {
			if got := c.IsWorkday(at(t, tt.date+hm)); got != tt.want {
				t.Errorf("IsWorkday(%s%s) = %v, want %v (%s)", tt.date, hm, got, tt.want, tt.why)
			}
		}
	}
	// The day is the day in China: 2026-01-03 20:00 UTC is Sunday 04:00 in Beijing.
	if !c.IsWorkday(time.Date(2026, 1, 3, 20, 0, 0, 0, time.UTC)) {
		t.Error("2026-01-03 20:00 UTC is the make-up Sunday in Beijing")
	}
}

func TestIsWorkdayMatchesJSON(t *testing.T) {
	c, ref := mustEmbedded(t), loadReference(t)
	for d := at(t, "2022-06-01"); d.Before(at(t, "2028-06-01")); d = d.AddDate(0, 0, 1) {
		if got, want := c.IsWorkday(d), ref.isWork(d); got != want {
			t.Fatalf("IsWorkday(%s) = %v, want %v", d.Format(time.DateOnly), got, want)
		}
	}
}

func TestAddWorkdays(t *testing.T) {
	c := mustEmbedded(t)
	tests := []struct {
		from string
		n    int
		want string
		why  string
	}{
		{"2026-09-30 10:00", 5, "2026-10-13 17:30", "skips 国庆节 Oct 1–7, counts make-up Saturday Oct 10"},
		{"2026-03-06 16:00", 1, "2026-03-09 17:30", "Friday 16:00 + 1 → Monday"},
		{"2026-03-06 20:00", 1, "2026-03-09 17:30", "after hours makes no difference"},
		{"2026-03-07 10:00", 1, "2026-03-09 17:30", "received on Saturday"},
		{"2026-04-03 16:00", 1, "2026-04-07 17:30", "Friday before 清明节 Monday"},
		{"2026-03-09 09:00", 5, "2026-03-16 17:30", "ordinary week"},
		{"2026-03-09 09:00", 0, "2026-03-09 17:30", "n=0 on a working day"},
		{"2026-01-01 09:00", 0, "2026-01-04 17:30", "n=0 on 元旦 → the make-up Sunday"},
		{"2026-03-07 09:00", 0, "2026-03-09 17:30", "n=0 on a Saturday"},
		{"2025-12-31 09:00", 1, "2026-01-04 17:30", "into 2026 元旦 and its make-up Sunday"},
		{"2026-02-13 09:00", 1, "2026-02-14 17:30", "make-up Saturday before 春节"},
		{"2026-02-13 09:00", 2, "2026-02-24 17:30", "over 春节"},
		{"2026-02-13 09:00", 5, "2026-02-27 17:30", "over 春节"},
		{"2026-02-13 09:00", 6, "2026-02-28 17:30", "make-up Saturday after 春节"},
		{"2026-09-24 09:00", 15, "2026-10-22 17:30", "5 + 10 postponed, over 中秋节 and 国庆节"},
		{"2026-12-30 09:00", 5, "2027-01-06 17:30", "out of the table: 2027 is Monday–Friday"},
		{"2030-01-04 16:00", 1, "2030-01-07 17:30", "2030 fallback: Friday → Monday"},
		{"2030-01-01 09:00", 0, "2030-01-01 17:30", "2030 fallback: 1 January is a Tuesday like any other"},
		{"2023-12-29 09:00", 2, "2024-01-03 17:30", "from before the table into 2024 元旦"},
		{"2026-10-08 09:00", -1, "2026-09-30 17:30", "one working day back over 国庆节"},
		{"2026-10-12 09:00", -1, "2026-10-10 17:30", "one working day back is the make-up Saturday"},
	}
	for _, tt := range tests {
		got := c.AddWorkdays(at(t, tt.from), tt.n)
		if want := at(t, tt.want); !got.Equal(want) {
			t.Errorf("AddWorkdays(%s, %d) = %s, want %s (%s)", tt.from, tt.n, got.Format("2006-01-02 15:04 Mon"), tt.want, tt.why)
		}
		if got.Location() != Shanghai {
			t.Errorf("AddWorkdays(%s, %d) is in %v", tt.from, tt.n, got.Location())
		}
	}
	// The day of from is its day in China.
	if got, want := c.AddWorkdays(time.Date(2026, 3, 5, 15, 59, 0, 0, time.UTC), 1), at(t, "2026-03-06 17:30"); !got.Equal(want) {
		t.Errorf("Thursday 23:59 CST + 1 = %v, want %v", got, want)
	}
	if got, want := c.AddWorkdays(time.Date(2026, 3, 5, 16, 0, 0, 0, time.UTC), 1), at(t, "2026-03-09 17:30"); !got.Equal(want) {
		t.Errorf("Friday 00:00 CST + 1 = %v, want %v", got, want)
	}
}

func TestAddWorkdaysMatchesReference(t *testing.T) {
	c, ref := mustEmbedded(t), loadReference(t)
	rng := rand.New(rand.NewPCG(1, 2))
	start, span := at(t, "2022-10-01").Unix(), int64(6*365*86400)
	for i := 0; i < 20000; i++ {
		from := time.Unix(start+rng.Int64N(span), 0)
		n := rng.IntN(80) - 20
		got, want := c.AddWorkdays(from, n), ref.addWorkdays(from, n)
		if !got.Equal(want) {
			t.Fatalf("AddWorkdays(%s, %d) = %s, want %s", from.In(Shanghai), n, got, want)
		}
		if n > 0 {
			if k := c.WorkdaysBetween(from, got); k != n {
				t.Fatalf("WorkdaysBetween(%s, AddWorkdays(…, %d)) = %d", from.In(Shanghai), n, k)
			}
		}
	}
}

func TestAddWorkHours(t *testing.T) {
	c := mustEmbedded(t)
	h, m := time.Hour, time.Minute
	tests := []struct {
		from string
		d    time.Duration
		want string
		why  string
	}{
		{"2026-03-09 09:00", 1 * h, "2026-03-09 10:00", "inside the morning"},
		{"2026-03-09 11:00", 2 * h, "2026-03-09 14:30", "across lunch"},
		{"2026-03-09 08:30", 3*h + 30*m, "2026-03-09 12:00", "ends exactly at noon, not 13:30"},
		{"2026-03-09 12:30", 30 * m, "2026-03-09 14:00", "starting at lunch counts from 13:30"},
		{"2026-03-09 07:00", 30 * m, "2026-03-09 09:00", "starting before hours counts from 08:30"},
		{"2026-03-09 16:30", 2 * h, "2026-03-10 09:30", "across a night"},
		{"2026-03-09 19:00", 1 * h, "2026-03-10 09:30", "starting after hours counts from next morning"},
		{"2026-03-06 17:00", 1 * h, "2026-03-09 09:00", "across a weekend"},
		{"2026-03-07 10:00", 1 * h, "2026-03-09 09:30", "starting on a Saturday"},
		{"2026-03-09 08:30", 7*h + 30*m, "2026-03-09 17:30", "one full working day"},
		{"2026-03-09 08:30", 15 * h, "2026-03-10 17:30", "two full working days"},
		{"2026-03-09 08:30", 5 * (7*h + 30*m), "2026-03-13 17:30", "a working week"},
		{"2026-03-09 10:00", 24 * h, "2026-03-12 11:30", "24 working hours: 6h Monday, 7.5h Tuesday and Wednesday, 3h Thursday"},
		{"2026-09-30 17:00", 1 * h, "2026-10-08 09:00", "across 国庆节"},
		{"2026-10-09 17:00", 1 * h, "2026-10-10 09:00", "into the make-up Saturday"},
		{"2026-02-13 17:00", 8 * h, "2026-02-14 17:30", "the make-up Saturday before 春节 counts in full"},
		{"2026-02-13 17:00", 9 * h, "2026-02-24 09:30", "then across 春节"},
		{"2030-01-04 17:00", 1 * h, "2030-01-07 09:00", "2030 fallback weekend"},
		{"2026-03-09 10:00", 0, "2026-03-09 10:00", "d=0 inside hours"},
		{"2026-03-09 12:00", 0, "2026-03-09 13:30", "d=0 at noon: next period start"},
		{"2026-03-09 17:30", 0, "2026-03-10 08:30", "d=0 at closing: next morning"},
		{"2026-10-01 10:00", -h, "2026-10-08 08:30", "d<0 on a holiday: next period start"},
	}
	for _, tt := range tests {
		got := c.AddWorkHours(at(t, tt.from), tt.d)
		if want := at(t, tt.want); !got.Equal(want) {
			t.Errorf("AddWorkHours(%s, %v) = %s, want %s (%s)", tt.from, tt.d, got.Format("2006-01-02 15:04 Mon"), tt.want, tt.why)
		}
	}
}

func TestWorkBetween(t *testing.T) {
	c := mustEmbedded(t)
	h, m := time.Hour, time.Minute
	tests := []struct {
		a, b string
		want time.Duration
		why  string
	}{
		{"2026-03-09 09:00", "2026-03-09 10:00", 1 * h, "inside the morning"},
		{"2026-03-09 11:00", "2026-03-09 14:30", 2 * h, "lunch does not count"},
		{"2026-03-09 00:00", "2026-03-10 00:00", 7*h + 30*m, "one working day"},
		{"2026-03-06 17:00", "2026-03-09 09:00", 1 * h, "weekend does not count"},
		{"2026-09-30 17:00", "2026-10-08 09:00", 1 * h, "国庆节 does not count"},
		{"2026-10-09 17:00", "2026-10-10 09:00", 1 * h, "make-up Saturday counts"},
		{"2026-03-07 09:00", "2026-03-07 12:00", 0, "all on a Saturday"},
		{"2026-03-09 12:00", "2026-03-09 13:30", 0, "all at lunch"},
		{"2026-03-09 10:00", "2026-03-09 10:00", 0, "empty"},
		{"2026-03-09 10:00", "2026-03-09 09:00", 0, "b before a"},
		{"2026-03-02 00:00", "2026-03-30 00:00", 20 * (7*h + 30*m), "four ordinary weeks"},
		{"2030-01-01 00:00", "2031-01-01 00:00", 261 * (7*h + 30*m), "2030 fallback: 261 weekdays"},
	}
	for _, tt := range tests {
		if got := c.WorkBetween(at(t, tt.a), at(t, tt.b)); got != tt.want {
			t.Errorf("WorkBetween(%s, %s) = %v, want %v (%s)", tt.a, tt.b, got, tt.want, tt.why)
		}
	}
}

func TestWorkdaysBetween(t *testing.T) {
	c := mustEmbedded(t)
	tests := []struct {
		a, b string
		want int
	}{
		{"2026-03-06 16:00", "2026-03-09 09:00", 1},
		{"2026-03-09 16:00", "2026-03-09 17:00", 0},
		{"2026-03-10 16:00", "2026-03-09 17:00", 0},
		{"2026-09-30 10:00", "2026-10-13 10:00", 5},
		{"2026-09-30 10:00", "2026-10-07 23:59", 0},
		{"2026-02-13 10:00", "2026-02-28 10:00", 6},
		{"2026-01-01 10:00", "2026-01-04 08:00", 1},
		{"2025-12-31 10:00", "2026-12-31 10:00", 248}, // 261 weekdays − 19 weekday holidays + 6 make-up days
	}
	for _, tt := range tests {
		if got := c.WorkdaysBetween(at(t, tt.a), at(t, tt.b)); got != tt.want {
			t.Errorf("WorkdaysBetween(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestWorkHoursMatchReference(t *testing.T) {
	c, ref := mustEmbedded(t), loadReference(t)
	rng := rand.New(rand.NewPCG(3, 4))
	start := at(t, "2023-12-20").Unix() / 60
	span := int64(3*365*24*60 + 30*24*60)
	n := 1500
	if testing.Short() {
		n = 200
	}
	for i := 0; i < n; i++ {
		a := time.Unix((start+rng.Int64N(span))*60, 0)
		b := a.Add(time.Duration(rng.Int64N(10*24*60)) * time.Minute)
		if got, want := c.WorkBetween(a, b), ref.workBetween(a, b); got != want {
			t.Fatalf("WorkBetween(%s, %s) = %v, want %v", a.In(Shanghai), b.In(Shanghai), got, want)
		}
		d := time.Duration(1+rng.Int64N(40*60)) * time.Minute
		if got, want := c.AddWorkHours(a, d), ref.addWorkHours(a, d); !got.Equal(want) {
			t.Fatalf("AddWorkHours(%s, %v) = %s, want %s", a.In(Shanghai), d, got, want.In(Shanghai))
		}
	}
}

// For any from and d > 0, the working time from from (or from the next work
// instant after it) to AddWorkHours(from, d) is exactly d, and the deadline
// is the earliest such instant.
func TestWorkBetweenInverse(t *testing.T) {
	c := mustEmbedded(t)
	rng := rand.New(rand.NewPCG(5, 6))
	start, span := at(t, "2024-11-01").UnixNano(), int64(3*365*24*time.Hour)
	for i := 0; i < 200000; i++ {
		from := time.Unix(0, start+rng.Int64N(span))
		d := time.Duration(1 + rng.Int64N(int64(300*time.Hour)))
		if i%4 == 0 { // whole minutes hit period boundaries often
			from = from.Truncate(30 * time.Minute)
			d = d.Truncate(30*time.Minute) + 30*time.Minute
		}
		to := c.AddWorkHours(from, d)
		from2 := c.NextWorkInstant(from)
		if got := c.WorkBetween(from2, to); got != d {
			t.Fatalf("from=%s d=%v: to=%s, WorkBetween(from'=%s, to) = %v", from.In(Shanghai), d, to, from2, got)
		}
		if got := c.WorkBetween(from, to); got != d {
			t.Fatalf("from=%s d=%v: WorkBetween(from, to) = %v", from.In(Shanghai), d, got)
		}
		if got := c.WorkBetween(from, to.Add(-time.Nanosecond)); got != d-time.Nanosecond {
			t.Fatalf("from=%s d=%v: deadline %s is not the earliest instant", from.In(Shanghai), d, to)
		}
		if !c.IsWorkday(to) || !c.IsWorkday(from2) {
			t.Fatalf("from=%s d=%v: to=%s or from'=%s on a day off", from.In(Shanghai), d, to, from2)
		}
		// And the other way round: AddWorkHours(a, WorkBetween(a, b)) never passes b.
		b := from.Add(time.Duration(rng.Int64N(int64(60 * 24 * time.Hour))))
		if w := c.WorkBetween(from, b); w > 0 {
			if back := c.AddWorkHours(from, w); back.After(b) || c.WorkBetween(back, b) != 0 {
				t.Fatalf("a=%s b=%s w=%v: AddWorkHours(a, w) = %s", from.In(Shanghai), b.In(Shanghai), w, back)
			}
		}
	}
}

func TestNextWorkInstant(t *testing.T) {
	c := mustEmbedded(t)
	tests := []struct{ in, want string }{
		{"2026-03-09 08:30", "2026-03-09 08:30"},
		{"2026-03-09 08:29", "2026-03-09 08:30"},
		{"2026-03-09 11:59", "2026-03-09 11:59"},
		{"2026-03-09 12:00", "2026-03-09 13:30"},
		{"2026-03-09 17:30", "2026-03-10 08:30"},
		{"2026-03-06 18:00", "2026-03-09 08:30"},
		{"2026-09-30 17:45", "2026-10-08 08:30"},
		{"2026-01-03 10:00", "2026-01-04 08:30"},
	}
	for _, tt := range tests {
		if got := c.NextWorkInstant(at(t, tt.in)); !got.Equal(at(t, tt.want)) {
			t.Errorf("NextWorkInstant(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestWithAndLoad(t *testing.T) {
	c := mustEmbedded(t)
	c2030, year, err := c.Load(strings.NewReader(`{"year":2030,"papers":[],"days":[
		{"name":"元旦","date":"2030-01-01","isOffDay":true},
		{"name":"春节","date":"2030-01-05","isOffDay":false}]}`))
	if err != nil || year != 2030 {
		t.Fatal(year, err)
	}
	if got := c2030.Years(); !reflect.DeepEqual(got, []int{2024, 2025, 2026, 2030}) {
		t.Errorf("Years() = %v", got)
	}
	if c2030.IsWorkday(at(t, "2030-01-01")) || !c2030.IsWorkday(at(t, "2030-01-05")) {
		t.Error("loaded 2030 not applied")
	}
	if !c.IsWorkday(at(t, "2030-01-01")) || !reflect.DeepEqual(c.Years(), []int{2024, 2025, 2026}) {
		t.Error("the original calendar changed")
	}
	// The years in between keep the Monday–Friday fallback and the old years their data.
	if !c2030.IsWorkday(at(t, "2028-01-03")) || c2030.IsWorkday(at(t, "2028-01-01")) || c2030.IsWorkday(at(t, "2026-10-01")) {
		t.Error("gap or old years wrong after loading 2030")
	}
	if got, want := c2030.AddWorkdays(at(t, "2029-12-31 10:00"), 1), at(t, "2030-01-02 17:30"); !got.Equal(want) {
		t.Errorf("AddWorkdays over loaded 2030 元旦 = %v, want %v", got, want)
	}
	// Replacing a year replaces all of it.
	c2 := c.With([]Day{{Date: "2026-10-01", Name: "国庆节", Off: true}})
	if c2.IsWorkday(at(t, "2026-10-01")) || !c2.IsWorkday(at(t, "2026-10-02")) || c2.IsWorkday(at(t, "2026-01-04")) {
		t.Error("With did not replace 2026")
	}
	if len(c2.Days(2026)) != 1 || len(c2.Days(2025)) != 33 {
		t.Errorf("Days after With: %d, %d", len(c2.Days(2026)), len(c2.Days(2025)))
	}
	// A calendar without data is Monday–Friday.
	empty := New(nil, WorkHours{}, nil)
	if len(empty.Years()) != 0 || !empty.IsWorkday(at(t, "2026-01-01")) || empty.IsWorkday(at(t, "2026-01-04")) {
		t.Error("empty calendar is not Monday–Friday")
	}
	if got, want := empty.AddWorkdays(at(t, "2026-09-30 10:00"), 5), at(t, "2026-10-07 17:30"); !got.Equal(want) {
		t.Errorf("empty AddWorkdays = %v, want %v", got, want)
	}
}

func TestCustomHoursAndLocation(t *testing.T) {
	utc := New([]Day{{Date: "2026-10-01", Name: "x", Off: true}}, WorkHours{Periods: [][2]time.Duration{{9 * time.Hour, 17 * time.Hour}}}, time.UTC)
	from := time.Date(2026, 9, 30, 16, 0, 0, 0, time.UTC)
	if got, want := utc.AddWorkHours(from, 2*time.Hour), time.Date(2026, 10, 2, 10, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("UTC 9–17 AddWorkHours = %v, want %v", got, want)
	}
	if got, want := utc.AddWorkdays(from, 1), time.Date(2026, 10, 2, 17, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("UTC 9–17 AddWorkdays = %v, want %v", got, want)
	}
	for _, bad := range []WorkHours{
		{Periods: [][2]time.Duration{{10 * time.Hour, 9 * time.Hour}}},
		{Periods: [][2]time.Duration{{9 * time.Hour, 12 * time.Hour}, {11 * time.Hour, 13 * time.Hour}}},
		{Periods: [][2]time.Duration{{20 * time.Hour, 25 * time.Hour}}},
	} {
		if bad.Validate() == nil {
			t.Errorf("%v validated", bad)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New accepted %v", bad)
				}
			}()
			New(nil, bad, nil)
		}()
	}
	if got := DefaultWorkHours().Total(); got != 7*time.Hour+30*time.Minute {
		t.Errorf("default hours total %v", got)
	}
}

func TestConcurrentUse(t *testing.T) {
	c := mustEmbedded(t)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, seed))
			for i := 0; i < 2000; i++ {
				from := time.Unix(1735660800+rng.Int64N(2*365*86400), 0)
				c.AddWorkdays(from, 5)
				c.AddWorkHours(from, 4*time.Hour)
				c.WorkBetween(from, from.Add(72*time.Hour))
				if i == 1000 {
					c.With(nil).Years()
				}
			}
		}(uint64(g))
	}
	wg.Wait()
}

func TestParseEmbeddedFiles(t *testing.T) {
	for _, y := range []int{2024, 2025, 2026} {
		f, err := os.Open(filepath.Join("holidays", itoa(y)+".json"))
		if err != nil {
			t.Fatal(err)
		}
		year, days, err := Parse(f)
		f.Close()
		if err != nil || year != y || len(days) == 0 {
			t.Errorf("%d: year %d, %d days, %v", y, year, len(days), err)
		}
	}
}

func itoa(i int) string { return time.Date(i, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006") }

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		index  int
		zh, en string // substrings the messages must contain
	}{
		{"not JSON", `{"year":2026,"days":[`, -1, "不是有效的 JSON", "not valid JSON"},
		{"not JSON at all", `year: 2026`, -1, "不是有效的 JSON", "not valid JSON"},
		{"top level array", `[{"date":"2026-01-01"}]`, -1, "顶层必须是 JSON 对象", "top level must be a JSON object"},
		{"date outside the year", `{"year":2026,"days":[{"name":"元旦","date":"2026-01-01","isOffDay":true},{"name":"元旦","date":"2025-12-31","isOffDay":true}]}`,
			1, "days[1]（2025-12-31）：日期不在 2026 年内", "days[1] (2025-12-31): date is outside the year 2026"},
		{"duplicate date", `{"year":2026,"days":[{"name":"元旦","date":"2026-01-01","isOffDay":true},{"name":"a","date":"2026-01-02","isOffDay":true},{"name":"元旦","date":"2026-01-01","isOffDay":false}]}`,
			2, "days[2]（2026-01-01）：日期与 days[0] 重复", "days[2] (2026-01-01): date repeats days[0]"},
		{"missing isOffDay", `{"year":2026,"days":[{"name":"元旦","date":"2026-01-01"}]}`,
			0, "days[0]（2026-01-01）：缺少字段 isOffDay", "days[0] (2026-01-01): missing field isOffDay"},
		{"null isOffDay", `{"year":2026,"days":[{"name":"元旦","date":"2026-01-01","isOffDay":null}]}`,
			0, "days[0]（2026-01-01）：isOffDay 必须是 true 或 false", "isOffDay must be true or false"},
		{"string isOffDay", `{"year":2026,"days":[{"name":"元旦","date":"2026-01-01","isOffDay":"true"}]}`,
			0, "isOffDay 必须是 true 或 false", "days[0] (2026-01-01): isOffDay must be true or false"},
		{"unknown entry field", `{"year":2026,"days":[{"name":"元旦","date":"2026-01-01","isOffDay":true,"note":"x"}]}`,
			0, "days[0]（2026-01-01）：未知字段 \"note\"", "days[0] (2026-01-01): unknown field \"note\""},
		{"wrong case", `{"year":2026,"days":[{"name":"元旦","date":"2026-01-01","isoffday":true}]}`,
			0, "未知字段 \"isoffday\"", "unknown field \"isoffday\""},
		{"repeated key", `{"year":2026,"days":[{"name":"元旦","date":"2026-01-01","isOffDay":true,"isOffDay":false}]}`,
			0, "days[0]：字段 \"isOffDay\" 重复", "days[0]: field \"isOffDay\" appears twice"},
		{"unknown top field", `{"year":2026,"days":[{"name":"元旦","date":"2026-01-01","isOffDay":true}],"extra":1}`,
			-1, "未知字段 \"extra\"", "unknown field \"extra\""},
		{"missing date", `{"year":2026,"days":[{"name":"元旦","isOffDay":true}]}`, 0, "days[0]：缺少字段 date", "days[0]: missing field date"},
		{"missing name", `{"year":2026,"days":[{"date":"2026-01-01","isOffDay":true}]}`, 0, "缺少节日名称", "days[0] (2026-01-01): missing name"},
		{"bad date", `{"year":2026,"days":[{"name":"x","date":"2026-02-30","isOffDay":true}]}`, 0, "days[0]（2026-02-30）：日期无效", "days[0] (2026-02-30): invalid date"},
		{"short date", `{"year":2026,"days":[{"name":"x","date":"2026-1-1","isOffDay":true}]}`, 0, "日期无效", "days[0] (2026-1-1): invalid date"},
		{"entry not object", `{"year":2026,"days":[{"name":"x","date":"2026-01-01","isOffDay":true},"2026-01-02"]}`, 1, "days[1]：必须是 JSON 对象", "days[1]: must be a JSON object"},
		{"missing year", `{"days":[{"name":"x","date":"2026-01-01","isOffDay":true}]}`, -1, "缺少字段 year", "missing field year"},
		{"year as string", `{"year":"2026","days":[{"name":"x","date":"2026-01-01","isOffDay":true}]}`, -1, "year 必须是整数", "year must be an integer"},
		{"year out of range", `{"year":12026,"days":[]}`, -1, "超出范围", "outside 1900–2199"},
		{"missing days", `{"year":2026}`, -1, "缺少字段 days", "missing field days"},
		{"empty days", `{"year":2026,"days":[]}`, -1, "2026 年的 days 为空", "days of 2026 is empty"},
		{"papers not strings", `{"year":2026,"papers":[1],"days":[{"name":"x","date":"2026-01-01","isOffDay":true}]}`, -1, "papers", "papers must be an array of strings"},
		{"trailing data", `{"year":2026,"days":[{"name":"x","date":"2026-01-01","isOffDay":true}]} {}`, -1, "不是有效的 JSON", "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Parse(strings.NewReader(tt.in))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if e.Index != tt.index || !strings.Contains(e.Msg, tt.zh) || !strings.Contains(e.MsgEN, tt.en) {
				t.Errorf("got Index=%d Msg=%q MsgEN=%q; want Index=%d, %q, %q", e.Index, e.Msg, e.MsgEN, tt.index, tt.zh, tt.en)
			}
			if !strings.HasPrefix(e.Error(), "workcal: ") {
				t.Errorf("Error() = %q", e.Error())
			}
		})
	}
}

func TestParseTooLarge(t *testing.T) {
	_, _, err := Parse(strings.NewReader(`{"year":2026,"papers":["` + strings.Repeat("x", maxFileBytes) + `"],"days":[]}`))
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(e.MsgEN, "larger than 1 MiB") {
		t.Errorf("err = %v", err)
	}
}

// ---- benchmarks ----

func randomInstants(n int) []time.Time {
	rng := rand.New(rand.NewPCG(7, 8))
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, Shanghai).Unix()
	out := make([]time.Time, n)
	for i := range out {
		out[i] = time.Unix(start+rng.Int64N(2*365*86400), 0)
	}
	return out
}

var sinkTime time.Time
var sinkDur time.Duration

func BenchmarkDeadline(b *testing.B) {
	c := mustEmbedded(b)
	from := randomInstants(4096)
	b.Run("AddWorkdays5", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			sinkTime = c.AddWorkdays(from[i&4095], 5)
		}
	})
	b.Run("AddWorkdays15", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			sinkTime = c.AddWorkdays(from[i&4095], 15)
		}
	})
	b.Run("AddWorkHours4h", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			sinkTime = c.AddWorkHours(from[i&4095], 4*time.Hour)
		}
	})
}

func BenchmarkWorkBetween(b *testing.B) {
	c := mustEmbedded(b)
	from := randomInstants(4096)
	rng := rand.New(rand.NewPCG(9, 10))
	to := make([]time.Time, len(from))
	for i := range to {
		to[i] = from[i].Add(time.Duration(rng.Int64N(int64(60 * 24 * time.Hour))))
	}
	for i := 0; b.Loop(); i++ {
		sinkDur = c.WorkBetween(from[i&4095], to[i&4095])
	}
}

func BenchmarkIsWorkday(b *testing.B) {
	c := mustEmbedded(b)
	from := randomInstants(4096)
	n := 0
	for i := 0; b.Loop(); i++ {
		if c.IsWorkday(from[i&4095]) {
			n++
		}
	}
	_ = n
}

// A zone with daylight saving time takes the slow path of wall-clock
// conversion; deadlines must still land on 17:30 local.
func TestDaylightSavingZone(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tz database:", err)
	}
	c := New(nil, WorkHours{}, ny)
	from := time.Date(2026, 3, 6, 16, 0, 0, 0, ny) // Friday before DST starts on Sunday 8 March
	if got, want := c.AddWorkdays(from, 1), time.Date(2026, 3, 9, 17, 30, 0, 0, ny); !got.Equal(want) {
		t.Errorf("AddWorkdays over DST = %v, want %v", got, want)
	}
	if got, want := c.AddWorkHours(from, 2*time.Hour), time.Date(2026, 3, 9, 9, 0, 0, 0, ny); !got.Equal(want) {
		t.Errorf("AddWorkHours over DST = %v, want %v", got, want)
	}
	if got := c.WorkBetween(from, time.Date(2026, 3, 9, 9, 0, 0, 0, ny)); got != 2*time.Hour {
		t.Errorf("WorkBetween over DST = %v", got)
	}
}
