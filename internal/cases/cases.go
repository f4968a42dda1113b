// Package cases owns problem reports from every channel and their handling
// to the end: categories, the responsibility map, intake with idempotency and
// duplicate hints, the workflow 上报 → 立案 → 派遣 → 处置 → 反馈 → 核查 → 结案 →
// 评价 with its history, working-time deadlines, reminders and escalation,
// reporter reliability and the standard rates.
package cases

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"civicgrid/internal/errs"
	"civicgrid/internal/privacy"
	"civicgrid/internal/store"
)

// Status is the stage a case is in.
type Status string

const (
	Reported   Status = "reported"   // 上报
	Accepted   Status = "accepted"   // 立案
	Dispatched Status = "dispatched" // 派遣, the unit is handling it (处置)
	Replied    Status = "replied"    // 反馈, awaiting verification (核查)
	Closed     Status = "closed"     // 结案 (评价 happens on a closed case)
	Rejected   Status = "rejected"   // 不予立案
	Merged     Status = "merged"     // merged into another case
)

// Valid reports whether s is one of the stages.
func (s Status) Valid() bool { return s.Open() || s == Closed || s == Rejected || s == Merged }

// Open reports whether the case still needs work.
func (s Status) Open() bool { return s == Reported || s == Accepted || s == Dispatched || s == Replied }

// Channel is how a report came in.
type Channel string

const (
	ChannelWeb        Channel = "web"          // resident web/H5 page
	ChannelPatrol     Channel = "patrol"       // grid worker or leader on patrol
	ChannelQuick      Channel = "quick"        // part-time grid worker's one-screen report
	ChannelHotline    Channel = "hotline"      // operator on behalf of a caller
	ChannelOpinionBox Channel = "opinion_box"  // slip from an opinion box, entered by staff
	ChannelDoorToDoor Channel = "door_to_door" // "小板凳" talks, entered by staff
	ChannelOpen311    Channel = "open311"      // Open311 GeoReport v2 client
)

// Channels lists every channel.
// ViaOpen311 is the auth.Actor.Via of requests through the Open311 endpoint.
const ViaOpen311 = "open311"

var Channels = []Channel{ChannelWeb, ChannelPatrol, ChannelQuick, ChannelHotline, ChannelOpinionBox, ChannelDoorToDoor, ChannelOpen311}

// Case is a case as shown; the reporter's phone is masked.
type Case struct {
	ID              string    `json:"id"`
	No              string    `json:"no"`
	Channel         Channel   `json:"channel"`
	CategoryCode    string    `json:"category"`
	CategoryName    string    `json:"category_name"`
	Status          Status    `json:"status"`
	Priority        int       `json:"priority"`
	Description     string    `json:"description"`
	Address         string    `json:"address,omitempty"`
	MediaURL        string    `json:"media_url,omitempty"`
	Lng             float64   `json:"lng"`
	Lat             float64   `json:"lat"`
	GridCode        string    `json:"grid_code"`
	RegionPath      string    `json:"-"`
	ReporterID      string    `json:"reporter_id,omitempty"`
	ReporterRole    string    `json:"reporter_role,omitempty"`
	ReporterName    string    `json:"reporter_name,omitempty"`  // masked
	ReporterPhone   string    `json:"reporter_phone,omitempty"` // masked
	LeadUnitID      string    `json:"lead_unit_id,omitempty"`
	LeadUnitName    string    `json:"lead_unit_name,omitempty"`
	AssistUnits     []string  `json:"assist_unit_ids,omitempty"`
	MergedInto      string    `json:"merged_into,omitempty"`
	ReportedAt      time.Time `json:"reported_at"`
	AcceptedAt      time.Time `json:"accepted_at,omitzero"`
	DispatchedAt    time.Time `json:"dispatched_at,omitzero"`
	RepliedAt       time.Time `json:"replied_at,omitzero"`
	ClosedAt        time.Time `json:"closed_at,omitzero"`
	AcceptDue       time.Time `json:"accept_due,omitzero"`
	DispatchDue     time.Time `json:"dispatch_due,omitzero"`
	HandleDue       time.Time `json:"handle_due,omitzero"`
	VerifyDue       time.Time `json:"verify_due,omitzero"`
	Overdue         bool      `json:"overdue"`
	Escalated       bool      `json:"escalated"`
	PostponeDays    int       `json:"postpone_days,omitempty"`
	PostponePending bool      `json:"postpone_pending,omitempty"`
	ReworkCount     int       `json:"rework_count"`
	Reopened        bool      `json:"reopened"`
	Satisfaction    int       `json:"satisfaction,omitempty"`
	Version         int       `json:"version"`
	ClosedLate      bool      `json:"-"`
	HandleWorkMs    int64     `json:"-"`
	Photos          []string  `json:"photos,omitempty"`
}

// Due is the deadline of the stage the case is in (zero when none).
func (c *Case) Due() time.Time {
	switch c.Status {
	case Reported:
		return c.AcceptDue
	case Accepted:
		return c.DispatchDue
	case Dispatched:
		return c.HandleDue
	case Replied:
		return c.VerifyDue
	}
	return time.Time{}
}

