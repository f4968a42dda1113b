package xlsform

import (
	"fmt"

	"civicgrid/internal/survey"
)

// langSuffix names a language the way XLSForm columns do, with the tag in
// parentheses so any tool can read it back: "label::Chinese (zh-CN)".
func langSuffix(tag string) string {
	switch tag {
	case "zh-CN":
		return "Chinese (zh-CN)"
	case "en":
		return "English (en)"
	}
	return tag
}

type rowMap map[string]string

func putText(m rowMap, base string, t survey.Text, langs []string) {
	for _, l := range langs {
		if v := t[l]; v != "" {
			m[base+"::"+langSuffix(l)] = v
		}
	}
}

// toSheets writes a questionnaire as XLSForm sheets: each choice question
// gets its own list named after it, a matrix is a table-list group of
// select_one rows sharing one list, and pages (when the questionnaire has
// them) are field-list groups.
func toSheets(s survey.Schema) book {
	langs := s.Languages
	var rows, choiceRows []rowMap
	taken := map[string]bool{}
	paged := false
	for _, q := range s.Questions {
		taken[q.Name] = true
		paged = paged || q.Page > 0
	}
	pageName := func(p int) string {
		n := fmt.Sprintf("page_%d", p)
		for taken[n] {
			n += "_"
		}
		return n
	}
	page := 0
	for _, q := range s.Questions {
		if paged && max(q.Page, 1) != page {
			if page != 0 {
				rows = append(rows, rowMap{"type": "end group"})
			}
			page = max(q.Page, 1)
			rows = append(rows, rowMap{"type": "begin group", "name": pageName(page), "appearance": "field-list"})
		}
		if len(q.Choices) > 0 {
			for _, c := range q.Choices {
				m := rowMap{"list_name": q.Name, "name": c.Name}
				putText(m, "label", c.Label, langs)
				choiceRows = append(choiceRows, m)
			}
		}
		m := rowMap{"name": q.Name, "relevant": q.Relevant, "constraint": q.Constraint}
		putText(m, "label", q.Label, langs)
		putText(m, "hint", q.Hint, langs)
		if q.Type != survey.Matrix { // a matrix has no constraint, so no message for one
			putText(m, "constraint_message", q.ConstraintMessage, langs)
			putText(m, "required_message", q.RequiredMessage, langs)
			if q.Required {
				m["required"] = "yes"
			}
		}
		if q.Randomize && (q.Type == survey.Single || q.Type == survey.Multiple || q.Type == survey.Ranking) {
			m["parameters"] = "randomize=true"
		}
		switch q.Type {
		case survey.Single:
			m["type"] = "select_one " + q.Name
		case survey.Multiple:
			m["type"] = "select_multiple " + q.Name
		case survey.Ranking:
			m["type"] = "rank " + q.Name
		case survey.Short:
			m["type"] = "text"
		case survey.Long:
			m["type"], m["appearance"] = "text", "multiline"
		case survey.Number:
			m["type"] = "decimal"
			if q.Integer {
				m["type"] = "integer"
			}
		case survey.Date:
			m["type"] = "date"
		case survey.Rating:
			n := q.Scale
			if n == 0 {
				n = defaultRatingN
			}
			m["type"], m["parameters"] = "range", fmt.Sprintf("start=1 end=%d step=1", n)
		case survey.Location:
			m["type"] = "geopoint"
		case survey.Photo:
			m["type"] = "image"
		case survey.Note:
			m["type"] = "note"
		case survey.Matrix:
			m["type"], m["appearance"] = "begin group", "table-list"
			delete(m, "parameters")
			rows = append(rows, m)
			for _, r := range q.Rows {
				c := rowMap{"type": "select_one " + q.Name, "name": r.Name}
				putText(c, "label", r.Label, langs)
				putText(c, "required_message", q.RequiredMessage, langs)
				if q.Required {
					c["required"] = "yes"
				}
				if q.Randomize {
					c["parameters"] = "randomize=true"
				}
				rows = append(rows, c)
			}
			m = rowMap{"type": "end group"}
		}
		rows = append(rows, m)
	}
	if paged {
		rows = append(rows, rowMap{"type": "end group"})
	}

	var cols []string
	add := func(c ...string) { cols = append(cols, c...) }
	add("type", "name")
	for _, base := range []string{"label", "hint"} {
		for _, l := range langs {
			add(base + "::" + langSuffix(l))
		}
	}
	add("required")
	for _, l := range langs {
		add("required_message::" + langSuffix(l))
	}
	add("relevant", "constraint")
	for _, l := range langs {
		add("constraint_message::" + langSuffix(l))
	}
	add("appearance", "parameters")

	choiceCols := []string{"list_name", "name"}
	for _, l := range langs {
		choiceCols = append(choiceCols, "label::"+langSuffix(l))
	}
	settings := rowMap{"form_title": s.Title[langs[0]], "default_language": langSuffix(langs[0])}
	settingCols := []string{"form_title"}
	for _, l := range langs[1:] {
		putText(settings, "form_title", survey.Text{l: s.Title[l]}, []string{l})
		settingCols = append(settingCols, "form_title::"+langSuffix(l))
	}
	settingCols = append(settingCols, "default_language")
	keep := []string{"type", "name"}
	for _, l := range langs {
		keep = append(keep, "label::"+langSuffix(l)) // so every language survives the round trip
	}
	return book{
		survey:   table(cols, rows, keep...),
		choices:  table(choiceCols, choiceRows, "list_name", "name"),
		settings: table(settingCols, []rowMap{settings}, "form_title"),
	}
}

// table lays rows out under the columns that any row uses (keep: always).
func table(cols []string, rows []rowMap, keep ...string) [][]string {
	used := map[string]bool{}
	for _, k := range keep {
		used[k] = true
	}
	for _, r := range rows {
		for k, v := range r {
			used[k] = used[k] || v != ""
		}
	}
	var header []string
	for _, c := range cols {
		if used[c] {
			header = append(header, c)
		}
	}
	out := [][]string{header}
	for _, r := range rows {
		line := make([]string, len(header))
		for i, c := range header {
			line[i] = r[c]
		}
		out = append(out, line)
	}
	return out
}
