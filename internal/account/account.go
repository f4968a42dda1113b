// Package account owns users, their roles and region scope, passwords,
// sessions, lockout and API tokens. Every operation takes the acting user and
// checks scope itself (see package auth), whichever door the call came in by.
package account

import (
	"context"
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

// User is an account as shown: the phone number is masked unless revealed.
type User struct {
	ID          string    `json:"id"`
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	Role        auth.Role `json:"role"`
	RegionCode  string    `json:"region_code"`
	RegionName  string    `json:"region_name"`
	RegionPath  string    `json:"-"`
	Unit        string    `json:"unit,omitempty"`
	Phone       string    `json:"phone,omitempty"` // masked
	Status      string    `json:"status"`
	CreatedAt   time.Time `json:"created_at"`
	LastLoginAt time.Time `json:"last_login_at,omitzero"`
}

// NewUser is the input for Create.
type NewUser struct {
	Username    string    `json:"username"`
	Password    string    `json:"password"`
	DisplayName string    `json:"display_name"`
	Role        auth.Role `json:"role"`
	RegionCode  string    `json:"region_code"`
	Unit        string    `json:"unit"`
	Phone       string    `json:"phone"`
}

// Validate checks the input on its own; Create checks it against the world.
func (n *NewUser) Validate() error {
	n.Username = strings.TrimSpace(n.Username)
	n.DisplayName = strings.TrimSpace(n.DisplayName)
	switch {
	case n.Username == "":
		return errs.Field("username", "err.required")
	case len(n.Username) < 3 || len(n.Username) > 64 || strings.Trim(strings.ToLower(n.Username), "abcdefghijklmnopqrstuvwxyz0123456789_.-") != "":
		return errs.Field("username", "err.account.username_form")
	case utf8.RuneCountInString(n.Password) < 8:
		return errs.Field("password", "err.account.password_short", 8)
	case len(n.Password) > 256:
		return errs.Field("password", "err.too_long", 256)
	case !n.Role.Valid():
		return errs.Field("role", "err.account.role")
	case n.RegionCode == "":
		return errs.Field("region_code", "err.required")
	case utf8.RuneCountInString(n.DisplayName) > 50:
		return errs.Field("display_name", "err.too_long", 50)
	case utf8.RuneCountInString(n.Unit) > 100:
		return errs.Field("unit", "err.too_long", 100)
	}
	if n.DisplayName == "" {
		n.DisplayName = n.Username
	}
	if n.Phone != "" {
		p, err := privacy.NormalizePhone(n.Phone)
		if err != nil {
			return privacyError("phone", err)
		}
		n.Phone = p
	}
	return nil
}

// roleLevels says at which tiers of the tree each role may be scoped: a grid
// worker works a grid, an official a county, town or village, and so on.
var roleLevels = map[auth.Role][]region.Level{
	auth.CityAdmin:      {region.City},
	auth.Official:       {region.County, region.Town, region.Village},
	auth.DeptHandler:    {region.City, region.County, region.Town},
	auth.Auditor:        {region.City, region.County, region.Town},
	auth.GridLeader:     {region.Village, region.Grid},
	auth.GridWorker:     {region.Grid},
	auth.PartTimeWorker: {region.Town, region.Village, region.Grid},
	auth.Volunteer:      {region.City, region.County, region.Town, region.Village, region.Grid},
	auth.Resident:       {region.City, region.County, region.Town, region.Village, region.Grid},
}

// RoleFitsLevel reports whether role may be scoped to a region of level l.
func RoleFitsLevel(role auth.Role, l region.Level) bool {
	for _, x := range roleLevels[role] {
		if x == l {
			return true
		}
	}
	return false
}

// Regions is what account needs of the region domain.
type Regions interface {
	Lookup(code string) (region.Info, bool)
}

// Config holds session lifetimes and lockout policy.
type Config struct {
	SessionIdle     time.Duration // a session unused this long ends
	SessionAbsolute time.Duration // a session ends this long after login regardless
	MaxFailures     int           // wrong passwords in a row before lockout
	LockoutFor      time.Duration
}

// DefaultConfig is the policy used unless configured otherwise.
var DefaultConfig = Config{SessionIdle: 2 * time.Hour, SessionAbsolute: 12 * time.Hour, MaxFailures: 5, LockoutFor: 15 * time.Minute}

// Service is the account domain.
type Service struct {
	db      *store.DB
	keys    *privacy.Keys
	regions Regions
	cfg     Config
}

// NewService wires the account domain.
func NewService(db *store.DB, keys *privacy.Keys, regions Regions, cfg Config) *Service {
	if cfg.SessionIdle == 0 {
		cfg = DefaultConfig
	}
	return &Service{db: db, keys: keys, regions: regions, cfg: cfg}
}

func newID() string { return ulid.Make().String() }

// Create adds an account. The actor needs account.write over the target
// region and may only hand out roles below their own.
func (s *Service) Create(ctx context.Context, actor auth.Actor, in NewUser) (User, error) {
	if err := in.Validate(); err != nil {
		return User{}, err
	}
	reg, ok := s.regions.Lookup(in.RegionCode)
	if !ok {
		return User{}, errs.Field("region_code", "err.region.not_found", in.RegionCode)
	}
	if err := actor.Authorize(auth.AccountWrite, reg.Path); err != nil {
		return User{}, err
	}
	if !actor.Role.CanAssign(in.Role) {
		return User{}, &errs.Error{Code: errs.Forbidden, Field: "role", Key: "err.account.cannot_assign"}
	}
	if !RoleFitsLevel(in.Role, reg.Level) {
		return User{}, errs.Field("region_code", "err.account.role_level")
	}
	u := User{ID: newID(), Username: in.Username, DisplayName: in.DisplayName, Role: in.Role, RegionCode: reg.Code, RegionName: reg.Name, RegionPath: reg.Path, Unit: in.Unit, Status: "active", Phone: privacy.MaskPhone(in.Phone)}
	hash := HashPassword(in.Password)
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		phoneEnc, err := s.keys.Seal(in.Phone, "users.phone:"+u.ID)
		if err != nil {
			return err
		}
		u.CreatedAt = tx.Now()
		_, err = tx.Exec(ctx, `INSERT INTO users(id, username, display_name, password_hash, role, region_code, region_path, unit, phone_enc, phone_hash, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			u.ID, u.Username, u.DisplayName, hash, string(u.Role), u.RegionCode, u.RegionPath, u.Unit, phoneEnc, s.keys.BlindIndex("phone", in.Phone), actor.UserID, tx.NowText(), tx.NowText())
		if errs.Is(err, errs.Conflict) {
			return errs.Field("username", "err.account.username_taken")
		}
		if err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, entry(actor, "account.create", "user", u.ID, u.RegionPath, string(u.Role)+" "+u.Username))
		return err
	})
	return u, err
}

func entry(actor auth.Actor, action, objType, objID, regionPath, detail string) audit.Entry {
	return audit.Entry{ActorID: actor.UserID, Actor: actor.Username, Role: string(actor.Role), Action: action, ObjectType: objType, ObjectID: objID, RegionPath: regionPath, IP: actor.IP, Detail: detail}
}

const userColumns = "id, username, display_name, role, region_code, region_path, unit, phone_enc, status, created_at, last_login_at"

func (s *Service) scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var phoneEnc, created, last string
	if err := row.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Role, &u.RegionCode, &u.RegionPath, &u.Unit, &phoneEnc, &u.Status, &created, &last); err != nil {
		return u, err
	}
	u.CreatedAt, _ = store.ParseTime(created)
	u.LastLoginAt, _ = store.ParseTime(last)
	if phoneEnc != "" {
		phone, err := s.keys.Open(phoneEnc, "users.phone:"+u.ID)
		if err != nil {
			return u, errs.Wrap(err, "open phone of user "+u.ID)
		}
		u.Phone = privacy.MaskPhone(phone)
	}
	if r, ok := s.regions.Lookup(u.RegionCode); ok {
		u.RegionName = r.Name
	}
	return u, nil
}

// Get returns one account, if it lies in the actor's scope (or is the actor).
func (s *Service) Get(ctx context.Context, actor auth.Actor, id string) (User, error) {
	var u User
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		u, err = s.scanUser(tx.QueryRow(ctx, "SELECT "+userColumns+" FROM users WHERE id = ?", id))
		return err
	})
	if errs.Is(err, errs.NotFound) {
		return u, errs.New(errs.NotFound, "err.account.not_found")
	}
	if err != nil {
		return u, err
	}
	if actor.UserID == u.ID {
		return u, nil
	}
	if err := actor.Authorize(auth.AccountRead, u.RegionPath); err != nil {
		return User{}, err
	}
	return u, nil
}

// ByUsername finds an account for operator tools (CLI) that act as system.
func (s *Service) ByUsername(ctx context.Context, username string) (User, error) {
	var u User
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		u, err = s.scanUser(tx.QueryRow(ctx, "SELECT "+userColumns+" FROM users WHERE username = ?", strings.TrimSpace(username)))
		return err
	})
	if errs.Is(err, errs.NotFound) {
		return u, errs.New(errs.NotFound, "err.account.not_found")
	}
	return u, err
}

// ListFilter narrows List.
type ListFilter struct {
	RegionCode string // subtree to list; "" = the actor's scope
	Role       auth.Role
	After      string // cursor: username
	Limit      int
}

// List returns accounts in a subtree of the actor's scope, by username.
func (s *Service) List(ctx context.Context, actor auth.Actor, f ListFilter) ([]User, string, error) {
	path := actor.RegionPath
	if f.RegionCode != "" {
		r, ok := s.regions.Lookup(f.RegionCode)
		if !ok {
			return nil, "", errs.Field("region", "err.region.not_found", f.RegionCode)
		}
		path = r.Path
	}
	if err := actor.Authorize(auth.AccountRead, path); err != nil {
		return nil, "", err
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	q := "SELECT " + userColumns + " FROM users WHERE region_path LIKE ? AND username > ?"
	args := []any{path + "%", f.After}
	if f.Role != "" {
		q += " AND role = ?"
		args = append(args, string(f.Role))
	}
	q += " ORDER BY username LIMIT ?"
	args = append(args, f.Limit+1)
	var out []User
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		found, err := store.All(ctx, tx, s.scanUser, q, args...)
		out = found
		return err
	})
	if err != nil {
		return nil, "", errs.Wrap(err, "list users")
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = out[len(out)-1].Username
	}
	return out, next, nil
}

// SetStatus enables or disables an account; disabling ends its sessions and
// revokes its tokens in the same transaction.
func (s *Service) SetStatus(ctx context.Context, actor auth.Actor, id, status string) error {
	if status != "active" && status != "disabled" {
		return errs.Field("status", "err.account.status")
	}
	if id == actor.UserID {
		return errs.New(errs.Invalid, "err.account.self")
	}
	u, err := s.Get(ctx, actor, id)
	if err != nil {
		return err
	}
	if err := actor.Authorize(auth.AccountWrite, u.RegionPath); err != nil {
		return err
	}
	if !actor.Role.CanAssign(u.Role) {
		return errs.New(errs.Forbidden, "err.account.cannot_assign")
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE users SET status = ?, failed_logins = 0, locked_until = '', updated_at = ? WHERE id = ?", status, tx.NowText(), id); err != nil {
			return err
		}
		if status == "disabled" {
			if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE user_id = ?", id); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at = ''", tx.NowText(), id); err != nil {
				return err
			}
		}
		_, err := audit.Append(ctx, tx, entry(actor, "account."+status, "user", id, u.RegionPath, u.Username))
		return err
	})
}

// SetPassword replaces an account's password (the actor's own, or one in
// scope that the actor may manage) and ends its other sessions.
func (s *Service) SetPassword(ctx context.Context, actor auth.Actor, id, password string) error {
	if utf8.RuneCountInString(password) < 8 {
		return errs.Field("password", "err.account.password_short", 8)
	}
	u, err := s.Get(ctx, actor, id)
	if err != nil {
		return err
	}
	if actor.UserID != id {
		if err := actor.Authorize(auth.AccountWrite, u.RegionPath); err != nil {
			return err
		}
		if !actor.Role.CanAssign(u.Role) {
			return errs.New(errs.Forbidden, "err.account.cannot_assign")
		}
	}
	hash := HashPassword(password)
	return s.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = '', updated_at = ? WHERE id = ?", hash, tx.NowText(), id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE user_id = ?", id); err != nil {
			return err
		}
		_, err := audit.Append(ctx, tx, entry(actor, "account.password", "user", id, u.RegionPath, u.Username))
		return err
	})
}

func privacyError(field string, err error) error {
	if fe, ok := err.(*privacy.FieldError); ok {
		return errs.Literal(field, errs.Text{ZH: fe.Msg, EN: fe.MsgEN})
	}
	return errs.Field(field, "err.invalid")
}

// Actor turns a stored user into the actor it acts as.
func (u User) Actor(ip, via string) auth.Actor {
	return auth.Actor{UserID: u.ID, Username: u.Username, Role: u.Role, RegionCode: u.RegionCode, RegionPath: u.RegionPath, IP: ip, Via: via}
}
