// Package certpdf owns the volunteer service certificate (志愿服务记录证明) as
// a PDF: the document a volunteer asks for and an issuing organisation signs
// off, in the form the 志愿服务记录与证明出具办法（试行）(民政部令第67号) asks
// for, with a QR code that leads to the online check of its authenticity.
//
// Everything the PDF needs is in the binary: the CJK font (Droid Sans
// Fallback, vendored) is embedded in the PDF and subset, so a certificate
// carries only the glyphs it uses; Latin text is set in Helvetica, which
// every PDF reader has; the QR code is drawn as an image. Output is
// deterministic for a given Certificate, so tests and caches can compare bytes.
package certpdf

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/sfnt"

	"civicgrid/internal/qrcode"
)

// droidTTF is Droid Sans Fallback (Apache-2.0), vendored by scripts/vendor-font.sh.
//
//go:embed fonts/DroidSansFallbackFull.ttf
var droidTTF []byte

// parsedFont is droidTTF parsed once, for its character map; a parsed
// sfnt.Font is immutable and safe for concurrent use.
var parsedFont = sync.OnceValues(func() (*sfnt.Font, error) { return sfnt.Parse(droidTTF) })

// beijing is China Standard Time, UTC+8 all year; a fixed zone so that no
// tz database is needed.
var beijing = time.FixedZone("CST", 8*60*60)

// Activity is one line of the certificate's record.
type Activity struct {
	Title, Domain, Organiser string
	Date                     time.Time
	Minutes                  int
}

// Certificate is what one certificate states.
type Certificate struct {
	No            string    // certificate number, e.g. "ZS-371722-2026-000123"
	IssuedBy      string    // issuing organisation (the organiser's team/region office)
	IssuedAt      time.Time //
	VolunteerNo   string    // unified volunteer number (never the ID number)
	VolunteerName string    //
	TotalMinutes  int       // must equal the sum of the activities' minutes
	Activities    []Activity
	VerifyURL     string // encoded in a QR code printed on the certificate
}

// Validate reports every problem that would make the certificate wrong on
// paper. TotalMinutes must add up from the activities: a certificate whose
// total disagrees with its own table is worse than none. Text fields have
// upper lengths that keep every row and block within a page and the QR code
// coarse enough to scan.
func (c Certificate) Validate() error {
	var errs []error
	text := func(name, v string, maxLen int) {
		switch n := utf8.RuneCountInString(v); {
		case strings.TrimSpace(v) == "":
			errs = append(errs, fmt.Errorf("%s is empty", name))
		case n > maxLen:
			errs = append(errs, fmt.Errorf("%s has %d characters, more than %d", name, n, maxLen))
		}
	}
	text("No", c.No, 32)
	text("IssuedBy", c.IssuedBy, 100)
	text("VolunteerNo", c.VolunteerNo, 32)
	text("VolunteerName", c.VolunteerName, 64)
	text("VerifyURL", c.VerifyURL, 256)
	if c.IssuedAt.IsZero() {
		errs = append(errs, errors.New("IssuedAt is not set"))
	}
	sum := 0
	for i, a := range c.Activities {
		if a.Minutes < 0 {
			errs = append(errs, fmt.Errorf("activity %d: Minutes %d is negative", i, a.Minutes))
		}
		if a.Date.IsZero() {
			errs = append(errs, fmt.Errorf("activity %d: Date is not set", i))
		}
		text(fmt.Sprintf("activity %d: Title", i), a.Title, 200)
		for _, f := range []struct {
			name, v string
			max     int
		}{{"Domain", a.Domain, 20}, {"Organiser", a.Organiser, 100}} {
			if n := utf8.RuneCountInString(f.v); n > f.max {
				errs = append(errs, fmt.Errorf("activity %d: %s has %d characters, more than %d", i, f.name, n, f.max))
			}
		}
		sum += a.Minutes
	}
	if c.TotalMinutes != sum {
		errs = append(errs, fmt.Errorf("TotalMinutes %d, but the activities add up to %d", c.TotalMinutes, sum))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("certpdf: certificate %q: %w", c.No, err)
	}
	return nil
}

