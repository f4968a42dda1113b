package volunteer

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/geo"
	"civicgrid/internal/privacy"
	"civicgrid/internal/region"
	"civicgrid/internal/store"

	"github.com/oklog/ulid/v2"
)

// Domains are the five fields of volunteer service in Heze.
var Domains = []string{"livelihood", "culture", "ecology", "safety", "industry"}

// Activity is one volunteer activity.
type Activity struct {
	ID           string         `json:"id"`
	ProjectID    string         `json:"project_id,omitempty"`
	TeamID       string         `json:"team_id,omitempty"`
	TeamName     string         `json:"team_name,omitempty"`
	Title        string         `json:"title"`
	Description  string         `json:"description,omitempty"`
	Domain       string         `json:"domain"`
	Address      string         `json:"address,omitempty"`
	Lng          float64        `json:"lng"`
	Lat          float64        `json:"lat"`
	GridCode     string         `json:"grid_code"`
	RegionPath   string         `json:"-"`
	StartsAt     time.Time      `json:"starts_at"`
	EndsAt       time.Time      `json:"ends_at"`
	SignupOpens  time.Time      `json:"signup_opens"`
	SignupCloses time.Time      `json:"signup_closes"`
	RadiusM      int            `json:"radius_m"`
	OrganiserID  string         `json:"organiser_id"`
	Status       string         `json:"status"`
	PeopleServed int64          `json:"people_served"`
	Quotas       map[string]int `json:"quotas"` // skill ("" = anyone) → places
	Taken        map[string]int `json:"taken"`  // approved sign-ups per skill
	Waiting      int            `json:"waiting"`
	CreatedAt    time.Time      `json:"created_at"`
	secret       string
}

// Places is the total quota.
func (a Activity) Places() int {
	n := 0
	for _, q := range a.Quotas {
		n += q
	}
	return n
}

// Filled is the number of approved sign-ups.
func (a Activity) Filled() int {
	n := 0
	for _, q := range a.Taken {
		n += q
	}
	return n
}

// NewActivity is the input to CreateActivity.
type NewActivity struct {
	ProjectID    string         `json:"project_id"`
	TeamID       string         `json:"team_id"`
	Title        string         `json:"title"`
	Description  string         `json:"description"`
	Domain       string         `json:"domain"`
	Address      string         `json:"address"`
	Lng          float64        `json:"lng"`
	Lat          float64        `json:"lat"`
	StartsAt     time.Time      `json:"starts_at"`
	EndsAt       time.Time      `json:"ends_at"`
	SignupOpens  time.Time      `json:"signup_opens"`  // default: now
	SignupCloses time.Time      `json:"signup_closes"` // default: the start
	RadiusM      int            `json:"radius_m"`
	Quotas       map[string]int `json:"quotas"`
}

// Validate checks an activity's fields.
func (n *NewActivity) Validate(now time.Time, defRadius int) error {
	var err error
	if n.Title, err = checkName("title", n.Title, 60); err != nil {
		return err
	}
	n.Description = strings.TrimSpace(n.Description)
	n.Address = strings.TrimSpace(n.Address)
	switch {
	case utf8.RuneCountInString(n.Description) > 2000:
		return errs.Field("description", "err.too_long", 2000)
	case utf8.RuneCountInString(n.Address) > 100:
		return errs.Field("address", "err.too_long", 100)
	case !slices.Contains(Domains, n.Domain):
		return errs.Field("domain", "err.volunteer.domain")
	case math.IsNaN(n.Lng) || math.IsNaN(n.Lat) || n.Lng < 73 || n.Lng > 136 || n.Lat < 3 || n.Lat > 54:
		return errs.Field("lng", "err.geo.outside_china")
	case n.StartsAt.IsZero():
		return errs.Field("starts_at", "err.required")
	case !n.EndsAt.After(n.StartsAt):
		return errs.Field("ends_at", "err.volunteer.ends_before")
	case n.EndsAt.Sub(n.StartsAt) > 14*24*time.Hour:
		return errs.Field("ends_at", "err.volunteer.too_long")
	case n.RadiusM < 0 || n.RadiusM > 5000:
		return errs.Field("radius_m", "err.range", 0, 5000)
	case len(n.Quotas) == 0:
		return errs.Field("quotas", "err.required")
	}
	if n.RadiusM == 0 {
		n.RadiusM = defRadius
	}
	if n.SignupOpens.IsZero() {
		n.SignupOpens = now
	}
	if n.SignupCloses.IsZero() {
		n.SignupCloses = n.StartsAt
	}
	if n.SignupCloses.Before(n.SignupOpens) || n.SignupCloses.After(n.EndsAt) {
		return errs.Field("signup_closes", "err.volunteer.signup_window")
	}
	for skill, q := range n.Quotas {
		if skill != "" && !ValidSkill(skill) {
			return errs.Field("quotas", "err.volunteer.skill", skill)
		}
		if q <= 0 || q > 100000 {
			return errs.Field("quotas", "err.range", 1, 100000)
		}
	}
	return nil
}

