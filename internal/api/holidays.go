package api

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"time"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/workcal"
)

// HolidayDay is one official entry: a holiday or a make-up working day.
type HolidayDay struct {
	Date string `json:"date"`
	Name string `json:"name"`
	Off  bool   `json:"off"`
}

// HolidayYear answers GET /api/v1/holidays.
type HolidayYear struct {
	Year    int          `json:"year"`
	Days    []HolidayDay `json:"days"`
	Years   []int        `json:"years"`   // years with official entries
	Missing []int        `json:"missing"` // this year or next without them: deadlines count Monday–Friday there
}

// HolidayImport answers PUT /api/v1/holidays/{year}.
type HolidayImport struct {
	Year    int `json:"year"`
	Entries int `json:"entries"`
}

// ListHolidays lists one year's official entries (?year=, this year by default)
// and which years the calendar covers.
func (h *Handlers) ListHolidays(w http.ResponseWriter, r *http.Request) {
	cal := h.Holidays.Calendar()
	year := time.Now().In(cal.Location()).Year()
	if s := r.URL.Query().Get("year"); s != "" {
		y, err := strconv.Atoi(s)
		if err != nil || y < workcal.MinYear || y > workcal.MaxYear {
			h.fail(w, r, errs.Field("year", "err.holidays.year", workcal.MinYear, workcal.MaxYear))
			return
		}
		year = y
	}
	out := HolidayYear{Year: year, Days: []HolidayDay{}, Years: cal.Years(), Missing: h.Holidays.Missing(time.Now())}
	if out.Missing == nil {
		out.Missing = []int{}
	}
	for _, d := range cal.Days(year) {
		out.Days = append(out.Days, HolidayDay{Date: d.Date, Name: d.Name, Off: d.Off})
	}
	WriteJSON(w, http.StatusOK, out)
}

// ImportHolidays replaces one year with the State Council's notice in the
// holiday-cn JSON form (the body). City administrators only: the calendar
// is the whole city's.
func (h *Handlers) ImportHolidays(w http.ResponseWriter, r *http.Request) {
	a := actor(r)
	if a.Role != auth.CityAdmin {
		h.fail(w, r, errs.New(errs.Forbidden, "err.holidays.city_only"))
		return
	}
	want, err := strconv.Atoi(r.PathValue("year"))
	if err != nil {
		h.fail(w, r, errs.Field("year", "err.holidays.year", workcal.MinYear, workcal.MaxYear))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		h.fail(w, r, errs.Field("", "err.holidays.file_large"))
		return
	}
	year, _, err := workcal.Parse(bytes.NewReader(body))
	if err != nil {
		h.fail(w, r, calendarError(err))
		return
	}
	if year != want {
		h.fail(w, r, errs.Field("year", "err.holidays.year_mismatch", year, want))
		return
	}
	year, n, err := h.Holidays.ImportBytes(r.Context(), body)
	if err != nil {
		h.fail(w, r, calendarError(err))
		return
	}
	WriteJSON(w, http.StatusOK, HolidayImport{Year: year, Entries: n})
}

// calendarError turns a holiday file's error into a problem naming the
// entry, in both languages.
func calendarError(err error) error {
	if ce, ok := err.(*workcal.Error); ok {
		field := ""
		if ce.Index >= 0 {
			field = "days/" + strconv.Itoa(ce.Index)
		}
		return errs.Literal(field, errs.Text{ZH: ce.Msg, EN: ce.MsgEN})
	}
	return err
}
