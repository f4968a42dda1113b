// Package volunteer owns volunteer service: the registry (personal data
// encrypted, a volunteer number shown instead of the ID number), brands and
// teams, projects and activities with sign-up, QR check-in near the place,
// hours approved by the organiser (which earn points through the ledger),
// service records and certificates.
package volunteer

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"civicgrid/internal/audit"
	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/geo"
	"civicgrid/internal/privacy"
	"civicgrid/internal/region"
	"civicgrid/internal/store"

	"github.com/oklog/ulid/v2"
)

// Skills are the professional qualifications an activity may recruit for.
var Skills = []string{"doctor", "nurse", "lawyer", "teacher", "electrician", "plumber", "psychologist", "driver", "rescue", "social_worker", "translator", "photographer", "it"}

// ValidSkill reports whether s is a known skill.
func ValidSkill(s string) bool { return slices.Contains(Skills, s) }

// Volunteer is a registered volunteer as shown: personal data masked.
type Volunteer struct {
	ID         string    `json:"id"`
	No         string    `json:"no"`
	UserID     string    `json:"user_id,omitempty"`
	Name       string    `json:"name"`
	Phone      string    `json:"phone,omitempty"`
	IDNumber   string    `json:"id_number,omitempty"`
	Skills     []string  `json:"skills"`
	GridCode   string    `json:"grid_code"`
	GridName   string    `json:"grid_name"`
	RegionPath string    `json:"-"`
	Status     string    `json:"status"`
	CreatedAt  time.Time `json:"created_at"`
	// Totals of approved service, filled by Get.
	Minutes    int64 `json:"minutes"`
	Activities int64 `json:"activities"`
}

// NewVolunteer is the input to Register.
type NewVolunteer struct {
	UserID   string   `json:"user_id"` // the account to link; empty for oneself when self-registering
	Name     string   `json:"name"`
	Phone    string   `json:"phone"`
	IDNumber string   `json:"id_number"`
	Skills   []string `json:"skills"`
	GridCode string   `json:"grid_code"`
}

// Validate normalises and checks the input.
func (n *NewVolunteer) Validate() error {
	n.Name = strings.TrimSpace(n.Name)
	switch {
	case n.Name == "":
		return errs.Field("name", "err.required")
	case utf8.RuneCountInString(n.Name) > 50:
		return errs.Field("name", "err.too_long", 50)
	case n.GridCode == "":
		return errs.Field("grid_code", "err.required")
	case strings.TrimSpace(n.Phone) == "":
		return errs.Field("phone", "err.required")
	case len(n.Skills) > len(Skills):
		return errs.Field("skills", "err.too_long", len(Skills))
	}
	p, err := privacy.NormalizePhone(n.Phone)
	if err != nil {
		return literal("phone", err)
	}
	n.Phone = p
	if strings.TrimSpace(n.IDNumber) != "" {
		id, err := privacy.NormalizeIDNumber(n.IDNumber)
		if err != nil {
			return literal("id_number", err)
		}
		n.IDNumber = id
	}
	var skills []string
	for _, s := range n.Skills {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !ValidSkill(s) {
			return errs.Field("skills", "err.volunteer.skill", s)
		}
		if !slices.Contains(skills, s) {
			skills = append(skills, s)
		}
	}
	n.Skills = skills
	return nil
}

func literal(field string, err error) error {
	var fe *privacy.FieldError
	if errors.As(err, &fe) {
		return errs.Literal(field, errs.Text{ZH: fe.Msg, EN: fe.MsgEN})
	}
	return errs.Field(field, "err.invalid")
}

// Regions is what the package needs of the region tree.
type Regions interface {
	Lookup(code string) (region.Info, bool)
	Locate(p geo.Point, crs region.CRS) (region.Location, error)
}

// Earner awards points when hours become final (the ledger).
type Earner interface {
	AwardHours(ctx context.Context, tx *store.Tx, signupID string, minutes int64, activityPath, userID string) error
}

// Config holds the rules that are not per activity.
type Config struct {
	QRWindow      time.Duration // a check-in code is valid for this window and the one before
	EarlyCheckIn  time.Duration // how long before the start one may check in
	LateCheckOut  time.Duration // how long after the end one may still check out
	DefaultRadius int           // metres around the place
}

// DefaultConfig is used by the server.
var DefaultConfig = Config{QRWindow: time.Minute, EarlyCheckIn: time.Hour, LateCheckOut: 2 * time.Hour, DefaultRadius: 300}

// Service is volunteer service.
type Service struct {
	db      *store.DB
	keys    *privacy.Keys
	regions Regions
	earner  Earner
	cfg     Config
	now     func() time.Time
}

// New wires the service.
func New(db *store.DB, keys *privacy.Keys, regions Regions, earner Earner, cfg Config) *Service {
	return &Service{db: db, keys: keys, regions: regions, earner: earner, cfg: cfg, now: time.Now}
}

// SetClock replaces the clock (tests of time windows).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

