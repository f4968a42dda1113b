package open311

import (
	"context"
	"errors"
	"math"
	"mime"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"civicgrid/internal/cases"
	"civicgrid/internal/errs"
	"civicgrid/internal/i18n"
	"civicgrid/internal/region"
)

const (
	maxForm     = 64 << 10 // bytes of a POST body
	maxRequests = 1000     // requests in one GET requests answer (the spec's default limit)
	maxIDs      = 100      // service_request_id values in one GET requests
	maxCodes    = 100      // service_code values in one GET requests
	maxSpan     = 90 * 24 * time.Hour
	pageSize    = 500 // the case list's largest page
)

var (
	openStatuses   = []cases.Status{cases.Reported, cases.Accepted, cases.Dispatched, cases.Replied}
	closedStatuses = []cases.Status{cases.Closed, cases.Rejected, cases.Merged}
)

// postRequest files a report: POST requests.{fmt} with a form.
func (h *Handler) postRequest(w http.ResponseWriter, r *http.Request, f format) {
	ctx := r.Context()
	lang := langOf(r)
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := parseForm(r); err != nil {
		h.errors(w, r, f, http.StatusBadRequest, msgForm.in(lang))
		return
	}
	form := r.Form
	for k, vs := range form {
		ok := utf8.ValidString(k)
		for _, v := range vs {
			ok = ok && utf8.ValidString(v)
		}
		if !ok {
			h.errors(w, r, f, http.StatusBadRequest, msgUTF8.in(lang, short(strings.ToValidUTF8(k, "?"))))
			return
		}
	}

	// 403 before anything else: without a valid key nothing is looked at.
	key := strings.TrimSpace(form.Get("api_key"))
	if key == "" {
		if b, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			key = strings.TrimSpace(b)
		}
	}
	if key == "" {
		h.errors(w, r, f, http.StatusForbidden, msgAPIKey.in(lang))
		return
	}
	actor, err := h.tokens.TokenActor(ctx, key, clientIP(r))
	if err != nil {
		if errs.Is(err, errs.Internal) {
			h.fail(w, r, f, err)
			return
		}
		h.errors(w, r, f, http.StatusForbidden, msgAPIKeyInvalid.in(lang))
		return
	}
	actor.Via = cases.ViaOpen311
	if !h.jurisdictionOK(w, r, f, form.Get("jurisdiction_id")) {
		return
	}

	code := strings.TrimSpace(form.Get("service_code"))
	if code == "" {
		h.errors(w, r, f, http.StatusBadRequest, msgServiceCode.in(lang))
		return
	}
	t, err := h.taxonomy(ctx)
	if err != nil {
		h.fail(w, r, f, err)
		return
	}
	cat, ok := t.byCode[code]
	if !ok {
		h.errors(w, r, f, http.StatusNotFound, msgNoService.in(lang, short(code)))
		return
	}
	if cat.IsClass() {
		h.errors(w, r, f, http.StatusBadRequest, msgClassCode.in(lang, code))
		return
	}

	// Everything the client can fix is reported at once.
	var problems []string
	lat, long, why := location(form, lang)
	approx := ""
	if addr := strings.TrimSpace(form.Get("address_string")); why == msgLocation.in(lang) && addr != "" && h.cfg.FindAddress != nil {
		// No coordinates: place the report by the region names in the
		// address, as precisely as they go.
		name, p, err := h.cfg.FindAddress(addr)
		switch {
		case errors.Is(err, region.ErrAddressAmbiguous):
			why = msgAddrAmbiguous.in(lang)
		case err != nil:
			why = msgAddrUnknown.in(lang)
		default:
			lat, long, why, approx = p.Lat, p.Lng, "", noteApprox.in(i18n.ZH, name)
		}
	}
	if why != "" {
		problems = append(problems, why)
	}
	extras, attrProblems := attributes(form, cat, lang)
	problems = append(problems, attrProblems...)
	media := strings.TrimSpace(form.Get("media_url"))
	if media != "" && !cases.ValidMediaURL(media) {
		problems = append(problems, msgMediaURL.in(lang))
	}
	if len(problems) > 0 {
		h.errors(w, r, f, http.StatusBadRequest, problems...)
		return
	}

	desc := cleanText(form.Get("description"))
	if approx != "" {
		extras = append(extras, approx)
	}
	if len(extras) > 0 {
		if desc != "" {
			desc += "\n\n"
		}
		desc += strings.Join(extras, "\n")
	}
	rep := cases.Report{
		Channel:        cases.ChannelOpen311,
		Category:       cat.Code,
		Description:    desc,
		Lat:            lat,
		Lng:            long,
		CRS:            "wgs84",
		Address:        cleanLine(form.Get("address_string")),
		ReporterName:   personName(cleanLine(form.Get("first_name")), cleanLine(form.Get("last_name"))),
		ReporterPhone:  strings.TrimSpace(form.Get("phone")),
		IdempotencyKey: strings.TrimSpace(r.Header.Get("Idempotency-Key")),
		MediaURL:       media, // recorded, never fetched: staff open it themselves
	}
	// email, device_id and account_id have no place in a case: they are
	// neither stored nor echoed.
	in, err := h.cases.File(ctx, actor, rep)
	if err != nil {
		h.fail(w, r, f, err)
		return
	}
	c := in.Case
	notice := noteFiled.in(lang, c.No, c.AcceptDue.In(cst).Format("2006-01-02 15:04"), cat.HandleDays)
	if n := len(in.Duplicates); n > 0 {
		notice += noteDuplicates.in(lang, n)
	}
	out := serviceRequests[Created]{Items: []Created{{ServiceRequestID: c.No, ServiceNotice: optString(notice), AccountID: optString(actor.UserID)}}}
	status := http.StatusCreated
	if in.Replayed {
		status = http.StatusOK
	}
	h.write(w, r, f, status, out, out.Items)
}

