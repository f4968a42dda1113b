package cases_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"civicgrid/internal/auth"
	"civicgrid/internal/cases"
	"civicgrid/internal/privacy"
	"civicgrid/internal/region/regiontest"
	"civicgrid/internal/store"
	"civicgrid/internal/store/storetest"
	"civicgrid/internal/workcal"
)

// BenchmarkRatesCounty1M loads a million cases into one county (set
// CIVICGRID_BENCH_CASES for another size), then times the county's rates
// over a year from the rollup, with a full scan of the same cases as the
// baseline in the same run. Goal: < 200 ms.
func BenchmarkRatesCounty1M(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("CIVICGRID_BENCH_CASES")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	db := storetest.OpenSQLite(b)
	regions := regiontest.Load(b, db)
	keys, _ := privacy.NewKeys(make([]byte, 32))
	cal, _ := workcal.Embedded()
	svc := cases.New(db, regions, regions, cal, keys, cases.DefaultConfig, nil)
	if err := db.Write(ctx, func(tx *store.Tx) error { return cases.SeedCategories(ctx, tx) }); err != nil {
		b.Fatal(err)
	}
	grids := []string{regiontest.GridA1a1, regiontest.GridA1a2, regiontest.GridA1b1, "371722002001001", "371722002002002"}
	statuses := []string{"reported", "accepted", "dispatched", "replied", "closed", "closed", "closed", "closed", "rejected"}
	rng := rand.New(rand.NewPCG(1, 1))
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	t0 := time.Now()
	const batch = 500
	for i := 0; i < n; i += batch {
		err := db.Write(ctx, func(tx *store.Tx) error {
			var q strings.Builder
			q.WriteString(`INSERT INTO cases(id, no, channel, category_code, status, priority, description, lng, lat, grid_code, region_path,
				reported_at, accepted_at, accept_due, closed_at, replied_at, satisfaction, rework_count, closed_late, handle_work_ms, updated_at) VALUES `)
			var args []any
			for j := i; j < min(n, i+batch); j++ {
				if j > i {
					q.WriteString(",")
				}
				q.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
				g := grids[rng.IntN(len(grids))]
				info, _ := regions.Lookup(g)
				at := start.Add(time.Duration(rng.Int64N(int64(365 * 24 * time.Hour))))
				st := statuses[rng.IntN(len(statuses))]
				acc, closed, replied := "", "", ""
				if st != "reported" && st != "rejected" {
					acc = store.FormatTime(at.Add(time.Duration(rng.IntN(6)) * time.Hour))
				}
				if st == "closed" || st == "rejected" {
					closed = store.FormatTime(at.Add(72 * time.Hour))
				}
				if st == "closed" || st == "replied" {
					replied = store.FormatTime(at.Add(48 * time.Hour))
				}
				sat := 0
				if st == "closed" {
					sat = 1 + rng.IntN(5)
				}
				id := fmt.Sprintf("B%025d", j)
				args = append(args, id, id, "web", "1101", st, 2, "基准", 116.1, 34.2, g, info.Path,
					store.FormatTime(at), acc, store.FormatTime(at.Add(4*time.Hour)), closed, replied, sat, rng.IntN(2), rng.IntN(2), rng.Int64N(4e7), store.FormatTime(at))
			}
			_, err := tx.Exec(ctx, q.String(), args...)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	loaded := time.Since(t0)
	t0 = time.Now()
	if _, err := svc.RebuildRollup(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d cases loaded in %v, rollup rebuilt in %v", n, loaded, time.Since(t0))
	official := auth.Actor{UserID: "o", Username: "o", Role: auth.Official, RegionPath: "/371700/371722/"}
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	to := from.AddDate(1, 0, 0)
	b.Run("rollup", func(b *testing.B) {
		for b.Loop() {
			r, err := svc.Rates(ctx, official, regiontest.CountyA, from, to)
			if err != nil || r.Reported == 0 {
				b.Fatal(err)
			}
		}
	})
	b.Run("scan-baseline", func(b *testing.B) {
		for b.Loop() {
			// One second off a whole day forces the full scan.
			r, err := svc.Rates(ctx, official, regiontest.CountyA, from.Add(time.Second), to)
			if err != nil || r.Reported == 0 {
				b.Fatal(err)
			}
		}
	})
}