func aad(col, id string) string { return "volunteers." + col + ":" + id }

// newNo makes a volunteer number: V, the county code and six random
// base32 characters, e.g. V371722-K4M2QX. It never contains the ID number.
func newNo(gridPath string) string {
	county := ""
	if parts := strings.Split(strings.Trim(gridPath, "/"), "/"); len(parts) > 1 {
		county = parts[1]
	}
	var b [4]byte
	rand.Read(b[:])
	return "V" + county + "-" + base32.StdEncoding.EncodeToString(b[:])[:6]
}

// Register adds a volunteer in a grid. Staff with volunteer.manage register
// anyone in their scope; any signed-in user may register themselves.
func (s *Service) Register(ctx context.Context, actor auth.Actor, in NewVolunteer) (Volunteer, error) {
	if err := in.Validate(); err != nil {
		return Volunteer{}, err
	}
	g, ok := s.regions.Lookup(in.GridCode)
	if !ok || g.Level != region.Grid {
		return Volunteer{}, errs.Field("grid_code", "err.people.grid")
	}
	if actor.UserID == "" {
		return Volunteer{}, errs.New(errs.Unauthorized, "err.unauthorized")
	}
	if in.UserID == "" && actor.UserID != "system" {
		in.UserID = actor.UserID
	}
	if in.UserID == "" || in.UserID != actor.UserID {
		if err := actor.Authorize(auth.VolunteerManage, g.Path); err != nil {
			return Volunteer{}, err
		}
	} else if in.IDNumber != "" && actor.Authorize(auth.VolunteerManage, g.Path) != nil {
		// An ID number is recorded by staff who have seen the card: taken
		// from anyone, it would let them test whose number is registered.
		return Volunteer{}, errs.Field("id_number", "err.volunteer.id_by_staff")
	}
	var v Volunteer
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		v, err = s.insert(ctx, tx, actor, in, g)
		return err
	})
	return v, err
}

