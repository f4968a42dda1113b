package suggest

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/store"

	"github.com/oklog/ulid/v2"
)

// Actions are the steps of a suggestion's life.
const (
	ActAssess    = "assess"    // received → assessed, or irrelevant (relevant=false, with the reason sent back)
	ActForward   = "forward"   // assessed → forwarded to the unit it concerns
	ActAdopt     = "adopt"     // forwarded → adopted, with what was decided
	ActNotAdopt  = "not_adopt" // forwarded → not_adopted, with the reason sent back
	ActImplement = "implement" // adopted → implemented: the measure, a link, its progress
	ActMilestone = "milestone" // implemented: a dated step with the progress reached
)

// Actions lists the steps taken through Act (merge and split have their own).
var Actions = []string{ActAssess, ActForward, ActAdopt, ActNotAdopt, ActImplement, ActMilestone}

// from is where each step may start.
var stepFrom = map[string][]string{
	ActAssess:    {Received},
	ActForward:   {Assessed},
	ActAdopt:     {Forwarded},
	ActNotAdopt:  {Forwarded},
	ActImplement: {Adopted},
	ActMilestone: {Implemented},
}

// unitSteps may be taken by a handler of the unit the suggestion was
// forwarded to, besides the office with suggestion.handle.
var unitSteps = []string{ActAdopt, ActNotAdopt, ActImplement, ActMilestone}

// Input is what a step says.
type Input struct {
	Relevant   *bool  `json:"relevant,omitempty"` // assess: false marks it irrelevant
	Topic      string `json:"topic,omitempty"`    // assess
	UnitID     string `json:"unit_id,omitempty"`  // assess (the unit it concerns), forward
	Decision   string `json:"decision,omitempty"` // adopt: what was decided
	Reason     string `json:"reason,omitempty"`   // not_adopt, irrelevant: sent back to the author
	Measure    string `json:"measure,omitempty"`  // implement
	MeasureURL string `json:"measure_url,omitempty"`
	Progress   *int   `json:"progress,omitempty"` // implement, milestone: 0–100
	Day        string `json:"day,omitempty"`      // milestone: YYYY-MM-DD, today by default
	Note       string `json:"note,omitempty"`
}

// Allowed reports the steps an actor could take now, for showing forms
// (Act checks again).
func (s *Service) Allowed(ctx context.Context, actor auth.Actor, g Suggestion) []string {
	var out []string
	handle := actor.Authorize(auth.SuggestionHandle, g.RegionPath) == nil
	unit := false
	if !handle && g.UnitID != "" {
		s.db.Read(ctx, func(tx *store.Tx) error {
			unit, _ = inUnit(ctx, tx, actor, g.UnitID)
			return nil
		})
	}
	for _, a := range Actions {
		if slices.Contains(stepFrom[a], g.Status) && (handle || unit && slices.Contains(unitSteps, a)) {
			out = append(out, a)
		}
	}
	if handle && (open(g.Status) || g.Status == Adopted || g.Status == Implemented) {
		out = append(out, "merge")
	}
	if handle {
		if g.Status == Received || g.Status == Assessed {
			out = append(out, "split")
		}
	}
	return out
}

func open(status string) bool { return status == Received || status == Assessed || status == Forwarded }

func text(field, v string, max int, required bool) (string, error) {
	v = strings.TrimSpace(v)
	if required && v == "" {
		return v, errs.Field(field, "err.required")
	}
	if utf8.RuneCountInString(v) > max {
		return v, errs.Field(field, "err.too_long", max)
	}
	return v, nil
}

func progress(p *int) (int, error) {
	if p == nil {
		return 0, errs.Field("progress", "err.required")
	}
	if *p < 0 || *p > 100 {
		return 0, errs.Field("progress", "err.range", 0, 100)
	}
	return *p, nil
}

