package store_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"civicgrid/internal/store"
	"civicgrid/internal/store/storetest"
)

// writeMany starts n writes at once, each inserting key k<i> into meta and
// then doing what act says, and returns each write's error.
func writeMany(t *testing.T, db *store.DB, n int, act func(ctx context.Context, i int, tx *store.Tx) error) []error {
	t.Helper()
	errsOut := make([]error, n)
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start.Wait()
			ctx := context.Background()
			errsOut[i] = db.Write(ctx, func(tx *store.Tx) error {
				if _, err := tx.Exec(ctx, "INSERT INTO meta(key, value) VALUES (?, ?)", fmt.Sprintf("k%d", i), "v"); err != nil {
					return err
				}
				return act(ctx, i, tx)
			})
		}()
	}
	start.Done()
	wg.Wait()
	return errsOut
}

// stored says which keys k<i> are in meta.
func stored(t *testing.T, db *store.DB, n int) []bool {
	t.Helper()
	out := make([]bool, n)
	ctx := context.Background()
	err := db.Read(ctx, func(tx *store.Tx) error {
		for i := range n {
			var c int
			if err := tx.QueryRow(ctx, "SELECT count(*) FROM meta WHERE key = ?", fmt.Sprintf("k%d", i)).Scan(&c); err != nil {
				return err
			}
			out[i] = c == 1
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestConcurrentWritesFailAlone: of many writes arriving together, those
// that fail leave nothing behind and the rest are all stored, whatever
// transaction they shared. On SQLite they did share: fewer transactions
// than writes.
func TestConcurrentWritesFailAlone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const n = 200
		boom := errors.New("boom")
		w0, tx0 := db.GroupStats()
		got := writeMany(t, db, n, func(ctx context.Context, i int, tx *store.Tx) error {
			switch i % 10 {
			case 3: // fails after writing
				return boom
			case 7: // fails on a constraint after writing
				_, err := tx.Exec(ctx, "INSERT INTO meta(key, value) VALUES (?, ?)", fmt.Sprintf("k%d", i), "again")
				return err
			}
			// the other writes see their own row, and write a second one
			_, err := tx.Exec(ctx, "UPDATE meta SET value = 'w' WHERE key = ?", fmt.Sprintf("k%d", i))
			return err
		})
		in := stored(t, db, n)
		for i := range n {
			wantErr := i%10 == 3 || i%10 == 7
			if (got[i] != nil) != wantErr || in[i] == wantErr {
				t.Errorf("write %d: err %v, stored %v", i, got[i], in[i])
			}
		}
		if db.Dialect() == store.SQLite {
			w, txs := db.GroupStats()
			w, txs = w-w0, txs-tx0
			if w != n*8/10 || txs >= w {
				t.Errorf("%d writes committed in %d transactions: want %d in fewer", w, txs, n*8/10)
			}
			t.Logf("%d writes in %d transactions", w, txs)
		}
	})
}

// TestPanicInAWriteStaysWithItsCaller: a write that panics panics in its own
// goroutine, is not stored, and its neighbours are.
func TestPanicInAWriteStaysWithItsCaller(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const n = 50
		var panicked atomic.Int64
		got := make([]error, n)
		var start, wg sync.WaitGroup
		start.Add(1)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() {
					if r := recover(); r != nil {
						panicked.Add(1)
						got[i] = fmt.Errorf("panic: %v", r)
					}
				}()
				start.Wait()
				ctx := context.Background()
				got[i] = db.Write(ctx, func(tx *store.Tx) error {
					if _, err := tx.Exec(ctx, "INSERT INTO meta(key, value) VALUES (?, ?)", fmt.Sprintf("k%d", i), "v"); err != nil {
						return err
					}
					if i%5 == 0 {
						panic("unit panics")
					}
					return nil
				})
			}()
		}
		start.Done()
		wg.Wait()
		if panicked.Load() != n/5 {
			t.Errorf("%d callers saw their panic, want %d", panicked.Load(), n/5)
		}
		in := stored(t, db, n)
		for i := range n {
			if in[i] != (i%5 != 0) || (got[i] == nil) != in[i] {
				t.Errorf("write %d: err %v, stored %v", i, got[i], in[i])
			}
		}
	})
}

