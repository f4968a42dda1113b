// Package people owns the residents' register of each grid: names, phone
// numbers and ID numbers, encrypted at rest, found by exact phone or ID
// through keyed hashes, masked on every screen, and revealed one field at a
// time to permitted roles with an audit entry for each reveal.
package people

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"civicgrid/internal/audit"
	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/privacy"
	"civicgrid/internal/region"
	"civicgrid/internal/store"

	"github.com/oklog/ulid/v2"
)

// Person is a resident as shown: personal fields masked.
type Person struct {
	ID          string    `json:"id"`
	GridCode    string    `json:"grid_code"`
	GridName    string    `json:"grid_name"`
	RegionPath  string    `json:"-"`
	HouseholdNo string    `json:"household_no,omitempty"`
	Name        string    `json:"name"`
	Phone       string    `json:"phone,omitempty"`
	IDNumber    string    `json:"id_number,omitempty"`
	Tags        []string  `json:"tags,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// NewPerson is the input for Create.
type NewPerson struct {
	GridCode    string   `json:"grid_code"`
	HouseholdNo string   `json:"household_no"`
	Name        string   `json:"name"`
	Phone       string   `json:"phone"`
	IDNumber    string   `json:"id_number"`
	Tags        []string `json:"tags"`
}

// Validate normalises and checks the input.
func (n *NewPerson) Validate() error {
	n.Name = strings.TrimSpace(n.Name)
	n.HouseholdNo = strings.TrimSpace(n.HouseholdNo)
	switch {
	case n.GridCode == "":
		return errs.Field("grid_code", "err.required")
	case n.Name == "":
		return errs.Field("name", "err.required")
	case utf8.RuneCountInString(n.Name) > 50:
		return errs.Field("name", "err.too_long", 50)
	case utf8.RuneCountInString(n.HouseholdNo) > 30:
		return errs.Field("household_no", "err.too_long", 30)
	case len(n.Tags) > 10:
		return errs.Field("tags", "err.too_long", 10)
	}
	for i, t := range n.Tags {
		n.Tags[i] = strings.TrimSpace(t)
		if n.Tags[i] == "" || strings.Contains(t, ",") || utf8.RuneCountInString(t) > 20 {
			return errs.Field("tags", "err.people.tag")
		}
	}
	if n.Phone != "" {
		p, err := privacy.NormalizePhone(n.Phone)
		if err != nil {
			return literal("phone", err)
		}
		n.Phone = p
	}
	if n.IDNumber != "" {
		id, err := privacy.NormalizeIDNumber(n.IDNumber)
		if err != nil {
			return literal("id_number", err)
		}
		n.IDNumber = id
	}
	return nil
}

func literal(field string, err error) error {
	if fe, ok := err.(*privacy.FieldError); ok {
		return errs.Literal(field, errs.Text{ZH: fe.Msg, EN: fe.MsgEN})
	}
	return errs.Field(field, "err.invalid")
}

// Regions is what people needs of the region domain.
type Regions interface {
	Lookup(code string) (region.Info, bool)
}

// Service is the residents' register.
type Service struct {
	db      *store.DB
	keys    *privacy.Keys
	regions Regions
}

// NewService wires the register.
func NewService(db *store.DB, keys *privacy.Keys, regions Regions) *Service {
	return &Service{db: db, keys: keys, regions: regions}
}

// aad binds a ciphertext to its row and column, so it cannot be moved.
func aad(col, id string) string { return "people." + col + ":" + id }

// Create registers a resident in a grid.
func (s *Service) Create(ctx context.Context, actor auth.Actor, in NewPerson) (Person, error) {
	if err := in.Validate(); err != nil {
		return Person{}, err
	}
	g, ok := s.regions.Lookup(in.GridCode)
	if !ok || g.Level != region.Grid {
		return Person{}, errs.Field("grid_code", "err.people.grid")
	}
	if err := actor.Authorize(auth.PersonWrite, g.Path); err != nil {
		return Person{}, err
	}
	var p Person
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		p, err = s.insert(ctx, tx, actor, in, g)
		return err
	})
	return p, err
}

// Insert adds a resident inside an open transaction (for bulk loaders that
// have checked scope already).
func (s *Service) Insert(ctx context.Context, tx *store.Tx, actor auth.Actor, in NewPerson) (Person, error) {
	if err := in.Validate(); err != nil {
		return Person{}, err
	}
	g, ok := s.regions.Lookup(in.GridCode)
	if !ok || g.Level != region.Grid {
		return Person{}, errs.Field("grid_code", "err.people.grid")
	}
	return s.insert(ctx, tx, actor, in, g)
}

func (s *Service) insert(ctx context.Context, tx *store.Tx, actor auth.Actor, in NewPerson, g region.Info) (Person, error) {
	id := ulid.Make().String()
	name, err1 := s.keys.Seal(in.Name, aad("name", id))
	phone, err2 := s.keys.Seal(in.Phone, aad("phone", id))
	idno, err3 := s.keys.Seal(in.IDNumber, aad("idno", id))
	if err := errors.Join(err1, err2, err3); err != nil {
		return Person{}, errs.Wrap(err, "seal")
	}
	_, err := tx.Exec(ctx, `INSERT INTO people(id, grid_code, region_path, household_no, name_enc, phone_enc, phone_hash, idno_enc, idno_hash, tags, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, g.Code, g.Path, in.HouseholdNo, name, phone, s.keys.BlindIndex("phone", in.Phone), idno, s.keys.BlindIndex("idno", in.IDNumber),
		strings.Join(in.Tags, ","), actor.UserID, tx.NowText(), tx.NowText())
	if err != nil {
		return Person{}, errs.Wrap(err, "insert person")
	}
	return Person{ID: id, GridCode: g.Code, GridName: g.Name, RegionPath: g.Path, HouseholdNo: in.HouseholdNo, Name: privacy.MaskName(in.Name),
		Phone: privacy.MaskPhone(in.Phone), IDNumber: privacy.MaskIDNumber(in.IDNumber), Tags: in.Tags, CreatedAt: tx.Now()}, nil
}