// Page geometry, in mm (A4 portrait).
const (
	pageW, pageH = 210.0, 297.0
	frameInset   = 10.0 // outer border
	left, right  = 22.0, pageW - 22.0
	contentW     = right - left
	bottom       = 270.0 // content stops here; the footer sits below
	footerY      = 280.0 // footer baseline

	qrPixels = 330  // QR image size; about 11 px a module for a typical URL
	qrSize   = 32.0 // printed QR size, mm (about 0.9 mm a module: phones read it)
)

// Font sizes, points.
const (
	sizeTitle = 24.0
	sizeBody  = 12.0
	sizeTable = 9.0
	sizeSmall = 8.0
)

// The record table: header and column widths (mm), adding up to contentW.
var (
	colHeads  = []string{"序号", "服务日期", "活动名称", "服务类别", "组织单位", "时长（小时）"}
	colWidths = []float64{10, 22, 52, 21, 38, 23}
)

// Render writes the certificate as a PDF to w.
func Render(w io.Writer, c Certificate) error {
	if err := c.Validate(); err != nil {
		return err
	}
	cjk, err := parsedFont()
	if err != nil {
		return fmt.Errorf("certpdf: embedded font: %w", err)
	}
	qr, err := qrcode.PNG(c.VerifyURL, qrPixels)
	if err != nil {
		return fmt.Errorf("certpdf: verify QR code: %w", err)
	}

	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(true)
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(c.IssuedAt)
	pdf.SetModificationDate(c.IssuedAt)
	pdf.SetTitle("志愿服务记录证明 "+c.No, true)
	pdf.SetAuthor(c.IssuedBy, true)
	pdf.SetCreator("civicgrid", true)
	pdf.SetLang("zh-CN")
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(left, 20, pageW-right)
	pdf.AddUTF8FontFromBytes(cjkFont, "", droidTTF)
	pdf.RegisterImageOptionsReader("qr", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(qr))
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("certpdf: %w", err)
	}

	r := newRenderer(pdf, cjk, c)
	r.first()
	r.table()
	r.closing()
	r.footers()

	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("certpdf: %w", err)
	}
	return nil
}

// renderer lays out one certificate. Its strings are prepared once, so that
// what is measured is what is drawn.
type renderer struct {
	pdf *fpdf.Fpdf
	t   *typesetter
	y   float64 // top of the free space on the current page

	no, issuedBy, issued, url string
	paragraph                 string
	rows                      [][]string
}

func newRenderer(pdf *fpdf.Fpdf, cjk *sfnt.Font, c Certificate) *renderer {
	ts := newTypesetter(pdf, cjk)
	r := &renderer{
		pdf:      pdf,
		t:        ts,
		no:       ts.prepare(c.No),
		issuedBy: ts.prepare(c.IssuedBy),
		issued:   chineseDate(c.IssuedAt),
		url:      ts.prepare(c.VerifyURL),
	}
	name, volNo := ts.prepare(c.VolunteerName), ts.prepare(c.VolunteerNo)
	r.paragraph = "　　兹证明" + name + "（志愿者编号：" + volNo + "）"
	if n := len(c.Activities); n > 0 {
		first, last := c.Activities[0].Date, c.Activities[0].Date
		for _, a := range c.Activities[1:] {
			if a.Date.Before(first) {
				first = a.Date
			}
			if a.Date.After(last) {
				last = a.Date
			}
		}
		r.paragraph += "于 " + chineseDate(first) + " 至 " + chineseDate(last) + " 期间"
	}
	r.paragraph += "参加志愿服务活动 " + strconv.Itoa(len(c.Activities)) + " 次，累计志愿服务时长 " +
		hours(c.TotalMinutes) + " 小时。以上志愿服务记录由" + r.issuedBy + "记录，情况属实，特此证明。"

	for i, a := range c.Activities {
		r.rows = append(r.rows, []string{
			strconv.Itoa(i + 1), a.Date.In(beijing).Format("2006-01-02"),
			ts.prepare(a.Title), ts.prepare(a.Domain), ts.prepare(a.Organiser), hours(a.Minutes),
		})
	}

	all := []string{
		r.paragraph, r.issuedBy, r.issued, r.no, r.url, "0123456789",
		titleText, basisText, continuedText, tableTitle, noRecords,
		"出具单位：", "出具日期：", "证书编号：", "核验网址：", "扫码核验", verifyNote, "第 页，共 页",
	}
	all = append(all, colHeads...)
	for _, row := range r.rows {
		all = append(all, row...)
	}
	r.t.measure(all...) // before the first page: see typesetter
	return r
}

