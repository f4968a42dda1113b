package certpdf

import (
	"strings"
	"unicode"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/text/encoding/charmap"
)

// Text goes through this file rather than fpdf's cell functions for two
// reasons. Droid Sans Fallback has CJK glyphs but no Latin letters or digits,
// so every string is cut into runs: characters the CJK font has are set in
// it, the rest (certificate numbers, dates, URLs, the middle dot of minority
// names 阿依古丽·买买提) in Helvetica, one of the PDF standard fonts every
// reader has. fpdf's wrapping (SplitText, MultiCell) drops the Chinese
// character at each line break, so lines are broken here. And fpdf panics on
// characters outside the Basic Multilingual Plane (a rare name character
// such as 𠮷, an emoji), so prepare replaces those before fpdf sees them.

const (
	cjkFont   = "droid"
	latinFont = "Helvetica"
)

// run is a stretch of text set in one font. s is UTF-8 for the CJK font and
// Windows-1252 for Helvetica, the encoding fpdf uses for standard fonts.
type run struct {
	latin bool
	s     string
}

// typesetter measures and draws mixed CJK/Latin text. Widths come from a
// table filled before the first page (see measure), so that measuring never
// switches fonts in the middle of a page's content.
type typesetter struct {
	pdf    *fpdf.Fpdf
	cjk    *sfnt.Font
	buf    sfnt.Buffer
	latin  map[rune]bool // which font a rune is set in
	widths map[rune]int  // advance in 1/1000 em
}

func newTypesetter(pdf *fpdf.Fpdf, cjk *sfnt.Font) *typesetter {
	return &typesetter{pdf: pdf, cjk: cjk, latin: map[rune]bool{}, widths: map[rune]int{}}
}

// measure records the font and width of every rune of texts. It must see all
// text before the first page is added, and the text must be prepared.
func (t *typesetter) measure(texts ...string) {
	var cjk, latin []rune
	for _, s := range texts {
		for _, r := range s {
			if _, ok := t.widths[r]; ok {
				continue
			}
			t.widths[r] = 0
			if l, ok := t.classify(r); !ok {
				continue // prepare replaced it; never drawn
			} else if l {
				t.latin[r] = true
				latin = append(latin, r)
			} else {
				cjk = append(cjk, r)
			}
		}
	}
	t.pdf.SetFont(cjkFont, "", 10)
	for _, r := range cjk {
		t.widths[r] = t.pdf.GetStringSymbolWidth(string(r))
	}
	t.pdf.SetFont(latinFont, "", 10)
	for _, r := range latin {
		t.widths[r] = t.pdf.GetStringSymbolWidth(toLatin(string(r)))
	}
}

// classify reports whether r can be set (ok) and whether in Helvetica
// (latin): printable ASCII always, as the CJK font has none of it; other
// characters in the CJK font when it has them (fpdf handles the Basic
// Multilingual Plane only), else in Helvetica when Windows-1252 has them.
func (t *typesetter) classify(r rune) (latin, ok bool) {
	if r < 0x80 {
		return true, r >= 0x20 && r != 0x7f
	}
	if r <= 0xffff {
		if g, err := t.cjk.GlyphIndex(&t.buf, r); err == nil && g != 0 {
			return false, true
		}
	}
	_, ok = charmap.Windows1252.EncodeRune(r)
	return ok, ok
}

// unprintable stands for a character neither font has (a rare character
// outside the BMP, an emoji): 〓 is the mark Chinese forms print for a
// character the system cannot show, so a reader sees that one is missing.
const unprintable = '〓'

// prepare makes s printable on one line: invalid UTF-8 replaced, line breaks
// and tabs made spaces, control and format characters (zero-width spaces,
// bidi overrides) dropped, characters neither font has made 〓.
func (t *typesetter) prepare(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			return -1
		}
		if _, ok := t.classify(r); !ok {
			return unprintable
		}
		return r
	}, s)
}

func toLatin(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		c, ok := charmap.Windows1252.EncodeRune(r)
		if !ok {
			c = '?'
		}
		b = append(b, c)
	}
	return string(b)
}

