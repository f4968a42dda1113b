// Package auth owns roles, permissions and region scope: who may do what,
// where. Domain services call Authorize before every read or write, so scope
// holds whichever door (web page, JSON API, CLI) a request came through.
package auth

import (
	"context"
	"strings"

	"civicgrid/internal/errs"
)

// Role is a user's job on the platform.
type Role string

const (
	CityAdmin      Role = "city_admin"
	Official       Role = "official"
	DeptHandler    Role = "dept_handler"
	GridLeader     Role = "grid_leader"
	GridWorker     Role = "grid_worker"
	PartTimeWorker Role = "parttime_worker"
	Volunteer      Role = "volunteer"
	Resident       Role = "resident"
	Auditor        Role = "auditor"
)

// Roles lists every role in rank order, highest first.
var Roles = []Role{CityAdmin, Official, DeptHandler, Auditor, GridLeader, GridWorker, PartTimeWorker, Volunteer, Resident}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Staff reports whether r works for the government side (scoped to a region).
func (r Role) Staff() bool {
	switch r {
	case Volunteer, Resident:
		return false
	}
	return r.Valid()
}

// Permission is one capability.
type Permission string

const (
	RegionRead       Permission = "region.read"
	RegionWrite      Permission = "region.write"
	AccountRead      Permission = "account.read"
	AccountWrite     Permission = "account.write"
	PersonRead       Permission = "person.read"   // masked personal data
	PersonWrite      Permission = "person.write"  // register residents
	PersonReveal     Permission = "person.reveal" // see one field unmasked, audited
	AuditRead        Permission = "audit.read"
	CaseReport       Permission = "case.report"       // file a report
	CaseRead         Permission = "case.read"         // see cases of the area
	CaseDispatch     Permission = "case.dispatch"     // accept, reject, dispatch, merge, decide postponements
	CaseHandle       Permission = "case.handle"       // handle, return, reply for one's unit
	CaseVerify       Permission = "case.verify"       // verify the reply on the spot
	VolunteerManage  Permission = "volunteer.manage"  // register volunteers, run teams and activities, approve hours
	PointsManage     Permission = "points.manage"     // earning rules, manual awards, reversals, all accounts of the area
	MarketManage     Permission = "market.manage"     // open points supermarkets, appoint keepers, stock catalogues
	PointsRead       Permission = "points.read"       // see the area's accounts and transfers (auditors)
	SuggestionEnter  Permission = "suggestion.enter"  // enter suggestions from boxes, report points and door-to-door talks; see the area's suggestions and figures
	SuggestionHandle Permission = "suggestion.handle" // assess, forward, decide, record measures and milestones, merge, split; register boxes, points, invited suggestion-makers, associations
	SurveyManage     Permission = "survey.manage"     // questionnaires, campaigns, quotas, results and exports
	Authenticated    Permission = "authenticated"     // any signed-in user
	Public           Permission = "public"            // no sign-in needed
)

// grants is the role → permission table. It is the whole policy; the scope
// matrix test enumerates it.
var grants = map[Role][]Permission{
	CityAdmin:      {RegionRead, RegionWrite, AccountRead, AccountWrite, PersonRead, PersonWrite, PersonReveal, AuditRead, CaseReport, CaseRead, CaseDispatch, CaseVerify, VolunteerManage, PointsManage, MarketManage, SurveyManage, SuggestionEnter, SuggestionHandle},
	Official:       {RegionRead, RegionWrite, AccountRead, AccountWrite, PersonRead, PersonWrite, PersonReveal, CaseReport, CaseRead, CaseDispatch, CaseVerify, VolunteerManage, PointsManage, MarketManage, SurveyManage, SuggestionEnter, SuggestionHandle},
	DeptHandler:    {RegionRead, PersonRead, CaseRead, CaseHandle},
	GridLeader:     {RegionRead, AccountRead, AccountWrite, PersonRead, PersonWrite, PersonReveal, CaseReport, CaseRead, CaseVerify, VolunteerManage, MarketManage, SuggestionEnter},
	GridWorker:     {RegionRead, PersonRead, PersonWrite, PersonReveal, CaseReport, CaseRead, CaseVerify, VolunteerManage, SuggestionEnter},
	PartTimeWorker: {RegionRead, CaseReport},
	Volunteer:      {RegionRead, CaseReport},
	Resident:       {RegionRead, CaseReport},
	Auditor:        {RegionRead, AccountRead, AuditRead, CaseRead, PointsRead},
}

// Has reports whether role r holds permission p (ignoring scope).
func (r Role) Has(p Permission) bool {
	if p == Public || p == Authenticated {
		return r.Valid()
	}
	for _, g := range grants[r] {
		if g == p {
			return true
		}
	}
	return false
}

// Permissions lists what r holds.
func (r Role) Permissions() []Permission { return append([]Permission(nil), grants[r]...) }

// CanAssign reports whether a user of role r may give role other to an
// account: only roles strictly below their own, except the city
// administrator, who may appoint anyone. Grid leaders appoint only the grid's
// own people.
func (r Role) CanAssign(other Role) bool {
	switch r {
	case CityAdmin:
		return other.Valid()
	case Official:
		return other != CityAdmin && other != Official && other != Auditor && other.Valid()
	case GridLeader:
		return other == GridWorker || other == PartTimeWorker || other == Volunteer || other == Resident
	}
	return false
}

// Actor is whoever makes a request: a signed-in user or an API token's owner.
type Actor struct {
	UserID     string
	Username   string
	Role       Role
	RegionCode string
	RegionPath string // materialised path of the scope root, e.g. "/371700/371722/"
	IP         string
	Via        string // "web", "api", "cli"
}

// System is the actor for work the platform does itself (demo load, CLI
// administration run by the operator on the server).
func System(via string) Actor {
	return Actor{UserID: "system", Username: "system", Role: CityAdmin, RegionPath: "/", Via: via}
}

// InScope reports whether regionPath lies in the actor's subtree (or is its root).
func (a Actor) InScope(regionPath string) bool {
	return a.RegionPath != "" && regionPath != "" && strings.HasPrefix(regionPath, a.RegionPath)
}

// Authorize is the one check every domain operation makes: the role must hold
// p, and the record must lie in the actor's region subtree.
func (a Actor) Authorize(p Permission, regionPath string) error {
	if a.UserID == "" {
		return errs.New(errs.Unauthorized, "err.unauthorized")
	}
	if !a.Role.Has(p) {
		return errs.New(errs.Forbidden, "err.forbidden")
	}
	if p == Authenticated || p == Public {
		return nil
	}
	if !a.InScope(regionPath) {
		return errs.New(errs.Forbidden, "err.out_of_scope")
	}
	return nil
}

type ctxKey struct{}

// WithActor stores a in ctx.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, ctxKey{}, a)
}

// FromContext returns the actor in ctx (zero Actor if none).
func FromContext(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(ctxKey{}).(Actor)
	return a, ok
}
