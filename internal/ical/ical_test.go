package ical

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var cst = time.FixedZone("CST", 8*60*60)

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "社区义诊", "社区义诊"},
		{"empty", "", ""},
		{"backslash", `C:\path`, `C:\\path`},
		{"semicolon", "a;b", `a\;b`},
		{"comma", "一,二，三", `一\,二，三`}, // the full-width comma is text, not a separator
		{"newline", "第一行\n第二行", `第一行\n第二行`},
		{"crlf is one newline", "a\r\nb", `a\nb`},
		{"lone cr", "a\rb", `a\nb`},
		{"trailing newline", "a\n", `a\n`},
		{"all at once", "\\;,\n", `\\\;\,\n`},
		{"escape sequences are literal", `\n`, `\\n`},
		{"tab kept", "a\tb", "a\tb"},
		{"controls dropped", "a\x00b\x1bc\x7fd", "abcd"},
		{"invalid utf-8 replaced", "a\xffb", "a\uFFFDb"},
		{"colon untouched", "时间: 9:00", "时间: 9:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := escape(tc.in); got != tc.want {
				t.Errorf("escape(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestFold(t *testing.T) {
	zh := func(n int) string { return strings.Repeat("中", n) } // 3 octets each
	for _, tc := range []struct {
		name string
		in   string
		want []string // physical lines without CRLF
	}{
		{"empty", "", []string{""}},
		{"short", "SUMMARY:义诊", []string{"SUMMARY:义诊"}},
		{"exactly 75", strings.Repeat("a", 75), []string{strings.Repeat("a", 75)}},
		{"76 ascii", strings.Repeat("a", 76), []string{strings.Repeat("a", 75), " a"}},
		{"continuations hold 74", strings.Repeat("a", 75+74+1),
			[]string{strings.Repeat("a", 75), " " + strings.Repeat("a", 74), " a"}},
		{"25 chinese fit", zh(25), []string{zh(25)}},
		{"26 chinese", zh(26), []string{zh(25), " 中"}},
		// Octet 75 is the middle of the 25th character: it moves to the next line.
		{"no split inside a character", "a" + zh(26), []string{"a" + zh(24), " " + zh(2)}},
		{"four-octet characters", strings.Repeat("😀", 20), []string{strings.Repeat("😀", 18), " " + strings.Repeat("😀", 2)}},
		{"spaces survive at the cut", strings.Repeat("a", 75) + "  b", []string{strings.Repeat("a", 75), "   b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := string(fold(nil, []byte(tc.in)))
			want := strings.Join(tc.want, "\r\n") + "\r\n"
			if got != want {
				t.Errorf("fold(%q) =\n%q\nwant\n%q", tc.in, got, want)
			}
			checkLines(t, got)
			if u := unfold(got); u != tc.in+"\r\n" {
				t.Errorf("unfold(fold(%q)) = %q", tc.in, u)
			}
		})
	}
}

// checkLines checks the physical lines of an iCalendar stream: CRLF endings
// only, at most 75 octets, valid UTF-8.
func checkLines(t *testing.T, s string) {
	t.Helper()
	if !strings.HasSuffix(s, "\r\n") {
		t.Errorf("stream does not end in CRLF: %q", s)
	}
	for i, l := range strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n") {
		if strings.ContainsAny(l, "\r\n") {
			t.Errorf("line %d has a bare CR or LF: %q", i+1, l)
		}
		if len(l) > maxLine {
			t.Errorf("line %d has %d octets: %q", i+1, len(l), l)
		}
		if !utf8.ValidString(l) {
			t.Errorf("line %d is not valid UTF-8: %q", i+1, l)
		}
	}
}

// unfold undoes folding as RFC 5545 §3.1 says: a CRLF followed by one space
// or tab is removed.
func unfold(s string) string {
	s = strings.ReplaceAll(s, "\r\n ", "")
	return strings.ReplaceAll(s, "\r\n\t", "")
}

// unescape is the reading side of escape.
func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n', 'N':
				b.WriteByte('\n')
			default:
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// splitList splits a CATEGORIES value at the commas that are not escaped.
func splitList(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case ',':
			out = append(out, unescape(s[start:i]))
			start = i + 1
		}
	}
	return append(out, unescape(s[start:]))
}

// calendar is a parsed VCALENDAR: its own properties and its events'.
type calendar struct {
	props  []string // NAME:value lines of the calendar, in order
	events []map[string]string
}

