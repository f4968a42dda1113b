// Package store owns the database handle: opening SQLite or PostgreSQL,
// transactions with a fixed "now", the small dialect shim, error translation
// and the migration runner. Domain packages write their own SQL against it.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"civicgrid/internal/errs"
)

// TimeFormat is the one form every timestamp is stored in, on both databases:
// fixed-width UTC text, so that string order is time order and substr() works
// the same everywhere.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// FormatTime renders t in the stored form.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// ParseTime reads a stored timestamp; the empty string is the zero time.
func ParseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(TimeFormat, s)
}

// DB is the application's database. On SQLite it keeps two pools: one
// connection for writers (SQLite allows one writer at a time; queueing in Go
// is cheaper than busy-waiting in SQLite) and several for readers (WAL lets
// them run beside the writer). On PostgreSQL both are the same pool.
type DB struct {
	write   *sql.DB
	read    *sql.DB
	dialect Dialect
	// Now is the clock; tests replace it to control deadlines and expiry.
	Now func() time.Time
	// Path is the SQLite file, empty on PostgreSQL.
	Path string

	// Prepared statements per pool, SQLite only: modernc's driver parses
	// every statement afresh, and parsing was a sixth of intake's CPU.
	// pgx caches prepared statements itself.
	writeStmts, readStmts *stmtCache
	ckpt                  *checkpointer // SQLite only
	group                 *group        // SQLite only: group commit for Write
}

// Options configure Open.
type Options struct {
	// URL is a postgres:// URL, or empty for SQLite in DataDir.
	URL string
	// DataDir holds the SQLite file when URL is empty.
	DataDir string
	// SQLiteFile overrides the file name inside DataDir.
	SQLiteFile string
}

// Open connects to the database named by opts. It does not migrate.
func Open(ctx context.Context, opts Options) (*DB, error) {
	db := &DB{Now: time.Now}
	switch {
	case strings.HasPrefix(opts.URL, "postgres://") || strings.HasPrefix(opts.URL, "postgresql://"):
		p, err := openPostgres(opts.URL)
		if err != nil {
			return nil, err
		}
		db.write, db.read, db.dialect = p, p, Postgres
	case opts.URL == "" || strings.HasPrefix(opts.URL, "sqlite:") || strings.HasSuffix(opts.URL, ".db"):
		path := opts.URL
		path = strings.TrimPrefix(path, "sqlite://")
		path = strings.TrimPrefix(path, "sqlite:")
		if path == "" {
			name := opts.SQLiteFile
			if name == "" {
				name = "civicgrid.db"
			}
			path = filepath.Join(opts.DataDir, name)
		}
		w, r, err := openSQLite(path)
		if err != nil {
			return nil, err
		}
		db.write, db.read, db.dialect, db.Path = w, r, SQLite, path
		db.writeStmts, db.readStmts = newStmtCache(w), newStmtCache(r)
		if db.ckpt, err = startCheckpointer(path); err != nil {
			db.Close()
			return nil, fmt.Errorf("store: open sqlite: %w", err)
		}
		db.group = startGroup(db)
	default:
		return nil, fmt.Errorf("store: unsupported database URL %q (want postgres://… or a SQLite file)", opts.URL)
	}
	if err := db.write.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	return db, nil
}

// Dialect reports which database this is.
func (db *DB) Dialect() Dialect { return db.dialect }

// Close closes the pools.
func (db *DB) Close() error {
	var err error
	if db.group != nil {
		db.group.close()
	}
	db.writeStmts.close()
	db.readStmts.close()
	if db.ckpt != nil {
		// After the readers and the writer are done, so the final
		// TRUNCATE checkpoint finds nothing pinned.
		defer db.ckpt.close()
	}
	if db.read != nil && db.read != db.write {
		err = db.read.Close()
	}
	if db.write != nil {
		err = errors.Join(err, db.write.Close())
	}
	return err
}

// Ping checks the database answers (for /healthz).
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Tx is a transaction with its dialect and the instant it began, which every
// write in it uses as "now" so one operation has one timestamp.
type Tx struct {
	tx      *sql.Tx
	dialect Dialect
	stmts   *stmtCache
	missed  []string // queries to prepare after the transaction
	now     time.Time
	// detached: a unit of a shared (group) transaction, whose statements
	// must not be interrupted when its caller gives up (see group).
	detached bool
	// afterCommit hooks run once the transaction has committed (cache
	// invalidation, notifications): never for a rolled-back transaction.
	afterCommit []func()
}

func (tx *Tx) stmt(query string) *sql.Stmt {
	st, miss := tx.stmts.get(query)
	if miss && len(tx.missed) < 64 {
		tx.missed = append(tx.missed, query)
	}
	return st
}

// Now is the transaction's fixed time.
func (tx *Tx) Now() time.Time { return tx.now }

// NowText is Now in the stored form.
func (tx *Tx) NowText() string { return FormatTime(tx.now) }

// Dialect of the underlying database.
func (tx *Tx) Dialect() Dialect { return tx.dialect }

