package cases

import (
	"context"
	"fmt"
	"time"

	"civicgrid/internal/auth"
	"civicgrid/internal/store"
)

// system is the actor of the scheduler's own steps in a case's history.
var system = auth.Actor{UserID: "system", Username: "system", Role: auth.CityAdmin, RegionPath: "/"}

// TickResult counts what one scheduler pass did.
type TickResult struct{ Reminded, Overdue, Escalated int }

// Tick runs the deadline machinery once: for every open case whose next
// timer is due it reminds the handler before the deadline, marks the case
// overdue when the deadline passes, and escalates (督办) to the supervising
// level after EscalateDays working days. Each step is its own transaction, guarded by the
// case version, so running Tick twice (or on two servers) does no harm.
func (s *Service) Tick(ctx context.Context, batch int) (TickResult, error) {
	var res TickResult
	if batch <= 0 {
		batch = 500
	}
	var ids []string
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		ids, err = store.All(ctx, tx, store.String, `SELECT id FROM cases WHERE status IN ('reported','accepted','dispatched','replied')
			AND next_due <> '' AND next_due <= ? ORDER BY next_due LIMIT ?`, tx.NowText(), batch)
		return err
	})
	if err != nil {
		return res, err
	}
	for _, id := range ids {
		step, path, err := s.tickOne(ctx, id)
		if err != nil {
			return res, err
		}
		switch step {
		case "remind":
			res.Reminded++
		case "overdue":
			res.Overdue++
		case "escalate":
			res.Escalated++
		}
		if step != "" {
			s.notify(id, path)
		}
	}
	return res, nil
}

func (s *Service) tickOne(ctx context.Context, id string) (string, string, error) {
	var step, path string
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		var status, next, reminded, escalated string
		var overdue, version int
		if err := tx.QueryRow(ctx, "SELECT status, next_due, reminded_at, overdue, escalated_at, version FROM cases WHERE id = ?"+tx.Dialect().ForUpdate(), id).
			Scan(&status, &next, &reminded, &overdue, &escalated, &version); err != nil {
			return err
		}
		c, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		path = c.RegionPath
		due := c.Due()
		now := tx.Now()
		if next == "" || next > tx.NowText() || !c.Status.Open() || due.IsZero() {
			return nil
		}
		var set, data string
		var args []any
		switch {
		case reminded == "" && now.Before(due):
			step, set, args = "remind", "reminded_at = ?, next_due = ?", []any{tx.NowText(), store.FormatTime(due)}
		case overdue == 0 && !now.Before(due):
			step, set, args = "overdue", "overdue = 1, reminded_at = CASE WHEN reminded_at = '' THEN ? ELSE reminded_at END, next_due = ?", []any{tx.NowText(), store.FormatTime(s.escalateAt(due))}
		case overdue == 1 && escalated == "" && !now.Before(s.escalateAt(due)):
			step, set, args = "escalate", "escalated_at = ?, next_due = ''", []any{tx.NowText()}
			data = fmt.Sprintf(`{"to_level":%q}`, supervisingLevel(c.RegionPath))
		default:
			_, err := tx.Exec(ctx, "UPDATE cases SET next_due = '' WHERE id = ? AND version = ?", id, version)
			return err
		}
		args = append(args, version+1, id, version)
		res, err := tx.Exec(ctx, "UPDATE cases SET "+set+", version = ? WHERE id = ? AND version = ?", args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			step = ""
			return nil
		}
		after, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := bumpRollup(ctx, tx, &c, &after); err != nil {
			return err
		}
		return addEvent(ctx, tx, id, system, step, c.Status, c.Status, c.LeadUnitID, "", data)
	})
	return step, path, err
}

// supervisingLevel names the region that supervises an overdue case: the
// county above the grid's town.
func supervisingLevel(path string) string {
	parts := splitPath(path)
	if len(parts) >= 2 {
		return parts[1]
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return ""
}

func splitPath(p string) []string {
	var out []string
	start := -1
	for i := 0; i < len(p); i++ {
		if p[i] == '/' {
			if start >= 0 && i > start {
				out = append(out, p[start:i])
			}
			start = i + 1
		}
	}
	return out
}

// Run calls Tick every interval until ctx ends.
func (s *Service) Run(ctx context.Context, every time.Duration, logf func(string, ...any)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if r, err := s.Tick(ctx, 500); err != nil {
				logf("case scheduler: %v", err)
			} else if r != (TickResult{}) {
				logf("case scheduler: %+v", r)
			}
		}
	}
}
