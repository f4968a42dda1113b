package cases_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"civicgrid/internal/cases"
	"civicgrid/internal/store/storetest"
)

// BenchmarkFile files reports straight into the domain with group commit
// from many goroutines: the database share of intake, without HTTP.
func BenchmarkFile(b *testing.B) {
	db := storetest.OpenSQLite(b)
	w := newWorld(&testing.T{}, db)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w.svc.StartBatching(ctx, 256)
	var seq atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := seq.Add(1)
			_, err := w.svc.File(ctx, w.resident, cases.Report{Channel: cases.ChannelWeb, Category: "1101", Description: "基准",
				Lng: 116.0 + float64(i%1000)/1000*0.99, Lat: 34.01 + float64(i%997)/997*0.98, IdempotencyKey: fmt.Sprint(i)})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reports/s")
}