// TestGivingUpMidWriteHarmsNobody: a caller whose context ends while its
// statement runs must not interrupt the shared transaction (SQLite rolls
// the whole transaction back when a write statement is interrupted). The
// writes queued before it are stored, and it is either reported stored or
// not stored.
func TestGivingUpMidWriteHarmsNobody(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, "CREATE TABLE bulk (n INTEGER)")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		// Hold the writer so that what follows queues up and goes into one
		// transaction: first the neighbours, last the one that gives up.
		hold, held := make(chan struct{}), make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			db.Write(ctx, func(tx *store.Tx) error { close(held); <-hold; return nil })
		}()
		<-held
		const n = 20
		got := make([]error, n+1)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i] = db.Write(ctx, func(tx *store.Tx) error {
					_, err := tx.Exec(ctx, "INSERT INTO meta(key, value) VALUES (?, ?)", fmt.Sprintf("k%d", i), "v")
					return err
				})
			}()
		}
		time.Sleep(50 * time.Millisecond) // the neighbours queue
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			got[n] = db.Write(cctx, func(tx *store.Tx) error {
				if _, err := tx.Exec(cctx, "INSERT INTO meta(key, value) VALUES (?, ?)", fmt.Sprintf("k%d", n), "v"); err != nil {
					return err
				}
				go func() { time.Sleep(20 * time.Millisecond); cancel() }()
				_, err := tx.Exec(cctx, `INSERT INTO bulk(n) WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 400000) SELECT n FROM c`)
				return err
			})
		}()
		time.Sleep(20 * time.Millisecond)
		close(hold)
		wg.Wait()
		in := stored(t, db, n+1)
		for i := range n + 1 {
			if (got[i] == nil) != in[i] {
				t.Errorf("write %d: err %v but stored %v", i, got[i], in[i])
			}
			if i < n && !in[i] {
				t.Errorf("write %d, queued beside one that gave up, was lost: %v", i, got[i])
			}
		}
	})
}

// TestAbandonedSharedTransactionIsReportedToAll: when the shared
// transaction is lost (here a write ends it with ROLLBACK, as SQLite does
// on a full disk), no write in it is reported stored, and later writes
// work.
func TestAbandonedSharedTransactionIsReportedToAll(t *testing.T) {
	db := storetest.OpenSQLite(t)
	const n = 100
	got := writeMany(t, db, n, func(ctx context.Context, i int, tx *store.Tx) error {
		if i == n/2 {
			_, err := tx.Exec(ctx, "ROLLBACK")
			return err
		}
		return nil
	})
	in := stored(t, db, n)
	for i := range n {
		if (got[i] == nil) != in[i] {
			t.Errorf("write %d: err %v but stored %v", i, got[i], in[i])
		}
	}
	if got[n/2] == nil {
		t.Errorf("the write that abandoned the transaction was reported stored")
	}
	ctx := context.Background()
	if err := db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO meta(key, value) VALUES ('after', 'v')")
		return err
	}); err != nil {
		t.Fatalf("write after the abandoned transaction: %v", err)
	}
}

// TestAfterCommitHooksRunOnlyForStoredWrites: hooks of a write that failed
// inside a shared transaction never run; those of its neighbours do.
func TestAfterCommitHooksRunOnlyForStoredWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const n = 80
		var ran [n]atomic.Bool
		boom := errors.New("boom")
		got := writeMany(t, db, n, func(ctx context.Context, i int, tx *store.Tx) error {
			tx.AfterCommit(func() { ran[i].Store(true) })
			if i%4 == 1 {
				return boom
			}
			return nil
		})
		for i := range n {
			if ran[i].Load() != (got[i] == nil) || (got[i] == nil) != (i%4 != 1) {
				t.Errorf("write %d: err %v, hook ran %v", i, got[i], ran[i].Load())
			}
		}
	})
}

// openOwn is a migrated SQLite database the test closes itself.
func openOwn(t *testing.T) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// holdWriter keeps the SQLite writer busy until the returned func is
// called, so that what is written meanwhile queues.
func holdWriter(t *testing.T, db *store.DB) (release func()) {
	t.Helper()
	hold, held := make(chan struct{}), make(chan struct{})
	go db.Write(context.Background(), func(tx *store.Tx) error { close(held); <-hold; return nil })
	<-held
	return func() { close(hold) }
}

// TestWritesAroundCloseNeverHang: writes racing Close, and writes after
// it, all come back: stored, or refused as closed.
func TestWritesAroundCloseNeverHang(t *testing.T) {
	for round := range 10 {
		db := openOwn(t)
		ctx := context.Background()
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				db.Write(ctx, func(tx *store.Tx) error {
					_, err := tx.Exec(ctx, "INSERT INTO meta(key, value) VALUES (?, 'v')", fmt.Sprintf("r%d-%d", round, i))
					return err
				})
			}()
		}
		closed := make(chan struct{})
		go func() { db.Close(); close(closed) }()
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: writes racing Close hang", round)
		}
		<-closed
		err := make(chan error, 1)
		go func() { err <- db.Write(ctx, func(tx *store.Tx) error { return nil }) }()
		select {
		case e := <-err:
			if e == nil {
				t.Fatalf("round %d: a write after Close succeeded", round)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("round %d: a write after Close hangs", round)
		}
	}
}

