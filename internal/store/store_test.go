package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"civicgrid/internal/errs"
	"civicgrid/internal/store"
	"civicgrid/internal/store/storetest"
)

func TestRebind(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = $1 AND b = $2"},
		{"SELECT '?' , \"a?\" FROM t WHERE x = ?", "SELECT '?' , \"a?\" FROM t WHERE x = $1"},
	} {
		if got := store.Postgres.Rebind(tc.in); got != tc.want {
			t.Errorf("Rebind(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := store.SQLite.Rebind(tc.in); got != tc.in {
			t.Errorf("SQLite rebind changed %q", tc.in)
		}
	}
}

func TestMigrateTwiceChangesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		v1, err := db.SchemaVersion(ctx)
		if err != nil || v1 < 1 {
			t.Fatalf("version %d, %v", v1, err)
		}
		n, err := db.Migrate(ctx)
		if err != nil || n != 0 {
			t.Fatalf("second migrate applied %d, %v", n, err)
		}
		ms, _ := store.Migrations(db.Dialect())
		if v1 != len(ms) {
			t.Fatalf("schema version %d, migrations %d", v1, len(ms))
		}
	})
}

func TestSameMigrationNumbersInBothDialects(t *testing.T) {
	a, err := store.Migrations(store.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	b, err := store.Migrations(store.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) {
		t.Fatalf("sqlite has %d migrations, postgres %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Name != b[i].Name {
			t.Errorf("migration %d named %q in sqlite, %q in postgres", i+1, a[i].Name, b[i].Name)
		}
	}
}

func TestTxRollbackAndErrors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fixed := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
		db.Now = func() time.Time { return fixed }
		boom := errors.New("boom")
		err := db.Write(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, "INSERT INTO meta(key, value) VALUES (?, ?)", "k", "v"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("want boom, got %v", err)
		}
		err = db.Read(ctx, func(tx *store.Tx) error {
			var v string
			return tx.QueryRow(ctx, "SELECT value FROM meta WHERE key = ?", "k").Scan(&v)
		})
		if !errs.Is(err, errs.NotFound) {
			t.Fatalf("rolled-back row visible or wrong error: %v", err)
		}
		committed := false
		err = db.Write(ctx, func(tx *store.Tx) error {
			if tx.NowText() != "2026-03-02T09:30:00.000Z" {
				t.Errorf("tx now %s", tx.NowText())
			}
			tx.AfterCommit(func() { committed = true })
			_, err := tx.Exec(ctx, "INSERT INTO meta(key, value) VALUES (?, ?)", "k", "v")
			return err
		})
		if err != nil || !committed {
			t.Fatalf("commit: %v, hook ran %v", err, committed)
		}
		err = db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO meta(key, value) VALUES (?, ?)", "k", "again")
			return err
		})
		if !errs.Is(err, errs.Conflict) {
			t.Fatalf("duplicate key: want conflict, got %v", err)
		}
	})
}

// TestWALIsCheckpointedBesideTheWriter: commits do not checkpoint (the
// writer connection has wal_autocheckpoint off), yet the WAL is folded into
// the database file in the background while the server runs, and emptied
// on close.
func TestWALIsCheckpointedBesideTheWriter(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Raw().Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)`); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 300; i++ {
		if _, err := db.Raw().Exec(`INSERT INTO t (v) VALUES (?)`, strings.Repeat("x", 2000)); err != nil {
			t.Fatal(err)
		}
	}
	main := filepath.Join(dir, "civicgrid.db")
	// Within a second the background checkpoint has moved the rows into the
	// main file (300 rows × 2 KB ≈ 600 KB).
	deadline := time.Now().Add(3 * time.Second)
	for {
		st, err := os.Stat(main)
		if err == nil && st.Size() > 500_000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("main file %d bytes: the WAL was not checkpointed", st.Size())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(main + "-wal"); err == nil && st.Size() != 0 {
		t.Fatalf("WAL holds %d bytes after close", st.Size())
	}
}
