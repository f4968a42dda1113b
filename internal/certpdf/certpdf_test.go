package certpdf

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/sfnt"

	"civicgrid/internal/qrcode"
)

// sample is a certificate with n activities, with the awkward cases mixed in:
// long titles that wrap, a minority-style name with a middle dot (which the
// CJK font lacks), Latin text, activity times near midnight UTC.
func sample(n int) Certificate {
	titles := []string{"学雷锋日社区义诊", "垃圾分类宣传与桶边督导", "关爱空巢老人上门探访及代购生活用品服务活动（第二批）",
		"防汛值守", "图书馆周末借阅引导", "文明交通劝导"}
	domains := []string{"医疗卫生", "环境保护", "扶老助残", "应急救援", "文化服务", "平安建设"}
	orgs := []string{"青年路社区志愿服务站", "泰山区环卫所", "阿依古丽·买买提志愿服务队", "区应急管理局", "市图书馆", "交警大队东城中队"}
	c := Certificate{
		No:            "ZS-371722-2026-000123",
		IssuedBy:      "单县青年路街道志愿服务工作站",
		IssuedAt:      time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC),
		VolunteerNo:   "37172220250001234",
		VolunteerName: "欧阳小梅",
		VerifyURL:     "https://civicgrid.example.org/verify/ZS-371722-2026-000123?k=3f9a2c",
	}
	// 17:30 UTC is 01:30 the next day in Beijing: the table must show the Beijing date.
	start := time.Date(2025, 2, 28, 17, 30, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		a := Activity{
			Title:     titles[i%len(titles)],
			Domain:    domains[i%len(domains)],
			Organiser: orgs[i%len(orgs)],
			Date:      start.AddDate(0, 0, 5*i),
			Minutes:   30 + 15*(i%9),
		}
		if i == 7 {
			a.Title = "Volunteer Day 2025 — 国际志愿者日主题活动"
		}
		c.Activities = append(c.Activities, a)
		c.TotalMinutes += a.Minutes
	}
	return c
}

func render(t testing.TB, c Certificate) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, c); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// noSpace drops the spaces that layout puts between characters and at
// line ends, so that text can be compared across line breaks.
func noSpace(s string) string { return strings.ReplaceAll(s, " ", "") }

func TestRenderMultiPage(t *testing.T) {
	c := sample(60)
	b := render(t, c)
	t.Logf("60 activities: %d bytes", len(b))
	f := readPDF(t, b) // checks xref, streams and page tree
	if len(f.pages) < 3 {
		t.Fatalf("%d pages for 60 activities, want a table continued over several", len(f.pages))
	}

	var all strings.Builder
	for i := range f.pages {
		p := f.page(t, i)
		text := noSpace(p.text)
		all.WriteString(text)
		// Every page: the table header (the last page may hold only the
		// closing block), the certificate number, the page number.
		if i < len(f.pages)-1 && !strings.Contains(text, "序号服务日期活动名称服务类别组织单位时长（小时）") {
			t.Errorf("page %d has no table header row: %q", i+1, text)
		}
		for _, want := range []string{c.No, fmt.Sprintf("第%d页，共%d页", i+1, len(f.pages))} {
			if !strings.Contains(text, want) {
				t.Errorf("page %d lacks %q", i+1, want)
			}
		}
	}
	text := all.String()
	for _, want := range []string{
		"志愿服务记录证明",
		"兹证明欧阳小梅（志愿者编号：37172220250001234）于2025年3月1日至2025年12月21日期间参加志愿服务活动60次",
		"累计志愿服务时长" + hours(c.TotalMinutes) + "小时",
		"以上志愿服务记录由单县青年路街道志愿服务工作站记录",
		"出具单位：单县青年路街道志愿服务工作站",
		"出具日期：2026年3月1日",
		"民政部令第67号",
		"扫码核验",
		"核验网址：" + c.VerifyURL,
		"VolunteerDay2025—国际志愿者日主题活动",
		"阿依古丽·买买提志愿服务队",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("certificate lacks %q", want)
		}
	}
	// Every row, in order, with its Beijing date and hours; wrapped titles whole.
	pos := 0
	for i, a := range c.Activities {
		row := strconv.Itoa(i+1) + a.Date.In(beijing).Format("2006-01-02") + noSpace(a.Title) + a.Domain + a.Organiser + hours(a.Minutes)
		j := strings.Index(text[pos:], row)
		if j < 0 {
			t.Fatalf("row %d missing or out of order: %q", i+1, row)
		}
		pos += j + len(row)
	}
	if got := c.Activities[0].Date.In(beijing).Format("2006-01-02"); got != "2025-03-01" {
		t.Errorf("first activity shows %s, want the Beijing date 2025-03-01", got)
	}
}

