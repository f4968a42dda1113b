// Package api owns the JSON API: wire helpers, RFC 9457 problem objects, the
// handlers for each domain and the OpenAPI 3 document built from the routes.
package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"civicgrid/internal/errs"
	"civicgrid/internal/i18n"
)

// statusOf is the one table from application error codes to HTTP status.
var statusOf = map[errs.Code]int{
	errs.Invalid:      http.StatusBadRequest,
	errs.NotFound:     http.StatusNotFound,
	errs.Conflict:     http.StatusConflict,
	errs.Forbidden:    http.StatusForbidden,
	errs.Unauthorized: http.StatusUnauthorized,
	errs.Internal:     http.StatusInternalServerError,
}

// Status maps an error to its HTTP status.
func Status(err error) int {
	if s, ok := statusOf[errs.CodeOf(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Problem is an RFC 9457 problem object, with the offending field named.
type Problem struct {
	Type     string         `json:"type"`
	Title    string         `json:"title"`
	Status   int            `json:"status"`
	Detail   string         `json:"detail,omitempty"`
	Instance string         `json:"instance,omitempty"`
	Code     errs.Code      `json:"code"`
	Field    string         `json:"field,omitempty"`
	Errors   []ProblemField `json:"errors,omitempty"`
}

// ProblemField is one of several problems in one request.
type ProblemField struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// Lang picks the API's message language from Accept-Language (API clients
// have no cookie), Chinese unless English is asked for first.
func Lang(r *http.Request) i18n.Lang {
	if c, err := r.Cookie("lang"); err == nil {
		if l, ok := i18n.Parse(c.Value); ok {
			return l
		}
	}
	if l, ok := i18n.Parse(r.Header.Get("Accept-Language")); ok {
		return l
	}
	return i18n.Default
}

// WriteError writes err as a problem object; internal causes go to the log
// with the request id, never to the client.
func WriteError(w http.ResponseWriter, r *http.Request, cat *i18n.Catalog, err error) {
	e := errs.As(err)
	status := Status(e)
	if status >= 500 {
		slog.ErrorContext(r.Context(), "request failed", "err", err, "path", r.URL.Path)
	}
	lang := Lang(r)
	p := Problem{
		Type:     "urn:civicgrid:problem:" + string(e.Code),
		Title:    cat.T(lang, "problem."+string(e.Code)),
		Status:   status,
		Detail:   cat.Error(lang, e),
		Instance: r.URL.Path,
		Code:     e.Code,
		Field:    e.Field,
	}
	for _, sub := range e.List {
		p.Errors = append(p.Errors, ProblemField{Field: sub.Field, Detail: cat.Error(lang, sub)})
	}
	w.Header().Set("Content-Type", "application/problem+json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(p)
}

// WriteJSON writes v with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// Page is a list with a cursor for the next page ("" at the end).
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// MarshalJSON writes an empty list as [], never null, as the schema says.
func (p Page[T]) MarshalJSON() ([]byte, error) {
	type plain Page[T]
	if p.Items == nil {
		p.Items = []T{}
	}
	return json.Marshal(plain(p))
}

// decode reads a JSON body into v, refusing unknown fields and oversized bodies.
func decode(r *http.Request, v any, limit int64) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var ue *json.UnmarshalTypeError
		if errors.As(err, &ue) {
			// Name the field and the JSON type expected, never Go's types.
			return &errs.Error{Code: errs.Invalid, Field: ue.Field, Key: "err.json_type", Args: []any{ue.Field, ue.Value}, Cause: err}
		}
		msg := err.Error()
		if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
			return &errs.Error{Code: errs.Invalid, Field: strings.Trim(f, `"`), Key: "err.json_unknown", Args: []any{strings.Trim(f, `"`)}, Cause: err}
		}
		return &errs.Error{Code: errs.Invalid, Key: "err.json", Args: []any{strings.TrimPrefix(msg, "json: ")}, Cause: err}
	}
	return nil
}
