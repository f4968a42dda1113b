package volunteer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"civicgrid/internal/audit"
	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/privacy"
	"civicgrid/internal/store"

	"github.com/oklog/ulid/v2"
)

// Entry is one approved service in a volunteer's record.
type Entry struct {
	SignupID  string    `json:"signup_id"`
	Activity  string    `json:"activity"`
	Domain    string    `json:"domain"`
	Team      string    `json:"team,omitempty"`
	StartsAt  time.Time `json:"starts_at"`
	Minutes   int64     `json:"minutes"`
	Approved  time.Time `json:"approved_at"`
	Organiser string    `json:"organiser"`
}

// Record is a volunteer's service record (民政部令第67号): every approved
// service with its hours, and who certified it.
type Record struct {
	Volunteer Volunteer `json:"volunteer"`
	Entries   []Entry   `json:"entries"`
	Minutes   int64     `json:"minutes"`
	Honours   []Honour  `json:"honours"` // training and commendations
}

func (s *Service) record(ctx context.Context, tx *store.Tx, v Volunteer) (Record, error) {
	r := Record{Volunteer: v, Entries: []Entry{}}
	rows, err := tx.Query(ctx, `SELECT s.id, a.title, a.domain, COALESCE(t.name, ''), a.starts_at, s.minutes, s.approved_at, COALESCE(u.display_name, '')
		FROM signups s JOIN activities a ON a.id = s.activity_id LEFT JOIN teams t ON t.id = a.team_id LEFT JOIN users u ON u.id = s.approved_by
		WHERE s.volunteer_id = ? AND s.hours_status = 'approved' ORDER BY a.starts_at, s.id`, v.ID)
	if err != nil {
		return r, err
	}
	defer rows.Close()
	for rows.Next() {
		var e Entry
		var st, ap string
		if err := rows.Scan(&e.SignupID, &e.Activity, &e.Domain, &e.Team, &st, &e.Minutes, &ap, &e.Organiser); err != nil {
			return r, err
		}
		e.StartsAt, _ = store.ParseTime(st)
		e.Approved, _ = store.ParseTime(ap)
		r.Minutes += e.Minutes
		r.Entries = append(r.Entries, e)
	}
	if err := rows.Err(); err != nil {
		return r, err
	}
	rows.Close()
	r.Honours, err = honours(ctx, tx, v.ID)
	return r, err
}

// Record returns a volunteer's service record (their own, or in scope).
func (s *Service) Record(ctx context.Context, actor auth.Actor, volunteerID string) (Record, error) {
	var r Record
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		v, err := s.scan(tx.QueryRow(ctx, `SELECT `+volCols+` FROM volunteers WHERE id = ?`, volunteerID))
		if err != nil {
			return err
		}
		if v.UserID != actor.UserID || actor.UserID == "" {
			if err := actor.Authorize(auth.VolunteerManage, v.RegionPath); err != nil {
				return err
			}
		}
		r, err = s.record(ctx, tx, v.Volunteer)
		return err
	})
	return r, err
}

// Certificate is an issued certificate of service.
type Certificate struct {
	No          string    `json:"no"`
	VolunteerID string    `json:"volunteer_id,omitempty"`
	VolunteerNo string    `json:"volunteer_no"`
	Name        string    `json:"name"` // in full on the volunteer's own copy, masked on the public check
	IssuedBy    string    `json:"issued_by"`
	IssuedAt    time.Time `json:"issued_at"`
	Minutes     int64     `json:"minutes"`
	Activities  int64     `json:"activities"`
	Digest      string    `json:"digest"`
	Entries     []Entry   `json:"entries,omitempty"`
	// Valid is set by Verify: the record still holds every service the
	// certificate lists.
	Valid bool `json:"valid"`
}

