package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"civicgrid/internal/auth"
	"civicgrid/internal/ledger"
	"civicgrid/internal/store"
)

// LedgerConfig sets up `civicgrid bench ledger`.
type LedgerConfig struct {
	N           int // transfers to post
	Concurrency int
	Wallets     int
	Out         io.Writer // progress and details
}

// LedgerResult is what the bench measured.
type LedgerResult struct {
	Rate       float64 // requests answered per second
	P99        time.Duration
	Posted     int64 // new transfers (201)
	Duplicates int64 // retries answered with the original, or refused for changed content
	Overdrafts int64 // spends refused for lack of points
	Verify     ledger.Report
	Stored     int64 // transfers in the database made by the bench
}

// Line is the one-line summary the issue asks for.
func (r LedgerResult) Line() string {
	v := "ok"
	if !r.Verify.OK() {
		v = fmt.Sprintf("FAILED (%d problems)", len(r.Verify.Problems))
	} else if r.Stored != r.Posted {
		v = fmt.Sprintf("FAILED (%d transfers acknowledged, %d stored)", r.Posted, r.Stored)
	}
	return fmt.Sprintf("ledger: %.0f transfers/s, p99 %.1f ms; duplicates refused: %d; overdrafts refused: %d; verify: %s",
		r.Rate, ms(r.P99), r.Duplicates, r.Overdrafts, v)
}

// OK reports whether every invariant held.
func (r LedgerResult) OK() bool { return r.Verify.OK() && r.Stored == r.Posted }

type sent struct {
	key  string
	body []byte
}

// Ledger starts the server on a fresh SQLite database with the demo data,
// opens wallets, and posts N transfers through the API from C clients: awards
// from the city's issuer, spends to the village supermarket (some beyond the
// balance), bursts of spends racing for the last points of one hot wallet,
// retries of sent transfers and reuses of their keys with other content.
// Then it verifies the books.
func Ledger(ctx context.Context, cfg LedgerConfig) (LedgerResult, error) {
	var res LedgerResult
	if cfg.N <= 0 {
		cfg.N = 50000
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 64
	}
	if cfg.Wallets <= 0 {
		cfg.Wallets = 2000
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	m, err := startDemo(ctx, cfg.Out, "ledger")
	if err != nil {
		return res, err
	}
	defer m.Close()

	admin, err := m.Accounts.ByUsername(ctx, "demo_city")
	if err != nil {
		return res, err
	}
	tok, err := m.Accounts.CreateToken(ctx, auth.System("bench"), admin.ID, "bench")
	if err != nil {
		return res, err
	}
	city, _ := m.Regions.Lookup("371700")
	shops, err := m.Markets.List(ctx, "")
	if err != nil || len(shops) == 0 {
		return res, fmt.Errorf("bench: the demo has no supermarket: %v", err)
	}
	var issuer string
	wallets := make([]string, cfg.Wallets)
	err = m.DB.Write(ctx, func(tx *store.Tx) error {
		var err error
		if issuer, err = ledger.EnsureAccount(ctx, tx, ledger.Issuer, city.Code, city.Code, city.Path, ""); err != nil {
			return err
		}
		for i := range wallets {
			if wallets[i], err = ledger.EnsureAccount(ctx, tx, ledger.Wallet, fmt.Sprintf("bench-%d", i), city.Code, city.Path, fmt.Sprintf("压测%d", i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	before, err := ledger.Verify(ctx, m.DB)
	if err != nil {
		return res, err
	}
	storeAcc, hot := shops[0].AccountID, wallets[0]

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Concurrency, MaxConnsPerHost: cfg.Concurrency}, Timeout: 30 * time.Second}
	url := m.URL() + "/api/v1/ledger/transfers"
	post := func(body []byte) (int, []byte, error) {
		req, _ := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b, nil
	}
	lat := make([]time.Duration, cfg.N)
	var next, posted, dups, overdrafts, failures atomic.Int64
	var firstErr atomic.Value
	fmt.Fprintf(cfg.Out, "posting %d transfers over %d wallets with %d clients …\n", cfg.N, cfg.Wallets, cfg.Concurrency)
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < cfg.Concurrency; c++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, 7))
			var mine []sent
			for {
				i := int(next.Add(1)) - 1
				if i >= cfg.N || ctx.Err() != nil {
					return
				}
				var body []byte
				kind := "new"
				switch {
				case i%20 == 0 && len(mine) > 0: // a retry: same key, same content
					body, kind = mine[rng.IntN(len(mine))].body, "retry"
				case i%20 == 1 && len(mine) > 0: // the same key with other content
					s := mine[rng.IntN(len(mine))]
					var t ledger.NewTransfer
					json.Unmarshal(s.body, &t)
					t.Amount++
					body, _ = json.Marshal(t)
					kind = "reuse"
				default:
					t := ledger.NewTransfer{Key: fmt.Sprintf("bench-%d", i), Amount: int64(1 + rng.IntN(10))}
					switch {
					case i%20 < 5: // racing for the last points of one wallet
						t.Debit, t.Credit, t.Reason, t.Amount = hot, storeAcc, ledger.ReasonRedeem, 3
					case i%20 == 5: // keep the hot wallet just barely funded
						t.Debit, t.Credit, t.Reason = issuer, hot, ledger.ReasonAward
					case rng.IntN(2) == 0:
						t.Debit, t.Credit, t.Reason = issuer, wallets[rng.IntN(len(wallets))], ledger.ReasonAward
					default:
						t.Debit, t.Credit, t.Reason, t.Amount = wallets[rng.IntN(len(wallets))], storeAcc, ledger.ReasonRedeem, int64(1+rng.IntN(20))
					}
					body, _ = json.Marshal(t)
				}
				t0 := time.Now()
				code, out, err := post(body)
				lat[i] = time.Since(t0)
				switch {
				case err != nil:
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err)
				case code == http.StatusCreated && kind == "new":
					posted.Add(1)
					var t ledger.NewTransfer
					json.Unmarshal(body, &t)
					if len(mine) < 256 {
						mine = append(mine, sent{key: t.Key, body: body})
					}
				case code == http.StatusOK && kind == "retry":
					dups.Add(1)
				case code == http.StatusConflict && kind == "reuse":
					dups.Add(1)
				case code == http.StatusConflict && bytes.Contains(out, []byte(`"field":"amount"`)):
					overdrafts.Add(1)
				default:
					failures.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Errorf("%s transfer answered %d: %s", kind, code, out))
				}
			}
		}(uint64(c + 1))
	}
	wg.Wait()
	elapsed := time.Since(start)
	if e := firstErr.Load(); e != nil {
		return res, fmt.Errorf("bench: %d requests failed; first: %v", failures.Load(), e)
	}
	sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })
	res.Rate = float64(cfg.N) / elapsed.Seconds()
	res.P99 = lat[cfg.N*99/100]
	res.Posted, res.Duplicates, res.Overdrafts = posted.Load(), dups.Load(), overdrafts.Load()
	if res.Verify, err = ledger.Verify(ctx, m.DB); err != nil {
		return res, err
	}
	res.Stored = res.Verify.Transfers - before.Transfers
	fmt.Fprintf(cfg.Out, "%d requests in %.2fs: %d transfers posted, %d stored; p50 %.1f ms; %d accounts, %d points issued in all\n",
		cfg.N, elapsed.Seconds(), res.Posted, res.Stored, ms(lat[cfg.N/2]), res.Verify.Accounts, res.Verify.Points)
	for _, p := range res.Verify.Problems {
		fmt.Fprintln(cfg.Out, "  problem:", p)
	}
	m.Stop()
	return res, nil
}
