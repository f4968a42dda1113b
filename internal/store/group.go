package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"civicgrid/internal/errs"
)

// group is group commit for SQLite's single writer. Every commit is made
// durable with an fsync (synchronous=FULL), which on this kind of machine
// costs as much as a few hundred small inserts; so writes that arrive while
// one transaction commits wait and go together into the next one, and one
// fsync serves them all.
//
// Each Write stays all-or-nothing and fails alone: in a shared transaction
// every unit runs inside its own SAVEPOINT, and one whose function fails is
// rolled back to it while its neighbours go on. Units run one after another
// on the one connection, so each sees the writes of those before it, exactly
// as if they had committed one by one; nobody is answered before the shared
// commit, so nobody sees a write that could still be lost. If the shared
// transaction itself fails (the commit, or SQLite abandoning the transaction)
// every unit in it is told so, and none of them is stored.
//
// PostgreSQL has its own group commit and a pool of connections; there Write
// is a plain transaction.
type group struct {
	db   *DB
	in   chan *unit
	stop chan struct{}
	done chan struct{}
	seq  uint64

	units, txs atomic.Int64
}

// maxGroup bounds one shared transaction, and so the wait of its last unit.
const maxGroup = 256

type unit struct {
	ctx   context.Context
	fn    func(*Tx) error
	tx    *Tx
	err   error
	panic any
	done  chan struct{}
}

var errClosed = errors.New("store: database is closed")

func startGroup(db *DB) *group {
	g := &group{db: db, in: make(chan *unit, maxGroup), stop: make(chan struct{}), done: make(chan struct{})}
	go g.run()
	return g
}

// write queues fn and waits for the shared commit.
func (g *group) write(ctx context.Context, fn func(*Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	u := &unit{ctx: ctx, fn: fn, done: make(chan struct{})}
	select {
	case g.in <- u:
	case <-g.stop:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued the unit may be committed; the caller waits for the
	// outcome even if it gives up, so "failed" always means "not stored".
	<-u.done
	if u.panic != nil {
		panic(u.panic)
	}
	if u.err != nil {
		return u.err
	}
	for _, f := range u.tx.afterCommit {
		f()
	}
	return nil
}

func (g *group) run() {
	defer close(g.done)
	for {
		var first *unit
		select {
		case <-g.stop:
			g.drain()
			return
		case first = <-g.in:
		}
		batch := g.fill([]*unit{first})
		if len(batch) < maxGroup {
			// One yield lets writers that are ready, but waiting for a
			// processor, join this transaction rather than the next.
			runtime.Gosched()
			batch = g.fill(batch)
		}
		g.commit(batch)
		for _, u := range batch {
			close(u.done)
		}
	}
}

func (g *group) fill(batch []*unit) []*unit {
	for len(batch) < maxGroup {
		select {
		case u := <-g.in:
			batch = append(batch, u)
		default:
			return batch
		}
	}
	return batch
}

func (g *group) drain() {
	for {
		select {
		case u := <-g.in:
			u.err = errClosed
			close(u.done)
		default:
			return
		}
	}
}

func (g *group) close() {
	close(g.stop)
	<-g.done
}

// commit runs a batch in one transaction and sets each unit's outcome.
func (g *group) commit(batch []*unit) {
	// The transaction belongs to no caller: one that gives up must not roll
	// back its neighbours (database/sql rolls back a transaction whose
	// context ends, and SQLite abandons one whose statement is interrupted).
	ctx := context.Background()
	stx, err := g.db.write.BeginTx(ctx, nil)
	if err != nil {
		failAll(batch, errs.Wrap(translate(g.db.dialect, err), "begin"))
		return
	}
	var missed []string
	alone := len(batch) == 1
	ok := 0
	for _, u := range batch {
		if err := u.ctx.Err(); err != nil {
			u.err = err // never ran
			continue
		}
		u.tx = &Tx{tx: stx, dialect: g.db.dialect, stmts: g.db.writeStmts, detached: true, now: g.db.Now().UTC().Truncate(time.Millisecond)}
		if alone {
			u.panic, u.err = call(u)
		} else if err := g.savepoint(ctx, stx, u); err != nil {
			_ = stx.Rollback()
			failAll(batch, err)
			return
		}
		missed = append(missed, u.tx.missed...)
		if u.err == nil && u.panic == nil {
			ok++
		}
	}
	if ok == 0 {
		_ = stx.Rollback()
	} else if err := stx.Commit(); err != nil {
		failAll(batch, errs.Wrap(translate(g.db.dialect, err), "commit"))
		return
	}
	g.units.Add(int64(ok))
	g.txs.Add(1)
	for _, q := range missed {
		g.db.writeStmts.prepare(ctx, q)
	}
}

// savepoint runs one unit of a shared transaction between SAVEPOINT and
// RELEASE, rolling back to it if the unit fails. An error means the shared
// transaction can no longer be trusted.
func (g *group) savepoint(ctx context.Context, stx *sql.Tx, u *unit) error {
	g.seq++
	sp := fmt.Sprintf("g%d", g.seq)
	if _, err := stx.ExecContext(ctx, "SAVEPOINT "+sp); err != nil {
		return errs.Wrap(translate(g.db.dialect, err), "savepoint")
	}
	u.panic, u.err = call(u)
	if u.err != nil || u.panic != nil {
		// If SQLite gave the whole transaction up (a full disk, say), the
		// savepoint is gone with it and this fails: nothing of the batch
		// may then be reported stored.
		if _, err := stx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+sp); err != nil {
			return errs.Wrap(translate(g.db.dialect, err), "rollback to savepoint")
		}
	}
	if _, err := stx.ExecContext(ctx, "RELEASE SAVEPOINT "+sp); err != nil {
		return errs.Wrap(translate(g.db.dialect, err), "release savepoint")
	}
	return nil
}

// call runs a unit's function, catching a panic so that it can be rethrown
// in the caller's goroutine rather than the writer's.
func call(u *unit) (p any, err error) {
	defer func() {
		if r := recover(); r != nil {
			p = r
		}
	}()
	return nil, u.fn(u.tx)
}

// failAll tells every unit of a lost shared transaction that it was not
// stored, except those that never ran and already say why.
func failAll(batch []*unit, err error) {
	for _, u := range batch {
		if u.tx == nil && u.err != nil {
			continue
		}
		u.err = err
	}
}

// GroupStats says how many writes went through how many SQLite transactions.
func (db *DB) GroupStats() (writes, txs int64) {
	if db.group == nil {
		return 0, 0
	}
	return db.group.units.Load(), db.group.txs.Load()
}