// Act takes one step in one transaction: the row changes and the trail
// gets its entry together, or neither does.
func (s *Service) Act(ctx context.Context, actor auth.Actor, id, action string, in Input) (View, error) {
	if _, ok := stepFrom[action]; !ok {
		return View{}, errs.New(errs.NotFound, "err.suggest.action")
	}
	var v View
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		g, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := actor.Authorize(auth.SuggestionHandle, g.RegionPath); err != nil {
			ok, uerr := inUnit(ctx, tx, actor, g.UnitID)
			if uerr != nil {
				return uerr
			}
			if !ok || !slices.Contains(unitSteps, action) {
				if err2 := s.canSee(ctx, tx, actor, g); err2 != nil {
					return err2
				}
				return err
			}
		}
		if !slices.Contains(stepFrom[action], g.Status) {
			return errs.New(errs.Conflict, "err.suggest.transition", errs.Key("suggest.status."+g.Status), errs.Key("suggest.action."+action))
		}
		now := tx.NowText()
		set, note, ref := "", "", ""
		var args []any
		switch action {
		case ActAssess:
			topic, err := text("topic", in.Topic, 30, false)
			if err != nil {
				return err
			}
			if in.Relevant != nil && !*in.Relevant {
				reason, err := text("reason", in.Reason, 1000, true)
				if err != nil {
					return err
				}
				set, args, note = "status = ?, topic = ?, reason = ?, assessed_at = ?", []any{Irrelevant, topic, reason, now}, reason
				action = Irrelevant
				break
			}
			if topic == "" {
				return errs.Field("topic", "err.required")
			}
			if in.UnitID != "" {
				if err := s.checkUnit(ctx, tx, in.UnitID); err != nil {
					return err
				}
			}
			set, args, note, ref = "status = ?, topic = ?, unit_id = ?, assessed_at = ?", []any{Assessed, topic, in.UnitID, now}, topic, in.UnitID
		case ActForward:
			unit := in.UnitID
			if unit == "" {
				unit = g.UnitID
			}
			if unit == "" {
				return errs.Field("unit_id", "err.required")
			}
			if err := s.checkUnit(ctx, tx, unit); err != nil {
				return err
			}
			n, err := text("note", in.Note, 1000, false)
			if err != nil {
				return err
			}
			set, args, note, ref = "status = ?, unit_id = ?, forwarded_at = ?", []any{Forwarded, unit, now}, n, unit
		case ActAdopt:
			d, err := text("decision", in.Decision, 2000, true)
			if err != nil {
				return err
			}
			set, args, note = "status = ?, decision = ?, decided_at = ?", []any{Adopted, d, now}, d
		case ActNotAdopt:
			r, err := text("reason", in.Reason, 2000, true)
			if err != nil {
				return err
			}
			set, args, note = "status = ?, reason = ?, decided_at = ?", []any{NotAdopted, r, now}, r
		case ActImplement:
			m, err := text("measure", in.Measure, 2000, true)
			if err != nil {
				return err
			}
			link, err := measureURL(in.MeasureURL)
			if err != nil {
				return err
			}
			p := 0
			if in.Progress != nil {
				if p, err = progress(in.Progress); err != nil {
					return err
				}
			}
			set, args, note = "status = ?, measure = ?, measure_url = ?, progress = ?, implemented_at = ?", []any{Implemented, m, link, p, now}, m
		case ActMilestone:
			p, err := progress(in.Progress)
			if err != nil {
				return err
			}
			n, err := text("note", in.Note, 500, true)
			if err != nil {
				return err
			}
			day := strings.TrimSpace(in.Day)
			if day == "" {
				day = tx.Now().In(beijing).Format("2006-01-02")
			} else if _, err := time.Parse("2006-01-02", day); err != nil {
				return errs.Field("day", "err.suggest.date")
			}
			if _, err := tx.Exec(ctx, `INSERT INTO suggestion_milestones (id, suggestion_id, day, progress, note, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				ulid.Make().String(), g.ID, day, p, n, actor.UserID, now); err != nil {
				return err
			}
			set, args, note = "progress = ?", []any{p}, day+" "+n
		}
		args = append(args, now, g.ID, g.Status)
		res, err := tx.Exec(ctx, `UPDATE suggestions SET `+set+`, updated_at = ? WHERE id = ? AND status = ?`, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.New(errs.Conflict, "err.suggest.changed")
		}
		if err := addEvent(ctx, tx, g.ID, actor, eventName(action), note, ref); err != nil {
			return err
		}
		g, err = s.get(ctx, tx, g.ID)
		if err != nil {
			return err
		}
		v, err = s.view(ctx, tx, g, false)
		return err
	})
	return v, err
}

// eventName is the trail's word for a step: what the suggestion became.
func eventName(action string) string {
	switch action {
	case ActAssess:
		return Assessed
	case ActForward:
		return Forwarded
	case ActAdopt:
		return Adopted
	case ActNotAdopt:
		return NotAdopted
	case ActImplement:
		return Implemented
	}
	return action
}

func measureURL(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(v) > 500 {
		return "", errs.Field("measure_url", "err.suggest.url")
	}
	return v, nil
}

func (s *Service) checkUnit(ctx context.Context, tx *store.Tx, id string) error {
	var n int
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM units WHERE id = ?", id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return errs.Field("unit_id", "err.suggest.unit")
	}
	return nil
}

// Merge folds several open suggestions into a target that is open or
// already adopted (a new slip about a matter already taken up): each keeps its
// author, channel and trail, becomes 'merged' with merged_into pointing at
// the target, and from then on shows the target's outcome. Suggestions
// already merged into a source follow it to the target, so a lineage is
// never more than one step deep.
func (s *Service) Merge(ctx context.Context, actor auth.Actor, targetID string, ids []string, note string) (View, error) {
	note, err := text("note", note, 500, false)
	if err != nil {
		return View{}, err
	}
	if len(ids) == 0 {
		return View{}, errs.Field("ids", "err.required")
	}
	var v View
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		t, err := s.get(ctx, tx, targetID)
		if err != nil {
			return err
		}
		if err := actor.Authorize(auth.SuggestionHandle, t.RegionPath); err != nil {
			return err
		}
		if !open(t.Status) && t.Status != Adopted && t.Status != Implemented {
			return errs.New(errs.Conflict, "err.suggest.transition", errs.Key("suggest.status."+t.Status), errs.Key("suggest.action.merge"))
		}
		seen := map[string]bool{t.ID: true}
		for i, id := range ids {
			id = strings.TrimSpace(id)
			if seen[id] {
				return errs.Field("ids", "err.suggest.merge_self")
			}
			seen[id] = true
			g, err := s.get(ctx, tx, id)
			if errs.Is(err, errs.NotFound) {
				g, err = s.byNo(ctx, tx, id)
			}
			if err != nil {
				return &errs.Error{Code: errs.Invalid, Field: "ids", Key: "err.suggest.not_found", Cause: err}
			}
			if seen[g.ID] && g.ID != id {
				return errs.Field("ids", "err.suggest.merge_self")
			}
			seen[g.ID] = true
			if err := actor.Authorize(auth.SuggestionHandle, g.RegionPath); err != nil {
				return err
			}
			if !open(g.Status) {
				return errs.New(errs.Conflict, "err.suggest.merge_closed", g.No, errs.Key("suggest.status."+g.Status))
			}
			res, err := tx.Exec(ctx, `UPDATE suggestions SET status = ?, merged_into = ?, updated_at = ? WHERE id = ? AND status = ?`, Merged, t.ID, tx.NowText(), g.ID, g.Status)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return errs.New(errs.Conflict, "err.suggest.changed")
			}
			if _, err := tx.Exec(ctx, `UPDATE suggestions SET merged_into = ?, updated_at = ? WHERE merged_into = ?`, t.ID, tx.NowText(), g.ID); err != nil {
				return err
			}
			if err := addEvent(ctx, tx, g.ID, actor, Merged, note, t.ID); err != nil {
				return err
			}
			if err := addEvent(ctx, tx, t.ID, actor, "merged_from", note, g.ID); err != nil {
				return err
			}
			ids[i] = g.ID
		}
		if _, err := tx.Exec(ctx, `UPDATE suggestions SET updated_at = ? WHERE id = ?`, tx.NowText(), t.ID); err != nil {
			return err
		}
		t, err = s.get(ctx, tx, t.ID)
		if err != nil {
			return err
		}
		v, err = s.view(ctx, tx, t, false)
		return err
	})
	return v, err
}

func (s *Service) byNo(ctx context.Context, tx *store.Tx, no string) (Suggestion, error) {
	g, err := s.scan(tx.QueryRow(ctx, `SELECT `+cols+from+` WHERE s.no = ?`, strings.ToUpper(strings.TrimSpace(no))))
	if errs.Is(err, errs.NotFound) {
		return g, errs.New(errs.NotFound, "err.suggest.not_found")
	}
	return g, err
}

// Part is one of the suggestions a split makes.
type Part struct {
	Title string `json:"title"`
	Body  string `json:"body,omitempty"` // the parent's text when empty
	Topic string `json:"topic,omitempty"`
}

// Split turns one suggestion that raises several matters into several: the
// children keep its author, channel, point, maker, association and region,
// start as received with split_from pointing at it, and it becomes 'split'.
func (s *Service) Split(ctx context.Context, actor auth.Actor, id string, parts []Part) (View, error) {
	if len(parts) < 2 {
		return View{}, errs.Field("parts", "err.suggest.split_two")
	}
	if len(parts) > 10 {
		return View{}, errs.Field("parts", "err.too_long", 10)
	}
	var v View
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		g, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := actor.Authorize(auth.SuggestionHandle, g.RegionPath); err != nil {
			return err
		}
		if g.Status != Received && g.Status != Assessed {
			return errs.New(errs.Conflict, "err.suggest.transition", errs.Key("suggest.status."+g.Status), errs.Key("suggest.action.split"))
		}
		var merged int
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM suggestions WHERE merged_into = ?", g.ID).Scan(&merged); err != nil {
			return err
		}
		if merged > 0 {
			return errs.New(errs.Conflict, "err.suggest.split_merged")
		}
		for i, p := range parts {
			title, err := text("parts/"+strconv.Itoa(i)+"/title", p.Title, 80, true)
			if err != nil {
				return err
			}
			body, err := text("parts/"+strconv.Itoa(i)+"/body", p.Body, 5000, false)
			if err != nil {
				return err
			}
			if body == "" {
				body = g.Body
			}
			topic, err := text("parts/"+strconv.Itoa(i)+"/topic", p.Topic, 30, false)
			if err != nil {
				return err
			}
			cid := ulid.Make().String()
			// The child keeps the parent's author, re-sealed under its own
			// id, and the parent's follow token, so the author follows every
			// part with the link they were given.
			var nameEnc, phoneEnc string
			if err := tx.QueryRow(ctx, "SELECT author_name_enc, author_phone_enc FROM suggestions WHERE id = ?", g.ID).Scan(&nameEnc, &phoneEnc); err != nil {
				return err
			}
			name, e1 := s.keys.Open(nameEnc, aad("name", g.ID))
			phone, e2 := s.keys.Open(phoneEnc, aad("phone", g.ID))
			if err := errors.Join(e1, e2); err != nil {
				return errs.Wrap(err, "open parent")
			}
			nameEnc, e1 = s.keys.Seal(name, aad("name", cid))
			phoneEnc, e2 = s.keys.Seal(phone, aad("phone", cid))
			if err := errors.Join(e1, e2); err != nil {
				return errs.Wrap(err, "seal child")
			}
			_, err = tx.Exec(ctx, `INSERT INTO suggestions (id, no, channel, point_id, maker_id, association_id, campaign_id, title, body, topic, region_code, region_path,
				author_user_id, author_name_enc, author_phone_enc, author_phone_hash, anonymous, follow_token_hash, status, split_from,
				collected_at, slip_photo_id, entered_by, received_at, updated_at)
				SELECT ?, ?, channel, point_id, maker_id, association_id, campaign_id, ?, ?, ?, region_code, region_path,
				author_user_id, ?, ?, author_phone_hash, anonymous, follow_token_hash, ?, id, collected_at, slip_photo_id, entered_by, received_at, ?
				FROM suggestions WHERE id = ?`,
				cid, newNo(tx.Now()), title, body, topic, nameEnc, phoneEnc, Received, tx.NowText(), g.ID)
			if err != nil {
				return err
			}
			if err := addEvent(ctx, tx, cid, actor, "split_from", "", g.ID); err != nil {
				return err
			}
			if err := addEvent(ctx, tx, g.ID, actor, Split, title, cid); err != nil {
				return err
			}
		}
		res, err := tx.Exec(ctx, `UPDATE suggestions SET status = ?, updated_at = ? WHERE id = ? AND status = ?`, Split, tx.NowText(), g.ID, g.Status)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.New(errs.Conflict, "err.suggest.changed")
		}
		g, err = s.get(ctx, tx, g.ID)
		if err != nil {
			return err
		}
		v, err = s.view(ctx, tx, g, false)
		return err
	})
	return v, err
}
