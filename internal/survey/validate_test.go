package survey

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"

	"civicgrid/internal/errs"
)

func zh(s string) Text { return Text{"zh-CN": s} }

func ch(names ...string) []Choice {
	out := make([]Choice, len(names))
	for i, n := range names {
		out[i] = Choice{Name: n, Label: Text{"zh-CN": "选项" + n, "en": "Option " + n}}
	}
	return out
}

// everyType is a questionnaire with one question of every type, skip logic
// and constraints; the XLSForm round-trip test uses the same shape.
func everyType() Schema {
	return Schema{
		Title:     Text{"zh-CN": "牡丹节游客问卷", "en": "Peony festival visitors"},
		Languages: []string{"zh-CN", "en"},
		Questions: []Question{
			{Name: "intro", Type: Note, Label: Text{"zh-CN": "感谢参与", "en": "Thank you"}, Page: 1},
			{Name: "visited", Type: Single, Label: zh("是否来过"), Required: true, Choices: ch("yes", "no"), Page: 1},
			{Name: "why", Type: Multiple, Label: zh("为什么来"), Choices: ch("flowers", "food", "family"), Randomize: true,
				Relevant: "${visited} = 'yes'", Constraint: "count-selected(.) <= 2",
				ConstraintMessage: Text{"zh-CN": "最多选两项", "en": "Two at most"}, Page: 1},
			{Name: "name", Type: Short, Label: zh("称呼"), Hint: zh("可不填"), Page: 2},
			{Name: "story", Type: Long, Label: zh("印象"), Page: 2},
			{Name: "age", Type: Number, Label: zh("年龄"), Integer: true, Required: true,
				RequiredMessage: Text{"zh-CN": "请填写年龄", "en": "Please give your age"},
				Constraint:      ". >= 0 and . <= 120", ConstraintMessage: Text{"zh-CN": "年龄应在 0 到 120 之间", "en": "Age is 0 to 120"}, Page: 2},
			{Name: "spend", Type: Number, Label: zh("花费"), Page: 2},
			{Name: "day", Type: Date, Label: zh("日期"), Constraint: ". <= today()", Page: 2},
			{Name: "score", Type: Rating, Label: zh("评分"), Scale: 10, Page: 3},
			{Name: "stars", Type: Rating, Label: zh("星级"), Page: 3},
			{Name: "grid", Type: Matrix, Label: zh("各项满意度"), Required: true, Rows: ch("parking", "toilets"), Choices: ch("good", "ok", "bad"), Page: 3},
			{Name: "rank", Type: Ranking, Label: zh("排序"), Choices: ch("a", "b", "c"), Page: 3},
			{Name: "where", Type: Location, Label: zh("位置"), Page: 3},
			{Name: "photo", Type: Photo, Label: zh("照片"), Page: 3},
			{Name: "phone", Type: Short, Label: zh("手机"), Constraint: "regex(., '^1[3-9][0-9]{9}$')", Page: 3},
		},
	}
}

func fields(list []*errs.Error) []string {
	var out []string
	for _, e := range list {
		out = append(out, e.Field+" "+e.Key)
	}
	sort.Strings(out)
	return out
}

func TestValidateEveryTypeIsValid(t *testing.T) {
	s := everyType()
	if p := s.Validate(); len(p) > 0 {
		t.Fatalf("problems: %v", fields(p))
	}
}