const actCols = `a.id, a.project_id, a.team_id, COALESCE(t.name, ''), a.title, a.description, a.domain, a.address, a.lng, a.lat, a.grid_code, a.region_path,
	a.starts_at, a.ends_at, a.signup_opens, a.signup_closes, a.radius_m, a.organiser_id, a.qr_secret, a.status, a.people_served, a.created_at`

const actFrom = ` FROM activities a LEFT JOIN teams t ON t.id = a.team_id`

func scanActivity(r interface{ Scan(...any) error }) (Activity, error) {
	var a Activity
	var st, en, so, sc, at string
	if err := r.Scan(&a.ID, &a.ProjectID, &a.TeamID, &a.TeamName, &a.Title, &a.Description, &a.Domain, &a.Address, &a.Lng, &a.Lat, &a.GridCode, &a.RegionPath,
		&st, &en, &so, &sc, &a.RadiusM, &a.OrganiserID, &a.secret, &a.Status, &a.PeopleServed, &at); err != nil {
		return a, err
	}
	a.StartsAt, _ = store.ParseTime(st)
	a.EndsAt, _ = store.ParseTime(en)
	a.SignupOpens, _ = store.ParseTime(so)
	a.SignupCloses, _ = store.ParseTime(sc)
	a.CreatedAt, _ = store.ParseTime(at)
	return a, nil
}

func (s *Service) activity(ctx context.Context, tx *store.Tx, id string, lock bool) (Activity, error) {
	a, err := activityOnly(ctx, tx, id)
	if err != nil {
		return a, err
	}
	if lock && tx.Dialect() == store.Postgres {
		// Sign-ups against a quota are serialised per activity.
		if _, err := tx.Exec(ctx, `SELECT id FROM activities WHERE id = ? FOR UPDATE`, id); err != nil {
			return a, err
		}
	}
	return a, s.fillQuotas(ctx, tx, &a)
}

// activityOnly reads an activity without counting its places, for the
// paths that do not need them (attendance, codes): a festival's activity
// has tens of thousands of sign-ups.
func activityOnly(ctx context.Context, tx *store.Tx, id string) (Activity, error) {
	return scanActivity(tx.QueryRow(ctx, `SELECT `+actCols+actFrom+` WHERE a.id = ?`, id))
}

func (s *Service) fillQuotas(ctx context.Context, tx *store.Tx, a *Activity) error {
	a.Quotas, a.Taken = map[string]int{}, map[string]int{}
	rows, err := tx.Query(ctx, `SELECT skill, quota FROM activity_quotas WHERE activity_id = ?`, a.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var k string
		var q int
		if err := rows.Scan(&k, &q); err != nil {
			rows.Close()
			return err
		}
		a.Quotas[k] = q
	}
	rows.Close()
	rows, err = tx.Query(ctx, `SELECT skill, status, count(*) FROM signups WHERE activity_id = ? AND status IN ('approved','waitlist') GROUP BY skill, status`, a.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k, st string
		var n int
		if err := rows.Scan(&k, &st, &n); err != nil {
			return err
		}
		if st == "approved" {
			a.Taken[k] = n
		} else {
			a.Waiting += n
		}
	}
	return rows.Err()
}

// canOrganise: the organiser, the team's leader, or staff in scope.
func (s *Service) canOrganise(ctx context.Context, tx *store.Tx, actor auth.Actor, a Activity) error {
	if actor.UserID != "" && actor.UserID == a.OrganiserID {
		return nil
	}
	if a.TeamID != "" {
		if t, err := s.team(ctx, tx, a.TeamID); err == nil && t.LeaderUserID == actor.UserID && actor.UserID != "" {
			return nil
		}
	}
	return actor.Authorize(auth.VolunteerManage, a.RegionPath)
}

