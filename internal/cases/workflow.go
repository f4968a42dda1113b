package cases

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/store"
)

// Action is a step of the workflow.
type Action string

const (
	ActAccept          Action = "accept"           // 立案
	ActReject          Action = "reject"           // 不予立案, with a reason
	ActDispatch        Action = "dispatch"         // 派遣 to a lead unit (+ assisting units)
	ActReassign        Action = "reassign"         // change the lead unit while handling
	ActReturn          Action = "return"           // 退回: not our remit, within ReturnDays
	ActPostponeRequest Action = "postpone_request" // 申请延期, before the deadline
	ActPostponeApprove Action = "postpone_approve"
	ActPostponeDeny    Action = "postpone_deny"
	ActReply           Action = "reply"       // 反馈 with photos
	ActVerifyPass      Action = "verify_pass" // 核查通过 → 结案
	ActVerifyFail      Action = "verify_fail" // 核查不通过 → rework
	ActRate            Action = "rate"        // 评价 1–5; ≤ 2 may reopen
	ActMerge           Action = "merge"       // merge into another case
	ActSupervise       Action = "supervise"   // 督办 by hand
)

// Input carries what an action needs.
type Input struct {
	Note         string   `json:"note,omitempty"`
	UnitID       string   `json:"unit_id,omitempty"`
	AssistUnits  []string `json:"assist_unit_ids,omitempty"`
	Days         int      `json:"days,omitempty"`
	Satisfaction int      `json:"satisfaction,omitempty"`
	Reopen       bool     `json:"reopen,omitempty"`
	Into         string   `json:"into,omitempty"` // merge target case id
	Photos       []string `json:"photos,omitempty"`
	Version      int      `json:"version,omitempty"` // optimistic check: refuse if the case changed meanwhile
}

// step describes one transition: from which stages, and the permission it needs.
type step struct {
	from []Status
	perm auth.Permission
}

// steps is the workflow table.
var steps = map[Action]step{
	ActAccept:          {[]Status{Reported}, auth.CaseDispatch},
	ActReject:          {[]Status{Reported}, auth.CaseDispatch},
	ActDispatch:        {[]Status{Accepted}, auth.CaseDispatch},
	ActReassign:        {[]Status{Dispatched}, auth.CaseDispatch},
	ActReturn:          {[]Status{Dispatched}, auth.CaseHandle},
	ActPostponeRequest: {[]Status{Dispatched}, auth.CaseHandle},
	ActPostponeApprove: {[]Status{Dispatched}, auth.CaseDispatch},
	ActPostponeDeny:    {[]Status{Dispatched}, auth.CaseDispatch},
	ActReply:           {[]Status{Dispatched}, auth.CaseHandle},
	ActVerifyPass:      {[]Status{Replied}, auth.CaseVerify},
	ActVerifyFail:      {[]Status{Replied}, auth.CaseVerify},
	ActRate:            {[]Status{Closed}, ""},
	ActMerge:           {[]Status{Reported, Accepted, Dispatched}, auth.CaseDispatch},
	ActSupervise:       {[]Status{Reported, Accepted, Dispatched, Replied}, auth.CaseDispatch},
}

func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

