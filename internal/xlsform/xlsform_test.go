package xlsform

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"civicgrid/internal/errs"
	"civicgrid/internal/survey"
)

func bi(zh, en string) survey.Text { return survey.Text{"zh-CN": zh, "en": en} }

func opts(names ...string) []survey.Choice {
	out := make([]survey.Choice, len(names))
	for i, n := range names {
		out[i] = survey.Choice{Name: n, Label: bi("选项"+n, "Option "+n)}
	}
	return out
}

// everyType uses every question type and every field XLSForm can carry.
func everyType() survey.Schema {
	return survey.Schema{
		Title:     bi("移风易俗意见征集", "Changing customs"),
		Languages: []string{"zh-CN", "en"},
		Questions: []survey.Question{
			{Name: "intro", Type: survey.Note, Label: bi("感谢参与", "Thanks"), Hint: bi("约三分钟", "About three minutes"), Page: 1},
			{Name: "visited", Type: survey.Single, Label: bi("是否来过", "Been here?"), Required: true, Choices: opts("yes", "no"), Page: 1},
			{Name: "why", Type: survey.Multiple, Label: bi("为什么来", "Why"), Choices: opts("flowers", "food", "1"), Randomize: true,
				Relevant: "${visited} = 'yes'", Constraint: "count-selected(.) <= 2", ConstraintMessage: bi("最多选两项", "Two at most"), Page: 1},
			{Name: "name", Type: survey.Short, Label: bi("称呼", "Name"), Hint: survey.Text{"zh-CN": "可不填"}, Page: 2},
			{Name: "story", Type: survey.Long, Label: bi("印象", "Impression"), Page: 2},
			{Name: "age", Type: survey.Number, Label: bi("年龄", "Age"), Integer: true, Required: true, RequiredMessage: bi("请填写年龄", "Age, please"),
				Constraint: ". >= 0 and . <= 120", ConstraintMessage: bi("年龄应在 0 到 120 之间", "0 to 120"), Page: 2},
			{Name: "spend", Type: survey.Number, Label: bi("花费", "Spent"), Page: 2},
			{Name: "day", Type: survey.Date, Label: bi("日期", "Date"), Constraint: ". <= today()", Page: 2},
			{Name: "score", Type: survey.Rating, Label: bi("评分", "Score"), Scale: 10, Page: 3},
			{Name: "stars", Type: survey.Rating, Label: bi("星级", "Stars"), Scale: 5, Page: 3},
			{Name: "grid", Type: survey.Matrix, Label: bi("满意度", "Satisfaction"), Hint: bi("每行选一项", "One per row"), Required: true,
				RequiredMessage: bi("每行都要选", "Every row"), Randomize: true, Relevant: "${visited} = 'yes'",
				Rows: opts("parking", "toilets"), Choices: opts("good", "ok", "bad"), Page: 3},
			{Name: "rank", Type: survey.Ranking, Label: bi("排序", "Rank"), Choices: opts("a", "b", "c"), Page: 3},
			{Name: "where", Type: survey.Location, Label: bi("位置", "Where"), Page: 4},
			{Name: "photo", Type: survey.Photo, Label: bi("照片", "Photo"), Page: 4},
			{Name: "page_4", Type: survey.Short, Label: bi("手机", "Phone"), Constraint: "regex(., '^1[3-9][0-9]{9}$')", Page: 4},
		},
	}
}

func roundTrip(t *testing.T, s survey.Schema) (survey.Schema, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := Export(&buf, s); err != nil {
		t.Fatal(err)
	}
	got, p := Import(bytes.NewReader(buf.Bytes()))
	if len(p) > 0 {
		t.Fatalf("import of an export has problems: %v", keys(p))
	}
	return got, buf.Bytes()
}