func TestValidateProblems(t *testing.T) {
	tests := []struct {
		name string
		edit func(s *Schema)
		want []string
	}{
		{"no languages", func(s *Schema) { s.Languages = nil }, []string{"languages err.survey.languages"}},
		{"bad language", func(s *Schema) { s.Languages = []string{"zh-CN", "zh-CN"} }, []string{"languages/1 err.survey.language"}},
		{"no title", func(s *Schema) { s.Title = Text{"en": "x"} }, []string{"title err.survey.label_default"}},
		{"no questions", func(s *Schema) { s.Questions = nil }, []string{"questions err.survey.no_questions"}},
		{"bad name", func(s *Schema) { s.Questions[1].Name = "1st" }, []string{"questions/1/name err.survey.name", "questions/2/relevant err.survey.expr_ref"}},
		{"long name", func(s *Schema) { s.Questions[3].Name = strings.Repeat("n", 65) }, []string{"questions/3/name err.survey.name"}},
		{"duplicate name", func(s *Schema) { s.Questions[4].Name = "name" }, []string{"questions/4/name err.survey.name_taken"}},
		{"unknown type", func(s *Schema) { s.Questions[3].Type = "slider" }, []string{"questions/3/type err.survey.type"}},
		{"label lacks default", func(s *Schema) { s.Questions[3].Label = Text{"en": "Name"} }, []string{"questions/3/label err.survey.label_default"}},
		{"hint lacks default", func(s *Schema) { s.Questions[3].Hint = Text{"en": "optional"} }, []string{"questions/3/hint err.survey.label_default"}},
		{"label in unknown language", func(s *Schema) { s.Questions[3].Label["fr"] = "Nom" }, []string{"questions/3/label err.survey.label_language"}},
		{"no choices", func(s *Schema) { s.Questions[1].Choices = nil }, []string{"questions/1/choices err.survey.choices"}},
		{"ranking of one", func(s *Schema) { s.Questions[11].Choices = ch("a") }, []string{"questions/11/choices err.survey.choices"}},
		{"duplicate choice", func(s *Schema) { s.Questions[2].Choices = ch("a", "b", "a") }, []string{"questions/2/choices/2/name err.survey.choice_taken"}},
		{"bad choice name", func(s *Schema) { s.Questions[2].Choices = ch("a b") }, []string{"questions/2/choices/0/name err.survey.choice_name"}},
		{"choice label", func(s *Schema) { s.Questions[2].Choices[0].Label = nil }, []string{"questions/2/choices/0/label err.survey.label_default"}},
		{"choices on text", func(s *Schema) { s.Questions[3].Choices = ch("a") }, []string{"questions/3/choices err.survey.choices_unexpected"}},
		{"matrix without rows", func(s *Schema) { s.Questions[10].Rows = nil }, []string{"questions/10/rows err.survey.choices"}},
		{"matrix duplicate row", func(s *Schema) { s.Questions[10].Rows = ch("r", "r") }, []string{"questions/10/rows/1/name err.survey.choice_taken"}},
		{"rows on single", func(s *Schema) { s.Questions[1].Rows = ch("r") }, []string{"questions/1/rows err.survey.rows_unexpected"}},
		{"scale 1", func(s *Schema) { s.Questions[8].Scale = 1 }, []string{"questions/8/scale err.survey.scale"}},
		{"scale 11", func(s *Schema) { s.Questions[8].Scale = 11 }, []string{"questions/8/scale err.survey.scale"}},
		{"required note", func(s *Schema) { s.Questions[0].Required = true }, []string{"questions/0/required err.survey.note_required"}},
		{"bad relevant", func(s *Schema) { s.Questions[2].Relevant = "${visited} = " }, []string{"questions/2/relevant err.survey.expr"}},
		{"relevant on later", func(s *Schema) { s.Questions[2].Relevant = "${age} > 3" }, []string{"questions/2/relevant err.survey.expr_later"}},
		{"relevant on itself", func(s *Schema) { s.Questions[2].Relevant = "${why} = 'a'" }, []string{"questions/2/relevant err.survey.expr_later"}},
		{"relevant on unknown", func(s *Schema) { s.Questions[2].Relevant = "${nope} > 3" }, []string{"questions/2/relevant err.survey.expr_ref"}},
		{"relevant with dot", func(s *Schema) { s.Questions[2].Relevant = ". > 3" }, []string{"questions/2/relevant err.survey.expr_self"}},
		{"constraint on later", func(s *Schema) { s.Questions[5].Constraint = ". < ${spend}" }, []string{"questions/5/constraint err.survey.expr_later"}},
		{"constraint on a matrix", func(s *Schema) { s.Questions[10].Constraint = "true()" }, []string{"questions/10/constraint err.survey.constraint_type"}},
		{"page skipped", func(s *Schema) { s.Questions[3].Page = 3 }, []string{"questions/3/page err.survey.page"}},
		{"page back", func(s *Schema) { s.Questions[9].Page = 1 }, []string{"questions/9/page err.survey.page"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := everyType()
			tt.edit(&s)
			if got := fields(s.Validate()); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestValidateConstraintMayUseEarlierAndItself(t *testing.T) {
	s := everyType()
	s.Questions[6].Constraint = ". < ${age} * 1000 and ${spend} >= 0"
	if p := s.Validate(); len(p) > 0 {
		t.Fatal(fields(p))
	}
}

// valid is an answer set that passes everyType.
func valid() map[string]any {
	return map[string]any{
		"visited": "yes",
		"why":     []any{"food", "flowers"},
		"name":    "小王",
		"story":   "人很多",
		"age":     float64(34),
		"spend":   json.Number("120.5"),
		"day":     "2026-04-20",
		"score":   float64(9),
		"stars":   json.Number("5"),
		"grid":    map[string]any{"parking": "ok", "toilets": "good"},
		"rank":    []any{"c", "a", "b"},
		"where":   map[string]any{"lat": 35.23, "lng": json.Number("115.48")},
		"photo":   "01JD5Q3ZC3W6X8-photo.jpg",
		"phone":   "13912345678",
	}
}

func TestCheckValid(t *testing.T) {
	s := everyType()
	clean, p := s.Check(valid(), "2026-11-29")
	if len(p) > 0 {
		t.Fatal(fields(p))
	}
	want := map[string]any{
		"visited": "yes", "why": []string{"food", "flowers"}, "name": "小王", "story": "人很多",
		"age": float64(34), "spend": 120.5, "day": "2026-04-20", "score": 9, "stars": 5,
		"grid": map[string]string{"parking": "ok", "toilets": "good"}, "rank": []string{"c", "a", "b"},
		"where": map[string]any{"lat": 35.23, "lng": 115.48}, "photo": "01JD5Q3ZC3W6X8-photo.jpg", "phone": "13912345678",
	}
	if !reflect.DeepEqual(clean, want) {
		t.Fatalf("clean\n%#v\nwant\n%#v", clean, want)
	}
	again, p := s.Check(clean, "2026-11-29")
	if len(p) > 0 || !reflect.DeepEqual(again, clean) {
		t.Fatalf("Check(clean) changed it: %v %#v", fields(p), again)
	}
}

func TestCheckProblems(t *testing.T) {
	tests := []struct {
		name string
		edit func(a map[string]any)
		want []string
	}{
		{"unknown answer", func(a map[string]any) { a["zzz"] = 1 }, []string{"answers/zzz err.survey.unknown"}},
		{"note answered", func(a map[string]any) { a["intro"] = "x" }, []string{"answers/intro err.survey.note_answer"}},
		{"required missing", func(a map[string]any) { delete(a, "visited") }, []string{"answers/visited err.survey.required"}},
		{"required blank", func(a map[string]any) { a["visited"] = "  " }, []string{"answers/visited err.survey.required"}},
		{"single not a choice", func(a map[string]any) { a["visited"] = "maybe" }, []string{"answers/visited err.survey.choice"}},
		{"single not a string", func(a map[string]any) { a["visited"] = 1.0 }, []string{"answers/visited err.survey.choice"}},
		{"multiple unknown", func(a map[string]any) { a["why"] = []any{"food", "rain"} }, []string{"answers/why err.survey.choices_answer"}},
		{"multiple twice", func(a map[string]any) { a["why"] = []any{"food", "food"} }, []string{"answers/why err.survey.choices_answer"}},
		{"multiple not a list", func(a map[string]any) { a["why"] = "food" }, []string{"answers/why err.survey.choices_answer"}},
		{"multiple non-string", func(a map[string]any) { a["why"] = []any{"food", 2.0} }, []string{"answers/why err.survey.choices_answer"}},
		{"text not string", func(a map[string]any) { a["name"] = true }, []string{"answers/name err.survey.text"}},
		{"text too long", func(a map[string]any) { a["story"] = strings.Repeat("长", 2001) }, []string{"answers/story err.survey.text_long"}},
		{"text invalid utf8", func(a map[string]any) { a["story"] = "\xff" }, []string{"answers/story err.survey.text"}},
		{"number text", func(a map[string]any) { a["spend"] = "lots" }, []string{"answers/spend err.survey.number"}},
		{"number inf", func(a map[string]any) { a["spend"] = "Inf" }, []string{"answers/spend err.survey.number"}},
		{"integer fraction", func(a map[string]any) { a["age"] = 34.5 }, []string{"answers/age err.survey.integer"}},
		{"date form", func(a map[string]any) { a["day"] = "2026-4-20" }, []string{"answers/day err.survey.date"}},
		{"date invalid", func(a map[string]any) { a["day"] = "2026-02-30" }, []string{"answers/day err.survey.date"}},
		{"rating high", func(a map[string]any) { a["score"] = 11.0 }, []string{"answers/score err.survey.rating"}},
		{"rating default scale", func(a map[string]any) { a["stars"] = 6.0 }, []string{"answers/stars err.survey.rating"}},
		{"rating zero", func(a map[string]any) { a["stars"] = 0.0 }, []string{"answers/stars err.survey.rating"}},
		{"rating fraction", func(a map[string]any) { a["stars"] = 2.5 }, []string{"answers/stars err.survey.rating"}},
		{"matrix row missing", func(a map[string]any) { a["grid"] = map[string]any{"parking": "ok"} }, []string{"answers/grid/toilets err.survey.required"}},
		{"matrix unknown row", func(a map[string]any) { a["grid"].(map[string]any)["beds"] = "ok" }, []string{"answers/grid/beds err.survey.matrix_row"}},
		{"matrix bad choice", func(a map[string]any) { a["grid"].(map[string]any)["parking"] = "great" }, []string{"answers/grid/parking err.survey.choice"}},
		{"matrix not object", func(a map[string]any) { a["grid"] = []any{"ok"} }, []string{"answers/grid err.survey.matrix"}},
		{"matrix empty", func(a map[string]any) { a["grid"] = map[string]any{} }, []string{"answers/grid err.survey.required"}},
		{"ranking short", func(a map[string]any) { a["rank"] = []any{"a", "b"} }, []string{"answers/rank err.survey.ranking"}},
		{"ranking repeat", func(a map[string]any) { a["rank"] = []any{"a", "b", "b"} }, []string{"answers/rank err.survey.ranking"}},
		{"location out", func(a map[string]any) { a["where"] = map[string]any{"lat": 91.0, "lng": 0.0} }, []string{"answers/where err.survey.location"}},
		{"location half", func(a map[string]any) { a["where"] = map[string]any{"lat": 35.0} }, []string{"answers/where err.survey.location"}},
		{"photo path", func(a map[string]any) { a["photo"] = "../etc/passwd" }, []string{"answers/photo err.survey.photo"}},
		{"photo long", func(a map[string]any) { a["photo"] = strings.Repeat("a", 65) }, []string{"answers/photo err.survey.photo"}},
		{"constraint default message", func(a map[string]any) { a["day"] = "2027-01-01" }, []string{"answers/day err.survey.constraint"}},
		{"constraint own message", func(a map[string]any) { a["age"] = 130.0 }, []string{"answers/age err.literal"}},
		{"regex constraint", func(a map[string]any) { a["phone"] = "12345" }, []string{"answers/phone err.survey.constraint"}},
		{"several at once", func(a map[string]any) { a["age"] = "x"; a["day"] = "x" }, []string{"answers/age err.survey.number", "answers/day err.survey.date"}},
	}
	s := everyType()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := valid()
			tt.edit(a)
			clean, p := s.Check(a, "2026-11-29")
			if got := fields(p); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			for _, e := range p {
				if _, ok := clean[strings.Split(strings.TrimPrefix(e.Field, "answers/"), "/")[0]]; ok {
					t.Errorf("%s is in clean despite its problem", e.Field)
				}
			}
		})
	}
}

func TestCheckSkipLogic(t *testing.T) {
	s := Schema{
		Title: zh("t"), Languages: []string{"zh-CN"},
		Questions: []Question{
			{Name: "has_car", Type: Single, Label: zh("有车吗"), Required: true, Choices: ch("yes", "no")},
			{Name: "plate", Type: Short, Label: zh("车牌"), Required: true, Relevant: "${has_car} = 'yes'"},
			{Name: "parked", Type: Multiple, Label: zh("停在哪"), Choices: ch("street", "lot"), Relevant: "${plate} != ''"},
			{Name: "fee", Type: Number, Label: zh("停车费"), Required: true, Relevant: "selected(${parked}, 'lot')"},
		},
	}
	// Hidden: the required plate need not be answered, and an answer sent
	// anyway (the respondent changed their mind) is dropped.
	clean, p := s.Check(map[string]any{"has_car": "no", "plate": "鲁R12345", "parked": []any{"lot"}}, "")
	if len(p) > 0 || !reflect.DeepEqual(clean, map[string]any{"has_car": "no"}) {
		t.Fatalf("hidden: %v %#v", fields(p), clean)
	}
	// Shown: now it is required, and the chain goes on.
	_, p = s.Check(map[string]any{"has_car": "yes", "plate": "鲁R12345", "parked": []any{"lot"}}, "")
	if got := fields(p); !reflect.DeepEqual(got, []string{"answers/fee err.survey.required"}) {
		t.Fatalf("shown: %v", got)
	}
	_, p = s.Check(map[string]any{"has_car": "yes"}, "")
	if got := fields(p); !reflect.DeepEqual(got, []string{"answers/plate err.survey.required"}) {
		t.Fatalf("shown, missing: %v", got)
	}
	// An invalid earlier answer counts as unanswered for later logic.
	_, p = s.Check(map[string]any{"has_car": "perhaps", "plate": "x"}, "")
	if got := fields(p); !reflect.DeepEqual(got, []string{"answers/has_car err.survey.choice"}) {
		t.Fatalf("invalid earlier: %v", got)
	}
}

func TestCheckMessagesInChinese(t *testing.T) {
	s := everyType()
	a := valid()
	a["age"] = 130.0
	_, p := s.Check(a, "2026-11-29")
	if len(p) != 1 || p[0].Key != "err.literal" || p[0].Args[0] != (errs.Text{ZH: "年龄应在 0 到 120 之间", EN: "Age is 0 to 120"}) {
		t.Fatalf("%#v", p)
	}
	delete(a, "age")
	_, p = s.Check(a, "2026-11-29")
	if len(p) != 1 || p[0].Args[0] != (errs.Text{ZH: "请填写年龄", EN: "Please give your age"}) {
		t.Fatalf("%#v", p)
	}
	// A message given only in Chinese is used for English too.
	s.Questions[5].RequiredMessage = Text{"zh-CN": "请填写年龄"}
	_, p = s.Check(a, "2026-11-29")
	if len(p) != 1 || p[0].Args[0] != (errs.Text{ZH: "请填写年龄", EN: "请填写年龄"}) {
		t.Fatalf("%#v", p)
	}
	a["why"] = []any{"food", "flowers", "family"}
	a["age"] = 30.0
	_, p = s.Check(a, "2026-11-29")
	if len(p) != 1 || p[0].Field != "answers/why" || p[0].Args[0] != (errs.Text{ZH: "最多选两项", EN: "Two at most"}) {
		t.Fatalf("%#v", p)
	}
}

func TestCheckOptionalMatrixMayBePartial(t *testing.T) {
	s := everyType()
	s.Questions[10].Required = false
	a := valid()
	a["grid"] = map[string]any{"parking": "bad", "toilets": ""}
	clean, p := s.Check(a, "2026-11-29")
	if len(p) > 0 || !reflect.DeepEqual(clean["grid"], map[string]string{"parking": "bad"}) {
		t.Fatalf("%v %#v", fields(p), clean["grid"])
	}
}

func TestOrder(t *testing.T) {
	s := everyType()
	q := s.Questions[2]
	q.Choices = ch("a", "b", "c", "d", "e", "f", "g", "h")
	first := s.Order(q, 42)
	if !reflect.DeepEqual(first, s.Order(q, 42)) {
		t.Fatal("same seed, different order")
	}
	seen := map[string]bool{}
	for _, c := range first {
		seen[c.Name] = true
	}
	if len(seen) != len(q.Choices) {
		t.Fatalf("not a permutation: %v", first)
	}
	differs := 0
	firstPos := map[string]int{}
	for seed := uint64(0); seed < 400; seed++ {
		o := s.Order(q, seed)
		if !reflect.DeepEqual(o, first) {
			differs++
		}
		firstPos[o[0].Name]++
	}
	if differs < 390 {
		t.Errorf("only %d of 400 seeds give another order", differs)
	}
	for _, c := range q.Choices {
		if n := firstPos[c.Name]; n < 25 || n > 80 { // 50 expected
			t.Errorf("choice %s first %d times of 400", c.Name, n)
		}
	}
	q.Randomize = false
	if got := s.Order(q, 42); !reflect.DeepEqual(got, q.Choices) {
		t.Errorf("not randomized but reordered: %v", got)
	}
	// Pinned: the order for a seed must survive Go releases, or a respondent's
	// reloaded page would reshuffle.
	q.Randomize = true
	var names []string
	for _, c := range s.Order(q, 7) {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, ""); got != pinnedOrder {
		t.Errorf("order for seed 7 is %s, was %s", got, pinnedOrder)
	}
}

const pinnedOrder = "fdhebcag"

func FuzzCheck(f *testing.F) {
	b, _ := json.Marshal(valid())
	f.Add(b)
	f.Add([]byte(`{"visited":"no","why":["food"],"age":"12","grid":{"x":1},"rank":null}`))
	f.Add([]byte(`{"score":1e308,"stars":-0,"where":{"lat":"1","lng":[]},"phone":"139"}`))
	s := everyType()
	known := map[string]*Question{}
	for i := range s.Questions {
		known[s.Questions[i].Name] = &s.Questions[i]
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var a map[string]any
		d := json.NewDecoder(strings.NewReader(string(b)))
		if len(b)%2 == 0 {
			d.UseNumber()
		}
		if d.Decode(&a) != nil {
			return
		}
		clean, first := s.Check(a, "2026-11-29")
		for name := range clean {
			q := known[name]
			if q == nil {
				t.Fatalf("clean has unknown %q", name)
			}
			if q.Type == Note {
				t.Fatalf("clean has note %q", name)
			}
			if q.Relevant != "" {
				ok, _ := evalCond(q.Relevant, Env{Answers: clean, Today: "2026-11-29"})
				if !ok {
					t.Fatalf("clean has irrelevant %q", name)
				}
			}
		}
		again, p := s.Check(clean, "2026-11-29")
		if len(first) == 0 && len(p) > 0 || !reflect.DeepEqual(again, clean) {
			t.Fatalf("Check(clean) not stable: %v\n%#v\n%#v", fields(p), clean, again)
		}
		if _, err := json.Marshal(clean); err != nil {
			t.Fatal(err)
		}
	})
}

