package volunteer

import (
	"context"
	"fmt"
	"io"
	"strings"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/region"
	"civicgrid/internal/store"

	"github.com/xuri/excelize/v2"
)

// Import limits: a village's register fits many times over.
const (
	MaxImportBytes = 10 << 20
	MaxImportRows  = 20000
)

// columns maps the header names villages use (and the English ones) to fields.
var columns = map[string]string{
	"姓名": "name", "name": "name",
	"手机号": "phone", "手机": "phone", "手机号码": "phone", "联系电话": "phone", "phone": "phone",
	"身份证号": "id_number", "身份证号码": "id_number", "身份证": "id_number", "id_number": "id_number",
	"技能": "skills", "专业技能": "skills", "特长": "skills", "skills": "skills",
	"网格编码": "grid_code", "网格": "grid_code", "所在网格": "grid_code", "grid_code": "grid_code",
}

// TemplateHeader is the header row of the import template.
var TemplateHeader = []string{"姓名", "手机号", "身份证号", "专业技能", "网格编码"}

// ImportResult says what an import did.
type ImportResult struct {
	Created int `json:"created"`
}

// rowError makes the problem for one cell: field path rows/{n}/{field},
// where n is the row number as the spreadsheet shows it.
func rowError(row int, field string, err error) *errs.Error {
	e := errs.As(err)
	c := *e
	c.Field = fmt.Sprintf("rows/%d/%s", row, field)
	if c.Code != errs.Invalid && c.Code != errs.Conflict {
		c.Code = errs.Invalid
	}
	return &c
}

// ParseRows turns a sheet (header first) into volunteers, collecting every
// row's problems. skillLabels maps what people write ("护士", "nurse") to a
// skill code; skills are separated by 、，, ; or spaces.
func ParseRows(rows [][]string, skillLabels map[string]string) ([]NewVolunteer, []int, []*errs.Error) {
	var problems []*errs.Error
	if len(rows) == 0 {
		return nil, nil, []*errs.Error{errs.Field("file", "err.volunteer.import_empty")}
	}
	idx := map[string]int{}
	for i, h := range rows[0] {
		if f, ok := columns[strings.ToLower(strings.TrimSpace(h))]; ok {
			if _, dup := idx[f]; !dup {
				idx[f] = i
			}
		}
	}
	for _, need := range []string{"name", "phone", "grid_code"} {
		if _, ok := idx[need]; !ok {
			problems = append(problems, errs.Field("rows/1/"+need, "err.volunteer.import_column", need))
		}
	}
	if len(problems) > 0 {
		return nil, nil, problems
	}
	if len(rows)-1 > MaxImportRows {
		return nil, nil, []*errs.Error{errs.Field("file", "err.volunteer.import_too_many", MaxImportRows)}
	}
	cell := func(r []string, f string) string {
		i, ok := idx[f]
		if !ok || i >= len(r) {
			return ""
		}
		return strings.TrimSpace(r[i])
	}
	var out []NewVolunteer
	var lines []int
	seenPhone, seenID := map[string]int{}, map[string]int{}
	for n, r := range rows[1:] {
		line := n + 2
		empty := true
		for _, c := range r {
			if strings.TrimSpace(c) != "" {
				empty = false
				break
			}
		}
		if empty {
			continue
		}
		v := NewVolunteer{Name: cell(r, "name"), Phone: cell(r, "phone"), IDNumber: cell(r, "id_number"), GridCode: cell(r, "grid_code")}
		bad := false
		for _, s := range strings.FieldsFunc(cell(r, "skills"), func(c rune) bool { return strings.ContainsRune("、，,;；/ ", c) }) {
			code, ok := skillLabels[strings.ToLower(s)]
			if !ok {
				problems = append(problems, rowError(line, "skills", errs.Field("skills", "err.volunteer.skill", s)))
				bad = true
				continue
			}
			v.Skills = append(v.Skills, code)
		}
		if err := v.Validate(); err != nil {
			problems = append(problems, rowError(line, errs.As(err).Field, err))
			continue
		}
		if bad {
			continue
		}
		if first, ok := seenPhone[v.Phone]; ok {
			problems = append(problems, rowError(line, "phone", errs.New(errs.Invalid, "err.volunteer.import_dup_row", first)))
			continue
		}
		seenPhone[v.Phone] = line
		if v.IDNumber != "" {
			if first, ok := seenID[v.IDNumber]; ok {
				problems = append(problems, rowError(line, "id_number", errs.New(errs.Invalid, "err.volunteer.import_dup_row", first)))
				continue
			}
			seenID[v.IDNumber] = line
		}
		out = append(out, v)
		lines = append(lines, line)
	}
	return out, lines, problems
}