func keys(p []*errs.Error) []string {
	var out []string
	for _, e := range p {
		s := e.Field + " " + e.Key
		if len(e.Args) > 0 {
			b, _ := json.Marshal(e.Args)
			s += " " + string(b)
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func TestRoundTripEveryType(t *testing.T) {
	s := everyType()
	if p := s.Validate(); len(p) > 0 {
		t.Fatal(keys(p))
	}
	got, data := roundTrip(t, s)
	if !reflect.DeepEqual(got, s) {
		a, _ := json.MarshalIndent(s, "", " ")
		b, _ := json.MarshalIndent(got, "", " ")
		t.Fatalf("round trip changed the schema\nwant %s\ngot  %s", a, b)
	}
	// The workbook is plain XLSForm: look at a few cells other tools read.
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows("survey")
	head := strings.Join(rows[0], "|")
	for _, c := range []string{"type", "name", "label::Chinese (zh-CN)", "label::English (en)", "required", "relevant", "constraint", "constraint_message::Chinese (zh-CN)", "appearance", "parameters"} {
		if !strings.Contains(head, c) {
			t.Errorf("survey header lacks %s: %s", c, head)
		}
	}
	var types []string
	for _, r := range rows[1:] {
		types = append(types, r[0])
	}
	want := "begin group,note,select_one visited,select_multiple why,end group,begin group,text,text,integer,decimal,date,end group," +
		"begin group,range,range,begin group,select_one grid,select_one grid,end group,rank rank,end group,begin group,geopoint,image,text,end group"
	if got := strings.Join(types, ","); got != want {
		t.Errorf("types\n%s\nwant\n%s", got, want)
	}
	settings, _ := f.GetRows("settings")
	if len(settings) != 2 || settings[1][0] != "移风易俗意见征集" {
		t.Errorf("settings %q", settings)
	}
}

func TestRoundTripOnePageOneLanguage(t *testing.T) {
	s := survey.Schema{
		Title:     survey.Text{"zh-CN": "简单问卷"},
		Languages: []string{"zh-CN"},
		Questions: []survey.Question{
			{Name: "q1", Type: survey.Single, Label: survey.Text{"zh-CN": "满意吗"}, Choices: []survey.Choice{{Name: "1", Label: survey.Text{"zh-CN": "满意"}}, {Name: "2", Label: survey.Text{"zh-CN": "不满意"}}}},
			{Name: "q2", Type: survey.Rating, Label: survey.Text{"zh-CN": "打分"}, Scale: 3},
		},
	}
	got, _ := roundTrip(t, s)
	if !reflect.DeepEqual(got, s) {
		t.Fatalf("%#v", got)
	}
	// A language with no text yet is kept too.
	s.Languages = append(s.Languages, "en")
	if got, _ = roundTrip(t, s); !reflect.DeepEqual(got.Languages, s.Languages) {
		t.Fatalf("languages %v", got.Languages)
	}
}

func TestExportInvalid(t *testing.T) {
	s := everyType()
	s.Questions[1].Name = "bad name"
	err := Export(&bytes.Buffer{}, s)
	if e := errs.As(err); e.Code != errs.Invalid || e.Key != "err.xlsform.export_invalid" || len(e.List) == 0 {
		t.Fatalf("%v", err)
	}
}

func TestImportNotAWorkbook(t *testing.T) {
	_, p := Import(strings.NewReader("name,type\nq1,text\n"))
	if got := keys(p); !reflect.DeepEqual(got, []string{"file err.xlsform.file"}) {
		t.Fatal(got)
	}
	_, p = Import(bytes.NewReader(make([]byte, maxFile+1)))
	if got := keys(p); !reflect.DeepEqual(got, []string{"file err.xlsform.file_large [10]"}) {
		t.Fatal(got)
	}
	// A workbook without a survey sheet.
	f := excelize.NewFile()
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	_, p = Import(&buf)
	if got := keys(p); !reflect.DeepEqual(got, []string{"survey err.xlsform.no_survey"}) {
		t.Fatal(got)
	}
}

// workbook writes sheets as an .xlsx, the way an author's spreadsheet is.
func workbook(t testing.TB, b book) []byte {
	f := excelize.NewFile()
	defer f.Close()
	_ = f.SetSheetName("Sheet1", "Survey") // sheet names are matched without case
	sheets := []struct {
		name string
		rows [][]string
	}{{"Survey", b.survey}, {"choices", b.choices}, {"settings", b.settings}}
	for _, sh := range sheets[1:] {
		if sh.rows != nil {
			_, _ = f.NewSheet(sh.name)
		}
	}
	for _, sh := range sheets {
		for i, row := range sh.rows {
			cells := make([]any, len(row))
			for j, c := range row {
				cells[j] = c
			}
			if sh.name == "Survey" && i > 0 && len(row) > 4 && row[4] == "1" {
				cells[4] = 1 // a number cell, as Excel stores a typed 1
			}
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := f.SetSheetRow(sh.name, cell, &cells); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// authored is an XLSForm as people write it for ODK: plain label column
// (the default language) beside an English one, a labelled field-list page,
// a table-list matrix with its header row, group relevance, pyxform's
// alternative spellings.
func authored() book {
	return book{
		survey: [][]string{
			{"type", "name", "label", "label::English (en)", "required", "relevant", "constraint", "jr:constraintMsg", "appearance", "parameters", "hint"},
			{"select_one yn", "resident", "您是本地居民吗？", "Do you live here?", "yes", "", "", "", "minimal", "", ""},
			{"begin_group", "p1", "基本情况", "About you", "", "${resident} = 'yes'", "", "", "field-list", "", ""},
			{"integer", "age", "年龄", "Age", "1", "", ". > 0 and . < 120", "年龄不对", "", "", "周岁"},
			{"text", "note_txt", "意见", "Comments", "", "${age} >= 18", "", "", "multiline", "", ""},
			{"end_group", "", "", "", "", "", "", "", "", "", ""},
			{"", "", "", "", "", "", "", "", "", "", ""},
			{"begin group", "grid", "满意度", "Satisfaction", "", "", "", "", "table-list", "", ""},
			{"select one sat", "hdr", "", "", "", "", "", "", "label", "", ""},
			{"select_one sat", "roads", "道路", "Roads", "yes", "", "", "", "list-nolabel", "", ""},
			{"select_one sat", "parks", "公园", "Parks", "yes", "", "", "", "list-nolabel", "randomize=true", ""},
			{"end group", "", "", "", "", "", "", "", "", "", ""},
			{"range", "score", "总体评分", "Overall", "", "", "", "", "", "start=1 end=7 step=1", ""},
			{"rank prio", "prio", "优先顺序", "Priorities", "", "", "", "", "", "", ""},
			{"geopoint", "where", "位置", "Where", "", "", "", "", "", "", ""},
			{"image", "pic", "照片", "Photo", "", "", "", "", "", "", ""},
			{"decimal", "spend", "花费", "Spent", "", "", "", "", "", "", ""},
			{"date", "when", "日期", "Date", "", "", "", "", "no-calendar", "", ""},
			{"select_multiple yn", "both", "都选", "Both", "", "", "", "", "horizontal w2", "randomize=false", ""},
		},
		choices: [][]string{
			{"list_name", "name", "label", "label::English (en)"},
			{"yn", "yes", "是", "Yes"},
			{"yn", "no", "否", "No"},
			{"sat", "1", "满意", "Good"},
			{"sat", "2", "一般", "Fair"},
			{"sat", "3", "不满意", "Poor"},
			{"prio", "a", "甲", "A"},
			{"prio", "b", "乙", "B"},
		},
		settings: [][]string{{"form_title", "form_id", "version"}, {"居民意见", "resident_views", "2026112901"}},
	}
}

func TestImportAuthoredWorkbook(t *testing.T) {
	s, p := Import(bytes.NewReader(workbook(t, authored())))
	if len(p) > 0 {
		t.Fatal(keys(p))
	}
	yn := []survey.Choice{{Name: "yes", Label: bi("是", "Yes")}, {Name: "no", Label: bi("否", "No")}}
	want := survey.Schema{
		Title:     survey.Text{"zh-CN": "居民意见"},
		Languages: []string{"zh-CN", "en"},
		Questions: []survey.Question{
			{Name: "resident", Type: survey.Single, Label: bi("您是本地居民吗？", "Do you live here?"), Required: true, Choices: yn, Page: 1},
			{Name: "p1", Type: survey.Note, Label: bi("基本情况", "About you"), Relevant: "${resident} = 'yes'", Page: 2},
			{Name: "age", Type: survey.Number, Integer: true, Label: bi("年龄", "Age"), Hint: survey.Text{"zh-CN": "周岁"}, Required: true,
				Relevant: "${resident} = 'yes'", Constraint: ". > 0 and . < 120", ConstraintMessage: survey.Text{"zh-CN": "年龄不对"}, Page: 2},
			{Name: "note_txt", Type: survey.Long, Label: bi("意见", "Comments"), Relevant: "(${resident} = 'yes') and (${age} >= 18)", Page: 2},
			{Name: "grid", Type: survey.Matrix, Label: bi("满意度", "Satisfaction"), Required: true, Randomize: true,
				Rows:    []survey.Choice{{Name: "roads", Label: bi("道路", "Roads")}, {Name: "parks", Label: bi("公园", "Parks")}},
				Choices: []survey.Choice{{Name: "1", Label: bi("满意", "Good")}, {Name: "2", Label: bi("一般", "Fair")}, {Name: "3", Label: bi("不满意", "Poor")}}, Page: 3},
			{Name: "score", Type: survey.Rating, Scale: 7, Label: bi("总体评分", "Overall"), Page: 3},
			{Name: "prio", Type: survey.Ranking, Label: bi("优先顺序", "Priorities"), Choices: []survey.Choice{{Name: "a", Label: bi("甲", "A")}, {Name: "b", Label: bi("乙", "B")}}, Page: 3},
			{Name: "where", Type: survey.Location, Label: bi("位置", "Where"), Page: 3},
			{Name: "pic", Type: survey.Photo, Label: bi("照片", "Photo"), Page: 3},
			{Name: "spend", Type: survey.Number, Label: bi("花费", "Spent"), Page: 3},
			{Name: "when", Type: survey.Date, Label: bi("日期", "Date"), Page: 3},
			{Name: "both", Type: survey.Multiple, Label: bi("都选", "Both"), Choices: yn, Page: 3},
		},
	}
	if !reflect.DeepEqual(s, want) {
		a, _ := json.MarshalIndent(want, "", " ")
		b, _ := json.MarshalIndent(s, "", " ")
		t.Fatalf("want %s\ngot  %s", a, b)
	}
}

// TestImportReportsWhatItCannotExpress: each unsupported thing is named by
// sheet, row and column, and the rest of the form is still read.
func TestImportReportsWhatItCannotExpress(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(b *book)
		problem string
	}{
		{"calculate", func(b *book) {
			b.survey = append(b.survey, []string{"calculate", "c", "", "", "", "", "", "", "", "", ""})
		}, "survey/20/type err.xlsform.type [\"calculate\"]"},
		{"time", func(b *book) { b.survey = append(b.survey, []string{"time", "c", "时间"}) }, "survey/20/type err.xlsform.type [\"time\"]"},
		{"metadata", func(b *book) { b.survey = append(b.survey, []string{"deviceid", "dev"}) }, "survey/20/type err.xlsform.meta [\"deviceid\"]"},
		{"or_other", func(b *book) { b.survey[1][0] = "select_one yn or_other" }, "survey/2/type err.xlsform.or_other"},
		{"missing list", func(b *book) { b.survey[1][0] = "select_one nope" }, "survey/2/type err.xlsform.list [\"nope\"]"},
		{"no type", func(b *book) { b.survey[6][1] = "orphan" }, "survey/7/type err.xlsform.type_missing"},
		{"calculation column", func(b *book) {
			b.survey[0] = append(b.survey[0], "calculation")
			b.survey[3] = append(b.survey[3], "1+1")
		}, "survey/4/calculation err.xlsform.column [\"calculation\"]"},
		{"choice_filter", func(b *book) {
			b.survey[0] = append(b.survey[0], "choice_filter")
			b.survey[1] = append(b.survey[1], "x = 1")
		}, "survey/2/choice_filter err.xlsform.column [\"choice_filter\"]"},
		{"choices filter column", func(b *book) {
			b.choices[0] = append(b.choices[0], "county")
			b.choices[2] = append(b.choices[2], "mudan")
		}, "choices/3/county err.xlsform.column [\"county\"]"},
		{"unknown language", func(b *book) { b.survey[0][3] = "label::Klingon" }, "survey/1/label::Klingon err.xlsform.language [\"Klingon\"]"},
		{"dynamic required", func(b *book) { b.survey[3][4] = "${resident} = 'yes'" }, "survey/4/required err.xlsform.required"},
		{"range not a rating", func(b *book) { b.survey[12][9] = "start=0 end=100 step=5" }, "survey/13/parameters err.xlsform.range"},
		{"unknown parameter", func(b *book) { b.survey[13][9] = "randomize=true seed=${x}" }, "survey/14/parameters err.xlsform.parameter [\"seed\"]"},
		{"semantic appearance", func(b *book) { b.survey[17][8] = "month-year" }, "survey/18/appearance err.xlsform.appearance [\"month-year\"]"},
		{"signature", func(b *book) { b.survey[15][8] = "signature" }, "survey/16/appearance err.xlsform.appearance [\"signature\"]"},
		{"repeat", func(b *book) {
			b.survey = append(b.survey, []string{"begin repeat", "kids", "孩子"}, []string{"integer", "kid_age", "年龄"}, []string{"end repeat"})
		}, "survey/20/type err.xlsform.repeat"},
		{"unclosed group", func(b *book) { b.survey[5][0] = "note" }, "survey/3/type err.xlsform.group_open"},
		{"stray end", func(b *book) { b.survey = append(b.survey, []string{"end group"}) }, "survey/20/type err.xlsform.group_end"},
		{"matrix of text", func(b *book) { b.survey[9][0] = "text" }, "survey/10/type err.xlsform.matrix_type [\"text\"]"},
		{"matrix two lists", func(b *book) { b.survey[10][0] = "select_one yn" }, "survey/11/type err.xlsform.matrix_list [\"sat\"]"},
		{"matrix cell logic", func(b *book) { b.survey[10][5] = "${age} > 3" }, "survey/11/relevant err.xlsform.column [\"relevant\"]"},
		{"matrix half required", func(b *book) { b.survey[10][4] = "" }, "survey/10/required err.xlsform.matrix_required"},
		{"second settings row", func(b *book) { b.settings = append(b.settings, []string{"again"}) }, "settings/3/form_title err.xlsform.settings_rows"},
		{"unknown setting", func(b *book) {
			b.settings[0] = append(b.settings[0], "submission_url")
			b.settings[1] = append(b.settings[1], "https://example.org")
		}, "settings/2/submission_url err.xlsform.column [\"submission_url\"]"},
		// The questionnaire's own rules, pointed at cells.
		{"duplicate name", func(b *book) { b.survey[16][1] = "age" }, "survey/17/name err.survey.name_taken [\"age\"]"},
		{"duplicate choice", func(b *book) { b.choices[2][1] = "yes" }, "choices/3/name err.survey.choice_taken [\"yes\"]"},
		{"bad relevant", func(b *book) { b.survey[4][5] = "${age} >= " }, "survey/5/relevant err.survey.expr [10]"},
		{"relevant on later", func(b *book) { b.survey[1][5] = "${age} > 1" }, "survey/2/relevant err.survey.expr_later [\"age\"]"},
		{"matrix row name", func(b *book) { b.survey[9][1] = "road s" }, "survey/10/name err.survey.choice_name"},
		{"no title", func(b *book) { b.settings = nil }, "settings/2/form_title err.survey.label_default [\"zh-CN\"]"},
		{"bad group relevant", func(b *book) { b.survey[2][5] = "${resident} = = 'yes'" }, "survey/3/relevant err.survey.expr [15]"},
		{"answer in a label", func(b *book) { b.survey[4][3] = "Comments, ${resident}?" }, "survey/5/label::English (en) err.xlsform.piping"},
		{"label missing", func(b *book) { b.survey[13][2] = "" }, "survey/14/label err.survey.label_default [\"zh-CN\"]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := authored()
			tt.edit(&b)
			s, p := fromSheets(b)
			got := keys(p)
			found := false
			for _, g := range got {
				found = found || g == tt.problem
			}
			if !found {
				t.Errorf("want %q among %q", tt.problem, got)
			}
			if len(s.Questions) < 5 {
				t.Errorf("only %d questions read", len(s.Questions))
			}
			// Through a real workbook too.
			_, p2 := Import(bytes.NewReader(workbook(t, b)))
			if got2 := keys(p2); !reflect.DeepEqual(got2, got) {
				t.Errorf("workbook import differs:\n%q\n%q", got2, got)
			}
		})
	}
}

func TestImportLanguages(t *testing.T) {
	tests := []struct {
		header   []string
		settings [][]string
		want     []string
	}{
		{[]string{"type", "name", "label"}, nil, []string{"zh-CN"}},
		{[]string{"type", "name", "label::English (en)", "label::Chinese (zh-CN)"}, nil, []string{"en", "zh-CN"}},
		{[]string{"type", "name", "label::English", "label::zh-CN"}, [][]string{{"default_language"}, {"zh-CN"}}, []string{"zh-CN", "en"}},
		{[]string{"type", "name", "label::中文", "label::en"}, nil, []string{"zh-CN", "en"}},
		{[]string{"type", "name", "label", "label::English (en)"}, nil, []string{"zh-CN", "en"}},
	}
	for _, tt := range tests {
		b := book{survey: [][]string{tt.header, {"text", "q", "x", "y"}}, settings: tt.settings}
		s, _ := fromSheets(b)
		if !reflect.DeepEqual(s.Languages, tt.want) {
			t.Errorf("%v: %v, want %v", tt.header, s.Languages, tt.want)
		}
	}
}

// encode and decode lay sheets out as text for the fuzzer: sheets split by
// form feed, rows by newline, cells by tab.
func encode(b book) string {
	var out []string
	for _, sh := range [][][]string{b.survey, b.choices, b.settings} {
		var rows []string
		for _, r := range sh {
			rows = append(rows, strings.Join(r, "\t"))
		}
		out = append(out, strings.Join(rows, "\n"))
	}
	return strings.Join(out, "\f")
}

func decode(s string) book {
	var sheets [3][][]string
	for i, sh := range strings.SplitN(s, "\f", 3) {
		if sh == "" {
			continue
		}
		for _, r := range strings.Split(sh, "\n") {
			sheets[i] = append(sheets[i], strings.Split(r, "\t"))
		}
	}
	return book{survey: sheets[0], choices: sheets[1], settings: sheets[2]}
}

func FuzzImport(f *testing.F) {
	f.Add(encode(authored()))
	f.Add(encode(toSheets(everyType())))
	f.Add("type\tname\tlabel\ntext\tq\t问\nbegin group\tg\t\t\t\nend group\f\fform_title\nT")
	f.Fuzz(func(t *testing.T, in string) {
		if len(in) > 20000 {
			return
		}
		s, p := fromSheets(decode(in))
		for _, e := range p {
			if !strings.HasPrefix(e.Field, "survey") && !strings.HasPrefix(e.Field, "choices/") && !strings.HasPrefix(e.Field, "settings/") {
				t.Fatalf("problem not pointed at a cell: %s %s", e.Field, e.Key)
			}
		}
		if len(p) > maxProblems+1 {
			t.Fatalf("%d problems", len(p))
		}
		if len(p) > 0 {
			return
		}
		// A workbook read without problems is a valid questionnaire that
		// exports and reads back the same.
		if v := s.Validate(); len(v) > 0 {
			t.Fatalf("no problems but invalid: %v", keys(v))
		}
		again, p := fromSheets(toSheets(s))
		if len(p) > 0 || !reflect.DeepEqual(again, s) {
			t.Fatalf("re-import differs: %v\n%#v\n%#v", keys(p), s, again)
		}
	})
}

// normalize states what an export may change without changing meaning:
// surrounding spaces, empty texts and lists, the default rating scale
// written out, page 0 (= page 1) numbered once there are pages, and
// settings that only some types use.
func normalize(s survey.Schema) survey.Schema {
	text := func(t survey.Text) survey.Text {
		out := survey.Text{}
		for k, v := range t {
			if v = strings.TrimSpace(v); v != "" {
				out[k] = v
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	choices := func(cs []survey.Choice) []survey.Choice {
		if len(cs) == 0 {
			return nil
		}
		out := make([]survey.Choice, len(cs))
		for i, c := range cs {
			out[i] = survey.Choice{Name: c.Name, Label: text(c.Label)}
		}
		return out
	}
	paged := false
	for _, q := range s.Questions {
		paged = paged || q.Page > 0
	}
	out := survey.Schema{Title: text(s.Title), Languages: s.Languages}
	for _, q := range s.Questions {
		q.Label, q.Hint, q.RequiredMessage, q.ConstraintMessage = text(q.Label), text(q.Hint), text(q.RequiredMessage), text(q.ConstraintMessage)
		q.Choices, q.Rows = choices(q.Choices), choices(q.Rows)
		q.Relevant, q.Constraint = strings.TrimSpace(q.Relevant), strings.TrimSpace(q.Constraint)
		switch q.Type {
		case survey.Single, survey.Multiple, survey.Ranking, survey.Matrix:
		default:
			q.Randomize = false
		}
		if q.Type != survey.Number {
			q.Integer = false
		}
		if q.Type != survey.Rating {
			q.Scale = 0
		} else if q.Scale == 0 {
			q.Scale = defaultRatingN
		}
		if q.Type == survey.Matrix {
			q.ConstraintMessage = nil
		}
		if paged && q.Page == 0 {
			q.Page = 1
		}
		out.Questions = append(out.Questions, q)
	}
	return out
}

// FuzzExportImport: any valid questionnaire, written as XLSForm sheets and
// read back, is the same questionnaire.
func FuzzExportImport(f *testing.F) {
	b, _ := json.Marshal(everyType())
	f.Add(b)
	f.Add([]byte(`{"title":{"fr":"T"},"languages":["fr"],"questions":[{"name":"a","type":"text","label":{"fr":" x "},"randomize":true,"scale":3,"page":0},{"name":"m","type":"matrix","label":{"fr":"m"},"rows":[{"name":"r","label":{"fr":"r"}}],"choices":[{"name":"1","label":{"fr":"1"}}],"constraint_message":{"fr":"c"}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var s survey.Schema
		if json.Unmarshal(b, &s) != nil || len(s.Validate()) > 0 {
			return
		}
		texts := []survey.Text{s.Title}
		for _, q := range s.Questions {
			texts = append(texts, q.Label, q.Hint, q.RequiredMessage, q.ConstraintMessage)
			for _, c := range append(q.Choices, q.Rows...) {
				texts = append(texts, c.Label)
			}
		}
		for _, t := range texts {
			for _, v := range t {
				if strings.Contains(v, "${") {
					return // reported on import: a label cannot pipe in an answer here
				}
			}
		}
		got, p := fromSheets(toSheets(s))
		if len(p) > 0 {
			t.Fatalf("problems: %v", keys(p))
		}
		if want := normalize(s); !reflect.DeepEqual(got, want) {
			a, _ := json.Marshal(want)
			b, _ := json.Marshal(got)
			t.Fatalf("round trip changed it\nwant %s\ngot  %s", a, b)
		}
	})
}
