package open311_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"civicgrid/internal/cases"
	"civicgrid/internal/open311"
)

// The spec's response tables, field by field.
var (
	discoveryFields = map[string]string{"changeset": kString, "contact": kString, "key_service": kString, "endpoints": kArray}
	endpointFields  = map[string]string{"specification": kString, "url": kString, "changeset": kString, "type": kString, "formats": kArray}
	serviceFields   = map[string]string{"service_code": kString, "service_name": kString, "description": kText, "metadata": kBool,
		"type": kString, "keywords": kText, "group": kString}
	definitionFields = map[string]string{"service_code": kString, "attributes": kArray}
	attributeFields  = map[string]string{"variable": kBool, "code": kString, "datatype": kString, "required": kBool,
		"datatype_description": kOptional, "order": kNumber, "description": kString, "values": kArray}
	valueFields   = map[string]string{"key": kString, "name": kString}
	createdFields = map[string]string{"service_request_id": kString, "service_notice": kOptional, "account_id": kOptional}
	requestFields = map[string]string{
		"service_request_id": kString, "status": kString, "status_notes": kOptional, "service_name": kString,
		"service_code": kString, "description": kOptional, "agency_responsible": kOptional, "service_notice": kOptional,
		"requested_datetime": kTime, "updated_datetime": kTime, "expected_datetime": kOptTime, "address": kOptional,
		"address_id": kOptional, "zipcode": kOptional, "lat": kNumber, "long": kNumber, "media_url": kOptional,
	}
	tokenFields = map[string]string{"service_request_id": kString, "token": kString}
)

func TestDiscovery(t *testing.T) {
	e := sharedEnv(t)
	j, x := e.both(t, "/open311/v2/discovery", "", http.StatusOK)
	if x.XMLName.Local != "discovery" {
		t.Fatalf("XML root %s", x.XMLName.Local)
	}
	d, ok := j.(map[string]any)
	if !ok {
		t.Fatalf("discovery is not an object: %v", j)
	}
	fields(t, "discovery", d, discoveryFields)
	eps := d["endpoints"].([]any)
	if len(eps) != 1 {
		t.Fatalf("want one endpoint, got %v", eps)
	}
	ep := eps[0].(map[string]any)
	fields(t, "endpoint", ep, endpointFields)
	if ep["specification"] != "http://wiki.open311.org/GeoReport_v2" || ep["type"] != "production" || ep["url"] != e.srv.URL+"/open311/v2" {
		t.Errorf("endpoint %v", ep)
	}
	formats := ep["formats"].([]any)
	if len(formats) != 2 || formats[0] != "text/xml" || formats[1] != "application/json" {
		t.Errorf("formats %v", formats)
	}
	if d["changeset"] != ep["changeset"] {
		t.Errorf("changesets differ: %v", d)
	}
	// The help texts follow Accept-Language.
	en, _ := e.both(t, "/open311/v2/discovery", "", http.StatusOK, "Accept-Language", "en")
	if hasHan(en.(map[string]any)["key_service"].(string)) || !hasHan(d["key_service"].(string)) {
		t.Errorf("key_service language: zh %q, en %q", d["key_service"], en.(map[string]any)["key_service"])
	}
}