// ReadSheet reads the first sheet of an XLSX file as rows of text.
func ReadSheet(r io.Reader) ([][]string, error) {
	f, err := excelize.OpenReader(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		return nil, errs.Field("file", "err.volunteer.import_xlsx")
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, errs.Field("file", "err.volunteer.import_empty")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, errs.Field("file", "err.volunteer.import_xlsx")
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		cols, err := rows.Columns()
		if err != nil {
			return nil, errs.Field("file", "err.volunteer.import_xlsx")
		}
		out = append(out, cols)
		if len(out) > MaxImportRows+1 {
			return nil, errs.Field("file", "err.volunteer.import_too_many", MaxImportRows)
		}
	}
	return out, rows.Error()
}

// Import registers every volunteer of an XLSX register in one transaction:
// all or nothing, with every row's problem reported at once.
func (s *Service) Import(ctx context.Context, actor auth.Actor, r io.Reader, skillLabels map[string]string) (ImportResult, error) {
	if err := actor.Authorize(auth.VolunteerManage, actor.RegionPath); err != nil {
		return ImportResult{}, err
	}
	rows, err := ReadSheet(r)
	if err != nil {
		return ImportResult{}, err
	}
	vs, lines, problems := ParseRows(rows, skillLabels)
	grids := make([]region.Info, len(vs))
	for i, v := range vs {
		g, ok := s.regions.Lookup(v.GridCode)
		switch {
		case !ok || g.Level != region.Grid:
			problems = append(problems, rowError(lines[i], "grid_code", errs.Field("grid_code", "err.people.grid")))
		case actor.Authorize(auth.VolunteerManage, g.Path) != nil:
			problems = append(problems, rowError(lines[i], "grid_code", errs.New(errs.Invalid, "err.out_of_scope")))
		}
		grids[i] = g
	}
	if len(problems) > 0 {
		return ImportResult{}, importProblems(problems)
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		for i, v := range vs {
			if v.IDNumber != "" {
				var n int
				if err := tx.QueryRow(ctx, `SELECT count(*) FROM volunteers WHERE idno_hash = ?`, s.keys.BlindIndex("idno", v.IDNumber)).Scan(&n); err != nil {
					return err
				} else if n > 0 {
					problems = append(problems, rowError(lines[i], "id_number", errs.New(errs.Conflict, "err.volunteer.duplicate_id")))
					continue
				}
			}
			if len(problems) > 0 {
				continue // keep finding problems; nothing will be kept
			}
			if _, err := s.insert(ctx, tx, actor, v, grids[i]); err != nil {
				return err
			}
		}
		if len(problems) > 0 {
			return importProblems(problems)
		}
		return nil
	})
	if err != nil {
		return ImportResult{}, err
	}
	return ImportResult{Created: len(vs)}, nil
}

func importProblems(list []*errs.Error) error {
	if len(list) > 200 {
		list = list[:200]
	}
	return &errs.Error{Code: errs.Invalid, Field: list[0].Field, Key: "err.volunteer.import_rows", Args: []any{len(list)}, List: list}
}

// Template writes the import template: the header row and one example.
func Template(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	for i, h := range TemplateHeader {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		f.SetCellStr(sheet, cell, h)
	}
	for i, v := range []string{"张三", "13800000000", "", "护士、电工", "371722001001001"} {
		cell, _ := excelize.CoordinatesToCellName(i+1, 2)
		f.SetCellStr(sheet, cell, v)
	}
	f.SetColWidth(sheet, "A", "E", 18)
	return f.Write(w)
}
