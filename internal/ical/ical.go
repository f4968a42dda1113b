// Package ical owns the iCalendar (RFC 5545) form of the public activity feed:
// a streaming writer of VEVENTs that calendar apps can subscribe to.
//
// The writer streams: each Event is written as it comes, so a feed of any
// length needs memory for one event only. Output follows RFC 5545 strictly
// where clients are known to be picky: CRLF line endings, TEXT values escaped,
// content lines folded at 75 octets without splitting a UTF-8 character
// (Chinese text is three octets a character, and a split one shows as
// mojibake in some clients), and all times in UTC so that no VTIMEZONE
// component is needed.
package ical

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Event is one VEVENT. Start, Stamp and UID are required; End, when set, must
// be after Start. Status is "", "CONFIRMED" or "CANCELLED".
type Event struct {
	UID                            string
	Start, End, Stamp              time.Time
	Summary, Description, Location string
	URL                            string
	Categories                     []string
	Lat, Lng                       float64
	HasGeo                         bool
	Status                         string
}

// Validate reports what would make the event unusable for a client.
func (e Event) Validate() error {
	var errs []error
	if strings.TrimSpace(e.UID) == "" {
		errs = append(errs, errors.New("UID is empty"))
	}
	if e.Start.IsZero() {
		errs = append(errs, errors.New("DTSTART is not set"))
	}
	if e.Stamp.IsZero() {
		errs = append(errs, errors.New("DTSTAMP is not set"))
	}
	if !e.End.IsZero() && !e.End.After(e.Start) {
		errs = append(errs, fmt.Errorf("DTEND %s is not after DTSTART %s", utc(e.End), utc(e.Start)))
	}
	switch e.Status {
	case "", "CONFIRMED", "CANCELLED":
	default:
		errs = append(errs, fmt.Errorf("STATUS %q is not CONFIRMED or CANCELLED", e.Status))
	}
	if e.HasGeo && !(e.Lat >= -90 && e.Lat <= 90 && e.Lng >= -180 && e.Lng <= 180) {
		errs = append(errs, fmt.Errorf("GEO %v;%v is out of range", e.Lat, e.Lng))
	}
	if strings.ContainsFunc(e.URL, isControl) || !utf8.ValidString(e.URL) {
		errs = append(errs, errors.New("URL contains control characters or invalid UTF-8"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("ical: event %q: %w", e.UID, err)
	}
	return nil
}

// Writer writes one VCALENDAR. It is not safe for concurrent use. The first
// error is sticky: every later call returns it.
type Writer struct {
	bw     *bufio.Writer
	line   []byte // the content line being built, reused between lines
	folded []byte // line folded, reused between lines
	err    error
	closed bool
}

// errClosed is returned by calls on a closed Writer.
var errClosed = errors.New("ical: writer is closed")

// NewWriter starts a calendar on w: BEGIN:VCALENDAR and the calendar
// properties. The times of its events are in UTC; X-WR-TIMEZONE tells clients
// to show them on China Standard Time.
func NewWriter(w io.Writer, prodID, calName string) (*Writer, error) {
	if strings.TrimSpace(prodID) == "" {
		return nil, errors.New("ical: PRODID is empty")
	}
	cw := &Writer{bw: bufio.NewWriter(w)}
	cw.raw("BEGIN", "VCALENDAR")
	cw.raw("VERSION", "2.0")
	cw.text("PRODID", prodID)
	cw.raw("CALSCALE", "GREGORIAN")
	if calName != "" {
		cw.text("X-WR-CALNAME", calName)
	}
	cw.raw("X-WR-TIMEZONE", "Asia/Shanghai")
	if cw.err != nil {
		return nil, cw.err
	}
	return cw, nil
}

// Event writes one VEVENT. An invalid event is an error and nothing of it is
// written; the calendar stays well-formed and the Writer usable.
func (w *Writer) Event(e Event) error {
	if w.closed {
		return errClosed
	}
	if w.err != nil {
		return w.err
	}
	if err := e.Validate(); err != nil {
		return err
	}
	w.raw("BEGIN", "VEVENT")
	w.text("UID", e.UID)
	w.raw("DTSTAMP", utc(e.Stamp))
	w.raw("DTSTART", utc(e.Start))
	if !e.End.IsZero() {
		w.raw("DTEND", utc(e.End))
	}
	w.optText("SUMMARY", e.Summary)
	w.optText("DESCRIPTION", e.Description)
	w.optText("LOCATION", e.Location)
	if e.HasGeo {
		w.raw("GEO", geo(e.Lat)+";"+geo(e.Lng))
	}
	if e.URL != "" {
		w.raw("URL", e.URL)
	}
	var cats []string
	for _, c := range e.Categories {
		if c = strings.TrimSpace(c); c != "" {
			cats = append(cats, escape(c))
		}
	}
	if len(cats) > 0 {
		// The commas between categories are list separators, so the values
		// are escaped one by one and joined unescaped.
		w.raw("CATEGORIES", strings.Join(cats, ","))
	}
	if e.Status != "" {
		w.raw("STATUS", e.Status)
	}
	w.raw("END", "VEVENT")
	return w.err
}

// Close ends the calendar and flushes it. It does not close the underlying
// writer. Closing twice is harmless.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	w.raw("END", "VCALENDAR")
	if w.err == nil {
		w.err = w.bw.Flush()
	}
	return w.err
}

func (w *Writer) optText(name, value string) {
	if value != "" {
		w.text(name, value)
	}
}

func (w *Writer) text(name, value string) { w.raw(name, escape(value)) }

// raw writes NAME:value as a folded content line; value must already be in
// its final form.
func (w *Writer) raw(name, value string) {
	if w.err != nil {
		return
	}
	w.line = append(append(append(w.line[:0], name...), ':'), value...)
	w.folded = fold(w.folded[:0], w.line)
	_, w.err = w.bw.Write(w.folded)
}

// maxLine is the longest content line RFC 5545 §3.1 allows, in octets,
// not counting the CRLF.
const maxLine = 75

// fold appends line to dst, folded into physical lines of at most maxLine
// octets each, every one ending in CRLF; continuation lines start with one
// space (which counts towards their 75). A line is never broken inside a
// UTF-8 sequence, so each physical line is valid UTF-8 when line is.
func fold(dst, line []byte) []byte {
	limit := maxLine
	for len(line) > limit {
		cut := limit
		// Step back to the start of the character that would be split.
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		if cut == 0 { // not UTF-8 at all: cut where the octets say
			cut = limit
		}
		dst = append(dst, line[:cut]...)
		dst = append(dst, "\r\n "...)
		line = line[cut:]
		limit = maxLine - 1
	}
	dst = append(dst, line...)
	return append(dst, "\r\n"...)
}

// escape makes s a TEXT value (RFC 5545 §3.3.11): backslash, semicolon and
// comma are escaped, every newline form becomes \n, other control characters
// (which a content line may not hold) are dropped, and invalid UTF-8 is
// replaced.
func escape(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' || c == ';' || c == ',':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			b.WriteString(`\n`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\t' || !isControl(rune(c)):
			b.WriteByte(c)
		}
	}
	return b.String()
}

// isControl reports the characters RFC 5545 §3.1 excludes from content
// lines: the ASCII controls but HTAB, and DEL.
func isControl(r rune) bool { return (r < 0x20 && r != '\t') || r == 0x7f }

// utc formats t as a UTC DATE-TIME ("form #2"), dropping fractions of a second.
func utc(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// geo formats a GEO coordinate with at most six decimals (about 0.1 m), as
// RFC 5545 §3.8.1.6 recommends, and no exponent.
func geo(v float64) string {
	s := strconv.FormatFloat(v, 'f', 6, 64)
	s = strings.TrimRight(s, "0")
	s = strings.TrimSuffix(s, ".")
	if s == "-0" {
		return "0"
	}
	return s
}