// CreateActivity creates an activity at a place (its grid is found from the
// point). Team leaders create them for their team; staff for their area.
func (s *Service) CreateActivity(ctx context.Context, actor auth.Actor, in NewActivity) (Activity, error) {
	if err := in.Validate(s.now(), s.cfg.DefaultRadius); err != nil {
		return Activity{}, err
	}
	loc, err := s.regions.Locate(geo.Point{Lng: in.Lng, Lat: in.Lat}, region.WGS84)
	if err != nil {
		return Activity{}, err
	}
	g, ok := s.regions.Lookup(loc.Grid.Code)
	if !ok {
		return Activity{}, errs.Field("lng", "err.not_found")
	}
	secret := make([]byte, 16)
	rand.Read(secret)
	a := Activity{ID: ulid.Make().String(), ProjectID: in.ProjectID, TeamID: in.TeamID, Title: in.Title, Description: in.Description, Domain: in.Domain,
		Address: in.Address, Lng: in.Lng, Lat: in.Lat, GridCode: g.Code, RegionPath: g.Path, StartsAt: in.StartsAt.UTC(), EndsAt: in.EndsAt.UTC(),
		SignupOpens: in.SignupOpens.UTC(), SignupCloses: in.SignupCloses.UTC(), RadiusM: in.RadiusM, OrganiserID: actor.UserID, Status: "open",
		Quotas: in.Quotas, Taken: map[string]int{}, secret: hex.EncodeToString(secret)}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if in.TeamID != "" {
			t, err := s.team(ctx, tx, in.TeamID)
			if err != nil {
				return errs.Field("team_id", "err.not_found")
			}
			a.TeamName = t.Name
			if err := canRunTeam(actor, t); err != nil {
				return err
			}
			// A team works in its own area: a leader cannot put an
			// activity (and its points) in another county.
			if !strings.HasPrefix(g.Path, t.RegionPath) && actor.Authorize(auth.VolunteerManage, g.Path) != nil {
				return errs.Field("lng", "err.volunteer.outside_team")
			}
		} else if err := actor.Authorize(auth.VolunteerManage, g.Path); err != nil {
			return err
		}
		if in.ProjectID != "" {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM projects WHERE id = ?`, in.ProjectID).Scan(&n); err != nil || n == 0 {
				return errs.Field("project_id", "err.not_found")
			}
		}
		a.CreatedAt = tx.Now()
		if _, err := tx.Exec(ctx, `INSERT INTO activities (id, project_id, team_id, title, description, domain, address, lng, lat, grid_code, region_path,
			starts_at, ends_at, signup_opens, signup_closes, radius_m, organiser_id, qr_secret, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.ProjectID, a.TeamID, a.Title, a.Description, a.Domain, a.Address, a.Lng, a.Lat, a.GridCode, a.RegionPath,
			store.FormatTime(a.StartsAt), store.FormatTime(a.EndsAt), store.FormatTime(a.SignupOpens), store.FormatTime(a.SignupCloses), a.RadiusM, a.OrganiserID, a.secret, tx.NowText()); err != nil {
			return err
		}
		for skill, q := range a.Quotas {
			if _, err := tx.Exec(ctx, `INSERT INTO activity_quotas (activity_id, skill, quota) VALUES (?, ?, ?)`, a.ID, skill, q); err != nil {
				return err
			}
		}
		return nil
	})
	return a, err
}

// Activity returns one activity (public fields; anyone may see it).
func (s *Service) Activity(ctx context.Context, id string) (Activity, error) {
	var a Activity
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		a, err = s.activity(ctx, tx, id, false)
		return err
	})
	return a, err
}

// ActivityFilter narrows Activities.
type ActivityFilter struct {
	RegionPath string
	Domain     string
	From, To   time.Time
	OpenOnly   bool
	Limit      int
}

