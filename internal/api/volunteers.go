package api

import (
	"bytes"
	"net/http"
	"strings"
	"time"

	"civicgrid/internal/certpdf"
	"civicgrid/internal/errs"
	"civicgrid/internal/i18n"
	"civicgrid/internal/ical"
	"civicgrid/internal/ledger"
	"civicgrid/internal/market"
	"civicgrid/internal/volunteer"
)

// Volunteers, activities and attendance.

// RegisterVolunteer registers a volunteer (oneself, or by staff for another account).
func (h *Handlers) RegisterVolunteer(w http.ResponseWriter, r *http.Request) {
	var in volunteer.NewVolunteer
	if err := decode(r, &in, 16<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusCreated)(h.Volunteers.Register(r.Context(), actor(r), in))
}

// ListVolunteers lists volunteers in scope.
func (h *Handlers) ListVolunteers(w http.ResponseWriter, r *http.Request) {
	limit, err := limitParam(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	path, err := h.regionPath(r, q.Get("region"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	vs, next, err := h.Volunteers.List(r.Context(), actor(r), volunteer.Filter{RegionPath: path, Skill: q.Get("skill"), After: q.Get("cursor"), Limit: limit})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[volunteer.Volunteer]{Items: vs, NextCursor: next})
}

// regionPath turns a region code parameter into its path ("" = the actor's scope).
func (h *Handlers) regionPath(r *http.Request, code string) (string, error) {
	if code == "" {
		return actor(r).RegionPath, nil
	}
	reg, ok := h.Regions.Lookup(code)
	if !ok {
		return "", errs.Field("region", "err.not_found")
	}
	return reg.Path, nil
}

// Volunteer returns one volunteer ("me" for oneself).
func (h *Handlers) Volunteer(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var v volunteer.Volunteer
	var err error
	if id == "me" {
		v, err = h.Volunteers.Mine(r.Context(), actor(r))
	} else {
		v, err = h.Volunteers.Get(r.Context(), actor(r), id)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, v)
}

// VolunteerRecord returns a volunteer's service record.
func (h *Handlers) VolunteerRecord(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if id == "me" {
		v, err := h.Volunteers.Mine(r.Context(), actor(r))
		if err != nil {
			h.fail(w, r, err)
			return
		}
		id = v.ID
	}
	h.respond(w, r, http.StatusOK)(h.Volunteers.Record(r.Context(), actor(r), id))
}

// IssueCertificate issues a certificate of service.
func (h *Handlers) IssueCertificate(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if id == "me" {
		v, err := h.Volunteers.Mine(r.Context(), actor(r))
		if err != nil {
			h.fail(w, r, err)
			return
		}
		id = v.ID
	}
	h.respond(w, r, http.StatusCreated)(h.Volunteers.IssueCertificate(r.Context(), actor(r), id))
}

// VerifyCertificate is the public check of a certificate.
func (h *Handlers) VerifyCertificate(w http.ResponseWriter, r *http.Request) {
	h.respond(w, r, http.StatusOK)(h.Volunteers.PublicCheck(r.Context(), r.PathValue("no")))
}

// ListTeams lists teams in a region subtree.
func (h *Handlers) ListTeams(w http.ResponseWriter, r *http.Request) {
	path, err := h.regionPath(r, r.URL.Query().Get("region"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ts, err := h.Volunteers.Teams(r.Context(), path)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[volunteer.Team]{Items: ts})
}

// CreateTeam registers a team.
func (h *Handlers) CreateTeam(w http.ResponseWriter, r *http.Request) {
	var in volunteer.NewTeam
	if err := decode(r, &in, 16<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusCreated)(h.Volunteers.CreateTeam(r.Context(), actor(r), in))
}

// NewBrand is the body of CreateBrand.
type NewBrand struct {
	RegionCode string `json:"region_code"`
	ParentID   string `json:"parent_id,omitempty"`
	Name       string `json:"name"`
}

// CreateBrand registers a county brand or sub-brand.
func (h *Handlers) CreateBrand(w http.ResponseWriter, r *http.Request) {
	var in NewBrand
	if err := decode(r, &in, 16<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusCreated)(h.Volunteers.CreateBrand(r.Context(), actor(r), in.RegionCode, in.ParentID, in.Name))
}

// ListBrands lists brands in a region subtree.
func (h *Handlers) ListBrands(w http.ResponseWriter, r *http.Request) {
	path, err := h.regionPath(r, r.URL.Query().Get("region"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	bs, err := h.Volunteers.Brands(r.Context(), path)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[volunteer.Brand]{Items: bs})
}

// TeamMember is the body of AddTeamMember.
type TeamMember struct {
	VolunteerID string `json:"volunteer_id"`
}

// AddTeamMember puts a volunteer in a team.
func (h *Handlers) AddTeamMember(w http.ResponseWriter, r *http.Request) {
	var in TeamMember
	if err := decode(r, &in, 4<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.Volunteers.AddMember(r.Context(), actor(r), r.PathValue("id"), in.VolunteerID); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// CreateProject registers a project.
func (h *Handlers) CreateProject(w http.ResponseWriter, r *http.Request) {
	var in volunteer.Project
	if err := decode(r, &in, 16<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusCreated)(h.Volunteers.CreateProject(r.Context(), actor(r), in))
}

// CreateActivity creates an activity.
func (h *Handlers) CreateActivity(w http.ResponseWriter, r *http.Request) {
	var in volunteer.NewActivity
	if err := decode(r, &in, 64<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusCreated)(h.Volunteers.CreateActivity(r.Context(), actor(r), in))
}

// activityFilter reads the public list's filters.
func (h *Handlers) activityFilter(r *http.Request) (volunteer.ActivityFilter, error) {
	q := r.URL.Query()
	f := volunteer.ActivityFilter{Domain: q.Get("domain"), OpenOnly: q.Get("open") == "1" || q.Get("open") == "true"}
	if code := q.Get("region"); code != "" {
		reg, ok := h.Regions.Lookup(code)
		if !ok {
			return f, errs.Field("region", "err.not_found")
		}
		f.RegionPath = reg.Path
	}
	var err error
	if f.From, err = timeParam(r, "from"); err != nil {
		return f, err
	}
	if f.From.IsZero() {
		f.From = time.Now().Add(-24 * time.Hour)
	}
	if f.To, err = timeParam(r, "to"); err != nil {
		return f, err
	}
	if f.Domain != "" && !contains(volunteer.Domains, f.Domain) {
		return f, errs.Field("domain", "err.volunteer.domain")
	}
	return f, nil
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// ListActivities lists activities (public).
func (h *Handlers) ListActivities(w http.ResponseWriter, r *http.Request) {
	f, err := h.activityFilter(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	as, err := h.Volunteers.Activities(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[volunteer.Activity]{Items: as})
}

// Activity returns one activity (public).
func (h *Handlers) Activity(w http.ResponseWriter, r *http.Request) {
	h.respond(w, r, http.StatusOK)(h.Volunteers.Activity(r.Context(), r.PathValue("id")))
}

// SignupRequest is the body of SignUp and Assign.
type SignupRequest struct {
	Skill       string `json:"skill"`
	VolunteerID string `json:"volunteer_id,omitempty"` // organiser assigning someone (id or volunteer number)
}

// SignUp signs the actor up (or, with volunteer_id, the organiser assigns).
func (h *Handlers) SignUp(w http.ResponseWriter, r *http.Request) {
	var in SignupRequest
	if err := decode(r, &in, 4<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	var g volunteer.Signup
	var err error
	if in.VolunteerID != "" {
		g, err = h.Volunteers.Assign(r.Context(), actor(r), r.PathValue("id"), in.VolunteerID, in.Skill)
	} else {
		g, err = h.Volunteers.SignUp(r.Context(), actor(r), r.PathValue("id"), in.Skill)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusCreated, g)
}

// Signups lists an activity's sign-ups for the organiser.
func (h *Handlers) Signups(w http.ResponseWriter, r *http.Request) {
	gs, err := h.Volunteers.Signups(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[volunteer.Signup]{Items: gs})
}

// MySignups lists the actor's sign-ups.
func (h *Handlers) MySignups(w http.ResponseWriter, r *http.Request) {
	gs, err := h.Volunteers.MySignups(r.Context(), actor(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[volunteer.Signup]{Items: gs})
}

// CancelRequest is the body of CancelSignup.
type CancelRequest struct {
	Note string `json:"note"`
}

// CancelSignup withdraws (or, by the organiser, rejects) a sign-up.
func (h *Handlers) CancelSignup(w http.ResponseWriter, r *http.Request) {
	var in CancelRequest
	if err := decode(r, &in, 4<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusOK)(h.Volunteers.Cancel(r.Context(), actor(r), r.PathValue("id"), in.Note))
}

// CheckCode is the activity's current check-in code.
type CheckCode struct {
	Code      string `json:"code"`
	URL       string `json:"url"`
	ExpiresIn int    `json:"expires_in"` // seconds
}

// ActivityCode returns the rotating code for the organiser's screen.
func (h *Handlers) ActivityCode(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	code, left, err := h.Volunteers.Code(r.Context(), actor(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, CheckCode{Code: code, URL: CheckinURL(r, id, code), ExpiresIn: int(left.Seconds())})
}

// CheckinURL is what the QR code holds: the volunteer's phone opens it.
func CheckinURL(r *http.Request, activityID, code string) string {
	return AbsURL(r, "/checkin/"+activityID+"?c="+code)
}

// CheckIn records arrival by QR.
func (h *Handlers) CheckIn(w http.ResponseWriter, r *http.Request) { h.attend(w, r, true) }

// CheckOut records departure by QR.
func (h *Handlers) CheckOut(w http.ResponseWriter, r *http.Request) { h.attend(w, r, false) }

func (h *Handlers) attend(w http.ResponseWriter, r *http.Request, in bool) {
	var sc volunteer.Scan
	if err := decode(r, &sc, 4<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	var g volunteer.Signup
	var err error
	if in {
		g, err = h.Volunteers.CheckIn(r.Context(), actor(r), r.PathValue("id"), sc)
	} else {
		g, err = h.Volunteers.CheckOut(r.Context(), actor(r), r.PathValue("id"), sc)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, g)
}

// MarkAttendance is the organiser's hand record.
func (h *Handlers) MarkAttendance(w http.ResponseWriter, r *http.Request) {
	var m volunteer.Mark
	if err := decode(r, &m, 4<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusOK)(h.Volunteers.MarkByHand(r.Context(), actor(r), r.PathValue("id"), m))
}

// ApproveRequest is the body of ApproveHours.
type ApproveRequest struct {
	SignupIDs    []string `json:"signup_ids,omitempty"` // empty: every checked-out sign-up
	PeopleServed *int64   `json:"people_served,omitempty"`
}

// Approved is the answer of ApproveHours.
type Approved struct {
	Approved int `json:"approved"`
}

// ApproveHours makes hours final and awards their points.
func (h *Handlers) ApproveHours(w http.ResponseWriter, r *http.Request) {
	var in ApproveRequest
	if err := decode(r, &in, 1<<20); err != nil {
		h.fail(w, r, err)
		return
	}
	id := r.PathValue("id")
	if in.PeopleServed != nil {
		if err := h.Volunteers.SetServed(r.Context(), actor(r), id, *in.PeopleServed); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	n, err := h.Volunteers.ApproveHours(r.Context(), actor(r), id, in.SignupIDs)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, Approved{Approved: n})
}

// Ledger.

// Wallet is an account with its pending holds.
type Wallet struct {
	ledger.Account
	Holds []ledger.Hold `json:"holds"`
}

// MyWallet returns the actor's wallet.
func (h *Handlers) MyWallet(w http.ResponseWriter, r *http.Request) {
	a, holds, err := h.Ledger.MyWallet(r.Context(), actor(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if holds == nil {
		holds = []ledger.Hold{}
	}
	WriteJSON(w, http.StatusOK, Wallet{Account: a, Holds: holds})
}

// LedgerAccount returns one account ("me" = one's wallet).
func (h *Handlers) LedgerAccount(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if id == "me" {
		h.MyWallet(w, r)
		return
	}
	a, holds, err := h.Ledger.Account(r.Context(), actor(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if holds == nil {
		holds = []ledger.Hold{}
	}
	WriteJSON(w, http.StatusOK, Wallet{Account: a, Holds: holds})
}

// LedgerAccounts lists accounts in a region subtree.
func (h *Handlers) LedgerAccounts(w http.ResponseWriter, r *http.Request) {
	limit, err := limitParam(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	path, err := h.regionPath(r, q.Get("region"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	as, next, err := h.Ledger.Accounts(r.Context(), actor(r), path, ledger.Kind(q.Get("kind")), q.Get("cursor"), limit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[ledger.Account]{Items: as, NextCursor: next})
}

// Movements lists an account's transfers, newest first.
func (h *Handlers) Movements(w http.ResponseWriter, r *http.Request) {
	limit, err := limitParam(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id := r.PathValue("id")
	if id == "me" {
		a, _, err := h.Ledger.MyWallet(r.Context(), actor(r))
		if err != nil {
			h.fail(w, r, err)
			return
		}
		id = a.ID
	}
	ms, next, err := h.Ledger.Movements(r.Context(), actor(r), id, r.URL.Query().Get("cursor"), limit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[ledger.Movement]{Items: ms, NextCursor: next})
}

// PostTransfer posts a manual transfer (award, gift, correction).
func (h *Handlers) PostTransfer(w http.ResponseWriter, r *http.Request) {
	var in ledger.NewTransfer
	if err := decode(r, &in, 8<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	if in.Key == "" {
		in.Key = strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	}
	t, replay, err := h.Ledger.Transfer(r.Context(), actor(r), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	status := http.StatusCreated
	if replay {
		status = http.StatusOK
	}
	WriteJSON(w, status, t)
}

// ReverseRequest is the body of ReverseTransfer.
type ReverseRequest struct {
	Memo string `json:"memo"`
}

// ReverseTransfer posts the reversal of a transfer.
func (h *Handlers) ReverseTransfer(w http.ResponseWriter, r *http.Request) {
	var in ReverseRequest
	if err := decode(r, &in, 4<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusCreated)(h.Ledger.Reverse(r.Context(), actor(r), r.PathValue("id"), in.Memo))
}

// IssuerAccount returns the issuing account of a region.
func (h *Handlers) IssuerAccount(w http.ResponseWriter, r *http.Request) {
	reg, ok := h.Regions.Lookup(r.PathValue("code"))
	if !ok {
		h.fail(w, r, errs.New(errs.NotFound, "err.not_found"))
		return
	}
	h.respond(w, r, http.StatusOK)(h.Ledger.IssuerAccount(r.Context(), actor(r), reg.Code, reg.Path))
}

// EarnRules lists the earning rules at a region.
func (h *Handlers) EarnRules(w http.ResponseWriter, r *http.Request) {
	reg, ok := h.Regions.Lookup(r.PathValue("code"))
	if !ok {
		h.fail(w, r, errs.New(errs.NotFound, "err.not_found"))
		return
	}
	rs, err := h.Ledger.Rules(r.Context(), actor(r), reg.Path)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if rs == nil {
		rs = []ledger.Rule{}
	}
	WriteJSON(w, http.StatusOK, Page[ledger.Rule]{Items: rs})
}

// SetEarnRule sets a region's rule for one source.
func (h *Handlers) SetEarnRule(w http.ResponseWriter, r *http.Request) {
	reg, ok := h.Regions.Lookup(r.PathValue("code"))
	if !ok {
		h.fail(w, r, errs.New(errs.NotFound, "err.not_found"))
		return
	}
	var in ledger.Rule
	if err := decode(r, &in, 4<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	in.RegionCode, in.RegionPath = reg.Code, reg.Path
	h.respond(w, r, http.StatusOK)(h.Ledger.SetRule(r.Context(), actor(r), in))
}

// Markets.

// NewMarket is the body of CreateMarket.
type NewMarket struct {
	RegionCode string `json:"region_code"`
	Name       string `json:"name"`
	Address    string `json:"address,omitempty"`
}

// CreateMarket opens a supermarket.
func (h *Handlers) CreateMarket(w http.ResponseWriter, r *http.Request) {
	var in NewMarket
	if err := decode(r, &in, 8<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusCreated)(h.Markets.Create(r.Context(), actor(r), in.RegionCode, in.Name, in.Address))
}

// ListMarkets lists supermarkets (public).
func (h *Handlers) ListMarkets(w http.ResponseWriter, r *http.Request) {
	path := ""
	if code := r.URL.Query().Get("region"); code != "" {
		reg, ok := h.Regions.Lookup(code)
		if !ok {
			h.fail(w, r, errs.Field("region", "err.not_found"))
			return
		}
		path = reg.Path
	}
	ms, err := h.Markets.List(r.Context(), path)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[market.Market]{Items: ms})
}

// Market returns a supermarket with catalogue and days (public).
func (h *Handlers) Market(w http.ResponseWriter, r *http.Request) {
	h.respond(w, r, http.StatusOK)(h.Markets.Get(r.Context(), r.PathValue("id")))
}

// SaveItem adds or changes a catalogue item.
func (h *Handlers) SaveItem(w http.ResponseWriter, r *http.Request) {
	var in market.Item
	if err := decode(r, &in, 8<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	in.MarketID = r.PathValue("id")
	if id := r.PathValue("item"); id != "" {
		in.ID = id
	}
	h.respond(w, r, http.StatusOK)(h.Markets.SaveItem(r.Context(), actor(r), in))
}

// AddMarketDay adds a redemption day.
func (h *Handlers) AddMarketDay(w http.ResponseWriter, r *http.Request) {
	var in market.Day
	if err := decode(r, &in, 4<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.Markets.AddDay(r.Context(), actor(r), r.PathValue("id"), in); err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, in)
}

// Keeper is the body of AddKeeper.
type Keeper struct {
	UserID string `json:"user_id"`
}

// AddKeeper appoints a keeper.
func (h *Handlers) AddKeeper(w http.ResponseWriter, r *http.Request) {
	var in Keeper
	if err := decode(r, &in, 4<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.Markets.AddKeeper(r.Context(), actor(r), r.PathValue("id"), in.UserID); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// PlaceOrder orders an item (online, or at the counter by a keeper).
func (h *Handlers) PlaceOrder(w http.ResponseWriter, r *http.Request) {
	var in market.NewOrder
	if err := decode(r, &in, 4<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	in.MarketID = r.PathValue("id")
	if in.Key == "" {
		in.Key = strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	}
	h.respond(w, r, http.StatusCreated)(h.Markets.Place(r.Context(), actor(r), in))
}

// MarketOrders lists a market's orders for its keepers.
func (h *Handlers) MarketOrders(w http.ResponseWriter, r *http.Request) {
	os, err := h.Markets.Orders(r.Context(), actor(r), r.PathValue("id"), r.URL.Query().Get("status"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[market.Order]{Items: os})
}

// MyOrders lists the actor's orders.
func (h *Handlers) MyOrders(w http.ResponseWriter, r *http.Request) {
	os, err := h.Markets.MyOrders(r.Context(), actor(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[market.Order]{Items: os})
}

// PickupOrder hands an order over.
func (h *Handlers) PickupOrder(w http.ResponseWriter, r *http.Request) {
	h.respond(w, r, http.StatusOK)(h.Markets.Pickup(r.Context(), actor(r), r.PathValue("id")))
}

// CancelOrder releases an order.
func (h *Handlers) CancelOrder(w http.ResponseWriter, r *http.Request) {
	h.respond(w, r, http.StatusOK)(h.Markets.Cancel(r.Context(), actor(r), r.PathValue("id")))
}

func init() {
	for name, v := range map[string]any{
		"Volunteer": volunteer.Volunteer{}, "NewVolunteer": volunteer.NewVolunteer{}, "Record": volunteer.Record{}, "Certificate": volunteer.Certificate{},
		"Team": volunteer.Team{}, "NewTeam": volunteer.NewTeam{}, "Brand": volunteer.Brand{}, "NewBrand": NewBrand{}, "TeamMember": TeamMember{},
		"Project": volunteer.Project{}, "Activity": volunteer.Activity{}, "NewActivity": volunteer.NewActivity{}, "Signup": volunteer.Signup{},
		"SignupRequest": SignupRequest{}, "CancelRequest": CancelRequest{}, "CheckCode": CheckCode{}, "Scan": volunteer.Scan{}, "Mark": volunteer.Mark{},
		"ApproveRequest": ApproveRequest{}, "Approved": Approved{},
		"Account": ledger.Account{}, "Wallet": Wallet{}, "Movement": ledger.Movement{}, "Transfer": ledger.Transfer{}, "NewTransfer": ledger.NewTransfer{},
		"ReverseRequest": ReverseRequest{}, "EarnRule": ledger.Rule{},
		"Market": market.Market{}, "NewMarket": NewMarket{}, "Item": market.Item{}, "MarketDay": market.Day{}, "Keeper": Keeper{},
		"Order": market.Order{}, "NewOrder": market.NewOrder{},
	} {
		schemas[name] = schemaOf(v)
	}
}

// AbsURL makes an absolute URL on this server for path.
func AbsURL(r *http.Request, path string) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}

// CertificatePDF renders an issued certificate as a PDF, with a QR code
// that opens its public check.
func (h *Handlers) CertificatePDF(w http.ResponseWriter, r *http.Request) {
	c, err := h.Volunteers.Certificate(r.Context(), actor(r), r.PathValue("no"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	doc := certpdf.Certificate{No: c.No, IssuedBy: c.IssuedBy, IssuedAt: c.IssuedAt, VolunteerNo: c.VolunteerNo, VolunteerName: c.Name,
		TotalMinutes: int(c.Minutes), VerifyURL: AbsURL(r, "/verify/"+c.No)}
	for _, e := range c.Entries {
		org := e.Team
		if org == "" {
			org = e.Organiser
		}
		doc.Activities = append(doc.Activities, certpdf.Activity{Title: e.Activity, Domain: h.Catalog.T(i18n.ZH, "domain."+e.Domain), Organiser: org, Date: e.StartsAt, Minutes: int(e.Minutes)})
	}
	var buf bytes.Buffer
	if err := certpdf.Render(&buf, doc); err != nil {
		h.fail(w, r, errs.Wrap(err, "render certificate"))
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="`+c.No+`.pdf"`)
	w.Header().Set("Cache-Control", "private, no-store")
	w.Write(buf.Bytes())
}

// CalendarICS is the public activity calendar as an iCalendar feed.
func (h *Handlers) CalendarICS(w http.ResponseWriter, r *http.Request) {
	f, err := h.activityFilter(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f.Limit = 1000
	as, err := h.Volunteers.Activities(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="activities.ics"`)
	cw, err := ical.NewWriter(w, "-//civicgrid//volunteer activities//ZH", h.Catalog.T(i18n.ZH, "vol.calendar_name"))
	if err != nil {
		return
	}
	for _, a := range as {
		status := "CONFIRMED"
		if a.Status == "cancelled" {
			status = "CANCELLED"
		}
		desc := a.Description
		if a.TeamName != "" {
			desc = a.TeamName + "\n" + desc
		}
		err := cw.Event(ical.Event{UID: a.ID + "@civicgrid", Start: a.StartsAt, End: a.EndsAt, Stamp: a.CreatedAt, Summary: a.Title,
			Description: strings.TrimSpace(desc), Location: a.Address, URL: AbsURL(r, "/activities/"+a.ID),
			Categories: []string{h.Catalog.T(i18n.ZH, "domain."+a.Domain)}, Lat: a.Lat, Lng: a.Lng, HasGeo: true, Status: status})
		if err != nil {
			return
		}
	}
	cw.Close()
}

// SkillLabels maps what people write for a skill, in either language or as
// its code, to the code.
func SkillLabels(cat *i18n.Catalog) map[string]string {
	m := map[string]string{}
	for _, k := range volunteer.Skills {
		m[k] = k
		for _, l := range []i18n.Lang{i18n.ZH, i18n.EN} {
			m[strings.ToLower(cat.T(l, "skill."+k))] = k
		}
	}
	return m
}

// ImportVolunteers registers a village's XLSX register, all or nothing.
func (h *Handlers) ImportVolunteers(w http.ResponseWriter, r *http.Request) {
	h.respond(w, r, http.StatusOK)(h.Volunteers.Import(r.Context(), actor(r), http.MaxBytesReader(w, r.Body, volunteer.MaxImportBytes), SkillLabels(h.Catalog)))
}

// ImportTemplate is the XLSX template for ImportVolunteers.
func (h *Handlers) ImportTemplate(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="volunteers-template.xlsx"`)
	if err := volunteer.Template(w); err != nil {
		h.fail(w, r, errs.Wrap(err, "template"))
	}
}

func init() { schemas["VolunteerImport"] = schemaOf(volunteer.ImportResult{}) }

// AddHonour records a training or commendation.
func (h *Handlers) AddHonour(w http.ResponseWriter, r *http.Request) {
	var in volunteer.Honour
	if err := decode(r, &in, 4<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusCreated)(h.Volunteers.AddHonour(r.Context(), actor(r), r.PathValue("id"), in))
}

func init() { schemas["Honour"] = schemaOf(volunteer.Honour{}) }

// RevealVolunteer shows one personal field of a volunteer in clear (name or
// phone, to reach them); the reveal is audited.
func (h *Handlers) RevealVolunteer(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Field  string `json:"field"`
		Reason string `json:"reason"`
	}
	if err := decode(r, &in, 4<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	v, err := h.Volunteers.Reveal(r.Context(), actor(r), r.PathValue("id"), in.Field)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, map[string]string{"field": in.Field, "value": v})
}