// Event is one line of a case's history: who did what, when, with a note.
type Event struct {
	Seq        int       `json:"seq"`
	At         time.Time `json:"at"`
	ActorID    string    `json:"actor_id"`
	Actor      string    `json:"actor"`
	Role       string    `json:"role"`
	Action     string    `json:"action"`
	FromStatus Status    `json:"from"`
	ToStatus   Status    `json:"to"`
	UnitID     string    `json:"unit_id,omitempty"`
	Note       string    `json:"note,omitempty"`
	Data       string    `json:"data,omitempty"`
	Photos     []string  `json:"photos,omitempty"` // added in this step
}

// Calendar is the working-time calculator the deadlines use.
type Calendar interface {
	AddWorkdays(from time.Time, n int) time.Time
	AddWorkHours(from time.Time, d time.Duration) time.Time
	WorkBetween(a, b time.Time) time.Duration
}

// Config holds the deadline rules (Shandong hotline defaults) and the
// scheduler's timings.
type Config struct {
	AcceptHours      time.Duration // working hours to accept or reject a report
	DispatchHours    time.Duration // working hours from acceptance to dispatch
	VerifyDays       int           // working days to verify a reply
	ReturnDays       int           // working days after dispatch within which a unit may return a case
	MaxPostpone      int           // working days a postponement may add
	RemindBefore     time.Duration // remind the handler this much working time before a deadline (at most half the stage's)
	EscalateDays     int           // escalate (督办) at the end of this many working days after a deadline passed
	MaxReopen        int           // times a dissatisfied reporter may send a closed case back
	DuplicateRadiusM float64       // metres
	DuplicateWindow  time.Duration
}

// DefaultConfig follows the Shandong 12345 hotline rules: handling within
// the category's working days (5 by default), postponement up to 10 more,
// return within 2.
var DefaultConfig = Config{
	AcceptHours: 4 * time.Hour, DispatchHours: 4 * time.Hour, VerifyDays: 2, ReturnDays: 2, MaxPostpone: 10,
	RemindBefore: 4 * time.Hour, EscalateDays: 1, MaxReopen: 2, DuplicateRadiusM: 100, DuplicateWindow: 72 * time.Hour,
}

// Validate checks the settings a deployment may change (serve's flags),
// naming the first one out of range.
func (c Config) Validate() error {
	switch {
	case c.RemindBefore < 30*time.Minute || c.RemindBefore > 40*time.Hour:
		return fmt.Errorf("remind: %v working time before a deadline is out of range (30m–40h)", c.RemindBefore)
	case c.EscalateDays < 1 || c.EscalateDays > 10:
		return fmt.Errorf("escalate: %d working days after a deadline is out of range (1–10)", c.EscalateDays)
	case c.DuplicateRadiusM < 10 || c.DuplicateRadiusM > 2000:
		return fmt.Errorf("duplicate radius: %v m is out of range (10–2000)", c.DuplicateRadiusM)
	case c.DuplicateWindow < time.Hour || c.DuplicateWindow > 30*24*time.Hour:
		return fmt.Errorf("duplicate window: %v is out of range (1h–720h)", c.DuplicateWindow)
	}
	return nil
}

// Service is the case domain.
type Service struct {
	db      *store.DB
	regions Regions
	locate  Locator
	cal     Calendar
	keys    *privacy.Keys
	cfg     Config
	notify  func(caseID, regionPath string)
	batch   atomic.Pointer[batcher] // group commit for intake, when started
	cats    sync.Map                // code → Category: the taxonomy is read on every report and edited almost never
	// onAccept runs inside the transaction that accepts a case with a
	// known reporter (points for a valid report).
	onAccept    func(ctx context.Context, tx *store.Tx, c Case) error
	photoExists func(id string) bool
}

// OnAccept sets the hook run inside the accepting transaction of a case
// whose reporter has an account. Set it before serving.
func (s *Service) OnAccept(fn func(ctx context.Context, tx *store.Tx, c Case) error) { s.onAccept = fn }

// CheckPhotos makes filing and every step refuse photo ids the photo store
// does not hold (exists says whether it does), naming the one that is not.
func (s *Service) CheckPhotos(exists func(id string) bool) { s.photoExists = exists }

func (s *Service) checkPhotos(ids []string) error {
	if s.photoExists == nil {
		return nil
	}
	for i, id := range ids {
		if !s.photoExists(id) {
			return errs.Field(fmt.Sprintf("photos/%d", i), "err.cases.photo_unknown")
		}
	}
	return nil
}

// New wires the case domain. notify, if set, is called after every committed
// change to a case (live updates).
func New(db *store.DB, regions Regions, locate Locator, cal Calendar, keys *privacy.Keys, cfg Config, notify func(id, regionPath string)) *Service {
	if cfg.AcceptHours == 0 {
		cfg = DefaultConfig
	}
	if notify == nil {
		notify = func(string, string) {}
	}
	return &Service{db: db, regions: regions, locate: locate, cal: cal, keys: keys, cfg: cfg, notify: notify}
}
