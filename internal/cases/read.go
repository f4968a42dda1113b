package cases

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/privacy"
	"civicgrid/internal/store"
)

const caseColumns = `c.id, c.no, c.channel, c.category_code, k.name, c.status, c.priority, c.description, c.address, c.lng, c.lat, c.grid_code, c.region_path,
	c.reporter_id, c.reporter_role, c.reporter_name_enc, c.reporter_phone_enc, c.lead_unit_id, COALESCE(u.name, ''), c.merged_into,
	c.reported_at, c.accepted_at, c.dispatched_at, c.replied_at, c.closed_at, c.accept_due, c.dispatch_due, c.handle_due, c.verify_due,
	c.overdue, c.escalated_at, c.postpone_days, c.postpone_pending, c.rework_count, c.reopened, c.satisfaction, c.version, c.closed_late, c.handle_work_ms, c.media_url`

const caseFrom = ` FROM cases c JOIN case_categories k ON k.code = c.category_code LEFT JOIN units u ON u.id = c.lead_unit_id`

func (s *Service) scan(row interface{ Scan(...any) error }) (Case, error) {
	var c Case
	var nameEnc, phoneEnc, escalated string
	var ts [9]string
	var overdue, pending, reopened, closedLate int
	err := row.Scan(&c.ID, &c.No, &c.Channel, &c.CategoryCode, &c.CategoryName, &c.Status, &c.Priority, &c.Description, &c.Address, &c.Lng, &c.Lat, &c.GridCode, &c.RegionPath,
		&c.ReporterID, &c.ReporterRole, &nameEnc, &phoneEnc, &c.LeadUnitID, &c.LeadUnitName, &c.MergedInto,
		&ts[0], &ts[1], &ts[2], &ts[3], &ts[4], &ts[5], &ts[6], &ts[7], &ts[8],
		&overdue, &escalated, &c.PostponeDays, &pending, &c.ReworkCount, &reopened, &c.Satisfaction, &c.Version, &closedLate, &c.HandleWorkMs, &c.MediaURL)
	if err != nil {
		return c, err
	}
	for i, p := range []*time.Time{&c.ReportedAt, &c.AcceptedAt, &c.DispatchedAt, &c.RepliedAt, &c.ClosedAt, &c.AcceptDue, &c.DispatchDue, &c.HandleDue, &c.VerifyDue} {
		*p, _ = store.ParseTime(ts[i])
	}
	c.Overdue, c.Escalated, c.PostponePending, c.Reopened, c.ClosedLate = overdue == 1, escalated != "", pending == 1, reopened == 1, closedLate == 1
	name, err1 := s.keys.Open(nameEnc, "cases.reporter_name:"+c.ID)
	phone, err2 := s.keys.Open(phoneEnc, "cases.reporter_phone:"+c.ID)
	if err1 != nil || err2 != nil {
		return c, errs.Wrap(errors.Join(err1, err2), "open reporter of case "+c.ID)
	}
	c.ReporterName, c.ReporterPhone = privacy.MaskName(name), privacy.MaskPhone(phone)
	return c, nil
}

func (s *Service) get(ctx context.Context, tx *store.Tx, id string) (Case, error) {
	c, err := s.scan(tx.QueryRow(ctx, "SELECT "+caseColumns+caseFrom+" WHERE c.id = ?", id))
	if errs.Is(err, errs.NotFound) {
		return c, errs.New(errs.NotFound, "err.cases.not_found")
	}
	if err != nil {
		return c, err
	}
	if c.AssistUnits, err = store.All(ctx, tx, store.String, "SELECT unit_id FROM case_units WHERE case_id = ? AND role = 'assist' ORDER BY unit_id", id); err != nil {
		return c, err
	}
	c.Photos, err = store.All(ctx, tx, store.String, "SELECT photo_id FROM case_photos WHERE case_id = ? ORDER BY added_at, photo_id", id)
	return c, err
}

// canRead decides who sees a case: staff of its area, the units on it, and
// its reporter.
func (s *Service) canRead(ctx context.Context, tx *store.Tx, actor auth.Actor, c Case) error {
	_, err := s.access(ctx, tx, actor, c)
	return err
}