func TestServices(t *testing.T) {
	e := sharedEnv(t)
	cats, err := e.m.Cases.Categories(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	subs, classes := map[string]cases.Category{}, map[string]cases.Category{}
	for _, c := range cats {
		if c.IsClass() {
			classes[c.Code] = c
		} else {
			subs[c.Code] = c
		}
	}
	j, x := e.both(t, "/open311/v2/services", "", http.StatusOK)
	if x.XMLName.Local != "services" {
		t.Fatalf("XML root %s", x.XMLName.Local)
	}
	list := j.([]any)
	if len(list) != len(subs) || len(list) < 50 {
		t.Fatalf("%d services, %d subcategories", len(list), len(subs))
	}
	for i, it := range list {
		s := it.(map[string]any)
		fields(t, "service", s, serviceFields)
		if x.Kids[i].XMLName.Local != "service" {
			t.Errorf("XML item %d is <%s>", i, x.Kids[i].XMLName.Local)
		}
		code, _ := s["service_code"].(string)
		c, ok := subs[code]
		if !ok {
			t.Errorf("service %s is not a subcategory", code)
			continue
		}
		if s["service_name"] != c.Name || !hasHan(c.Name) || s["group"] != classes[c.ParentCode].Name || s["type"] != "realtime" {
			t.Errorf("service %s: %v", code, s)
		}
		if !strings.Contains(s["description"].(string), c.NameEN) || !strings.Contains(s["keywords"].(string), classes[c.ParentCode].Name) {
			t.Errorf("service %s description/keywords: %v", code, s)
		}
		wantMeta := c.ParentCode == "15" || c.ParentCode == "16" || c.ParentCode <= "04"
		if s["metadata"] != wantMeta {
			t.Errorf("service %s metadata %v, want %v", code, s["metadata"], wantMeta)
		}
	}
}

func TestServiceDefinition(t *testing.T) {
	e := sharedEnv(t)
	for _, tc := range []struct {
		code     string
		attrs    []string // codes
		datatype []string
		values   []string // names of the first attribute's values
	}{
		{"1501", []string{"hazard_level"}, []string{"singlevaluelist"}, []string{"一般", "较大", "重大"}},
		{"1101", nil, nil, nil},
		{"0101", []string{"facility_id"}, []string{"string"}, nil},
		{"1602", []string{"parties_count"}, []string{"number"}, nil},
	} {
		t.Run(tc.code, func(t *testing.T) {
			j, x := e.both(t, "/open311/v2/services/"+tc.code, "", http.StatusOK)
			if x.XMLName.Local != "service_definition" {
				t.Fatalf("XML root %s", x.XMLName.Local)
			}
			if _, ok := x.kid("attributes"); !ok {
				t.Errorf("XML has no <attributes> element")
			}
			d := j.(map[string]any)
			fields(t, "definition", d, definitionFields)
			if d["service_code"] != tc.code {
				t.Errorf("service_code %v", d["service_code"])
			}
			attrs := d["attributes"].([]any)
			if len(attrs) != len(tc.attrs) {
				t.Fatalf("attributes %v, want %v", attrs, tc.attrs)
			}
			for i, it := range attrs {
				a := it.(map[string]any)
				fields(t, "attribute", a, attributeFields)
				if a["code"] != tc.attrs[i] || a["datatype"] != tc.datatype[i] || a["required"] != false || a["variable"] != true || a["order"] != float64(i+1) {
					t.Errorf("attribute %v", a)
				}
				vals := a["values"].([]any)
				if i == 0 && tc.values != nil {
					if len(vals) != len(tc.values) {
						t.Fatalf("values %v", vals)
					}
					for k, v := range vals {
						fields(t, "value", v.(map[string]any), valueFields)
						if v.(map[string]any)["name"] != tc.values[k] {
							t.Errorf("value %d %v, want %s", k, v, tc.values[k])
						}
					}
				}
			}
		})
	}
	// A code that is not a service: unknown, or a group (class).
	for _, code := range []string{"9999", "15", "%E4%BA%95"} {
		ds := wantErrors(t, e.get(t, "/open311/v2/services/"+code+".json"), e.get(t, "/open311/v2/services/"+code+".xml"), http.StatusNotFound)
		if !strings.Contains(ds[0], "service_code") {
			t.Errorf("%s: %v", code, ds)
		}
	}
}

func TestPostRequest(t *testing.T) {
	e := sharedEnv(t)
	form := e.report(t, "demo_resident", url.Values{
		"description":             {"三号楼东侧楼道堆满纸箱，消防通道完全堵死"},
		"address_string":          {"单县园艺街道三号楼东侧"},
		"first_name":              {"小明"},
		"last_name":               {"王"},
		"phone":                   {"13812345678"},
		"email":                   {"wang@example.com"},
		"media_url":               {"https://img.example.com/p/1.jpg"},
		"attribute[hazard_level]": {"major"},
		"jurisdiction_id":         {jurisdiction},
	})
	for _, f := range []string{"xml", "json"} {
		t.Run(f, func(t *testing.T) {
			r := e.post(t, "/open311/v2/requests."+f, form).want(http.StatusCreated)
			var created map[string]any
			if f == "json" {
				list := r.jsonList()
				if len(list) != 1 {
					t.Fatalf("want one item: %s", r)
				}
				created = list[0]
			} else {
				x := r.xml()
				req, ok := x.kid("request")
				if x.XMLName.Local != "service_requests" || !ok || len(x.Kids) != 1 {
					t.Fatalf("XML answer: %s", r)
				}
				created = map[string]any{}
				for _, k := range req.Kids {
					created[k.XMLName.Local] = k.Text
				}
			}
			fields(t, "created", created, createdFields)
			no := created["service_request_id"].(string)
			if !strings.HasPrefix(no, "371722-") || !strings.Contains(created["service_notice"].(string), no) {
				t.Errorf("created %v", created)
			}
			if created["account_id"] == "" || created["account_id"] == nil {
				t.Errorf("account_id missing: %v", created)
			}

			// Visible through GeoReport, in both formats, with no reporter data.
			j, _ := e.both(t, "/open311/v2/requests/"+no, "", http.StatusOK)
			list := j.([]any)
			if len(list) != 1 {
				t.Fatalf("GET requests/%s: %v", no, list)
			}
			got := list[0].(map[string]any)
			fields(t, "request", got, requestFields)
			if got["service_request_id"] != no || got["status"] != "open" || got["service_code"] != "1501" || got["service_name"] != "消防通道堵塞" ||
				got["address"] != "单县园艺街道三号楼东侧" || !strings.HasPrefix(got["status_notes"].(string), "待受理") {
				t.Errorf("request %v", got)
			}
			desc := got["description"].(string)
			for _, want := range []string{"三号楼东侧楼道堆满纸箱", "隐患等级：重大"} {
				if !strings.Contains(desc, want) {
					t.Errorf("description %q lacks %q", desc, want)
				}
			}
			// media_url comes back as sent, in its own field.
			if got["media_url"] != "https://img.example.com/p/1.jpg" {
				t.Errorf("media_url %v, want the URL the client sent", got["media_url"])
			}
			for _, path := range []string{"/open311/v2/requests/" + no + ".json", "/open311/v2/requests/" + no + ".xml", "/open311/v2/requests.json?service_request_id=" + no} {
				body := string(e.get(t, path).want(http.StatusOK).Body)
				for _, secret := range []string{"13812345678", "5678", "王小明", "小明", "wang@example.com"} {
					if strings.Contains(body, secret) {
						t.Errorf("%s shows reporter data %q: %s", path, secret, body)
					}
				}
			}
			if dt, _ := time.Parse(time.RFC3339, got["requested_datetime"].(string)); time.Since(dt) > time.Minute || time.Since(dt) < -time.Minute {
				t.Errorf("requested_datetime %v", got["requested_datetime"])
			}

			// And as a case through the civicgrid API, channel open311, the
			// reporter's phone masked.
			tok := e.token(t, "demo_city")
			var page struct {
				Items []cases.Case `json:"items"`
			}
			r = e.get(t, "/api/v1/cases?channel=open311&limit=500", "Authorization", "Bearer "+tok).want(http.StatusOK)
			if err := json.Unmarshal(r.Body, &page); err != nil {
				t.Fatal(err)
			}
			var c cases.Case
			for _, it := range page.Items {
				if it.No == no {
					c = it
				}
			}
			if c.ID == "" {
				t.Fatalf("case %s not in the civicgrid work list", no)
			}
			r = e.get(t, "/api/v1/cases/"+c.ID, "Authorization", "Bearer "+tok).want(http.StatusOK)
			var view struct {
				cases.Case
				History []cases.Event `json:"history"`
			}
			if err := json.Unmarshal(r.Body, &view); err != nil {
				t.Fatal(err)
			}
			if view.Channel != cases.ChannelOpen311 || view.CategoryCode != "1501" || view.Description != desc || view.MediaURL != "https://img.example.com/p/1.jpg" ||
				view.ReporterPhone != "138****5678" || view.ReporterName == "" || strings.Contains(view.ReporterName, "小明") {
				t.Errorf("case through the API: %+v", view.Case)
			}
			if len(view.History) == 0 || view.History[0].Action != "report" {
				t.Errorf("history %v", view.History)
			}
		})
	}
}

func TestPostErrors(t *testing.T) {
	e := sharedEnv(t)
	without := func(f url.Values, keys ...string) url.Values {
		for _, k := range keys {
			f.Del(k)
		}
		return f
	}
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		want   string // in the first description
		hdr    []string
	}{
		{"no api_key", without(e.report(t, "demo_resident", nil), "api_key"), 403, "api_key", nil},
		{"empty api_key", e.report(t, "demo_resident", url.Values{"api_key": {""}}), 403, "api_key", nil},
		{"bad api_key", e.report(t, "demo_resident", url.Values{"api_key": {"cg_not-a-token"}}), 403, "api_key", nil},
		{"foreign api_key", e.report(t, "demo_resident", url.Values{"api_key": {"xyz"}}), 403, "api_key", nil},
		{"auditor may not report", e.report(t, "demo_auditor", nil), 403, "api_key", nil},
		{"other jurisdiction", e.report(t, "demo_resident", url.Values{"jurisdiction_id": {"sfgov.org"}}), 404, "jurisdiction_id", nil},
		{"no service_code", without(e.report(t, "demo_resident", nil), "service_code"), 400, "service_code", nil},
		{"unknown service_code", e.report(t, "demo_resident", url.Values{"service_code": {"9999"}}), 404, "service_code", nil},
		{"group as service_code", e.report(t, "demo_resident", url.Values{"service_code": {"15"}}), 400, "service_code", nil},
		{"address naming no place", without(e.report(t, "demo_resident", url.Values{"address_string": {"北京市朝阳区建国路1号"}}), "lat", "long"), 400, "address_string", nil},
		{"address_id only", without(e.report(t, "demo_resident", url.Values{"address_id": {"545483"}}), "lat", "long"), 400, "location required", nil},
		{"no location", without(e.report(t, "demo_resident", nil), "lat", "long"), 400, "location required", nil},
		{"lat only", without(e.report(t, "demo_resident", nil), "long"), 400, "lat", nil},
		{"lat not a number", e.report(t, "demo_resident", url.Values{"lat": {"north"}}), 400, "lat", nil},
		{"lat NaN", e.report(t, "demo_resident", url.Values{"lat": {"NaN"}}), 400, "lat", nil},
		{"lat out of range", e.report(t, "demo_resident", url.Values{"lat": {"91"}}), 400, "lat", nil},
		{"outside Heze (Beijing)", e.report(t, "demo_resident", url.Values{"lat": {"39.9042"}, "long": {"116.4074"}}), 400, "lat/long", nil},
		{"bad hazard_level", e.report(t, "demo_resident", url.Values{"attribute[hazard_level]": {"apocalyptic"}}), 400, "hazard_level", nil},
		{"two hazard_levels", e.report(t, "demo_resident", url.Values{"attribute[hazard_level][]": {"major", "general"}}), 400, "hazard_level", nil},
		{"unknown attribute", e.report(t, "demo_resident", url.Values{"attribute[colour]": {"red"}}), 400, "colour", nil},
		{"attribute of another service", e.report(t, "demo_resident", url.Values{"attribute[parties_count]": {"3"}}), 400, "parties_count", nil},
		{"bad media_url", e.report(t, "demo_resident", url.Values{"media_url": {"javascript:alert(1)"}}), 400, "media_url", nil},
		{"bad phone", e.report(t, "demo_resident", url.Values{"phone": {"12345"}}), 400, "phone", nil},
		{"no description", e.report(t, "demo_resident", url.Values{"description": {"  "}}), 400, "description", nil},
		{"description too long", e.report(t, "demo_resident", url.Values{"description": {strings.Repeat("堵", 2001)}}), 400, "description", nil},
		{"name too long", e.report(t, "demo_resident", url.Values{"first_name": {strings.Repeat("王", 60)}}), 400, "first_name", nil},
		{"idempotency key too long", e.report(t, "demo_resident", nil), 400, "Idempotency-Key", []string{"Idempotency-Key", strings.Repeat("k", 101)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds := wantErrors(t, e.post(t, "/open311/v2/requests.json", tc.form, tc.hdr...), e.post(t, "/open311/v2/requests.xml", tc.form, tc.hdr...), tc.status)
			if !strings.Contains(ds[0], tc.want) {
				t.Errorf("description %q does not mention %q", ds[0], tc.want)
			}
		})
	}

	// Several problems are reported at once.
	form := without(e.report(t, "demo_resident", url.Values{"attribute[hazard_level]": {"x"}, "media_url": {"ftp://x"}}), "lat", "long")
	if ds := wantErrors(t, e.post(t, "/open311/v2/requests.json", form), e.post(t, "/open311/v2/requests.xml", form), 400); len(ds) != 3 {
		t.Errorf("want 3 errors, got %q", ds)
	}
	// English on request.
	ds := wantErrors(t, e.post(t, "/open311/v2/requests.json", without(e.report(t, "demo_resident", nil), "api_key"), "Accept-Language", "en"),
		e.post(t, "/open311/v2/requests.xml", without(e.report(t, "demo_resident", nil), "api_key"), "Accept-Language", "en"), 403)
	if hasHan(ds[0]) {
		t.Errorf("English asked, got %q", ds[0])
	}
}

