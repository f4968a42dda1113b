package cases

import (
	"context"
	"strings"
	"time"

	"civicgrid/internal/store"
)

// The rollup keeps, per town and day of reporting, the sums the rates are
// made of. Every write that changes a case takes its old contribution out
// and puts its new one in, in the same transaction, so the rollup is always
// exactly what a full scan would give; rates for a county over a million
// cases then read a few thousand rollup rows instead of a million cases.

// contribution is one case's share of each counter, in rollupColumns order.
type contribution [14]int64

var rollupColumns = []string{"reported", "rejected", "open", "closed", "overdue", "resp_num", "resp_den",
	"on_time", "resolved", "satisfied", "rated", "reworked", "work_ms", "replied"}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// contrib is the single definition of what a case counts for. The raw-scan
// SQL in rates.go states the same rules; a test checks the two agree.
func contrib(c *Case) contribution {
	if c.Status == Merged {
		return contribution{}
	}
	closed := c.Status == Closed
	accepted := !c.AcceptedAt.IsZero()
	rejected := c.Status == Rejected
	return contribution{
		1,
		b2i(rejected),
		b2i(c.Status.Open()),
		b2i(closed),
		b2i(c.Status.Open() && c.Overdue),
		b2i(accepted && !c.AcceptedAt.After(c.AcceptDue) || rejected && !c.ClosedAt.After(c.AcceptDue)),
		b2i(accepted || rejected || c.Status == Reported && c.Overdue),
		b2i(closed && !c.ClosedLate),
		b2i(closed && !c.Reopened),
		b2i(c.Satisfaction >= 4),
		b2i(c.Satisfaction > 0),
		b2i(closed && c.ReworkCount > 0),
		c.HandleWorkMs,
		b2i(!c.RepliedAt.IsZero()),
	}
}

// townPath cuts a grid's path to its town: /city/county/town/.
func townPath(p string) string {
	n := 0
	for i := 0; i < len(p); i++ {
		if p[i] == '/' {
			n++
			if n == 4 {
				return p[:i+1]
			}
		}
	}
	return p
}

func rollupDay(t time.Time) string { return t.In(chinaTime).Format("2006-01-02") }

// bumpRollup moves a case's contribution from before to after (either may
// be nil for insert or delete).
func bumpRollup(ctx context.Context, tx *store.Tx, before, after *Case) error {
	var d contribution
	var c *Case
	if before != nil {
		b := contrib(before)
		for i := range d {
			d[i] -= b[i]
		}
		c = before
	}
	if after != nil {
		a := contrib(after)
		for i := range d {
			d[i] += a[i]
		}
		c = after
	}
	if c == nil {
		return nil
	}
	return addRollup(ctx, tx, townPath(c.RegionPath), rollupDay(c.ReportedAt), d)
}

// addRollup adds d to one town-day row.
func addRollup(ctx context.Context, tx *store.Tx, town, day string, d contribution) error {
	if d == (contribution{}) {
		return nil
	}
	var q strings.Builder
	q.WriteString("INSERT INTO case_rollup(town_path, day, " + strings.Join(rollupColumns, ", ") + ") VALUES (?, ?")
	args := []any{town, day}
	for i := range rollupColumns {
		q.WriteString(", ?")
		args = append(args, d[i])
	}
	q.WriteString(") ON CONFLICT(town_path, day) DO UPDATE SET ")
	for i, col := range rollupColumns {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(col + " = case_rollup." + col + " + excluded." + col)
	}
	_, err := tx.Exec(ctx, q.String(), args...)
	return err
}

// RebuildRollup recomputes the rollup from the cases themselves (after a
// bulk load, or to repair). It streams the cases once and replaces the
// table in one transaction.
func (s *Service) RebuildRollup(ctx context.Context) (int, error) {
	sums := map[[2]string]*contribution{}
	n := 0
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, "SELECT "+caseColumns+caseFrom)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := s.scan(rows)
			if err != nil {
				return err
			}
			k := [2]string{townPath(c.RegionPath), rollupDay(c.ReportedAt)}
			v := sums[k]
			if v == nil {
				v = &contribution{}
				sums[k] = v
			}
			d := contrib(&c)
			for i := range v {
				v[i] += d[i]
			}
			n++
		}
		return rows.Err()
	})
	if err != nil {
		return 0, err
	}
	return n, s.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM case_rollup"); err != nil {
			return err
		}
		q := "INSERT INTO case_rollup(town_path, day, " + strings.Join(rollupColumns, ", ") + ") VALUES (?, ?" + strings.Repeat(", ?", len(rollupColumns)) + ")"
		for k, v := range sums {
			args := []any{k[0], k[1]}
			for _, x := range v {
				args = append(args, x)
			}
			if _, err := tx.Exec(ctx, q, args...); err != nil {
				return err
			}
		}
		return nil
	})
}

// rollupAcc gathers the rollup changes of a batch of reports, which mostly
// share a few towns and one day, so the batch writes one row per town.
type rollupAcc map[[2]string]*contribution

func (a rollupAcc) add(before, after *Case) {
	for _, c := range []struct {
		c    *Case
		sign int64
	}{{before, -1}, {after, 1}} {
		if c.c == nil {
			continue
		}
		k := [2]string{townPath(c.c.RegionPath), rollupDay(c.c.ReportedAt)}
		v := a[k]
		if v == nil {
			v = &contribution{}
			a[k] = v
		}
		d := contrib(c.c)
		for i := range v {
			v[i] += c.sign * d[i]
		}
	}
}
