// Package workcal owns working time: the official holiday calendar with make-up working days, and deadlines counted in working days or working hours.
//
// A day is a working day when the calendar lists it with isOffDay false (a
// make-up working day, 调休), or when it is Monday–Friday and not listed with
// isOffDay true. Years without data fall back to Monday–Friday.
//
// All arithmetic is O(1) or O(log n): the calendar keeps, for the span of years
// it has data for, a running count of working days; outside that span the count
// has a closed form over whole weeks. Nothing loops by minute, hour or day.
//
// Times are taken on the wall clock of the calendar's location (China Standard
// Time by default; China has no daylight saving time).
package workcal

import (
	"bytes"
	"embed"
	"fmt"
	"io"
	"math"
	"sort"
	"time"
)

//go:embed holidays/*.json
var embedded embed.FS

// Shanghai is China Standard Time, UTC+8 all year (no DST since 1991). It is
// a fixed zone so that the package does not depend on the system tz database.
var Shanghai = time.FixedZone("CST", 8*60*60)

// Day is one entry of the official calendar: a holiday (Off) or a make-up
// working day (!Off). Date is "2006-01-02".
type Day struct {
	Date string
	Name string
	Off  bool
}

// WorkHours are the working periods of a working day as offsets from local
// midnight, in order and not overlapping.
type WorkHours struct {
	Periods [][2]time.Duration
}

// DefaultWorkHours are China government office hours, 08:30–12:00 and 13:30–17:30.
func DefaultWorkHours() WorkHours {
	return WorkHours{Periods: [][2]time.Duration{
		{8*time.Hour + 30*time.Minute, 12 * time.Hour},
		{13*time.Hour + 30*time.Minute, 17*time.Hour + 30*time.Minute},
	}}
}

// Validate reports whether the periods are non-empty, inside one day, each
// non-empty, in order and not overlapping.
func (w WorkHours) Validate() error {
	if len(w.Periods) == 0 {
		return fmt.Errorf("workcal: no working periods")
	}
	prev := time.Duration(0)
	for i, p := range w.Periods {
		if p[0] < prev || p[1] <= p[0] || p[1] > 24*time.Hour {
			return fmt.Errorf("workcal: working period %d (%v–%v) is empty, overlaps the previous one or leaves the day", i, p[0], p[1])
		}
		prev = p[1]
	}
	return nil
}

// Total is the working time in one working day.
func (w WorkHours) Total() time.Duration {
	var t time.Duration
	for _, p := range w.Periods {
		t += p[1] - p[0]
	}
	return t
}

// Calendar is an immutable working-time calendar; it is safe for concurrent use.
type Calendar struct {
	loc     *time.Location
	periods [][2]time.Duration
	perDay  time.Duration // working time in one working day
	dayEnd  time.Duration // end of the last period

	years map[int][]Day // as given, sorted by date
	exc   map[int64]Day // day number → entry
	lo    int64         // first day number of the table (1 January of the first year)
	hi    int64         // one past the last day of the table
	cum   []int32       // cum[i] = working days in [lo, lo+i); len hi-lo+1
	mfLo  int64         // mf(lo)
	mfHi  int64         // mf(hi)
	top   int64         // rank(hi)
}

// New builds a calendar from official days (of any number of years), working
// hours (the zero value means DefaultWorkHours) and a location (nil means
// Shanghai). A year counts as covered when at least one of its days is given;
// when a date is given twice the later entry wins. New panics on a malformed
// date, a year outside [MinYear, MaxYear] or invalid hours: days from Parse
// are always valid.
func New(days []Day, hours WorkHours, loc *time.Location) *Calendar {
	if len(hours.Periods) == 0 {
		hours = DefaultWorkHours()
	}
	if err := hours.Validate(); err != nil {
		panic(err)
	}
	if loc == nil {
		loc = Shanghai
	}
	c := &Calendar{
		loc:     loc,
		periods: append([][2]time.Duration(nil), hours.Periods...),
		perDay:  hours.Total(),
		dayEnd:  hours.Periods[len(hours.Periods)-1][1],
		years:   map[int][]Day{},
	}
	c.addDays(days)
	c.build()
	return c
}

