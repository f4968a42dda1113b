package cases

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/bits"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"civicgrid/internal/store"
)

// batcher is group commit for intake. Reports arriving while a transaction
// commits queue up and go together in the next one, so one commit (and on
// SQLite one set of WAL pages) serves them all. Each report stays
// all-or-nothing and one bad report never fails its neighbours: a batch
// that hits a failure is redone with a savepoint per report.
//
// Duplicate hints for a committed batch are read by a second goroutine in
// one read transaction, while the writer goes on with the next batch: a
// SQLite reader drops its page cache whenever the database has changed, so
// one read transaction per batch rather than per report saves re-reading
// the same index pages for every report.
type batcher struct {
	s     *Service
	in    chan *pending
	hints chan []*pending // committed batches waiting for their duplicate hints
	max   int
	seq   atomic.Uint64
	size  atomic.Int64 // reports committed, for metrics
	txs   atomic.Int64 // transactions committed
	busy  atomic.Int64 // nanoseconds spent storing batches, disk waits included
}

type pending struct {
	ctx     context.Context
	p       prepared
	out     Intake
	err     error // storing the report failed
	hintErr error // the report is stored but its duplicate hints could not be read
	done    chan struct{}
}

// StartBatching turns on group commit for File until ctx ends. maxBatch
// bounds one transaction (and so the latency of the last report in it).
func (s *Service) StartBatching(ctx context.Context, maxBatch int) {
	if maxBatch <= 0 {
		maxBatch = 256
	}
	b := &batcher{s: s, in: make(chan *pending, maxBatch*4), hints: make(chan []*pending, 2), max: maxBatch}
	s.batch.Store(b)
	go b.run(ctx)
	go b.hint()
}

// BatchBusy is how long the writer has spent storing batches: near the
// elapsed time, the writer is what limits intake.
func (s *Service) BatchBusy() time.Duration {
	if b := s.batch.Load(); b != nil {
		return time.Duration(b.busy.Load())
	}
	return 0
}

// BatchStats reports how many reports went through how many transactions.
func (s *Service) BatchStats() (reports, txs int64) {
	b := s.batch.Load()
	if b == nil {
		return 0, 0
	}
	return b.size.Load(), b.txs.Load()
}

func (b *batcher) submit(ctx context.Context, p prepared) (Intake, error) {
	pd := &pending{ctx: ctx, p: p, done: make(chan struct{})}
	select {
	case b.in <- pd:
	case <-ctx.Done():
		return Intake{}, ctx.Err()
	}
	// Even if the client gives up, wait: the report may still be
	// committed, and the client's retry with the same key will find it.
	<-pd.done
	if pd.err != nil {
		return pd.out, pd.err
	}
	return pd.out, pd.hintErr
}

func (b *batcher) run(ctx context.Context) {
	for {
		var first *pending
		select {
		case <-ctx.Done():
			b.s.batch.CompareAndSwap(b, nil)
			b.drainWith(ctx.Err())
			close(b.hints)
			return
		case first = <-b.in:
		}
		batch := b.fill([]*pending{first})
		if len(batch) < b.max {
			// One yield before closing the batch lets handlers that are
			// ready to submit, but waiting for a processor, join it. On
			// two cores batches about double (10 → 20 reports at C=64) and
			// the WAL pages written per report drop by an eighth.
			runtime.Gosched()
			batch = b.fill(batch)
		}
		t0 := time.Now()
		b.commit(batch)
		b.busy.Add(int64(time.Since(t0)))
	}
}

// fill adds what is queued, without waiting, up to the batch bound.
func (b *batcher) fill(batch []*pending) []*pending {
	for len(batch) < b.max {
		select {
		case p := <-b.in:
			batch = append(batch, p)
		default:
			return batch
		}
	}
	return batch
}

func (b *batcher) drainWith(err error) {
	for {
		select {
		case p := <-b.in:
			p.err = err
			close(p.done)
		default:
			return
		}
	}
}

