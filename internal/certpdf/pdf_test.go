package certpdf

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"golang.org/x/text/encoding/charmap"
)

// A small PDF reader for the tests, enough for what fpdf writes: a classic
// xref table, direct /Length values, FlateDecode streams. It checks the file's
// structure as it goes, so reading a file is already a well-formedness test.

type pdfObject struct {
	dict   string // the object up to "stream" (or all of it)
	stream []byte // decoded stream data, nil if none
}

type pdfFile struct {
	objects map[int]pdfObject
	pages   []int // page object numbers in order
}

var (
	reStartXref = regexp.MustCompile(`startxref\n(\d+)\n%%EOF\n?$`)
	reXrefHead  = regexp.MustCompile(`^xref\n0 (\d+)\n`)
	reLength    = regexp.MustCompile(`/Length (\d+)`)
	reRef       = regexp.MustCompile(`/(\w+) (\d+) 0 R`)
	reKids      = regexp.MustCompile(`/Kids \[([^\]]*)\]`)
	reCount     = regexp.MustCompile(`/Count (\d+)`)
)

func readPDF(t testing.TB, b []byte) *pdfFile {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("%PDF-1.")) {
		t.Fatalf("no PDF header: %q", b[:min(len(b), 16)])
	}
	m := reStartXref.FindSubmatch(b)
	if m == nil {
		t.Fatalf("no startxref/%%%%EOF at the end: %q", b[max(0, len(b)-64):])
	}
	xref, _ := strconv.Atoi(string(m[1]))
	if xref >= len(b) {
		t.Fatalf("startxref %d is past the end (%d)", xref, len(b))
	}
	h := reXrefHead.FindSubmatch(b[xref:])
	if h == nil {
		t.Fatalf("startxref %d does not point at an xref table", xref)
	}
	n, _ := strconv.Atoi(string(h[1]))
	entries := b[xref+len(h[0]):]
	f := &pdfFile{objects: map[int]pdfObject{}}
	for i := 0; i < n; i++ {
		e := string(entries[20*i : 20*i+20])
		if i == 0 {
			continue // the free-list head
		}
		if e[17] != 'n' {
			t.Fatalf("xref entry %d is not in use: %q", i, e)
		}
		off, err := strconv.Atoi(e[:10])
		if err != nil || off >= len(b) {
			t.Fatalf("xref entry %d: bad offset %q", i, e)
		}
		f.objects[i] = readObject(t, b, off, i)
	}
	trailer := string(entries[20*n:])
	if !strings.Contains(trailer, fmt.Sprintf("/Size %d", n)) {
		t.Fatalf("trailer does not give /Size %d: %q", n, trailer)
	}
	root := f.ref(t, trailer, "Root")
	pagesNum := f.ref(t, f.objects[root].dict, "Pages")
	pages := f.objects[pagesNum].dict
	for _, k := range strings.Fields(reKids.FindStringSubmatch(pages)[1]) {
		if k == "0" || k == "R" {
			continue
		}
		num, _ := strconv.Atoi(k)
		if !strings.Contains(f.objects[num].dict, "/Type /Page\n") {
			t.Fatalf("kid %d is not a page: %q", num, f.objects[num].dict)
		}
		f.pages = append(f.pages, num)
	}
	if c := reCount.FindStringSubmatch(pages); c == nil || c[1] != strconv.Itoa(len(f.pages)) {
		t.Fatalf("page tree /Count %v, %d kids", c, len(f.pages))
	}
	return f
}

