package certpdf

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzRender: any text in the fields a person types (names, titles) renders
// without a panic or an error, into a PDF whose text holds what was printable
// of it. fpdf panics on some characters (outside the BMP) and silently drops
// others; this is what keeps such text from reaching it.
func FuzzRender(f *testing.F) {
	for _, s := range [][2]string{
		{"欧阳小梅", "学雷锋日社区义诊"},
		{"阿依古丽·买买提", "Volunteer Day — 国际志愿者日"},
		{"吉\U00020BB7", "😀\u202e\u200b"},
		{"\uffff\U00010000", "(\\)\r\n\t"},
		{"x\xff\xfe", strings.Repeat("很长的活动名称", 28) + "完"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, name, title string) {
		c := sample(2)
		c.VolunteerName, c.Activities[1].Title = name, title
		if c.Validate() != nil {
			return // empty or too long: Validate's business, tested there
		}
		var buf bytes.Buffer
		if err := Render(&buf, c); err != nil {
			t.Fatalf("Render(name %q, title %q): %v", name, title, err)
		}
		f := readPDF(t, buf.Bytes())
		var text string
		for i := range f.pages {
			text += f.page(t, i).text
		}
		if !strings.Contains(text, "兹证明") || !strings.Contains(text, "扫码核验") {
			t.Fatalf("name %q, title %q: page text %q", name, title, text)
		}
	})
}

func TestUnprintableHasAGlyph(t *testing.T) {
	pdf, cjk := newTestTypesetter(t)
	if latin, ok := newTypesetter(pdf, cjk).classify(unprintable); !ok || latin {
		t.Errorf("%q is not in the CJK font", unprintable)
	}
}