// Embedded returns a calendar of the official years embedded in the binary
// (2024–2026), with default hours in Shanghai time.
func Embedded() (*Calendar, error) {
	entries, err := embedded.ReadDir("holidays")
	if err != nil {
		return nil, err
	}
	var all []Day
	for _, e := range entries {
		b, err := embedded.ReadFile("holidays/" + e.Name())
		if err != nil {
			return nil, err
		}
		year, days, err := Parse(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("embedded %s: %w", e.Name(), err)
		}
		if want := e.Name(); want != fmt.Sprintf("%d.json", year) {
			return nil, fmt.Errorf("embedded %s holds the year %d", want, year)
		}
		all = append(all, days...)
	}
	return New(all, WorkHours{}, nil), nil
}

// With returns a new calendar in which every year that days touches is
// replaced by (or added as) exactly those days; other years are kept. c is
// unchanged. It panics like New on malformed days.
func (c *Calendar) With(days []Day) *Calendar {
	n := &Calendar{
		loc:     c.loc,
		periods: c.periods,
		perDay:  c.perDay,
		dayEnd:  c.dayEnd,
		years:   make(map[int][]Day, len(c.years)+1),
	}
	replaced := map[int]bool{}
	for _, d := range days {
		replaced[mustDate(d.Date).Year()] = true
	}
	for y, ds := range c.years {
		if !replaced[y] {
			n.years[y] = ds
		}
	}
	n.addDays(days)
	n.build()
	return n
}

// Load parses one year (see Parse) and returns a calendar with that year
// added or replaced.
func (c *Calendar) Load(r io.Reader) (*Calendar, int, error) {
	year, days, err := Parse(r)
	if err != nil {
		return nil, 0, err
	}
	return c.With(days), year, nil
}

// Years lists the years the calendar has official data for, ascending.
func (c *Calendar) Years() []int {
	ys := make([]int, 0, len(c.years))
	for y := range c.years {
		ys = append(ys, y)
	}
	sort.Ints(ys)
	return ys
}

// Days returns the official entries of one year, by date (nil if the year is
// not covered).
func (c *Calendar) Days(year int) []Day {
	return append([]Day(nil), c.years[year]...)
}

// Location is the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// Hours returns a copy of the calendar's working periods.
func (c *Calendar) Hours() WorkHours {
	return WorkHours{Periods: append([][2]time.Duration(nil), c.periods...)}
}

// Lookup returns the official entry for t's day, if there is one (a holiday,
// or a make-up working day; its Name is e.g. "国庆节").
func (c *Calendar) Lookup(t time.Time) (Day, bool) {
	day, _, _ := c.split(t)
	d, ok := c.exc[day]
	return d, ok
}

func mustDate(s string) time.Time {
	t, err := time.Parse(dateLayout, s)
	if err != nil || t.Format(dateLayout) != s {
		panic(fmt.Sprintf("workcal: malformed date %q", s))
	}
	if t.Year() < MinYear || t.Year() > MaxYear {
		panic(fmt.Sprintf("workcal: date %s outside %d–%d", s, MinYear, MaxYear))
	}
	return t
}

// addDays merges days into c.years (later entries win).
func (c *Calendar) addDays(days []Day) {
	fresh := map[int]map[string]Day{}
	for _, d := range days {
		y := mustDate(d.Date).Year()
		if fresh[y] == nil {
			fresh[y] = map[string]Day{}
		}
		fresh[y][d.Date] = d
	}
	for y, m := range fresh {
		ds := make([]Day, 0, len(m))
		for _, d := range m {
			ds = append(ds, d)
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i].Date < ds[j].Date })
		c.years[y] = ds
	}
}

