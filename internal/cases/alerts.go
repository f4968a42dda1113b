package cases

import (
	"context"
	"strings"
	"time"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/store"
)

// Alert is a step in some case's history that its viewer has to act on or
// know of: a reminder or an overdue mark on their work, an escalation, a
// case sent to their unit, a check that failed, a return or a request for
// more time awaiting their decision.
type Alert struct {
	CaseID   string    `json:"case_id"`
	CaseNo   string    `json:"case_no"`
	Category string    `json:"category"`
	Action   string    `json:"action"`
	At       time.Time `json:"at"`
	Note     string    `json:"note,omitempty"`
	New      bool      `json:"new"` // after the viewer last looked
}

// Alerts are the viewer's alerts of the last 30 days, newest first, and how
// many are new.
type Alerts struct {
	Items  []Alert `json:"items"`
	Unread int     `json:"unread"`
}

// What a unit's handlers hear of on their cases, and what dispatchers hear
// of in their area: reminders, overdue marks and escalations of the stages
// they own, and the requests waiting for them.
var (
	handlerAlerts    = []string{"dispatch", "reassign", "remind", "overdue", "escalate", "supervise", "verify_fail", "rate", "postpone_approve", "postpone_deny"}
	dispatcherAlerts = []string{"remind", "overdue", "escalate", "return", "postpone_request", "rate"}
)

const alertWindow = 30 * 24 * time.Hour

// alertsFrom is the FROM and WHERE of the viewer's alerts since an
// instant: department handlers hear of the cases their unit leads,
// dispatchers (town and county officials) of the cases of their area
// waiting on them. ok is false for everyone else.
func alertsFrom(ctx context.Context, tx *store.Tx, actor auth.Actor, since string) (from string, args []any, ok bool, err error) {
	const cols = ` FROM case_events e JOIN cases c ON c.id = e.case_id JOIN case_categories k ON k.code = c.category_code WHERE `
	switch {
	case actor.Role.Has(auth.CaseHandle):
		unit, err := UnitOf(ctx, tx, actor.UserID)
		if err != nil || unit == "" {
			return "", nil, false, err
		}
		// Reminders of the stages before the case reached the unit are
		// not the unit's.
		return cols + `c.lead_unit_id = ? AND e.at > ? AND e.action IN (` + marks(len(handlerAlerts)) + `)
			AND (e.action NOT IN ('remind', 'overdue', 'escalate') OR e.from_status = 'dispatched')
			AND (e.action <> 'rate' OR e.to_status = 'dispatched')`, append([]any{unit, since}, strs(handlerAlerts)...), true, nil
	case actor.Role.Has(auth.CaseDispatch):
		return cols + `e.action IN (` + marks(len(dispatcherAlerts)) + `) AND e.at > ? AND c.region_path LIKE ?
			AND (e.action NOT IN ('remind', 'overdue', 'escalate') OR e.from_status IN ('reported', 'accepted'))
			AND (e.action <> 'rate' OR e.to_status = 'dispatched')`, append(strs(dispatcherAlerts), since, actor.RegionPath+"%"), true, nil
	}
	return "", nil, false, nil
}

// seenAt is when the viewer last looked at their alerts ("" never).
func seenAt(ctx context.Context, tx *store.Tx, userID string) (string, error) {
	var seen string
	err := tx.QueryRow(ctx, "SELECT seen_at FROM alert_reads WHERE user_id = ?", userID).Scan(&seen)
	if errs.Is(err, errs.NotFound) {
		err = nil
	}
	return seen, err
}

// AlertsFor lists the viewer's alerts of the last 30 days, newest first,
// marking those after they last looked.
func (s *Service) AlertsFor(ctx context.Context, actor auth.Actor, limit int) (Alerts, error) {
	out := Alerts{Items: []Alert{}}
	if limit <= 0 || limit > 200 {
		limit = 100
	}
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		seen, err := seenAt(ctx, tx, actor.UserID)
		if err != nil {
			return err
		}
		from, args, ok, err := alertsFrom(ctx, tx, actor, store.FormatTime(tx.Now().Add(-alertWindow)))
		if !ok || err != nil {
			return err
		}
		items, err := store.All(ctx, tx, func(r interface{ Scan(...any) error }) (Alert, error) {
			var a Alert
			var at string
			err := r.Scan(&a.CaseID, &a.CaseNo, &a.Category, &a.Action, &at, &a.Note)
			a.At, _ = store.ParseTime(at)
			a.New = at > seen
			return a, err
		}, "SELECT c.id, c.no, k.name, e.action, e.at, e.note"+from+" ORDER BY e.at DESC, e.case_id LIMIT ?", append(args, limit)...)
		if err != nil {
			return err
		}
		out.Items = append(out.Items, items...)
		for _, a := range items {
			if a.New {
				out.Unread++
			}
		}
		return nil
	})
	return out, errs.Wrap(err, "alerts")
}

// MaxUnreadAlerts caps UnreadAlerts: a page shows "100+" rather than count on.
const MaxUnreadAlerts = 100

// UnreadAlerts counts the viewer's alerts since they last looked (within
// the last 30 days), up to maxUnread: the home page's question, answered
// without reading or sorting the whole window.
func (s *Service) UnreadAlerts(ctx context.Context, actor auth.Actor) (int, error) {
	var n int
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		seen, err := seenAt(ctx, tx, actor.UserID)
		if err != nil {
			return err
		}
		since := max(seen, store.FormatTime(tx.Now().Add(-alertWindow)))
		from, args, ok, err := alertsFrom(ctx, tx, actor, since)
		if !ok || err != nil {
			return err
		}
		return tx.QueryRow(ctx, "SELECT count(*) FROM (SELECT 1"+from+" LIMIT ?) new", append(args, MaxUnreadAlerts)...).Scan(&n)
	})
	return n, errs.Wrap(err, "unread alerts")
}

// MarkAlertsSeen records that the viewer has seen their alerts up to now.
func (s *Service) MarkAlertsSeen(ctx context.Context, actor auth.Actor) error {
	if actor.UserID == "" {
		return errs.New(errs.Unauthorized, "err.unauthorized")
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO alert_reads(user_id, seen_at) VALUES (?, ?)
			ON CONFLICT(user_id) DO UPDATE SET seen_at = excluded.seen_at`, actor.UserID, tx.NowText())
		return err
	})
}

func marks(n int) string { return "?" + strings.Repeat(", ?", n-1) }

func strs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
