// Package loadtest owns the platform's own load commands (civicgrid bench
// …): real servers on loopback, real clients, and a raw baseline measured in
// the same run so the figures mean something on a noisy machine.
package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime/pprof"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"civicgrid/internal/geo"
	"civicgrid/internal/region"
	"civicgrid/internal/store"
)

// IntakeConfig sets up `civicgrid bench intake`.
type IntakeConfig struct {
	N           int
	Concurrency int
	Out         io.Writer // progress
	// Profile, when set, receives a CPU profile of the posting phase only
	// (not the setup or the raw baseline).
	Profile io.Writer
}

// IntakeResult is what the run measured.
type IntakeResult struct {
	Reports      int
	Errors       int
	Elapsed      time.Duration
	Rate         float64 // reports/s
	P50, P99     time.Duration
	RawRate      float64 // one-row-per-commit inserts/s of an equivalent row (see rawBaseline)
	RawIndexed   float64 // the same into the cases table itself, with all its indexes
	Transactions int64
}

// Line is the summary the command prints last.
func (r IntakeResult) Line() string {
	return fmt.Sprintf("intake: %.0f reports/s, p50 %.1f ms, p99 %.1f ms; raw insert: %.0f rows/s; ratio: %.2f",
		r.Rate, ms(r.P50), ms(r.P99), r.RawRate, r.Rate/r.RawRate)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Intake starts the server in-process on a fresh SQLite database with the
// demo regions, posts N reports over loopback HTTP from C clients (random
// points inside random grids, random subcategories), then measures raw
// single-row inserts of an equivalent row on the same database
// (rawBaseline).
func Intake(ctx context.Context, cfg IntakeConfig) (IntakeResult, error) {
	var res IntakeResult
	if cfg.N <= 0 {
		cfg.N = 20000
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 64
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	m, err := startDemo(ctx, cfg.Out, "bench")
	if err != nil {
		return res, err
	}
	defer m.Close()

	points := gridPoints(m.Regions.Tree(), 4096)
	cats, err := m.Cases.Categories(ctx)
	if err != nil {
		m.Stop()
		return res, err
	}
	var subs []string
	for _, c := range cats {
		if !c.IsClass() {
			subs = append(subs, c.Code)
		}
	}
	// Bodies are encoded before the clock starts: the clients share the
	// machine with the server, and their JSON encoding is not intake's.
	bodies := make([][]byte, cfg.N)
	rng := rand.New(rand.NewPCG(1, 99))
	for i := range bodies {
		p := points[rng.IntN(len(points))]
		bodies[i], _ = json.Marshal(map[string]any{
			"channel": "web", "category": subs[rng.IntN(len(subs))], "description": "压力测试：路面问题",
			"lng": p.Lng, "lat": p.Lat, "idempotency_key": fmt.Sprintf("bench-%d", i),
		})
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Concurrency, MaxConnsPerHost: cfg.Concurrency}, Timeout: 30 * time.Second}
	url := m.URL() + "/api/v1/cases"
	lat := make([]time.Duration, cfg.N)
	var next, errCount, done atomic.Int64
	var firstErr atomic.Value
	fmt.Fprintf(cfg.Out, "posting %d reports with %d clients …\n", cfg.N, cfg.Concurrency)
	if cfg.Profile != nil {
		if err := pprof.StartCPUProfile(cfg.Profile); err != nil {
			m.Stop()
			return res, err
		}
	}
	busy0 := m.Cases.BatchBusy()
	start := time.Now()
	var wg sync.WaitGroup
	for range cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= cfg.N || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				resp, err := client.Post(url, "application/json", bytes.NewReader(bodies[i]))
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusCreated {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				lat[i] = time.Since(t0)
				if err != nil {
					errCount.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
				if n := done.Add(1); n%int64(max(1, cfg.N/20)) == 0 {
					fmt.Fprintf(cfg.Out, "\r  %3d%%", n*100/int64(cfg.N))
				}
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	if cfg.Profile != nil {
		pprof.StopCPUProfile()
	}
	fmt.Fprintln(cfg.Out)
	res.Reports, res.Errors = cfg.N, int(errCount.Load())
	if res.Errors > 0 {
		fmt.Fprintf(cfg.Out, "%d requests failed; first: %v\n", res.Errors, firstErr.Load())
	}
	res.Rate = float64(cfg.N-res.Errors) / res.Elapsed.Seconds()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	res.P50, res.P99 = lat[len(lat)/2], lat[len(lat)*99/100]
	_, res.Transactions = m.Cases.BatchStats()
	busy := m.Cases.BatchBusy() - busy0
	m.Stop()

	var stored int
	m.DB.Read(ctx, func(tx *store.Tx) error { return tx.QueryRow(ctx, "SELECT count(*) FROM cases").Scan(&stored) })
	if stored != cfg.N-res.Errors {
		return res, fmt.Errorf("%d reports answered 2xx but %d cases stored", cfg.N-res.Errors, stored)
	}
	fmt.Fprintf(cfg.Out, "%d cases stored in %d transactions (%.1f reports each), the writer busy %.0f%% of the time; measuring raw inserts …\n",
		stored, res.Transactions, float64(stored)/float64(max(1, res.Transactions)), 100*busy.Seconds()/res.Elapsed.Seconds())
	if _, err := m.DB.Raw().ExecContext(ctx, "CREATE TABLE bench_raw AS SELECT * FROM cases WHERE 0 = 1"); err != nil {
		return res, err
	}
	n := min(cfg.N, 20000)
	if res.RawRate, err = rawInsertRate(ctx, m.DB, "bench_raw", n); err != nil {
		return res, err
	}
	// For context: the same rows into the cases table itself, which also
	// updates its secondary indexes for every row.
	if res.RawIndexed, err = rawInsertRate(ctx, m.DB, "cases", n); err != nil {
		return res, err
	}
	fmt.Fprintf(cfg.Out, "%s\nraw insert into the cases table itself, with its indexes: %.0f rows/s (intake/that = %.2f)\n",
		rawBaseline, res.RawIndexed, res.Rate/res.RawIndexed)
	return res, nil
}

// rawBaseline says what the "raw insert" figure is.
const rawBaseline = "raw insert = one row per transaction (autocommit), a prepared INSERT of a stored case's column values " +
	"into a table with the cases columns and no indexes, on the same SQLite file, driver, connection and pragmas " +
	"(synchronous=FULL: every commit is fsynced, as every acknowledged report is)"

// rawInsertRate inserts copies of a stored case row into table, one
// autocommit statement each: what the database does for one report with no
// HTTP, no validation, no history and no grouping.
func rawInsertRate(ctx context.Context, db *store.DB, table string, n int) (float64, error) {
	raw := db.Raw()
	row := raw.QueryRowContext(ctx, `SELECT no, channel, category_code, status, priority, description, lng, lat, grid_code, region_path, reported_at, accept_due, next_due, updated_at FROM cases LIMIT 1`)
	var no, channel, cat, status, desc, grid, path, rep, acc, next, upd string
	var prio int
	var lng, lt float64
	if err := row.Scan(&no, &channel, &cat, &status, &prio, &desc, &lng, &lt, &grid, &path, &rep, &acc, &next, &upd); err != nil {
		return 0, err
	}
	stmt, err := raw.PrepareContext(ctx, `INSERT INTO `+table+`(id, no, channel, category_code, status, priority, description, lng, lat, grid_code, region_path, reported_at, accept_due, next_due, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	start := time.Now()
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("RAW%s%019d", table[:4], i)
		if _, err := stmt.ExecContext(ctx, id, no+id, channel, cat, status, prio, desc, lng, lt, grid, path, rep, acc, next, upd); err != nil {
			return 0, err
		}
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// gridPoints picks n random points strictly inside random grids.
func gridPoints(t *region.Tree, n int) []geo.Point {
	var grids []*region.Node
	var walk func(*region.Node)
	walk = func(nd *region.Node) {
		if nd.Level == region.Grid && nd.Boundary != nil {
			grids = append(grids, nd)
		}
		for _, c := range nd.Children {
			walk(c)
		}
	}
	for _, r := range t.Roots() {
		walk(r)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	out := make([]geo.Point, n)
	for i := range out {
		out[i] = grids[rng.IntN(len(grids))].Boundary.InteriorPoint()
	}
	return out
}