func TestPostIdempotent(t *testing.T) {
	e := sharedEnv(t)
	key := "open311-idem-" + time.Now().Format("150405.000000")
	form := e.report(t, "demo_grid", url.Values{"service_code": {"1101"}, "description": {"路口垃圾堆积"}})
	first := e.file(t, form, "Idempotency-Key", key)
	r := e.post(t, "/open311/v2/requests.json", form, "Idempotency-Key", key).want(http.StatusOK)
	if again := r.jsonList()[0]["service_request_id"]; again != first {
		t.Errorf("replay gave %v, first %s", again, first)
	}
	// The same key for another report is refused.
	other := e.report(t, "demo_grid", url.Values{"service_code": {"1101"}, "description": {"另一处垃圾"}})
	wantErrors(t, e.post(t, "/open311/v2/requests.json", other, "Idempotency-Key", key), e.post(t, "/open311/v2/requests.xml", other, "Idempotency-Key", key), 400)
	// Without a key, two posts are two cases.
	if a, b := e.file(t, form), e.file(t, form); a == b {
		t.Errorf("two posts without a key gave one case %s", a)
	}
}

func TestChineseRoundTrip(t *testing.T) {
	e := sharedEnv(t)
	desc := "井盖<缺失>&“危险”'——🚧\n第二行：行人绕行\t（已设警示）"
	addr := "牡丹区中华路 & 人民路口 <东南角>"
	no := e.file(t, e.report(t, "demo_resident", url.Values{"service_code": {"0101"}, "description": {desc}, "address_string": {addr}}))
	j, x := e.both(t, "/open311/v2/requests/"+no, "", http.StatusOK)
	got := j.([]any)[0].(map[string]any)
	if got["description"] != desc || got["address"] != addr {
		t.Errorf("JSON round trip: %q / %q", got["description"], got["address"])
	}
	if body := string(e.get(t, "/open311/v2/requests/"+no+".json").Body); !strings.Contains(body, "井盖<缺失>&“危险”") {
		t.Errorf("JSON escapes text it need not: %s", body)
	}
	req, _ := x.kid("request")
	d, _ := req.kid("description")
	a, _ := req.kid("address")
	if d.Text != desc || a.Text != addr {
		t.Errorf("XML round trip: %q / %q", d.Text, a.Text)
	}
	// Control characters cannot travel in XML; they are dropped on the way in.
	no = e.file(t, e.report(t, "demo_resident", url.Values{"description": {"铃\x07声\x00扰民\r\n第二行"}}))
	j, _ = e.both(t, "/open311/v2/requests/"+no, "", http.StatusOK)
	if got := j.([]any)[0].(map[string]any)["description"]; got != "铃声扰民\n第二行" {
		t.Errorf("control characters: %q", got)
	}
	// Invalid UTF-8 is refused.
	f := e.report(t, "demo_resident", url.Values{"description": {"\xff\xfe坏"}})
	wantErrors(t, e.post(t, "/open311/v2/requests.json", f), e.post(t, "/open311/v2/requests.xml", f), 400)
}

