package i18n_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"civicgrid/internal/i18n"
)

func TestCatalogueLoadsWithSameKeys(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Keys()) < 150 {
		t.Fatalf("only %d keys", len(c.Keys()))
	}
	if got := c.T(i18n.ZH, "err.too_long", 50); got != "内容过长，最多 50 个字符。" {
		t.Fatalf("zh formatting: %q", got)
	}
	if got := c.T(i18n.EN, "err.too_long", 50); got != "Too long: at most 50 characters." {
		t.Fatalf("en formatting: %q", got)
	}
	if got := c.T(i18n.ZH, "no.such.key"); got != "no.such.key" {
		t.Fatalf("unknown key should show itself, got %q", got)
	}
}

var (
	templateKey = regexp.MustCompile(`\.T "([a-zA-Z0-9_.]+)"`)
	goKey       = regexp.MustCompile(`"((?:err|problem|login|home|nav|regions|map|import|accounts|people|audit|list|status|role|level|token|app)\.[a-zA-Z0-9_.]+)"`)
)

// TestEveryUsedKeyExists scans the templates and Go sources for catalogue
// keys and fails on any that the catalogue lacks, so a typo is caught here
// and not by a user seeing "err.something".
func TestEveryUsedKeyExists(t *testing.T) {
	c := i18n.MustLoad()
	root := filepath.Join("..", "..")
	checked := 0
	err := filepath.WalkDir(filepath.Join(root, "internal"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		var re *regexp.Regexp
		switch {
		case strings.HasSuffix(p, ".html"):
			re = templateKey
		case strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go"):
			re = goKey
		default:
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			key := m[1]
			// Permission and audit-action names share the key shape but are not UI text.
			if strings.HasSuffix(key, ".") || strings.HasSuffix(key, ".css") || strings.HasSuffix(key, ".js") || key == "audit.read" || key == "token.create" {
				continue
			}
			checked++
			if !c.Has(key) {
				t.Errorf("%s uses %q, which is not in the catalogue", p, key)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("only %d key uses found: is the scan broken?", checked)
	}
}

// TestTemplatesHaveNoLiteralChinese: every user-visible string goes through
// the catalogue. The only exception is the language switch, which names
// Chinese in Chinese on purpose.
func TestTemplatesHaveNoLiteralChinese(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "web", "templates", "*.html"))
	if len(files) == 0 {
		t.Fatal("no templates found")
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		s := strings.ReplaceAll(string(b), ">中文<", "><")
		for i, line := range strings.Split(s, "\n") {
			for _, r := range line {
				if unicode.Is(unicode.Han, r) {
					t.Errorf("%s:%d has literal Chinese text: %s", f, i+1, strings.TrimSpace(line))
					break
				}
			}
		}
	}
}
