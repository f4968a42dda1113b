package store

import (
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// sqlitePragmas are set on every connection, in one place:
//   - journal_mode=WAL: readers never block the writer and vice versa.
//   - synchronous=FULL: a commit is fsynced to the WAL before Write returns,
//     so a report or a transfer that was acknowledged survives a power cut,
//     not only a process crash (NORMAL would lose the last transactions).
//     The fsync costs as much as a few hundred small inserts; group commit
//     (group.go) shares one among all the writes that arrive together.
//   - busy_timeout: a second process (backup, CLI) waits instead of failing.
//   - foreign_keys: SQLite leaves them off by default.
//   - cache_size: 64 MiB page cache per connection keeps the region table hot.
var sqlitePragmas = []string{
	"journal_mode(WAL)",
	"synchronous(FULL)",
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
		// Checkpoints run beside the writer (checkpointer below), not
		// inside its commits, where they wait on the disk.
		q.Add("_pragma", "wal_autocheckpoint(0)")
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

// checkpointer copies the WAL back into the database file from its own
// connection, so the single writer's commits never wait for it. A passive
// checkpoint every 200 ms keeps up with intake; if the WAL still grows past
// walRestartPages (readers pinning old pages), a RESTART checkpoint waits
// for them so the file cannot grow without bound.
type checkpointer struct {
	db   *sql.DB
	stop chan struct{}
	done chan struct{}
}

const walRestartPages = 100_000 // ~400 MB of 4 KiB pages

func startCheckpointer(path string) (*checkpointer, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	c := &checkpointer{db: db, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c, nil
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		var busy, log, done int
		if err := c.db.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &done); err != nil {
			continue
		}
		if log > walRestartPages {
			c.db.Exec("PRAGMA wal_checkpoint(RESTART)")
		}
	}
}

// close stops the loop and folds the whole WAL into the file.
func (c *checkpointer) close() error {
	close(c.stop)
	<-c.done
	c.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	return c.db.Close()
}
