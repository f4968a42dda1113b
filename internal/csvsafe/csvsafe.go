// Package csvsafe keeps text that people typed from running as a formula
// when an export is opened in a spreadsheet (CSV injection): a cell that
// begins with =, +, -, @, a tab or a carriage return, and is not a number,
// gets a leading apostrophe, which Excel and WPS show as plain text.
package csvsafe

import "strconv"

// Cell returns v safe to put in a CSV cell.
func Cell(v string) string {
	if v == "" {
		return v
	}
	switch v[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return "'" + v
		}
	}
	return v
}

// Row applies Cell to every cell of rec in place and returns it.
func Row(rec []string) []string {
	for i, v := range rec {
		rec[i] = Cell(v)
	}
	return rec
}