const columns = "id, grid_code, region_path, household_no, name_enc, phone_enc, idno_enc, tags, created_at"

// plain holds a row decrypted, never leaving this package unmasked except
// through Reveal.
type plain struct {
	Person
	name, phone, idno string
}

func (s *Service) scan(row interface{ Scan(...any) error }) (plain, error) {
	var p plain
	var nameEnc, phoneEnc, idnoEnc, tags, created string
	if err := row.Scan(&p.ID, &p.GridCode, &p.RegionPath, &p.HouseholdNo, &nameEnc, &phoneEnc, &idnoEnc, &tags, &created); err != nil {
		return p, err
	}
	var e1, e2, e3 error
	p.name, e1 = s.keys.Open(nameEnc, aad("name", p.ID))
	p.phone, e2 = s.keys.Open(phoneEnc, aad("phone", p.ID))
	p.idno, e3 = s.keys.Open(idnoEnc, aad("idno", p.ID))
	if err := errors.Join(e1, e2, e3); err != nil {
		return p, errs.Wrap(err, "open person "+p.ID)
	}
	p.Name, p.Phone, p.IDNumber = privacy.MaskName(p.name), privacy.MaskPhone(p.phone), privacy.MaskIDNumber(p.idno)
	if tags != "" {
		p.Tags = strings.Split(tags, ",")
	}
	p.CreatedAt, _ = store.ParseTime(created)
	if g, ok := s.regions.Lookup(p.GridCode); ok {
		p.GridName = g.Name
	}
	return p, nil
}

// Filter narrows List.
type Filter struct {
	RegionCode string // subtree; "" = actor's scope
	After      string // cursor: id
	Limit      int
}

// List returns residents in a subtree, masked.
func (s *Service) List(ctx context.Context, actor auth.Actor, f Filter) ([]Person, string, error) {
	path := actor.RegionPath
	if f.RegionCode != "" {
		r, ok := s.regions.Lookup(f.RegionCode)
		if !ok {
			return nil, "", errs.Field("region", "err.region.not_found", f.RegionCode)
		}
		path = r.Path
	}
	if err := actor.Authorize(auth.PersonRead, path); err != nil {
		return nil, "", err
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var out []Person
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		out, err = store.All(ctx, tx, func(r interface{ Scan(...any) error }) (Person, error) {
			p, err := s.scan(r)
			return p.Person, err
		}, "SELECT "+columns+" FROM people WHERE region_path LIKE ? AND id > ? ORDER BY id LIMIT ?", path+"%", f.After, f.Limit+1)
		return err
	})
	if err != nil {
		return nil, "", errs.Wrap(err, "list people")
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = out[len(out)-1].ID
	}
	return out, next, nil
}

