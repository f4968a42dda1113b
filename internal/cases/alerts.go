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
	CaseID       string    `json:"case_id"`
	CaseNo       string    `json:"case_no"`
	CategoryCode string    `json:"category_code"`
	Action       string    `json:"action"`
	At           time.Time `json:"at"`
	Note         string    `json:"note,omitempty"`
	New          bool      `json:"new"` // after the viewer last looked
}

// Alerts are the viewer's alerts of the last 30 days, newest first, and how
// many are new.
type Alerts struct {
	Items  []Alert `json:"items"`
	Unread int     `json:"unread"`
}

// alertActions are the steps copied to case_alerts as they are written
// (addEvent); the queries below choose among them per viewer.
var alertActions = map[string]bool{
	"dispatch": true, "reassign": true, "remind": true, "overdue": true, "escalate": true, "supervise": true,
	"verify_fail": true, "rate": true, "postpone_approve": true, "postpone_deny": true, "return": true, "postpone_request": true,
}

// What a unit's handlers hear of on their cases, what dispatchers hear of
// in their area, and what those who verify replies hear of.
var (
	handlerAlerts    = []string{"dispatch", "reassign", "remind", "overdue", "escalate", "supervise", "verify_fail", "rate", "postpone_approve", "postpone_deny"}
	dispatcherAlerts = []string{"remind", "overdue", "escalate", "return", "postpone_request", "rate"}
	verifierAlerts   = []string{"remind", "overdue", "escalate"}
)

const alertWindow = 30 * 24 * time.Hour

// alertsFrom is the FROM and WHERE of the viewer's alerts since an
// instant: department handlers hear of the cases their unit leads;
// dispatchers (town and county officials) of the cases of their area
// waiting on them, verification included; grid workers who verify replies
// of the verification deadlines of their area. ok is false for everyone
// else.
func alertsFrom(ctx context.Context, tx *store.Tx, actor auth.Actor, since string) (from string, args []any, ok bool, err error) {
	const cols = ` FROM case_alerts e JOIN cases c ON c.id = e.case_id WHERE `
	deadlines := func(stages string) string {
		return ` AND (e.action NOT IN ('remind', 'overdue', 'escalate') OR e.from_status IN (` + stages + `))
			AND (e.action <> 'rate' OR e.to_status = 'dispatched')`
	}
	switch {
	case actor.Role.Has(auth.CaseHandle):
		unit, err := UnitOf(ctx, tx, actor.UserID)
		if err != nil || unit == "" {
			return "", nil, false, err
		}
		// Reminders of the stages before the case reached the unit are
		// not the unit's.
		return cols + `c.lead_unit_id = ? AND e.at > ? AND e.action IN (` + marks(len(handlerAlerts)) + `)` + deadlines("'dispatched'"),
			append([]any{unit, since}, strs(handlerAlerts)...), true, nil
	case actor.Role.Has(auth.CaseDispatch):
		return cols + `e.at > ? AND c.region_path LIKE ? AND e.action IN (` + marks(len(dispatcherAlerts)) + `)` + deadlines("'reported', 'accepted', 'replied'"),
			append([]any{since, actor.RegionPath + "%"}, strs(dispatcherAlerts)...), true, nil
	case actor.Role.Has(auth.CaseVerify):
		return cols + `e.at > ? AND c.region_path LIKE ? AND e.action IN (` + marks(len(verifierAlerts)) + `)` + deadlines("'replied'"),
			append([]any{since, actor.RegionPath + "%"}, strs(verifierAlerts)...), true, nil
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
			err := r.Scan(&a.CaseID, &a.CaseNo, &a.CategoryCode, &a.Action, &at, &a.Note)
			a.At, _ = store.ParseTime(at)
			a.New = at > seen
			return a, err
		}, "SELECT c.id, c.no, c.category_code, e.action, e.at, e.note"+from+" ORDER BY e.at DESC, e.case_id LIMIT ?", append(args, limit)...)
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
// the last 30 days), up to MaxUnreadAlerts: the home page's question.
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

// MarkAlertsSeen records that the viewer has seen their alerts up to upTo
// (the newest one shown; now when zero), never moving the mark back: an
// alert written after the list was read stays new.
func (s *Service) MarkAlertsSeen(ctx context.Context, actor auth.Actor, upTo time.Time) error {
	if actor.UserID == "" {
		return errs.New(errs.Unauthorized, "err.unauthorized")
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		at := tx.NowText()
		if !upTo.IsZero() && upTo.Before(tx.Now()) {
			at = store.FormatTime(upTo)
		}
		_, err := tx.Exec(ctx, `INSERT INTO alert_reads(user_id, seen_at) VALUES (?, ?)
			ON CONFLICT(user_id) DO UPDATE SET seen_at = CASE WHEN excluded.seen_at > alert_reads.seen_at THEN excluded.seen_at ELSE alert_reads.seen_at END`, actor.UserID, at)
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