// access is canRead that also says, for a reporter whose own report was
// merged into c, which report that was (own): they follow c, but see it
// through their own report (lineageView).
func (s *Service) access(ctx context.Context, tx *store.Tx, actor auth.Actor, c Case) (own string, err error) {
	if actor.UserID != "" && actor.UserID == c.ReporterID {
		return "", nil
	}
	if err := s.staffCanRead(ctx, tx, actor, c); err == nil || !errs.Is(err, errs.Forbidden) {
		return "", err
	}
	// Reporters of cases merged into this one follow it here.
	if actor.UserID != "" {
		err := tx.QueryRow(ctx, "SELECT id FROM cases WHERE merged_into = ? AND reporter_id = ? ORDER BY id LIMIT 1", c.ID, actor.UserID).Scan(&own)
		if err == nil {
			return own, nil
		}
		if !errs.Is(err, errs.NotFound) {
			return "", err
		}
	}
	return "", s.staffCanRead(ctx, tx, actor, c)
}

// staffCanRead: staff of the case's area and the units working on it.
func (s *Service) staffCanRead(ctx context.Context, tx *store.Tx, actor auth.Actor, c Case) error {
	if actor.Role == auth.DeptHandler {
		unit, err := UnitOf(ctx, tx, actor.UserID)
		if err != nil {
			return err
		}
		if unit != "" && (unit == c.LeadUnitID || contains(c.AssistUnits, unit)) {
			return nil
		}
	}
	return actor.Authorize(auth.CaseRead, c.RegionPath)
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Get returns a case and its history, if the actor may see it.
func (s *Service) Get(ctx context.Context, actor auth.Actor, id string) (Case, []Event, error) {
	var c Case
	var evs []Event
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		if c, err = s.get(ctx, tx, id); err != nil {
			return err
		}
		own, err := s.access(ctx, tx, actor, c)
		if err != nil {
			return err
		}
		if evs, err = events(ctx, tx, id); err != nil {
			return err
		}
		if own != "" {
			c, evs, err = s.lineageView(ctx, tx, c, evs, own)
		}
		return err
	})
	return c, evs, err
}

// lineageView is a case as the reporter of another report merged into it
// sees it: its stage, deadlines, units and handling, but their own report
// in place of someone else's (description, place, reporter) and, of the
// photos, their own report's and those added while the case was handled.
//
// The history is theirs too: their own report step, then the handling of
// the case, without the other reporters' steps (the report, a rating, the
// merging of other reports, whose data names those reports).
func (s *Service) lineageView(ctx context.Context, tx *store.Tx, target Case, targetEvs []Event, ownID string) (Case, []Event, error) {
	own, err := s.get(ctx, tx, ownID)
	if err != nil {
		return target, nil, err
	}
	ownEvs, err := events(ctx, tx, ownID)
	if err != nil {
		return target, nil, err
	}
	var evs []Event
	for _, e := range ownEvs {
		if e.Action == "report" {
			evs = append(evs, e)
		}
	}
	for _, e := range targetEvs {
		byReporter := e.Actor == "anonymous" || e.ActorID != "" && e.ActorID == target.ReporterID
		switch {
		case e.Action == "report", byReporter:
			continue
		case e.Action == "merged_from":
			if !strings.Contains(e.Data, `"`+ownID+`"`) {
				continue
			}
			e.Data = ""
		}
		evs = append(evs, e)
	}
	slices.SortStableFunc(evs, func(a, b Event) int { return a.At.Compare(b.At) })
	v := target
	v.ReporterID, v.ReporterRole, v.ReporterName, v.ReporterPhone = own.ReporterID, own.ReporterRole, own.ReporterName, own.ReporterPhone
	v.Description, v.Address, v.Lat, v.Lng, v.Channel = own.Description, own.Address, own.Lat, own.Lng, own.Channel
	v.Photos, err = store.All(ctx, tx, store.String, "SELECT photo_id FROM case_photos WHERE (case_id = ? AND stage = 'report') OR (case_id = ? AND stage <> 'report') ORDER BY added_at, photo_id", own.ID, target.ID)
	keepPhotos(evs, v.Photos)
	return v, evs, err
}

// Follow returns a case to a reporter without an account, who holds the
// follow token given at filing.
func (s *Service) Follow(ctx context.Context, no, token string) (Case, []Event, error) {
	var c Case
	var evs []Event
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var id, h string
		if err := tx.QueryRow(ctx, "SELECT id, follow_token_hash FROM cases WHERE no = ?", strings.TrimSpace(no)).Scan(&id, &h); err != nil {
			return errs.New(errs.NotFound, "err.cases.not_found")
		}
		if h == "" || h != hashToken(token) {
			return errs.New(errs.NotFound, "err.cases.not_found")
		}
		var err error
		if c, err = s.get(ctx, tx, id); err != nil {
			return err
		}
		// A report merged into another is followed where it is handled,
		// through the reporter's own report.
		if c.Status == Merged && c.MergedInto != "" {
			target, err := s.get(ctx, tx, c.MergedInto)
			if err != nil {
				return err
			}
			targetEvs, err := events(ctx, tx, target.ID)
			if err != nil {
				return err
			}
			c, evs, err = s.lineageView(ctx, tx, target, targetEvs, c.ID)
			return err
		}
		evs, err = events(ctx, tx, c.ID)
		return err
	})
	return c, evs, err
}

