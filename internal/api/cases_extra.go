package api

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"civicgrid/internal/auth"
	"civicgrid/internal/cases"
	"civicgrid/internal/csvsafe"
	"civicgrid/internal/errs"
	"civicgrid/internal/i18n"
	"civicgrid/internal/live"
	"civicgrid/internal/media"
	"civicgrid/internal/region"

	"github.com/xuri/excelize/v2"
)

func (h *Handlers) exportFilter(r *http.Request) (cases.Filter, error) {
	q := r.URL.Query()
	f := cases.Filter{RegionCode: q.Get("region"), Category: q.Get("category"), Channel: cases.Channel(q.Get("channel"))}
	var err error
	if f.Status, err = statusParam(q.Get("status")); err != nil {
		return f, err
	}
	if f.From, err = timeParam(r, "from"); err != nil {
		return f, err
	}
	f.To, err = timeParam(r, "to")
	return f, err
}

func exportName(ext string) string {
	return fmt.Sprintf("cases-%s.%s", time.Now().In(chinaTime).Format("20060102-150405"), ext)
}

// readable names a row's channel and stage in Chinese, as the header does.
func (h *Handlers) readable(row cases.ExportRow) cases.ExportRow {
	for _, col := range []struct {
		i      int
		prefix string
	}{{cases.ExportChannel, "case.channel."}, {cases.ExportStage, "case.stage."}} {
		if k := col.prefix + row[col.i]; h.Catalog.Has(k) {
			row[col.i] = h.Catalog.T(i18n.ZH, k)
		}
	}
	return row
}

// longDownload gives an export an hour to reach the client instead of the
// server's five-minute write timeout: a million rows over a slow county
// line take longer than that.
func longDownload(w http.ResponseWriter) {
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Hour))
}

// ExportCSV streams the matching cases as CSV (UTF-8 with BOM, so Excel in
// China opens it right). Headers are written with the first row, so a
// refusal before any row still gets a problem object.
func (h *Handlers) ExportCSV(w http.ResponseWriter, r *http.Request) {
	longDownload(w)
	f, err := h.exportFilter(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var cw *csv.Writer
	start := func() {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+exportName("csv")+`"`)
		io.WriteString(w, "\ufeff")
		cw = csv.NewWriter(w)
		cw.Write(cases.ExportHeader)
	}
	_, err = h.Cases.Export(r.Context(), actor(r), f, func(row cases.ExportRow) error {
		if cw == nil {
			start()
		}
		return cw.Write(csvsafe.Row(h.readable(row)))
	})
	if err != nil && cw == nil {
		h.fail(w, r, err)
		return
	}
	if cw == nil {
		start() // no rows: the header alone
	}
	cw.Flush()
}

