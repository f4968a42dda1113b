// Package storetest opens real, migrated databases for tests: a SQLite file
// in a temporary directory always, and a private schema on the PostgreSQL
// server named by CIVICGRID_TEST_POSTGRES when it is set.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"civicgrid/internal/store"
)

// EnvPostgres names the variable holding the PostgreSQL server URL.
const EnvPostgres = "CIVICGRID_TEST_POSTGRES"

// Each runs fn once per available database, as subtests named "sqlite" and
// "postgres". In CI (CI=true) a missing PostgreSQL URL fails the test rather
// than silently testing one database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, OpenSQLite(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, OpenPostgres(t))
	})
}

// OpenSQLite gives a migrated SQLite database in a temporary directory.
func OpenSQLite(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// PostgresURL returns the server URL, skipping the test when it is not set
// (and failing it in CI).
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvPostgres)
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set in CI: the PostgreSQL half of the store suite must run", EnvPostgres)
		}
		t.Skipf("%s not set; PostgreSQL tests skipped", EnvPostgres)
	}
	return u
}

// OpenPostgres gives a migrated database in a fresh schema of its own, so
// tests run in parallel; the schema is dropped afterwards.
func OpenPostgres(t testing.TB) *store.DB {
	t.Helper()
	base := PostgresURL(t)
	schema := NewSchema(t, base)
	db, err := store.Open(context.Background(), store.Options{URL: WithSearchPath(t, base, schema)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// NewSchema creates an empty schema and drops it when the test ends.
func NewSchema(t testing.TB, base string) string {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		t.Fatalf("postgres at %s: %v", base, err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	return schema
}

// WithSearchPath returns base with search_path set to schema.
func WithSearchPath(t testing.TB, base, schema string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