// parse is a small reader of what Writer writes (no parameters, one value a
// property): it checks the line discipline, unfolds and splits components.
func parse(t *testing.T, s string) calendar {
	t.Helper()
	checkLines(t, s)
	lines := strings.Split(strings.TrimSuffix(unfold(s), "\r\n"), "\r\n")
	if lines[0] != "BEGIN:VCALENDAR" || lines[len(lines)-1] != "END:VCALENDAR" {
		t.Fatalf("not one VCALENDAR: first %q, last %q", lines[0], lines[len(lines)-1])
	}
	var cal calendar
	var ev map[string]string
	for _, l := range lines[1 : len(lines)-1] {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			t.Fatalf("line without a colon: %q", l)
		}
		switch {
		case l == "BEGIN:VEVENT":
			if ev != nil {
				t.Fatalf("nested VEVENT")
			}
			ev = map[string]string{}
		case l == "END:VEVENT":
			if ev == nil {
				t.Fatalf("END:VEVENT without BEGIN")
			}
			cal.events = append(cal.events, ev)
			ev = nil
		case ev != nil:
			if _, dup := ev[name]; dup {
				t.Fatalf("property %s twice in one event", name)
			}
			ev[name] = value
		default:
			cal.props = append(cal.props, l)
		}
	}
	if ev != nil {
		t.Fatalf("VEVENT not ended")
	}
	return cal
}