func (s *Service) get(ctx context.Context, tx *store.Tx, id string) (plain, error) {
	p, err := s.scan(tx.QueryRow(ctx, "SELECT "+columns+" FROM people WHERE id = ?", id))
	if errs.Is(err, errs.NotFound) {
		return p, errs.New(errs.NotFound, "err.people.not_found")
	}
	return p, err
}

// Get returns one resident, masked.
func (s *Service) Get(ctx context.Context, actor auth.Actor, id string) (Person, error) {
	var p plain
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		p, err = s.get(ctx, tx, id)
		return err
	})
	if err != nil {
		return Person{}, err
	}
	if err := actor.Authorize(auth.PersonRead, p.RegionPath); err != nil {
		return Person{}, err
	}
	return p.Person, nil
}

// Fields that can be revealed.
const (
	FieldName  = "name"
	FieldPhone = "phone"
	FieldID    = "id_number"
)

// Reveal returns one field of one resident in clear, for a role allowed to
// see it in that region, and writes who saw what in the audit log in the
// same transaction: no audit entry, no reveal.
func (s *Service) Reveal(ctx context.Context, actor auth.Actor, id, field, reason string) (string, error) {
	if field != FieldName && field != FieldPhone && field != FieldID {
		return "", errs.Field("field", "err.people.field")
	}
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > 200 {
		return "", errs.Field("reason", "err.too_long", 200)
	}
	var value string
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		p, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := actor.Authorize(auth.PersonReveal, p.RegionPath); err != nil {
			return err
		}
		value = map[string]string{FieldName: p.name, FieldPhone: p.phone, FieldID: p.idno}[field]
		_, err = audit.Append(ctx, tx, audit.Entry{ActorID: actor.UserID, Actor: actor.Username, Role: string(actor.Role),
			Action: "person.reveal." + field, ObjectType: "person", ObjectID: id, RegionPath: p.RegionPath, IP: actor.IP, Detail: reason})
		return err
	})
	return value, err
}

// Find looks a resident up by exact phone number or ID number through the
// keyed hash (the database never sees the number). The search is audited,
// since it tells the searcher whose number it is.
func (s *Service) Find(ctx context.Context, actor auth.Actor, kind, value string) ([]Person, error) {
	var norm string
	var err error
	switch kind {
	case FieldPhone:
		norm, err = privacy.NormalizePhone(value)
	case FieldID:
		norm, err = privacy.NormalizeIDNumber(value)
	default:
		return nil, errs.Field("by", "err.people.field")
	}
	if err != nil {
		return nil, literal(kind, err)
	}
	if err := actor.Authorize(auth.PersonRead, actor.RegionPath); err != nil {
		return nil, err
	}
	col := map[string]string{FieldPhone: "phone_hash", FieldID: "idno_hash"}[kind]
	hashKind := map[string]string{FieldPhone: "phone", FieldID: "idno"}[kind]
	var out []Person
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, "SELECT "+columns+" FROM people WHERE "+col+" = ? AND region_path LIKE ? ORDER BY id LIMIT 50",
			s.keys.BlindIndex(hashKind, norm), actor.RegionPath+"%")
		if err != nil {
			return err
		}
		var found []plain
		for rows.Next() {
			p, err := s.scan(rows)
			if err != nil {
				rows.Close()
				return err
			}
			found = append(found, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, p := range found {
			out = append(out, p.Person)
			if _, err := audit.Append(ctx, tx, audit.Entry{ActorID: actor.UserID, Actor: actor.Username, Role: string(actor.Role),
				Action: "person.find." + kind, ObjectType: "person", ObjectID: p.ID, RegionPath: p.RegionPath, IP: actor.IP}); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// CountIn returns how many residents are registered in a subtree.
func (s *Service) CountIn(ctx context.Context, path string) (int, error) {
	var n int
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, "SELECT count(*) FROM people WHERE region_path LIKE ?", path+"%").Scan(&n)
	})
	return n, err
}
