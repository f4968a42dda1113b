package i18n

import (
	"strings"

	"civicgrid/internal/errs"
)

// Error renders a domain error for a user: never the cause (that is for
// logs), always a message from the catalogue or one the domain gave in both
// languages.
func (c *Catalog) Error(lang Lang, err error) string {
	e := errs.As(err)
	if e.Code == errs.Internal {
		return c.T(lang, "err.internal")
	}
	return c.errorText(lang, e)
}

func (c *Catalog) errorText(lang Lang, e *errs.Error) string {
	if e.Key == "err.literal" && len(e.Args) == 1 {
		if t, ok := e.Args[0].(errs.Text); ok {
			if lang == EN {
				return t.EN
			}
			return t.ZH
		}
	}
	// A per-item error: "feature #3 (code): <inner message>".
	if outer, inner, ok := strings.Cut(e.Key, ":"); ok && len(e.Args) >= 2 {
		innerErr := &errs.Error{Code: e.Code, Key: inner, Args: e.Args[2:]}
		return c.T(lang, outer, e.Args[0], e.Args[1], c.errorText(lang, innerErr))
	}
	args := make([]any, len(e.Args))
	for i, a := range e.Args {
		if k, ok := a.(errs.Key); ok {
			a = c.T(lang, string(k))
		}
		args[i] = a
	}
	return c.T(lang, e.Key, args...)
}