func TestGetRequests(t *testing.T) {
	e := newEnv(t)
	at := func(days int) { e.shift(time.Duration(days) * 24 * time.Hour) }

	// An old report, 100 days ago, and one 60 days ago.
	at(-100)
	old := e.file(t, e.report(t, "demo_resident", url.Values{"description": {"百日前的隐患"}}))
	at(-60)
	mid := e.file(t, e.report(t, "demo_resident", url.Values{"service_code": {"1101"}, "description": {"两个月前的垃圾"}}))
	at(0)
	open := e.file(t, e.report(t, "demo_resident", nil))
	handled := e.file(t, e.report(t, "demo_grid", url.Values{"service_code": {"1101"}, "description": {"路边暴露垃圾"}}))
	rejected := e.file(t, e.report(t, "demo_resident", url.Values{"service_code": {"1101"}, "description": {"不是问题"}}))
	merged := e.file(t, e.report(t, "demo_resident", url.Values{"description": {"同一处楼道堵塞"}}))
	private := e.file(t, e.report(t, "demo_resident", url.Values{"service_code": {"1602"}, "description": {"夫妻吵架，邻居听见摔东西"},
		"address_string": {"幸福小区5号楼302"}, "attribute[parties_count]": {"2"}}))

	e.act(t, handled, cases.ActAccept, cases.Input{})
	e.act(t, handled, cases.ActDispatch, cases.Input{})
	e.act(t, rejected, cases.ActReject, cases.Input{Note: "不属于受理范围"})
	e.act(t, merged, cases.ActMerge, cases.Input{Into: e.caseByNo(t, open).ID, Note: "重复上报"})

	get := func(t *testing.T, query string, status int) map[string]map[string]any {
		t.Helper()
		j, x := e.both(t, "/open311/v2/requests", query, status)
		if status != http.StatusOK {
			return nil
		}
		if x.XMLName.Local != "service_requests" {
			t.Fatalf("XML root %s", x.XMLName.Local)
		}
		list := make([]map[string]any, 0)
		for _, it := range j.([]any) {
			r := it.(map[string]any)
			fields(t, "request", r, requestFields)
			if r["status"] != "open" && r["status"] != "closed" {
				t.Errorf("status %v", r["status"])
			}
			list = append(list, r)
		}
		for i := 1; i < len(list); i++ {
			if list[i-1]["requested_datetime"].(string) < list[i]["requested_datetime"].(string) {
				t.Errorf("not newest first at %d", i)
			}
		}
		// The list reads histories in one go; each item must say what the
		// request's own page says.
		for _, r := range list {
			one := e.get(t, "/open311/v2/requests/"+r["service_request_id"].(string)+".json").want(http.StatusOK).jsonList()
			if len(one) != 1 || !reflect.DeepEqual(one[0], r) {
				t.Errorf("list item %v\n differs from its own answer %v", r, one)
			}
		}
		return requestsByID(list)
	}
	check := func(t *testing.T, got map[string]map[string]any, want map[string]bool) {
		t.Helper()
		for no, in := range want {
			if _, ok := got[no]; ok != in {
				t.Errorf("request %s present %v, want %v (got %d requests)", no, ok, in, len(got))
			}
		}
	}
	all := map[string]bool{old: false, mid: true, open: true, handled: true, rejected: true, merged: true, private: true}
	ymd := func(days int) string { return time.Now().AddDate(0, 0, days).Format("2006-01-02") }
	iso := func(d time.Duration) string { return time.Now().Add(d).UTC().Format(time.RFC3339) }
	for _, tc := range []struct {
		name  string
		query string
		want  map[string]bool
	}{
		{"default: last 90 days", "", all},
		{"status=open", "status=open", map[string]bool{old: false, mid: true, open: true, handled: true, rejected: false, merged: false, private: true}},
		{"status=closed", "status=closed", map[string]bool{mid: false, open: false, handled: false, rejected: true, merged: true}},
		{"status=open,closed", "status=open,closed", all},
		{"status repeated", "status=open&status=closed", all},
		{"service_code", "service_code=1101", map[string]bool{mid: true, open: false, handled: true, rejected: true, merged: false}},
		{"two service_codes", "service_code=1101,1602", map[string]bool{mid: true, open: false, handled: true, rejected: true, private: true}},
		{"a group is not a service_code", "service_code=11", map[string]bool{mid: false, handled: false}},
		{"start_date only", "start_date=" + iso(-time.Hour), map[string]bool{old: false, mid: false, open: true, rejected: true}},
		{"end_date only: 90 days before it", "end_date=" + iso(-30*24*time.Hour), map[string]bool{old: true, mid: true, open: false}},
		{"end_date only, far back", "end_date=" + iso(-95*24*time.Hour), map[string]bool{old: true, mid: false, open: false}},
		{"around the old one", "start_date=" + iso(-101*24*time.Hour) + "&end_date=" + iso(-99*24*time.Hour), map[string]bool{old: true, mid: false, open: false}},
		{"dates alone, end inclusive", "start_date=" + ymd(-61) + "&end_date=" + ymd(-60), map[string]bool{old: false, mid: true, open: false}},
		{"offset sent unencoded", "start_date=" + time.Now().Add(-time.Hour).In(time.FixedZone("", 8*3600)).Format("2006-01-02T15:04:05") + "+08:00",
			map[string]bool{open: true, mid: false}},
		{"ids override the rest", "service_request_id=" + old + "," + open + ",371722-20000101-ZZZZZZ&status=closed&service_code=1101",
			map[string]bool{old: true, open: true, mid: false}},
		{"empty parameters are absent ones", "status=&service_code=&start_date=&end_date=&service_request_id=", all},
		{"our jurisdiction", "jurisdiction_id=" + jurisdiction, map[string]bool{open: true}},
	} {
		t.Run(tc.name, func(t *testing.T) { check(t, get(t, tc.query, http.StatusOK), tc.want) })
	}

	// Mapping of the workflow to status and notes.
	got := get(t, "", http.StatusOK)
	if r := got[handled]; r["status"] != "open" || r["agency_responsible"] == nil || r["expected_datetime"] == nil ||
		!strings.HasPrefix(r["status_notes"].(string), "办理中（") {
		t.Errorf("dispatched request: %v", r)
	}
	if r := got[rejected]; r["status"] != "closed" || r["status_notes"] != "不予立案：不属于受理范围" {
		t.Errorf("rejected request: %v", r)
	}
	if r := got[merged]; r["status"] != "closed" || r["status_notes"] != "已合并至事件 "+open+"：重复上报" {
		t.Errorf("merged request: %v", r)
	}
	if r := got[open]; r["status"] != "open" || r["agency_responsible"] != nil || r["expected_datetime"] != nil || r["status_notes"] != "待受理" {
		t.Errorf("new request: %v", r)
	}
	// A family dispute is listed without its content or its address.
	if r := got[private]; strings.Contains(r["description"].(string), "吵架") || r["address"] != nil ||
		r["lat"].(float64) != float64(int(r["lat"].(float64)*100+0.5))/100 {
		t.Errorf("private request: %v", r)
	}

	for _, tc := range []struct{ name, query string }{
		{"span over 90 days", "start_date=" + iso(-100*24*time.Hour) + "&end_date=" + iso(0)},
		{"end before start", "start_date=" + iso(0) + "&end_date=" + iso(-time.Hour)},
		{"bad start_date", "start_date=yesterday"},
		{"bad end_date", "end_date=2026-13-45"},
		{"bad status", "status=pending"},
		{"other jurisdiction", "jurisdiction_id=sfgov.org"},
		{"too many ids", "service_request_id=" + manyIDs(101)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status := http.StatusBadRequest
			if strings.HasPrefix(tc.query, "jurisdiction_id") {
				status = http.StatusNotFound
			}
			wantErrors(t, e.get(t, "/open311/v2/requests.json?"+tc.query), e.get(t, "/open311/v2/requests.xml?"+tc.query), status)
		})
	}

	// One request, also an old one (its number names its day).
	for _, no := range []string{old, open, strings.ToLower(open)} {
		j, _ := e.both(t, "/open311/v2/requests/"+no, "", http.StatusOK)
		if l := j.([]any); len(l) != 1 || !strings.EqualFold(l[0].(map[string]any)["service_request_id"].(string), no) {
			t.Errorf("GET requests/%s: %v", no, l)
		}
	}
	for _, no := range []string{"371722-20000101-ZZZZZZ", "999999-20260101-ABCDEF", "nonsense", "371722-20261399-ABCDEF"} {
		wantErrors(t, e.get(t, "/open311/v2/requests/"+no+".json"), e.get(t, "/open311/v2/requests/"+no+".xml"), http.StatusNotFound)
	}
}