func parseForm(r *http.Request) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		err := r.ParseMultipartForm(maxForm)
		if r.MultipartForm != nil {
			r.MultipartForm.RemoveAll()
		}
		return err
	}
	return r.ParseForm()
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// location reads lat and long: civicgrid routes by the grid at a point, so
// an address alone is refused.
func location(form url.Values, lang i18n.Lang) (lat, long float64, why string) {
	latS, longS := strings.TrimSpace(form.Get("lat")), strings.TrimSpace(form.Get("long"))
	if latS == "" && longS == "" {
		return 0, 0, msgLocation.in(lang)
	}
	var err1, err2 error
	lat, err1 = strconv.ParseFloat(latS, 64)
	long, err2 = strconv.ParseFloat(longS, 64)
	if err1 != nil || err2 != nil || math.IsNaN(lat) || math.IsNaN(long) || math.IsInf(lat, 0) || math.IsInf(long, 0) ||
		lat < -90 || lat > 90 || long < -180 || long > 180 {
		return 0, 0, msgLatLong.in(lang)
	}
	return lat, long, ""
}

// attributes checks attribute[code]=value (and attribute[code][]=value for
// lists) against the service definition and returns the answers as lines
// for the case description.
func attributes(form url.Values, cat cases.Category, lang i18n.Lang) (lines, problems []string) {
	defs := classAttributes[cat.ParentCode]
	given := map[string][]string{}
	var unknown []string
	for k, vs := range form {
		rest, ok := strings.CutPrefix(k, "attribute[")
		if !ok {
			continue
		}
		code, tail, ok := strings.Cut(rest, "]")
		known := false
		for _, d := range defs {
			known = known || d.code == code
		}
		if !ok || (tail != "" && tail != "[]") || !known {
			unknown = append(unknown, code)
			continue
		}
		for _, v := range vs {
			if strings.TrimSpace(v) != "" {
				given[code] = append(given[code], v)
			}
		}
	}
	sort.Strings(unknown)
	for _, code := range unknown {
		problems = append(problems, msgAttrUnknown.in(lang, short(code), cat.Code))
	}
	for _, d := range defs {
		vs := given[d.code]
		if len(vs) == 0 {
			if d.required {
				problems = append(problems, msgAttrRequired.in(lang, d.code))
			}
			continue
		}
		v, why := d.check(lang, vs)
		if why != "" {
			problems = append(problems, msgAttrValue.in(lang, d.code, short(strings.Join(vs, ",")), why))
			continue
		}
		lines = append(lines, d.display(v))
	}
	return lines, problems
}