const (
	titleText     = "志愿服务记录证明"
	basisText     = "依据《志愿服务记录与证明出具办法（试行）》（民政部令第67号）出具"
	continuedText = "志愿服务记录证明（续）"
	tableTitle    = "志愿服务记录明细"
	noRecords     = "（暂无志愿服务记录）"
	verifyNote    = "本证明可扫描二维码或访问核验网址查验真伪。"
)

// newPage starts a page with its frame.
func (r *renderer) newPage() {
	r.pdf.AddPage()
	r.pdf.SetDrawColor(150, 40, 40)
	r.pdf.SetLineWidth(0.8)
	r.pdf.Rect(frameInset, frameInset, pageW-2*frameInset, pageH-2*frameInset, "D")
	r.pdf.SetLineWidth(0.25)
	r.pdf.Rect(frameInset+1.6, frameInset+1.6, pageW-2*frameInset-3.2, pageH-2*frameInset-3.2, "D")
	r.pdf.SetDrawColor(0, 0, 0)
}

// continuation starts a further page, headed so that a loose sheet still
// says which certificate it belongs to.
func (r *renderer) continuation() {
	r.newPage()
	r.pdf.SetTextColor(90, 90, 90)
	r.t.text(left, 26, continuedText, sizeBody-1)
	r.t.textRight(right, 26, "证书编号："+r.no, sizeSmall+1)
	r.pdf.SetTextColor(0, 0, 0)
	r.y = 32
}

// first lays out the head of the first page: title, basis, the statement.
func (r *renderer) first() {
	r.newPage()
	r.pdf.SetTextColor(150, 40, 40)
	r.t.textCentered(pageW/2, 42, spaced(titleText), sizeTitle)
	r.pdf.SetTextColor(90, 90, 90)
	r.t.textCentered(pageW/2, 51, basisText, sizeSmall+1)
	r.t.textRight(right, 60, "证书编号："+r.no, sizeSmall+1)
	r.pdf.SetTextColor(0, 0, 0)

	y := 74.0
	const lead = 8.5 // line spacing of the statement, mm
	for _, l := range r.t.wrap(r.paragraph, sizeBody, contentW) {
		r.t.text(left, y, l, sizeBody)
		y += lead
	}
	r.y = y + 2
}

// spaced puts a space between the characters of a short heading, as printed
// certificates do.
func spaced(s string) string {
	return strings.Join(strings.Split(s, ""), " ")
}

// Table metrics, mm.
const (
	lineH = 4.6 // line height in a cell
	padY  = 1.6 // space above and below a cell's text
	padX  = 1.5
)

// table draws the record, continuing on new pages with the header repeated.
// The last row goes with the closing block, so that the issuer and QR code
// never stand alone on a page that holds nothing of the record.
func (r *renderer) table() {
	r.pdf.SetTextColor(150, 40, 40)
	r.t.text(left, r.y+5, tableTitle, sizeBody-1)
	r.pdf.SetTextColor(0, 0, 0)
	r.y += 8
	r.row(colHeads, true)
	if len(r.rows) == 0 {
		r.row([]string{"", "", noRecords, "", "", ""}, false)
	}
	onPage := 0 // rows on the current page
	for i, row := range r.rows {
		need := r.rowHeight(row)
		if i == len(r.rows)-1 && onPage > 0 {
			need += r.closingHeight()
		}
		if r.y+need > bottom {
			r.continuation()
			r.row(colHeads, true)
			onPage = 0
		}
		r.row(row, false)
		onPage++
	}
}

func (r *renderer) rowHeight(cells []string) float64 {
	n := 1
	for i, s := range cells {
		n = max(n, len(r.t.wrap(s, sizeTable, colWidths[i]-2*padX)))
	}
	return float64(n)*lineH + 2*padY
}