func manyIDs(n int) string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("371722-20260101-%06d", i)
	}
	return strings.Join(ids, ",")
}

func TestTokens(t *testing.T) {
	e := sharedEnv(t)
	no := e.file(t, e.report(t, "demo_resident", nil))
	j, x := e.both(t, "/open311/v2/tokens/"+no, "", http.StatusOK)
	if x.XMLName.Local != "service_requests" {
		t.Fatalf("XML root %s", x.XMLName.Local)
	}
	list := j.([]any)
	if len(list) != 1 {
		t.Fatalf("tokens: %v", list)
	}
	tok := list[0].(map[string]any)
	fields(t, "token", tok, tokenFields)
	if tok["service_request_id"] != no || tok["token"] != no {
		t.Errorf("token answer %v", tok)
	}
	wantErrors(t, e.get(t, "/open311/v2/tokens/12345.json"), e.get(t, "/open311/v2/tokens/12345.xml"), http.StatusNotFound)
}

func TestFormatsAndMethods(t *testing.T) {
	e := sharedEnv(t)
	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/open311/v2/services.html", 400, ""},
		{"GET", "/open311/v2/services.yaml", 400, ""},
		{"GET", "/open311/v2/services", 400, ""},
		{"GET", "/open311/v2/requests/371722-20260101-ABCDEF", 400, ""},
		{"POST", "/open311/v2/requests.csv", 400, ""},
		{"GET", "/open311/v2/", 404, ""},
		{"GET", "/open311/v2/nothing.json", 404, ""},
		{"GET", "/open311/v2/services/1501/extra.json", 404, ""},
		{"GET", "/open311/v2/requests/.json", 404, ""},
		{"DELETE", "/open311/v2/requests.json", 405, "GET, HEAD, POST"},
		{"PUT", "/open311/v2/requests/371722-20260101-ABCDEF.xml", 405, "GET, HEAD"},
		{"POST", "/open311/v2/services.json", 405, "GET, HEAD"},
		{"POST", "/open311/v2/discovery.xml", 405, "GET, HEAD"},
		{"PATCH", "/open311/v2/tokens/1.json", 405, "GET, HEAD"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			// The suffix decides the format of the error; without a known
			// one, Accept does, and XML (the spec's format) is the default.
			r := e.do(t, tc.method, tc.path, nil, "Accept", "application/json").want(tc.status)
			if got := r.Header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow %q, want %q", got, tc.allow)
			}
			if strings.HasSuffix(tc.path, ".xml") {
				if x := r.xml(); x.XMLName.Local != "errors" || len(x.Kids) != 1 {
					t.Errorf("error array: %s", r)
				}
				return
			}
			if list := r.jsonList(); len(list) != 1 || list[0]["code"] != float64(tc.status) {
				t.Errorf("error array: %s", r)
			}
			if !strings.HasSuffix(tc.path, ".json") {
				if x := e.do(t, tc.method, tc.path, nil).want(tc.status).xml(); x.XMLName.Local != "errors" {
					t.Errorf("XML error root %s", x.XMLName.Local)
				}
			}
		})
	}
	// The suffix is case-insensitive; HEAD answers like GET without a body.
	e.get(t, "/open311/v2/services.JSON").want(200).jsonList()
	r := e.do(t, "HEAD", "/open311/v2/services.json", nil).want(200)
	if len(r.Body) != 0 || r.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("HEAD: %s", r)
	}
	// Mounted behind http.StripPrefix, the handler serves the same.
	rec := httptest.NewRecorder()
	http.StripPrefix(strings.TrimSuffix(open311.Prefix, "/"), e.h).ServeHTTP(rec, httptest.NewRequest("GET", "/open311/v2/services/1501.json", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"hazard_level"`) {
		t.Errorf("behind StripPrefix: %d %s", rec.Code, rec.Body.String())
	}
}

// TestPostWithAddressOnly: a request with address_string and no lat/long
// is placed by the region names in the address (no outside geocoder), in
// the region named, and says its position is an estimate.
func TestPostWithAddressOnly(t *testing.T) {
	e := sharedEnv(t)
	form := e.report(t, "demo_resident", url.Values{"address_string": {"单县园艺街道三号楼东侧"}, "description": {"路灯不亮"}})
	form.Del("lat")
	form.Del("long")
	no := e.file(t, form)
	c := e.caseByNo(t, no)
	town, _, err := e.m.Regions.Tree().FindAddress("单县园艺街道")
	if err != nil || town.Name != "园艺街道" {
		t.Fatalf("the demo has no 园艺街道 in 单县: %v", err)
	}
	if !strings.HasPrefix(c.RegionPath, town.Path) {
		t.Errorf("placed in %s, want inside 园艺街道 (%s)", c.RegionPath, town.Path)
	}
	if !strings.Contains(c.Description, "位置按地址估计，精确到“园艺街道”") || c.Address != "单县园艺街道三号楼东侧" {
		t.Errorf("description %q, address %q", c.Description, c.Address)
	}
}