// Activities lists activities by start time.
func (s *Service) Activities(ctx context.Context, f ActivityFilter) ([]Activity, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 200
	}
	if f.To.IsZero() {
		f.To = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	var out []Activity
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+actCols+actFrom+` WHERE a.region_path LIKE ? AND a.ends_at >= ? AND a.starts_at < ? AND (? = '' OR a.domain = ?) AND (? = 0 OR a.status = 'open')
			ORDER BY a.starts_at, a.id LIMIT ?`, f.RegionPath+"%", store.FormatTime(f.From), store.FormatTime(f.To), f.Domain, f.Domain, boolInt(f.OpenOnly), f.Limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			a, err := scanActivity(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range out {
			if err := s.fillQuotas(ctx, tx, &out[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Signup is a volunteer's place in an activity, with their attendance.
type Signup struct {
	ID            string    `json:"id"`
	ActivityID    string    `json:"activity_id"`
	ActivityTitle string    `json:"activity_title,omitempty"`
	VolunteerID   string    `json:"volunteer_id"`
	VolunteerNo   string    `json:"volunteer_no"`
	Name          string    `json:"name"` // masked
	Skill         string    `json:"skill,omitempty"`
	Status        string    `json:"status"`
	CheckinAt     time.Time `json:"checkin_at,omitzero"`
	CheckinHow    string    `json:"checkin_how,omitempty"`
	CheckoutAt    time.Time `json:"checkout_at,omitzero"`
	CheckoutHow   string    `json:"checkout_how,omitempty"`
	NoShow        bool      `json:"no_show"`
	Note          string    `json:"note,omitempty"`
	Minutes       int64     `json:"minutes"`
	HoursStatus   string    `json:"hours_status"`
	CreatedAt     time.Time `json:"created_at"`
	regionPath    string
	userID        string
}

const signupCols = `s.id, s.activity_id, a.title, s.volunteer_id, v.no, v.name_enc, COALESCE(v.user_id, ''), s.skill, s.status, s.checkin_at, s.checkin_how, s.checkout_at, s.checkout_how,
	s.no_show, s.note, s.minutes, s.hours_status, s.created_at, a.region_path`

const signupFrom = ` FROM signups s JOIN volunteers v ON v.id = s.volunteer_id JOIN activities a ON a.id = s.activity_id`

func (s *Service) scanSignup(r interface{ Scan(...any) error }) (Signup, error) {
	var g Signup
	var nameEnc, ci, co, at string
	var noShow int
	if err := r.Scan(&g.ID, &g.ActivityID, &g.ActivityTitle, &g.VolunteerID, &g.VolunteerNo, &nameEnc, &g.userID, &g.Skill, &g.Status, &ci, &g.CheckinHow, &co, &g.CheckoutHow,
		&noShow, &g.Note, &g.Minutes, &g.HoursStatus, &at, &g.regionPath); err != nil {
		return g, err
	}
	name, err := s.keys.Open(nameEnc, aad("name", g.VolunteerID))
	if err != nil {
		return g, errs.Wrap(err, "open name")
	}
	g.Name = privacy.MaskName(name)
	g.NoShow = noShow == 1
	g.CheckinAt, _ = store.ParseTime(ci)
	g.CheckoutAt, _ = store.ParseTime(co)
	g.CreatedAt, _ = store.ParseTime(at)
	return g, nil
}

func (s *Service) signup(ctx context.Context, tx *store.Tx, where string, args ...any) (Signup, error) {
	return s.scanSignup(tx.QueryRow(ctx, `SELECT `+signupCols+signupFrom+` WHERE `+where, args...))
}

// SignUp puts the actor (a registered volunteer) on an activity for a skill
// ("" = general). Within the quota the place is approved; beyond it the
// volunteer waits. Overlapping approved activities are refused.
func (s *Service) SignUp(ctx context.Context, actor auth.Actor, activityID, skill string) (Signup, error) {
	var out Signup
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		v, err := s.byUser(ctx, tx, actor.UserID)
		if err != nil {
			return err
		}
		if v.Status != "active" {
			return errs.New(errs.Forbidden, "err.volunteer.inactive")
		}
		a, err := s.activity(ctx, tx, activityID, true)
		if err != nil {
			return err
		}
		return s.place(ctx, tx, a, v.Volunteer, skill, "self", &out)
	})
	return out, err
}

func (s *Service) place(ctx context.Context, tx *store.Tx, a Activity, v Volunteer, skill, how string, out *Signup) error {
	now := tx.Now()
	if a.Status != "open" {
		return errs.New(errs.Conflict, "err.volunteer.closed")
	}
	if old, err := s.signup(ctx, tx, `s.activity_id = ? AND s.volunteer_id = ?`, a.ID, v.ID); err == nil {
		if old.Status == "approved" || old.Status == "waitlist" || old.Status == "pending" {
			*out = old
			return nil // signing up twice is the same sign-up
		}
		if _, err := tx.Exec(ctx, `DELETE FROM signups WHERE id = ? AND status IN ('cancelled','rejected')`, old.ID); err != nil {
			return err
		}
	} else if !errs.Is(err, errs.NotFound) {
		return err
	}
	if how == "self" && (now.Before(a.SignupOpens) || now.After(a.SignupCloses)) {
		return errs.New(errs.Conflict, "err.volunteer.signup_closed")
	}
	if _, ok := a.Quotas[skill]; !ok {
		return errs.Field("skill", "err.volunteer.no_quota")
	}
	if skill != "" && !slices.Contains(v.Skills, skill) {
		return errs.Field("skill", "err.volunteer.lacks_skill")
	}
	var clash string
	err := tx.QueryRow(ctx, `SELECT a.title FROM signups s JOIN activities a ON a.id = s.activity_id
		WHERE s.volunteer_id = ? AND s.status = 'approved' AND a.status = 'open' AND a.starts_at < ? AND a.ends_at > ? LIMIT 1`,
		v.ID, store.FormatTime(a.EndsAt), store.FormatTime(a.StartsAt)).Scan(&clash)
	if err == nil {
		return errs.New(errs.Conflict, "err.volunteer.clash", clash)
	} else if !errs.Is(err, errs.NotFound) {
		return err
	}
	status := "approved"
	if a.Taken[skill] >= a.Quotas[skill] {
		status = "waitlist"
	}
	id := ulid.Make().String()
	if _, err := tx.Exec(ctx, `INSERT INTO signups (id, activity_id, volunteer_id, skill, status, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		id, a.ID, v.ID, skill, status, tx.NowText()); err != nil {
		return err
	}
	*out, err = s.signup(ctx, tx, `s.id = ?`, id)
	return err
}

// Assign puts a volunteer on an activity by the organiser's decision
// (outside the sign-up window; still within quota, else waiting).
func (s *Service) Assign(ctx context.Context, actor auth.Actor, activityID, volunteerID, skill string) (Signup, error) {
	var out Signup
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		a, err := s.activity(ctx, tx, activityID, true)
		if err != nil {
			return err
		}
		if err := s.canOrganise(ctx, tx, actor, a); err != nil {
			return err
		}
		v, err := s.scan(tx.QueryRow(ctx, `SELECT `+volCols+` FROM volunteers WHERE id = ? OR no = ?`, volunteerID, volunteerID))
		if errs.Is(err, errs.NotFound) {
			return errs.Field("volunteer_id", "err.not_found")
		} else if err != nil {
			return err
		}
		return s.place(ctx, tx, a, v.Volunteer, skill, "organiser", &out)
	})
	return out, err
}

// Cancel withdraws a sign-up (the volunteer, or the organiser rejecting it);
// the first in line for the same skill takes the freed place.
func (s *Service) Cancel(ctx context.Context, actor auth.Actor, signupID, note string) (Signup, error) {
	var out Signup
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		g, err := s.signup(ctx, tx, `s.id = ?`, signupID)
		if err != nil {
			return err
		}
		a, err := s.activity(ctx, tx, g.ActivityID, true)
		if err != nil {
			return err
		}
		to := "cancelled"
		if g.userID != actor.UserID || actor.UserID == "" {
			if err := s.canOrganise(ctx, tx, actor, a); err != nil {
				return err
			}
			to = "rejected"
		}
		if !g.CheckinAt.IsZero() {
			return errs.New(errs.Conflict, "err.volunteer.already_checked_in")
		}
		if g.Status != "approved" && g.Status != "waitlist" && g.Status != "pending" {
			out = g
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE signups SET status = ?, note = ? WHERE id = ?`, to, strings.TrimSpace(note), g.ID); err != nil {
			return err
		}
		if g.Status == "approved" {
			var next string
			err := tx.QueryRow(ctx, `SELECT id FROM signups WHERE activity_id = ? AND skill = ? AND status = 'waitlist' ORDER BY created_at, id LIMIT 1`, a.ID, g.Skill).Scan(&next)
			if err == nil {
				if _, err := tx.Exec(ctx, `UPDATE signups SET status = 'approved' WHERE id = ?`, next); err != nil {
					return err
				}
			} else if !errs.Is(err, errs.NotFound) {
				return err
			}
		}
		out, err = s.signup(ctx, tx, `s.id = ?`, g.ID)
		return err
	})
	return out, err
}

// Signups lists an activity's sign-ups for its organiser.
func (s *Service) Signups(ctx context.Context, actor auth.Actor, activityID string) ([]Signup, error) {
	var out []Signup
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		a, err := s.activity(ctx, tx, activityID, false)
		if err != nil {
			return err
		}
		if err := s.canOrganise(ctx, tx, actor, a); err != nil {
			return err
		}
		found, err := store.All(ctx, tx, s.scanSignup, `SELECT `+signupCols+signupFrom+` WHERE s.activity_id = ? ORDER BY s.status, s.created_at, s.id`, activityID)
		out = found
		return err
	})
	return out, err
}

