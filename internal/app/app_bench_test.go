package app

import (
	"context"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func rssMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkDemoLoad measures `serve --demo` on an empty data directory: the
// whole Heze tree, accounts and residents, then the in-memory index. It
// reports the process RSS and live heap after the load (goal: < 30 s, < 200 MB).
func BenchmarkDemoLoad(b *testing.B) {
	for b.Loop() {
		m := NewMain(Config{DataDir: b.TempDir(), Demo: true, Out: io.Discard})
		if err := m.Open(context.Background()); err != nil {
			b.Fatal(err)
		}
		m.Close()
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heapMB")
	b.ReportMetric(rssMB(), "rssMB")
}

// BenchmarkColdStart measures opening an existing demo database: migrations
// check, keys, region tree and point index (goal: < 1 s).
func BenchmarkColdStart(b *testing.B) {
	dir := b.TempDir()
	m := NewMain(Config{DataDir: dir, Demo: true, Out: io.Discard})
	if err := m.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	m.Close()
	b.ResetTimer()
	var last *Main
	for b.Loop() {
		if last != nil {
			last.Close()
		}
		last = NewMain(Config{DataDir: dir, Out: io.Discard})
		if err := last.Open(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heapMB")
	if last.Regions.Tree().GridCount() < 28000 {
		b.Fatalf("only %d grids loaded", last.Regions.Tree().GridCount())
	}
	last.Close()
}
