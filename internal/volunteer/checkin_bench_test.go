package volunteer_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"civicgrid/internal/auth"
	"civicgrid/internal/store"
	"civicgrid/internal/store/storetest"
	"civicgrid/internal/volunteer"

	"github.com/oklog/ulid/v2"
)

// BenchmarkCheckIn: the hour before a festival opens, 24,000 volunteers
// check in to one big event (about 7 a second, in bursts of hundreds).
// Each op is one QR check-in through the domain on a real SQLite file with
// 24,000 sign-ups; it reports the p99 of a burst of 64 concurrent check-ins.
func BenchmarkCheckIn(b *testing.B) {
	db := storetest.OpenSQLite(b)
	w := newWorld(nil, db, b)
	ctx := context.Background()
	const volunteers = 24000
	act, err := w.vol.CreateActivity(ctx, w.admin, volunteer.NewActivity{Title: "牡丹节开幕志愿服务", Domain: "culture", Lng: lng, Lat: lat,
		StartsAt: w.clock.Add(time.Hour), EndsAt: w.clock.Add(10 * time.Hour), Quotas: map[string]int{"": volunteers}})
	if err != nil {
		b.Fatal(err)
	}
	actors := make([]auth.Actor, volunteers)
	err = db.Write(ctx, func(tx *store.Tx) error {
		for i := range actors {
			uid, vid := ulid.Make().String(), ulid.Make().String()
			actors[i] = auth.Actor{UserID: uid, Role: auth.Volunteer, RegionPath: villagePath}
			if _, err := tx.Exec(ctx, `INSERT INTO users (id, username, display_name, password_hash, role, region_code, region_path, created_at, updated_at) VALUES (?, ?, '志愿者', 'x', 'volunteer', '371722001001', ?, ?, ?)`,
				uid, "fest"+uid, villagePath, tx.NowText(), tx.NowText()); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO volunteers (id, no, user_id, name_enc, grid_code, region_path, created_at) VALUES (?, ?, ?, '', '371722001001001', ?, ?)`,
				vid, fmt.Sprintf("VF-%d", i), uid, gridPath, tx.NowText()); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO signups (id, activity_id, volunteer_id, status, created_at) VALUES (?, ?, ?, 'approved', ?)`,
				ulid.Make().String(), act.ID, vid, tx.NowText()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	w.clock = act.StartsAt.Add(-30 * time.Minute)
	code, _, err := w.vol.Code(ctx, w.admin, act.ID)
	if err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	lats := make([]time.Duration, 0, b.N)
	var mu sync.Mutex
	b.ResetTimer()
	var wg sync.WaitGroup
	for g := 0; g < 64; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				t0 := time.Now()
				if _, err := w.vol.CheckIn(ctx, actors[i%volunteers], act.ID, volunteer.Scan{Code: code, Lng: lng, Lat: lat}); err != nil && i < volunteers {
					b.Error(err)
					return
				}
				d := time.Since(t0)
				mu.Lock()
				lats = append(lats, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	if len(lats) > 0 {
		b.ReportMetric(float64(lats[len(lats)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checkins/s")
	}
}