// MySignups lists the actor's sign-ups, latest activity first.
func (s *Service) MySignups(ctx context.Context, actor auth.Actor) ([]Signup, error) {
	var out []Signup
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		found, err := store.All(ctx, tx, s.scanSignup, `SELECT `+signupCols+signupFrom+` WHERE v.user_id = ? ORDER BY a.starts_at DESC, s.id LIMIT 200`, actor.UserID)
		out = found
		return err
	})
	return out, err
}

// CheckCode is the code shown in an activity's QR at time t: it changes
// every QR window, so a photo of it sent home stops working.
func CheckCode(secret, activityID string, t time.Time, window time.Duration) string {
	slot := t.Unix() / int64(window/time.Second)
	m := hmac.New(sha256.New, []byte(secret))
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(slot))
	m.Write([]byte(activityID))
	m.Write(b[:])
	return base32.StdEncoding.EncodeToString(m.Sum(nil))[:10]
}

// Code is the activity's current check-in code, for its organiser.
func (s *Service) Code(ctx context.Context, actor auth.Actor, activityID string) (string, time.Duration, error) {
	var code string
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		a, err := activityOnly(ctx, tx, activityID)
		if err != nil {
			return err
		}
		if err := s.canOrganise(ctx, tx, actor, a); err != nil {
			return err
		}
		code = CheckCode(a.secret, a.ID, s.now(), s.cfg.QRWindow)
		return nil
	})
	w := s.cfg.QRWindow
	left := w - time.Duration(s.now().UnixNano()%int64(w))
	return code, left, err
}