// runs cuts s into runs of one font each.
func (t *typesetter) runs(s string) []run {
	var out []run
	start := 0
	cur := false
	for i, r := range s {
		l := t.latin[r]
		if i > start && l != cur {
			out = append(out, t.mkRun(cur, s[start:i]))
			start = i
		}
		cur = l
	}
	if start < len(s) {
		out = append(out, t.mkRun(cur, s[start:]))
	}
	return out
}

func (t *typesetter) mkRun(latin bool, s string) run {
	if latin {
		s = toLatin(s)
	}
	return run{latin: latin, s: s}
}

// width is the width of s at size points, in mm.
func (t *typesetter) width(s string, size float64) float64 {
	u := 0
	for _, r := range s {
		u += t.widths[r]
	}
	return units(u, size)
}

func units(u int, size float64) float64 { return float64(u) * size / 1000 * 25.4 / 72 }

// text draws s with its baseline at y, starting at x.
func (t *typesetter) text(x, y float64, s string, size float64) {
	for _, r := range t.runs(s) {
		if r.latin {
			t.pdf.SetFont(latinFont, "", size)
		} else {
			t.pdf.SetFont(cjkFont, "", size)
		}
		t.pdf.Text(x, y, r.s)
		x += t.pdf.GetStringWidth(r.s)
	}
}

// textCentered draws s centred on the vertical line at cx.
func (t *typesetter) textCentered(cx, y float64, s string, size float64) {
	t.text(cx-t.width(s, size)/2, y, s, size)
}

// textRight draws s ending at x.
func (t *typesetter) textRight(x, y float64, s string, size float64) {
	t.text(x-t.width(s, size), y, s, size)
}

func isDigit(r rune) bool { return '0' <= r && r <= '9' }

// noLineStart are characters that Chinese typesetting keeps off the start
// of a line (禁则): closing brackets and punctuation.
const noLineStart = "，。、；：？！）》」』】〕〉”’…,.;:?!)]}%"

// wrap breaks s into lines no wider than maxW mm at size points. It breaks
// between any two CJK characters and at spaces between Latin words; a Latin
// word wider than a line (a long URL) is broken where it must be. Closing
// punctuation is not left at the start of a line. Spaces at a break are
// dropped; nothing else is.
func (t *typesetter) wrap(s string, size, maxW float64) []string {
	rs := []rune(s)
	var lines []string
	for len(rs) > 0 {
		w := 0.0
		fit := 0 // runes that fit on this line
		for fit < len(rs) {
			w += units(t.widths[rs[fit]], size)
			if w > maxW && fit > 0 {
				break
			}
			fit++
		}
		if fit == len(rs) {
			lines = append(lines, string(rs))
			break
		}
		cut := breakBefore(rs, fit)
		lines = append(lines, strings.TrimRight(string(rs[:cut]), " "))
		rs = rs[cut:]
		for len(rs) > 0 && rs[0] == ' ' {
			rs = rs[1:]
		}
	}
	if len(lines) == 0 {
		lines = []string{""}
	}
	return lines
}

// breakBefore picks where to end a line when rs[:fit] fits and rs[fit]
// does not: the last allowed break at or before fit, or fit itself when
// there is none (one unbreakable word fills the line).
func breakBefore(rs []rune, fit int) int {
	for i := fit; i > 0; i-- {
		if canBreak(rs[i-1], rs[i]) {
			return i
		}
	}
	return fit
}

// canBreak reports whether a line may end between a and b.
func canBreak(a, b rune) bool {
	if strings.ContainsRune(noLineStart, b) {
		return false
	}
	// Keep dates such as 2025年3月1日 in one piece.
	if isDigit(a) && strings.ContainsRune("年月日", b) || strings.ContainsRune("年月", a) && isDigit(b) {
		return false
	}
	if a == ' ' || b == ' ' {
		return true
	}
	// Inside a run of Latin letters, digits and their punctuation: no.
	if a < 0x80 && b < 0x80 {
		return false
	}
	return !strings.ContainsRune("（《「『【〔〈“‘(", a) // opening brackets stay with what follows
}