// AfterCommit registers fn to run after a successful commit.
func (tx *Tx) AfterCommit(fn func()) { tx.afterCommit = append(tx.afterCommit, fn) }

// ctx is the context statements run under: the caller's, or for a unit of a
// shared transaction one that never ends early.
func (tx *Tx) ctx(ctx context.Context) context.Context {
	if tx.detached && ctx.Done() != nil {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// Exec runs a statement written with ? placeholders.
func (tx *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = tx.ctx(ctx)
	if st := tx.stmt(query); st != nil {
		res, err := tx.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
		return res, translate(tx.dialect, err)
	}
	res, err := tx.tx.ExecContext(ctx, tx.dialect.Rebind(query), args...)
	return res, translate(tx.dialect, err)
}

// Query runs a query written with ? placeholders.
func (tx *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = tx.ctx(ctx)
	if st := tx.stmt(query); st != nil {
		rows, err := tx.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
		return rows, translate(tx.dialect, err)
	}
	rows, err := tx.tx.QueryContext(ctx, tx.dialect.Rebind(query), args...)
	return rows, translate(tx.dialect, err)
}

// QueryRow runs a query returning at most one row.
func (tx *Tx) QueryRow(ctx context.Context, query string, args ...any) *Row {
	ctx = tx.ctx(ctx)
	if st := tx.stmt(query); st != nil {
		return &Row{row: tx.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...), dialect: tx.dialect}
	}
	return &Row{row: tx.tx.QueryRowContext(ctx, tx.dialect.Rebind(query), args...), dialect: tx.dialect}
}

// Prepare prepares a statement for repeated use inside the transaction.
func (tx *Tx) Prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	ctx = tx.ctx(ctx)
	st, err := tx.tx.PrepareContext(ctx, tx.dialect.Rebind(query))
	return st, translate(tx.dialect, err)
}

// Row wraps sql.Row so that "no rows" and driver errors come out translated.
type Row struct {
	row     *sql.Row
	dialect Dialect
}

// Scan is sql.Row.Scan with errors translated.
func (r *Row) Scan(dest ...any) error { return translate(r.dialect, r.row.Scan(dest...)) }

// ErrNoRows is returned (wrapped in a NotFound error) when a row is missing.
var ErrNoRows = sql.ErrNoRows

// Write runs fn in a read-write transaction and commits it if fn returns nil.
// On SQLite, writes that arrive together share one transaction and one
// fsync (see group), each still all-or-nothing; Write returns once its
// changes are durable.
func (db *DB) Write(ctx context.Context, fn func(*Tx) error) error {
	if db.group != nil {
		return db.group.write(ctx, fn)
	}
	return db.run(ctx, db.write, db.writeStmts, false, fn)
}

// Read runs fn in a read-only transaction.
func (db *DB) Read(ctx context.Context, fn func(*Tx) error) error {
	return db.run(ctx, db.read, db.readStmts, true, fn)
}

// Snapshot runs fn in a read-only transaction whose queries all see one
// consistent state of the database: REPEATABLE READ on PostgreSQL (each
// statement of a READ COMMITTED transaction sees its own), what every
// SQLite read transaction gives already.
func (db *DB) Snapshot(ctx context.Context, fn func(*Tx) error) error {
	return db.run(ctx, db.read, db.readStmts, true, fn, sql.LevelRepeatableRead)
}

func (db *DB) run(ctx context.Context, pool *sql.DB, stmts *stmtCache, readOnly bool, fn func(*Tx) error, level ...sql.IsolationLevel) (err error) {
	// SQLite's reader pool is opened query_only; asking database/sql for a
	// read-only transaction there would only add a round trip.
	opts := &sql.TxOptions{ReadOnly: readOnly && db.dialect == Postgres}
	if len(level) > 0 && db.dialect == Postgres {
		opts.Isolation = level[0]
	}
	stx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return errs.Wrap(translate(db.dialect, err), "begin")
	}
	tx := &Tx{tx: stx, dialect: db.dialect, stmts: stmts, now: db.Now().UTC().Truncate(time.Millisecond)}
	defer func() {
		if p := recover(); p != nil {
			_ = stx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = stx.Rollback()
		}
		for _, q := range tx.missed {
			stmts.prepare(ctx, q)
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = stx.Commit(); err != nil {
		return errs.Wrap(translate(db.dialect, err), "commit")
	}
	for _, f := range tx.afterCommit {
		f()
	}
	return nil
}

// Raw gives the writer pool for tools that must bypass transactions
// (backup, benchmarks of the raw driver). Domain code never uses it.
func (db *DB) Raw() *sql.DB { return db.write }

// ReadPool gives the reader pool for streaming exports.
func (db *DB) ReadPool() *sql.DB { return db.read }

// String scans a one-column row of text, for store.All over ids.
func String(r interface{ Scan(...any) error }) (string, error) {
	var s string
	return s, r.Scan(&s)
}

// All runs a query and turns each row into a T with scan, the loop every
// list read repeats.
func All[T any](ctx context.Context, tx *Tx, scan func(interface{ Scan(...any) error }) (T, error), query string, args ...any) ([]T, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
