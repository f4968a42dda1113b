package web_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"civicgrid/internal/audit"
)

// idChecksum is the GB 11643 check character of the first 17 digits.
func idChecksum(body string) byte {
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(body[i]-'0') * w
	}
	return "10X98765432"[sum%11]
}

// TestPrivacy: personal data is masked in every answer, encrypted at rest,
// revealed only to a permitted role in scope, and every reveal is audited.
func TestPrivacy(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		const phone = "13912345678"
		const name = "隐私测试人"
		given := "371722199001011236"
		idno := given[:17] + string(idChecksum(given[:17]))
		if idno != given {
			t.Logf("ID number %s has a bad check digit; using %s", given, idno)
			// The bad one is refused, naming the field.
			p := e.as(t, "demo_grid").postJSON("/api/v1/people", map[string]any{"grid_code": e.user(t, "demo_grid").RegionCode, "name": name, "id_number": given}).
				wantProblem(http.StatusBadRequest, "invalid")
			if p.Field != "id_number" {
				t.Errorf("bad ID number: field %q", p.Field)
			}
		}

		grid := e.user(t, "demo_grid").RegionCode
		worker := e.as(t, "demo_grid")
		r := worker.postJSON("/api/v1/people", map[string]any{"grid_code": grid, "name": name, "phone": "+86 139-1234-5678", "id_number": idno, "household_no": "P-01"}).want(http.StatusCreated)
		var person struct {
			ID       string `json:"id"`
			GridCode string `json:"grid_code"`
			Name     string `json:"name"`
			Phone    string `json:"phone"`
			IDNumber string `json:"id_number"`
		}
		r.decode(&person)
		wantMasked := func(what string, body []byte) {
			t.Helper()
			s := string(body)
			if strings.Contains(s, phone) || strings.Contains(s, idno) || strings.Contains(s, name) {
				t.Errorf("%s shows personal data in clear: %s", what, s)
			}
			if !strings.Contains(s, "139****5678") || !strings.Contains(s, "371722********"+idno[14:]) || !strings.Contains(s, "隐****") {
				t.Errorf("%s lacks the masked values: %s", what, s)
			}
		}
		wantMasked("create answer", r.Body)
		if person.Phone != "139****5678" || person.GridCode != grid {
			t.Errorf("created person %+v", person)
		}
		wantMasked("GET person", worker.get("/api/v1/people/"+person.ID).want(http.StatusOK).Body)
		list := worker.get("/api/v1/people?limit=200").want(http.StatusOK)
		if !bytes.Contains(list.Body, []byte(person.ID)) {
			t.Errorf("new person not in the grid worker's list")
		}
		if bytes.Contains(list.Body, []byte(phone)) || bytes.Contains(list.Body, []byte(idno)) {
			t.Errorf("list shows clear values")
		}
		// Exact search by phone finds the person, masked (and is audited).
		found := worker.get("/api/v1/people?phone=" + url.QueryEscape("139 1234 5678")).want(http.StatusOK)
		wantMasked("search by phone", found.Body)
		worker.get("/api/v1/people?id_number=" + idno).want(http.StatusOK)

		// Encrypted at rest: the SQLite file and its WAL hold neither.
		if path := e.m.DB.Path; path != "" {
			var files int
			for _, f := range []string{path, path + "-wal", path + "-journal"} {
				b, err := os.ReadFile(f)
				if os.IsNotExist(err) {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				files++
				for _, secret := range []string{phone, idno, name, "139-1234-5678"} {
					if bytes.Contains(b, []byte(secret)) {
						t.Errorf("%s contains %q in plaintext", f, secret)
					}
				}
				// The file must be the real database (the check can fail).
				if !bytes.Contains(b, []byte(person.ID)) && strings.HasSuffix(f, "-wal") {
					t.Logf("%s does not hold the new row (checkpointed)", f)
				}
			}
			if files == 0 {
				t.Fatalf("no database file at %s", path)
			}
			all, _ := os.ReadFile(path)
			wal, _ := os.ReadFile(path + "-wal")
			if !bytes.Contains(append(all, wal...), []byte(person.ID)) {
				t.Errorf("the person's id is in neither the database nor the WAL: reading the wrong file?")
			}
		}
		// Nor the server's logs.
		if logs := e.logs.String(); strings.Contains(logs, phone) || strings.Contains(logs, idno) {
			t.Errorf("server log contains personal data")
		}

		// Reveal by the grid's own worker: clear value, audited.
		reveal := func(c *client, field string) *response {
			return c.postJSON("/api/v1/people/"+person.ID+"/reveal", map[string]any{"field": field, "reason": "上门核实"})
		}
		var rv struct{ Field, Value string }
		reveal(worker, "phone").want(http.StatusOK).decode(&rv)
		if rv.Field != "phone" || rv.Value != phone {
			t.Errorf("reveal phone: %+v", rv)
		}
		reveal(worker, "id_number").want(http.StatusOK).decode(&rv)
		if rv.Value != idno {
			t.Errorf("reveal id: %+v", rv)
		}
		// The village's grid leader may too (person.reveal over the village).
		reveal(e.as(t, "demo_leader"), "name").want(http.StatusOK).decode(&rv)
		if rv.Value != name {
			t.Errorf("reveal name: %+v", rv)
		}

		auditList := func() []audit.Entry {
			var page struct{ Items []audit.Entry }
			e.as(t, "demo_auditor").get("/api/v1/audit?object_type=person&object_id=" + person.ID + "&limit=100").want(http.StatusOK).decode(&page)
			return page.Items
		}
		entries := auditList()
		actions := map[string]int{}
		for _, en := range entries {
			actions[en.Action+" by "+en.Actor]++
			if en.ObjectID != person.ID || en.Hash == "" {
				t.Errorf("audit entry %+v", en)
			}
			if strings.Contains(en.Detail, phone) || strings.Contains(en.Detail, idno) {
				t.Errorf("audit entry stores the clear value: %+v", en)
			}
		}
		for _, want := range []string{"person.reveal.phone by demo_grid", "person.reveal.id_number by demo_grid", "person.reveal.name by demo_leader", "person.find.phone by demo_grid", "person.find.id_number by demo_grid"} {
			if actions[want] != 1 {
				t.Errorf("audit: %d × %q; entries %v", actions[want], want, actions)
			}
		}
		for _, en := range entries {
			if en.Action == "person.reveal.phone" && (en.Detail != "上门核实" || en.Role != "grid_worker") {
				t.Errorf("reveal entry %+v", en)
			}
		}

		// Roles without person.reveal get 403 and leave no trace.
		for _, who := range []string{"demo_dept", "demo_rider", "demo_resident", "demo_auditor"} {
			r := reveal(e.as(t, who), "phone")
			r.wantProblem(http.StatusForbidden, "forbidden")
			if strings.Contains(string(r.Body), phone) {
				t.Errorf("%s: refused reveal leaks the value", who)
			}
		}
		// A permitted role outside the person's scope: a new grid worker
		// in the sibling grid.
		sibling := e.node(t, grid).Parent.Children[1].Code
		other := uniq("other_grid")
		if r := e.as(t, "demo_leader").postJSON("/api/v1/accounts", map[string]any{"username": other, "password": "Other@2025", "role": "grid_worker", "region_code": sibling}); r.Status != http.StatusCreated {
			t.Fatalf("create sibling grid worker: %s", r)
		}
		oc := e.as(t, other)
		reveal(oc, "phone").wantProblem(http.StatusForbidden, "forbidden")
		oc.get("/api/v1/people/"+person.ID).wantProblem(http.StatusForbidden, "forbidden")
		var none struct{ Items []any }
		oc.get("/api/v1/people?phone=" + phone).want(http.StatusOK).decode(&none)
		if len(none.Items) != 0 {
			t.Errorf("search outside scope found %d", len(none.Items))
		}
		if after := auditList(); len(after) != len(entries) {
			t.Errorf("refused reveals wrote audit entries: %d → %d", len(entries), len(after))
		}

		// The audited chain is intact.
		res, err := audit.Verify(ctx, e.m.DB)
		if err != nil {
			t.Fatal(err)
		}
		if res.BadSeq != 0 || res.Entries < int64(len(entries)) {
			t.Errorf("audit.Verify: %+v", res)
		}
	})
}