func (s *Service) codeValid(a Activity, code string, now time.Time) bool {
	code = strings.ToUpper(strings.TrimSpace(code))
	for _, t := range []time.Time{now, now.Add(-s.cfg.QRWindow)} {
		if hmac.Equal([]byte(code), []byte(CheckCode(a.secret, a.ID, t, s.cfg.QRWindow))) {
			return true
		}
	}
	return false
}

// Scan is a check-in or check-out by QR: the code read from the activity's
// screen and where the phone is.
type Scan struct {
	Code     string  `json:"code"`
	Lng      float64 `json:"lng"`
	Lat      float64 `json:"lat"`
	Accuracy float64 `json:"accuracy"` // metres, as the phone reports it
}

// CheckIn records the actor's arrival: the code must be current, the phone
// within the activity's radius and the time within its window.
func (s *Service) CheckIn(ctx context.Context, actor auth.Actor, activityID string, sc Scan) (Signup, error) {
	return s.scanAttendance(ctx, actor, activityID, sc, true)
}

// CheckOut records the actor's departure and computes the minutes served.
func (s *Service) CheckOut(ctx context.Context, actor auth.Actor, activityID string, sc Scan) (Signup, error) {
	return s.scanAttendance(ctx, actor, activityID, sc, false)
}

func (s *Service) scanAttendance(ctx context.Context, actor auth.Actor, activityID string, sc Scan, in bool) (Signup, error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	// Everything that can be checked is checked in a read transaction, so
	// the single writer only does the update: check-ins come in bursts.
	var a Activity
	var g Signup
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		if a, err = activityOnly(ctx, tx, activityID); err != nil {
			return err
		}
		if !s.codeValid(a, sc.Code, now) {
			return errs.Field("code", "err.volunteer.code")
		}
		if now.Before(a.StartsAt.Add(-s.cfg.EarlyCheckIn)) || now.After(a.EndsAt.Add(s.cfg.LateCheckOut)) || (in && now.After(a.EndsAt)) {
			return errs.New(errs.Conflict, "err.volunteer.not_now")
		}
		d := geo.DistanceMeters(geo.Point{Lng: sc.Lng, Lat: sc.Lat}, geo.Point{Lng: a.Lng, Lat: a.Lat})
		// The phone's own uncertainty counts in the volunteer's favour, up
		// to 100 m, so a cheap phone indoors is not turned away.
		slack := min(max(sc.Accuracy, 0), 100)
		if math.IsNaN(d) || d > float64(a.RadiusM)+slack {
			return errs.Field("lat", "err.volunteer.too_far", int(d), a.RadiusM)
		}
		g, err = s.signup(ctx, tx, `s.activity_id = ? AND v.user_id = ?`, a.ID, actor.UserID)
		if errs.Is(err, errs.NotFound) || (err == nil && g.Status != "approved") {
			var n int
			if tx.QueryRow(ctx, `SELECT count(*) FROM volunteers WHERE user_id = ?`, actor.UserID).Scan(&n); n == 0 {
				return errs.New(errs.Forbidden, "err.volunteer.not_registered")
			}
			return errs.New(errs.Forbidden, "err.volunteer.not_signed_up")
		}
		return err
	})
	if err != nil {
		return Signup{}, err
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		cur, err := s.signup(ctx, tx, `s.id = ?`, g.ID)
		if err != nil {
			return err
		}
		if cur.Status != "approved" {
			return errs.New(errs.Forbidden, "err.volunteer.not_signed_up")
		}
		g = cur
		return s.mark(ctx, tx, a, &g, in, now, "qr", "")
	})
	return g, err
}