func TestRenderEmbedsSubsetFont(t *testing.T) {
	c := sample(60)
	b := render(t, c)
	if len(droidTTF) < 3<<20 {
		t.Fatalf("embedded TTF is %d bytes: is it the vendored font?", len(droidTTF))
	}
	if len(b) > 200<<10 {
		t.Errorf("PDF is %d bytes: the font was not subset", len(b))
	}
	f := readPDF(t, b)
	files := f.find("/Length1")
	if len(files) != 1 {
		t.Fatalf("%d embedded font files, want 1", len(files))
	}
	sub := files[0].stream
	if len(sub) > 200<<10 {
		t.Errorf("embedded font is %d bytes of the %d-byte TTF: not a subset", len(sub), len(droidTTF))
	}

	// The subset has outlines for the characters shown and not for others.
	font, err := sfnt.Parse(sub)
	if err != nil {
		t.Fatalf("embedded font does not parse: %v", err)
	}
	var buf sfnt.Buffer
	for _, r := range titleText + c.VolunteerName + "扫码核验" {
		if g, err := font.GlyphIndex(&buf, r); err != nil || g == 0 {
			t.Errorf("subset has no glyph for %q", r)
		}
	}
	if g, _ := font.GlyphIndex(&buf, '龘'); g != 0 {
		t.Errorf("subset has a glyph for 龘, which the certificate does not use")
	}

	// The PDF maps those characters to glyphs: CIDs are code points
	// (Identity-H), CIDToGIDMap gives each a glyph of the subset.
	fonts := f.find("/Subtype /CIDFontType2")
	if len(fonts) != 1 {
		t.Fatalf("%d CID fonts, want 1", len(fonts))
	}
	gidMap := f.objects[f.ref(t, fonts[0].dict, "CIDToGIDMap")].stream
	for _, r := range titleText + c.VolunteerName {
		if int(r)*2+2 > len(gidMap) || binary.BigEndian.Uint16(gidMap[2*r:]) == 0 {
			t.Errorf("CIDToGIDMap maps %q to no glyph", r)
		}
	}
	type0 := f.find("/Subtype /Type0")
	if len(type0) != 1 {
		t.Fatalf("%d Type0 fonts, want 1", len(type0))
	}
	if cmap := f.objects[f.ref(t, type0[0].dict, "ToUnicode")].stream; !bytes.Contains(cmap, []byte("beginbfrange")) {
		t.Errorf("ToUnicode CMap has no mapping: %q", cmap)
	}
}

// idat is the image data of a PNG: fpdf copies it into the PDF unchanged.
func idat(t testing.TB, png []byte) []byte {
	t.Helper()
	var out []byte
	for p := 8; p+8 <= len(png); {
		n := int(binary.BigEndian.Uint32(png[p:]))
		if string(png[p+4:p+8]) == "IDAT" {
			out = append(out, png[p+8:p+8+n]...)
		}
		p += 12 + n
	}
	if len(out) == 0 {
		t.Fatal("PNG without IDAT")
	}
	return out
}

func TestRenderQRCode(t *testing.T) {
	c := sample(3)
	f := readPDF(t, render(t, c))
	imgs := f.find("/Subtype /Image")
	if len(imgs) != 1 {
		t.Fatalf("%d images, want the QR code", len(imgs))
	}
	if want := fmt.Sprintf("/Width %d\n/Height %d", qrPixels, qrPixels); !strings.Contains(imgs[0].dict, want) {
		t.Errorf("image is not %d px square: %q", qrPixels, imgs[0].dict)
	}
	// The image is the QR code of VerifyURL, byte for byte.
	png, err := qrcode.PNG(c.VerifyURL, qrPixels)
	if err != nil {
		t.Fatal(err)
	}
	raw := readRawStream(t, render(t, c), "/Subtype /Image")
	if !bytes.Equal(raw, idat(t, png)) {
		t.Error("the image is not the QR code of VerifyURL")
	}
	other := c
	other.VerifyURL += "x"
	if bytes.Equal(readRawStream(t, render(t, other), "/Subtype /Image"), raw) {
		t.Error("the QR code does not depend on VerifyURL")
	}
	// It is drawn, on the page that says 扫码核验.
	last := f.page(t, len(f.pages)-1)
	if len(last.images) != 1 || !strings.Contains(last.text, "扫码核验") {
		t.Errorf("last page draws %v and says %q", last.images, last.text)
	}
}