func (s *Service) insert(ctx context.Context, tx *store.Tx, actor auth.Actor, in NewVolunteer, g region.Info) (Volunteer, error) {
	id := ulid.Make().String()
	name, e1 := s.keys.Seal(in.Name, aad("name", id))
	phone, e2 := s.keys.Seal(in.Phone, aad("phone", id))
	idno, e3 := s.keys.Seal(in.IDNumber, aad("idno", id))
	if err := errors.Join(e1, e2, e3); err != nil {
		return Volunteer{}, errs.Wrap(err, "seal")
	}
	var idHash, user any
	if in.IDNumber != "" {
		idHash = s.keys.BlindIndex("idno", in.IDNumber)
	}
	if in.UserID != "" {
		user = in.UserID
		var n, v int
		if err := tx.QueryRow(ctx, `SELECT count(*), (SELECT count(*) FROM volunteers WHERE user_id = ?) FROM users WHERE id = ?`, in.UserID, in.UserID).Scan(&n, &v); err != nil {
			return Volunteer{}, err
		}
		if n == 0 {
			return Volunteer{}, errs.Field("user_id", "err.not_found")
		}
		if v > 0 {
			return Volunteer{}, &errs.Error{Code: errs.Conflict, Field: "user_id", Key: "err.volunteer.already"}
		}
	}
	no := newNo(g.Path)
	_, err := tx.Exec(ctx, `INSERT INTO volunteers (id, no, user_id, name_enc, phone_enc, phone_hash, idno_enc, idno_hash, skills, grid_code, region_path, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, no, user, name, phone, s.keys.BlindIndex("phone", in.Phone), idno, idHash, strings.Join(in.Skills, ","), g.Code, g.Path, actor.UserID, tx.NowText())
	if errs.Is(err, errs.Conflict) {
		return Volunteer{}, &errs.Error{Code: errs.Conflict, Field: "id_number", Key: "err.volunteer.duplicate_id"}
	}
	if err != nil {
		return Volunteer{}, err
	}
	return Volunteer{ID: id, No: no, UserID: in.UserID, Name: privacy.MaskName(in.Name), Phone: privacy.MaskPhone(in.Phone),
		IDNumber: privacy.MaskIDNumber(in.IDNumber), Skills: in.Skills, GridCode: g.Code, GridName: g.Name, RegionPath: g.Path,
		Status: "active", CreatedAt: tx.Now()}, nil
}

const volCols = `id, no, COALESCE(user_id, ''), name_enc, phone_enc, idno_enc, skills, grid_code, region_path, status, created_at`

// row is a volunteer decrypted; the clear fields never leave the package
// except on a certificate (the volunteer's own name) or through an audited
// reveal.
type row struct {
	Volunteer
	name, phone string
}

func (s *Service) scan(r interface{ Scan(...any) error }) (row, error) {
	var v row
	var nameEnc, phoneEnc, idnoEnc, skills, at string
	if err := r.Scan(&v.ID, &v.No, &v.UserID, &nameEnc, &phoneEnc, &idnoEnc, &skills, &v.GridCode, &v.RegionPath, &v.Status, &at); err != nil {
		return v, err
	}
	var e1, e2, e3 error
	var idno string
	v.name, e1 = s.keys.Open(nameEnc, aad("name", v.ID))
	v.phone, e2 = s.keys.Open(phoneEnc, aad("phone", v.ID))
	idno, e3 = s.keys.Open(idnoEnc, aad("idno", v.ID))
	if err := errors.Join(e1, e2, e3); err != nil {
		return v, errs.Wrap(err, "open volunteer "+v.ID)
	}
	v.Name, v.Phone, v.IDNumber = privacy.MaskName(v.name), privacy.MaskPhone(v.phone), privacy.MaskIDNumber(idno)
	v.Skills = []string{}
	if skills != "" {
		v.Skills = strings.Split(skills, ",")
	}
	v.CreatedAt, _ = store.ParseTime(at)
	if g, ok := s.regions.Lookup(v.GridCode); ok {
		v.GridName = g.Name
	}
	return v, nil
}

func (s *Service) totals(ctx context.Context, tx *store.Tx, v *Volunteer) error {
	return tx.QueryRow(ctx, `SELECT COALESCE(SUM(minutes), 0), COUNT(*) FROM signups WHERE volunteer_id = ? AND hours_status = 'approved'`, v.ID).Scan(&v.Minutes, &v.Activities)
}

// Get returns one volunteer: oneself, or anyone in scope for staff.
func (s *Service) Get(ctx context.Context, actor auth.Actor, id string) (Volunteer, error) {
	var v row
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		if v, err = s.scan(tx.QueryRow(ctx, `SELECT `+volCols+` FROM volunteers WHERE id = ?`, id)); err != nil {
			return err
		}
		if v.UserID != actor.UserID || actor.UserID == "" {
			if err := actor.Authorize(auth.VolunteerManage, v.RegionPath); err != nil {
				return err
			}
		}
		return s.totals(ctx, tx, &v.Volunteer)
	})
	return v.Volunteer, err
}

// Mine returns the actor's own volunteer record (NotFound if not registered).
func (s *Service) Mine(ctx context.Context, actor auth.Actor) (Volunteer, error) {
	var v row
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		if v, err = s.scan(tx.QueryRow(ctx, `SELECT `+volCols+` FROM volunteers WHERE user_id = ?`, actor.UserID)); err != nil {
			return err
		}
		return s.totals(ctx, tx, &v.Volunteer)
	})
	return v.Volunteer, err
}

func (s *Service) byUser(ctx context.Context, tx *store.Tx, userID string) (row, error) {
	v, err := s.scan(tx.QueryRow(ctx, `SELECT `+volCols+` FROM volunteers WHERE user_id = ?`, userID))
	if errs.Is(err, errs.NotFound) {
		return v, errs.New(errs.Forbidden, "err.volunteer.not_registered")
	}
	return v, err
}

// Filter narrows List.
type Filter struct {
	RegionPath string
	Skill      string
	After      string
	Limit      int
}

// List lists volunteers in a region subtree, masked.
func (s *Service) List(ctx context.Context, actor auth.Actor, f Filter) ([]Volunteer, string, error) {
	if f.RegionPath == "" {
		f.RegionPath = actor.RegionPath
	}
	if err := actor.Authorize(auth.VolunteerManage, f.RegionPath); err != nil {
		return nil, "", err
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	var out []Volunteer
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		out, err = store.All(ctx, tx, func(r interface{ Scan(...any) error }) (Volunteer, error) {
			v, err := s.scan(r)
			return v.Volunteer, err
		}, `SELECT `+volCols+` FROM volunteers WHERE region_path LIKE ? AND id > ? AND (? = '' OR ',' || skills || ',' LIKE ?) ORDER BY id LIMIT ?`,
			f.RegionPath+"%", f.After, f.Skill, "%,"+f.Skill+",%", f.Limit+1)
		return err
	})
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = out[f.Limit-1].ID
	}
	return out, next, err
}

// Reveal shows one personal field of a volunteer in clear, with an audit
// entry in the same transaction.
func (s *Service) Reveal(ctx context.Context, actor auth.Actor, id, field string) (string, error) {
	if field != "phone" && field != "name" {
		return "", errs.Field("field", "err.invalid")
	}
	var out string
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		v, err := s.scan(tx.QueryRow(ctx, `SELECT `+volCols+` FROM volunteers WHERE id = ?`, id))
		if err != nil {
			return err
		}
		if err := actor.Authorize(auth.PersonReveal, v.RegionPath); err != nil {
			return err
		}
		out = v.name
		if field == "phone" {
			out = v.phone
		}
		_, err = audit.Append(ctx, tx, audit.Entry{ActorID: actor.UserID, Actor: actor.Username, Role: string(actor.Role), Action: "reveal." + field,
			ObjectType: "volunteer", ObjectID: id, RegionPath: v.RegionPath, IP: actor.IP})
		return err
	})
	return out, err
}
