package store

import (
	"errors"
	"strconv"
	"strings"

	"civicgrid/internal/errs"
)

// Dialect names a database. Every difference between the two lives in this
// file and the two open functions; the SQL in domain packages is written
// once, with ? placeholders.
type Dialect int

const (
	SQLite Dialect = iota + 1
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// Rebind rewrites ? placeholders to $1, $2, … for PostgreSQL, skipping
// quoted strings and identifiers.
func (d Dialect) Rebind(q string) string {
	if d != Postgres || strings.IndexByte(q, '?') < 0 {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// ForShare is the suffix for a SELECT that keeps a row from being locked
// FOR UPDATE until the transaction ends, while other sharers go on (as
// ForUpdate, nothing on SQLite).
func (d Dialect) ForShare() string {
	if d == Postgres {
		return " FOR SHARE"
	}
	return ""
}

// ForUpdate is the row-locking suffix for a SELECT that must serialise
// writers. SQLite serialises all writers already (one writer connection).
func (d Dialect) ForUpdate() string {
	if d == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// translate turns driver errors into neutral application errors at the
// boundary, so domain code never inspects driver types.
func translate(d Dialect, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrNoRows) {
		return &errs.Error{Code: errs.NotFound, Key: "err.not_found", Cause: err}
	}
	msg := err.Error()
	switch {
	case isUniqueViolation(d, err, msg):
		return &errs.Error{Code: errs.Conflict, Key: "err.conflict", Cause: err}
	case isCheckViolation(d, err, msg):
		return &errs.Error{Code: errs.Invalid, Key: "err.constraint", Cause: err}
	}
	return err
}

func isUniqueViolation(d Dialect, err error, msg string) bool {
	if d == Postgres {
		return pgCode(err) == "23505"
	}
	return strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "PRIMARY KEY constraint failed")
}

func isCheckViolation(d Dialect, err error, msg string) bool {
	if d == Postgres {
		c := pgCode(err)
		return c == "23514" || c == "23503" || c == "23502"
	}
	return strings.Contains(msg, "CHECK constraint failed") || strings.Contains(msg, "FOREIGN KEY constraint failed") || strings.Contains(msg, "NOT NULL constraint failed")
}
