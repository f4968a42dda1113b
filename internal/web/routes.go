package web

import (
	"net/http"

	"civicgrid/internal/api"
	"civicgrid/internal/auth"
	"civicgrid/internal/open311"
)

// route is one line of the routing table: method, path, the permission it
// needs, the handler and, for the JSON API, its OpenAPI description.
type route struct {
	method string
	path   string
	perm   auth.Permission
	h      http.HandlerFunc
	doc    *api.Op
}

var (
	pCursor = api.Param{Name: "cursor", Desc: "next_cursor of the previous page"}
	pLimit  = api.Param{Name: "limit", Type: "integer", Desc: "page size, 1–500"}
	pRegion = api.Param{Name: "region", Desc: "region code of the subtree (default: your scope)"}
)

// routes is the whole routing table. Every route names the permission it
// needs; the domain checks region scope again on every call.
func (s *Server) routes() []route {
	a := s.api
	return []route{
		// Operations.
		{"GET", "/healthz", auth.Public, s.healthz, nil},
		{"GET", "/metrics", auth.Public, s.metrics.handler().ServeHTTP, nil},
		{"GET", "/api/openapi.json", auth.Public, s.openAPI, nil},
		{"GET", "/favicon.ico", auth.Public, s.favicon, nil},

		// Pages.
		{"GET", "/{$}", auth.Authenticated, s.home, nil},
		{"GET", "/login", auth.Public, s.loginForm, nil},
		{"POST", "/login", auth.Public, s.login, nil},
		{"POST", "/logout", auth.Public, s.logout, nil},
		{"GET", "/lang/{lang}", auth.Public, s.setLang, nil},
		{"GET", "/regions", auth.RegionRead, s.regionsPage, nil},
		{"GET", "/regions/{code}", auth.RegionRead, s.regionPage, nil},
		{"GET", "/regions/{code}/map", auth.RegionRead, s.mapPage, nil},
		{"GET", "/regions/{code}/import", auth.RegionWrite, s.importForm, nil},
		{"GET", "/regions/{code}/responsibilities", auth.RegionRead, s.responsibilitiesPage, nil},
		{"POST", "/regions/{code}/responsibilities", auth.RegionWrite, s.setResponsibility, nil},
		{"POST", "/regions/{code}/import", auth.RegionWrite, s.importRegions, nil},
		{"GET", "/accounts", auth.AccountRead, s.accountsPage, nil},
		{"GET", "/accounts/new", auth.AccountWrite, s.accountForm, nil},
		{"POST", "/accounts", auth.AccountWrite, s.createAccount, nil},
		{"GET", "/accounts/{id}", auth.AccountRead, s.accountPage, nil},
		{"POST", "/accounts/{id}/status", auth.AccountWrite, s.accountStatus, nil},
		{"GET", "/people", auth.PersonRead, s.peoplePage, nil},
		{"POST", "/people/{id}/reveal", auth.PersonReveal, s.revealField, nil},
		{"GET", "/audit", auth.AuditRead, s.auditPage, nil},

		// Case pages. Reporting and following are open to people without an
		// account; on a case the domain decides who may take which step.
		{"GET", "/report", auth.Public, s.reportForm, nil},
		{"POST", "/report", auth.Public, s.fileReport, nil},
		{"GET", "/quick", auth.CaseReport, s.quickForm, nil},
		{"POST", "/quick", auth.CaseReport, s.fileQuick, nil},
		{"GET", "/follow/{no}", auth.Public, s.followPage, nil},
		{"POST", "/follow/{no}/rate", auth.Public, s.followRate, nil},
		{"GET", "/cases", auth.CaseRead, s.casesPage, nil},
		{"GET", "/cases/rates", auth.CaseRead, s.ratesPage, nil},
		{"GET", "/cases/mine", auth.CaseReport, s.myCases, nil},
		{"GET", "/alerts", auth.Authenticated, s.alertsPage, nil},
		{"GET", "/cases/map", auth.CaseRead, s.caseMapPage, nil},
		{"GET", "/cases/{id}", auth.Authenticated, s.casePage, nil},
		{"POST", "/cases/{id}/act/{action}", auth.Authenticated, s.caseAct, nil},

		// Volunteer, points and supermarket pages. Organiser and keeper
		// rights are decided in the domain.
		{"GET", "/activities", auth.Public, s.activitiesPage, nil},
		{"GET", "/activities/new", auth.Authenticated, s.activityForm, nil},
		{"POST", "/activities", auth.Authenticated, s.createActivity, nil},
		{"GET", "/activities/{id}", auth.Public, s.activityPage, nil},
		{"POST", "/activities/{id}/signup", auth.Authenticated, s.signupActivity, nil},
		{"GET", "/activities/{id}/manage", auth.Authenticated, s.manageActivity, nil},
		{"GET", "/activities/{id}/qr", auth.Authenticated, s.activityQR, nil},
		{"GET", "/activities/{id}/qr.png", auth.Authenticated, s.activityQRImage, nil},
		{"POST", "/activities/{id}/approve", auth.Authenticated, s.approveHours, nil},
		{"POST", "/signups/{id}/cancel", auth.Authenticated, s.cancelSignup, nil},
		{"POST", "/signups/{id}/attendance", auth.Authenticated, s.markSignup, nil},
		{"GET", "/checkin/{id}", auth.Authenticated, s.checkinPage, nil},
		{"POST", "/checkin/{id}", auth.Authenticated, s.checkin, nil},
		{"GET", "/volunteers", auth.VolunteerManage, s.volunteersPage, nil},
		{"POST", "/volunteers/import", auth.VolunteerManage, s.importVolunteers, nil},
		{"POST", "/volunteers/brands", auth.VolunteerManage, s.createBrand, nil},
		{"POST", "/volunteers/teams", auth.VolunteerManage, s.createTeam, nil},
		{"POST", "/volunteers/projects", auth.VolunteerManage, s.createProject, nil},
		{"GET", "/volunteer", auth.Authenticated, s.myVolunteer, nil},
		{"POST", "/volunteer", auth.Authenticated, s.registerVolunteer, nil},
		{"POST", "/volunteer/certificates", auth.Authenticated, s.issueCertificate, nil},
		{"GET", "/certificates/{no}/pdf", auth.Authenticated, a.CertificatePDF, nil},
		{"GET", "/verify/{no}", auth.Public, s.verifyPage, nil},
		{"GET", "/wallet", auth.Authenticated, s.walletPage, nil},
		{"GET", "/points/rules", auth.RegionRead, s.rulesPage, nil},
		{"POST", "/points/rules", auth.PointsManage, s.setRule, nil},
		{"GET", "/markets", auth.Authenticated, s.marketsPage, nil},
		{"GET", "/markets/{id}", auth.Authenticated, s.marketPage, nil},
		{"POST", "/markets/{id}/orders", auth.Authenticated, s.placeOrder, nil},
		{"POST", "/markets/{id}/items", auth.Authenticated, s.saveItem, nil},
		{"POST", "/markets/{id}/days", auth.Authenticated, s.addMarketDay, nil},
		{"POST", "/orders/{id}/{what}", auth.Authenticated, s.settleOrder, nil},

		// Campaigns and questionnaires: answering is open to everyone (named
		// questionnaires ask to sign in); results and exports are staff's.
		{"GET", "/campaigns", auth.Public, s.campaignsPage, nil},
		{"GET", "/campaigns/{id}", auth.Public, s.campaignPage, nil},
		{"GET", "/campaigns/{id}/qr.png", auth.Public, s.campaignQR, nil},
		{"GET", "/q/{id}", auth.Public, s.fillPage, nil},
		{"POST", "/q/{id}", auth.Public, s.fillStep, nil},
		{"GET", "/surveys", auth.SurveyManage, s.surveysPage, nil},
		{"POST", "/surveys/xlsform", auth.SurveyManage, s.importXLSForm, nil},
		{"POST", "/surveys/campaigns", auth.SurveyManage, s.createCampaign, nil},
		{"GET", "/surveys/{id}/results", auth.SurveyManage, s.resultsPage, nil},
		{"POST", "/surveys/{id}/action", auth.SurveyManage, s.surveyAction, nil},
		{"POST", "/surveys/{id}/exports", auth.SurveyManage, s.startExport, nil},
		{"GET", "/exports/{job}", auth.SurveyManage, s.exportPage, nil},

		// JSON API.
		{"GET", "/api/v1/me", auth.Authenticated, a.Me, &api.Op{Summary: "The signed-in user and their permissions", Tag: "accounts", Response: "Me"}},
		{"GET", "/api/v1/locate", auth.Public, a.Locate, &api.Op{Summary: "Resolve a point to its grid and the chain of regions above it", Tag: "regions", Public: true, Response: "Location",
			Params: []api.Param{{Name: "lat", Type: "number", Required: true}, {Name: "lng", Type: "number", Required: true}, {Name: "crs", Desc: "wgs84 (default, also CGCS2000) or gcj02"}}}},
		{"GET", "/api/v1/regions", auth.RegionRead, a.RegionRoots, &api.Op{Summary: "The regions at the top of your scope", Tag: "regions", Response: "Page:Region"}},
		{"GET", "/api/v1/regions/{code}", auth.RegionRead, a.Region, &api.Op{Summary: "One region with its chain and counts", Tag: "regions", Response: "Region"}},
		{"GET", "/api/v1/regions/{code}/children", auth.RegionRead, a.RegionChildren, &api.Op{Summary: "A region's children, a page at a time", Tag: "regions", Response: "Page:Region", Params: []api.Param{pCursor, pLimit}}},
		{"GET", "/api/v1/regions/{code}/grids.geojson", auth.RegionRead, a.Grids, &api.Op{Summary: "The grids under a region as a GeoJSON FeatureCollection", Tag: "regions", Response: "application/geo+json"}},
		{"GET", "/api/v1/regions/{code}/children.geojson", auth.RegionRead, a.ChildrenGeoJSON, &api.Op{Summary: "A region's children as a GeoJSON FeatureCollection", Tag: "regions", Response: "application/geo+json"}},
		{"POST", "/api/v1/regions/import", auth.RegionWrite, a.ImportRegions, &api.Op{Summary: "Import regions and boundaries from a GeoJSON FeatureCollection (all or nothing)", Tag: "regions",
			Body: "application/geo+json", Response: "ImportResult", Params: []api.Param{{Name: "crs", Desc: "wgs84 (default) or gcj02"}}}},
		{"GET", "/api/v1/accounts", auth.AccountRead, a.ListAccounts, &api.Op{Summary: "Accounts in your scope", Tag: "accounts", Response: "Page:User", Params: []api.Param{pRegion, {Name: "role"}, pCursor, pLimit}}},
		{"POST", "/api/v1/accounts", auth.AccountWrite, a.CreateAccount, &api.Op{Summary: "Create an account in your scope", Tag: "accounts", Body: "NewUser", Response: "User", Status: 201}},
		{"GET", "/api/v1/accounts/{id}", auth.AccountRead, a.Account, &api.Op{Summary: "One account", Tag: "accounts", Response: "User"}},
		{"PATCH", "/api/v1/accounts/{id}", auth.AccountWrite, a.UpdateAccount, &api.Op{Summary: "Enable, disable or reset the password of an account", Tag: "accounts", Body: "UserUpdate", Response: "User"}},
		{"POST", "/api/v1/accounts/{id}/tokens", auth.AccountWrite, a.CreateToken, &api.Op{Summary: "Issue an API token acting as the account", Tag: "accounts", Body: "TokenRequest", Response: "Token", Status: 201}},
		{"GET", "/api/v1/people", auth.PersonRead, a.ListPeople, &api.Op{Summary: "Residents in your scope (masked); or find by exact phone or ID number (audited)", Tag: "people", Response: "Page:Person",
			Params: []api.Param{pRegion, {Name: "phone"}, {Name: "id_number"}, pCursor, pLimit}}},
		{"POST", "/api/v1/people", auth.PersonWrite, a.CreatePerson, &api.Op{Summary: "Register a resident in a grid", Tag: "people", Body: "NewPerson", Response: "Person", Status: 201}},
		{"GET", "/api/v1/people/{id}", auth.PersonRead, a.Person, &api.Op{Summary: "One resident (masked)", Tag: "people", Response: "Person"}},
		{"POST", "/api/v1/people/{id}/reveal", auth.PersonReveal, a.RevealPerson, &api.Op{Summary: "Reveal one personal field in clear; writes an audit entry", Tag: "people", Body: "RevealRequest", Response: "Revealed"}},
		{"GET", "/api/v1/audit", auth.AuditRead, a.Audit, &api.Op{Summary: "Audit log entries about records in your scope, newest first", Tag: "audit", Response: "Page:AuditEntry",
			Params: []api.Param{{Name: "object_type"}, {Name: "object_id"}, pCursor, pLimit}}},

		// Cases. Filing and following are open to people without an
		// account; the domain decides per channel and per step who may act.
		{"GET", "/api/v1/case-categories", auth.Public, a.Categories, &api.Op{Summary: "The case category taxonomy (classes and subcategories)", Tag: "cases", Public: true, Response: "Page:Category"}},
		{"POST", "/api/v1/cases", auth.Public, a.FileCase, &api.Op{Summary: "File a report from any channel; a retry with the same idempotency key (body or Idempotency-Key header) returns the first case", Tag: "cases", Public: true, Body: "Report", Response: "Intake", Status: 201}},
		{"GET", "/api/v1/cases", auth.Authenticated, a.ListCases, &api.Op{Summary: "Work list of cases in your scope (or mine=1: the cases you reported)", Tag: "cases", Response: "Page:Case",
			Params: []api.Param{pRegion, {Name: "status", Desc: "comma-separated stages"}, {Name: "category"}, {Name: "channel"}, {Name: "unit"}, {Name: "overdue", Type: "boolean"}, {Name: "postpone_pending", Type: "boolean", Desc: "only cases whose postponement awaits a decision"}, {Name: "mine", Type: "boolean"}, {Name: "from", Desc: "date or RFC 3339"}, {Name: "to"}, pCursor, pLimit}}},
		{"GET", "/api/v1/cases/{id}", auth.Authenticated, a.Case, &api.Op{Summary: "One case with its full history", Tag: "cases", Response: "CaseView"}},
		{"POST", "/api/v1/cases/{id}/{action}", auth.Public, a.CaseAction, &api.Op{Summary: "A workflow step: accept, reject, dispatch, reassign, return, postpone_request, postpone_approve, postpone_deny, reply, verify_pass, verify_fail, rate, merge, supervise. Every step needs sign-in except rate, which a reporter without an account makes with the X-Follow-Token header", Tag: "cases", Public: true, Body: "CaseInput", Response: "Case"}},
		{"GET", "/api/v1/follow/{no}", auth.Public, a.FollowCase, &api.Op{Summary: "A case for its reporter without an account (token given at filing)", Tag: "cases", Public: true, Response: "CaseView", Params: []api.Param{{Name: "token", Required: true}}}},
		{"GET", "/api/v1/cases/export.csv", auth.CaseRead, a.ExportCSV, &api.Op{Summary: "Export matching cases as CSV (streamed)", Tag: "cases", Response: "text/csv", Params: []api.Param{pRegion, {Name: "status"}, {Name: "category"}, {Name: "channel"}, {Name: "from"}, {Name: "to"}}}},
		{"GET", "/api/v1/cases/export.xlsx", auth.CaseRead, a.ExportXLSX, &api.Op{Summary: "Export matching cases as an Excel workbook (streamed)", Tag: "cases", Response: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Params: []api.Param{pRegion, {Name: "status"}, {Name: "category"}, {Name: "channel"}, {Name: "from"}, {Name: "to"}}}},
		{"GET", "/api/v1/cases/map.geojson", auth.CaseRead, a.CaseMap, &api.Op{Summary: "Open cases clustered by the regions one level below (GeoJSON points with counts)", Tag: "cases", Response: "application/geo+json", Params: []api.Param{pRegion, {Name: "level"}}}},
		{"GET", "/api/v1/cases/{id}/events", auth.Authenticated, a.CaseEvents, &api.Op{Summary: "Server-Sent Events: changes to one case", Tag: "cases", Response: "text/event-stream"}},
		{"GET", "/api/v1/events", auth.CaseRead, a.Events, &api.Op{Summary: "Server-Sent Events: changes to cases in your scope", Tag: "cases", Response: "text/event-stream"}},
		{"GET", "/api/v1/follow/{no}/events", auth.Public, a.FollowEvents, &api.Op{Summary: "Server-Sent Events: changes to a followed case", Tag: "cases", Public: true, Response: "text/event-stream", Params: []api.Param{{Name: "token", Required: true}}}},
		{"GET", "/api/v1/follow/{no}/photos/{id}", auth.Public, a.FollowPhoto, &api.Op{Summary: "A photo of a followed case, for its reporter without an account", Tag: "cases", Public: true, Response: "image/jpeg", Params: []api.Param{{Name: "token", Required: true}}}},
		{"GET", "/api/v1/follow/{no}/photos/{id}/thumb", auth.Public, a.FollowPhoto, &api.Op{Summary: "The thumbnail of a photo of a followed case", Tag: "cases", Public: true, Response: "image/jpeg", Params: []api.Param{{Name: "token", Required: true}}}},
		// Reminders and the other steps a handler or dispatcher must hear of.
		{"GET", "/api/v1/alerts", auth.Authenticated, a.ListAlerts, &api.Op{Summary: "The viewer's alerts of the last 30 days (reminders, overdue marks, escalations, cases sent to their unit, returns and postponements waiting for them), newest first, and how many are new", Tag: "cases", Response: "Alerts", Params: []api.Param{pLimit}}},
		{"POST", "/api/v1/alerts/seen", auth.Authenticated, a.AlertsSeen, &api.Op{Summary: "Mark the viewer's alerts seen, up to the newest one shown (or now)", Tag: "cases", Body: "AlertsSeenRequest", Status: 204}},
		// The official holiday calendar deadlines count with.
		{"GET", "/api/v1/holidays", auth.Authenticated, a.ListHolidays, &api.Op{Summary: "One year's official holidays and make-up working days, and which years the calendar covers", Tag: "cases", Response: "HolidayYear", Params: []api.Param{{Name: "year", Type: "integer", Desc: "this year by default"}}}},
		{"PUT", "/api/v1/holidays/{year}", auth.Authenticated, a.ImportHolidays, &api.Op{Summary: "Replace one year with the State Council's notice in holiday-cn JSON form (city administrators)", Tag: "cases", Body: "application/json", Response: "HolidayImport"}},
		{"POST", "/api/v1/photos", auth.Public, a.UploadPhoto, &api.Op{Summary: "Upload a photo (JPEG, PNG or WebP; metadata and location removed; thumbnail made)", Tag: "cases", Public: true, Body: "multipart/form-data", Response: "Photo", Status: 201}},
		{"GET", "/api/v1/photos/{id}/thumb", auth.Authenticated, a.PhotoThumb, &api.Op{Summary: "The thumbnail of a stored photo", Tag: "cases", Response: "image/jpeg"}},
		{"GET", "/api/v1/photos/{id}", auth.Authenticated, a.Photo, &api.Op{Summary: "A stored photo or thumbnail", Tag: "cases", Response: "image/jpeg"}},
		{"GET", "/api/v1/case-rates", auth.CaseRead, a.CaseRates, &api.Op{Summary: "Response, on-time, resolution, satisfaction and rework rates for a region and period", Tag: "cases", Response: "Rates", Params: []api.Param{pRegion, {Name: "from", Desc: "date or RFC 3339; default 30 days before to"}, {Name: "to", Desc: "exclusive; default the end of today (Beijing time)"}}}},
		{"GET", "/api/v1/reporters/{id}/reliability", auth.Authenticated, a.Reliability, &api.Op{Summary: "A reporter's filed, accepted, rejected and duplicate reports (id 'me' for yourself)", Tag: "cases", Response: "Reliability"}},
		{"GET", "/api/v1/units", auth.RegionRead, a.Units, &api.Op{Summary: "Units (departments, centres) in your scope", Tag: "cases", Response: "Page:Unit", Params: []api.Param{pRegion}}},
		{"POST", "/api/v1/units", auth.RegionWrite, a.CreateUnit, &api.Op{Summary: "Register a unit in a region", Tag: "cases", Body: "NewUnit", Response: "Unit", Status: 201}},
		{"GET", "/api/v1/regions/{code}/responsibilities", auth.RegionRead, a.Responsibilities, &api.Op{Summary: "The region's own entries of the responsibility map", Tag: "cases", Response: "Page:Responsibility"}},
		{"PUT", "/api/v1/regions/{code}/responsibilities", auth.RegionWrite, a.SetResponsibility, &api.Op{Summary: "Map a category (subcategory, class or '*') in the region to a unit", Tag: "cases", Body: "Responsibility", Response: "Responsibility"}},

		// Volunteers: registry, teams, activities, attendance, records.
		// Scope and organiser rights are checked in the domain.
		{"POST", "/api/v1/volunteers", auth.Authenticated, a.RegisterVolunteer, &api.Op{Summary: "Register as a volunteer (or, with volunteer.manage, register another account)", Tag: "volunteers", Body: "NewVolunteer", Response: "Volunteer", Status: 201}},
		{"POST", "/api/v1/volunteers/import", auth.VolunteerManage, a.ImportVolunteers, &api.Op{Summary: "Register volunteers from an XLSX register (姓名, 手机号, 身份证号, 专业技能, 网格编码): all or nothing, every bad row reported", Tag: "volunteers",
			Body: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Response: "VolunteerImport"}},
		{"GET", "/api/v1/volunteers/import-template.xlsx", auth.VolunteerManage, a.ImportTemplate, &api.Op{Summary: "The XLSX template for the volunteer import", Tag: "volunteers", Response: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}},
		{"GET", "/api/v1/volunteers", auth.VolunteerManage, a.ListVolunteers, &api.Op{Summary: "Volunteers in your scope (masked)", Tag: "volunteers", Response: "Page:Volunteer", Params: []api.Param{pRegion, {Name: "skill"}, pCursor, pLimit}}},
		{"GET", "/api/v1/volunteers/{id}", auth.Authenticated, a.Volunteer, &api.Op{Summary: "One volunteer with approved minutes ('me' for yourself)", Tag: "volunteers", Response: "Volunteer"}},
		{"GET", "/api/v1/volunteers/{id}/record", auth.Authenticated, a.VolunteerRecord, &api.Op{Summary: "A volunteer's service record: every approved service and its hours", Tag: "volunteers", Response: "Record"}},
		{"POST", "/api/v1/volunteers/{id}/reveal", auth.PersonReveal, a.RevealVolunteer, &api.Op{Summary: "Reveal a volunteer's name or phone in clear; writes an audit entry", Tag: "volunteers", Body: "RevealRequest", Response: "Revealed"}},
		{"POST", "/api/v1/volunteers/{id}/honours", auth.VolunteerManage, a.AddHonour, &api.Op{Summary: "Record a training or commendation in a volunteer's service record", Tag: "volunteers", Body: "Honour", Response: "Honour", Status: 201}},
		{"POST", "/api/v1/volunteers/{id}/certificates", auth.Authenticated, a.IssueCertificate, &api.Op{Summary: "Issue a certificate of service (志愿服务记录证明)", Tag: "volunteers", Response: "Certificate", Status: 201}},
		{"GET", "/api/v1/certificates/{no}/pdf", auth.Authenticated, a.CertificatePDF, &api.Op{Summary: "A certificate as PDF, with a QR code for its public check", Tag: "volunteers", Response: "application/pdf"}},
		{"GET", "/api/v1/certificates/{no}", auth.Public, a.VerifyCertificate, &api.Op{Summary: "Public check of a certificate (name masked; valid when the record still holds it)", Tag: "volunteers", Public: true, Response: "Certificate"}},
		{"GET", "/api/v1/brands", auth.RegionRead, a.ListBrands, &api.Op{Summary: "Volunteer brands and sub-brands", Tag: "volunteers", Response: "Page:Brand", Params: []api.Param{pRegion}}},
		{"POST", "/api/v1/brands", auth.VolunteerManage, a.CreateBrand, &api.Op{Summary: "Register a county brand or sub-brand", Tag: "volunteers", Body: "NewBrand", Response: "Brand", Status: 201}},
		{"GET", "/api/v1/teams", auth.Authenticated, a.ListTeams, &api.Op{Summary: "Volunteer teams under a region", Tag: "volunteers", Response: "Page:Team", Params: []api.Param{pRegion}}},
		{"POST", "/api/v1/teams", auth.VolunteerManage, a.CreateTeam, &api.Op{Summary: "Register a team with its leader", Tag: "volunteers", Body: "NewTeam", Response: "Team", Status: 201}},
		{"POST", "/api/v1/teams/{id}/members", auth.Authenticated, a.AddTeamMember, &api.Op{Summary: "Add a volunteer to a team (its leader or staff)", Tag: "volunteers", Body: "TeamMember", Status: 204}},
		{"POST", "/api/v1/projects", auth.Authenticated, a.CreateProject, &api.Op{Summary: "Register a project grouping activities", Tag: "volunteers", Body: "Project", Response: "Project", Status: 201}},
		{"GET", "/api/v1/activities", auth.Public, a.ListActivities, &api.Op{Summary: "Activities by start time (public calendar)", Tag: "volunteers", Public: true, Response: "Page:Activity",
			Params: []api.Param{{Name: "region"}, {Name: "domain", Desc: "livelihood, culture, ecology, safety or industry"}, {Name: "from"}, {Name: "to"}, {Name: "open", Type: "boolean"}}}},
		{"GET", "/api/v1/activities.ics", auth.Public, a.CalendarICS, &api.Op{Summary: "The activity calendar as an iCalendar feed", Tag: "volunteers", Public: true, Response: "text/calendar",
			Params: []api.Param{{Name: "region"}, {Name: "domain"}, {Name: "from"}, {Name: "to"}}}},
		{"POST", "/api/v1/activities", auth.Authenticated, a.CreateActivity, &api.Op{Summary: "Create an activity (team leaders for their team, staff in scope)", Tag: "volunteers", Body: "NewActivity", Response: "Activity", Status: 201}},
		{"GET", "/api/v1/activities/{id}", auth.Public, a.Activity, &api.Op{Summary: "One activity with its quotas and places taken", Tag: "volunteers", Public: true, Response: "Activity"}},
		{"POST", "/api/v1/activities/{id}/signups", auth.Authenticated, a.SignUp, &api.Op{Summary: "Sign up (or, as organiser, assign a volunteer); beyond the quota you wait", Tag: "volunteers", Body: "SignupRequest", Response: "Signup", Status: 201}},
		{"GET", "/api/v1/activities/{id}/signups", auth.Authenticated, a.Signups, &api.Op{Summary: "An activity's sign-ups and attendance (organiser)", Tag: "volunteers", Response: "Page:Signup"}},
		{"GET", "/api/v1/activities/{id}/code", auth.Authenticated, a.ActivityCode, &api.Op{Summary: "The rotating check-in code and the URL its QR holds (organiser)", Tag: "volunteers", Response: "CheckCode"}},
		{"POST", "/api/v1/activities/{id}/checkin", auth.Authenticated, a.CheckIn, &api.Op{Summary: "Check in with the current code, near the place, in the time window", Tag: "volunteers", Body: "Scan", Response: "Signup"}},
		{"POST", "/api/v1/activities/{id}/checkout", auth.Authenticated, a.CheckOut, &api.Op{Summary: "Check out; minutes are counted inside the activity's window", Tag: "volunteers", Body: "Scan", Response: "Signup"}},
		{"POST", "/api/v1/activities/{id}/approve", auth.Authenticated, a.ApproveHours, &api.Op{Summary: "Approve hours (all checked-out, or the listed sign-ups); points are awarded", Tag: "volunteers", Body: "ApproveRequest", Response: "Approved"}},
		{"GET", "/api/v1/signups", auth.Authenticated, a.MySignups, &api.Op{Summary: "Your sign-ups", Tag: "volunteers", Response: "Page:Signup"}},
		{"POST", "/api/v1/signups/{id}/cancel", auth.Authenticated, a.CancelSignup, &api.Op{Summary: "Withdraw a sign-up (the organiser: reject it); the next in line moves up", Tag: "volunteers", Body: "CancelRequest", Response: "Signup"}},
		{"POST", "/api/v1/signups/{id}/attendance", auth.Authenticated, a.MarkAttendance, &api.Op{Summary: "Organiser's hand record: arrival, departure or no-show, with a reason", Tag: "volunteers", Body: "Mark", Response: "Signup"}},

		// Points ledger.
		{"GET", "/api/v1/wallet", auth.Authenticated, a.MyWallet, &api.Op{Summary: "Your wallet: balance, held and available points, pending holds", Tag: "points", Response: "Wallet"}},
		{"GET", "/api/v1/ledger/accounts", auth.Authenticated, a.LedgerAccounts, &api.Op{Summary: "Ledger accounts under a region (points managers, auditors)", Tag: "points", Response: "Page:Account", Params: []api.Param{pRegion, {Name: "kind", Desc: "issuer, wallet, store or expiry"}, pCursor, pLimit}}},
		{"GET", "/api/v1/ledger/accounts/{id}", auth.Authenticated, a.LedgerAccount, &api.Op{Summary: "One account with its holds ('me' for your wallet)", Tag: "points", Response: "Wallet"}},
		{"GET", "/api/v1/ledger/accounts/{id}/movements", auth.Authenticated, a.Movements, &api.Op{Summary: "Every movement of an account with its reason, newest first", Tag: "points", Response: "Page:Movement", Params: []api.Param{pCursor, pLimit}}},
		{"POST", "/api/v1/ledger/transfers", auth.Authenticated, a.PostTransfer, &api.Op{Summary: "Post a manual transfer (award, correction, gift); the same idempotency key returns the first transfer (200), with other content 409", Tag: "points", Body: "NewTransfer", Response: "Transfer", Status: 201}},
		{"POST", "/api/v1/ledger/transfers/{id}/reverse", auth.PointsManage, a.ReverseTransfer, &api.Op{Summary: "Reverse a transfer with a reason (once)", Tag: "points", Body: "ReverseRequest", Response: "Transfer", Status: 201}},
		{"GET", "/api/v1/regions/{code}/issuer", auth.PointsManage, a.IssuerAccount, &api.Op{Summary: "The region's issuing account (opened on first use)", Tag: "points", Response: "Account"}},
		{"GET", "/api/v1/regions/{code}/earn-rules", auth.RegionRead, a.EarnRules, &api.Op{Summary: "Earning rules set in the region's subtree and those above that apply there", Tag: "points", Response: "Page:EarnRule"}},
		{"PUT", "/api/v1/regions/{code}/earn-rules", auth.PointsManage, a.SetEarnRule, &api.Op{Summary: "Set the region's points per hour, report, meeting or survey, and the daily cap", Tag: "points", Body: "EarnRule", Response: "EarnRule"}},

		// Points supermarkets.
		{"GET", "/api/v1/markets", auth.Public, a.ListMarkets, &api.Op{Summary: "Points supermarkets", Tag: "markets", Public: true, Response: "Page:Market", Params: []api.Param{{Name: "region"}}}},
		{"POST", "/api/v1/markets", auth.MarketManage, a.CreateMarket, &api.Op{Summary: "Open a supermarket in a village or community", Tag: "markets", Body: "NewMarket", Response: "Market", Status: 201}},
		{"GET", "/api/v1/markets/{id}", auth.Public, a.Market, &api.Op{Summary: "A supermarket with its catalogue and coming redemption days", Tag: "markets", Public: true, Response: "Market"}},
		{"POST", "/api/v1/markets/{id}/items", auth.Authenticated, a.SaveItem, &api.Op{Summary: "Add a good or service to the catalogue (keepers)", Tag: "markets", Body: "Item", Response: "Item"}},
		{"PUT", "/api/v1/markets/{id}/items/{item}", auth.Authenticated, a.SaveItem, &api.Op{Summary: "Change an item's price, stock or state (keepers)", Tag: "markets", Body: "Item", Response: "Item"}},
		{"POST", "/api/v1/markets/{id}/days", auth.Authenticated, a.AddMarketDay, &api.Op{Summary: "Add a redemption day (keepers)", Tag: "markets", Body: "MarketDay", Response: "MarketDay"}},
		{"POST", "/api/v1/markets/{id}/keepers", auth.MarketManage, a.AddKeeper, &api.Op{Summary: "Appoint a keeper", Tag: "markets", Body: "Keeper", Status: 204}},
		{"POST", "/api/v1/markets/{id}/orders", auth.Authenticated, a.PlaceOrder, &api.Op{Summary: "Order an item: points are held and stock reserved until the redemption day (keepers: buyer_user_id for a counter sale, handed over at once)", Tag: "markets", Body: "NewOrder", Response: "Order", Status: 201}},
		{"GET", "/api/v1/markets/{id}/orders", auth.Authenticated, a.MarketOrders, &api.Op{Summary: "A supermarket's orders (keepers)", Tag: "markets", Response: "Page:Order", Params: []api.Param{{Name: "status"}}}},
		{"GET", "/api/v1/orders", auth.Authenticated, a.MyOrders, &api.Op{Summary: "Your orders", Tag: "markets", Response: "Page:Order"}},
		{"POST", "/api/v1/orders/{id}/pickup", auth.Authenticated, a.PickupOrder, &api.Op{Summary: "Hand an order over: the held points move to the supermarket (keepers)", Tag: "markets", Response: "Order"}},
		{"POST", "/api/v1/orders/{id}/cancel", auth.Authenticated, a.CancelOrder, &api.Op{Summary: "Cancel an order: points and stock are released (the buyer, or a keeper for a no-show)", Tag: "markets", Response: "Order"}},

		// People's suggestions (人民建议征集). Filing and following are open
		// to people without an account; the domain decides per channel who
		// may file and per step who may act (the office with
		// suggestion.handle, or the unit a suggestion was forwarded to).
		{"GET", "/suggest", auth.Public, s.suggestForm, nil},
		{"POST", "/suggest", auth.Public, s.fileSuggestion, nil},
		{"GET", "/suggest/follow/{no}", auth.Public, s.suggestFollowPage, nil},
		{"POST", "/suggest/lookup", auth.Public, s.suggestLookup, nil},
		{"GET", "/suggestions", auth.Authenticated, s.suggestionsPage, nil},
		{"GET", "/suggestions/new", auth.SuggestionEnter, s.suggestionEntryForm, nil},
		{"POST", "/suggestions/new", auth.SuggestionEnter, s.enterSuggestion, nil},
		{"GET", "/suggestions/figures", auth.SuggestionEnter, s.suggestionFiguresPage, nil},
		{"GET", "/suggestions/channels", auth.SuggestionEnter, s.suggestionChannelsPage, nil},
		{"POST", "/suggestions/channels/{kind}", auth.SuggestionHandle, s.createSuggestionChannel, nil},
		{"GET", "/suggestions/boxes/{code}/poster", auth.SuggestionEnter, s.boxPoster, nil},
		{"GET", "/suggestions/boxes/{code}/qr.png", auth.Public, s.boxQR, nil},
		{"GET", "/suggestions/{id}", auth.Authenticated, s.suggestionPage, nil},
		{"POST", "/suggestions/{id}/act/{action}", auth.Authenticated, s.suggestionAct, nil},
		{"POST", "/api/v1/suggestions", auth.Public, a.FileSuggestion, &api.Op{Summary: "File a suggestion from any channel (online, a box's QR form or paper slip, a report point, an invited maker, an association, door-to-door, a campaign); a retry with the same idempotency key (body or Idempotency-Key header) returns the first (200)", Tag: "suggestions", Public: true, Body: "NewSuggestion", Response: "SuggestionFiled", Status: 201}},
		{"GET", "/api/v1/suggestions", auth.Authenticated, a.ListSuggestions, &api.Op{Summary: "Suggestions in your scope (a unit's handler: those forwarded to the unit; anyone else, or mine=1: your own), newest first", Tag: "suggestions", Response: "Page:Suggestion",
			Params: []api.Param{pRegion, {Name: "status", Desc: "comma-separated statuses"}, {Name: "channel"}, {Name: "topic"}, {Name: "point"}, {Name: "maker"}, {Name: "association"}, {Name: "unit"}, {Name: "mine", Type: "boolean"}, {Name: "q", Desc: "number or words of the title"}, {Name: "from", Desc: "date or RFC 3339"}, {Name: "to", Desc: "a date includes that day"}, pCursor, pLimit}}},
		{"GET", "/api/v1/suggestions/figures", auth.SuggestionEnter, a.SuggestionFigures, &api.Op{Summary: "Conversion figures (received, assessed, relevant, adopted, implemented; rate = adopted / relevant) in total, by channel, by child region, by topic, by invited maker and by association", Tag: "suggestions", Response: "SuggestionFigures",
			Params: []api.Param{pRegion, {Name: "from", Desc: "date or RFC 3339"}, {Name: "to", Desc: "a date includes that day"}}}},
		{"GET", "/api/v1/suggestions/follow/{no}", auth.Public, a.FollowSuggestion, &api.Op{Summary: "A suggestion for its author without an account: its trail, its outcome (the target's when merged) and milestones", Tag: "suggestions", Public: true, Response: "SuggestionView",
			Params: []api.Param{{Name: "token", Desc: "the follow token given at filing"}, {Name: "phone", Desc: "or the phone the author left"}}}},
		{"GET", "/api/v1/suggestions/{id}", auth.Authenticated, a.Suggestion, &api.Op{Summary: "One suggestion with its trail, milestones and lineage (merged from, merged into, split from, split into)", Tag: "suggestions", Response: "SuggestionView"}},
		{"POST", "/api/v1/suggestions/{id}/merge", auth.SuggestionHandle, a.MergeSuggestions, &api.Op{Summary: "Merge suggestions (ids or numbers) into this one: each keeps its author and channel and takes this one's outcome", Tag: "suggestions", Body: "MergeRequest", Response: "SuggestionView"}},
		{"POST", "/api/v1/suggestions/{id}/split", auth.SuggestionHandle, a.SplitSuggestion, &api.Op{Summary: "Split a suggestion into two or more that keep its author and channel", Tag: "suggestions", Body: "SplitRequest", Response: "SuggestionView"}},
		{"POST", "/api/v1/suggestions/{id}/{action}", auth.Authenticated, a.SuggestionAction, &api.Op{Summary: "A step: assess (relevant=false: irrelevant, with a reason), forward, adopt, not_adopt, implement, milestone", Tag: "suggestions", Body: "SuggestionInput", Response: "SuggestionView"}},
		{"GET", "/api/v1/suggestion-points", auth.SuggestionEnter, a.SuggestionPoints, &api.Op{Summary: "Direct report points and opinion boxes", Tag: "suggestions", Response: "Page:SuggestionPoint", Params: []api.Param{pRegion, {Name: "kind", Desc: "box or report_point"}}}},
		{"POST", "/api/v1/suggestion-points", auth.SuggestionHandle, a.CreateSuggestionPoint, &api.Op{Summary: "Register a report point or an opinion box (code made up when not given)", Tag: "suggestions", Body: "SuggestionPoint", Response: "SuggestionPoint", Status: 201}},
		{"GET", "/api/v1/suggestion-points/{code}", auth.Public, a.SuggestionPoint, &api.Op{Summary: "A box or report point by the code on its poster", Tag: "suggestions", Public: true, Response: "PublicPoint"}},
		{"GET", "/api/v1/suggestion-makers", auth.SuggestionEnter, a.SuggestionMakers, &api.Op{Summary: "Invited suggestion-makers", Tag: "suggestions", Response: "Page:SuggestionMaker", Params: []api.Param{pRegion}}},
		{"POST", "/api/v1/suggestion-makers", auth.SuggestionHandle, a.CreateSuggestionMaker, &api.Op{Summary: "Register an invited suggestion-maker (optionally linked to their account)", Tag: "suggestions", Body: "SuggestionMaker", Response: "SuggestionMaker", Status: 201}},
		{"GET", "/api/v1/associations", auth.SuggestionEnter, a.Associations, &api.Op{Summary: "Industry associations and chambers of commerce", Tag: "suggestions", Response: "Page:Association", Params: []api.Param{pRegion}}},
		{"POST", "/api/v1/associations", auth.SuggestionHandle, a.CreateAssociation, &api.Op{Summary: "Register an association (optionally linked to the account it files with)", Tag: "suggestions", Body: "Association", Response: "Association", Status: 201}},

		// Questionnaires and campaigns. Open questionnaires are answered
		// without an account (anonymous mode) or signed in (named mode).
		{"GET", "/api/v1/questionnaires", auth.SurveyManage, a.Questionnaires, &api.Op{Summary: "Questionnaires in your scope", Tag: "surveys", Response: "Page:Questionnaire", Params: []api.Param{pRegion}}},
		{"POST", "/api/v1/questionnaires", auth.SurveyManage, a.CreateQuestionnaire, &api.Op{Summary: "Create a questionnaire from its JSON schema (a draft until opened)", Tag: "surveys", Body: "NewQuestionnaire", Response: "Questionnaire", Status: 201}},
		{"POST", "/api/v1/questionnaires/xlsform", auth.SurveyManage, a.ImportXLSForm, &api.Op{Summary: "Create a questionnaire from an XLSForm workbook (survey, choices, settings sheets); what cannot be expressed is reported by sheet and row", Tag: "surveys",
			Body: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Response: "Questionnaire", Status: 201,
			Params: []api.Param{{Name: "title"}, {Name: "mode", Desc: "anonymous (default) or named"}, {Name: "region", Desc: "region code the questionnaire belongs to (default: yours)"}}}},
		{"GET", "/api/v1/questionnaires/{id}/xlsform", auth.Public, a.QuestionnaireXLSForm, &api.Op{Summary: "A questionnaire as an XLSForm workbook (open ones are public)", Tag: "surveys", Public: true, Response: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}},
		{"GET", "/api/v1/questionnaires/{id}", auth.Public, a.Questionnaire, &api.Op{Summary: "One questionnaire with its schema (open ones are public)", Tag: "surveys", Public: true, Response: "Questionnaire"}},
		{"PUT", "/api/v1/questionnaires/{id}/schema", auth.SurveyManage, a.ReplaceSchema, &api.Op{Summary: "Replace a draft's schema (not once answered)", Tag: "surveys", Body: "Schema", Response: "Questionnaire"}},
		{"POST", "/api/v1/questionnaires/{id}/status", auth.SurveyManage, a.SetQuestionnaireStatus, &api.Op{Summary: "Open, close or return to draft", Tag: "surveys", Body: "StatusRequest", Response: "Questionnaire"}},
		{"PUT", "/api/v1/questionnaires/{id}/quotas", auth.SurveyManage, a.SetQuota, &api.Op{Summary: "Cap the responses from a region subtree (0 removes the cap)", Tag: "surveys", Body: "QuotaRequest", Response: "Questionnaire"}},
		{"POST", "/api/v1/questionnaires/{id}/responses", auth.Public, a.SubmitResponse, &api.Op{Summary: "Submit a response: checked against skip logic, types and constraints, counted against quotas; the same idempotency key is stored once (200)", Tag: "surveys", Public: true, Body: "Submission", Response: "Receipt", Status: 201}},
		{"GET", "/api/v1/questionnaires/{id}/results", auth.SurveyManage, a.SurveyResults, &api.Op{Summary: "Counts per question and choice, numbers' mean and range", Tag: "surveys", Response: "Results", Params: []api.Param{pRegion, {Name: "from"}, {Name: "to"}}}},
		{"GET", "/api/v1/questionnaires/{id}/crosstab", auth.SurveyManage, a.SurveyCross, &api.Op{Summary: "Cross-tabulate two choice questions", Tag: "surveys", Response: "Crosstab", Params: []api.Param{{Name: "a", Required: true}, {Name: "b", Required: true}, pRegion, {Name: "from"}, {Name: "to"}}}},
		{"GET", "/api/v1/questionnaires/{id}/responses.csv", auth.SurveyManage, a.ResponsesCSV, &api.Op{Summary: "All matching responses as CSV (streamed)", Tag: "surveys", Response: "text/csv", Params: []api.Param{pRegion, {Name: "from"}, {Name: "to"}}}},
		{"GET", "/api/v1/questionnaires/{id}/responses.xlsx", auth.SurveyManage, a.ResponsesXLSX, &api.Op{Summary: "All matching responses as an Excel workbook (streamed)", Tag: "surveys", Response: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Params: []api.Param{pRegion, {Name: "from"}, {Name: "to"}}}},
		{"POST", "/api/v1/questionnaires/{id}/exports", auth.SurveyManage, a.StartExport, &api.Op{Summary: "Start a background export (csv or xlsx) whose progress can be followed", Tag: "surveys", Body: "ExportRequest", Response: "ExportJob", Status: 202, Params: []api.Param{pRegion, {Name: "from"}, {Name: "to"}}}},
		{"GET", "/api/v1/exports/{job}", auth.SurveyManage, a.ExportJob, &api.Op{Summary: "An export's progress", Tag: "surveys", Response: "ExportJob"}},
		{"GET", "/api/v1/exports/{job}/file", auth.SurveyManage, a.ExportFile, &api.Op{Summary: "Download a finished export", Tag: "surveys", Response: "application/octet-stream"}},
		{"GET", "/api/v1/campaigns", auth.Public, a.Campaigns, &api.Op{Summary: "Thematic campaigns (all=1: drafts too, for their managers)", Tag: "surveys", Public: true, Response: "Page:Campaign", Params: []api.Param{{Name: "all", Type: "boolean"}}}},
		{"POST", "/api/v1/campaigns", auth.SurveyManage, a.CreateCampaign, &api.Op{Summary: "Create a campaign: topic, period, regions, questionnaire and/or open call", Tag: "surveys", Body: "Campaign", Response: "Campaign", Status: 201}},
		{"GET", "/api/v1/campaigns/{id}", auth.Public, a.Campaign, &api.Op{Summary: "One campaign", Tag: "surveys", Public: true, Response: "Campaign"}},
		{"POST", "/api/v1/campaigns/{id}/status", auth.SurveyManage, a.SetCampaignStatus, &api.Op{Summary: "Open or close a campaign (and its questionnaire)", Tag: "surveys", Body: "StatusRequest", Response: "Campaign"}},
	}
}

// buildMux registers the table on a ServeMux, with static assets beside it.
func (s *Server) buildMux() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.method+" "+rt.path, s.guard(rt))
	}
	mux.Handle("GET /static/", s.assets.Handler())
	// Open311 GeoReport v2 checks its own api_key, per the standard.
	mux.Handle(open311.Prefix, open311.New(open311.Config{Jurisdiction: "heze.gov.cn", FindAddress: s.regions.FindAddress}, s.cases, s.accounts, s.cat))
	mux.HandleFunc("/", s.notFound)
	// Cross-origin state-changing requests from browsers are refused before
	// any handler runs (Sec-Fetch-Site / Origin); the CSRF token backs it up.
	cop := http.NewCrossOriginProtection()
	return s.outer(cop.Handler(mux))
}
