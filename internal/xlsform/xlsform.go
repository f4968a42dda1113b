// Package xlsform converts questionnaires between XLSForm workbooks (the
// survey, choices and settings sheets that ODK, KoboToolbox and SurveyCTO
// authors write) and survey.Schema, which stays the source of truth. What a
// workbook says that a Schema cannot is reported by sheet, row and column,
// never dropped without a word.
package xlsform

import (
	"bytes"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"civicgrid/internal/errs"
	"civicgrid/internal/survey"
)

// maxFile bounds an uploaded workbook; a questionnaire is a few dozen KB.
const maxFile = 10 << 20

// Import reads an XLSForm workbook. The problems point at cells
// (survey/7/type, choices/12/name, settings/2/form_title) and include the
// questionnaire's own validation; the caller decides whether to keep a
// schema that has problems.
func Import(r io.Reader) (survey.Schema, []*errs.Error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFile+1))
	if err != nil {
		return survey.Schema{}, []*errs.Error{{Code: errs.Invalid, Field: "file", Key: "err.xlsform.file", Cause: err}}
	}
	if len(data) > maxFile {
		return survey.Schema{}, []*errs.Error{errs.Field("file", "err.xlsform.file_large", maxFile>>20)}
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: 8 * maxFile, UnzipXMLSizeLimit: 8 * maxFile})
	if err != nil {
		return survey.Schema{}, []*errs.Error{{Code: errs.Invalid, Field: "file", Key: "err.xlsform.file", Cause: err}}
	}
	defer f.Close()
	var b book
	for _, name := range f.GetSheetList() {
		var dst *[][]string
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "survey":
			dst = &b.survey
		case "choices":
			dst = &b.choices
		case "settings":
			dst = &b.settings
		default:
			continue
		}
		rows, err := f.GetRows(name, excelize.Options{RawCellValue: true})
		if err != nil {
			return survey.Schema{}, []*errs.Error{{Code: errs.Invalid, Field: "file", Key: "err.xlsform.file", Cause: err}}
		}
		*dst = rows
	}
	return fromSheets(b)
}

// Export writes a questionnaire as an XLSForm workbook. Only a valid
// schema is written, so the workbook imports back to the same schema.
func Export(w io.Writer, s survey.Schema) error {
	if p := s.Validate(); len(p) > 0 {
		return &errs.Error{Code: errs.Invalid, Field: p[0].Field, Key: "err.xlsform.export_invalid", List: p}
	}
	b := toSheets(s)
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "survey"); err != nil {
		return errs.Wrap(err, "xlsform: sheet")
	}
	for _, name := range []string{"choices", "settings"} {
		if _, err := f.NewSheet(name); err != nil {
			return errs.Wrap(err, "xlsform: sheet")
		}
	}
	for _, sh := range []struct {
		name string
		rows [][]string
	}{{"survey", b.survey}, {"choices", b.choices}, {"settings", b.settings}} {
		for i, row := range sh.rows {
			cells := make([]any, len(row))
			for j, c := range row {
				cells[j] = c
			}
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := f.SetSheetRow(sh.name, cell, &cells); err != nil {
				return errs.Wrap(err, "xlsform: row")
			}
		}
	}
	return errs.Wrap(f.Write(w), "xlsform: write")
}