func readObject(t testing.TB, b []byte, off, num int) pdfObject {
	t.Helper()
	head := fmt.Sprintf("%d 0 obj\n", num)
	if !bytes.HasPrefix(b[off:], []byte(head)) {
		t.Fatalf("xref offset %d of object %d points at %q", off, num, b[off:min(len(b), off+20)])
	}
	rest := b[off+len(head):]
	end := bytes.Index(rest, []byte("endobj"))
	si := bytes.Index(rest, []byte("stream\n"))
	if si < 0 || si > end {
		return pdfObject{dict: string(rest[:end])}
	}
	o := pdfObject{dict: string(rest[:si])}
	lm := reLength.FindStringSubmatch(o.dict)
	if lm == nil {
		t.Fatalf("object %d: stream without a direct /Length", num)
	}
	length, _ := strconv.Atoi(lm[1])
	data := rest[si+len("stream\n"):]
	if len(data) < length || !bytes.HasPrefix(data[length:], []byte("\nendstream")) {
		t.Fatalf("object %d: stream is not %d bytes followed by endstream", num, length)
	}
	o.stream = data[:length]
	if strings.Contains(o.dict, "/FlateDecode") {
		zr, err := zlib.NewReader(bytes.NewReader(o.stream))
		if err != nil {
			t.Fatalf("object %d: %v", num, err)
		}
		if o.stream, err = io.ReadAll(zr); err != nil {
			t.Fatalf("object %d: inflating: %v", num, err)
		}
	}
	return o
}

// ref finds "/Key N 0 R" in dict and returns N.
func (f *pdfFile) ref(t testing.TB, dict, key string) int {
	t.Helper()
	for _, m := range reRef.FindAllStringSubmatch(dict, -1) {
		if m[1] == key {
			n, _ := strconv.Atoi(m[2])
			if _, ok := f.objects[n]; !ok {
				t.Fatalf("/%s points at missing object %d", key, n)
			}
			return n
		}
	}
	t.Fatalf("no /%s in %q", key, dict)
	return 0
}

// find returns the objects whose dictionary contains all of keys.
func (f *pdfFile) find(keys ...string) []pdfObject {
	var out []pdfObject
	for i := 1; i <= len(f.objects); i++ {
		o, ok := f.objects[i]
		if !ok {
			continue
		}
		all := true
		for _, k := range keys {
			all = all && strings.Contains(o.dict, k)
		}
		if all {
			out = append(out, o)
		}
	}
	return out
}

// pageContent is what one page shows: its text in drawing order (strings in
// the Type0 font decoded from UTF-16, others from Windows-1252) and the
// images it draws.
type pageContent struct {
	text   string
	images []string // resource names of the XObjects drawn
}

func (f *pdfFile) page(t testing.TB, i int) pageContent {
	t.Helper()
	pg := f.objects[f.pages[i]].dict
	res := f.objects[f.ref(t, pg, "Resources")].dict
	unicodeFont := map[string]bool{}
	for _, m := range reRef.FindAllStringSubmatch(res, -1) {
		n, _ := strconv.Atoi(m[2])
		unicodeFont[m[1]] = strings.Contains(f.objects[n].dict, "/Subtype /Type0")
	}
	content := f.objects[f.ref(t, pg, "Contents")].stream

	var pc pageContent
	var text strings.Builder
	var lastName, font, str string
	for i := 0; i < len(content); i++ {
		switch c := content[i]; {
		case c == '(':
			var s []byte
			for i++; content[i] != ')'; i++ {
				if content[i] == '\\' {
					i++
					switch content[i] {
					case 'r':
						s = append(s, '\r')
					case 'n':
						s = append(s, '\n')
					default:
						s = append(s, content[i])
					}
					continue
				}
				s = append(s, content[i])
			}
			str = string(s)
		case c == '/':
			j := i + 1
			for j < len(content) && !strings.ContainsRune(" \n/[]<>()", rune(content[j])) {
				j++
			}
			lastName, i = string(content[i+1:j]), j-1
		case bytes.HasPrefix(content[i:], []byte("Tf")):
			font = lastName
		case bytes.HasPrefix(content[i:], []byte("Do")):
			pc.images = append(pc.images, lastName)
		case bytes.HasPrefix(content[i:], []byte("Tj")):
			if unicodeFont[font] {
				text.WriteString(decodeUTF16(t, str))
			} else {
				s, _ := charmap.Windows1252.NewDecoder().String(str)
				text.WriteString(s)
			}
		}
	}
	pc.text = text.String()
	return pc
}

func decodeUTF16(t testing.TB, s string) string {
	if len(s)%2 != 0 {
		t.Fatalf("odd-length UTF-16 string %q", s)
	}
	u := make([]uint16, len(s)/2)
	for i := range u {
		u[i] = uint16(s[2*i])<<8 | uint16(s[2*i+1])
	}
	return string(utf16.Decode(u))
}
