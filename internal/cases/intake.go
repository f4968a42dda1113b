package cases

import (
	"context"
	"crypto/rand"
	"math"
	"math/bits"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/geo"
	"civicgrid/internal/privacy"
	"civicgrid/internal/region"
	"civicgrid/internal/store"

	"github.com/oklog/ulid/v2"
)

// Locator resolves a point to its grid.
type Locator interface {
	Locate(p geo.Point, crs region.CRS) (region.Location, error)
}

// Report is a new problem report from any channel.
type Report struct {
	Channel        Channel  `json:"channel"`
	Category       string   `json:"category"`
	Description    string   `json:"description"`
	Lng            float64  `json:"lng"`
	Lat            float64  `json:"lat"`
	CRS            string   `json:"crs,omitempty"` // wgs84 (default) or gcj02
	Address        string   `json:"address,omitempty"`
	ReporterName   string   `json:"reporter_name,omitempty"`  // callers, anonymous residents
	ReporterPhone  string   `json:"reporter_phone,omitempty"` // to follow the case without an account
	IdempotencyKey string   `json:"idempotency_key,omitempty"`
	Photos         []string `json:"photos,omitempty"`    // ids from the photo store
	MediaURL       string   `json:"media_url,omitempty"` // a link to a photo elsewhere (Open311); recorded, never fetched
}

// Validate checks the report on its own.
func (r *Report) Validate() error {
	r.Description = strings.TrimSpace(r.Description)
	r.Address = strings.TrimSpace(r.Address)
	r.ReporterName = strings.TrimSpace(r.ReporterName)
	r.IdempotencyKey = strings.TrimSpace(r.IdempotencyKey)
	known := false
	for _, c := range Channels {
		known = known || c == r.Channel
	}
	switch {
	case !known:
		return errs.Field("channel", "err.cases.channel")
	case r.Category == "":
		return errs.Field("category", "err.required")
	case utf8.RuneCountInString(r.Description) > 2000:
		return errs.Field("description", "err.too_long", 2000)
	case r.Description == "" && len(r.Photos) == 0:
		return errs.Field("description", "err.cases.need_text_or_photo")
	case math.IsNaN(r.Lat) || r.Lat < -90 || r.Lat > 90 || (r.Lat == 0 && r.Lng == 0):
		return errs.Field("lat", "err.cases.location")
	case math.IsNaN(r.Lng) || r.Lng < -180 || r.Lng > 180:
		return errs.Field("lng", "err.cases.location")
	case utf8.RuneCountInString(r.Address) > 200:
		return errs.Field("address", "err.too_long", 200)
	case utf8.RuneCountInString(r.ReporterName) > 50:
		return errs.Field("reporter_name", "err.too_long", 50)
	case len(r.IdempotencyKey) > 100:
		return errs.Field("idempotency_key", "err.too_long", 100)
	case len(r.Photos) > 9:
		return errs.Field("photos", "err.too_long", 9)
	case r.MediaURL != "" && !ValidMediaURL(r.MediaURL):
		return errs.Field("media_url", "err.cases.media_url")
	}
	if r.ReporterPhone != "" {
		p, err := privacy.NormalizePhone(r.ReporterPhone)
		if err != nil {
			if fe, ok := err.(*privacy.FieldError); ok {
				return errs.Literal("reporter_phone", errs.Text{ZH: fe.Msg, EN: fe.MsgEN})
			}
			return errs.Field("reporter_phone", "err.invalid")
		}
		r.ReporterPhone = p
	}
	return nil
}

// channelRoles says who may file through each channel. Anyone may use the
// web page for what they saw themselves (an official on the way to work is a
// resident too); only staff enter calls, slips and talks for others.
var channelRoles = map[Channel][]auth.Role{
	ChannelWeb:        {auth.Resident, auth.Volunteer, auth.PartTimeWorker, auth.GridWorker, auth.GridLeader, auth.Official, auth.CityAdmin, auth.DeptHandler, auth.Auditor, ""},
	ChannelPatrol:     {auth.GridWorker, auth.GridLeader},
	ChannelQuick:      {auth.PartTimeWorker, auth.GridWorker, auth.GridLeader},
	ChannelHotline:    {auth.Official, auth.CityAdmin, auth.DeptHandler},
	ChannelOpinionBox: {auth.GridWorker, auth.GridLeader, auth.Official, auth.CityAdmin},
	ChannelDoorToDoor: {auth.GridWorker, auth.GridLeader, auth.Official},
	ChannelOpen311:    {auth.Resident, auth.Official, auth.CityAdmin, auth.DeptHandler, auth.GridWorker, auth.GridLeader, auth.PartTimeWorker, auth.Volunteer},
}

// Intake is the result of filing a report.
type Intake struct {
	Case        Case   `json:"case"`
	Duplicates  []Case `json:"likely_duplicates,omitempty"`
	FollowToken string `json:"follow_token,omitempty"` // shown once, for reporters without an account
	Replayed    bool   `json:"replayed,omitempty"`     // the same idempotency key was seen before
}

// File stores a report as a new case. A retry with the same idempotency key
// returns the stored case instead of a second one; open cases of the same
// subcategory nearby are returned as likely duplicates.
func (s *Service) File(ctx context.Context, actor auth.Actor, r Report) (Intake, error) {
	p, err := s.prepare(actor, r)
	if err != nil {
		return Intake{}, err
	}
	var out Intake
	if b := s.batch.Load(); b != nil {
		// The batch reads the duplicate hints after its commit.
		out, err = b.submit(ctx, p)
		if out.Case.ID != "" && !out.Replayed {
			s.notify(out.Case.ID, out.Case.RegionPath)
		}
		return out, err
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		out, err = s.store(ctx, tx, p)
		return err
	})
	if err != nil || out.Replayed {
		return out, err
	}
	// Duplicate hints are advice, read after the commit from the reader
	// pool, so the writer is held only for the insert.
	err = s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		out.Duplicates, err = s.duplicates(ctx, tx, out.Case)
		return err
	})
	s.notify(out.Case.ID, out.Case.RegionPath)
	return out, err
}

// prepared is a report checked and located outside any transaction.
type prepared struct {
	actor auth.Actor
	r     Report
	loc   region.Location
	grid  region.Info
}

func (s *Service) prepare(actor auth.Actor, r Report) (prepared, error) {
	if err := r.Validate(); err != nil {
		return prepared{}, err
	}
	if err := s.checkPhotos(r.Photos); err != nil {
		return prepared{}, err
	}
	// The open311 channel is what came through the GeoReport endpoint with
	// an API key (the handler marks its actor), never a claim.
	if r.Channel == ChannelOpen311 && actor.Via != ViaOpen311 {
		return prepared{}, &errs.Error{Code: errs.Forbidden, Field: "channel", Key: "err.cases.channel_open311"}
	}
	allowed := false
	for _, role := range channelRoles[r.Channel] {
		allowed = allowed || role == actor.Role
	}
	if !allowed {
		return prepared{}, &errs.Error{Code: errs.Forbidden, Field: "channel", Key: "err.cases.channel_role"}
	}
	crs, err := region.ParseCRS(r.CRS)
	if err != nil {
		return prepared{}, err
	}
	loc, err := s.locate.Locate(geo.Point{Lng: r.Lng, Lat: r.Lat}, crs)
	if errs.Is(err, errs.NotFound) {
		return prepared{}, errs.Field("lat", "err.cases.outside")
	}
	if err != nil {
		return prepared{}, err
	}
	grid, _ := s.regions.Lookup(loc.Grid.Code)
	return prepared{actor: actor, r: r, loc: loc, grid: grid}, nil
}

// store writes one prepared report inside tx: a replay of a known
// idempotency key returns the stored case.
func (s *Service) store(ctx context.Context, tx *store.Tx, p prepared) (Intake, error) {
	if p.r.IdempotencyKey != "" {
		var id, desc, cat string
		err := tx.QueryRow(ctx, "SELECT id, description, category_code FROM cases WHERE idempotency_key = ?", idemKey(p.actor, p.r.IdempotencyKey)).Scan(&id, &desc, &cat)
		if err == nil {
			if desc != p.r.Description || cat != p.r.Category {
				return Intake{}, &errs.Error{Code: errs.Conflict, Field: "idempotency_key", Key: "err.cases.idempotency_mismatch"}
			}
			c, err := s.get(ctx, tx, id)
			in := Intake{Case: c, Replayed: true}
			// A retry of an anonymous report gets its follow link again: the
			// idempotency key, known only to the reporter, proves it is theirs.
			if c.ReporterID == "" && p.actor.UserID == "" {
				in.FollowToken = s.followToken(c.ID)
			}
			return in, err
		}
		if !errs.Is(err, errs.NotFound) {
			return Intake{}, err
		}
	}
	cat, err := s.category(ctx, tx, p.r.Category)
	if err != nil {
		return Intake{}, err
	}
	if cat.IsClass() {
		return Intake{}, errs.Field("category", "err.cases.need_subcategory")
	}
	c, token, err := s.insert(ctx, tx, p.actor, p.r, cat, p.loc, p.grid)
	return Intake{Case: c, FollowToken: token}, err
}

// idemKey scopes a client's idempotency key to its author, so two clients
// that pick the same key do not see each other's cases.
func idemKey(actor auth.Actor, key string) string {
	who := actor.UserID
	if who == "" {
		who = "anon"
	}
	return who + ":" + key
}

func (s *Service) insert(ctx context.Context, tx *store.Tx, actor auth.Actor, r Report, cat Category, loc region.Location, grid region.Info) (Case, string, error) {
	now := tx.Now()
	nc, err := s.newCase(now, s.cal.AddWorkHours(now, s.cfg.AcceptHours), prepared{actor: actor, r: r, loc: loc, grid: grid}, cat)
	if err != nil {
		return nc.c, "", err
	}
	if err := writeCases(ctx, tx, []*newCase{&nc}); err != nil {
		return nc.c, "", err
	}
	if err := bumpRollup(ctx, tx, nil, &nc.c); err != nil {
		return nc.c, "", err
	}
	return nc.c, nc.token, nil
}

// newCase is a report turned into the rows it is stored as, built without
// touching the database so a batch can write many in a few statements.
type newCase struct {
	c     Case
	token string // follow token, for reporters without an account
	row   []any  // in caseInsertColumns order
	at    string // reported_at as stored
	actor auth.Actor
}

// newCase builds the case for p at now; acceptDue depends only on now, so
// a batch computes it once.
func (s *Service) newCase(now, acceptDue time.Time, p prepared, cat Category) (newCase, error) {
	actor, r, loc, grid := p.actor, p.r, p.loc, p.grid
	id := ulid.MustNew(ulid.Timestamp(now), rand.Reader).String()
	county := loc.Chain[min(1, len(loc.Chain)-1)].Code
	c := Case{
		ID: id, No: county + "-" + now.In(chinaTime).Format("20060102") + "-" + id[len(id)-8:],
		Channel: r.Channel, CategoryCode: cat.Code, CategoryName: cat.Name, Status: Reported, Priority: cat.Priority,
		Description: r.Description, Address: r.Address, MediaURL: r.MediaURL, Lng: loc.Point.Lng, Lat: loc.Point.Lat, GridCode: grid.Code, RegionPath: grid.Path,
		ReporterID: actor.UserID, ReporterRole: string(actor.Role), ReportedAt: now, Version: 1, Photos: r.Photos,
		AcceptDue: acceptDue,
	}
	// Staff entering a call or a slip are not the reporter: the caller is.
	enteredBy := ""
	if r.Channel == ChannelHotline || r.Channel == ChannelOpinionBox || r.Channel == ChannelDoorToDoor {
		enteredBy, c.ReporterID, c.ReporterRole = actor.UserID, "", ""
	}
	nameEnc, err := s.keys.Seal(r.ReporterName, "cases.reporter_name:"+id)
	if err != nil {
		return newCase{c: c}, err
	}
	phoneEnc, err := s.keys.Seal(r.ReporterPhone, "cases.reporter_phone:"+id)
	if err != nil {
		return newCase{c: c}, err
	}
	c.ReporterName, c.ReporterPhone = privacy.MaskName(r.ReporterName), privacy.MaskPhone(r.ReporterPhone)
	token, tokenHash := "", ""
	if c.ReporterID == "" {
		token = s.followToken(id)
		tokenHash = hashToken(token)
	}
	var idem any
	if r.IdempotencyKey != "" {
		idem = idemKey(actor, r.IdempotencyKey)
	}
	nowText := store.FormatTime(now)
	row := []any{c.ID, c.No, string(c.Channel), c.CategoryCode, string(c.Status), c.Priority, c.Description, c.Address, c.Lng, c.Lat, c.GridCode, c.RegionPath,
		c.ReporterID, c.ReporterRole, nameEnc, phoneEnc, s.keys.BlindIndex("phone", r.ReporterPhone), enteredBy, idem, tokenHash,
		nowText, store.FormatTime(c.AcceptDue), store.FormatTime(s.remindAt(now, c.AcceptDue)), nowText, c.MediaURL}
	return newCase{c: c, token: token, row: row, at: nowText, actor: actor}, nil
}

const caseInsertColumns = `id, no, channel, category_code, status, priority, description, address, lng, lat, grid_code, region_path,
	reporter_id, reporter_role, reporter_name_enc, reporter_phone_enc, reporter_phone_hash, entered_by, idempotency_key, follow_token_hash,
	reported_at, accept_due, next_due, updated_at, media_url`

const eventInsertColumns = `case_id, seq, at, actor_id, actor, role, action, from_status, to_status, unit_id, note, data`

// writeCases stores new cases with their first history entry and photos.
// Rows go in multi-row INSERTs of power-of-two sizes, so a batch of any
// size uses a handful of statements that stay prepared.
func writeCases(ctx context.Context, tx *store.Tx, ncs []*newCase) error {
	args := make([]any, 0, min(len(ncs), maxRowsPerInsert)*24)
	for i := 0; i < len(ncs); {
		n := rowsPerInsert(len(ncs) - i)
		args = args[:0]
		for _, nc := range ncs[i : i+n] {
			args = append(args, nc.row...)
		}
		if _, err := tx.Exec(ctx, caseInserts[bits.Len(uint(n))-1], args...); err != nil {
			return err
		}
		args = args[:0]
		for _, nc := range ncs[i : i+n] {
			c, name := &nc.c, nc.actor.Username
			if name == "" {
				name = "anonymous"
			}
			args = append(args, c.ID, 1, nc.at, nc.actor.UserID, name, string(nc.actor.Role), "report", "", string(Reported), "", "", `{"channel":"`+string(c.Channel)+`"}`)
		}
		if _, err := tx.Exec(ctx, eventInserts[bits.Len(uint(n))-1], args...); err != nil {
			return err
		}
		i += n
	}
	for _, nc := range ncs {
		for _, p := range nc.c.Photos {
			if _, err := tx.Exec(ctx, "INSERT INTO case_photos(case_id, photo_id, stage, added_by, added_at) VALUES (?, ?, 'report', ?, ?) ON CONFLICT DO NOTHING", nc.c.ID, p, nc.actor.UserID, nc.at); err != nil {
				return err
			}
		}
	}
	return nil
}

// maxRowsPerInsert bounds one multi-row INSERT (64 × 24 parameters stays
// far below both databases' limits).
const maxRowsPerInsert = 64

// rowsPerInsert is the largest power of two ≤ n, up to maxRowsPerInsert.
func rowsPerInsert(n int) int {
	return min(maxRowsPerInsert, 1<<(bits.Len(uint(n))-1))
}

// caseInserts[k] and eventInserts[k] insert 1<<k rows.
var caseInserts, eventInserts = multiRowInserts("cases", caseInsertColumns, 25), multiRowInserts("case_events", eventInsertColumns, 12)

func multiRowInserts(table, columns string, n int) []string {
	one := "(?" + strings.Repeat(", ?", n-1) + ")"
	var out []string
	for rows := 1; rows <= maxRowsPerInsert; rows *= 2 {
		out = append(out, "INSERT INTO "+table+"("+columns+") VALUES "+one+strings.Repeat(", "+one, rows-1))
	}
	return out
}

var chinaTime = time.FixedZone("CST", 8*3600)

// duplicates finds open cases of the same subcategory within the radius and
// window; a bounding box in degrees narrows the search, the haversine
// distance decides.
func (s *Service) duplicates(ctx context.Context, tx *store.Tx, c Case) ([]Case, error) {
	dLat := s.cfg.DuplicateRadiusM / 111320
	dLng := dLat / math.Max(0.2, math.Cos(c.Lat*math.Pi/180))
	// Only the category and the box go to SQL, so the planner walks the
	// (category_code, lat, lng) index; stage and age are checked here on the
	// handful of rows in the box.
	rows, err := tx.Query(ctx, `SELECT id, status, reported_at FROM cases WHERE category_code = ? AND lat BETWEEN ? AND ? AND lng BETWEEN ? AND ?`,
		c.CategoryCode, c.Lat-dLat, c.Lat+dLat, c.Lng-dLng, c.Lng+dLng)
	if err != nil {
		return nil, err
	}
	since := store.FormatTime(c.ReportedAt.Add(-s.cfg.DuplicateWindow))
	var ids []string
	for rows.Next() {
		var id, status, at string
		if err := rows.Scan(&id, &status, &at); err != nil {
			rows.Close()
			return nil, err
		}
		if id != c.ID && Status(status).Open() && at >= since && len(ids) < 20 {
			ids = append(ids, id)
		}
	}
	rows.Close()
	var out []Case
	for _, id := range ids {
		d, err := s.get(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		if geo.DistanceMeters(geo.Point{Lng: c.Lng, Lat: c.Lat}, geo.Point{Lng: d.Lng, Lat: d.Lat}) <= s.cfg.DuplicateRadiusM {
			out = append(out, d)
		}
	}
	return out, nil
}

// followToken is derived from the case id with a keyed hash, so it can be
// given again on a retry without being stored; only its hash is in the row.
func (s *Service) followToken(caseID string) string {
	return s.keys.BlindIndex("follow", caseID)
}

// ValidMediaURL: an absolute http or https URL of at most 1,000 bytes.
func ValidMediaURL(s string) bool {
	if len(s) > 1000 || strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