// Act performs one workflow step in one transaction and writes the history.
// followToken lets a reporter without an account rate their case.
func (s *Service) Act(ctx context.Context, actor auth.Actor, caseID string, action Action, in Input, followToken string) (Case, error) {
	st, ok := steps[action]
	if !ok {
		return Case{}, errs.Field("action", "err.cases.action")
	}
	in.Note = strings.TrimSpace(in.Note)
	if utf8.RuneCountInString(in.Note) > 2000 {
		return Case{}, errs.Field("note", "err.too_long", 2000)
	}
	if err := s.checkPhotos(in.Photos); err != nil {
		return Case{}, err
	}
	var out, target Case
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		// Lock the row on PostgreSQL; SQLite has one writer.
		var status string
		if err := tx.QueryRow(ctx, "SELECT status FROM cases WHERE id = ?"+tx.Dialect().ForUpdate(), caseID).Scan(&status); err != nil {
			return errs.New(errs.NotFound, "err.cases.not_found")
		}
		c, err := s.get(ctx, tx, caseID)
		if err != nil {
			return err
		}
		if in.Version != 0 && in.Version != c.Version {
			return &errs.Error{Code: errs.Conflict, Field: "version", Key: "err.cases.changed"}
		}
		if !contains(statusStrings(st.from), string(c.Status)) {
			return &errs.Error{Code: errs.Conflict, Field: "action", Key: "err.cases.wrong_stage", Args: []any{errs.Key("case.action." + string(action)), errs.Key("case.stage." + string(c.Status))}}
		}
		if err := s.authorizeStep(ctx, tx, actor, c, action, st, followToken); err != nil {
			return err
		}
		before := c
		if err := s.apply(ctx, tx, actor, &c, action, in); err != nil {
			return err
		}
		if out, err = s.get(ctx, tx, caseID); err != nil {
			return err
		}
		if action == ActMerge {
			// The case merged into changed too (its history names the new
			// reporter): its followers hear of it.
			var err error
			if target, err = s.get(ctx, tx, out.MergedInto); err != nil {
				return err
			}
		}
		return bumpRollup(ctx, tx, &before, &out)
	})
	if err == nil {
		s.notify(caseID, out.RegionPath)
		if target.ID != "" {
			s.notify(target.ID, target.RegionPath)
		}
	}
	return out, err
}

func statusStrings(ss []Status) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

// authorizeStep applies the role and scope rules of a step: dispatchers and
// verifiers act in their area; handlers act for the case's lead unit; only
// the reporter rates.
func (s *Service) authorizeStep(ctx context.Context, tx *store.Tx, actor auth.Actor, c Case, action Action, st step, followToken string) error {
	switch action {
	case ActRate:
		if actor.UserID != "" && actor.UserID == c.ReporterID {
			return nil
		}
		var h string
		if err := tx.QueryRow(ctx, "SELECT follow_token_hash FROM cases WHERE id = ?", c.ID).Scan(&h); err != nil {
			return err
		}
		if followToken != "" && h != "" && h == hashToken(followToken) {
			return nil
		}
		// Hotline operators record a caller's rating on their behalf.
		if actor.Role.Has(auth.CaseDispatch) && actor.InScope(c.RegionPath) && c.ReporterID == "" {
			return nil
		}
		return errs.New(errs.Forbidden, "err.cases.not_reporter")
	case ActReturn, ActPostponeRequest, ActReply:
		if !actor.Role.Has(st.perm) {
			return errs.New(errs.Forbidden, "err.forbidden")
		}
		unit, err := UnitOf(ctx, tx, actor.UserID)
		if err != nil {
			return err
		}
		if unit == "" || unit != c.LeadUnitID {
			return errs.New(errs.Forbidden, "err.cases.not_lead_unit")
		}
		return nil
	case ActVerifyPass, ActVerifyFail:
		if err := actor.Authorize(st.perm, c.RegionPath); err != nil {
			return err
		}
		// Someone other than the handler checks the work.
		var replier string
		tx.QueryRow(ctx, "SELECT actor_id FROM case_events WHERE case_id = ? AND action = 'reply' ORDER BY seq DESC LIMIT 1", c.ID).Scan(&replier)
		if replier == actor.UserID {
			return errs.New(errs.Forbidden, "err.cases.self_verify")
		}
		return nil
	}
	return actor.Authorize(st.perm, c.RegionPath)
}

type setter struct {
	cols []string
	args []any
}

func (u *setter) set(col string, v any) {
	u.cols = append(u.cols, col+" = ?")
	u.args = append(u.args, v)
}