// cleanText normalises line ends and drops control characters, which XML
// cannot carry and no report needs.
func cleanText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return -1
	}, s)
	return strings.TrimSpace(s)
}

// cleanLine is cleanText on one line.
func cleanLine(s string) string {
	return strings.Join(strings.Fields(cleanText(s)), " ")
}

// personName joins the spec's given and family names: family name first,
// without a space, when either is Chinese (王 + 小明 → 王小明).
func personName(first, last string) string {
	switch {
	case first == "":
		return last
	case last == "":
		return first
	case hasHan(first) || hasHan(last):
		return last + first
	}
	return first + " " + last
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// short keeps client text quoted in an error message readable.
func short(s string) string {
	if utf8.RuneCountInString(s) <= 50 {
		return s
	}
	return string([]rune(s)[:50]) + "…"
}

// listRequests is GET requests.{fmt} with the spec's filters.
func (h *Handler) listRequests(w http.ResponseWriter, r *http.Request, f format) {
	ctx := r.Context()
	lang := langOf(r)
	q := r.URL.Query()
	t, err := h.taxonomy(ctx)
	if err != nil {
		h.fail(w, r, f, err)
		return
	}
	// service_request_id overrides every other argument.
	if ids := splitList(q["service_request_id"]); len(ids) > 0 {
		if len(ids) > maxIDs {
			h.errors(w, r, f, http.StatusBadRequest, msgIDs.in(lang, maxIDs))
			return
		}
		type found struct {
			c   cases.Case
			evs []cases.Event
		}
		var fs []found
		seen := map[string]bool{}
		for _, no := range ids {
			c, evs, err := h.findByNo(ctx, no)
			if errs.Is(err, errs.NotFound) || seen[c.ID] {
				continue
			}
			if err != nil {
				h.fail(w, r, f, err)
				return
			}
			seen[c.ID] = true
			fs = append(fs, found{c, evs})
		}
		sort.Slice(fs, func(i, j int) bool { return fs[i].c.ID > fs[j].c.ID })
		out := serviceRequests[Request]{Items: make([]Request, 0, len(fs))}
		for _, it := range fs {
			req, err := h.wire(ctx, lang, t, it.c, it.evs)
			if err != nil {
				h.fail(w, r, f, err)
				return
			}
			out.Items = append(out.Items, req)
		}
		h.write(w, r, f, http.StatusOK, out, out.Items)
		return
	}

	codes := splitList(q["service_code"])
	if len(codes) > maxCodes {
		h.errors(w, r, f, http.StatusBadRequest, msgCodes.in(lang, maxCodes))
		return
	}
	var statuses []cases.Status
	wantOpen, wantClosed := false, false
	for _, s := range splitList(q["status"]) {
		switch strings.ToLower(s) {
		case "open":
			wantOpen = true
		case "closed":
			wantClosed = true
		default:
			h.errors(w, r, f, http.StatusBadRequest, msgStatus.in(lang))
			return
		}
	}
	if wantOpen != wantClosed {
		statuses = closedStatuses
		if wantOpen {
			statuses = openStatuses
		}
	}

	start, err := parseW3(q.Get("start_date"))
	if err != nil {
		h.errors(w, r, f, http.StatusBadRequest, msgDate.in(lang, "start_date"))
		return
	}
	end, err := parseW3(q.Get("end_date"))
	if err != nil {
		h.errors(w, r, f, http.StatusBadRequest, msgDate.in(lang, "end_date"))
		return
	}
	var from, to time.Time
	switch {
	case start.zero() && end.zero():
		from = time.Now().Add(-maxSpan)
	case end.zero():
		from, to = start.at, start.at.Add(maxSpan)
	case start.zero():
		from, to = end.at.Add(-maxSpan), end.upper
	default:
		if end.at.Before(start.at) {
			h.errors(w, r, f, http.StatusBadRequest, msgDateOrder.in(lang))
			return
		}
		if end.at.Sub(start.at) > maxSpan {
			h.errors(w, r, f, http.StatusBadRequest, msgDateSpan.in(lang))
			return
		}
		from, to = start.at, end.upper
	}

	if len(codes) == 0 {
		codes = []string{""}
	}
	var found []cases.Case
	for _, code := range codes {
		fl := cases.Filter{Status: statuses, Category: code, From: from, To: to, Limit: pageSize}
		n := 0
		for n < maxRequests {
			cs, next, err := h.cases.List(ctx, h.reader, fl)
			if err != nil {
				h.fail(w, r, f, err)
				return
			}
			for _, c := range cs {
				// The list matches a class's subcategories too; a service
				// code is one subcategory.
				if code == "" || c.CategoryCode == code {
					found = append(found, c)
					n++
				}
			}
			if next == "" {
				break
			}
			fl.After = next
		}
	}
	// Newest first; case ids are ULIDs and sort by filing time.
	sort.Slice(found, func(i, j int) bool { return found[i].ID > found[j].ID })
	if len(found) > maxRequests {
		found = found[:maxRequests]
	}
	out := serviceRequests[Request]{Items: make([]Request, 0, len(found))}
	hist, err := h.cases.Histories(ctx, h.reader, found)
	if err != nil {
		h.fail(w, r, f, err)
		return
	}
	for _, c := range found {
		req, err := h.wire(ctx, lang, t, c, hist[c.ID])
		if err != nil {
			h.fail(w, r, f, err)
			return
		}
		out.Items = append(out.Items, req)
	}
	h.write(w, r, f, http.StatusOK, out, out.Items)
}

// oneRequest is GET requests/{id}.{fmt}; the id is the case number.
func (h *Handler) oneRequest(w http.ResponseWriter, r *http.Request, f format, no string) {
	ctx := r.Context()
	lang := langOf(r)
	t, err := h.taxonomy(ctx)
	if err != nil {
		h.fail(w, r, f, err)
		return
	}
	c, evs, err := h.findByNo(ctx, no)
	if errs.Is(err, errs.NotFound) {
		h.errors(w, r, f, http.StatusNotFound, msgNoRequest.in(lang, short(no)))
		return
	}
	if err != nil {
		h.fail(w, r, f, err)
		return
	}
	req, err := h.wire(ctx, lang, t, c, evs)
	if err != nil {
		h.fail(w, r, f, err)
		return
	}
	out := serviceRequests[Request]{Items: []Request{req}}
	h.write(w, r, f, http.StatusOK, out, out.Items)
}

// token is GET tokens/{token}.{fmt}. Every service is realtime, so POST
// answers with the service_request_id itself; the case number is accepted
// as its own token for clients that always ask.
func (h *Handler) token(w http.ResponseWriter, r *http.Request, f format, tok string) {
	c, _, err := h.findByNo(r.Context(), tok)
	if errs.Is(err, errs.NotFound) {
		h.errors(w, r, f, http.StatusNotFound, msgNoToken.in(langOf(r), short(tok)))
		return
	}
	if err != nil {
		h.fail(w, r, f, err)
		return
	}
	out := serviceRequests[TokenAnswer]{Items: []TokenAnswer{{ServiceRequestID: c.No, Token: tok}}}
	h.write(w, r, f, http.StatusOK, out, out.Items)
}

// caseNo is a case number: county code, filing day in China time, the
// last six characters of the case's ULID.
var caseNo = regexp.MustCompile(`^([0-9]{6,12})-([0-9]{8})-([0-9A-Z]{6,10})$`)

// findByNo finds a case by its number. The number names the county and the
// day, so the search reads one county's cases of one day.
func (h *Handler) findByNo(ctx context.Context, no string) (cases.Case, []cases.Event, error) {
	notFound := errs.New(errs.NotFound, "err.cases.not_found")
	no = strings.ToUpper(strings.TrimSpace(no))
	m := caseNo.FindStringSubmatch(no)
	if m == nil {
		return cases.Case{}, nil, notFound
	}
	day, err := time.ParseInLocation("20060102", m[2], cst)
	if err != nil {
		return cases.Case{}, nil, notFound
	}
	fl := cases.Filter{RegionCode: m[1], From: day, To: day.AddDate(0, 0, 1), Limit: pageSize}
	for {
		cs, next, err := h.cases.List(ctx, h.reader, fl)
		if errs.Is(err, errs.Invalid) || errs.Is(err, errs.NotFound) {
			return cases.Case{}, nil, notFound // no such county
		}
		if err != nil {
			return cases.Case{}, nil, err
		}
		for _, c := range cs {
			if c.No == no {
				return h.cases.Get(ctx, h.reader, c.ID)
			}
		}
		if next == "" {
			return cases.Case{}, nil, notFound
		}
		fl.After = next
	}
}

// wire maps a case to a GeoReport request: never the reporter, and for
// private classes not the description, address or notes either.
func (h *Handler) wire(ctx context.Context, lang i18n.Lang, t taxonomy, c cases.Case, evs []cases.Event) (Request, error) {
	cat := t.byCode[c.CategoryCode]
	private := privateClasses[cat.ParentCode]
	req := Request{
		ServiceRequestID:  c.No,
		Status:            "open",
		ServiceName:       c.CategoryName,
		ServiceCode:       c.CategoryCode,
		Description:       optString(c.Description),
		AgencyResponsible: optString(c.LeadUnitName),
		RequestedDatetime: w3Time(c.ReportedAt),
		ExpectedDatetime:  w3Time(c.HandleDue),
		Address:           optString(c.Address),
		Lat:               c.Lat,
		Long:              c.Lng,
		MediaURL:          optString(c.MediaURL),
	}
	if cat.Code != "" {
		req.ServiceNotice = optString(noteService.in(lang, cat.HandleDays, cat.ClosingStandard))
	}
	if !c.Status.Open() {
		req.Status = "closed"
	}

	// status_notes: the stage, then the note given when the case entered it
	// (the reason for a rejection or a merge, what the unit replied, why
	// verification sent it back); notes of steps that did not change the
	// stage (督办, postponements, a merge into this case) are left out.
	stage := stages[string(c.Status)]
	var notes string
	if c.Status == cases.Merged {
		into := c.MergedInto
		if target, _, err := h.cases.Get(ctx, h.reader, c.MergedInto); err == nil {
			into = target.No
		} else if !errs.Is(err, errs.NotFound) {
			return req, err
		}
		notes = stage.in(lang, into)
	} else if stage.zh != "" {
		notes = stage.in(lang)
		if c.Status == cases.Dispatched && c.LeadUnitName != "" {
			notes += "（" + c.LeadUnitName + "）"
		}
	} else {
		notes = string(c.Status)
	}
	last := ""
	updated := c.ReportedAt
	for _, e := range evs {
		if e.ToStatus == c.Status && e.FromStatus != e.ToStatus {
			last = e.Note
		}
		if e.At.After(updated) {
			updated = e.At
		}
	}
	for _, at := range []time.Time{c.AcceptedAt, c.DispatchedAt, c.RepliedAt, c.ClosedAt} {
		if at.After(updated) {
			updated = at
		}
	}
	// A closed request's update time is when it was closed.
	if (c.Status == cases.Closed || c.Status == cases.Rejected) && !c.ClosedAt.IsZero() {
		updated = c.ClosedAt
	}
	req.UpdatedDatetime = w3Time(updated)

	if private {
		req.Description = optString(notePrivate.in(lang))
		req.Address = ""
		req.Lat, req.Long = math.Round(c.Lat*100)/100, math.Round(c.Lng*100)/100
	} else if last != "" {
		notes += "：" + last
	}
	req.StatusNotes = optString(notes)
	return req, nil
}

// splitList reads a parameter that may be repeated and comma separated.
func splitList(vals []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range vals {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" && !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}

// w3 is a parsed W3C datetime: at is the instant (a date alone is its
// midnight in China time) and upper the exclusive end of what it names
// (the next midnight for a date, the next millisecond otherwise: the
// stored precision).
type w3 struct{ at, upper time.Time }

func (w w3) zero() bool { return w.at.IsZero() }

var w3Layouts = []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00"}

// parseW3 reads a W3C datetime with its offset. A "+" in the offset often
// arrives as a space from a query string that was not encoded; a date alone
// is a day in China time.
func parseW3(s string) (w3, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return w3{}, nil
	}
	s = strings.Replace(s, " ", "+", 1)
	for _, l := range w3Layouts {
		if t, err := time.Parse(l, s); err == nil {
			return w3{t, t.Add(time.Millisecond)}, nil
		}
	}
	if t, err := time.ParseInLocation("2006-01-02", s, cst); err == nil {
		return w3{t, t.AddDate(0, 0, 1)}, nil
	}
	return w3{}, errs.Field("date", "err.date")
}
