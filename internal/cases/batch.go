package cases

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"civicgrid/internal/store"
)

// batcher is group commit for intake. Reports arriving while a transaction
// commits queue up and go together in the next one, each inside its own
// savepoint, so one bad report never fails its neighbours and every report
// is still all-or-nothing. On SQLite, where one writer commits at a time,
// this turns N fsyncs into one.
type batcher struct {
	s    *Service
	in   chan *pending
	max  int
	seq  atomic.Uint64
	size atomic.Int64 // reports committed, for metrics
	txs  atomic.Int64 // transactions committed
}

type pending struct {
	ctx  context.Context
	p    prepared
	out  Intake
	err  error
	done chan struct{}
}

// StartBatching turns on group commit for File until ctx ends. maxBatch
// bounds one transaction (and so the latency of the last report in it).
func (s *Service) StartBatching(ctx context.Context, maxBatch int) {
	if maxBatch <= 0 {
		maxBatch = 256
	}
	b := &batcher{s: s, in: make(chan *pending, maxBatch*4), max: maxBatch}
	s.batch.Store(b)
	go b.run(ctx)
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
	select {
	case <-pd.done:
		return pd.out, pd.err
	case <-ctx.Done():
		// The report may still be committed; the client's retry with the
		// same idempotency key will find it.
		<-pd.done
		return pd.out, pd.err
	}
}

func (b *batcher) run(ctx context.Context) {
	for {
		var first *pending
		select {
		case <-ctx.Done():
			b.s.batch.CompareAndSwap(b, nil)
			b.drainWith(ctx.Err())
			return
		case first = <-b.in:
		}
		batch := []*pending{first}
	fill:
		for len(batch) < b.max {
			select {
			case p := <-b.in:
				batch = append(batch, p)
			default:
				break fill
			}
		}
		b.commit(batch)
	}
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
	err := b.s.db.Write(ctx, func(tx *store.Tx) error {
		acc := rollupAcc{}
		for _, p := range batch {
			p.out, p.err = Intake{}, nil
			if p.ctx.Err() != nil {
				p.err = p.ctx.Err()
				continue
			}
			if p.out, p.err = b.s.store(ctx, tx, acc, p.p); p.err != nil {
				return errRetryWithSavepoints
			}
		}
		return acc.flush(ctx, tx)
	})
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
				p.out, p.err = b.s.store(ctx, tx, nil, p.p)
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
		close(p.done)
	}
}

// errRetryWithSavepoints makes a batch fall back to one savepoint per report.
var errRetryWithSavepoints = errors.New("cases: a report in the batch failed")
