package suggest

import (
	"context"
	"errors"
	"strings"
	"time"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/privacy"
	"civicgrid/internal/store"
)

const cols = `s.id, s.no, s.channel, s.point_id, COALESCE(p.name, ''), s.maker_id, COALESCE(m.name, ''), s.association_id, COALESCE(a.name, ''), s.campaign_id,
	s.title, s.body, s.topic, s.region_code, s.region_path, s.author_user_id, s.author_name_enc, s.author_phone_enc, s.anonymous, s.status,
	s.unit_id, COALESCE(u.name, ''), s.decision, s.reason, s.measure, s.measure_url, s.progress, s.merged_into, s.split_from,
	s.collected_at, s.slip_photo_id, s.entered_by, s.received_at, s.assessed_at, s.forwarded_at, s.decided_at, s.implemented_at, s.updated_at`

const from = ` FROM suggestions s LEFT JOIN suggestion_points p ON p.id = s.point_id LEFT JOIN suggestion_makers m ON m.id = s.maker_id
	LEFT JOIN associations a ON a.id = s.association_id LEFT JOIN units u ON u.id = s.unit_id`

func optTime(s string) *time.Time {
	if s == "" {
		return nil
	}
	t, err := store.ParseTime(s)
	if err != nil {
		return nil
	}
	return &t
}

func (s *Service) scan(r interface{ Scan(...any) error }) (Suggestion, error) {
	var g Suggestion
	var nameEnc, phoneEnc, rec, ass, fwd, dec, imp, upd string
	var anon int
	err := r.Scan(&g.ID, &g.No, &g.Channel, &g.PointID, &g.PointName, &g.MakerID, &g.MakerName, &g.AssociationID, &g.AssociationName, &g.CampaignID,
		&g.Title, &g.Body, &g.Topic, &g.RegionCode, &g.RegionPath, &g.AuthorUserID, &nameEnc, &phoneEnc, &anon, &g.Status,
		&g.UnitID, &g.UnitName, &g.Decision, &g.Reason, &g.Measure, &g.MeasureURL, &g.Progress, &g.MergedInto, &g.SplitFrom,
		&g.CollectedAt, &g.SlipPhotoID, &g.EnteredBy, &rec, &ass, &fwd, &dec, &imp, &upd)
	if err != nil {
		return g, err
	}
	name, e1 := s.keys.Open(nameEnc, aad("name", g.ID))
	phone, e2 := s.keys.Open(phoneEnc, aad("phone", g.ID))
	if err := errors.Join(e1, e2); err != nil {
		return g, errs.Wrap(err, "open suggestion "+g.ID)
	}
	g.Anonymous = anon == 1
	if name != "" {
		g.AuthorName = privacy.MaskName(name)
	}
	if phone != "" {
		g.AuthorPhone = privacy.MaskPhone(phone)
	}
	g.ReceivedAt, _ = store.ParseTime(rec)
	g.UpdatedAt, _ = store.ParseTime(upd)
	g.AssessedAt, g.ForwardedAt, g.DecidedAt, g.ImplementedAt = optTime(ass), optTime(fwd), optTime(dec), optTime(imp)
	s.name(&g.RegionName, g.RegionCode)
	return g, nil
}

func (s *Service) get(ctx context.Context, tx *store.Tx, id string) (Suggestion, error) {
	g, err := s.scan(tx.QueryRow(ctx, `SELECT `+cols+from+` WHERE s.id = ?`, id))
	if errs.Is(err, errs.NotFound) {
		return g, errs.New(errs.NotFound, "err.suggest.not_found")
	}
	return g, err
}

// Ref names another suggestion in a lineage.
type Ref struct {
	ID      string `json:"id"`
	No      string `json:"no"`
	Title   string `json:"title"`
	Channel string `json:"channel"`
	Status  string `json:"status"`
}

// Milestone is a dated step of an implemented measure.
type Milestone struct {
	Day      string `json:"day"`
	Progress int    `json:"progress"`
	Note     string `json:"note"`
}

// Record is a suggestion with its trail, milestones and lineage.
type Record struct {
	Suggestion
	Trail      []Event     `json:"trail"`
	Milestones []Milestone `json:"milestones"`
	MergedFrom []Ref       `json:"merged_from,omitempty"` // the originals merged into this one
	Children   []Ref       `json:"children,omitempty"`    // what it was split into
	Parent     *Ref        `json:"parent,omitempty"`      // what it was split from
}

// View is a record and, when it was merged, the record of the suggestion
// it was merged into: that one's outcome is this one's outcome.
type View struct {
	Record
	Target *Record `json:"target,omitempty"`
}