func TestRoundTrip(t *testing.T) {
	long := strings.Repeat("本次活动面向辖区居民，提供血压测量、用药咨询与健康讲座；请携带医保卡。\n", 6)
	events := []Event{
		{
			UID:         "act-01J8Z6K3@civicgrid",
			Start:       time.Date(2026, 3, 5, 9, 0, 0, 0, cst),
			End:         time.Date(2026, 3, 5, 11, 30, 0, 0, cst),
			Stamp:       time.Date(2026, 2, 20, 8, 0, 0, 0, time.UTC),
			Summary:     "学雷锋日 · 社区义诊; 志愿者招募, 第2期",
			Description: long + `路径 C:\temp 不是转义`,
			Location:    "青年路社区服务中心（二楼）",
			URL:         "https://example.org/activities/01J8Z6K3?x=1;y=2,3",
			Categories:  []string{"医疗卫生", "社区服务, 便民", " ", ""},
			Lat:         39.9087243, Lng: 116.3974795, HasGeo: true,
			Status: "CONFIRMED",
		},
		{
			UID:    "act-2@civicgrid",
			Start:  time.Date(2026, 3, 7, 14, 0, 0, 0, cst),
			Stamp:  time.Date(2026, 2, 20, 8, 0, 0, 0, time.UTC),
			Status: "CANCELLED",
		},
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, "-//civicgrid//activities//ZH", "志愿活动, 青年路街道")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if err := w.Event(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	cal := parse(t, buf.String())

	wantProps := []string{
		"VERSION:2.0",
		"PRODID:-//civicgrid//activities//ZH",
		"CALSCALE:GREGORIAN",
		`X-WR-CALNAME:志愿活动\, 青年路街道`,
		"X-WR-TIMEZONE:Asia/Shanghai",
	}
	if !reflect.DeepEqual(cal.props, wantProps) {
		t.Errorf("calendar properties:\n%q\nwant\n%q", cal.props, wantProps)
	}
	if len(cal.events) != 2 {
		t.Fatalf("%d events, want 2", len(cal.events))
	}

	e0 := cal.events[0]
	for name, want := range map[string]string{
		"UID":     "act-01J8Z6K3@civicgrid",
		"DTSTART": "20260305T010000Z",
		"DTEND":   "20260305T033000Z",
		"DTSTAMP": "20260220T080000Z",
		"GEO":     "39.908724;116.39748",
		"URL":     "https://example.org/activities/01J8Z6K3?x=1;y=2,3", // a URI, not TEXT: not escaped
		"STATUS":  "CONFIRMED",
	} {
		if e0[name] != want {
			t.Errorf("%s = %q, want %q", name, e0[name], want)
		}
	}
	for name, want := range map[string]string{
		"SUMMARY":     events[0].Summary,
		"DESCRIPTION": events[0].Description,
		"LOCATION":    events[0].Location,
	} {
		if got := unescape(e0[name]); got != want {
			t.Errorf("%s round-trips to %q, want %q", name, got, want)
		}
	}
	if got, want := splitList(e0["CATEGORIES"]), []string{"医疗卫生", "社区服务, 便民"}; !reflect.DeepEqual(got, want) {
		t.Errorf("CATEGORIES = %q, want %q", got, want)
	}

	e1 := cal.events[1]
	want1 := map[string]string{
		"UID": "act-2@civicgrid", "DTSTAMP": "20260220T080000Z", "DTSTART": "20260307T060000Z", "STATUS": "CANCELLED",
	}
	if !reflect.DeepEqual(e1, want1) {
		t.Errorf("minimal event = %v, want %v (no empty properties)", e1, want1)
	}
}

func TestInvalidEvents(t *testing.T) {
	ok := Event{UID: "u", Start: time.Date(2026, 1, 1, 9, 0, 0, 0, cst), Stamp: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	for _, tc := range []struct {
		name string
		mod  func(e *Event)
		want string
	}{
		{"no UID", func(e *Event) { e.UID = " " }, "UID"},
		{"no start", func(e *Event) { e.Start = time.Time{} }, "DTSTART"},
		{"no stamp", func(e *Event) { e.Stamp = time.Time{} }, "DTSTAMP"},
		{"end before start", func(e *Event) { e.End = e.Start.Add(-time.Hour) }, "DTEND"},
		{"end at start", func(e *Event) { e.End = e.Start }, "DTEND"},
		{"unknown status", func(e *Event) { e.Status = "TENTATIVE" }, "STATUS"},
		{"latitude", func(e *Event) { e.HasGeo, e.Lat = true, 91 }, "GEO"},
		{"longitude NaN", func(e *Event) { e.HasGeo, e.Lng = true, nan() }, "GEO"},
		{"URL with newline", func(e *Event) { e.URL = "https://x.org/\r\nSTATUS:CANCELLED" }, "URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewWriter(&buf, "-//t//t//EN", "t")
			if err != nil {
				t.Fatal(err)
			}
			e := ok
			tc.mod(&e)
			err = w.Event(e)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Event() error = %v, want one naming %s", err, tc.want)
			}
			// The writer stays usable and the calendar well-formed.
			if err := w.Event(ok); err != nil {
				t.Fatalf("valid event after an invalid one: %v", err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if n := len(parse(t, buf.String()).events); n != 1 {
				t.Errorf("%d events written, want only the valid one", n)
			}
		})
	}
}

func nan() float64 { return math.NaN() }

func TestNewWriterNeedsProdID(t *testing.T) {
	if _, err := NewWriter(&bytes.Buffer{}, "", "x"); err == nil {
		t.Error("NewWriter accepted an empty PRODID")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrorsAreSticky(t *testing.T) {
	w, err := NewWriter(failWriter{}, "-//t//t//EN", "t")
	if err != nil {
		t.Fatal(err) // buffered: nothing reached the writer yet
	}
	e := Event{UID: "u", Start: time.Unix(0, 0), Stamp: time.Unix(0, 0), Description: strings.Repeat("长", 5000)}
	if err := w.Event(e); err == nil {
		t.Fatal("Event() past the buffer size did not report the write error")
	}
	if err := w.Close(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Close() = %v, want the write error", err)
	}
}

func TestClose(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, "-//t//t//EN", "")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close() = %v", err)
	}
	if err := w.Event(Event{UID: "u", Start: time.Unix(0, 0), Stamp: time.Unix(0, 0)}); err == nil {
		t.Error("Event() after Close() succeeded")
	}
	cal := parse(t, buf.String())
	if len(cal.events) != 0 || strings.Count(buf.String(), "END:VCALENDAR") != 1 {
		t.Errorf("empty calendar written wrongly:\n%s", buf.String())
	}
	for _, p := range cal.props {
		if strings.HasPrefix(p, "X-WR-CALNAME") {
			t.Errorf("empty calendar name written: %q", p)
		}
	}
}

func TestGeoFormat(t *testing.T) {
	for in, want := range map[float64]string{
		0: "0", -0.0000001: "0", 39.9: "39.9", -122.082932: "-122.082932", 116.39747951: "116.39748", 1e-7: "0", 180: "180",
	} {
		if got := geo(in); got != want {
			t.Errorf("geo(%v) = %q, want %q", in, got, want)
		}
	}
}
