package web

import (
	"html/template"
	"io"
)

// tmplText writes alternating trusted markup and escaped text: parts at even
// positions are markup, odd positions are user data.
func tmplText(w io.Writer, parts ...string) {
	for i, p := range parts {
		if i%2 == 1 {
			p = template.HTMLEscapeString(p)
		}
		io.WriteString(w, p)
	}
}
