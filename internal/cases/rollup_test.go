package cases

import (
	"context"
	"testing"
	"time"
)

// RollupAndScan exposes both ways of summing to the external tests, which
// check after every scenario that the rollup equals a full scan.
func (s *Service) RollupAndScan(path string, from, to time.Time) (rollup, scan [14]int64, err error) {
	ctx := context.Background()
	r, err := s.rollupSums(ctx, path, from, to)
	if err != nil {
		return rollup, scan, err
	}
	c, err := s.scanSums(ctx, path, from, to)
	return r, c, err
}

func TestTownPath(t *testing.T) {
	if got := townPath("/371700/371722/371722001/371722001001/371722001001001/"); got != "/371700/371722/371722001/" {
		t.Fatal(got)
	}
}

func TestWholeDays(t *testing.T) {
	if !wholeDays(time.Date(2026, 3, 2, 0, 0, 0, 0, chinaTime)) || wholeDays(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)) {
		t.Fatal("whole Beijing days")
	}
}