// Outcome is the record whose status, decision and measure count for
// this suggestion: its merge target when merged, else itself.
func (v *View) Outcome() *Record {
	if v.Target != nil {
		return v.Target
	}
	return &v.Record
}

func (s *Service) view(ctx context.Context, tx *store.Tx, g Suggestion, public bool) (View, error) {
	v := View{Record: Record{Suggestion: g, Trail: []Event{}, Milestones: []Milestone{}}}
	if public {
		v.Suggestion = g.Public()
	}
	rows, err := tx.Query(ctx, `SELECT e.action, e.note, e.ref_id, COALESCE(r.no, ''), e.actor_role, e.at FROM suggestion_events e LEFT JOIN suggestions r ON r.id = e.ref_id
		WHERE e.suggestion_id = ? ORDER BY e.at, e.id`, g.ID)
	if err != nil {
		return v, err
	}
	for rows.Next() {
		var e Event
		var at string
		if err := rows.Scan(&e.Action, &e.Note, &e.RefID, &e.RefNo, &e.Role, &at); err != nil {
			rows.Close()
			return v, err
		}
		e.At, _ = store.ParseTime(at)
		v.Trail = append(v.Trail, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return v, err
	}
	rows, err = tx.Query(ctx, `SELECT day, progress, note FROM suggestion_milestones WHERE suggestion_id = ? ORDER BY day, created_at, id`, g.ID)
	if err != nil {
		return v, err
	}
	for rows.Next() {
		var m Milestone
		if err := rows.Scan(&m.Day, &m.Progress, &m.Note); err != nil {
			rows.Close()
			return v, err
		}
		v.Milestones = append(v.Milestones, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return v, err
	}
	refs := func(q string, args ...any) ([]Ref, error) {
		rows, err := tx.Query(ctx, `SELECT id, no, title, channel, status FROM suggestions WHERE `+q+` ORDER BY received_at, id`, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []Ref
		for rows.Next() {
			var r Ref
			if err := rows.Scan(&r.ID, &r.No, &r.Title, &r.Channel, &r.Status); err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, rows.Err()
	}
	if v.MergedFrom, err = refs("merged_into = ?", g.ID); err != nil {
		return v, err
	}
	if v.Children, err = refs("split_from = ?", g.ID); err != nil {
		return v, err
	}
	if g.SplitFrom != "" {
		ps, err := refs("id = ?", g.SplitFrom)
		if err != nil {
			return v, err
		}
		if len(ps) == 1 {
			v.Parent = &ps[0]
		}
	}
	if g.Status == Merged && g.MergedInto != "" {
		t, err := s.get(ctx, tx, g.MergedInto)
		if err != nil {
			return v, err
		}
		tv, err := s.view(ctx, tx, t, true)
		if err != nil {
			return v, err
		}
		v.Target = &tv.Record
	}
	return v, nil
}

// canSee: staff with suggestion.enter in scope, the unit it was forwarded
// to, and its author.
func (s *Service) canSee(ctx context.Context, tx *store.Tx, actor auth.Actor, g Suggestion) error {
	if actor.UserID == "" {
		return errs.New(errs.Unauthorized, "err.unauthorized")
	}
	if g.AuthorUserID != "" && g.AuthorUserID == actor.UserID {
		return nil
	}
	if err := actor.Authorize(auth.SuggestionEnter, g.RegionPath); err == nil {
		return nil
	}
	if ok, err := inUnit(ctx, tx, actor, g.UnitID); err != nil || ok {
		return err
	}
	return actor.Authorize(auth.SuggestionEnter, g.RegionPath)
}

// inUnit reports whether the actor works in the unit (a department's
// handler deciding on what was forwarded to it).
func inUnit(ctx context.Context, tx *store.Tx, actor auth.Actor, unitID string) (bool, error) {
	if unitID == "" || actor.UserID == "" {
		return false, nil
	}
	var u string
	err := tx.QueryRow(ctx, "SELECT unit_id FROM users WHERE id = ?", actor.UserID).Scan(&u)
	if errs.Is(err, errs.NotFound) {
		return false, nil
	}
	return err == nil && u == unitID, err
}

// Get returns a suggestion with its trail and lineage.
func (s *Service) Get(ctx context.Context, actor auth.Actor, id string) (View, error) {
	var v View
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		g, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.canSee(ctx, tx, actor, g); err != nil {
			return err
		}
		v, err = s.view(ctx, tx, g, false)
		return err
	})
	return v, err
}

// GetByNo finds a suggestion by its number (for staff typing it in).
func (s *Service) GetByNo(ctx context.Context, actor auth.Actor, no string) (View, error) {
	var id string
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, "SELECT id FROM suggestions WHERE no = ?", strings.ToUpper(strings.TrimSpace(no))).Scan(&id)
	})
	if errs.Is(err, errs.NotFound) {
		return View{}, errs.New(errs.NotFound, "err.suggest.not_found")
	} else if err != nil {
		return View{}, err
	}
	return s.Get(ctx, actor, id)
}