func (b *batcher) commit(batch []*pending) {
	// The batch runs on a background context: a client that gave up must
	// not roll back its neighbours. The fast path stores every report in one
	// plain transaction; if any report fails, that transaction is dropped and
	// the batch is stored again with a savepoint around each report, so the
	// bad one fails alone.
	ctx := context.Background()
	err := b.s.db.Write(ctx, func(tx *store.Tx) error { return b.s.storeBatch(ctx, tx, batch) })
	if errors.Is(err, errRetryWithSavepoints) {
		err = b.s.db.Write(ctx, func(tx *store.Tx) error {
			for _, p := range batch {
				p.out, p.err = Intake{}, nil
				if p.ctx.Err() != nil {
					p.err = p.ctx.Err()
					continue
				}
				sp := fmt.Sprintf("r%d", b.seq.Add(1))
				if _, err := tx.Exec(ctx, "SAVEPOINT "+sp); err != nil {
					return err
				}
				p.out, p.err = b.s.store(ctx, tx, p.p)
				if p.err != nil {
					if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT "+sp); err != nil {
						return err
					}
				}
				if _, err := tx.Exec(ctx, "RELEASE SAVEPOINT "+sp); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err == nil {
		b.txs.Add(1)
	}
	for _, p := range batch {
		if err != nil {
			p.out, p.err = Intake{}, err
		} else if p.err == nil {
			b.size.Add(1)
		}
	}
	b.hints <- batch
}

// hint reads the duplicate hints of each committed batch and lets its
// reports go.
func (b *batcher) hint() {
	ctx := context.Background()
	for batch := range b.hints {
		var fresh []*pending
		for _, p := range batch {
			if p.err == nil && !p.out.Replayed {
				fresh = append(fresh, p)
			}
		}
		if len(fresh) > 0 {
			err := b.s.db.Read(ctx, func(tx *store.Tx) error {
				for _, p := range fresh {
					p.out.Duplicates, p.hintErr = b.s.duplicates(ctx, tx, p.out.Case)
					if p.hintErr != nil {
						return p.hintErr
					}
				}
				return nil
			})
			for _, p := range fresh {
				if p.hintErr == nil {
					p.hintErr = err
				}
			}
		}
		for _, p := range batch {
			close(p.done)
		}
	}
}

// errRetryWithSavepoints makes a batch fall back to one savepoint per report.
var errRetryWithSavepoints = errors.New("cases: a report in the batch failed")

// storeBatch is the fast path of a batch: one lookup for all idempotency
// keys, the new cases built in memory, then a few multi-row INSERTs and one
// rollup row per town-day. Anything unusual (a report that fails, a key
// sent twice in one batch) returns errRetryWithSavepoints, and the slow
// path settles each report on its own.
func (s *Service) storeBatch(ctx context.Context, tx *store.Tx, batch []*pending) error {
	live := make([]*pending, 0, len(batch))
	keys := make([]any, 0, len(batch))
	seen := make(map[string]bool, len(batch))
	for _, p := range batch {
		p.out, p.err = Intake{}, nil
		if p.ctx.Err() != nil {
			p.err = p.ctx.Err()
			continue
		}
		live = append(live, p)
		if p.p.r.IdempotencyKey != "" {
			k := idemKey(p.p.actor, p.p.r.IdempotencyKey)
			if seen[k] {
				return errRetryWithSavepoints
			}
			seen[k] = true
			keys = append(keys, k)
		}
	}
	stored, err := storedKeys(ctx, tx, keys)
	if err != nil {
		return err
	}
	now := tx.Now()
	acceptDue := s.cal.AddWorkHours(now, s.cfg.AcceptHours)
	acc := rollupAcc{}
	ncs := make([]*newCase, 0, len(live))
	for _, p := range live {
		if p.p.r.IdempotencyKey != "" && stored[idemKey(p.p.actor, p.p.r.IdempotencyKey)] {
			// A retry of a stored report: store only reads and replays it.
			if p.out, p.err = s.store(ctx, tx, p.p); p.err != nil {
				return errRetryWithSavepoints
			}
			continue
		}
		cat, err := s.category(ctx, tx, p.p.r.Category)
		if err != nil || cat.IsClass() {
			return errRetryWithSavepoints
		}
		nc, err := s.newCase(now, acceptDue, p.p, cat)
		if err != nil {
			return errRetryWithSavepoints
		}
		ncs = append(ncs, &nc)
		acc.add(nil, &nc.c)
		p.out = Intake{Case: nc.c, FollowToken: nc.token}
	}
	if err := writeCases(ctx, tx, ncs); err != nil {
		return errRetryWithSavepoints
	}
	return flushRollup(ctx, tx, acc)
}

// flushRollup adds a batch's rollup changes in multi-row upserts: a batch
// touches about as many town-days as it has reports, and one statement per
// row was a quarter of the writer's time. Rows go in key order, so two
// writers on PostgreSQL lock them in the same order.
func flushRollup(ctx context.Context, tx *store.Tx, acc rollupAcc) error {
	keys := make([][2]string, 0, len(acc))
	for k := range acc {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int { return cmp.Or(strings.Compare(a[0], b[0]), strings.Compare(a[1], b[1])) })
	args := make([]any, 0, min(len(keys), maxRowsPerInsert)*(2+len(rollupColumns)))
	for i := 0; i < len(keys); {
		n := rowsPerInsert(len(keys) - i)
		args = args[:0]
		for _, k := range keys[i : i+n] {
			args = append(args, k[0], k[1])
			for _, v := range acc[k] {
				args = append(args, v)
			}
		}
		if _, err := tx.Exec(ctx, rollupUpserts[bits.Len(uint(n))-1], args...); err != nil {
			return err
		}
		i += n
	}
	return nil
}

// rollupUpserts[k] adds to 1<<k rollup rows.
var rollupUpserts = func() []string {
	one := "(?, ?" + strings.Repeat(", ?", len(rollupColumns)) + ")"
	set := make([]string, len(rollupColumns))
	for i, col := range rollupColumns {
		set[i] = col + " = case_rollup." + col + " + excluded." + col
	}
	var out []string
	for n := 1; n <= maxRowsPerInsert; n *= 2 {
		out = append(out, "INSERT INTO case_rollup(town_path, day, "+strings.Join(rollupColumns, ", ")+") VALUES "+one+strings.Repeat(", "+one, n-1)+
			" ON CONFLICT(town_path, day) DO UPDATE SET "+strings.Join(set, ", "))
	}
	return out
}()

// storedKeys says which of the scoped idempotency keys are already stored,
// probing the unique index with IN lists of power-of-two lengths so the
// statements stay prepared.
func storedKeys(ctx context.Context, tx *store.Tx, keys []any) (map[string]bool, error) {
	found := map[string]bool{}
	for i := 0; i < len(keys); {
		n := rowsPerInsert(len(keys) - i)
		rows, err := tx.Query(ctx, keyLookups[bits.Len(uint(n))-1], keys[i:i+n]...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return nil, err
			}
			found[k] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		i += n
	}
	return found, nil
}

// keyLookups[k] looks up 1<<k idempotency keys.
var keyLookups = func() []string {
	var out []string
	for n := 1; n <= maxRowsPerInsert; n *= 2 {
		out = append(out, "SELECT idempotency_key FROM cases WHERE idempotency_key IN (?"+strings.Repeat(", ?", n-1)+")")
	}
	return out
}()
