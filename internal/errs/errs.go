// Package errs owns the application error codes that every domain returns and
// that the web and API layers map, in one table each, to HTTP status and to
// safe, translated messages.
package errs

import (
	"errors"
	"fmt"
)

// Code is one of a handful of application error kinds.
type Code string

const (
	Invalid      Code = "invalid"
	NotFound     Code = "not_found"
	Conflict     Code = "conflict"
	Forbidden    Code = "forbidden"
	Unauthorized Code = "unauthorized"
	Internal     Code = "internal"
)

// Error is a domain error. Key names a message in the translation catalogue
// (the user sees it, in their language); Cause is for logs only.
type Error struct {
	Code  Code
	Field string // JSON-pointer-like field path for invalid input, e.g. "phone" or "features/3/geometry"
	Key   string // catalogue key
	Args  []any  // arguments for the catalogue message
	Cause error
	// List holds every problem when one request had several (a GeoJSON
	// import with bad features reports them all at once).
	List []*Error
}

func (e *Error) Error() string {
	s := string(e.Code) + ": " + e.Key
	if e.Field != "" {
		s += " (" + e.Field + ")"
	}
	if len(e.Args) > 0 {
		s += fmt.Sprint(e.Args...)
	}
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Cause }

// New makes an error of the given code with a catalogue key.
func New(code Code, key string, args ...any) *Error {
	return &Error{Code: code, Key: key, Args: args}
}

// Field makes an Invalid error that points at one input field.
func Field(field, key string, args ...any) *Error {
	return &Error{Code: Invalid, Field: field, Key: key, Args: args}
}

// Wrap turns an unexpected error into an Internal one, keeping the cause for logs.
func Wrap(err error, msg string) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Code: Internal, Key: "err.internal", Cause: fmt.Errorf("%s: %w", msg, err)}
}

// CodeOf reports the code of err; errors that are not *Error are Internal.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// As returns err as *Error, wrapping foreign errors as Internal.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: Internal, Key: "err.internal", Cause: err}
}

// Is reports whether err carries code.
func Is(err error, code Code) bool { return CodeOf(err) == code }

// Key is a message argument that is itself a catalogue key (a stage or an
// action name), translated when the message is rendered.
type Key string

// Text is a message given directly in both languages, for errors produced by
// packages that do not use the catalogue (geometry, personal data parsing).
type Text struct{ ZH, EN string }

// Literal makes an Invalid error whose message is given in both languages.
func Literal(field string, t Text) *Error {
	return &Error{Code: Invalid, Field: field, Key: "err.literal", Args: []any{t}}
}