// build precomputes the exception map and the running count of working days.
func (c *Calendar) build() {
	c.exc = map[int64]Day{}
	first, last := 0, -1
	for y, ds := range c.years {
		if last < first || y < first {
			first = y
		}
		if last < first || y > last {
			last = y
		}
		for _, d := range ds {
			c.exc[civilDay(mustDate(d.Date))] = d
		}
	}
	if last < first { // no data: Monday–Friday everywhere
		c.lo, c.hi = 0, 0
	} else {
		c.lo = civilDay(time.Date(first, 1, 1, 0, 0, 0, 0, time.UTC))
		c.hi = civilDay(time.Date(last+1, 1, 1, 0, 0, 0, 0, time.UTC))
	}
	c.cum = make([]int32, c.hi-c.lo+1)
	for i := int64(0); i < c.hi-c.lo; i++ {
		day := c.lo + i
		work := isMonFri(day)
		if d, ok := c.exc[day]; ok {
			work = !d.Off
		}
		c.cum[i+1] = c.cum[i]
		if work {
			c.cum[i+1]++
		}
	}
	c.mfLo, c.mfHi = mf(c.lo), mf(c.hi)
	c.top = c.mfLo + int64(c.cum[len(c.cum)-1])
}

// ---- day arithmetic on day numbers (days since 1970-01-01, a Thursday) ----

