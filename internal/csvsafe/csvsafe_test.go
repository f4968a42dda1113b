package csvsafe

import (
	"strconv"
	"strings"
	"testing"
)

func TestCell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"路灯不亮", "路灯不亮"},
		{`=HYPERLINK("http://evil.example","点我")`, `'=HYPERLINK("http://evil.example","点我")`},
		{"+86 138", "'+86 138"},
		{"-1+2", "'-1+2"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"-12.5", "-12.5"}, // a number stays a number
		{"+3", "+3"},
		{"a=b", "a=b"},
	} {
		if got := Cell(tc.in); got != tc.want {
			t.Errorf("Cell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzCell: Cell adds at most a leading apostrophe, and what it returns
// never begins like a formula unless it is a number.
func FuzzCell(f *testing.F) {
	for _, s := range []string{"", "=1+1", "-3", "@x", "普通文字", "+0x1p-2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Cell(s)
		if got != s && got != "'"+s {
			t.Fatalf("Cell(%q) = %q changes more than a leading apostrophe", s, got)
		}
		if got != "" && strings.ContainsRune("=+-@\t\r", rune(got[0])) {
			if _, err := strconv.ParseFloat(got, 64); err != nil {
				t.Fatalf("Cell(%q) = %q begins like a formula", s, got)
			}
		}
	})
}
