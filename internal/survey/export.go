package survey

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"civicgrid/internal/auth"
	"civicgrid/internal/csvsafe"
	"civicgrid/internal/errs"
	"civicgrid/internal/store"

	"github.com/oklog/ulid/v2"
	"github.com/xuri/excelize/v2"
)

// Row is one stored response.
type Row struct {
	ID          string
	SubmittedAt time.Time
	RegionCode  string
	Answers     map[string]any
}

// stream calls fn for every response matching f, oldest first, reading
// one row at a time (flat memory whatever the count).
func (s *Service) stream(ctx context.Context, q Questionnaire, f Filter, fn func(Row) error) error {
	where, args := f.where()
	return s.db.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, submitted_at, region_code, answers FROM responses WHERE questionnaire_id = ?`+where+` ORDER BY submitted_at, id`, append([]any{q.ID}, args...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r Row
			var at, body string
			if err := rows.Scan(&r.ID, &at, &r.RegionCode, &body); err != nil {
				return err
			}
			r.SubmittedAt, _ = store.ParseTime(at)
			if err := json.Unmarshal([]byte(body), &r.Answers); err != nil {
				return errs.Wrap(err, "stored answers of "+r.ID)
			}
			if err := fn(r); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// column is one column of an export.
type column struct {
	head  string
	value func(Row) string
}

// columns lays out an export: id, time, region, then one column per
// question (a matrix: one per row), choices by their label.
func (s *Service) columns(q Questionnaire, lang string) []column {
	langs := q.Schema.Languages
	cols := []column{
		{"编号 id", func(r Row) string { return r.ID }},
		{"提交时间 submitted", func(r Row) string { return r.SubmittedAt.In(beijing).Format("2006-01-02 15:04") }},
		{"地区 region", func(r Row) string {
			if reg, ok := s.regions.Lookup(r.RegionCode); ok {
				return reg.Name + " " + reg.Code
			}
			return r.RegionCode
		}},
	}
	for _, qu := range q.Schema.Questions {
		qu := qu
		if qu.Type == Note {
			continue
		}
		names := map[string]string{}
		for _, c := range qu.Choices {
			if l := label(c.Label, lang, langs); l != "" {
				names[c.Name] = l
			} else {
				names[c.Name] = c.Name
			}
		}
		choice := func(c string) string {
			if l, ok := names[c]; ok {
				return l
			}
			return c
		}
		head := label(qu.Label, lang, langs) + " [" + qu.Name + "]"
		if qu.Type == Matrix {
			for _, row := range qu.Rows {
				row := row
				cols = append(cols, column{label(qu.Label, lang, langs) + " · " + label(row.Label, lang, langs) + " [" + qu.Name + "/" + row.Name + "]", func(r Row) string {
					if m, ok := r.Answers[qu.Name].(map[string]any); ok {
						if c, ok := m[row.Name].(string); ok {
							return choice(c)
						}
					}
					return ""
				}})
			}
			continue
		}
		cols = append(cols, column{head, func(r Row) string {
			v, ok := r.Answers[qu.Name]
			if !ok {
				return ""
			}
			switch qu.Type {
			case Single:
				c, _ := v.(string)
				return choice(c)
			case Multiple, Ranking:
				var out []string
				for _, c := range stringList(v) {
					out = append(out, choice(c))
				}
				return strings.Join(out, "; ")
			case Number, Rating:
				return numberText(v)
			case Location:
				if m, ok := v.(map[string]any); ok {
					return numberText(m["lat"]) + "," + numberText(m["lng"])
				}
				return ""
			}
			if t, ok := v.(string); ok {
				return t
			}
			b, _ := json.Marshal(v)
			return string(b)
		}})
	}
	return cols
}

// progressFn is told how many rows are written.
type progressFn func(done int64)

// WriteCSV streams matching responses as CSV (UTF-8 with a BOM, so Excel
// opens Chinese correctly).
func (s *Service) WriteCSV(ctx context.Context, actor auth.Actor, id, lang string, f Filter, w io.Writer) error {
	q, err := s.readable(ctx, actor, id)
	if err != nil {
		return err
	}
	return s.writeCSV(ctx, q, lang, f, w, nil)
}

func (s *Service) writeCSV(ctx context.Context, q Questionnaire, lang string, f Filter, w io.Writer, progress progressFn) error {
	cols := s.columns(q, lang)
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	head := make([]string, len(cols))
	for i, c := range cols {
		head[i] = c.head
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	rec := make([]string, len(cols))
	var n int64
	err := s.stream(ctx, q, f, func(r Row) error {
		for i, c := range cols {
			rec[i] = csvsafe.Cell(c.value(r))
		}
		n++
		if progress != nil && n%500 == 0 {
			progress(n)
		}
		return cw.Write(rec)
	})
	cw.Flush()
	if progress != nil {
		progress(n)
	}
	if err != nil {
		return err
	}
	return cw.Error()
}

// WriteXLSX streams matching responses as an Excel workbook (rows go to a
// temporary file as they come, not into memory).
func (s *Service) WriteXLSX(ctx context.Context, actor auth.Actor, id, lang string, f Filter, w io.Writer) error {
	q, err := s.readable(ctx, actor, id)
	if err != nil {
		return err
	}
	return s.writeXLSX(ctx, q, lang, f, w, nil)
}

func (s *Service) writeXLSX(ctx context.Context, q Questionnaire, lang string, f Filter, w io.Writer, progress progressFn) error {
	cols := s.columns(q, lang)
	x := excelize.NewFile()
	defer x.Close()
	sheet := x.GetSheetName(0)
	sw, err := x.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	row := make([]any, len(cols))
	for i, c := range cols {
		row[i] = c.head
	}
	if err := sw.SetRow("A1", row); err != nil {
		return err
	}
	var n int64
	err = s.stream(ctx, q, f, func(r Row) error {
		for i, c := range cols {
			row[i] = c.value(r)
		}
		n++
		cell, _ := excelize.CoordinatesToCellName(1, int(n)+1)
		if progress != nil && n%500 == 0 {
			progress(n)
		}
		return sw.SetRow(cell, row)
	})
	if err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	if progress != nil {
		progress(n)
	}
	_, err = x.WriteTo(w)
	return err
}

// Export jobs: a long export runs in the background, writing a file under
// the data directory; its page shows a progress bar and then the link.

// Job is an export in progress or done.
type Job struct {
	ID            string    `json:"id"`
	Questionnaire string    `json:"questionnaire"`
	Format        string    `json:"format"`
	Total         int64     `json:"total"`
	Done          int64     `json:"done"`
	State         string    `json:"state"` // running | done | failed
	Error         string    `json:"error,omitempty"`
	Created       time.Time `json:"created_at"`
	owner         string
	path          string
	name          string
}

type jobs struct {
	dir string
	mu  sync.Mutex
	m   map[string]*jobState
}

type jobState struct {
	Job
	done atomic.Int64
}

func newJobs(dir string) *jobs { return &jobs{dir: dir, m: map[string]*jobState{}} }

func (j *jobs) snapshot(st *jobState) Job {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := st.Job
	out.Done = st.done.Load()
	return out
}

// StartExport begins an export job of the matching responses as csv or xlsx.
func (s *Service) StartExport(ctx context.Context, actor auth.Actor, id, format, lang string, f Filter) (Job, error) {
	if format != "csv" && format != "xlsx" {
		return Job{}, errs.Field("format", "err.survey.format")
	}
	q, err := s.readable(ctx, actor, id)
	if err != nil {
		return Job{}, err
	}
	var total int64
	where, args := f.where()
	if err := s.db.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM responses WHERE questionnaire_id = ?`+where, append([]any{id}, args...)...).Scan(&total)
	}); err != nil {
		return Job{}, err
	}
	if err := os.MkdirAll(s.jobs.dir, 0o700); err != nil {
		return Job{}, errs.Wrap(err, "export dir")
	}
	st := &jobState{Job: Job{ID: ulid.Make().String(), Questionnaire: id, Format: format, Total: total, State: "running", Created: time.Now(), owner: actor.UserID}}
	st.path = filepath.Join(s.jobs.dir, st.ID+"."+format)
	st.name = fmt.Sprintf("responses-%s-%s.%s", id, time.Now().In(beijing).Format("20060102-1504"), format)
	s.jobs.mu.Lock()
	for k, old := range s.jobs.m { // forget finished jobs after an hour
		if old.State != "running" && time.Since(old.Created) > time.Hour {
			os.Remove(old.path)
			delete(s.jobs.m, k)
		}
	}
	s.jobs.m[st.ID] = st
	s.jobs.mu.Unlock()
	go func() {
		err := s.runExport(q, format, lang, f, st)
		s.jobs.mu.Lock()
		defer s.jobs.mu.Unlock()
		if err != nil {
			st.State, st.Error = "failed", err.Error()
			os.Remove(st.path)
			return
		}
		st.State = "done"
	}()
	return s.jobs.snapshot(st), nil
}