// eventColumns and scanEvent read a history row; caseEvent is one with the
// case it belongs to.
const eventColumns = "case_id, seq, at, actor_id, actor, role, action, from_status, to_status, unit_id, note, data"

type caseEvent struct {
	caseID string
	Event
}

func scanEvent(r interface{ Scan(...any) error }) (caseEvent, error) {
	var e caseEvent
	var at string
	err := r.Scan(&e.caseID, &e.Seq, &at, &e.ActorID, &e.Actor, &e.Role, &e.Action, &e.FromStatus, &e.ToStatus, &e.UnitID, &e.Note, &e.Data)
	e.At, _ = store.ParseTime(at)
	return e, err
}

// events is one case's history, each step with the photos it added.
func events(ctx context.Context, tx *store.Tx, id string) ([]Event, error) {
	rows, err := store.All(ctx, tx, scanEvent, "SELECT "+eventColumns+" FROM case_events WHERE case_id = ? ORDER BY seq", id)
	if err != nil {
		return nil, err
	}
	out := make([]Event, len(rows))
	for i, e := range rows {
		out[i] = e.Event
	}
	return out, stepPhotos(ctx, tx, id, out)
}

// stepPhotos puts each photo of a case on the step that added it: a photo
// is stored with the step's action and instant, which are the step's own.
func stepPhotos(ctx context.Context, tx *store.Tx, id string, evs []Event) error {
	type key struct{ stage, at string }
	photos, err := store.All(ctx, tx, func(r interface{ Scan(...any) error }) ([3]string, error) {
		var p [3]string
		return p, r.Scan(&p[0], &p[1], &p[2])
	}, "SELECT photo_id, stage, added_at FROM case_photos WHERE case_id = ? ORDER BY added_at, photo_id", id)
	if err != nil || len(photos) == 0 {
		return err
	}
	byStep := map[key][]string{}
	for _, p := range photos {
		k := key{p[1], p[2]}
		byStep[k] = append(byStep[k], p[0])
	}
	for i := range evs {
		k := key{evs[i].Action, store.FormatTime(evs[i].At)}
		evs[i].Photos = byStep[k]
		delete(byStep, k)
	}
	return nil
}

// keepPhotos drops from a history the photos not in allowed (what a
// reporter of a merged report may see).
func keepPhotos(evs []Event, allowed []string) {
	for i := range evs {
		var kept []string
		for _, p := range evs[i].Photos {
			if contains(allowed, p) {
				kept = append(kept, p)
			}
		}
		evs[i].Photos = kept
	}
}

// Histories reads the history of many cases, already read by the same
// actor, in one read transaction: a list that shows each case's latest
// step would otherwise read them one case at a time. Cases outside the
// actor's scope are refused as a whole.
func (s *Service) Histories(ctx context.Context, actor auth.Actor, cs []Case) (map[string][]Event, error) {
	out := make(map[string][]Event, len(cs))
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		for _, c := range cs {
			if err := s.canRead(ctx, tx, actor, c); err != nil {
				return err
			}
		}
		const chunk = 256
		for i := 0; i < len(cs); i += chunk {
			part := cs[i:min(len(cs), i+chunk)]
			args := make([]any, len(part))
			for j, c := range part {
				args[j] = c.ID
			}
			rows, err := store.All(ctx, tx, scanEvent, "SELECT "+eventColumns+" FROM case_events WHERE case_id IN (?"+strings.Repeat(", ?", len(part)-1)+") ORDER BY case_id, seq", args...)
			if err != nil {
				return err
			}
			for _, e := range rows {
				out[e.caseID] = append(out[e.caseID], e.Event)
			}
		}
		return nil
	})
	return out, err
}

