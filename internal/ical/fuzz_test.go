package ical

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzFold: for any single line of valid UTF-8, folding then unfolding gives
// the line back, and every physical line is at most 75 octets of valid UTF-8.
func FuzzFold(f *testing.F) {
	for _, s := range []string{
		"", "a", strings.Repeat("a", 75), strings.Repeat("a", 76),
		"DESCRIPTION:" + strings.Repeat("志愿服务", 40),
		"x" + strings.Repeat("😀", 30), strings.Repeat(" ", 200), "\t\t",
		"SUMMARY:" + strings.Repeat("é", 70),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || strings.ContainsAny(s, "\r\n") {
			t.Skip() // a content line is valid UTF-8 without line breaks (escape sees to that)
		}
		out := string(fold(nil, []byte(s)))
		checkLines(t, out)
		for i, l := range strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n") {
			if i > 0 && !strings.HasPrefix(l, " ") {
				t.Fatalf("continuation line %d does not start with a space: %q", i+1, l)
			}
			if i > 0 && len(l) == 1 {
				t.Fatalf("empty continuation line %d", i+1)
			}
		}
		if got := strings.TrimSuffix(unfold(out), "\r\n"); got != s {
			t.Fatalf("unfold(fold(%q)) = %q", s, got)
		}
	})
}

// FuzzEscape: any string escapes to a value that holds no line break or
// control character and reads back as the string with its newlines made LF,
// its other controls dropped and invalid UTF-8 replaced.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", `a\;b,c`, "一\r\n二\r三\n", "\x00\x7f\t", "\xff\\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := escape(s)
		if strings.ContainsFunc(e, isControl) || !utf8.ValidString(e) {
			t.Fatalf("escape(%q) = %q holds a control character or invalid UTF-8", s, e)
		}
		want := strings.ToValidUTF8(s, "\uFFFD")
		want = strings.ReplaceAll(want, "\r\n", "\n")
		want = strings.ReplaceAll(want, "\r", "\n")
		want = strings.Map(func(r rune) rune {
			if r != '\n' && isControl(r) {
				return -1
			}
			return r
		}, want)
		if got := unescape(e); got != want {
			t.Fatalf("unescape(escape(%q)) = %q, want %q", s, got, want)
		}
	})
}
