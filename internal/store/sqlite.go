package store

import (
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// sqlitePragmas are set on every connection, in one place:
//   - journal_mode=WAL: readers never block the writer and vice versa.
//   - synchronous=NORMAL: in WAL mode a commit survives a process crash; only
//     an OS crash or power loss can lose the last transactions, never corrupt.
//   - busy_timeout: a second process (backup, CLI) waits instead of failing.
//   - foreign_keys: SQLite leaves them off by default.
//   - cache_size: 64 MiB page cache per connection keeps the region table hot.
var sqlitePragmas = []string{
	"journal_mode(WAL)",
	"synchronous(NORMAL)",
	"busy_timeout(10000)",
	"foreign_keys(1)",
	"cache_size(-65536)",
	"temp_store(MEMORY)",
}

func sqliteDSN(path string, readOnly bool) string {
	q := url.Values{}
	for _, p := range sqlitePragmas {
		q.Add("_pragma", p)
	}
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		// BEGIN IMMEDIATE takes the write lock at the start, so a
		// transaction that reads then writes cannot fail half-way with SQLITE_BUSY.
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

func openSQLite(path string) (write, read *sql.DB, err error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, nil, fmt.Errorf("store: create data dir: %w", err)
		}
	}
	write, err = sql.Open("sqlite", sqliteDSN(path, false))
	if err != nil {
		return nil, nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	// Create the file and switch it to WAL before readers open it.
	if _, err := write.Exec("SELECT 1"); err != nil {
		write.Close()
		return nil, nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	read, err = sql.Open("sqlite", sqliteDSN(path, true))
	if err != nil {
		write.Close()
		return nil, nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	return write, read, nil
}