// readRawStream returns the undecoded stream of the one object whose
// dictionary holds key.
func readRawStream(t testing.TB, b []byte, key string) []byte {
	t.Helper()
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		t.Fatalf("no %s", key)
	}
	s := bytes.Index(b[i:], []byte("stream\n")) + i + len("stream\n")
	e := bytes.Index(b[s:], []byte("\nendstream")) + s
	return b[s:e]
}

func TestRenderShort(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(c *Certificate)
		want []string
	}{
		{"no activities", func(c *Certificate) { c.Activities, c.TotalMinutes = nil, 0 },
			[]string{"参加志愿服务活动0次，累计志愿服务时长0.0小时", noRecords}},
		{"one activity", func(c *Certificate) { c.Activities = c.Activities[:1]; c.TotalMinutes = c.Activities[0].Minutes },
			[]string{"于2025年3月1日至2025年3月1日期间参加志愿服务活动1次，累计志愿服务时长0.5小时"}},
		{"long issuer and URL", func(c *Certificate) {
			c.IssuedBy = strings.Repeat("某某市某某区某某街道", 6) + "志愿服务工作站"
			c.VerifyURL = "https://civicgrid.example.org/verify/" + strings.Repeat("0123456789abcdef", 12)
		}, []string{"出具单位：" + strings.Repeat("某某市某某区某某街道", 6) + "志愿服务工作站",
			"核验网址：https://civicgrid.example.org/verify/" + strings.Repeat("0123456789abcdef", 12)}},
		{"Latin name, control characters", func(c *Certificate) { c.VolunteerName = "Anna\tMüller\x00" },
			[]string{"兹证明AnnaMüller（志愿者编号"}},
		// Outside the BMP (𠮷, emoji) fpdf panics, other characters neither
		// font has would vanish: each shows as 〓; invisible ones go.
		{"characters the fonts lack", func(c *Certificate) { c.VolunteerName = "吉\U00020BB7\U0001F600\u200b\u202e\uFFFF\U00010000小梅" },
			[]string{"兹证明吉〓〓〓〓小梅（志愿者编号"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := sample(5)
			tc.mod(&c)
			f := readPDF(t, render(t, c))
			var text strings.Builder
			for i := range f.pages {
				text.WriteString(noSpace(f.page(t, i).text))
			}
			for _, w := range tc.want {
				if !strings.Contains(text.String(), w) {
					t.Errorf("lacks %q in %q", w, text.String())
				}
			}
		})
	}
}

func TestRenderDeterministic(t *testing.T) {
	if !bytes.Equal(render(t, sample(20)), render(t, sample(20))) {
		t.Error("two renders of one certificate differ")
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(c *Certificate)
		want string
	}{
		{"no number", func(c *Certificate) { c.No = " " }, "No is empty"},
		{"no volunteer number", func(c *Certificate) { c.VolunteerNo = "" }, "VolunteerNo is empty"},
		{"no issuer", func(c *Certificate) { c.IssuedBy = "" }, "IssuedBy is empty"},
		{"no name", func(c *Certificate) { c.VolunteerName = "" }, "VolunteerName is empty"},
		{"no verify URL", func(c *Certificate) { c.VerifyURL = "" }, "VerifyURL is empty"},
		{"no issue date", func(c *Certificate) { c.IssuedAt = time.Time{} }, "IssuedAt"},
		{"total disagrees", func(c *Certificate) { c.TotalMinutes++ }, "add up"},
		{"negative minutes", func(c *Certificate) { c.Activities[1].Minutes = -5; c.TotalMinutes -= 5 + 45 }, "negative"},
		{"activity without date", func(c *Certificate) { c.Activities[0].Date = time.Time{} }, "Date"},
		{"activity without title", func(c *Certificate) { c.Activities[2].Title = "" }, "Title"},
		{"name too long", func(c *Certificate) { c.VolunteerName = strings.Repeat("名", 65) }, "VolunteerName has 65 characters"},
		{"URL too long for a scannable QR code", func(c *Certificate) { c.VerifyURL += strings.Repeat("x", 256) }, "VerifyURL has"},
		{"title too long", func(c *Certificate) { c.Activities[0].Title = strings.Repeat("长", 201) }, "Title has 201"},
		{"organiser too long", func(c *Certificate) { c.Activities[0].Organiser = strings.Repeat("长", 101) }, "Organiser has 101"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := sample(3)
			tc.mod(&c)
			var buf bytes.Buffer
			err := Render(&buf, c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Render() error = %v, want one containing %q", err, tc.want)
			}
			if buf.Len() != 0 {
				t.Errorf("Render() wrote %d bytes for an invalid certificate", buf.Len())
			}
		})
	}
	if err := sample(3).Validate(); err != nil {
		t.Errorf("sample certificate invalid: %v", err)
	}
}