func digest(no, volNo string, entries []Entry) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n", no, volNo)
	for _, e := range entries {
		fmt.Fprintf(h, "%s %d\n", e.SignupID, e.Minutes)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// IssueCertificate issues a certificate of the volunteer's approved service
// so far, in the name of the organisation that keeps their record (the
// region of their home grid's county, or the given issuer name).
func (s *Service) IssueCertificate(ctx context.Context, actor auth.Actor, volunteerID string) (Certificate, error) {
	var c Certificate
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		v, err := s.scan(tx.QueryRow(ctx, `SELECT `+volCols+` FROM volunteers WHERE id = ?`, volunteerID))
		if err != nil {
			return err
		}
		if v.UserID != actor.UserID || actor.UserID == "" {
			if err := actor.Authorize(auth.VolunteerManage, v.RegionPath); err != nil {
				return err
			}
		}
		r, err := s.record(ctx, tx, v.Volunteer)
		if err != nil {
			return err
		}
		if len(r.Entries) == 0 {
			return errs.New(errs.Conflict, "err.volunteer.no_service")
		}
		issuer := "志愿服务组织"
		parts := strings.Split(strings.Trim(v.RegionPath, "/"), "/")
		if len(parts) > 1 {
			if reg, ok := s.regions.Lookup(parts[1]); ok {
				issuer = reg.Name + "志愿服务联合会"
			}
		}
		now := tx.Now()
		county := "0"
		if len(parts) > 1 {
			county = parts[1]
		}
		// A random part: numbers cannot be walked through the public
		// check, and two issued at once cannot collide.
		var b [5]byte
		rand.Read(b[:])
		c = Certificate{No: fmt.Sprintf("ZS-%s-%d-%s", county, now.In(beijing).Year(), base32.StdEncoding.EncodeToString(b[:])), VolunteerID: v.ID, VolunteerNo: v.No, Name: v.name,
			IssuedBy: issuer, IssuedAt: now, Minutes: r.Minutes, Activities: int64(len(r.Entries)), Entries: r.Entries, Valid: true}
		c.Digest = digest(c.No, c.VolunteerNo, r.Entries)
		_, err = tx.Exec(ctx, `INSERT INTO certificates (no, volunteer_id, issued_by, issued_at, minutes, activities, digest, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			c.No, c.VolunteerID, c.IssuedBy, tx.NowText(), c.Minutes, c.Activities, c.Digest, actor.UserID)
		return err
	})
	return c, err
}

var beijing = time.FixedZone("CST", 8*3600)

// VerifyCertificate is the public check behind a certificate's QR code: the
// certificate as issued, the name masked, and whether the record still
// holds every service it lists.
func (s *Service) VerifyCertificate(ctx context.Context, no string) (Certificate, error) {
	var c Certificate
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var at string
		err := tx.QueryRow(ctx, `SELECT c.no, c.volunteer_id, v.no, c.issued_by, c.issued_at, c.minutes, c.activities, c.digest FROM certificates c JOIN volunteers v ON v.id = c.volunteer_id WHERE c.no = ?`, no).
			Scan(&c.No, &c.VolunteerID, &c.VolunteerNo, &c.IssuedBy, &at, &c.Minutes, &c.Activities, &c.Digest)
		if err != nil {
			return err
		}
		c.IssuedAt, _ = store.ParseTime(at)
		v, err := s.scan(tx.QueryRow(ctx, `SELECT `+volCols+` FROM volunteers WHERE id = ?`, c.VolunteerID))
		if err != nil {
			return err
		}
		c.Name = privacy.MaskName(v.name)
		r, err := s.record(ctx, tx, v.Volunteer)
		if err != nil {
			return err
		}
		// The entries approved up to the issue, in the same order.
		var upTo []Entry
		for _, e := range r.Entries {
			if !e.Approved.After(c.IssuedAt) {
				upTo = append(upTo, e)
			}
		}
		c.Valid = digest(c.No, c.VolunteerNo, upTo) == c.Digest
		return nil
	})
	return c, err
}

// PublicCheck is VerifyCertificate as anyone may see it: without the
// volunteer's internal id.
func (s *Service) PublicCheck(ctx context.Context, no string) (Certificate, error) {
	c, err := s.VerifyCertificate(ctx, no)
	c.VolunteerID = ""
	return c, err
}

// Certificate returns an issued certificate with its entries in full, for
// the volunteer (or staff in scope) to download.
func (s *Service) Certificate(ctx context.Context, actor auth.Actor, no string) (Certificate, error) {
	c, err := s.VerifyCertificate(ctx, no)
	if err != nil {
		return c, err
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		v, err := s.scan(tx.QueryRow(ctx, `SELECT `+volCols+` FROM volunteers WHERE id = ?`, c.VolunteerID))
		if err != nil {
			return err
		}
		if v.UserID != actor.UserID || actor.UserID == "" {
			if err := actor.Authorize(auth.VolunteerManage, v.RegionPath); err != nil {
				return err
			}
			// Staff see the full name on the certificate: audited like a reveal.
			if _, err := audit.Append(ctx, tx, audit.Entry{ActorID: actor.UserID, Actor: actor.Username, Role: string(actor.Role), Action: "reveal.certificate",
				ObjectType: "volunteer", ObjectID: v.ID, RegionPath: v.RegionPath, IP: actor.IP, Detail: c.No}); err != nil {
				return err
			}
		}
		c.Name = v.name
		r, err := s.record(ctx, tx, v.Volunteer)
		if err != nil {
			return err
		}
		for _, e := range r.Entries {
			if !e.Approved.After(c.IssuedAt) {
				c.Entries = append(c.Entries, e)
			}
		}
		return nil
	})
	return c, err
}

// Certificates lists the certificates issued to a volunteer, newest first.
func (s *Service) Certificates(ctx context.Context, actor auth.Actor, volunteerID string) ([]Certificate, error) {
	var out []Certificate
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		v, err := s.scan(tx.QueryRow(ctx, `SELECT `+volCols+` FROM volunteers WHERE id = ?`, volunteerID))
		if err != nil {
			return err
		}
		if v.UserID != actor.UserID || actor.UserID == "" {
			if err := actor.Authorize(auth.VolunteerManage, v.RegionPath); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, `SELECT no, issued_by, issued_at, minutes, activities, digest FROM certificates WHERE volunteer_id = ? ORDER BY issued_at DESC, no DESC`, volunteerID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c := Certificate{VolunteerID: v.ID, VolunteerNo: v.No, Name: v.Name, Valid: true}
			var at string
			if err := rows.Scan(&c.No, &c.IssuedBy, &at, &c.Minutes, &c.Activities, &c.Digest); err != nil {
				return err
			}
			c.IssuedAt, _ = store.ParseTime(at)
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// Honour is a training completed or a commendation received.
type Honour struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"` // training | commendation
	Title  string `json:"title"`
	Day    string `json:"day"` // YYYY-MM-DD
	Issuer string `json:"issuer"`
}

// AddHonour records a training or commendation in a volunteer's record.
func (s *Service) AddHonour(ctx context.Context, actor auth.Actor, volunteerID string, h Honour) (Honour, error) {
	h.Title, h.Issuer = strings.TrimSpace(h.Title), strings.TrimSpace(h.Issuer)
	switch {
	case h.Kind != "training" && h.Kind != "commendation":
		return h, errs.Field("kind", "err.invalid")
	case h.Title == "" || utf8.RuneCountInString(h.Title) > 100:
		return h, errs.Field("title", "err.too_long", 100)
	case h.Issuer == "" || utf8.RuneCountInString(h.Issuer) > 100:
		return h, errs.Field("issuer", "err.too_long", 100)
	}
	if _, err := time.Parse("2006-01-02", h.Day); err != nil {
		return h, errs.Field("day", "err.invalid_date")
	}
	h.ID = ulid.Make().String()
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		var path string
		if err := tx.QueryRow(ctx, `SELECT region_path FROM volunteers WHERE id = ?`, volunteerID).Scan(&path); err != nil {
			return err
		}
		if err := actor.Authorize(auth.VolunteerManage, path); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO volunteer_honours (id, volunteer_id, kind, title, day, issuer, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			h.ID, volunteerID, h.Kind, h.Title, h.Day, h.Issuer, actor.UserID, tx.NowText())
		return err
	})
	return h, err
}

func honours(ctx context.Context, tx *store.Tx, volunteerID string) ([]Honour, error) {
	rows, err := tx.Query(ctx, `SELECT id, kind, title, day, issuer FROM volunteer_honours WHERE volunteer_id = ? ORDER BY day, id`, volunteerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Honour{}
	for rows.Next() {
		var h Honour
		if err := rows.Scan(&h.ID, &h.Kind, &h.Title, &h.Day, &h.Issuer); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}