// ExportXLSX streams the matching cases into an Excel workbook with
// excelize's stream writer, which spills rows to a temporary file instead
// of holding them in memory.
func (h *Handlers) ExportXLSX(w http.ResponseWriter, r *http.Request) {
	longDownload(w)
	f, err := h.exportFilter(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a := actor(r)
	if err := a.Authorize(auth.CaseRead, a.RegionPath); err != nil {
		h.fail(w, r, err)
		return
	}
	book := excelize.NewFile()
	defer book.Close()
	sheet := "事件"
	book.SetSheetName("Sheet1", sheet)
	sw, err := book.NewStreamWriter(sheet)
	if err != nil {
		h.fail(w, r, errs.Wrap(err, "xlsx"))
		return
	}
	header := make([]any, len(cases.ExportHeader))
	for i, s := range cases.ExportHeader {
		header[i] = s
	}
	sw.SetRow("A1", header)
	row := 2
	_, err = h.Cases.Export(r.Context(), a, f, func(er cases.ExportRow) error {
		er = h.readable(er)
		vals := make([]any, len(er))
		for i, s := range er {
			vals[i] = s
		}
		cell, _ := excelize.CoordinatesToCellName(1, row)
		row++
		return sw.SetRow(cell, vals)
	})
	if err == nil {
		err = sw.Flush()
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="`+exportName("xlsx")+`"`)
	book.Write(w)
}

// CaseMap returns open cases clustered by the regions one level below, as
// GeoJSON points with counts.
func (h *Handlers) CaseMap(w http.ResponseWriter, r *http.Request) {
	a := actor(r)
	code := r.URL.Query().Get("region")
	if code == "" {
		code = a.RegionCode
	}
	cl, err := h.Cases.Clusters(r.Context(), a, code, region.Level(r.URL.Query().Get("level")))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	type feature struct {
		Type       string         `json:"type"`
		Geometry   map[string]any `json:"geometry"`
		Properties cases.Cluster  `json:"properties"`
	}
	fc := struct {
		Type     string    `json:"type"`
		Features []feature `json:"features"`
	}{Type: "FeatureCollection", Features: []feature{}}
	for _, c := range cl {
		fc.Features = append(fc.Features, feature{"Feature", map[string]any{"type": "Point", "coordinates": []float64{c.Lng, c.Lat}}, c})
	}
	w.Header().Set("Content-Type", "application/geo+json; charset=utf-8")
	json.NewEncoder(w).Encode(fc)
}

// UploadPhoto stores a photo (multipart field "photo" or the raw body): type
// checked by content, metadata removed, thumbnail made.
func (h *Handlers) UploadPhoto(w http.ResponseWriter, r *http.Request) {
	body := io.Reader(http.MaxBytesReader(w, r.Body, h.Photos.Limits().MaxBytes+1<<20))
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		f, _, err := r.FormFile("photo")
		if err != nil {
			h.fail(w, r, errs.Field("photo", "err.required"))
			return
		}
		defer f.Close()
		body = f
	}
	p, err := h.Photos.Save(body)
	if err != nil {
		if me, ok := err.(*media.Error); ok {
			h.fail(w, r, errs.Literal("photo", errs.Text{ZH: me.Msg, EN: me.MsgEN}))
			return
		}
		h.fail(w, r, errs.Wrap(err, "save photo"))
		return
	}
	WriteJSON(w, http.StatusCreated, p)
}

// Photo serves a stored photo or thumbnail.
func (h *Handlers) Photo(w http.ResponseWriter, r *http.Request) {
	f, p, err := h.Photos.Open(r.PathValue("id"))
	if err != nil {
		h.fail(w, r, errs.New(errs.NotFound, "err.not_found"))
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", p.Type)
	w.Header().Set("Cache-Control", "private, max-age=31536000, immutable")
	http.ServeContent(w, r, "", time.Time{}, f)
}

// FollowPhoto serves a photo of a followed case (or its thumbnail, for the
// …/thumb route) to its reporter, who has no account: the follow token
// must be right and the photo must be one of the case's.
func (h *Handlers) FollowPhoto(w http.ResponseWriter, r *http.Request) {
	c, _, err := h.Cases.Follow(r.Context(), r.PathValue("no"), r.URL.Query().Get("token"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !slices.Contains(c.Photos, r.PathValue("id")) {
		h.fail(w, r, errs.New(errs.NotFound, "err.not_found"))
		return
	}
	if strings.HasSuffix(r.URL.Path, "/thumb") {
		h.PhotoThumb(w, r)
		return
	}
	h.Photo(w, r)
}

// PhotoThumb serves a stored photo's thumbnail.
func (h *Handlers) PhotoThumb(w http.ResponseWriter, r *http.Request) {
	f, p, err := h.Photos.Open(r.PathValue("id"))
	if err != nil {
		h.fail(w, r, errs.New(errs.NotFound, "err.not_found"))
		return
	}
	f.Close()
	if p.ThumbID == "" {
		h.Photo(w, r)
		return
	}
	t, tp, err := h.Photos.Open(p.ThumbID)
	if err != nil {
		h.fail(w, r, errs.New(errs.NotFound, "err.not_found"))
		return
	}
	defer t.Close()
	w.Header().Set("Content-Type", tp.Type)
	w.Header().Set("Cache-Control", "private, max-age=31536000, immutable")
	http.ServeContent(w, r, "", time.Time{}, t)
}

// sse streams events accepted by keep until the client goes away.
func (h *Handlers) sse(w http.ResponseWriter, r *http.Request, keep func(live.Event) bool) {
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's write timeout
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, "retry: 3000\n: connected\n\n")
	rc.Flush()
	events := h.Live.Subscribe(r.Context())
	beat := time.NewTicker(25 * time.Second)
	defer beat.Stop()
	for {
		select {
		case e, ok := <-events:
			if !ok {
				return
			}
			if keep(e) {
				fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.Topic, e.ID)
				rc.Flush()
			}
		case <-beat.C:
			io.WriteString(w, ": keep-alive\n\n")
			rc.Flush()
		case <-r.Context().Done():
			return
		}
	}
}

// Events streams changes to cases in the actor's scope (Server-Sent Events).
func (h *Handlers) Events(w http.ResponseWriter, r *http.Request) {
	a := actor(r)
	if err := a.Authorize(auth.CaseRead, a.RegionPath); err != nil {
		h.fail(w, r, err)
		return
	}
	h.sse(w, r, func(e live.Event) bool { return a.InScope(e.Path) })
}

// FollowEvents streams changes to one case for its reporter.
func (h *Handlers) FollowEvents(w http.ResponseWriter, r *http.Request) {
	c, _, err := h.Cases.Follow(r.Context(), r.PathValue("no"), r.URL.Query().Get("token"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.sse(w, r, func(e live.Event) bool { return e.ID == c.ID })
}

// CaseEvents streams changes to one case for a signed-in viewer.
func (h *Handlers) CaseEvents(w http.ResponseWriter, r *http.Request) {
	c, _, err := h.Cases.Get(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.sse(w, r, func(e live.Event) bool { return e.ID == c.ID })
}