func TestHours(t *testing.T) {
	for m, want := range map[int]string{0: "0.0", 2: "0.0", 3: "0.1", 45: "0.8", 60: "1.0", 750: "12.5", 5267: "87.8", 5997: "100.0"} {
		if got := hours(m); got != want {
			t.Errorf("hours(%d) = %q, want %q", m, got, want)
		}
	}
}

func TestColumnsFillTheWidth(t *testing.T) {
	sum := 0.0
	for _, w := range colWidths {
		sum += w
	}
	if sum != contentW || len(colWidths) != len(colHeads) {
		t.Errorf("columns are %v mm wide in all (%d of them), content is %v mm (%d heads)", sum, len(colWidths), contentW, len(colHeads))
	}
}

// TestWrap guards against fpdf's own wrapping, which drops the Chinese
// character at each break: lines must hold every character, fit, keep dates
// whole and not start with closing punctuation.
func TestWrap(t *testing.T) {
	pdfDoc, cjk := newTestTypesetter(t)
	for _, tc := range []struct {
		s    string
		maxW float64
	}{
		{"兹证明欧阳小梅参加志愿服务活动六十次，累计志愿服务时长十二点五小时。以上记录由某某街道办事处登记，特此证明。", 40},
		{"于 2025年12月21日 至 2026年1月1日 期间参加志愿服务活动 60 次，累计志愿服务时长 87.8 小时。", 36},
		{"https://civicgrid.example.org/verify/ZS-371722-2026-000123?k=3f9a2c", 25},
		{"Volunteer Day 2025 — 国际志愿者日主题活动", 20},
		{"短", 50},
		{"", 50},
	} {
		ts := newTypesetter(pdfDoc, cjk)
		ts.measure(tc.s)
		lines := ts.wrap(tc.s, 12, tc.maxW)
		if got := strings.Join(lines, ""); noSpace(got) != noSpace(tc.s) {
			t.Errorf("wrap(%q) lost characters: %q", tc.s, lines)
		}
		for i, l := range lines {
			if w := ts.width(l, 12); w > tc.maxW && len([]rune(l)) > 1 {
				t.Errorf("wrap(%q) line %q is %.1f mm, over %v", tc.s, l, w, tc.maxW)
			}
			if i > 0 && l != "" && strings.ContainsRune(noLineStart, []rune(l)[0]) {
				t.Errorf("wrap(%q) line %d starts with closing punctuation: %q", tc.s, i+1, l)
			}
		}
		for _, date := range []string{"2025年12月21日", "2026年1月1日"} {
			if strings.Contains(tc.s, date) && !strings.Contains(strings.Join(lines, "\n"), date) {
				t.Errorf("wrap(%q) split the date %s: %q", tc.s, date, lines)
			}
		}
	}
}

func BenchmarkRender(b *testing.B) {
	c := sample(60)
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := Render(&buf, c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "pdf-bytes")
}

func newTestTypesetter(t testing.TB) (*fpdf.Fpdf, *sfnt.Font) {
	t.Helper()
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes(cjkFont, "", droidTTF)
	cjk, err := sfnt.Parse(droidTTF)
	if err != nil || pdf.Error() != nil {
		t.Fatal(err, pdf.Error())
	}
	return pdf, cjk
}

// TestClosingKeepsARow: whatever the length of the record, the page with the
// issuer and QR code also holds the end of the table.
func TestClosingKeepsARow(t *testing.T) {
	for n := 12; n <= 26; n++ {
		f := readPDF(t, render(t, sample(n)))
		last := noSpace(f.page(t, len(f.pages)-1).text)
		if !strings.Contains(last, "扫码核验") || !strings.Contains(last, "序号服务日期") {
			t.Errorf("%d activities: last page (of %d) has no table or no closing: %q", n, len(f.pages), last)
		}
	}
}