// addEvent appends to a case's history in the same transaction as the change.
func addEvent(ctx context.Context, tx *store.Tx, caseID string, actor auth.Actor, action string, from, to Status, unitID, note, data string) error {
	name := actor.Username
	if name == "" {
		name = "anonymous"
	}
	_, err := tx.Exec(ctx, `INSERT INTO case_events(case_id, seq, at, actor_id, actor, role, action, from_status, to_status, unit_id, note, data)
		VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM case_events WHERE case_id = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		caseID, caseID, tx.NowText(), actor.UserID, name, string(actor.Role), action, string(from), string(to), unitID, note, data)
	if err != nil || !alertActions[action] {
		return err
	}
	// Someone must hear of this step (alerts.go).
	_, err = tx.Exec(ctx, `INSERT INTO case_alerts(case_id, seq, at, action, from_status, to_status, note)
		SELECT case_id, seq, at, action, from_status, to_status, note FROM case_events
		WHERE case_id = ? AND seq = (SELECT MAX(seq) FROM case_events WHERE case_id = ?)`, caseID, caseID)
	return err
}

// Filter narrows a work list.
type Filter struct {
	RegionCode string
	Status     []Status
	Category   string
	Channel    Channel
	From, To   time.Time // reported_at range
	UnitID     string    // cases where this unit is lead
	Overdue    bool
	// PostponePending: dispatched cases whose unit asked for more time and
	// awaits the dispatcher's answer.
	PostponePending bool
	ReporterID      string
	After           string // cursor: case id (ULIDs sort by time)
	Limit           int
}

// List returns cases in the actor's scope matching f, newest first.
func (s *Service) List(ctx context.Context, actor auth.Actor, f Filter) ([]Case, string, error) {
	var where []string
	var args []any
	if f.ReporterID != "" && f.ReporterID == actor.UserID {
		where, args = append(where, "c.reporter_id = ?"), append(args, f.ReporterID)
	} else {
		path := actor.RegionPath
		if f.RegionCode != "" {
			r, ok := s.regions.Lookup(f.RegionCode)
			if !ok {
				return nil, "", errs.Field("region", "err.region.not_found", f.RegionCode)
			}
			path = r.Path
		}
		if err := actor.Authorize(auth.CaseRead, path); err != nil {
			return nil, "", err
		}
		where, args = append(where, "c.region_path LIKE ?"), append(args, path+"%")
	}
	where, args = f.conditions(where, args)
	if f.After != "" {
		where, args = append(where, "c.id < ?"), append(args, f.After)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	q := "SELECT " + caseColumns + caseFrom + " WHERE " + strings.Join(where, " AND ") + " ORDER BY c.id DESC LIMIT ?"
	args = append(args, f.Limit+1)
	var out []Case
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		found, err := store.All(ctx, tx, s.scan, q, args...)
		out = found
		return err
	})
	if err != nil {
		return nil, "", errs.Wrap(err, "list cases")
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = out[len(out)-1].ID
	}
	return out, next, nil
}

// conditions appends the filter's stage, category, channel, period, unit and
// overdue conditions (scope and cursor are the caller's).
func (f Filter) conditions(where []string, args []any) ([]string, []any) {
	if len(f.Status) > 0 {
		ph := make([]string, len(f.Status))
		for i, st := range f.Status {
			ph[i] = "?"
			args = append(args, string(st))
		}
		where = append(where, "c.status IN ("+strings.Join(ph, ",")+")")
	}
	if f.Category != "" {
		where, args = append(where, "(c.category_code = ? OR k.parent_code = ?)"), append(args, f.Category, f.Category)
	}
	if f.Channel != "" {
		where, args = append(where, "c.channel = ?"), append(args, string(f.Channel))
	}
	if !f.From.IsZero() {
		where, args = append(where, "c.reported_at >= ?"), append(args, store.FormatTime(f.From))
	}
	if !f.To.IsZero() {
		where, args = append(where, "c.reported_at < ?"), append(args, store.FormatTime(f.To))
	}
	if f.UnitID != "" {
		where, args = append(where, "c.lead_unit_id = ?"), append(args, f.UnitID)
	}
	if f.Overdue {
		where = append(where, "c.overdue = 1")
	}
	if f.PostponePending {
		where, args = append(where, "c.status = ? AND c.postpone_pending = 1"), append(args, string(Dispatched))
	}
	return where, args
}

// IDByNo finds a case by its number, if the actor may see it.
func (s *Service) IDByNo(ctx context.Context, actor auth.Actor, no string) (string, error) {
	var id string
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, "SELECT id FROM cases WHERE no = ?", strings.TrimSpace(no)).Scan(&id); err != nil {
			return errs.New(errs.NotFound, "err.cases.not_found")
		}
		c, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		return s.canRead(ctx, tx, actor, c)
	})
	return id, err
}
