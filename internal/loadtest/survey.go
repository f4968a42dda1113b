package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime"
	"runtime/metrics"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"civicgrid/internal/auth"
	"civicgrid/internal/demo"
	"civicgrid/internal/store"
	"civicgrid/internal/survey"
)

// SurveyConfig sets up `civicgrid bench survey`.
type SurveyConfig struct {
	N           int // responses to post
	Concurrency int
	Out         io.Writer
}

// SurveyResult is what the bench measured.
type SurveyResult struct {
	Rate       float64
	P50, P99   time.Duration
	Stored     int64
	Replays    int64 // retries answered with the first receipt
	CSV, XLSX  time.Duration
	CSVBytes   int64
	XLSXBytes  int64
	PeakHeapMB float64
}

// Line is the one-line summary.
func (r SurveyResult) Line() string {
	return fmt.Sprintf("survey: %.0f responses/s, p50 %.1f ms, p99 %.1f ms; retries stored once: %d; export %d: csv %.1fs, xlsx %.1fs, live heap +%.1f MB",
		r.Rate, ms(r.P50), ms(r.P99), r.Replays, r.Stored, r.CSV.Seconds(), r.XLSX.Seconds(), r.PeakHeapMB)
}

// Survey starts the server on a fresh SQLite database with the demo data,
// opens a copy of the peony-festival questionnaire, posts N responses over
// loopback HTTP from C clients (every 50th a retry of an earlier one), checks
// each retry was stored once, then exports every response as CSV and as
// XLSX while sampling the heap.
func Survey(ctx context.Context, cfg SurveyConfig) (SurveyResult, error) {
	var res SurveyResult
	if cfg.N <= 0 {
		cfg.N = 100000
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 64
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	m, err := startDemo(ctx, cfg.Out, "survey")
	if err != nil {
		return res, err
	}
	defer m.Close()

	sys := auth.System("bench")
	q, err := m.Surveys.Create(ctx, sys, survey.NewQuestionnaire{Schema: demo.PeonySchema(), Mode: survey.Anonymous, RegionCode: "371700"})
	if err != nil {
		return res, err
	}
	if _, err := m.Surveys.SetStatus(ctx, sys, q.ID, "open"); err != nil {
		return res, err
	}
	counties := []string{}
	if n, ok := m.Regions.Tree().Get("371700"); ok {
		for _, c := range n.Children {
			counties = append(counties, c.Code)
		}
	}
	// Bodies are made before the clock starts: the clients share the cores.
	rng := rand.New(rand.NewPCG(1, 2))
	bodies := make([][]byte, cfg.N)
	for i := range bodies {
		a := map[string]any{"visited": "no"}
		if rng.IntN(4) > 0 {
			a = map[string]any{"visited": "yes", "satisfaction": 1 + rng.IntN(5), "liked": []string{"flowers", "food"}[:1+rng.IntN(2)],
				"services":   map[string]string{"parking": []string{"good", "fair", "poor"}[rng.IntN(3)], "toilets": "fair", "guides": "good"},
				"priorities": []string{"traffic", "prices", "signs"}, "age": 18 + rng.IntN(60), "idea": "希望增加公交专线和停车位"}
		}
		if i%50 == 49 {
			bodies[i] = bodies[i-1] // a retry of the previous one: same key, same content
			continue
		}
		bodies[i], _ = json.Marshal(survey.Submission{Key: fmt.Sprintf("r-%d", i), RegionCode: counties[rng.IntN(len(counties))], Answers: a})
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Concurrency, MaxConnsPerHost: cfg.Concurrency}, Timeout: 30 * time.Second}
	url := m.URL() + "/api/v1/questionnaires/" + q.ID + "/responses"
	lat := make([]time.Duration, cfg.N)
	var next, created, replays, failures atomic.Int64
	var firstErr atomic.Value
	fmt.Fprintf(cfg.Out, "posting %d responses with %d clients …\n", cfg.N, cfg.Concurrency)
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < cfg.Concurrency; c++ {
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
				if err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				lat[i] = time.Since(t0)
				switch resp.StatusCode {
				case http.StatusCreated:
					created.Add(1)
				case http.StatusOK:
					replays.Add(1)
				default:
					failures.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Errorf("response %d answered %d: %s", i, resp.StatusCode, b))
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if e := firstErr.Load(); e != nil {
		return res, fmt.Errorf("bench: %d requests failed; first: %v", failures.Load(), e)
	}
	sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })
	res.Rate = float64(cfg.N) / elapsed.Seconds()
	res.P50, res.P99 = lat[cfg.N/2], lat[cfg.N*99/100]
	res.Replays = replays.Load()
	err = m.DB.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM responses WHERE questionnaire_id = ?`, q.ID).Scan(&res.Stored)
	})
	if err != nil {
		return res, err
	}
	fmt.Fprintf(cfg.Out, "%d requests in %.1fs: %d stored, %d created, %d retries answered with the first receipt\n", cfg.N, elapsed.Seconds(), res.Stored, created.Load(), res.Replays)
	if res.Stored != created.Load() {
		return res, fmt.Errorf("bench: %d responses created but %d stored", created.Load(), res.Stored)
	}

	// Exports of everything. Memory is judged by the live heap (what the
	// last garbage collection found reachable), sampled every 10 ms: heap in
	// use also counts garbage not yet collected, which grows with GOGC, not
	// with the export.
	runtime.GC()
	base := liveHeap()
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if v := liveHeap(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	above := func() float64 { return float64(peak.Load()-min(peak.Load(), base)) / (1 << 20) }
	cw := &countWriter{}
	t0 := time.Now()
	if err := m.Surveys.WriteCSV(ctx, sys, q.ID, "zh-CN", survey.Filter{}, cw); err != nil {
		return res, err
	}
	res.CSV, res.CSVBytes = time.Since(t0), cw.n
	csvPeak := above()
	xw := &countWriter{}
	t0 = time.Now()
	if err := m.Surveys.WriteXLSX(ctx, sys, q.ID, "zh-CN", survey.Filter{}, xw); err != nil {
		return res, err
	}
	res.XLSX, res.XLSXBytes = time.Since(t0), xw.n
	close(done)
	res.PeakHeapMB = above()
	fmt.Fprintf(cfg.Out, "export: csv %d bytes in %.1fs (live heap peak +%.1f MB), then xlsx %d bytes in %.1fs (peak of both +%.1f MB); live heap %.0f MB before\n",
		res.CSVBytes, res.CSV.Seconds(), csvPeak, res.XLSXBytes, res.XLSX.Seconds(), res.PeakHeapMB, float64(base)/(1<<20))
	m.Stop()
	return res, nil
}

// liveHeap is the heap the last garbage collection found live.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }
