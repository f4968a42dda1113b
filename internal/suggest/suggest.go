// Package suggest owns people's suggestions (人民建议征集): the channels they
// come through as objects (direct report points, opinion boxes, invited
// suggestion-makers, associations, door-to-door talks, the online column),
// the life of a suggestion from receipt to the measure it became, merging
// and splitting with the lineage kept, the author's follow page, and the
// conversion figures.
package suggest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/privacy"
	"civicgrid/internal/region"
	"civicgrid/internal/store"

	"github.com/oklog/ulid/v2"
)

// Channels a suggestion comes through.
const (
	Online      = "online"       // the online column, by the author
	ReportPoint = "report_point" // 直报点, entered by its keeper
	Box         = "box"          // 社情民意箱: a paper slip entered by the collector, or the box's QR form
	Invited     = "invited"      // 特邀建议人
	Door        = "door"         // door-to-door talks, entered by the grid worker
	Association = "association"  // 行业协会商会 on behalf of members
	Campaign    = "campaign"     // a thematic campaign's open call
)

// Channels lists every channel in display order.
var Channels = []string{Online, Box, ReportPoint, Invited, Door, Association, Campaign}

// Statuses of a suggestion.
const (
	Received    = "received"
	Assessed    = "assessed"
	Irrelevant  = "irrelevant"
	Forwarded   = "forwarded"
	Adopted     = "adopted"
	NotAdopted  = "not_adopted"
	Implemented = "implemented"
	Merged      = "merged"
	Split       = "split"
)

// Statuses lists every status in the order of a suggestion's life.
var Statuses = []string{Received, Assessed, Irrelevant, Forwarded, Adopted, NotAdopted, Implemented, Merged, Split}

// Suggestion is a suggestion as staff see it: the author's name and phone
// masked. Public views (the follow page) drop the author entirely.
type Suggestion struct {
	ID              string     `json:"id"`
	No              string     `json:"no"`
	Channel         string     `json:"channel"`
	PointID         string     `json:"point_id,omitempty"`
	PointName       string     `json:"point_name,omitempty"`
	MakerID         string     `json:"maker_id,omitempty"`
	MakerName       string     `json:"maker_name,omitempty"`
	AssociationID   string     `json:"association_id,omitempty"`
	AssociationName string     `json:"association_name,omitempty"`
	CampaignID      string     `json:"campaign_id,omitempty"`
	Title           string     `json:"title"`
	Body            string     `json:"body"`
	Topic           string     `json:"topic,omitempty"`
	RegionCode      string     `json:"region_code"`
	RegionName      string     `json:"region_name"`
	RegionPath      string     `json:"-"`
	AuthorName      string     `json:"author_name,omitempty"`  // masked
	AuthorPhone     string     `json:"author_phone,omitempty"` // masked
	AuthorUserID    string     `json:"-"`
	Anonymous       bool       `json:"anonymous"`
	Status          string     `json:"status"`
	UnitID          string     `json:"unit_id,omitempty"`
	UnitName        string     `json:"unit_name,omitempty"`
	Decision        string     `json:"decision,omitempty"`
	Reason          string     `json:"reason,omitempty"`
	Measure         string     `json:"measure,omitempty"`
	MeasureURL      string     `json:"measure_url,omitempty"`
	Progress        int        `json:"progress"`
	MergedInto      string     `json:"merged_into,omitempty"`
	SplitFrom       string     `json:"split_from,omitempty"`
	CollectedAt     string     `json:"collected_at,omitempty"` // date the slip was taken from the box
	SlipPhotoID     string     `json:"slip_photo_id,omitempty"`
	EnteredBy       string     `json:"entered_by,omitempty"`
	ReceivedAt      time.Time  `json:"received_at"`
	AssessedAt      *time.Time `json:"assessed_at,omitempty"`
	ForwardedAt     *time.Time `json:"forwarded_at,omitempty"`
	DecidedAt       *time.Time `json:"decided_at,omitempty"`
	ImplementedAt   *time.Time `json:"implemented_at,omitempty"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

// Public is the suggestion without anything about its author, for the
// follow page and the follow API.
func (s Suggestion) Public() Suggestion {
	s.AuthorName, s.AuthorPhone, s.EnteredBy, s.SlipPhotoID = "", "", "", ""
	return s
}

// NewSuggestion is the input to File.
type NewSuggestion struct {
	Channel        string `json:"channel"` // default online
	PointID        string `json:"point_id,omitempty"`
	PointCode      string `json:"point_code,omitempty"` // the box's code from its QR poster, instead of point_id
	MakerID        string `json:"maker_id,omitempty"`
	AssociationID  string `json:"association_id,omitempty"`
	CampaignID     string `json:"campaign_id,omitempty"`
	Title          string `json:"title"`
	Body           string `json:"body"`
	Topic          string `json:"topic,omitempty"`
	RegionCode     string `json:"region_code,omitempty"` // taken from the point, maker or association when empty
	Anonymous      bool   `json:"anonymous,omitempty"`
	AuthorName     string `json:"author_name,omitempty"`
	AuthorPhone    string `json:"author_phone,omitempty"` // to follow by number and phone
	CollectedAt    string `json:"collected_at,omitempty"` // YYYY-MM-DD, paper slips
	SlipPhotoID    string `json:"slip_photo_id,omitempty"`
	IdempotencyKey string `json:"idempotency_key,omitempty"`
}

// Validate normalises and checks the input on its own; File checks it
// against the channels and the actor.
func (n *NewSuggestion) Validate() error {
	n.Title, n.Body, n.Topic = strings.TrimSpace(n.Title), strings.TrimSpace(n.Body), strings.TrimSpace(n.Topic)
	n.AuthorName, n.AuthorPhone = strings.TrimSpace(n.AuthorName), strings.TrimSpace(n.AuthorPhone)
	n.CollectedAt, n.CampaignID = strings.TrimSpace(n.CollectedAt), strings.TrimSpace(n.CampaignID)
	if n.Channel == "" {
		n.Channel = Online
	}
	switch {
	case !slices.Contains(Channels, n.Channel):
		return errs.Field("channel", "err.invalid")
	case n.Title == "":
		return errs.Field("title", "err.required")
	case utf8.RuneCountInString(n.Title) > 80:
		return errs.Field("title", "err.too_long", 80)
	case n.Body == "":
		return errs.Field("body", "err.required")
	case utf8.RuneCountInString(n.Body) > 5000:
		return errs.Field("body", "err.too_long", 5000)
	case utf8.RuneCountInString(n.Topic) > 30:
		return errs.Field("topic", "err.too_long", 30)
	case utf8.RuneCountInString(n.AuthorName) > 50:
		return errs.Field("author_name", "err.too_long", 50)
	case len(n.CampaignID) > 64:
		return errs.Field("campaign_id", "err.too_long", 64)
	case len(n.IdempotencyKey) > 100:
		return errs.Field("idempotency_key", "err.too_long", 100)
	case n.Channel == Campaign && n.CampaignID == "":
		return errs.Field("campaign_id", "err.required")
	}
	if n.Anonymous {
		n.AuthorName = ""
	}
	if n.AuthorPhone != "" {
		p, err := privacy.NormalizePhone(n.AuthorPhone)
		if err != nil {
			var fe *privacy.FieldError
			if errors.As(err, &fe) {
				return errs.Literal("author_phone", errs.Text{ZH: fe.Msg, EN: fe.MsgEN})
			}
			return errs.Field("author_phone", "err.invalid")
		}
		n.AuthorPhone = p
	}
	if n.CollectedAt != "" {
		if _, err := time.Parse("2006-01-02", n.CollectedAt); err != nil {
			return errs.Field("collected_at", "err.suggest.date")
		}
	}
	return nil
}

// Regions is what the package needs of the region tree.
type Regions interface {
	Lookup(code string) (region.Info, bool)
}

// Service is the suggestions domain.
type Service struct {
	db      *store.DB
	keys    *privacy.Keys
	regions Regions
}

// New wires the service.
func New(db *store.DB, keys *privacy.Keys, regions Regions) *Service {
	return &Service{db: db, keys: keys, regions: regions}
}

func aad(col, id string) string { return "suggestions." + col + ":" + id }

// FollowToken is derived from the suggestion's id with a keyed hash, so a
// retry can hand it out again; only its hash is stored.
func (s *Service) followToken(id string) string { return s.keys.BlindIndex("suggest.follow", id)[:24] }

func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

var beijing = time.FixedZone("CST", 8*3600)

// newNo makes a suggestion number: JY, the Beijing date and five random
// base32 characters, e.g. JY20260501-K4M2Q. Short enough to read out on
// the phone, random so numbers cannot be walked.
func newNo(now time.Time) string {
	var b [4]byte
	rand.Read(b[:])
	return "JY" + now.In(beijing).Format("20060102") + "-" + base32.StdEncoding.EncodeToString(b[:])[:5]
}

// Filed is the answer to File: the suggestion, and for its author the
// token that opens its follow page (shown once, given again on a retry).
type Filed struct {
	Suggestion  Suggestion `json:"suggestion"`
	FollowToken string     `json:"follow_token"`
	Replayed    bool       `json:"replayed,omitempty"`
}

// File records a suggestion. Anyone may file through the online column, a
// box's QR form or a campaign call; slips from boxes, report points and
// door-to-door talks are entered by staff with suggestion.enter; invited
// suggestion-makers and associations file as themselves when their account
// is linked, or staff enter for them.
func (s *Service) File(ctx context.Context, actor auth.Actor, in NewSuggestion) (Filed, error) {
	if err := in.Validate(); err != nil {
		return Filed{}, err
	}
	var out Filed
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		var key any
		if in.IdempotencyKey != "" {
			k := "anon:" + in.IdempotencyKey
			if actor.UserID != "" {
				k = actor.UserID + ":" + in.IdempotencyKey
			}
			key = k
			var id string
			err := tx.QueryRow(ctx, "SELECT id FROM suggestions WHERE idempotency_key = ?", k).Scan(&id)
			if err == nil {
				sg, err := s.get(ctx, tx, id)
				out = Filed{Suggestion: sg, FollowToken: s.followToken(id), Replayed: true}
				return err
			} else if !errs.Is(err, errs.NotFound) {
				return err
			}
		}
		info, entered, err := s.resolve(ctx, tx, actor, &in)
		if err != nil {
			return err
		}
		id := ulid.Make().String()
		name, e1 := s.keys.Seal(in.AuthorName, aad("name", id))
		phone, e2 := s.keys.Seal(in.AuthorPhone, aad("phone", id))
		if err := errors.Join(e1, e2); err != nil {
			return errs.Wrap(err, "seal")
		}
		phoneHash := ""
		if in.AuthorPhone != "" {
			phoneHash = s.keys.BlindIndex("phone", in.AuthorPhone)
		}
		author, enteredBy := "", ""
		if entered {
			enteredBy = actor.UserID
		} else if actor.UserID != "" && actor.UserID != "system" && !in.Anonymous {
			author = actor.UserID
		}
		token := s.followToken(id)
		no := newNo(tx.Now())
		_, err = tx.Exec(ctx, `INSERT INTO suggestions (id, no, channel, point_id, maker_id, association_id, campaign_id, title, body, topic, region_code, region_path,
			author_user_id, author_name_enc, author_phone_enc, author_phone_hash, anonymous, follow_token_hash, idempotency_key, status,
			collected_at, slip_photo_id, entered_by, received_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, no, in.Channel, in.PointID, in.MakerID, in.AssociationID, in.CampaignID, in.Title, in.Body, in.Topic, info.Code, info.Path,
			author, name, phone, phoneHash, boolInt(in.Anonymous), hashToken(token), key, Received,
			in.CollectedAt, in.SlipPhotoID, enteredBy, tx.NowText(), tx.NowText())
		if err != nil {
			return err
		}
		note := ""
		if in.CollectedAt != "" {
			note = in.CollectedAt
		}
		if err := addEvent(ctx, tx, id, actor, "received", note, ""); err != nil {
			return err
		}
		sg, err := s.get(ctx, tx, id)
		out = Filed{Suggestion: sg, FollowToken: token}
		return err
	})
	return out, err
}

// resolve checks the channel's object and who may file through it, and
// finds the suggestion's region. entered says staff entered it for
// somebody else (a slip, a talk), so the actor is not its author.
func (s *Service) resolve(ctx context.Context, tx *store.Tx, actor auth.Actor, in *NewSuggestion) (region.Info, bool, error) {
	var regionCode string
	entered := false
	enter := func(path string) error {
		entered = true
		return actor.Authorize(auth.SuggestionEnter, path)
	}
	switch in.Channel {
	case Box, ReportPoint:
		var p Point
		var err error
		if in.PointID == "" && in.PointCode != "" {
			p, err = pointBy(ctx, tx, "code", strings.ToUpper(strings.TrimSpace(in.PointCode)))
		} else {
			p, err = pointBy(ctx, tx, "id", in.PointID)
		}
		if err != nil || p.Kind != in.Channel || !p.Active {
			return region.Info{}, false, errs.Field("point_id", "err.suggest.point")
		}
		in.PointID, regionCode = p.ID, p.RegionCode
		// A box's QR form is filled in by the author; a slip from the box or
		// a suggestion given at a report point is entered by staff.
		if in.Channel == ReportPoint || in.CollectedAt != "" || in.SlipPhotoID != "" {
			if err := enter(p.RegionPath); err != nil {
				return region.Info{}, false, err
			}
			if in.Channel == Box && in.CollectedAt == "" {
				return region.Info{}, false, errs.Field("collected_at", "err.required")
			}
		}
	case Invited:
		m, err := makerByID(ctx, tx, in.MakerID)
		if err != nil {
			return region.Info{}, false, errs.Field("maker_id", "err.suggest.maker")
		}
		regionCode = m.RegionCode
		if m.UserID == "" || m.UserID != actor.UserID {
			if err := enter(m.RegionPath); err != nil {
				return region.Info{}, false, err
			}
		}
		in.Anonymous = false
		if in.AuthorName == "" {
			in.AuthorName = m.Name
		}
	case Association:
		a, err := associationByID(ctx, tx, in.AssociationID)
		if err != nil {
			return region.Info{}, false, errs.Field("association_id", "err.suggest.association")
		}
		regionCode = a.RegionCode
		if a.UserID == "" || a.UserID != actor.UserID {
			if err := enter(a.RegionPath); err != nil {
				return region.Info{}, false, err
			}
		}
		in.Anonymous = false
		if in.AuthorName == "" {
			in.AuthorName = a.Name
		}
	case Door:
		regionCode = in.RegionCode
		info, ok := s.regions.Lookup(regionCode)
		if !ok {
			return region.Info{}, false, errs.Field("region_code", "err.region.not_found", regionCode)
		}
		if err := enter(info.Path); err != nil {
			return region.Info{}, false, err
		}
	default:
		regionCode = in.RegionCode
	}
	if in.Channel != Box && in.Channel != ReportPoint {
		in.PointID = ""
	}
	if in.Channel != Invited {
		in.MakerID = ""
	}
	if in.Channel != Association {
		in.AssociationID = ""
	}
	if regionCode == "" {
		return region.Info{}, false, errs.Field("region_code", "err.required")
	}
	info, ok := s.regions.Lookup(regionCode)
	if !ok {
		return region.Info{}, false, errs.Field("region_code", "err.region.not_found", regionCode)
	}
	return info, entered, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Event is one step in a suggestion's trail.
type Event struct {
	Action string    `json:"action"`
	Note   string    `json:"note,omitempty"`
	RefID  string    `json:"ref_id,omitempty"`
	RefNo  string    `json:"ref_no,omitempty"`
	Role   string    `json:"role,omitempty"`
	At     time.Time `json:"at"`
}

func addEvent(ctx context.Context, tx *store.Tx, id string, actor auth.Actor, action, note, ref string) error {
	_, err := tx.Exec(ctx, `INSERT INTO suggestion_events (id, suggestion_id, action, actor_id, actor_role, note, ref_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		ulid.Make().String(), id, action, actor.UserID, string(actor.Role), note, ref, tx.NowText())
	return err
}