// mark writes an arrival or departure (once; a second scan keeps the first
// arrival and the last departure).
func (s *Service) mark(ctx context.Context, tx *store.Tx, a Activity, g *Signup, in bool, at time.Time, how, note string) error {
	if g.HoursStatus == "approved" {
		return errs.New(errs.Conflict, "err.volunteer.hours_final")
	}
	if in {
		if !g.CheckinAt.IsZero() {
			return nil
		}
		g.CheckinAt, g.CheckinHow, g.NoShow = at, how, false
	} else {
		if g.CheckinAt.IsZero() {
			return errs.New(errs.Conflict, "err.volunteer.not_checked_in")
		}
		g.CheckoutAt, g.CheckoutHow = at, how
	}
	g.Minutes = served(a, g.CheckinAt, g.CheckoutAt)
	if note != "" {
		g.Note = note
	}
	_, err := tx.Exec(ctx, `UPDATE signups SET checkin_at = ?, checkin_how = ?, checkout_at = ?, checkout_how = ?, no_show = 0, minutes = ?, note = ? WHERE id = ?`,
		fmtTime(g.CheckinAt), g.CheckinHow, fmtTime(g.CheckoutAt), g.CheckoutHow, g.Minutes, g.Note, g.ID)
	return err
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return store.FormatTime(t)
}

// served is the whole minutes between arrival and departure, counted only
// inside the activity's own window.
func served(a Activity, in, out time.Time) int64 {
	if in.IsZero() || out.IsZero() {
		return 0
	}
	from, to := in, out
	if from.Before(a.StartsAt) {
		from = a.StartsAt
	}
	if to.After(a.EndsAt) {
		to = a.EndsAt
	}
	if !to.After(from) {
		return 0
	}
	return int64(to.Sub(from) / time.Minute)
}

