package web_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// TestXLSFormRoundTripAPI: a questionnaire exported as XLSForm and posted
// back makes an equal questionnaire; a workbook with what cannot be
// expressed is refused with the sheet and row.
func TestXLSFormRoundTripAPI(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		c := e.as(t, "demo_city")
		var qs struct {
			Items []struct {
				ID     string
				Title  string
				Schema struct{ Questions []struct{ Name, Type string } }
			}
		}
		c.get("/api/v1/questionnaires").want(http.StatusOK).decode(&qs)
		var src = qs.Items[0]
		for _, q := range qs.Items {
			if strings.Contains(q.Title, "牡丹") {
				src = q
			}
		}
		x := c.get("/api/v1/questionnaires/" + src.ID + "/xlsform").want(http.StatusOK)
		if !bytes.HasPrefix(x.Body, []byte("PK")) {
			t.Fatalf("xlsform export: %s", x)
		}
		var made struct {
			ID     string
			Schema struct{ Questions []struct{ Name, Type string } }
		}
		c.do("POST", "/api/v1/questionnaires/xlsform?title="+fmt.Sprint("往返", time.Now().UnixNano()), x.Body, "Content-Type", xlsxType).want(http.StatusCreated).decode(&made)
		if fmt.Sprint(made.Schema.Questions) != fmt.Sprint(src.Schema.Questions) {
			t.Fatalf("round trip changed the questions:\n%v\n%v", made.Schema.Questions, src.Schema.Questions)
		}
		f := excelize.NewFile()
		f.SetSheetName("Sheet1", "survey")
		f.SetSheetRow("survey", "A1", &[]string{"type", "name", "label"})
		f.SetSheetRow("survey", "A2", &[]string{"calculate", "total", "合计"})
		var buf bytes.Buffer
		f.Write(&buf)
		bad := buf.Bytes()
		p := c.do("POST", "/api/v1/questionnaires/xlsform", bad, "Content-Type", xlsxType).wantProblem(http.StatusBadRequest, "invalid")
		if len(p.Errors) == 0 || !strings.HasPrefix(p.Errors[0].Field, "survey/") {
			t.Fatalf("unexpressible form: %+v", p)
		}
	})
}

// TestResponsesAPI: an anonymous response through the API, its retry
// stored once, a bad answer refused with the field, on both databases.
func TestResponsesAPI(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		var qs struct {
			Items []struct{ ID, Title string }
		}
		e.as(t, "demo_city").get("/api/v1/questionnaires").want(http.StatusOK).decode(&qs)
		id := ""
		for _, q := range qs.Items {
			if strings.Contains(q.Title, "牡丹") {
				id = q.ID
			}
		}
		key := fmt.Sprint("api-", time.Now().UnixNano())
		body := map[string]any{"idempotency_key": key, "region_code": "371721", "answers": map[string]any{"visited": "yes", "satisfaction": 4, "age": 30}}
		anon := e.anon(t)
		var first, again struct {
			ID     string
			Replay bool
		}
		anon.postJSON("/api/v1/questionnaires/"+id+"/responses", body).want(http.StatusCreated).decode(&first)
		anon.postJSON("/api/v1/questionnaires/"+id+"/responses", body).want(http.StatusOK).decode(&again)
		if again.ID != first.ID || !again.Replay || len(first.ID) != 32 {
			t.Fatalf("first %+v, retry %+v", first, again)
		}
		body["idempotency_key"] = key + "b"
		body["answers"] = map[string]any{"visited": "yes", "satisfaction": 9}
		p := anon.postJSON("/api/v1/questionnaires/"+id+"/responses", body).wantProblem(http.StatusBadRequest, "invalid")
		if len(p.Errors) != 1 || p.Errors[0].Field != "answers/satisfaction" {
			t.Fatalf("bad rating: %+v", p)
		}
	})
}

// TestCalendarFeed: the activity calendar as iCalendar through the router.
func TestCalendarFeed(t *testing.T) {
	e := sharedEnv(t)
	r := e.anon(t).get("/api/v1/activities.ics?domain=livelihood").want(http.StatusOK)
	body := string(r.Body)
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/calendar") || !strings.HasPrefix(body, "BEGIN:VCALENDAR\r\n") ||
		!strings.Contains(body, "BEGIN:VEVENT") || !strings.Contains(body, "义诊进村") || strings.Contains(body, "清理村内垃圾") {
		t.Fatalf("feed:\n%s", body)
	}
	e.anon(t).get("/api/v1/activities.ics?domain=dancing").wantProblem(http.StatusBadRequest, "invalid")
}