func (s *Service) apply(ctx context.Context, tx *store.Tx, actor auth.Actor, c *Case, action Action, in Input) error {
	now := tx.Now()
	nowText := tx.NowText()
	var u setter
	to := c.Status
	unitID, data := "", ""
	needNote := func(key string) error {
		if in.Note == "" {
			return errs.Field("note", key)
		}
		return nil
	}
	switch action {
	case ActAccept:
		to = Accepted
		c.DispatchDue = s.cal.AddWorkHours(now, s.cfg.DispatchHours)
		u.set("accepted_at", nowText)
		u.set("dispatch_due", store.FormatTime(c.DispatchDue))
		s.resetTimers(&u, now, c.DispatchDue)
		// A valid report earns its reporter points, in the same transaction.
		if s.onAccept != nil && c.ReporterID != "" && c.MergedInto == "" {
			if err := s.onAccept(ctx, tx, *c); err != nil {
				return err
			}
		}
	case ActReject:
		if err := needNote("err.cases.reason_required"); err != nil {
			return err
		}
		to = Rejected
		u.set("accepted_at", "")
		u.set("closed_at", nowText)
		u.set("next_due", "")
	case ActDispatch, ActReassign:
		cat, err := getCategory(ctx, tx, c.CategoryCode)
		if err != nil {
			return err
		}
		lead := in.UnitID
		if lead == "" {
			if lead, err = route(ctx, tx, cat, c.RegionPath); err != nil {
				return err
			}
		}
		lu, err := getUnit(ctx, tx, lead)
		if err != nil {
			return err
		}
		if action == ActReassign {
			if err := needNote("err.cases.reason_required"); err != nil {
				return err
			}
			if lead == c.LeadUnitID {
				return errs.Field("unit_id", "err.cases.same_unit")
			}
			data = transferData(c.LeadUnitID, lead)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM case_units WHERE case_id = ?", c.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO case_units(case_id, unit_id, role, assigned_at) VALUES (?, ?, 'lead', ?)", c.ID, lu.ID, nowText); err != nil {
			return err
		}
		for _, a := range in.AssistUnits {
			if a == lu.ID {
				continue
			}
			if _, err := getUnit(ctx, tx, a); err != nil {
				return errs.Field("assist_unit_ids", "err.cases.unit")
			}
			if _, err := tx.Exec(ctx, "INSERT INTO case_units(case_id, unit_id, role, assigned_at) VALUES (?, ?, 'assist', ?) ON CONFLICT DO NOTHING", c.ID, a, nowText); err != nil {
				return err
			}
		}
		to, unitID = Dispatched, lu.ID
		if action == ActDispatch || c.DispatchedAt.IsZero() {
			c.HandleDue = s.cal.AddWorkdays(now, cat.HandleDays+c.PostponeDays)
			u.set("dispatched_at", nowText)
			u.set("handle_due", store.FormatTime(c.HandleDue))
			s.resetTimers(&u, now, c.HandleDue)
		}
		u.set("lead_unit_id", lu.ID)
	case ActReturn:
		if err := needNote("err.cases.reason_required"); err != nil {
			return err
		}
		if limit := s.cal.AddWorkdays(c.DispatchedAt, s.cfg.ReturnDays); now.After(limit) {
			return errs.New(errs.Conflict, "err.cases.return_too_late", s.cfg.ReturnDays)
		}
		// "Not ours" says whose it is: the unit that should handle it,
		// which the dispatcher sees when sending the case on.
		if in.UnitID == "" {
			return errs.Field("unit_id", "err.cases.return_whose")
		}
		su, err := getUnit(ctx, tx, in.UnitID)
		if err != nil {
			return err
		}
		if su.ID == c.LeadUnitID {
			return errs.Field("unit_id", "err.cases.same_unit")
		}
		if !strings.HasPrefix(c.RegionPath, su.RegionPath) && !strings.HasPrefix(su.RegionPath, c.RegionPath) {
			return errs.Field("unit_id", "err.cases.unit_elsewhere", su.Name)
		}
		// Back to the dispatcher, who must send it on; the chain of
		// transfers stays in the history with its reasons.
		to, unitID = Accepted, c.LeadUnitID
		data = transferData(c.LeadUnitID, "", su.ID)
		c.DispatchDue = s.cal.AddWorkHours(now, s.cfg.DispatchHours)
		u.set("lead_unit_id", "")
		u.set("dispatch_due", store.FormatTime(c.DispatchDue))
		s.resetTimers(&u, now, c.DispatchDue)
		if _, err := tx.Exec(ctx, "DELETE FROM case_units WHERE case_id = ?", c.ID); err != nil {
			return err
		}
	case ActPostponeRequest:
		if err := needNote("err.cases.reason_required"); err != nil {
			return err
		}
		if c.PostponePending {
			return errs.New(errs.Conflict, "err.cases.postpone_pending")
		}
		if in.Days < 1 || c.PostponeDays+in.Days > s.cfg.MaxPostpone {
			return errs.Field("days", "err.range", 1, s.cfg.MaxPostpone-c.PostponeDays)
		}
		if now.After(c.HandleDue) {
			return errs.New(errs.Conflict, "err.cases.postpone_late")
		}
		u.set("postpone_pending", 1)
		unitID, data = c.LeadUnitID, fmt.Sprintf(`{"days":%d}`, in.Days)
	case ActPostponeApprove, ActPostponeDeny:
		if !c.PostponePending {
			return errs.New(errs.Conflict, "err.cases.no_postpone")
		}
		u.set("postpone_pending", 0)
		if action == ActPostponeApprove {
			var d struct{ Days int }
			var raw string
			if err := tx.QueryRow(ctx, "SELECT data FROM case_events WHERE case_id = ? AND action = 'postpone_request' ORDER BY seq DESC LIMIT 1", c.ID).Scan(&raw); err != nil {
				return err
			}
			json.Unmarshal([]byte(raw), &d)
			c.HandleDue = s.cal.AddWorkdays(c.HandleDue, d.Days)
			u.set("postpone_days", c.PostponeDays+d.Days)
			u.set("handle_due", store.FormatTime(c.HandleDue))
			s.resetTimers(&u, now, c.HandleDue)
			data = fmt.Sprintf(`{"days":%d}`, d.Days)
		}
	case ActReply:
		if err := needNote("err.cases.reply_required"); err != nil {
			return err
		}
		to, unitID = Replied, c.LeadUnitID
		c.VerifyDue = s.cal.AddWorkdays(now, s.cfg.VerifyDays)
		u.set("replied_at", nowText)
		u.set("verify_due", store.FormatTime(c.VerifyDue))
		u.set("handle_work_ms", s.cal.WorkBetween(c.DispatchedAt, now).Milliseconds())
		// Closing late is decided against the handling deadline of the reply.
		if now.After(c.HandleDue) {
			u.set("closed_late", 1)
		} else {
			u.set("closed_late", 0)
		}
		s.resetTimers(&u, now, c.VerifyDue)
	case ActVerifyPass:
		to = Closed
		u.set("closed_at", nowText)
		u.set("next_due", "")
		u.set("overdue", 0)
	case ActVerifyFail:
		if err := needNote("err.cases.reason_required"); err != nil {
			return err
		}
		to, unitID = Dispatched, c.LeadUnitID
		u.set("rework_count", c.ReworkCount+1)
		s.resetTimers(&u, now, c.HandleDue)
	case ActRate:
		if in.Satisfaction < 1 || in.Satisfaction > 5 {
			return errs.Field("satisfaction", "err.range", 1, 5)
		}
		// One rating per closure: a reopened and closed again case is
		// rated again, a closed one not twice.
		var lastRate, lastClose, reopens int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(CASE WHEN action = 'rate' THEN seq END), 0),
			COALESCE(MAX(CASE WHEN to_status = ? AND from_status <> ? THEN seq END), 0),
			COUNT(CASE WHEN action = 'rate' AND to_status = ? THEN 1 END)
			FROM case_events WHERE case_id = ?`, string(Closed), string(Closed), string(Dispatched), c.ID).Scan(&lastRate, &lastClose, &reopens); err != nil {
			return err
		}
		if lastRate > lastClose {
			return errs.New(errs.Conflict, "err.cases.already_rated")
		}
		if in.Reopen && in.Satisfaction <= 2 && reopens >= s.cfg.MaxReopen {
			return errs.Field("reopen", "err.cases.reopen_limit", s.cfg.MaxReopen)
		}
		u.set("satisfaction", in.Satisfaction)
		u.set("rated_at", nowText)
		data = fmt.Sprintf(`{"satisfaction":%d}`, in.Satisfaction)
		if in.Reopen && in.Satisfaction <= 2 {
			// A dissatisfied reporter sends it back to the unit as rework.
			to, unitID = Dispatched, c.LeadUnitID
			c.HandleDue = s.cal.AddWorkdays(now, s.cfg.VerifyDays+3)
			u.set("reopened", 1)
			u.set("rework_count", c.ReworkCount+1)
			u.set("closed_at", "")
			u.set("handle_due", store.FormatTime(c.HandleDue))
			s.resetTimers(&u, now, c.HandleDue)
		}
	case ActMerge:
		if in.Into == "" || in.Into == c.ID {
			return errs.Field("into", "err.cases.merge_target")
		}
		target, err := s.get(ctx, tx, in.Into)
		if err != nil {
			return errs.Field("into", "err.cases.merge_target")
		}
		// Only into an open case the actor could dispatch themselves (one
		// outside their area reads as missing, so merging cannot probe
		// for cases), and of the same class: a duplicate is the same
		// problem, possibly filed under a neighbouring subcategory.
		if !target.Status.Open() || actor.Authorize(auth.CaseDispatch, target.RegionPath) != nil {
			return errs.Field("into", "err.cases.merge_target")
		}
		tc, err1 := s.category(ctx, tx, target.CategoryCode)
		cc, err2 := s.category(ctx, tx, c.CategoryCode)
		if err := errors.Join(err1, err2); err != nil {
			return err
		}
		if tc.ParentCode != cc.ParentCode {
			return errs.Field("into", "err.cases.merge_class", tc.Name)
		}
		to = Merged
		u.set("merged_into", target.ID)
		u.set("next_due", "")
		data = fmt.Sprintf(`{"into":%q}`, target.ID)
		// The target's history names the merged case, so its reporter is
		// followed there too.
		if err := addEvent(ctx, tx, target.ID, actor, "merged_from", target.Status, target.Status, "", in.Note, fmt.Sprintf(`{"from":%q}`, c.ID)); err != nil {
			return err
		}
	case ActSupervise:
		if err := needNote("err.cases.reason_required"); err != nil {
			return err
		}
		u.set("escalated_at", nowText)
	}
	for _, p := range in.Photos {
		if _, err := tx.Exec(ctx, "INSERT INTO case_photos(case_id, photo_id, stage, added_by, added_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", c.ID, p, string(action), actor.UserID, nowText); err != nil {
			return err
		}
	}
	u.set("status", string(to))
	u.set("version", c.Version+1)
	u.set("updated_at", nowText)
	u.args = append(u.args, c.ID, c.Version)
	res, err := tx.Exec(ctx, "UPDATE cases SET "+strings.Join(u.cols, ", ")+" WHERE id = ? AND version = ?", u.args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return &errs.Error{Code: errs.Conflict, Key: "err.cases.changed"}
	}
	return addEvent(ctx, tx, c.ID, actor, string(action), c.Status, to, unitID, in.Note, data)
}

// resetTimers starts the reminder → overdue → escalation sequence for a new
// stage deadline.
func (s *Service) resetTimers(u *setter, from, due time.Time) {
	u.set("overdue", 0)
	u.set("reminded_at", "")
	u.set("escalated_at", "")
	u.set("next_due", store.FormatTime(s.remindAt(from, due)))
}

// remindAt is when the handler of a stage from → due is reminded: when
// RemindBefore of working time is left, or half the stage's working time
// for a short stage, so a report filed on a Saturday with a deadline on
// Monday is not "due soon" the minute it arrives.
func (s *Service) remindAt(from, due time.Time) time.Time {
	w := s.cal.WorkBetween(from, due)
	return s.cal.AddWorkHours(from, w-min(s.cfg.RemindBefore, w/2))
}

// escalateAt is when an overdue stage is escalated (督办) to the
// supervising level: the end of EscalateDays working days after the deadline.
func (s *Service) escalateAt(due time.Time) time.Time {
	return s.cal.AddWorkdays(due, s.cfg.EscalateDays)
}

// transferData records a transfer between units; a return names, instead
// of where the case goes (the dispatcher), the unit it said should have it.
func transferData(from, to string, suggested ...string) string {
	if len(suggested) > 0 {
		return fmt.Sprintf(`{"from_unit":%q,"to_unit":%q,"suggested_unit":%q}`, from, to, suggested[0])
	}
	return fmt.Sprintf(`{"from_unit":%q,"to_unit":%q}`, from, to)
}
