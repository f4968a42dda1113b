package workcal_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"civicgrid/internal/store"
	"civicgrid/internal/store/storetest"
	"civicgrid/internal/workcal"
)

// A year the binary does not carry: Wednesday 2031-01-01 a holiday, the
// weekend Sunday 2031-01-05 a make-up working day.
const year2031 = `{"year": 2031, "days": [
	{"name": "元旦", "date": "2031-01-01", "isOffDay": true},
	{"name": "元旦", "date": "2031-01-05", "isOffDay": false}
]}`

func count(t *testing.T, db *store.DB, year int) int {
	t.Helper()
	var n int
	ctx := context.Background()
	if err := db.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, "SELECT count(*) FROM holidays WHERE year = ?", year).Scan(&n)
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBookKeepsTheCalendarInTheDatabase: the embedded years are written to
// the holidays table once; an imported year counts at once, replaces the
// year whole, and a bad file changes nothing.
func TestBookKeepsTheCalendarInTheDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		b, err := workcal.Open(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		emb, _ := workcal.Embedded()
		for _, y := range emb.Years() {
			if got, want := count(t, db, y), len(emb.Days(y)); got != want || got == 0 {
				t.Fatalf("%d: %d rows, want %d", y, got, want)
			}
		}
		if _, err := workcal.Open(ctx, db); err != nil || count(t, db, 2026) != len(emb.Days(2026)) {
			t.Fatalf("opening again: %v, %d rows for 2026", err, count(t, db, 2026))
		}
		for _, tc := range []struct {
			at   time.Time
			want string
		}{
			{time.Date(2026, 10, 31, 12, 0, 0, 0, workcal.Shanghai), "[]"},     // too early to expect 2027
			{time.Date(2026, 11, 29, 12, 0, 0, 0, workcal.Shanghai), "[2027]"}, // the notice is due
			{time.Date(2027, 3, 1, 12, 0, 0, 0, workcal.Shanghai), "[2027]"},
			{time.Date(2027, 12, 1, 12, 0, 0, 0, workcal.Shanghai), "[2027 2028]"},
		} {
			if m := fmt.Sprint(b.Missing(tc.at)); m != tc.want {
				t.Errorf("missing on %s: %s, want %s", tc.at.Format("2006-01-02"), m, tc.want)
			}
		}

		tue := time.Date(2030, 12, 31, 10, 0, 0, 0, workcal.Shanghai)
		before := b.AddWorkdays(tue, 1) // Mon–Fri: Wednesday 1 January
		if before.Day() != 1 {
			t.Fatalf("before the import: %v", before)
		}
		year, n, err := b.Import(ctx, strings.NewReader(year2031))
		if err != nil || year != 2031 || n != 2 || count(t, db, 2031) != 2 {
			t.Fatalf("import: %d %d %v, %d rows", year, n, err, count(t, db, 2031))
		}
		// The holiday is off, Thursday and Friday on, the Sunday on.
		for k, want := range map[int]int{1: 2, 2: 3, 3: 5, 4: 6} {
			if got := b.AddWorkdays(tue, k); got.Day() != want || got.Month() != time.January {
				t.Errorf("%d working days after Tuesday 31 December: %v, want 2031-01-%02d", k, got, want)
			}
		}
		// Another process sees it after a reload.
		other, err := workcal.Open(ctx, db)
		if err != nil || !other.IsWorkday(time.Date(2031, 1, 5, 10, 0, 0, 0, workcal.Shanghai)) {
			t.Fatalf("a second book does not see the imported year: %v", err)
		}
		// A bad file names its entry and changes nothing.
		_, _, err = b.Import(ctx, strings.NewReader(`{"year": 2031, "days": [{"name": "x", "date": "2031-02-30", "isOffDay": true}]}`))
		var ce *workcal.Error
		if !errors.As(err, &ce) || ce.Index != 0 {
			t.Fatalf("bad file: %v", err)
		}
		if count(t, db, 2031) != 2 || b.AddWorkdays(tue, 1).Day() != 2 {
			t.Fatal("a bad file changed the calendar")
		}
		// Importing again replaces the year whole.
		if _, _, err := b.Import(ctx, strings.NewReader(`{"year": 2031, "days": [{"name": "元旦", "date": "2031-01-01", "isOffDay": true}]}`)); err != nil {
			t.Fatal(err)
		}
		if count(t, db, 2031) != 1 || b.IsWorkday(time.Date(2031, 1, 5, 10, 0, 0, 0, workcal.Shanghai)) {
			t.Fatal("the second import did not replace the first")
		}
	})
}