// row draws one table row at r.y: wrapped cells, number columns centred.
func (r *renderer) row(cells []string, head bool) {
	h := r.rowHeight(cells)
	x := left
	if head {
		r.pdf.SetFillColor(244, 236, 236)
		r.pdf.Rect(left, r.y, contentW, h, "F")
	}
	r.pdf.SetDrawColor(120, 120, 120)
	r.pdf.SetLineWidth(0.2)
	for i, s := range cells {
		w := colWidths[i]
		r.pdf.Rect(x, r.y, w, h, "D")
		lines := r.t.wrap(s, sizeTable, w-2*padX)
		// Centre the block of lines vertically; the baseline sits about
		// 0.8 of the line height below the top of the line.
		y := r.y + (h-float64(len(lines))*lineH)/2 + lineH*0.78
		for _, l := range lines {
			if head || i == 0 || i == 1 || i == len(cells)-1 {
				r.t.textCentered(x+w/2, y, l, sizeTable)
			} else {
				r.t.text(x+padX, y, l, sizeTable)
			}
			y += lineH
		}
		x += w
	}
	r.pdf.SetDrawColor(0, 0, 0)
	r.y += h
}

// Closing block metrics, mm.
const (
	closingTextW = contentW - qrSize - 10 // issuer, date and number, left of the QR code
	closingLead  = 8.0                    // their line spacing
	urlLead      = 3.6                    // line spacing of the verify URL
)

// closingLines are the wrapped lines of the closing block: those left of
// the QR code, and the verify URL below it.
func (r *renderer) closingLines() (text, url []string) {
	for _, s := range []string{"出具单位：" + r.issuedBy, "出具日期：" + r.issued, "证书编号：" + r.no} {
		text = append(text, r.t.wrap(s, sizeBody, closingTextW)...)
	}
	return text, r.t.wrap("核验网址："+r.url, sizeSmall, contentW)
}

// closingHeight is the room closing needs below the table.
func (r *renderer) closingHeight() float64 {
	text, url := r.closingLines()
	return 12 + max(6+float64(len(text))*closingLead, qrSize+6) + 6 + float64(len(url))*urlLead
}

// closing draws the issuer, date, number and the QR code, on a new page if
// the current one has no room for all of it.
func (r *renderer) closing() {
	if r.y+r.closingHeight() > bottom {
		r.continuation()
	}
	text, url := r.closingLines()
	top := r.y + 12

	y := top + 6
	for _, l := range text {
		r.t.text(left, y, l, sizeBody)
		y += closingLead
	}
	r.pdf.SetTextColor(90, 90, 90)
	r.t.text(left, y, verifyNote, sizeSmall+1)

	qx := right - qrSize
	r.pdf.ImageOptions("qr", qx, top, qrSize, qrSize, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	r.pdf.SetTextColor(0, 0, 0)
	r.t.textCentered(qx+qrSize/2, top+qrSize+4.5, "扫码核验", sizeSmall+1)

	y = max(y, top+qrSize+6) + 6
	r.pdf.SetTextColor(90, 90, 90)
	for _, l := range url {
		r.t.text(left, y, l, sizeSmall)
		y += urlLead
	}
	r.pdf.SetTextColor(0, 0, 0)
}

// footers numbers the pages once their count is known.
func (r *renderer) footers() {
	n := r.pdf.PageCount()
	for p := 1; p <= n; p++ {
		r.pdf.SetPage(p)
		r.pdf.SetTextColor(120, 120, 120)
		r.t.textCentered(pageW/2, footerY, "第 "+strconv.Itoa(p)+" 页，共 "+strconv.Itoa(n)+" 页", sizeSmall)
	}
	r.pdf.SetTextColor(0, 0, 0)
}

// hours formats minutes as hours with one decimal, rounded half up:
// 750 → "12.5", 45 → "0.8".
func hours(minutes int) string {
	tenths := (minutes*10 + 30) / 60
	return strconv.Itoa(tenths/10) + "." + strconv.Itoa(tenths%10)
}

// chineseDate formats t's Beijing date as 2026年3月1日.
func chineseDate(t time.Time) string {
	t = t.In(beijing)
	return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day())
}
