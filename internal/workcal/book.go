package workcal

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"civicgrid/internal/errs"
	"civicgrid/internal/store"
)

// Book is the official calendar as the platform keeps it: in the holidays
// table, which is the source of truth, and in memory as a Calendar that is
// swapped whole when a year is imported. It answers the deadline questions
// itself, so the services that count working time hold a Book and always
// count with the current calendar.
//
// The years embedded in the binary (2024–2026, from ../shared/data/holidays)
// are written to the table the first time a database meets them; a later
// year is imported with `civicgrid holidays import FILE` or through the API,
// from the State Council's notice in the holiday-cn JSON form.
type Book struct {
	db  *store.DB
	cur atomic.Pointer[Calendar]
}

// Open seeds the embedded years a database does not have yet and loads the
// calendar from the table.
func Open(ctx context.Context, db *store.DB) (*Book, error) {
	b := &Book{db: db}
	emb, err := Embedded()
	if err != nil {
		return nil, err
	}
	err = db.Write(ctx, func(tx *store.Tx) error {
		for _, y := range emb.Years() {
			var n int
			if err := tx.QueryRow(ctx, "SELECT count(*) FROM holidays WHERE year = ?", y).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				if err := insertYear(ctx, tx, y, emb.Days(y), " ON CONFLICT(date) DO NOTHING"); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, errs.Wrap(err, "seed the holiday calendar")
	}
	return b, b.Reload(ctx)
}

// Reload reads the table again (another process may have imported a year).
func (b *Book) Reload(ctx context.Context) error {
	var days []Day
	err := b.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		days, err = store.All(ctx, tx, func(r interface{ Scan(...any) error }) (Day, error) {
			var d Day
			var off int
			err := r.Scan(&d.Date, &d.Name, &off)
			d.Off = off == 1
			return d, err
		}, "SELECT date, name, off FROM holidays ORDER BY date")
		return err
	})
	if err != nil {
		return errs.Wrap(err, "load the holiday calendar")
	}
	b.cur.Store(New(days, WorkHours{}, nil))
	return nil
}

// Import replaces one year with the entries of a holiday-cn JSON file, all
// or nothing, and returns the year and how many entries it has. A bad file
// changes nothing and says what is wrong (see Parse).
func (b *Book) Import(ctx context.Context, r io.Reader) (year, n int, err error) {
	year, days, err := Parse(r)
	if err != nil {
		return 0, 0, err
	}
	err = b.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM holidays WHERE year = ?", year); err != nil {
			return err
		}
		return insertYear(ctx, tx, year, days, "")
	})
	if err != nil {
		return 0, 0, errs.Wrap(err, "import the holiday calendar")
	}
	return year, len(days), b.Reload(ctx)
}

// ImportBytes is Import of a file held in memory.
func (b *Book) ImportBytes(ctx context.Context, data []byte) (year, n int, err error) {
	return b.Import(ctx, bytes.NewReader(data))
}

// insertYear writes a year's entries; seeding adds ON CONFLICT DO NOTHING,
// so two servers starting on one empty database do not collide.
func insertYear(ctx context.Context, tx *store.Tx, year int, days []Day, onConflict string) error {
	for _, d := range days {
		off := 0
		if d.Off {
			off = 1
		}
		if _, err := tx.Exec(ctx, "INSERT INTO holidays(date, name, off, year) VALUES (?, ?, ?, ?)"+onConflict, d.Date, d.Name, off, year); err != nil {
			return err
		}
	}
	return nil
}

// Calendar is the calendar in use now.
func (b *Book) Calendar() *Calendar { return b.cur.Load() }

// Missing lists the years that should have official entries by now and do
// not: this year, and from November (when the State Council's notice for
// the next year usually comes out, and deadlines start to reach into it)
// the next. Their deadlines count Monday to Friday only, so staff are told.
func (b *Book) Missing(now time.Time) []int {
	have := map[int]bool{}
	for _, y := range b.Calendar().Years() {
		have[y] = true
	}
	now = now.In(b.Calendar().Location())
	want := []int{now.Year()}
	if now.Month() >= time.November {
		want = append(want, now.Year()+1)
	}
	var out []int
	for _, y := range want {
		if !have[y] {
			out = append(out, y)
		}
	}
	return out
}

// The deadline arithmetic, on the current calendar.

func (b *Book) AddWorkdays(from time.Time, n int) time.Time { return b.Calendar().AddWorkdays(from, n) }
func (b *Book) AddWorkHours(from time.Time, d time.Duration) time.Time {
	return b.Calendar().AddWorkHours(from, d)
}
func (b *Book) WorkBetween(a, c time.Time) time.Duration { return b.Calendar().WorkBetween(a, c) }
func (b *Book) IsWorkday(t time.Time) bool               { return b.Calendar().IsWorkday(t) }

// Describe is one line naming the years covered, for logs and the CLI.
func (b *Book) Describe() string {
	return fmt.Sprintf("%v", b.Calendar().Years())
}
