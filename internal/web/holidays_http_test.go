package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestHolidayCalendarThroughTheAPI: anyone signed in reads the calendar;
// only a city administrator imports a year, whose bad entries are named.
func TestHolidayCalendarThroughTheAPI(t *testing.T) {
	e := sharedEnv(t)
	var y struct {
		Year int
		Days []struct {
			Date, Name string
			Off        bool
		}
		Years []int
	}
	e.as(t, "demo_grid").get("/api/v1/holidays?year=2026").want(http.StatusOK).decode(&y)
	if y.Year != 2026 || len(y.Days) < 30 || y.Days[0].Date != "2026-01-01" || !y.Days[0].Off || len(y.Years) < 3 {
		t.Fatalf("2026: %+v", y)
	}
	e.as(t, "demo_grid").get("/api/v1/holidays?year=abc").wantProblem(http.StatusBadRequest, "invalid")

	file := `{"year": 2032, "days": [{"name": "元旦", "date": "2032-01-01", "isOffDay": true}, {"name": "元旦", "date": "2032-01-04", "isOffDay": false}]}`
	e.as(t, "demo_county").do("PUT", "/api/v1/holidays/2032", file).wantProblem(http.StatusForbidden, "forbidden")
	if p := e.as(t, "demo_city").do("PUT", "/api/v1/holidays/2031", file).wantProblem(http.StatusBadRequest, "invalid"); p.Field != "year" {
		t.Errorf("year mismatch names %q", p.Field)
	}
	bad := `{"year": 2032, "days": [{"name": "元旦", "date": "2032-01-01", "isOffDay": true}, {"name": "x", "date": "2032-02-30", "isOffDay": true}]}`
	if p := e.as(t, "demo_city").do("PUT", "/api/v1/holidays/2032", bad).wantProblem(http.StatusBadRequest, "invalid"); p.Field != "days/1" {
		t.Errorf("a bad entry is named %q, want days/1", p.Field)
	}
	var res struct{ Year, Entries int }
	e.as(t, "demo_city").do("PUT", "/api/v1/holidays/2032", file).want(http.StatusOK).decode(&res)
	if res.Year != 2032 || res.Entries != 2 {
		t.Fatalf("import: %+v", res)
	}
	e.as(t, "demo_grid").get("/api/v1/holidays?year=2032").want(http.StatusOK).decode(&y)
	if len(y.Days) != 2 || y.Days[1].Date != "2032-01-04" || y.Days[1].Off {
		t.Fatalf("2032 after the import: %+v", y.Days)
	}
}

// TestHomeWarnsOfAMissingHolidayYear: while next year's calendar is not
// imported, the town's home page says its deadlines will count Monday to
// Friday, and the city administrator's says how to import it.
func TestHomeWarnsOfAMissingHolidayYear(t *testing.T) {
	e := sharedEnv(t)
	var y struct{ Missing []int }
	e.as(t, "demo_grid").get("/api/v1/holidays").want(http.StatusOK).decode(&y)
	town := string(e.login(t, "demo_town").get("/").want(http.StatusOK).Body)
	if len(y.Missing) == 0 {
		// Nothing due yet (before November, or the year is imported).
		if strings.Contains(town, "节假日安排尚未导入") {
			t.Error("the town is warned though no year is missing")
		}
		return
	}
	if !strings.Contains(town, fmt.Sprintf("%d 年的节假日安排尚未导入", y.Missing[0])) || strings.Contains(town, "civicgrid holidays import") {
		t.Error("the town's home does not warn of the missing year (or tells it to import)")
	}
	city := string(e.login(t, "demo_city").get("/").want(http.StatusOK).Body)
	if !strings.Contains(city, "civicgrid holidays import") {
		t.Error("the city administrator is not told how to import the year")
	}
	if resident := string(e.login(t, "demo_resident").get("/").want(http.StatusOK).Body); strings.Contains(resident, "节假日安排尚未导入") {
		t.Error("a resident is warned about the holiday calendar")
	}
}
