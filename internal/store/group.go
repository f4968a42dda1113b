package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync"
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
// A caller may give up while its unit waits in the queue (it is then never
// run); once the unit has started, the caller waits for the outcome, so an
// error always means "not stored". A transaction that has run for
// maxGroupTime commits with the units run so far, so one slow write (an
// import) delays the quick ones queued behind it by no more than it must.
//
// PostgreSQL has its own group commit and a pool of connections; there Write
// is a plain transaction.
type group struct {
	db   *DB
	in   chan *unit
	stop chan struct{}
	done chan struct{}
	seq  uint64

	// mu orders Close after every write that got past the closed check,
	// so nothing is queued once the writer has drained the queue.
	mu     sync.RWMutex
	closed bool

	// The batch being committed and how many of its units have started,
	// for the writer's own recovery when a unit ends its goroutine
	// (runtime.Goexit, as t.Fatal does).
	stx   *sql.Tx
	batch []*unit
	ran   int

	units, txs atomic.Int64
}

// maxGroup bounds one shared transaction, and so the wait of its last unit;
// maxGroupTime bounds how long its first unit waits for the commit.
const (
	maxGroup     = 256
	maxGroupTime = 20 * time.Millisecond
)

// Unit states: queued, taken by the writer, or withdrawn by its caller.
const (
	queued int32 = iota
	taken
	withdrawn
)

type unit struct {
	ctx   context.Context
	fn    func(*Tx) error
	tx    *Tx
	err   error
	panic any
	state atomic.Int32
	done  chan struct{}
}

var (
	errClosed = errors.New("store: database is closed")
	errExited = errors.New("store: a write ended its goroutine (runtime.Goexit) inside the shared transaction, which was rolled back")
)

func startGroup(db *DB) *group {
	g := &group{db: db, in: make(chan *unit, maxGroup), stop: make(chan struct{}), done: make(chan struct{})}
	go g.run(nil)
	return g
}

// write queues fn and waits for the shared commit.
func (g *group) write(ctx context.Context, fn func(*Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	u := &unit{ctx: ctx, fn: fn, done: make(chan struct{})}
	g.mu.RLock()
	if g.closed {
		g.mu.RUnlock()
		return errClosed
	}
	select {
	case g.in <- u:
	case <-ctx.Done():
		g.mu.RUnlock()
		return ctx.Err()
	}
	g.mu.RUnlock()
	select {
	case <-u.done:
	case <-ctx.Done():
		if u.state.CompareAndSwap(queued, withdrawn) {
			return ctx.Err() // never ran
		}
		<-u.done // it runs: wait, so that an error means "not stored"
	}
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

func (g *group) run(pending []*unit) {
	exited := true
	defer func() {
		if exited {
			g.recoverExit()
		}
	}()
	for {
		batch := pending
		pending = nil
		if len(batch) == 0 {
			select {
			case <-g.stop:
				g.drain()
				exited = false
				close(g.done)
				return
			case first := <-g.in:
				batch = []*unit{first}
			}
		}
		batch = g.fill(batch)
		if len(batch) < maxGroup {
			// One yield lets writers that are ready, but waiting for a
			// processor, join this transaction rather than the next.
			runtime.Gosched()
			batch = g.fill(batch)
		}
		for len(batch) > 0 {
			g.batch = batch
			n := g.commit(batch)
			g.stx, g.batch, g.ran = nil, nil, 0
			for _, u := range batch[:n] {
				close(u.done)
			}
			batch = batch[n:]
		}
	}
}

// recoverExit runs when a unit ended the writer goroutine: the transaction
// is rolled back and the units that ran in it are told; a new writer takes
// over with the units not yet run.
func (g *group) recoverExit() {
	if g.stx != nil {
		_ = g.stx.Rollback()
	}
	ran := g.batch[:g.ran]
	for _, u := range ran {
		if u.state.Load() == taken {
			u.err, u.panic = errExited, nil
		}
		close(u.done)
	}
	rest := g.batch[g.ran:]
	g.stx, g.batch, g.ran = nil, nil, 0
	go g.run(rest)
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
	g.mu.Lock()
	was := g.closed
	g.closed = true
	g.mu.Unlock()
	if !was {
		close(g.stop)
	}
	<-g.done
}

// commit runs units of batch in one transaction, sets each one's outcome,
// and returns how many it dealt with: all of them, or fewer when the
// transaction has run for maxGroupTime.
func (g *group) commit(batch []*unit) int {
	// The transaction belongs to no caller: one that gives up must not roll
	// back its neighbours (database/sql rolls back a transaction whose
	// context ends, and SQLite abandons one whose statement is interrupted).
	ctx := context.Background()
	start := time.Now()
	stx, err := g.db.write.BeginTx(ctx, nil)
	if err != nil {
		failAll(batch, errs.Wrap(translate(g.db.dialect, err), "begin"))
		return len(batch)
	}
	g.stx = stx
	var missed []string
	alone := len(batch) == 1
	ok, n := 0, 0
	for _, u := range batch {
		if n > 0 && time.Since(start) > maxGroupTime {
			break // the rest go into the next transaction
		}
		n++
		g.ran = n
		if !u.state.CompareAndSwap(queued, taken) {
			u.err = context.Canceled // withdrawn; never ran
			continue
		}
		if err := u.ctx.Err(); err != nil {
			u.err = err // gave up before it ran
			continue
		}
		u.tx = &Tx{tx: stx, dialect: g.db.dialect, stmts: g.db.writeStmts, detached: true, now: g.db.Now().UTC().Truncate(time.Millisecond)}
		if alone {
			u.panic, u.err = call(u)
		} else if err := g.savepoint(ctx, stx, u); err != nil {
			_ = stx.Rollback()
			failAll(batch[:n], err)
			return n
		}
		missed = append(missed, u.tx.missed...)
		if u.err == nil && u.panic == nil {
			ok++
		}
	}
	if ok == 0 {
		_ = stx.Rollback()
	} else if err := stx.Commit(); err != nil {
		failAll(batch[:n], errs.Wrap(translate(g.db.dialect, err), "commit"))
		return n
	}
	g.units.Add(int64(ok))
	g.txs.Add(1)
	for _, q := range missed {
		g.db.writeStmts.prepare(ctx, q)
	}
	return n
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

// failAll tells every unit of a lost shared transaction that ran that it
// was not stored; those that never ran already say why.
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