func civilDay(t time.Time) int64 { return floorDiv(t.Unix(), 86400) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func isMonFri(day int64) bool {
	wd := (day%7 + 7 + 4) % 7 // 0 = Sunday
	return wd != 0 && wd != 6
}

// mfPrefix[r]: Monday–Friday days among the first r days of a week starting on Thursday.
var mfPrefix = [8]int64{0, 1, 2, 2, 2, 3, 4, 5}

// mfOffset[r]: the r-th (0-based) Monday–Friday day of a week starting on Thursday.
var mfOffset = [5]int64{0, 1, 4, 5, 6}

// mf counts Monday–Friday days in [0, x) (negative for x < 0).
func mf(x int64) int64 {
	w := floorDiv(x, 7)
	return 5*w + mfPrefix[x-7*w]
}

// mfSelect is the Monday–Friday day d with mf(d) == m.
func mfSelect(m int64) int64 {
	w := floorDiv(m, 5)
	return 7*w + mfOffset[m-5*w]
}

// rank counts working days in [0, x) (negative for x < 0).
func (c *Calendar) rank(x int64) int64 {
	switch {
	case x <= c.lo:
		return mf(x)
	case x >= c.hi:
		return mf(x) - c.mfHi + c.top
	default:
		return c.mfLo + int64(c.cum[x-c.lo])
	}
}

// sel is the working day d with rank(d) == m.
func (c *Calendar) sel(m int64) int64 {
	switch {
	case m < c.mfLo:
		return mfSelect(m)
	case m >= c.top:
		return mfSelect(m - c.top + c.mfHi)
	}
	k := int32(m - c.mfLo)
	// Smallest i with cum[i+1] > k, by bisection (the table spans at most a
	// few hundred years, so about 17 steps at worst, 10 for three years).
	i, j := 0, len(c.cum)-1
	for i < j {
		h := int(uint(i+j) >> 1)
		if c.cum[h+1] > k {
			j = h
		} else {
			i = h + 1
		}
	}
	return c.lo + int64(i)
}

func (c *Calendar) isWork(day int64) bool {
	if day >= c.lo && day < c.hi {
		i := day - c.lo
		return c.cum[i+1] != c.cum[i]
	}
	return isMonFri(day)
}

// split gives t's local day number, wall-clock offset from local midnight
// and zone offset.
func (c *Calendar) split(t time.Time) (int64, time.Duration, int) {
	t = t.In(c.loc)
	_, off := t.Zone()
	s := t.Unix() + int64(off)
	day := floorDiv(s, 86400)
	return day, time.Duration(s-day*86400)*time.Second + time.Duration(t.Nanosecond()), off
}

// at is the instant at wall-clock offset sod of local day number day. off is
// a guess of the zone offset there (seconds east of UTC): when it is right, as
// it always is in a fixed zone, this avoids the slower time.Date.
func (c *Calendar) at(day int64, sod time.Duration, off int) time.Time {
	t := time.Unix(day*86400-int64(off), int64(sod)).In(c.loc)
	if _, o := t.Zone(); o == off {
		return t
	}
	return time.Date(1970, 1, 1+int(day), 0, 0, 0, int(sod), c.loc)
}

// worked is the working time of a working day elapsed by wall-clock offset sod.
func (c *Calendar) worked(sod time.Duration) time.Duration {
	var w time.Duration
	for _, p := range c.periods {
		if sod <= p[0] {
			break
		}
		w += min(sod, p[1]) - p[0]
	}
	return w
}

// instantOf is the earliest wall-clock offset by which w (0 < w <= perDay) of
// working time has elapsed.
func (c *Calendar) instantOf(w time.Duration) time.Duration {
	for _, p := range c.periods {
		l := p[1] - p[0]
		if w <= l {
			return p[0] + w
		}
		w -= l
	}
	return c.dayEnd
}

// ---- public working-time API ----

// IsWorkday reports whether t's day (in the calendar's location) is a working day.
func (c *Calendar) IsWorkday(t time.Time) bool {
	day, _, _ := c.split(t)
	return c.isWork(day)
}

// maxDays bounds day counts so that arithmetic cannot overflow.
const maxDays = 1 << 30

// AddWorkdays is the deadline n working days after from: the end of the last
// working period (17:30) of the n-th working day after from's day. The time
// of day of from does not matter: a case received on Friday at 16:00 (or at
// 20:00, or on Saturday) with n = 1 is due on Monday at 17:30 when Monday is a
// working day. n = 0 is the end of from's day if it is a working day, else of
// the next working day. n < 0 counts back: the end of the |n|-th working day
// before from's day.
func (c *Calendar) AddWorkdays(from time.Time, n int) time.Time {
	day, _, off := c.split(from)
	nn := int64(max(min(n, maxDays), -maxDays))
	var m int64
	switch {
	case nn > 0:
		m = c.rank(day+1) + nn - 1
	case nn == 0:
		m = c.rank(day)
	default:
		m = c.rank(day) + nn
	}
	return c.at(c.sel(m), c.dayEnd, off)
}

// NextWorkInstant is t when t falls inside a working period of a working day
// (start included, end excluded), else the start of the next working period.
func (c *Calendar) NextWorkInstant(t time.Time) time.Time {
	day, sod, off := c.split(t)
	if c.isWork(day) {
		for _, p := range c.periods {
			if sod < p[0] {
				return c.at(day, p[0], off)
			}
			if sod < p[1] {
				return t
			}
		}
	}
	return c.at(c.sel(c.rank(day+1)), c.periods[0][0], off)
}

// AddWorkHours is the instant at which d of working time has elapsed since
// from, counting only time inside working periods of working days. Starting
// outside working hours counts from the next period start; a deadline that
// falls exactly at the end of a period is that end (12:00, not 13:30). d <= 0
// gives NextWorkInstant(from).
func (c *Calendar) AddWorkHours(from time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return c.NextWorkInstant(from)
	}
	day, sod, off := c.split(from)
	var r time.Duration // working time to cover, counted from the start of the working day rank(day)
	if c.isWork(day) {
		r = c.worked(sod)
	}
	r += min(d, math.MaxInt64-24*time.Hour)
	k := int64((r - 1) / c.perDay) // whole working days passed; 0 < rest <= perDay
	rest := r - time.Duration(k)*c.perDay
	return c.at(c.sel(c.rank(day)+k), c.instantOf(rest), off)
}

// WorkBetween is the working time between a and b: the time inside working
// periods of working days; 0 if b <= a.
func (c *Calendar) WorkBetween(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	da, sa, _ := c.split(a)
	db, sb, _ := c.split(b)
	var wa, wb time.Duration
	if c.isWork(da) {
		wa = c.worked(sa)
	}
	if c.isWork(db) {
		wb = c.worked(sb)
	}
	days := c.rank(db) - c.rank(da)
	if days >= int64(math.MaxInt64/c.perDay)-1 {
		return math.MaxInt64
	}
	return time.Duration(days)*c.perDay + wb - wa
}

// WorkdaysBetween counts the working days strictly after a's day up to and
// including b's day; 0 if b's day is not after a's day.
func (c *Calendar) WorkdaysBetween(a, b time.Time) int {
	da, _, _ := c.split(a)
	db, _, _ := c.split(b)
	if db <= da {
		return 0
	}
	return int(c.rank(db+1) - c.rank(da+1))
}