// Mark is the organiser's hand record: arrival or departure at a time, or
// no-show, with a reason.
type Mark struct {
	What   string    `json:"what"` // "in", "out", "no_show"
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

// MarkByHand records attendance for a volunteer who could not scan.
func (s *Service) MarkByHand(ctx context.Context, actor auth.Actor, signupID string, m Mark) (Signup, error) {
	m.Reason = strings.TrimSpace(m.Reason)
	if m.Reason == "" {
		return Signup{}, errs.Field("reason", "err.required")
	}
	if utf8.RuneCountInString(m.Reason) > 200 {
		return Signup{}, errs.Field("reason", "err.too_long", 200)
	}
	var out Signup
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		g, err := s.signup(ctx, tx, `s.id = ?`, signupID)
		if err != nil {
			return err
		}
		a, err := s.activity(ctx, tx, g.ActivityID, false)
		if err != nil {
			return err
		}
		if err := s.canOrganise(ctx, tx, actor, a); err != nil {
			return err
		}
		if g.userID == actor.UserID && actor.Authorize(auth.VolunteerManage, a.RegionPath) != nil {
			return errs.New(errs.Forbidden, "err.volunteer.own_record")
		}
		if g.Status != "approved" {
			return errs.New(errs.Conflict, "err.volunteer.not_signed_up")
		}
		switch m.What {
		case "no_show":
			if g.HoursStatus == "approved" {
				return errs.New(errs.Conflict, "err.volunteer.hours_final")
			}
			_, err = tx.Exec(ctx, `UPDATE signups SET no_show = 1, checkin_at = '', checkout_at = '', minutes = 0, note = ? WHERE id = ?`, m.Reason, g.ID)
			if err != nil {
				return err
			}
		case "in", "out":
			at := m.At
			if at.IsZero() {
				at = s.now()
			}
			if at.Before(a.StartsAt.Add(-s.cfg.EarlyCheckIn)) || at.After(a.EndsAt.Add(s.cfg.LateCheckOut)) {
				return errs.Field("at", "err.volunteer.not_now")
			}
			if m.What == "out" && !g.CheckinAt.IsZero() && at.Before(g.CheckinAt) {
				return errs.Field("at", "err.volunteer.out_before_in")
			}
			if err := s.mark(ctx, tx, a, &g, m.What == "in", at.UTC(), "organiser", m.Reason); err != nil {
				return err
			}
		default:
			return errs.Field("what", "err.invalid")
		}
		out, err = s.signup(ctx, tx, `s.id = ?`, g.ID)
		return err
	})
	return out, err
}

// ApproveHours makes the hours of the given sign-ups final (all checked-out
// ones when ids is empty) and awards their points, in batches of 500 per
// transaction. It returns how many were approved.
func (s *Service) ApproveHours(ctx context.Context, actor auth.Actor, activityID string, ids []string) (int, error) {
	var a Activity
	var todo []Signup
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		if a, err = s.activity(ctx, tx, activityID, false); err != nil {
			return err
		}
		if err := s.canOrganise(ctx, tx, actor, a); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+signupCols+signupFrom+` WHERE s.activity_id = ? AND s.status = 'approved' AND s.hours_status = 'none' AND s.minutes > 0 ORDER BY s.id`, activityID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			g, err := s.scanSignup(rows)
			if err != nil {
				return err
			}
			if len(ids) == 0 || slices.Contains(ids, g.ID) {
				todo = append(todo, g)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return 0, err
	}
	// One's own hours are approved by someone else: a team leader who is
	// also a volunteer cannot pay themselves.
	staff := actor.Authorize(auth.VolunteerManage, a.RegionPath) == nil
	done := 0
	for chunk := range slices.Chunk(todo, 500) {
		err := s.db.Write(ctx, func(tx *store.Tx) error {
			for _, g := range chunk {
				if g.userID == actor.UserID && !staff {
					continue
				}
				// The minutes as they are now (a no-show or a late
				// check-out may have changed them since they were listed).
				var minutes int64
				err := tx.QueryRow(ctx, `SELECT minutes FROM signups WHERE id = ? AND status = 'approved' AND hours_status = 'none' AND minutes > 0`, g.ID).Scan(&minutes)
				if errs.Is(err, errs.NotFound) {
					continue
				} else if err != nil {
					return err
				}
				res, err := tx.Exec(ctx, `UPDATE signups SET hours_status = 'approved', approved_by = ?, approved_at = ? WHERE id = ? AND hours_status = 'none'`, actor.UserID, tx.NowText(), g.ID)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n == 0 {
					continue
				}
				if s.earner != nil && g.userID != "" {
					if err := s.earner.AwardHours(ctx, tx, g.ID, minutes, a.RegionPath, g.userID); err != nil {
						return err
					}
				}
				done++
			}
			return nil
		})
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// SetServed records how many people an activity served.
func (s *Service) SetServed(ctx context.Context, actor auth.Actor, activityID string, n int64) error {
	if n < 0 || n > 10_000_000 {
		return errs.Field("people_served", "err.range", 0, 10_000_000)
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		a, err := s.activity(ctx, tx, activityID, false)
		if err != nil {
			return err
		}
		if err := s.canOrganise(ctx, tx, actor, a); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE activities SET people_served = ? WHERE id = ?`, n, activityID)
		return err
	})
}

// CanOrganise reports whether the actor may run the activity.
func (s *Service) CanOrganise(ctx context.Context, actor auth.Actor, a Activity) bool {
	ok := false
	_ = s.db.Read(ctx, func(tx *store.Tx) error {
		ok = s.canOrganise(ctx, tx, actor, a) == nil
		return nil
	})
	return ok
}