// BenchmarkCheck: one response to a fifteen-question form, the work each
// submission does before its transaction.
func BenchmarkCheck(b *testing.B) {
	s := everyType()
	a := valid()
	b.ReportAllocs()
	for b.Loop() {
		if _, p := s.Check(a, "2026-11-29"); len(p) > 0 {
			b.Fatal(fields(p))
		}
	}
}

func BenchmarkFormCheck(b *testing.B) {
	s := everyType()
	f := s.Compile()
	a := valid()
	b.ReportAllocs()
	for b.Loop() {
		if _, p := f.Check(a, "2026-11-29"); len(p) > 0 {
			b.Fatal(fields(p))
		}
	}
}

func TestFormCheckConcurrent(t *testing.T) {
	s := everyType()
	f := s.Compile()
	done := make(chan struct{})
	for g := 0; g < 8; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 200; i++ {
				a := valid()
				if i%2 == 1 {
					a["phone"] = "12"
				}
				clean, p := f.Check(a, "2026-11-29")
				want, wantP := s.Check(a, "2026-11-29")
				if !reflect.DeepEqual(clean, want) || !reflect.DeepEqual(fields(p), fields(wantP)) {
					t.Errorf("Form.Check and Schema.Check differ: %v %v", fields(p), fields(wantP))
					return
				}
			}
		}()
	}
	for g := 0; g < 8; g++ {
		<-done
	}
}

func TestCheckUnparseableExpression(t *testing.T) {
	s := everyType()
	s.Questions[2].Relevant = "${visited} ="
	_, p := s.Check(valid(), "2026-11-29")
	if got := fields(p); !reflect.DeepEqual(got, []string{"answers/why err.survey.expr"}) {
		t.Fatal(got)
	}
}