// TestQueuedWriteCanBeWithdrawn: a caller whose deadline passes while its
// write waits behind a long one gets its answer at the deadline, and the
// write is never run.
func TestQueuedWriteCanBeWithdrawn(t *testing.T) {
	db := storetest.OpenSQLite(t)
	release := sync.OnceFunc(holdWriter(t, db))
	time.AfterFunc(2*time.Second, release) // so that a write that cannot be withdrawn still ends
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	ran := false
	err := db.Write(ctx, func(tx *store.Tx) error { ran = true; return nil })
	waited := time.Since(start)
	release()
	if !errors.Is(err, context.DeadlineExceeded) || waited > time.Second {
		t.Fatalf("withdrawn write: %v after %v", err, waited)
	}
	// The writer goes on, and never runs the withdrawn write.
	if err := db.Write(context.Background(), func(tx *store.Tx) error { return nil }); err != nil || ran {
		t.Fatalf("after the withdrawal: %v, withdrawn write ran: %v", err, ran)
	}
}

// TestSlowWriteCommitsWithoutItsFollowers: writes queued behind a slow one
// in the same batch are committed in a transaction of their own, not held
// (and put at risk) until the slow one's batch would have ended.
func TestSlowWriteCommitsWithoutItsFollowers(t *testing.T) {
	db := storetest.OpenSQLite(t)
	ctx := context.Background()
	w0, tx0 := db.GroupStats()
	release := holdWriter(t, db)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		db.Write(ctx, func(tx *store.Tx) error { time.Sleep(300 * time.Millisecond); return nil })
	}()
	time.Sleep(30 * time.Millisecond)
	quick := make(chan time.Duration, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ranAt time.Time
		db.Write(ctx, func(tx *store.Tx) error { ranAt = time.Now(); return nil })
		quick <- time.Since(ranAt)
	}()
	time.Sleep(30 * time.Millisecond)
	release()
	wg.Wait()
	if d := <-quick; d > 100*time.Millisecond {
		t.Errorf("the quick write was answered %v after it ran", d)
	}
	writes, txs := db.GroupStats()
	if writes, txs = writes-w0, txs-tx0; writes != 3 || txs != 3 {
		t.Errorf("%d writes in %d transactions: the slow write and the quick one shared one", writes, txs)
	}
}

// TestWriteThatEndsItsGoroutine: a write function that calls
// runtime.Goexit (as t.Fatal does) loses its transaction, its neighbours
// are told, and later writes still work.
func TestWriteThatEndsItsGoroutine(t *testing.T) {
	db := storetest.OpenSQLite(t)
	ctx := context.Background()
	got := writeMany(t, db, 40, func(ctx context.Context, i int, tx *store.Tx) error {
		if i == 20 {
			runtime.Goexit()
		}
		return nil
	})
	in := stored(t, db, 40)
	for i := range 40 {
		if (got[i] == nil) != in[i] {
			t.Errorf("write %d: err %v but stored %v", i, got[i], in[i])
		}
	}
	if got[20] == nil {
		t.Error("the write that ended its goroutine was reported stored")
	}
	done := make(chan error, 1)
	go func() {
		done <- db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO meta(key, value) VALUES ('after-exit', 'v')")
			return err
		})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("write after the exit: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the writer is gone after a write ended its goroutine")
	}
}

// TestFailedCommitIsReported: when the shared COMMIT itself fails (here a
// deferred foreign key left broken by one write), no write of the batch is
// reported stored.
func TestFailedCommitIsReported(t *testing.T) {
	db := storetest.OpenSQLite(t)
	ctx := context.Background()
	if err := db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "CREATE TABLE parent (id TEXT PRIMARY KEY)"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "CREATE TABLE child (id TEXT PRIMARY KEY, parent TEXT REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	got := writeMany(t, db, 30, func(ctx context.Context, i int, tx *store.Tx) error {
		if i == 15 {
			_, err := tx.Exec(ctx, "INSERT INTO child(id, parent) VALUES ('orphan', 'nobody')")
			return err
		}
		return nil
	})
	in := stored(t, db, 30)
	for i := range 30 {
		if (got[i] == nil) != in[i] {
			t.Errorf("write %d: err %v but stored %v", i, got[i], in[i])
		}
	}
	if got[15] == nil {
		t.Error("the write that broke the foreign key was reported stored")
	}
}

// TestCommitsAreFsynced: the writer runs with synchronous=FULL, so an
// acknowledged write survives a power cut (NORMAL in WAL mode would not).
func TestCommitsAreFsynced(t *testing.T) {
	db := storetest.OpenSQLite(t)
	var mode int
	if err := db.Raw().QueryRow("PRAGMA synchronous").Scan(&mode); err != nil || mode != 2 {
		t.Fatalf("synchronous = %d (%v), want 2 (FULL)", mode, err)
	}
}
