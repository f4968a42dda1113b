// Package i18n owns the translation catalogue: every string a user sees comes
// from here, in Chinese (zh-CN, the default) or English.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// Lang is a supported language tag.
type Lang string

const (
	ZH Lang = "zh-CN"
	EN Lang = "en"
)

// Default is the language shown when nothing else is asked for.
const Default = ZH

//go:embed locales/*.json
var files embed.FS

// Catalog holds the messages of every language. It is immutable after Load.
type Catalog struct {
	msgs map[Lang]map[string]string
}

// Load reads the embedded catalogue and checks that every language has the
// same keys, so a missing translation is a start-up error, not a blank.
func Load() (*Catalog, error) {
	c := &Catalog{msgs: map[Lang]map[string]string{}}
	for _, l := range []Lang{ZH, EN} {
		b, err := files.ReadFile("locales/" + string(l) + ".json")
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", l, err)
		}
		c.msgs[l] = m
	}
	var missing []string
	for k := range c.msgs[ZH] {
		if _, ok := c.msgs[EN][k]; !ok {
			missing = append(missing, "en:"+k)
		}
	}
	for k := range c.msgs[EN] {
		if _, ok := c.msgs[ZH][k]; !ok {
			missing = append(missing, "zh-CN:"+k)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("i18n: keys missing: %s", strings.Join(missing, ", "))
	}
	return c, nil
}

// MustLoad is Load for programs that cannot start without the catalogue.
func MustLoad() *Catalog {
	c, err := Load()
	if err != nil {
		panic(err)
	}
	return c
}

// Has reports whether key exists.
func (c *Catalog) Has(key string) bool { _, ok := c.msgs[ZH][key]; return ok }

// Keys lists every key.
func (c *Catalog) Keys() []string {
	out := make([]string, 0, len(c.msgs[ZH]))
	for k := range c.msgs[ZH] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// T translates key into lang, formatting args with fmt verbs in the message.
// An unknown key is returned as is, so a mistake shows instead of vanishing.
func (c *Catalog) T(lang Lang, key string, args ...any) string {
	m, ok := c.msgs[lang]
	if !ok {
		m = c.msgs[Default]
	}
	s, ok := m[key]
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Parse maps a tag ("en-US", "zh", "zh-CN") to a supported language.
func Parse(tag string) (Lang, bool) {
	t := strings.ToLower(strings.TrimSpace(tag))
	switch {
	case strings.HasPrefix(t, "zh"):
		return ZH, true
	case strings.HasPrefix(t, "en"):
		return EN, true
	}
	return "", false
}

// FromRequest picks the language: the "lang" cookie if set, else Chinese.
// Accept-Language is deliberately not followed: the platform is Chinese
// first, and a browser set to English on an official's PC should not switch it.
func FromRequest(r *http.Request) Lang {
	if c, err := r.Cookie("lang"); err == nil {
		if l, ok := Parse(c.Value); ok {
			return l
		}
	}
	return Default
}