func (s *Service) runExport(q Questionnaire, format, lang string, f Filter, st *jobState) error {
	tmp := st.path + ".part"
	file, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	ctx := context.Background()
	progress := func(n int64) { st.done.Store(n) }
	if format == "csv" {
		err = s.writeCSV(ctx, q, lang, f, file, progress)
	} else {
		err = s.writeXLSX(ctx, q, lang, f, file, progress)
	}
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, st.path)
}

// Export returns a job of the actor's.
func (s *Service) Export(actor auth.Actor, jobID string) (Job, error) {
	s.jobs.mu.Lock()
	st, ok := s.jobs.m[jobID]
	s.jobs.mu.Unlock()
	if !ok || st.owner != actor.UserID {
		return Job{}, errs.New(errs.NotFound, "err.not_found")
	}
	return s.jobs.snapshot(st), nil
}

// ExportFile opens a finished job's file, with the name to download it as.
func (s *Service) ExportFile(actor auth.Actor, jobID string) (*os.File, string, error) {
	j, err := s.Export(actor, jobID)
	if err != nil {
		return nil, "", err
	}
	if j.State != "done" {
		return nil, "", errs.New(errs.Conflict, "err.survey.export_running")
	}
	s.jobs.mu.Lock()
	st := s.jobs.m[jobID]
	s.jobs.mu.Unlock()
	f, err := os.Open(st.path)
	if err != nil {
		return nil, "", errs.Wrap(err, "open export")
	}
	return f, st.name, nil
}