// Follow is the author's view without an account: the number with the
// follow token given at filing, or with the phone they left. A merged
// suggestion shows the outcome of the one it was merged into.
func (s *Service) Follow(ctx context.Context, no, token, phone string) (View, error) {
	var v View
	notFound := errs.New(errs.NotFound, "err.suggest.follow")
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var id, th, ph string
		if err := tx.QueryRow(ctx, "SELECT id, follow_token_hash, author_phone_hash FROM suggestions WHERE no = ?", strings.ToUpper(strings.TrimSpace(no))).Scan(&id, &th, &ph); err != nil {
			return notFound
		}
		ok := token != "" && th == hashToken(strings.TrimSpace(token))
		if !ok && phone != "" && ph != "" {
			if p, err := privacy.NormalizePhone(phone); err == nil && s.keys.BlindIndex("phone", p) == ph {
				ok = true
			}
		}
		if !ok {
			return notFound
		}
		g, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		v, err = s.view(ctx, tx, g, true)
		return err
	})
	return v, err
}

// Filter narrows List.
type Filter struct {
	RegionPath string
	Status     []string
	Channel    string
	Topic      string
	PointID    string
	MakerID    string
	AssocID    string
	UnitID     string
	From, To   time.Time // received in [From, To)
	Mine       bool      // the actor's own suggestions
	Query      string    // in the title or number
	After      string
	Limit      int
}

// List lists suggestions, newest first: the actor's own (Mine, or anyone
// without suggestion.enter), those forwarded to a department handler's
// unit, or those in a region subtree for staff.
func (s *Service) List(ctx context.Context, actor auth.Actor, f Filter) ([]Suggestion, string, error) {
	if actor.UserID == "" {
		return nil, "", errs.New(errs.Unauthorized, "err.unauthorized")
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	var where []string
	var args []any
	add := func(cond string, a ...any) { where = append(where, cond); args = append(args, a...) }
	var out []Suggestion
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		switch {
		case f.Mine || !actor.Role.Has(auth.SuggestionEnter) && actor.Role != auth.DeptHandler:
			add("s.author_user_id = ?", actor.UserID)
		case !actor.Role.Has(auth.SuggestionEnter):
			var unit string
			if err := tx.QueryRow(ctx, "SELECT unit_id FROM users WHERE id = ?", actor.UserID).Scan(&unit); err != nil {
				return err
			}
			if unit == "" {
				return errs.New(errs.Forbidden, "err.forbidden")
			}
			add("s.unit_id = ?", unit)
		default:
			if f.RegionPath == "" {
				f.RegionPath = actor.RegionPath
			}
			if err := actor.Authorize(auth.SuggestionEnter, f.RegionPath); err != nil {
				return err
			}
			add("s.region_path LIKE ?", f.RegionPath+"%")
		}
		if len(f.Status) > 0 {
			ph := strings.TrimSuffix(strings.Repeat("?, ", len(f.Status)), ", ")
			where = append(where, "s.status IN ("+ph+")")
			for _, st := range f.Status {
				args = append(args, st)
			}
		}
		for _, c := range []struct {
			col, v string
		}{{"s.channel", f.Channel}, {"s.topic", f.Topic}, {"s.point_id", f.PointID}, {"s.maker_id", f.MakerID}, {"s.association_id", f.AssocID}, {"s.unit_id", f.UnitID}} {
			if c.v != "" {
				add(c.col+" = ?", c.v)
			}
		}
		if !f.From.IsZero() {
			add("s.received_at >= ?", store.FormatTime(f.From))
		}
		if !f.To.IsZero() {
			add("s.received_at < ?", store.FormatTime(f.To))
		}
		if q := strings.TrimSpace(f.Query); q != "" {
			add("(s.no = ? OR s.title LIKE ?)", strings.ToUpper(q), "%"+q+"%")
		}
		if f.After != "" {
			add("s.id < ?", f.After)
		}
		args = append(args, f.Limit+1)
		found, err := store.All(ctx, tx, s.scan, `SELECT `+cols+from+` WHERE `+strings.Join(where, " AND ")+` ORDER BY s.id DESC LIMIT ?`, args...)
		out = found
		return err
	})
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = out[f.Limit-1].ID
	}
	return out, next, err
}
